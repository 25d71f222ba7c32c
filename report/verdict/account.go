package verdict

import (
	"fmt"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// checkProtectedUsers: check #9. Members of Protected Users cannot use NTLM
// (domain functional level 2012 R2 or higher, which ntlmscan cannot read;
// the membership comes from the inventory) (Microsoft Learn, "Protected
// Users Security Group"; [MS-APDS] §3.1.5).
func (pe *pathEval) checkProtectedUsers() {
	if !pe.acct.ProtectedUsers || pe.acct.Kind == inventory.AccountLocal {
		return
	}
	member := protectedMember(pe.acct, pe.core)
	where := pe.acctDom
	if where == "" {
		where = pe.core.Host.Name
	}
	pe.add(Reason{
		Host: where, Role: RoleAccount, Setting: SettingProtectedUsers, RawValue: "member",
		ValueLabel: "member of Protected Users (stated in the inventory)", Effect: EffectBlocks,
		Event: "100 on the DC (ProtectedUserFailures-DomainController, disabled by default)",
		Explanation: fmt.Sprintf("%s is in Protected Users (per the inventory): members cannot authenticate with NTLM once the domain functional level is Windows Server 2012 R2 or higher (STATUS_ACCOUNT_RESTRICTION).",
			pe.p.Account),
		Remediation: protectedUsersFix(where, member),
	})
}

func protectedMember(a inventory.Account, core *inventory.Core) string {
	if a.Kind == inventory.AccountLocalSystem {
		return netbiosOfHost(core.Host) + "$"
	}
	return samName(a.Name)
}

func protectedUsersFix(domain, member string) *Remediation {
	return &Remediation{
		Host: domain, Setting: SettingProtectedUsers, Value: "remove " + member,
		PowerShell: "Remove-ADGroupMember -Identity 'Protected Users' -Members " + PSQuote(member) + " -Confirm:$false",
		Note:       "Microsoft: never add accounts for services and computers to Protected Users. Run it where the ActiveDirectory module is available; it takes effect at the account's next logon.",
	}
}

// checkUseMachineID: a Core service running as LocalSystem authenticates
// with the computer account (CORE$) unless UseMachineId=0, when it falls
// back to an anonymous NTLM session that the target cannot authorise and
// that cannot sign (INFERENCE from Microsoft Learn's "Network security:
// Allow Local System to use computer identity for NTLM" and "Overview of
// Server Message Block signing").
func (pe *pathEval) checkUseMachineID() {
	if pe.acct.Kind != inventory.AccountLocalSystem {
		return
	}
	cv := pe.cv
	v := cv.get(facts.UseMachineID)
	if !v.known {
		pe.unknownValue(cv, RoleClient, v, "the identity LocalSystem presents")
		return
	}
	if !v.present || v.n != 0 {
		return
	}
	null := cv.get(facts.AllowNullSessionFallback)
	nullText := ""
	if null.known {
		nullText = fmt.Sprintf(" allownullsessionfallback is %s.", Label(facts.AllowNullSessionFallback, null.raw))
	}
	s := v.setting
	r := pe.settingReason(cv, RoleClient, v, EffectBlocks,
		fmt.Sprintf("The Core service on %s runs as LocalSystem and UseMachineId=0: when Negotiate uses NTLM it authenticates anonymously instead of as %s$, which the target cannot authorise and which cannot sign where SMB signing is required (INFERENCE from Microsoft, \"Network security: Allow Local System to use computer identity for NTLM\" and \"Overview of SMB signing\").%s",
			cv.name(), netbiosOfHost(pe.core.Host), nullText))
	r.Remediation = &Remediation{
		Host: cv.name(), Setting: s.Name, Value: "1 (Enabled)",
		PowerShell: psSetDWORD(s, 1, false), GPOPath: gpoPath(s), SettingID: s.ID, Set: u64(1),
		Note: "Or run the Core service as a domain service account.",
	}
	pe.add(r)
}
