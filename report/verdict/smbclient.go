package verdict

import (
	"fmt"
	"strings"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// checkSMBClient: check #2, the SMB client's "Block NTLM" on Windows 11 24H2
// / Windows Server 2025 (build >= 26100) and its exception list, for share
// paths only (Microsoft Learn, "Block NTLM connections on SMB" and
// Set-SmbClientConfiguration -BlockNTLM). Each of the two values is read
// from the policy key (Group Policy wins when it sets the value), else from
// the SMB client's local configuration (LanmanWorkstation\Parameters), else
// from Get-SmbClientConfiguration; the reason and the fix name the source.
func (pe *pathEval) checkSMBClient() {
	if pe.p.Kind != KindShare || !pe.cv.scanned {
		return // an unscanned Core is already an unknown reason
	}
	cv := pe.cv
	core := cv.name()
	pol := cv.get(facts.SMBBlockNTLM)
	loc := cv.get(facts.SMBBlockNTLMLocal)
	set := func(v value) bool { return v.known && v.present && v.n != 0 }
	b := cv.build()
	if b == 0 && !cv.smbCmdletHasBlockNTLM() {
		// The OS build was not reported and the cmdlet does not show the
		// feature: whether this SMB client can block NTLM is unknown, so a
		// set value is not evidence of "no effect".
		for _, v := range []value{pol, loc} {
			if set(v) {
				pe.add(pe.settingReason(cv, RoleClient, v, EffectUnknown,
					fmt.Sprintf("BlockNTLM is set on %s (%s), but its OS build was not reported, so whether its SMB client blocks NTLM (Windows 11 24H2 / Windows Server 2025, build %d and later) is unknown.", core, v.setting.Key, smbBlockNTLMBuild)))
				return
			}
		}
		return
	}
	if b != 0 && b < smbBlockNTLMBuild {
		for _, v := range []value{pol, loc} {
			if set(v) {
				pe.add(pe.settingReason(cv, RoleClient, v, EffectInfo,
					fmt.Sprintf("BlockNTLM is set on %s (%s), but its OS (build %d) predates the SMB client NTLM block (Windows 11 24H2 / Windows Server 2025, build %d), so it has no effect.", core, v.setting.Key, b, smbBlockNTLMBuild)))
				return
			}
		}
		return
	}
	cmdBlock, cmdKnown := cv.smbCmdletBlockNTLM()

	// The effective value and where it comes from. Where the cmdlet
	// persists its setting is UNCONFIRMED: when it disagrees with
	// the registry value that decides, the block is only a risk.
	var source value
	var enabled, fromCmdlet bool
	switch {
	case pol.known && pol.present:
		source, enabled = pol, pol.n != 0
	case !pol.known:
		pe.unknownValue(cv, RoleClient, pol, "the SMB client NTLM block")
		return
	case loc.known && loc.present:
		source, enabled = loc, loc.n != 0
	case cmdKnown:
		enabled, fromCmdlet = cmdBlock, true
	case loc.known: // both values absent, cmdlet output missing
		r := Reason{
			Host: core, Role: RoleClient, Setting: "BlockNTLM", GPOName: "Get-SmbClientConfiguration BlockNTLM",
			RawValue: "unknown", ValueLabel: "cmdlet output missing", Effect: EffectUnknown,
			Explanation: fmt.Sprintf("%s (build %d) supports SMB NTLM blocking; BlockNTLM is absent under %s and %s, but Get-SmbClientConfiguration was not collected, so whether SMB NTLM is blocked is unknown.", core, cv.build(), pol.setting.Key, loc.setting.Key),
		}
		pe.add(r)
		return
	default:
		pe.unknownValue(cv, RoleClient, loc, "the SMB client NTLM block")
		return
	}
	disagree := !fromCmdlet && cmdKnown && cmdBlock != enabled
	if !enabled && !disagree {
		return
	}

	list, listSrc, ok := pe.smbExceptionList(pol, loc)
	if !ok {
		return
	}
	cands := pe.candidates()
	idx := listSrc.idx
	if idx == nil {
		idx = newListIndex(list)
	}
	m := matchIndex(smbList, idx, cands)
	if m != nil && m.confirmed {
		r := Reason{Host: core, Role: RoleClient, Setting: "BlockNTLMServerExceptionList", GPOName: "Get-SmbClientConfiguration BlockNTLMServerExceptionList",
			RawValue: fmt.Sprintf("[%d entries]", len(list)), ValueLabel: "reported by the cmdlet"}
		if listSrc.setting != nil {
			r = pe.settingReason(cv, RoleClient, listSrc, EffectAllows, "")
		}
		r.Effect = EffectAllows
		r.Explanation = fmt.Sprintf("%s's SMB client blocks NTLM, but exception entry %q (%s) matches %s, the server name of %s.", core, m.entry, listSource(listSrc), m.name, pe.p.Share)
		if m.form == NameIP {
			r.Explanation += " The list documents IP addresses, NetBIOS names and FQDNs as entries (Microsoft, \"Block NTLM connections on SMB\"), so an exact IP entry exempts a UNC path by that IP."
		}
		pe.add(r)
		return
	}

	r := pe.smbBlockReason(source, fromCmdlet, cmdBlock)
	blockFrom := "Get-SmbClientConfiguration"
	if !fromCmdlet {
		blockFrom = source.setting.Key
	}
	listText := "(none)"
	if len(list) > 0 {
		listText = capList(list)
	}
	r.Explanation = fmt.Sprintf("%s's SMB client blocks NTLM (%s, from %s) and the BlockNTLMServerExceptionList in effect (%s) %s has no entry matching %s, the server name in the UNC path (other names tried: %s).",
		core, r.ValueLabel, blockFrom, listSource(listSrc), listText, pe.p.NameUsed, candidateNames(cands[1:]))
	r.Event = "UNCONFIRMED which event " + core + " logs"
	r.Remediation = pe.smbExceptionFix(idx, listSrc, blockFrom)
	switch {
	case m != nil && m.otherName:
		r.Explanation = fmt.Sprintf("%s's SMB client blocks NTLM (%s, from %s). %s",
			core, r.ValueLabel, blockFrom, otherNameText("The BlockNTLMServerExceptionList in effect ("+listSource(listSrc)+")", m, pe.p.NameUsed, string(pe.p.NameForm), "the SMB client (the server name in the UNC path, INFERENCE)"))
	case m != nil:
		r.Effect, r.Unconfirmed = EffectRisk, true
		r.Explanation = fmt.Sprintf("%s's SMB client blocks NTLM (%s, from %s); exception entry %q matches %s, but %s.",
			core, r.ValueLabel, blockFrom, m.entry, m.name, strings.Join(m.caveats, "; "))
	case disagree:
		r.Effect, r.Unconfirmed = EffectRisk, true
		r.Explanation += fmt.Sprintf(" The value in effect (%s = %s) and Get-SmbClientConfiguration (BlockNTLM=%t) disagree; which one the SMB client honours is UNCONFIRMED.",
			source.setting.Key, Raw(source.setting.ID, source.raw), cmdBlock)
	}
	pe.add(r)
}

// smbExceptionList is the BlockNTLMServerExceptionList in effect: the
// policy value when present, else the local configuration's, else the
// cmdlet's property. src is the registry value it came from (its setting
// is nil for the cmdlet; for "no list anywhere" it is the absent policy
// value). ok is false when an unknown value was reported instead.
func (pe *pathEval) smbExceptionList(pol, loc value) (list []string, src value, ok bool) {
	cv := pe.cv
	lp := cv.get(facts.SMBBlockNTLMServerExceptionList)
	ll := cv.get(facts.SMBBlockNTLMServerExceptionListLocal)
	what := "whether " + pe.p.NameUsed + " is an exception to the SMB NTLM block"
	switch {
	case !lp.known:
		pe.unknownValue(cv, RoleClient, lp, what)
		return nil, lp, false
	case lp.present:
		return lp.list, lp, true
	case !ll.known:
		pe.unknownValue(cv, RoleClient, ll, what)
		return nil, ll, false
	case ll.present:
		return ll.list, ll, true
	}
	if c := cv.resp.SMBClient; c != nil && c.Error == "" && c.Available && c.BlockNTLMServerExceptionList != nil {
		return c.BlockNTLMServerExceptionList, value{known: true, present: true, list: c.BlockNTLMServerExceptionList}, true
	}
	return nil, lp, true
}

// listSource names where the exception list in effect was read.
func listSource(v value) string {
	switch {
	case v.setting == nil:
		return "Get-SmbClientConfiguration"
	case !v.present:
		return "not configured under " + v.setting.Key + " nor in the local configuration"
	}
	return v.setting.Key
}

// capList prints a list, cut after 20 entries with a count.
func capList(list []string) string {
	const max = 20
	if len(list) <= max {
		return strings.Join(list, ", ")
	}
	return fmt.Sprintf("%s, … (%d more)", strings.Join(list[:max], ", "), len(list)-max)
}

func (pe *pathEval) smbBlockReason(src value, fromCmdlet, cmdBlock bool) Reason {
	if fromCmdlet {
		return Reason{
			Host: pe.cv.name(), Role: RoleClient, Setting: "BlockNTLM",
			GPOName:  "Set-SmbClientConfiguration -BlockNTLM (reported by Get-SmbClientConfiguration)",
			RawValue: fmt.Sprintf("%t", cmdBlock), ValueLabel: "Get-SmbClientConfiguration BlockNTLM=true",
			Effect: EffectBlocks,
		}
	}
	return pe.settingReason(pe.cv, RoleClient, src, EffectBlocks, "")
}

// smbExceptionFix adds the UNC server name (what the SMB client compares,
// INFERENCE), one exact entry, to the list in effect, written
// where that list lives: the local configuration when it decides,
// otherwise the policy key (which overrides the local list, so it carries
// every entry in effect).
func (pe *pathEval) smbExceptionFix(existing *listIndex, src value, blockFrom string) *Remediation {
	s := settingByID(facts.SMBBlockNTLMServerExceptionList)
	if src.setting != nil && src.present && src.setting.ID == facts.SMBBlockNTLMServerExceptionListLocal {
		s = src.setting
	}
	core := pe.cv.name()
	want := []string{pe.p.NameUsed}
	// The line adds to the list at the key it writes. When the list in
	// effect lives elsewhere (the cmdlet's local list while the fix writes
	// the policy key, which then replaces it), its entries are carried over.
	have := existing
	if src.setting == nil || src.setting.ID != s.ID {
		have = pe.cv.get(s.ID).idx
		if existing != nil {
			want = append(append([]string(nil), existing.entries...), want...)
		}
	}
	added := missing(have, want)
	note := fmt.Sprintf("Add the exact name the Core uses in the UNC path (%s). BlockNTLM comes from %s. There is no PowerShell cmdlet for the exception list; the line adds to %s directly", pe.p.NameUsed, blockFrom, s.Key)
	if s.ID == facts.SMBBlockNTLMServerExceptionList {
		note += " and a GPO that sets the list overwrites it, so prefer the GPO"
	} else {
		note += " (the SMB client's local configuration; a policy list, if one is ever set, replaces it)"
	}
	note += fmt.Sprintf(". The SMB client compares the server name used in the UNC path (%s, INFERENCE). For a domain-joined share host, using its FQDN in the UNC path lets Kerberos work instead. Disabling the block (Set-SmbClientConfiguration -BlockNTLM $false, policy Disabled) re-allows NTLM for every SMB server.",
		pe.p.NameUsed)
	r := &Remediation{
		Host: core, Setting: s.Name, SettingID: s.ID, Value: strings.Join(added, ", "), Add: added,
		GPOPath: gpoPath(s), Note: note,
	}
	if len(added) > 0 {
		r.PowerShell = psAddMultiString(s, added, true)
	}
	return r
}
