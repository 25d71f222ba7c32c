package verdict

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// dcRule is what one RestrictNTLMInDomain value does to this logon.
type dcRule int

const (
	ruleNone        dcRule = iota // does not apply to this logon
	ruleBlocks                    // denies it unless the server is excepted
	ruleUnconfirmed               // undocumented or UNCONFIRMED behaviour
)

// dcCheck says which DC-side check is evaluated.
type dcCheck struct {
	resource bool // DC of the target's domain (pass-through, #7); else DC of the account's domain (#8)
	same     bool // account and target in the same domain
	selfDC   bool // the target is itself a DC and validates its own logons
	domain   string
}

// ruleFor maps a RestrictNTLMInDomain (or AuditNTLMInDomain) value to its
// effect on this logon (Microsoft Learn, "Network security: Restrict NTLM:
// NTLM authentication in this domain"; [MS-APDS] §3.1.5: the resource
// domain's and the account domain's checks). For a same-domain domain
// account every documented non-zero value denies. A DC of the target's
// domain denies another domain's account for "Deny for domain servers" (5)
// and "Deny all" (7); a DC of the account's domain denies for "Deny for
// domain accounts" (3) and "Deny all" (7). Values outside {0,1,3,5,7} are
// undocumented (the bitmask reading is INFERENCE, UNCONFIRMED).
func ruleFor(c dcCheck, n uint64) (dcRule, string) {
	documented := n == 1 || n == 3 || n == 5 || n == 7
	switch {
	case n == 0:
		return ruleNone, ""
	case !documented:
		return ruleUnconfirmed, fmt.Sprintf("value %d is undocumented (documented: 0, 1, 3, 5, 7); reading it as a bitmask is INFERENCE, UNCONFIRMED", n)
	case c.same:
		return ruleBlocks, ""
	case c.resource && (n == 5 || n == 7):
		return ruleBlocks, ""
	case c.resource:
		return ruleNone, fmt.Sprintf("value %d concerns accounts of %s, and this account is from another domain", n, c.domain)
	case n == 3 || n == 7:
		return ruleBlocks, ""
	}
	return ruleNone, fmt.Sprintf("value %d concerns servers of %s, and the target is in another domain", n, c.domain)
}

// checkPassThrough: check #7, RestrictNTLMInDomain and DCAllowedNTLMServers
// on every DC of the target's domain (each DC applies its own value; the
// one serving the target's secure channel decides).
func (pe *pathEval) checkPassThrough() {
	if !pe.domainAccount() || pe.tgtDom == "" || pe.untrustedForeign() {
		return // local accounts, workgroup targets and untrusted domains involve no DC
	}
	c := dcCheck{resource: true, same: strings.EqualFold(pe.acctDom, pe.tgtDom), domain: pe.tgtDom}
	var dcs []*hostView
	if !pe.tv.described() && pe.tv.isDC() {
		c.selfDC = true
		dcs = []*hostView{pe.tv}
	} else {
		dcs = pe.e.controllers(pe.tgtDom)
	}
	if len(dcs) == 0 {
		pe.notVerified(pe.tgtDom, "Netlogon pass-through (RestrictNTLMInDomain with DCAllowedNTLMServers on the DC serving "+pe.tv.name()+"'s secure channel)")
		return
	}
	pe.evalDCs(dcs, c)
}

// checkAccountDomain: check #8, the account-domain DCs when the account's
// domain differs from the target's.
func (pe *pathEval) checkAccountDomain() {
	if !pe.domainAccount() || pe.tgtDom == "" || strings.EqualFold(pe.acctDom, pe.tgtDom) {
		return
	}
	if pe.untrustedForeign() {
		return // no trust: the target validates locally, no DC of the account's domain is asked
	}
	dcs := pe.e.controllers(pe.acctDom)
	if len(dcs) == 0 {
		pe.notVerified(pe.acctDom, "the account-domain check (RestrictNTLMInDomain \"Deny for domain accounts\" on the DCs of "+pe.acctDom+")")
		return
	}
	pe.evalDCs(dcs, dcCheck{resource: false, domain: pe.acctDom})
}

// untrustedForeign reports a domain account from another forest with no
// trust in the inventory: the target validates it against its local
// account database and asks no DC ([MS-NLMP] footnote <78>; Microsoft
// Learn, "NTLM overview").
func (pe *pathEval) untrustedForeign() bool {
	if !pe.domainAccount() || pe.tgtDom == "" || strings.EqualFold(pe.acctDom, pe.tgtDom) {
		return false
	}
	inv := pe.e.inv
	da, ds := inv.DomainByName(pe.acctDom), inv.DomainByName(pe.tgtDom)
	return da != nil && ds != nil && !da.Implicit && !ds.Implicit &&
		!strings.EqualFold(da.ForestRoot(), ds.ForestRoot()) && !trusts(inv, da, ds)
}

// notVerified records a coverage gap: the inventory has no DC of domain,
// so a DC-side check was not made. The path's verdict stays with the hosts
// that were checked (an ok path stays ok, so a nightly --fail-on at-risk
// is not drowned in coverage gaps); --strict makes the gap at-risk. The
// gap is also listed once per domain in Matrix.Coverage.
func (pe *pathEval) notVerified(domain, what string) {
	s := settingByID(facts.RestrictNTLMInDomain)
	effect := EffectNotChecked
	if pe.e.opts.Strict {
		effect = EffectRisk
	}
	pe.add(Reason{
		Host: domain, Role: RoleDC, Setting: s.Name, GPOName: s.GPOName,
		RawValue: "not checked", ValueLabel: "no domain controller in the inventory", Effect: effect,
		Explanation: fmt.Sprintf("No domain controller of %s is in the inventory, so %s is not checked; the verdict rests on the hosts that were. %s",
			domain, what, coverageText(domain)),
	})
	pe.e.noteCoverage(domain)
}

// coverageText is the one-line coverage note for a domain without DCs in
// the inventory.
func coverageText(domain string) string {
	return "Pass-through on DCs of " + domain + " not checked: add them to the inventory (domains: " + domain + ": controllers:)."
}

// dcCandidates: a DC compares the NTLM server's name, its Netlogon
// secure-channel name, which is the target's NetBIOS name; every other form
// only explains a miss.
func (pe *pathEval) dcCandidates() []candidate {
	out := []candidate{{name: pe.tv.netbios(), form: NameNetBIOS, primary: true}}
	out = pe.otherNames(out)
	for _, c := range out {
		if strings.EqualFold(c.name, pe.p.NameUsed) {
			return out
		}
	}
	return append(out, candidate{name: pe.p.NameUsed, form: pe.p.NameForm})
}

func (pe *pathEval) evalDCs(dcs []*hostView, c dcCheck) {
	nb := pe.tv.netbios()
	var blocking []int
	var clear []string // scanned DCs that let this logon through
	for _, dc := range dcs {
		v := dc.get(facts.RestrictNTLMInDomain)
		if !v.known {
			pe.unknownValue(dc, RoleDC, v, "NTLM pass-through on "+dc.name())
			continue
		}
		n := v.num(0)
		rule, why := ruleFor(c, n)
		switch rule {
		case ruleNone:
			if n != 0 {
				pe.add(pe.settingReason(dc, RoleDC, v, EffectInfo,
					fmt.Sprintf("%s restricts NTLM in %s, but %s.", dc.name(), c.domain, why)))
			}
			pe.strictRisk(dc, RoleDC, v)
			clear = append(clear, dc.name())
			pe.domainAudit(dc, c)
			continue
		case ruleUnconfirmed:
			r := pe.settingReason(dc, RoleDC, v, EffectRisk,
				fmt.Sprintf("%s restricts NTLM in %s: %s, so whether it denies this logon is unknown.", dc.name(), c.domain, why))
			r.Unconfirmed = true
			pe.add(r)
			continue
		}
		lv := dc.get(facts.DCAllowedNTLMServers)
		if !lv.known {
			pe.unknownValue(dc, RoleDC, lv, "whether "+nb+" is excepted on "+dc.name())
			continue
		}
		m := matchIndex(dcList, lv.idx, pe.dcCandidates())
		accountCheck := addsAccountCheck(n)
		switch {
		case m == nil || m.otherName:
			var r Reason
			if m == nil {
				r = pe.settingReason(dc, RoleDC, v, EffectBlocks, pe.dcBlockText(dc, c, lv))
			} else {
				r = pe.settingReason(dc, RoleDC, lv, EffectBlocks, fmt.Sprintf("%s restricts NTLM in %s (%s). %s Event 4004 on %s shows the secure channel name it compared.",
					dc.name(), c.domain, Label(v.setting.ID, v.raw), otherNameText("DCAllowedNTLMServers on "+dc.name(), m, pe.tv.netbios(), string(NameNetBIOS), "the DC"), dc.name()))
				r.ValueLabel = "listed under another name"
			}
			r.Event = "4004 on " + dc.name()
			if c.selfDC {
				r.Event = "4003/8003 or 4004/8004 on " + dc.name() + " (UNCONFIRMED which)"
			}
			r.Remediation = pe.dcExceptionFix(dc, c, lv.idx)
			if pe.tv.described() {
				r.Effect, r.Unconfirmed = EffectRisk, true
				r.Explanation += " For a NAS joined to the domain this DC check applies with its machine name, UNCONFIRMED for specific NAS vendors."
			}
			if accountCheck {
				r.Remediation.Note += fmt.Sprintf(" Under value %d an exception entry alone leaves the logon at-risk (whether the list exempts it is UNCONFIRMED): set RestrictNTLMInDomain on %s to %d as well (a separate change in the plan).", n, dc.name(), narrowValue(n))
			}
			blocking = append(blocking, pe.add(r))
			if accountCheck {
				pe.add(pe.dcNarrowReason(dc, v, n, c))
			}
		case m.confirmed && accountCheck:
			r := pe.settingReason(dc, RoleDC, v, EffectRisk,
				fmt.Sprintf("%s restricts NTLM in %s (%s) and DCAllowedNTLMServers lists %s (entry %q), but whether the list exempts a logon under value %d is UNCONFIRMED. %s Use value %d (%s) with the exception instead.",
					dc.name(), c.domain, Label(v.setting.ID, v.raw), m.name, m.entry, n, dcListConflict(), narrowValue(n), DWORDLabel(facts.RestrictNTLMInDomain, narrowValue(n))))
			r.Unconfirmed = true
			r.Event = "4004 on " + dc.name() + " if the exception is not honoured"
			r.Remediation = pe.dcNarrowFix(dc, n, c)
			pe.add(r)
		case m.confirmed:
			// A DC of the account's domain blocks only for 3 and 7
			// (ruleFor), so a confirmed match is handled above; this
			// branch is for the resource check under 1 and 5.
			pe.add(pe.settingReason(dc, RoleDC, lv, EffectAllows,
				fmt.Sprintf("%s restricts NTLM in %s (%s), but %s is excepted by entry %q.", dc.name(), c.domain, Label(v.setting.ID, v.raw), m.name, m.entry)))
			pe.strictRisk(dc, RoleDC, v)
			clear = append(clear, dc.name())
			pe.domainAudit(dc, c)
		default:
			r := pe.settingReason(dc, RoleDC, lv, EffectRisk,
				fmt.Sprintf("%s restricts NTLM in %s (%s); entry %q matches %s, but %s.", dc.name(), c.domain, Label(v.setting.ID, v.raw), m.entry, m.name, strings.Join(m.caveats, "; ")))
			r.Unconfirmed = true
			r.Event = "4004 on " + dc.name() + " if it does not match"
			r.Remediation = pe.dcExceptionFix(dc, c, lv.idx)
			pe.add(r)
			if accountCheck {
				pe.add(pe.dcNarrowReason(dc, v, n, c))
			}
		}
	}
	if len(blocking) > 0 && len(blocking) < len(dcs) {
		pe.markIntermittent(blocking, dcs, clear, c)
	}
}

// addsAccountCheck reports the RestrictNTLMInDomain values that add the
// account-domain check ("Deny for domain accounts" 3, "Deny all" 7).
// Microsoft's texts disagree on whether DCAllowedNTLMServers exempts a
// logon from it, so an exception under these values is never taken as
// certain.
func addsAccountCheck(n uint64) bool { return n == 3 || n == 7 }

// narrowValue is the value that keeps a 3 or 7's denial of domain servers
// but drops the account-domain check: 3 -> 1, 7 -> 5.
func narrowValue(n uint64) uint64 { return n &^ 2 }

// dcListConflict names the three published sources that disagree on
// whether DCAllowedNTLMServers exempts a logon under values 3 and 7.
func dcListConflict() string {
	return "Microsoft's policy page \"Network security: Restrict NTLM: NTLM authentication in this domain\" says every Deny option honours the list; " +
		"[MS-APDS] (3.1.5, NTLM pass-through) applies the exception list to the resource-domain check only, not to the account-domain check that values 3 and 7 add; " +
		"and the Netlogon event texts of 4004/8004 (and the NTLM events 4003/8003) recommend exceptions only together with \"Deny for domain servers\" or \"Deny domain accounts to domain servers\"."
}

// dcNarrowReason goes with a 3 or 7 that blocks or only may exempt the
// target: it carries the second half of the fix, the narrower value that
// honours the exception (the plan then holds both changes).
func (pe *pathEval) dcNarrowReason(dc *hostView, v value, n uint64, c dcCheck) Reason {
	r := pe.settingReason(dc, RoleDC, v, EffectInfo,
		fmt.Sprintf("With %s at %d (%s), even an exception entry for %s leaves this logon at-risk (UNCONFIRMED): %s Use value %d (%s) together with the exception.",
			v.setting.Name, n, Label(v.setting.ID, v.raw), pe.tv.netbios(), dcListConflict(), narrowValue(n), DWORDLabel(facts.RestrictNTLMInDomain, narrowValue(n))))
	r.Remediation = pe.dcNarrowFix(dc, n, c)
	return r
}

// dcNarrowFix sets RestrictNTLMInDomain from 3 or 7 to 1 or 5 on dc.
func (pe *pathEval) dcNarrowFix(dc *hostView, n uint64, c dcCheck) *Remediation {
	s := settingByID(facts.RestrictNTLMInDomain)
	to := narrowValue(n)
	nb := pe.tv.netbios()
	note := fmt.Sprintf("Value %d (%s) keeps denying NTLM pass-through to the servers of %s unless they are in DCAllowedNTLMServers, which it honours; keep %s in that list. It drops the account-domain check of value %d: accounts of %s are no longer denied NTLM toward servers outside the domain; if that denial is required, make this path use Kerberos instead. Set it in the GPO that sets \"Restrict NTLM: NTLM authentication in this domain\" for the Domain Controllers OU, so every DC of %s carries the same value.",
		to, DWORDLabel(s.ID, to), c.domain, nb, n, c.domain, c.domain)
	if !c.resource {
		note = fmt.Sprintf("Value %d (%s) on the DCs of the account's domain %s no longer denies its accounts NTLM toward servers of other domains such as %s (%s), so no exception entry is needed there; it keeps denying NTLM to the servers of %s unless they are listed. Set it in the GPO that sets \"Restrict NTLM: NTLM authentication in this domain\" for the Domain Controllers OU, so every DC of %s carries the same value.",
			to, DWORDLabel(s.ID, to), c.domain, pe.tv.name(), pe.tgtDom, c.domain, c.domain)
	}
	return &Remediation{
		Host: dc.name(), Setting: s.Name, Value: fmt.Sprintf("%d (%s)", to, DWORDLabel(s.ID, to)),
		PowerShell: psSetDWORD(s, to, false), GPOPath: gpoPath(s), SettingID: s.ID, Set: u64(to), Note: note,
	}
}

func (pe *pathEval) dcBlockText(dc *hostView, c dcCheck, lv value) string {
	list := "(" + Label(facts.DCAllowedNTLMServers, lv.raw) + ")"
	nb := pe.tv.netbios()
	switch {
	case c.selfDC:
		return fmt.Sprintf("%s is itself a domain controller and restricts NTLM in %s; DCAllowedNTLMServers %s does not list %s.", dc.name(), c.domain, list, nb)
	case c.resource:
		return fmt.Sprintf("%s denies NTLM pass-through in %s and DCAllowedNTLMServers %s does not list %s, the NetBIOS name %s passes through as.", dc.name(), c.domain, list, nb, pe.tv.name())
	}
	return fmt.Sprintf("%s, a DC of the account's domain %s, denies NTLM for its domain accounts; DCAllowedNTLMServers %s does not list %s (and whether the list applies to this check is UNCONFIRMED).", dc.name(), c.domain, list, nb)
}

// markIntermittent turns a block by some but not all DCs into a risk: the
// result depends on the DC that serves the request (each DC applies its
// own value), so failures are intermittent. Only when every DC of the
// domain blocks is the path blocked.
func (pe *pathEval) markIntermittent(blocking []int, dcs []*hostView, clear []string, c dcCheck) {
	which := "which DC serves " + pe.tv.name() + "'s Netlogon secure channel (" + AdviceCommand("nltest", "/sc_query:"+c.domain) + " on " + pe.tv.name() + ")"
	if !c.resource {
		which = "which DC of " + c.domain + " handles the forwarded logon"
	}
	// The other DCs either let the logon through (clear) or were not
	// read or match only in an UNCONFIRMED way (neither blocks for sure).
	isBlocking := map[string]bool{}
	for _, i := range blocking {
		isBlocking[pe.p.Reasons[i].Host] = true
	}
	var unsure []string
	for _, dc := range dcs {
		if n := dc.name(); !isBlocking[n] && !slices.Contains(clear, n) {
			unsure = append(unsure, n)
		}
	}
	var parts []string
	switch {
	case len(clear) == 1:
		parts = append(parts, clear[0]+" does not block this logon")
	case len(clear) > 1:
		parts = append(parts, strings.Join(clear, ", ")+" do not block this logon")
	}
	if len(unsure) > 0 {
		parts = append(parts, "whether "+strings.Join(unsure, ", ")+" blocks it is not certain")
	}
	others := strings.Join(parts, "; ")
	for _, i := range blocking {
		r := &pe.p.Reasons[i]
		if r.Effect == EffectBlocks {
			r.Effect = EffectRisk
		}
		r.Explanation += fmt.Sprintf(" %s is one of %d domain controllers of %s; %s. The result depends on %s, so failures are intermittent and move when that DC changes: at-risk, blocked only when every DC blocks.",
			r.Host, len(dcs), c.domain, others, which)
	}
}

func (pe *pathEval) dcExceptionFix(dc *hostView, c dcCheck, existing *listIndex) *Remediation {
	s := settingByID(facts.DCAllowedNTLMServers)
	nb := pe.tv.netbios()
	added := missing(existing, []string{nb})
	note := fmt.Sprintf("DCAllowedNTLMServers takes NetBIOS names: add the exact name each server passes through as, its NetBIOS computer name (the DC compares the server's Netlogon secure-channel name: [MS-NRPC] 3.5.4.5.2, [MS-APDS] 3.1.5.2). Add them in the GPO that sets \"Restrict NTLM: NTLM authentication in this domain\" for the Domain Controllers OU (often the Default Domain Controllers Policy), so every DC of %s carries the same list; a local change on %s is overwritten at the next policy refresh.",
		c.domain, dc.name())
	if !c.resource {
		note += fmt.Sprintf(" Whether this list is honoured for the account-domain check is UNCONFIRMED; alternatively use an account from %s.", pe.tgtDom)
	}
	if !pe.tv.netbiosReported() {
		note += fmt.Sprintf(" %s was not scanned, so its NetBIOS name %s is taken from the inventory (which derives it from the FQDN when not given): confirm it on the host (hostname, or nltest /sc_query on it) before adding it.", pe.tv.name(), nb)
	}
	r := &Remediation{
		Host: dc.name(), Setting: s.Name, SettingID: s.ID, Value: strings.Join(added, ", "), Add: added,
		GPOPath: gpoPath(s), Note: note,
	}
	if len(added) > 0 {
		r.PowerShell = psAddMultiString(s, added, false)
	}
	return r
}

// domainAudit notes AuditNTLMInDomain when it would log this logon.
func (pe *pathEval) domainAudit(dc *hostView, c dcCheck) {
	a := dc.get(facts.AuditNTLMInDomain)
	if !a.known || !a.present || a.n == 0 {
		return
	}
	if rule, _ := ruleFor(c, a.n); rule != ruleBlocks {
		return
	}
	r := pe.settingReason(dc, RoleDC, a, EffectAudit,
		fmt.Sprintf("%s audits NTLM in %s: this logon is logged, not blocked.", dc.name(), c.domain))
	r.Event = "8004 on " + dc.name()
	pe.add(r)
}
