package winrmtest

import "strings"

// WinRM's authorization after a successful logon (only modelled for hosts
// that list administrators or remoteManagementUsers; others authorize every
// account that logs on, as before):
//
//   - the RootSDDL grants BUILTIN\Administrators and BUILTIN\Remote
//     Management Users (Server 2012 and later);
//   - UAC remote restrictions: a local account other than the built-in
//     Administrator (RID 500; it too when FilterAdministratorToken=1) gets
//     a filtered token over the network unless LocalAccountTokenFilterPolicy
//     is 1, in which Administrators is deny-only. Domain accounts are not
//     filtered;
//   - a refusal is HTTP 401 to the request that carried the final logon
//     leg, with the same headers as a bad password (pywinrm #114, #188 and
//     Ansible's Windows setup guide: "credentials rejected" for an account
//     outside Administrators or a filtered local admin). Whether Windows
//     differs in any header is UNCONFIRMED.
const (
	keyUACPolicies            = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System`
	keyWinRSPolicy            = `HKLM\SOFTWARE\Policies\Microsoft\Windows\WinRM\Service\WinRS`
	builtinAdministrator      = "Administrator"
	groupAdministrators       = "Administrators"
	groupRemoteManagementUser = "Remote Management Users"
)

// memberOf reports whether the account is listed: "user" or "HOST\user"
// for a local account, "DOMAIN\user" (NetBIOS or DNS name) for a domain one.
func (a account) memberOf(list []string) bool {
	for _, e := range list {
		dom, user, ok := strings.Cut(strings.TrimSpace(e), `\`)
		if !ok {
			dom, user = "", dom
		}
		if !strings.EqualFold(user, a.user.Name) {
			continue
		}
		switch {
		case a.local():
			if dom == "" || dom == "." || strings.EqualFold(dom, a.host.Name) {
				return true
			}
		case strings.EqualFold(dom, a.domain.NetBIOS) || strings.EqualFold(dom, a.domain.Name):
			return true
		}
	}
	return false
}

// tokenFiltered reports whether the account's network token has
// Administrators as deny-only (UAC remote restrictions).
func (h *Host) tokenFiltered(a account) bool {
	if !a.local() {
		return false
	}
	if v, ok := h.dword(keyUACPolicies, "LocalAccountTokenFilterPolicy"); ok && v == 1 {
		return false
	}
	if strings.EqualFold(a.user.Name, builtinAdministrator) {
		v, ok := h.dword(keyUACPolicies, "FilterAdministratorToken")
		return ok && v == 1
	}
	return true
}

// groupsModelled reports whether the lab models the host's groups (else
// every account that logs on is treated as an administrator).
func (h *Host) groupsModelled() bool {
	return h.Administrators != nil || h.RemoteManagementUsers != nil
}

// isAdmin reports an account whose network token holds Administrators
// (a member, not filtered by UAC remote restrictions).
func (h *Host) isAdmin(a account) bool {
	if !h.groupsModelled() {
		return true
	}
	return a.memberOf(h.Administrators) && !h.tokenFiltered(a)
}

// shellDefaultDenied: the cmd shell's default security admits only
// Administrators (and INTERACTIVE, which a WinRM logon never is); an
// account admitted by the RootSDDL through Remote Management Users alone is
// denied at Create with "Access is denied." unless winrm configSDDL
// granted it Read and Execute (winrm.configSDDL).
func (h *Host) shellDefaultDenied(a account) bool {
	return h.groupsModelled() && !h.isAdmin(a) && !a.memberOf(h.WinRM.ConfigSDDL)
}

// winrmAccessDenied returns why WinRM refuses a logged-on account, or "".
func (hs *hostServer) winrmAccessDenied(a account) string {
	h := hs.h
	if !h.groupsModelled() {
		return ""
	}
	if a.memberOf(h.WinRM.ConfigSDDL) {
		return ""
	}
	admin := a.memberOf(h.Administrators)
	if admin && h.tokenFiltered(a) {
		if a.memberOf(h.RemoteManagementUsers) {
			return ""
		}
		return "WinRM access denied: " + a.String() + " is a local member of Administrators, but its network token is filtered (LocalAccountTokenFilterPolicy is not 1)"
	}
	if admin || a.memberOf(h.RemoteManagementUsers) {
		return ""
	}
	return "WinRM access denied: " + a.String() + " is in neither " + groupAdministrators + " nor " + groupRemoteManagementUser
}

// remoteShellAllowed is "Allow Remote Shell Access": the policy value when
// set, else the lab's winrm.allowRemoteShellAccess, else true.
func (h *Host) remoteShellAllowed() bool {
	if v, ok := h.dword(keyWinRSPolicy, "AllowRemoteShellAccess"); ok {
		return v != 0
	}
	return h.WinRM.AllowRemoteShellAccess == nil || *h.WinRM.AllowRemoteShellAccess
}

// shellAccessDenied reports an account the shell's SDDL does not grant
// (winrm.shellDeniedTo), past the RootSDDL.
func (h *Host) shellAccessDenied(a account) bool {
	return a.memberOf(h.WinRM.ShellDeniedTo)
}

// faultShellAccessDisabled is Create with AllowRemoteShellAccess=false. The
// message is Windows' (quoted in many reports of this GPO) and the code is
// ERROR_WSMAN_REMOTESHELLS_NOT_ALLOWED (winerror.h); the subcode was not
// captured from Windows (UNCONFIRMED).
func faultShellAccessDisabled() wsmanFault {
	msg := "The WS-Management service cannot process the request. The service is configured to not accept any remote shell requests. "
	return wsmanFault{code: "s:Receiver", subcode: "w:AccessDenied", wsmanCode: "2150859180", reason: msg, message: msg}
}

// faultAccessDenied is WinRM's "Access is denied." (ERROR_ACCESS_DENIED, 5;
// some hosts send it as the HRESULT 2147942405) for an operation the
// account's rights do not cover; the subcode was not captured from Windows.
func faultAccessDenied() wsmanFault {
	return wsmanFault{code: "s:Sender", subcode: "w:AccessDenied", wsmanCode: "5", reason: "Access is denied. ", message: "Access is denied. "}
}
