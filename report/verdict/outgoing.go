package verdict

import (
	"fmt"
	"strings"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// checkOutgoing: check #1, the Core's "Restrict NTLM: Outgoing NTLM traffic
// to remote servers" and its exception list (Microsoft Learn's pages of
// those names; [MS-NLMP] §3.1.5.1.1).
func (pe *pathEval) checkOutgoing() {
	cv := pe.cv
	v := cv.get(facts.RestrictSendingNTLMTraffic)
	if !v.known {
		pe.unknownValue(cv, RoleClient, v, "the outgoing NTLM restriction")
		return
	}
	core := cv.name()
	switch n := v.num(0); {
	case !v.present || n == 0:
		pe.strictRisk(cv, RoleClient, v)
	case n == 1:
		if pe.e.opts.Strict {
			pe.strictRisk(cv, RoleClient, v)
			return
		}
		r := pe.settingReason(cv, RoleClient, v, EffectAudit,
			fmt.Sprintf("%s audits outgoing NTLM: the request to %s is logged, not blocked.", core, pe.p.NameUsed))
		r.Event = "8001 on " + core
		pe.add(r)
	case n == 2:
		pe.checkClientExceptions(v)
	default:
		r := pe.settingReason(cv, RoleClient, v, EffectRisk,
			fmt.Sprintf("%s has an undocumented RestrictSendingNTLMTraffic value %d; how Windows treats it is UNCONFIRMED.", core, n))
		r.Unconfirmed = true
		pe.add(r)
	}
}

func (pe *pathEval) checkClientExceptions(sending value) {
	cv := pe.cv
	core := cv.name()
	lv := cv.get(facts.ClientAllowedNTLMServers)
	if !lv.known {
		pe.unknownValue(cv, RoleClient, lv, "whether "+pe.p.NameUsed+" is an exception to Deny all")
		return
	}
	cands := pe.candidates()
	m := matchIndex(clientList, lv.idx, cands)
	switch {
	case m == nil:
		r := pe.settingReason(cv, RoleClient, sending, EffectBlocks,
			fmt.Sprintf("%s denies outgoing NTLM and its ClientAllowedNTLMServers (%s) has no entry matching %s, the name the Core uses (other names tried: %s): the client refuses before sending NTLM.",
				core, Label(facts.ClientAllowedNTLMServers, lv.raw), pe.p.NameUsed, candidateNames(cands[1:])))
		r.Event = "4001 on " + core
		r.Remediation = pe.clientExceptionFix(lv.idx, nil)
		pe.add(r)
	case m.otherName:
		r := pe.settingReason(cv, RoleClient, lv, EffectBlocks,
			fmt.Sprintf("%s denies outgoing NTLM. %s Event 4001 (blocked) or 8001 on %s shows in TargetName the exact name Windows compared.",
				core, otherNameText("ClientAllowedNTLMServers on "+core, m, pe.p.NameUsed, string(pe.p.NameForm), "the client"), core))
		r.ValueLabel = "listed under another name"
		r.Event = "4001 on " + core
		r.Remediation = pe.clientExceptionFix(lv.idx, nil)
		pe.add(r)
	case m.confirmed:
		r := pe.settingReason(cv, RoleClient, lv, EffectAllows,
			fmt.Sprintf("%s denies outgoing NTLM, but exception entry %q matches %s, the name the Core uses.", core, m.entry, m.name))
		if m.note != "" {
			r.Explanation += " " + m.note
		}
		pe.add(r)
		if pe.e.opts.Strict {
			pe.strictRisk(cv, RoleClient, sending)
		}
	default:
		r := pe.settingReason(cv, RoleClient, lv, EffectRisk,
			fmt.Sprintf("%s denies outgoing NTLM; exception entry %q matches %s, but %s. Event 4001 (blocked) or 8001 on %s shows in TargetName the exact name Windows compared.",
				core, m.entry, m.name, strings.Join(m.caveats, "; "), core))
		r.Unconfirmed = true
		r.Event = "4001 on " + core + " if it does not match"
		r.Remediation = pe.clientExceptionFix(lv.idx, m)
		pe.add(r)
	}
}

// clientExceptionFix adds one entry: the exact name the Core uses, which
// is what Windows compares ([MS-NLMP] §3.1.5.1.1: targ_name); another form
// of the same host does not match it, so listing more names only widens
// the exemption. For an IP address the literal IP is that name (its
// exemption is UNCONFIRMED, see matchOne); moving to Kerberos by name is
// advice, not a change the plan makes.
func (pe *pathEval) clientExceptionFix(existing *listIndex, unconfirmed *exceptionMatch) *Remediation {
	s := settingByID(facts.ClientAllowedNTLMServers)
	core, target := pe.cv.name(), pe.tv.name()
	added := missing(existing, []string{pe.p.NameUsed})
	var note []string
	if pe.p.NameForm == NameIP {
		byName := firstOr(pe.tv.inventoryFQDNs(), pe.tv.inventoryNetBIOS())
		switch {
		case pe.p.Kind == KindReplication && pe.tgtDom != "":
			// A replication target is named in the source Core's
			// replication settings, not registered as a machine.
			note = append(note, fmt.Sprintf("To stop needing NTLM instead: in the Rapid Recovery Core console on %s, change the replication target %s from %s to %s (Replication, the target Core's host name), so Kerberos is used (or register an IP SPN, %s, and set TryIPSPN=1 on %s); then remove the entry %s.",
				core, target, pe.p.NameUsed, byName, AdviceCommand("setspn", Switch("-S"), "HOST/"+pe.p.NameUsed, pe.tv.inventoryNetBIOS()), core, pe.p.NameUsed))
		case pe.tgtDom != "":
			note = append(note, fmt.Sprintf("To stop needing NTLM instead: re-register %s in the Rapid Recovery Core on %s as %s, so Kerberos is used (or register an IP SPN, %s, and set TryIPSPN=1 on %s); then remove the entry %s.",
				target, core, byName, AdviceCommand("setspn", Switch("-S"), "HOST/"+pe.p.NameUsed, pe.tv.inventoryNetBIOS()), core, pe.p.NameUsed))
		default:
			note = append(note, fmt.Sprintf("The %s %s is not domain-joined, so NTLM stays required whatever name the Core uses.", pe.targetNoun(), target))
		}
		note = append(note, fmt.Sprintf("Whether an IP-address entry (%s) exempts a path is UNCONFIRMED: Microsoft documents FQDN and NetBIOS names; field reports show it working when the application targets that IP.", pe.p.NameUsed))
	} else {
		note = append(note, fmt.Sprintf("Add the exact name the Core uses (%s): Windows compares the name the application uses, not another form of it.", pe.p.NameUsed))
	}
	if unconfirmed != nil && pe.p.NameForm != NameIP {
		note = append(note, fmt.Sprintf("The existing entry %q matches only in an UNCONFIRMED way (%s).",
			unconfirmed.entry, strings.Join(unconfirmed.caveats, "; ")))
	}
	note = append(note, "If a GPO sets this list, add the entries there: a local change is overwritten at the next policy refresh.",
		"Event 8001/4001 on "+core+" shows in TargetName the exact name Windows compares.")
	r := &Remediation{
		Host: core, Setting: s.Name, SettingID: s.ID, Value: strings.Join(added, ", "), Add: added,
		GPOPath: gpoPath(s), Note: strings.Join(note, " "),
	}
	if len(added) > 0 {
		r.PowerShell = psAddMultiString(s, added, false)
	} else {
		r.Value = pe.p.NameUsed + " is listed; see the note"
	}
	return r
}

func firstOr(list []string, def string) string {
	if len(list) > 0 {
		return list[0]
	}
	return def
}

func candidateNames(cands []candidate) string {
	names := make([]string, len(cands))
	for i, c := range cands {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

// strictRisk implements Options.Strict: Quest observed NTLM denied unless
// the Restrict NTLM policies were explicitly "Allow all" (Quest KB 4033596),
// so an absent, audit or deny-with-exception value is at-risk.
func (pe *pathEval) strictRisk(hv *hostView, role string, v value) {
	if !pe.e.opts.Strict {
		return
	}
	n := v.num(0)
	if v.present && n == 0 {
		return
	}
	allow := map[string]string{
		lower(facts.RestrictSendingNTLMTraffic):   "Allow all",
		lower(facts.RestrictReceivingNTLMTraffic): "Allow all",
		lower(facts.RestrictNTLMInDomain):         "Disable",
	}[lower(v.setting.ID)]
	r := pe.settingReason(hv, role, v, EffectRisk,
		fmt.Sprintf("Strict mode: %s on %s is %q, not an explicit %q. Quest KB 4033596 (\"NTLM and pass-through authentication\") observed NTLM denied unless these policies were explicitly set to allow; values left in the registry by an earlier GPO persist (Microsoft, \"Security policy settings\": persistence in security settings).",
			v.setting.Name, hv.name(), Label(v.setting.ID, v.raw), allow))
	if !v.present && hv.scanned {
		// "Not defined = allow" is what today's builds do; Microsoft has
		// announced NTLM off by default for future builds.
		r.Explanation += fmt.Sprintf(" Not defined means %q on %s as scanned (%s); Microsoft has announced NTLM off by default for future Windows builds.", allow, hv.name(), hv.buildText())
	}
	if !v.present || n == 1 && lower(v.setting.ID) == lower(facts.RestrictSendingNTLMTraffic) {
		r.Remediation = &Remediation{
			Host: hv.name(), Setting: v.setting.Name, Value: "0 (" + allow + ")",
			PowerShell: psSetDWORD(v.setting, 0, false), SettingID: v.setting.ID, Set: u64(0),
			GPOPath: gpoPath(v.setting),
			Note:    "Set it explicitly to \"" + allow + "\" in the GPO that applies to " + hv.name() + "; a local value is overwritten by a GPO that defines the setting.",
		}
	}
	pe.add(r)
}
