package verdict

import (
	"fmt"
	"strings"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// checkSMBClient: check #2, the SMB client's "Block NTLM" on Windows 11 24H2
// / Windows Server 2025 (build >= 26100) and its exception list, for share
// paths only (NTLM-RULES.md §3.3).
func (pe *pathEval) checkSMBClient() {
	if pe.p.Kind != KindShare || !pe.cv.scanned {
		return // an unscanned Core is already an unknown reason
	}
	cv := pe.cv
	core := cv.name()
	pol := cv.get(facts.SMBBlockNTLM)
	b := cv.build()
	if b == 0 && !cv.smbCmdletHasBlockNTLM() {
		// The OS build was not reported and the cmdlet does not show the
		// feature: whether this SMB client can block NTLM is unknown, so a
		// set policy value is not evidence of "no effect".
		if pol.known && pol.present && pol.n != 0 {
			pe.add(pe.settingReason(cv, RoleClient, pol, EffectUnknown,
				fmt.Sprintf("BlockNTLM is set on %s, but its OS build was not reported, so whether its SMB client blocks NTLM (Windows 11 24H2 / Windows Server 2025, build %d and later) is unknown.", core, smbBlockNTLMBuild)))
		}
		return
	}
	if b != 0 && b < smbBlockNTLMBuild {
		if pol.known && pol.present && pol.n != 0 {
			pe.add(pe.settingReason(cv, RoleClient, pol, EffectInfo,
				fmt.Sprintf("BlockNTLM is set on %s, but its OS (build %d) predates the SMB client NTLM block (Windows 11 24H2 / Windows Server 2025, build %d), so it has no effect.", core, b, smbBlockNTLMBuild)))
		}
		return
	}
	cmdBlock, cmdKnown := cv.smbCmdletBlockNTLM()

	// Group Policy takes precedence over local configuration, and
	// Get-SmbClientConfiguration presumably reports the effective value;
	// where the cmdlet persists its setting is UNCONFIRMED (§3.3). Either
	// source saying "blocked" counts; if they disagree the block is only
	// a risk.
	var source value
	var enabled, disagree bool
	fromCmdlet := false
	switch {
	case pol.known && pol.present:
		source, enabled = pol, pol.n != 0
		disagree = cmdKnown && cmdBlock != enabled
		if !enabled && cmdKnown && cmdBlock {
			enabled, fromCmdlet = true, true
		}
	case cmdKnown:
		enabled, fromCmdlet = cmdBlock, true
		source = pol
	case pol.known: // policy absent, cmdlet output missing
		r := Reason{
			Host: core, Role: RoleClient, Setting: "BlockNTLM", GPOName: "Get-SmbClientConfiguration BlockNTLM",
			RawValue: "unknown", ValueLabel: "cmdlet output missing", Effect: EffectUnknown,
			Explanation: fmt.Sprintf("%s (build %d) supports SMB NTLM blocking; the policy value is absent but Get-SmbClientConfiguration was not collected, so whether SMB NTLM is blocked is unknown.", core, cv.build()),
		}
		pe.add(r)
		return
	default:
		pe.unknownValue(cv, RoleClient, pol, "the SMB client NTLM block")
		return
	}
	if !enabled {
		return
	}

	lv := cv.get(facts.SMBBlockNTLMServerExceptionList)
	if !lv.known {
		pe.unknownValue(cv, RoleClient, lv, "whether "+pe.p.NameUsed+" is an exception to the SMB NTLM block")
		return
	}
	cands := pe.candidates()
	m := matchIndex(smbList, lv.idx, cands)
	if m != nil && m.confirmed {
		pe.add(pe.settingReason(cv, RoleClient, lv, EffectAllows,
			fmt.Sprintf("%s's SMB client blocks NTLM, but exception entry %q matches %s, the server name of %s.", core, m.entry, m.name, pe.p.Share)))
		return
	}

	r := pe.smbBlockReason(source, fromCmdlet, cmdBlock)
	r.Explanation = fmt.Sprintf("%s's SMB client blocks NTLM (%s) and its BlockNTLMServerExceptionList (%s) has no entry matching %s, the server name in the UNC path (other names tried: %s).",
		core, r.ValueLabel, Label(facts.SMBBlockNTLMServerExceptionList, lv.raw), pe.p.NameUsed, candidateNames(cands[1:]))
	r.Event = "UNCONFIRMED which event " + core + " logs"
	r.Remediation = pe.smbExceptionFix(lv.idx)
	switch {
	case m != nil && m.otherName:
		r.Explanation = fmt.Sprintf("%s's SMB client blocks NTLM (%s). %s",
			core, r.ValueLabel, otherNameText("BlockNTLMServerExceptionList on "+core, m, pe.p.NameUsed, string(pe.p.NameForm), "the SMB client (the server name in the UNC path, INFERENCE)"))
	case m != nil:
		r.Effect, r.Unconfirmed = EffectRisk, true
		r.Explanation = fmt.Sprintf("%s's SMB client blocks NTLM (%s); exception entry %q matches %s, but %s.",
			core, r.ValueLabel, m.entry, m.name, strings.Join(m.caveats, "; "))
	case disagree:
		r.Effect, r.Unconfirmed = EffectRisk, true
		r.Explanation += fmt.Sprintf(" The policy value (%s) and Get-SmbClientConfiguration (BlockNTLM=%t) disagree; which one the SMB client honours is UNCONFIRMED.",
			Raw(facts.SMBBlockNTLM, pol.raw), cmdBlock)
	}
	pe.add(r)
}

func (pe *pathEval) smbBlockReason(pol value, fromCmdlet, cmdBlock bool) Reason {
	if fromCmdlet {
		return Reason{
			Host: pe.cv.name(), Role: RoleClient, Setting: "BlockNTLM",
			GPOName:  "Set-SmbClientConfiguration -BlockNTLM (reported by Get-SmbClientConfiguration)",
			RawValue: fmt.Sprintf("%t", cmdBlock), ValueLabel: "Get-SmbClientConfiguration BlockNTLM=true",
			Effect: EffectBlocks,
		}
	}
	return pe.settingReason(pe.cv, RoleClient, pol, EffectBlocks, "")
}

// smbExceptionFix adds the exact UNC server name (what the SMB client
// compares, INFERENCE) plus the FQDN and NetBIOS name.
func (pe *pathEval) smbExceptionFix(existing *listIndex) *Remediation {
	s := settingByID(facts.SMBBlockNTLMServerExceptionList)
	core := pe.cv.name()
	want := append([]string{pe.p.NameUsed}, pe.tv.fqdns()...)
	want = append(want, pe.tv.netbios())
	added := missing(existing, want)
	r := &Remediation{
		Host: core, Setting: s.Name, SettingID: s.ID, Value: strings.Join(added, ", "), Add: added,
		GPOPath: gpoPath(s),
		Note: fmt.Sprintf("Add the exact name the Core uses in the UNC path (%s). There is no PowerShell cmdlet for this list; the line adds to the policy key directly and a GPO that sets the list overwrites it, so prefer the GPO. For a domain-joined share host, using its FQDN in the UNC path lets Kerberos work instead. Disabling the block (Set-SmbClientConfiguration -BlockNTLM $false, policy Disabled) re-allows NTLM for every SMB server.",
			pe.p.NameUsed),
	}
	if len(added) > 0 {
		r.PowerShell = psAddMultiString(s, added, true)
	}
	return r
}
