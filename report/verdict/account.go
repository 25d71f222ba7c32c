package verdict

import (
	"fmt"
	"strings"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// protectedUsersBuild is the first DC build that refuses NTLM for members
// of Protected Users: Windows Server 2012 R2 (build 9600).
const protectedUsersBuild = 9600

// checkProtectedUsers: check #9. Members of Protected Users cannot use NTLM
// where the DC that validates the logon runs Windows Server 2012 R2 or
// later: [MS-APDS] (3.1.5) has that DC return STATUS_ACCOUNT_RESTRICTION
// after the password checks; the domain functional level is only the
// prerequisite for deploying the group (Microsoft, "Protected Users
// Security Group"). Each DC applies its own version, so the verdict follows
// the versions of the DCs of the account's domain; an unknown version is a
// risk, not a guess. The membership comes from the inventory.
func (pe *pathEval) checkProtectedUsers() {
	if !pe.acct.ProtectedUsers || pe.acct.Kind == inventory.AccountLocal {
		return
	}
	member := protectedMember(pe.acct, pe.core)
	where := pe.acctDom
	if where == "" {
		where = pe.core.Host.Name
	}
	r := Reason{
		Host: where, Role: RoleAccount, Setting: SettingProtectedUsers, RawValue: "member",
		ValueLabel: "member of Protected Users (stated in the inventory)", Effect: EffectBlocks,
		Event:       "100 on the DC (ProtectedUserFailures-DomainController, disabled by default)",
		Remediation: protectedUsersFix(where, member),
	}
	const rule = "members cannot authenticate with NTLM where the DC that validates the logon runs Windows Server 2012 R2 or later, which refuses them with STATUS_ACCOUNT_RESTRICTION ([MS-APDS]; Microsoft, \"Protected Users Security Group\")"
	if pe.acctDom == "" || pe.tgtDom == "" || pe.untrustedForeign() {
		// No DC of the account's domain is known to validate this logon
		// (the target validates it itself, or the domain is unknown):
		// keep the refusal, the group exists to make it so.
		r.Explanation = fmt.Sprintf("%s is in Protected Users (per the inventory): %s.", pe.p.Account, rule)
		pe.add(r)
		return
	}
	dcs := pe.e.controllers(pe.acctDom)
	if !pe.tv.described() && pe.tv.isDC() && strings.EqualFold(pe.tgtDom, pe.acctDom) {
		dcs = []*hostView{pe.tv}
	}
	if len(dcs) == 0 {
		r.Effect = EffectRisk
		r.Explanation = fmt.Sprintf("%s is in Protected Users (per the inventory): %s. No DC of %s is in the inventory, so the version of the DC that validates it is unknown: at-risk rather than a guess; add the DCs to the inventory.", pe.p.Account, rule, pe.acctDom)
		pe.add(r)
		return
	}
	var refuse, old, unknown []string
	for _, dc := range dcs {
		b := dc.build()
		label := dc.name() + " (" + strings.TrimPrefix(dc.buildText(), "Windows ") + ")"
		switch {
		case b == 0:
			unknown = append(unknown, label)
		case b >= protectedUsersBuild:
			refuse = append(refuse, label)
		default:
			old = append(old, label)
		}
	}
	list := func(l []string) string { return strings.Join(l, ", ") }
	text := fmt.Sprintf("%s is in Protected Users (per the inventory): %s.", pe.p.Account, rule)
	switch {
	case len(old) == 0 && len(unknown) == 0:
		r.Explanation = text + fmt.Sprintf(" Every DC of %s in the inventory runs 2012 R2 or later: %s.", pe.acctDom, list(refuse))
	case len(refuse) == 0 && len(unknown) == 0:
		r.Effect, r.Remediation, r.Event = EffectInfo, nil, ""
		r.Explanation = text + fmt.Sprintf(" Every DC of %s in the inventory runs an earlier version (%s), so none of them refuses it; the refusal starts when a DC is upgraded, and Microsoft advises never to put service accounts in the group.", pe.acctDom, list(old))
	default:
		r.Effect = EffectRisk
		var parts []string
		if len(refuse) > 0 {
			parts = append(parts, "refused by "+list(refuse))
		}
		if len(old) > 0 {
			parts = append(parts, "not refused by "+list(old)+" (before 2012 R2)")
		}
		if len(unknown) > 0 {
			parts = append(parts, "uncertain on "+list(unknown)+" (version unknown)")
		}
		r.Explanation = text + fmt.Sprintf(" The logon is %s. The DC that validates it decides, so it may fail, intermittently as that DC changes: at-risk.", strings.Join(parts, "; "))
	}
	pe.add(r)
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
		PowerShell: AdviceCommand("Remove-ADGroupMember", Switch("-Identity"), "Protected Users", Switch("-Members"), member, Switch("-Confirm:$false")),
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
