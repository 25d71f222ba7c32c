package verdict

import (
	"fmt"
	"strings"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// SettingSMBProbe marks reasons that rest on ntlmscan's own SMB probe of a
// share host. The probe runs on the controller (the machine running
// ntlmscan), not on the Core, and every such reason says so.
const SettingSMBProbe = "smb-probe"

// smbSigningBuild: Windows 11 24H2 and Windows Server 2025 (build 26100)
// require outbound SMB signing by default (Microsoft's "SMB signing" page;
// 24H2 Home does not).
const smbSigningBuild = 26100

// smbFacts is the share host's SMB probe when it got an answer; nil for
// agent paths, hosts not probed and probes without an answer, which leave
// the verdict as it was without the probe.
func (pe *pathEval) smbFacts() *facts.SMBProbe {
	if pe.p.Kind != KindShare || pe.tv.result == nil || !pe.tv.result.SMB.Answered() {
		return nil
	}
	return pe.tv.result.SMB
}

func (pe *pathEval) smbVantage() string {
	return fmt.Sprintf("SMB probe of %s from the controller running ntlmscan, not from %s", pe.tv.result.SMB.Target, pe.cv.name())
}

// smbSummary is the probe's finding as one line: dialect, signing,
// mechanisms.
func smbSummary(sp *facts.SMBProbe) string {
	dialect := "SMB " + sp.Dialect
	if sp.SMB1Only {
		dialect = "SMB1 only"
	}
	signing := "signing not offered"
	switch {
	case sp.SigningRequired:
		signing = "signing required"
	case sp.SigningEnabled:
		signing = "signing enabled, not required"
	}
	mechs := "no mechanism list"
	if len(sp.Mechanisms) > 0 {
		mechs = strings.Join(sp.Mechanisms, ", ")
	}
	return dialect + "; " + signing + "; offers " + mechs
}

// needFromSMBProbe adds the probe's say on whether the path needs NTLM: a
// share host offering only NTLMSSP makes it required whatever the name;
// offering Kerberos is handled in decideNeed (kerberosOffered).
func (pe *pathEval) needFromSMBProbe(need func(Reason, string, *[]string), required *[]string) {
	sp := pe.smbFacts()
	if sp == nil || !sp.OnlyNTLM() {
		return
	}
	r := Reason{
		Host: pe.tv.name(), Role: RoleServer, Setting: SettingSMBProbe, RawValue: strings.Join(sp.Mechanisms, ", "), ValueLabel: "offers only NTLMSSP",
		Explanation: fmt.Sprintf("%s's SMB service offers only NTLMSSP in its NEGOTIATE response (%s): Kerberos is not offered, so the Core's logon to %s uses NTLM whatever name it uses.",
			pe.tv.name(), pe.smbVantage(), pe.p.Share),
	}
	need(r, "share host offers only NTLM (SMB probe)", required)
}

// kerberosOffered reports a share host the inventory calls not joined to a
// domain whose SMB service nevertheless offers Kerberos, named by FQDN with
// a domain account: then Kerberos is expected, not NTLM.
func (pe *pathEval) kerberosOffered() bool {
	sp := pe.smbFacts()
	return sp != nil && sp.OffersKerberos() && pe.p.NameForm == NameFQDN && pe.acct.Kind == inventory.AccountDomain
}

func (pe *pathEval) kerberosOfferedReason() Reason {
	sp := pe.smbFacts()
	return Reason{
		Host: pe.tv.name(), Role: RoleServer, Setting: SettingSMBProbe, RawValue: strings.Join(sp.Mechanisms, ", "), ValueLabel: "offers Kerberos",
		Effect: EffectNeedsNTLM,
		Explanation: fmt.Sprintf("The inventory describes %s as not joined to a domain, but its SMB service offers Kerberos (%s) and the Core names it by FQDN (%s): Kerberos is expected and NTLM is only a fallback. Check the inventory's domain: for %s.",
			pe.tv.name(), pe.smbVantage(), pe.p.NameUsed, pe.tv.name()),
	}
}

// checkSMBProbe adds the reasons that rest on the share host's SMB probe:
// what it found, an SMB1-only host, signing the two sides cannot agree on,
// and (--smb-auth) how the host answered an NTLM logon with the path's
// account.
func (pe *pathEval) checkSMBProbe() {
	sp := pe.smbFacts()
	if sp == nil {
		return
	}
	host := pe.tv.name()
	base := Reason{Host: host, Role: RoleServer, Setting: SettingSMBProbe}

	info := base
	info.RawValue, info.ValueLabel, info.Effect = smbSummary(sp), "SMB probe", EffectInfo
	info.Explanation = fmt.Sprintf("%s: %s.", pe.smbVantage(), smbSummary(sp))
	if d := pe.tv.host.Described; d != nil && d.RequireSigning != nil && *d.RequireSigning != sp.SigningRequired {
		info.Explanation += fmt.Sprintf(" The inventory states require_signing: %t; the probe found the opposite, so correct the inventory.", *d.RequireSigning)
	}
	pe.add(info)

	if sp.SMB1Only {
		r := base
		r.RawValue, r.ValueLabel, r.Effect = "SMB1 only", "no SMB2 or SMB3", EffectRisk
		r.Explanation = fmt.Sprintf("%s speaks only SMB1 (%s). Windows Server 2019 and Windows 10 1709 and later do not install the SMB1 client by default, and SMB1 cannot use the SMB 3 protections; whether %s still has the SMB1 client is not collected (UNCONFIRMED), so the path may fail.",
			host, pe.smbVantage(), pe.cv.name())
		r.Remediation = pe.smbDialectFix()
		pe.add(r)
	}
	pe.checkSMBSigning(sp, base)
	pe.checkSMBAuth(sp, base)
}

func (pe *pathEval) platform() string {
	if d := pe.tv.host.Described; d != nil {
		return strings.ToLower(d.Platform)
	}
	return "windows"
}

func (pe *pathEval) smbDialectFix() *Remediation {
	return pe.platformFix("SMB dialects", "enable SMB 2.1 or later",
		"In smb.conf [global] set server min protocol = SMB2_10 (or leave it at the default) and reload smbd.",
		"Set-SmbServerConfiguration -EnableSMB2Protocol $true -Force",
		"Enable SMB2/SMB3 in the device's file-service settings (vendor documentation), or move the share to a server that speaks SMB 3.")
}

// platformFix is a share host's fix for its platform: an smb.conf change on
// Samba, a PowerShell line on Windows, the vendor's settings elsewhere.
func (pe *pathEval) platformFix(setting, value, samba, windowsPS, other string) *Remediation {
	rem := &Remediation{Host: pe.tv.name(), Setting: setting, Value: value}
	switch pe.platform() {
	case "samba":
		rem.Note = samba
	case "windows":
		rem.PowerShell = windowsPS
		rem.Note = "Run on " + pe.tv.name() + "."
	default:
		rem.Note = other
	}
	return rem
}

// checkSMBSigning: a Core whose SMB client requires signing cannot use a
// host that does not offer it (STATUS_INVALID_SIGNATURE, Microsoft's "SMB
// signing" page); a host requiring signing refuses guest sessions, which
// cannot sign.
func (pe *pathEval) checkSMBSigning(sp *facts.SMBProbe, base Reason) {
	host, core := pe.tv.name(), pe.cv.name()
	if !sp.SigningEnabled && pe.cv.scanned {
		v := pe.cv.get(facts.SMBClientRequireSigning)
		var effect Effect
		why := ""
		switch {
		case v.known && v.present && v.n != 0:
			effect, why = EffectBlocks, fmt.Sprintf("RequireSecuritySignature=%d on %s", v.n, core)
		case v.known && !v.present && pe.cv.build() >= smbSigningBuild:
			effect, why = EffectRisk, fmt.Sprintf("%s (build %d) requires SMB client signing by default on the Enterprise, Pro and Education editions, and RequireSecuritySignature is not defined", core, pe.cv.build())
		}
		if effect != "" {
			r := base
			r.RawValue, r.ValueLabel, r.Effect = "signing not offered", "client requires signing", effect
			r.Explanation = fmt.Sprintf("%s does not offer SMB signing (%s), but %s's SMB client requires it (%s): the connection fails with STATUS_INVALID_SIGNATURE, before NTLM matters.",
				host, pe.smbVantage(), core, why)
			r.Remediation = pe.smbSigningFix()
			pe.add(r)
		}
	}
	if a := sp.AuthFor(pe.acct.Name); a != nil && a.Outcome == facts.SMBAuthGuest && sp.SigningRequired {
		r := base
		r.RawValue, r.ValueLabel, r.Effect = "guest session", "signing required", EffectBlocks
		r.Explanation = fmt.Sprintf("%s mapped ntlmscan's NTLM logon as %s to a guest session (%s) and requires signing: a guest session cannot sign, so the Core's logon with this account fails.",
			host, pe.acct.Name, pe.smbVantage())
		r.Remediation = &Remediation{Host: host, Setting: "account", Value: "an account " + host + " knows: " + pe.acct.Name,
			Note: "The logon was mapped to guest: the account is unknown there or its password differs. Create the account on " + host + " (or fix the password) and set it in the Core's repository settings."}
		pe.add(r)
	}
}

func (pe *pathEval) smbSigningFix() *Remediation {
	return pe.platformFix("SMB signing", "enable signing on the share host",
		"In smb.conf [global] set server signing = auto (or mandatory), and server min protocol = SMB2_10 so that SMB2 signing is used.",
		"Set-SmbServerConfiguration -EnableSecuritySignature $true -Force",
		"Enable SMB signing (and SMB2/SMB3) in the device's file-service settings; do not turn off signing on the Core.")
}

// checkSMBAuth turns the probe's NTLM logon with the path's account into a
// reason. The logon came from the controller: the Core's own client-side
// settings are checked separately, and the controller's password for the
// account may differ from the one the Core has.
func (pe *pathEval) checkSMBAuth(sp *facts.SMBProbe, base Reason) {
	a := sp.AuthFor(pe.acct.Name)
	if a == nil {
		return
	}
	host := pe.tv.name()
	r := base
	r.RawValue, r.ValueLabel = a.Outcome, "NTLM logon as "+a.Account
	status := ""
	if a.Status != "" {
		status = " (" + a.Status + ")"
	}
	switch a.Outcome {
	case facts.SMBAuthAccepted:
		r.Effect = EffectInfo
		r.Explanation = fmt.Sprintf("%s accepted an NTLM logon as %s (%s); the Core's own NTLM settings are judged separately.", host, a.Account, pe.smbVantage())
	case facts.SMBAuthGuest:
		if sp.SigningRequired {
			return // checkSMBSigning reported it
		}
		r.Effect = EffectRisk
		r.Explanation = fmt.Sprintf("%s mapped an NTLM logon as %s to a guest session (%s): the account is unknown there or its password differs, and a Core whose SMB client requires signing refuses guest sessions.", host, a.Account, pe.smbVantage())
	case facts.SMBAuthWrongCredential:
		r.Effect = EffectInfo
		r.Explanation = fmt.Sprintf("%s refused the password ntlmscan has for %s%s (%s): check the inventory's credential for it. This is what a wrong user name or password returns; whether a Windows host also answers it for a domain controller's NTLM block is UNCONFIRMED.", host, a.Account, status, pe.smbVantage())
	case facts.SMBAuthRefusedPolicy:
		r.Effect = EffectSuspected
		r.Explanation = fmt.Sprintf("%s refused an NTLM logon as %s by policy%s (%s): the Core's NTLM logon with this account is very likely refused too.", host, a.Account, status, pe.smbVantage())
		r.Remediation = pe.smbNTLMFix(a)
	case facts.SMBAuthAccountProblem:
		r.Effect = EffectRisk
		r.Explanation = fmt.Sprintf("%s refused the logon as %s%s (%s): the account is disabled, locked out or its password expired, so the Core's logon fails too.", host, a.Account, status, pe.smbVantage())
	default:
		r.Effect = EffectInfo
		msg := a.Message
		if msg == "" {
			msg = "the answer was " + a.Status
		}
		r.Explanation = fmt.Sprintf("The SMB probe's NTLM logon as %s to %s did not settle anything: %s.", a.Account, host, msg)
	}
	pe.add(r)
}

func (pe *pathEval) smbNTLMFix(a *facts.SMBAuth) *Remediation {
	host := pe.tv.name()
	rem := &Remediation{Host: host, Setting: "NTLM on the SMB server", Value: "accept NTLMv2 logons for " + a.Account}
	switch pe.platform() {
	case "samba":
		rem.Note = "Samba answers STATUS_NTLM_BLOCKED when smb.conf has ntlm auth = disabled: set ntlm auth = ntlmv2-only and reload smbd, or make the path use Kerberos (join " + host + " to the domain and name it by FQDN)."
	case "windows":
		rem.Note = "Check RestrictReceivingNTLMTraffic on " + host + " and RestrictNTLMInDomain on its domain controllers (events 4002 and 4004), or make the path use Kerberos (name " + host + " by FQDN)."
	default:
		rem.Note = "Allow NTLMv2 for SMB in the device's settings, or make the path use Kerberos (join it to the domain and name it by FQDN)."
	}
	return rem
}
