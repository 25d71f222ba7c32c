package verdict

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// pathEval holds the state of one path's evaluation.
type pathEval struct {
	e       *engine
	p       Path
	core    *inventory.Core
	cv, tv  *hostView // Core and target
	acct    inventory.Account
	acctDom string // DNS domain of the account ("" for local accounts)
	tgtDom  string // DNS domain of the target ("" = workgroup)
	// unreachable is the index of the reachability reason when the Core's
	// probe failed, else -1.
	unreachable int
	// notedHosts avoids repeating "host not scanned" for every check.
	notedHosts map[*hostView]bool
}

func (e *engine) evalPath(core *inventory.Core, kind Kind, target *inventory.Host, nameUsed string, port int, share string, acct inventory.Account) Path {
	pe := &pathEval{
		e: e, core: core, cv: e.view(core.Host), tv: e.view(target), acct: acct,
		unreachable: -1, notedHosts: map[*hostView]bool{},
	}
	pe.p = Path{
		Core: core.Host.Name, Target: target.Name, Kind: kind, Share: share,
		NameUsed: nameUsed, Port: port, Account: accountLabel(acct, core),
	}
	pe.p.NameForm = pe.classifyName()
	pe.acctDom = e.accountDomain(acct, core)
	pe.tgtDom = e.hostDomain(pe.tv)

	pe.checkReachability()
	pe.decideNeed()
	pe.noteReplication()
	if !pe.cv.scanned {
		pe.hostUnknown(pe.cv, RoleClient)
	}
	// The rules run in pathRules' order (rules.go): client restrictions, then
	// the server, then the DCs, then the protocol-level and identity
	// checks. The check functions cite these numbers:
	//  #1 the Core's outgoing restriction and its exceptions;
	//  #2 the Core's SMB client Block NTLM and its exceptions;
	//  #3 the Core's NtlmMinClientSec;
	//  #4 the Core's LmCompatibilityLevel (what it sends);
	//  #5 the target's incoming restriction;
	//  #6 the target's NtlmMinServerSec;
	//  #7 RestrictNTLMInDomain on the DCs of the target's domain
	//     (pass-through, with DCAllowedNTLMServers);
	//  #8 RestrictNTLMInDomain on the DCs of the account's domain;
	//  #9 Protected Users;
	//  #10 authentication policies (ntlmscan does not read them);
	//  #11 LmCompatibilityLevel of the authority that validates the account.
	// Sources: Microsoft Learn's "Network security: Restrict NTLM: ..."
	// policy pages, "Network security: LAN Manager authentication level",
	// "Network security: Minimum session security for NTLM SSP based
	// (including secure RPC) clients/servers", "Block NTLM connections on SMB",
	// "Protected Users Security Group", and [MS-NLMP] and [MS-APDS] §3.1.5
	// for the order on the client and on the DC.
	for _, r := range e.rules {
		r.check(pe)
	}

	// The settings' verdict, then the evidence (evidence.go), which may
	// make a fallback-only path NTLM-required or add an observed block.
	registry := pe.p
	decide(&registry, pe.unreachable)
	pe.applyEvidence(registry.Verdict)
	pe.markFallbackBlocks()
	decide(&pe.p, pe.unreachable)
	if ev := pe.p.Evidence; ev != nil {
		if ev.State == EvidenceKerberosVerified && pe.p.Need == NeedFallback {
			decideWithKerberos(&pe.p, pe.unreachable)
		}
		if pe.p.Verdict != registry.Verdict {
			ev.RegistryVerdict = registry.Verdict
		}
		if len(ev.Events) == 0 && (registry.Verdict == OK || registry.Verdict.Blocking()) && pe.p.Verdict == registry.Verdict {
			pe.p.Evidence = nil // plainly ok or blocked by the settings
		}
	}
	if pe.p.Reasons == nil {
		pe.p.Reasons = []Reason{}
	}
	return pe.p
}

func accountLabel(a inventory.Account, core *inventory.Core) string {
	if a.Kind == inventory.AccountLocalSystem {
		return fmt.Sprintf("LocalSystem (%s$)", netbiosOfHost(core.Host))
	}
	return a.Name
}

func netbiosOfHost(h *inventory.Host) string {
	return (&hostView{host: h}).netbios()
}

// add appends a reason and returns its index.
func (pe *pathEval) add(r Reason) int {
	pe.p.Reasons = append(pe.p.Reasons, r)
	return len(pe.p.Reasons) - 1
}

// domainAccount reports an account a DC validates (a domain account or the
// Core's computer account).
func (pe *pathEval) domainAccount() bool {
	return pe.acct.Kind != inventory.AccountLocal && pe.acctDom != ""
}

// hostUnknown records once per path that a needed host has no facts.
func (pe *pathEval) hostUnknown(hv *hostView, role string) {
	if pe.notedHosts[hv] {
		return
	}
	pe.notedHosts[hv] = true
	r := Reason{
		Host: hv.name(), Role: role, Setting: SettingScan, RawValue: "not scanned", ValueLabel: hv.notScannedWhy(),
		Effect: EffectUnknown,
		Explanation: fmt.Sprintf("%s could not be scanned (%s), so the settings this path depends on there are unknown.",
			hv.name(), hv.notScannedWhy()),
	}
	if hv.result != nil && hv.result.Error != nil && hv.result.Error.Hint != "" {
		r.Explanation += " To scan it: " + hv.result.Error.Hint + "."
	}
	pe.add(r)
}

// unknownValue records a value this path depends on that is unknown.
func (pe *pathEval) unknownValue(hv *hostView, role string, v value, what string) {
	if !hv.scanned && !v.assumed {
		pe.hostUnknown(hv, role)
		return
	}
	r := pe.settingReason(hv, role, v, EffectUnknown,
		fmt.Sprintf("%s on %s is unknown (%s), so %s cannot be verified.", v.setting.Name, hv.name(), v.why, what))
	pe.add(r)
}

// settingReason builds a reason about one registry value.
func (pe *pathEval) settingReason(hv *hostView, role string, v value, effect Effect, explanation string) Reason {
	return settingReason(hv.name(), role, v, effect, explanation)
}

func settingReason(host, role string, v value, effect Effect, explanation string) Reason {
	r := Reason{Host: host, Role: role, Effect: effect, Explanation: explanation}
	if v.setting != nil && v.host != nil {
		r.srcHost, r.srcSetting = v.host, v.setting
	}
	if v.setting != nil {
		r.Setting = v.setting.Name
		r.GPOName = v.setting.GPOName
		switch {
		case v.known && v.present && v.setting.Type == facts.RegMultiSZ:
			// A list is referenced, not copied: its entries stay once in
			// the host's facts (Host + Setting), however many paths cite
			// it; renderers show it capped.
			r.RawValue = "[" + strconv.Itoa(len(v.list)) + " entries]"
			r.ValueLabel = valueLabel(v.setting, v.raw)
			r.ValueInFacts = true
		case v.known:
			r.RawValue = rawValue(v.setting, v.raw)
			r.ValueLabel = valueLabel(v.setting, v.raw)
		default:
			r.RawValue = "unknown"
			r.ValueLabel = v.why
		}
	}
	switch {
	case v.assumed:
		r.Explanation += " (What-if: value assumed by the overlay on a host that was not scanned.)"
	case v.whatIf:
		r.Explanation += " (What-if: value from the overlay.)"
	}
	return r
}

// classifyName says how the Core names the target. The NetBIOS name is the
// host's own (scanned) NetBIOS name, not the first label of its FQDN: the
// two can differ, and only the real one is the NetBIOS form.
func (pe *pathEval) classifyName() NameForm {
	name := pe.p.NameUsed
	switch {
	case isIPAddress(name):
		return NameIP
	case containsFold(pe.tv.fqdns(), name):
		return NameFQDN
	case strings.EqualFold(name, pe.tv.netbios()):
		return NameNetBIOS
	case len(pe.tv.fqdns()) == 0 && strings.Contains(name, ".") &&
		strings.EqualFold(strings.SplitN(name, ".", 2)[0], pe.tv.netbios()):
		// The inventory gives no FQDN, but host.domain is the usual form.
		return NameFQDN
	}
	return NameOther
}

// candidates are the names under which exception lists may list the
// target: the name the Core uses first (the one compared), then the other
// forms (FQDN, NetBIOS name, the first DNS label when it is not the
// NetBIOS name, the address), which only ever explain a miss.
func (pe *pathEval) candidates() []candidate {
	out := []candidate{{name: pe.p.NameUsed, form: pe.p.NameForm, primary: true}}
	return pe.otherNames(out)
}

// otherNames appends the target's name forms not yet in out.
func (pe *pathEval) otherNames(out []candidate) []candidate {
	add := func(n string, f NameForm) {
		if n == "" {
			return
		}
		for _, c := range out {
			if strings.EqualFold(c.name, n) {
				return
			}
		}
		out = append(out, candidate{name: n, form: f})
	}
	for _, f := range pe.tv.fqdns() {
		add(f, NameFQDN)
	}
	add(pe.tv.netbios(), NameNetBIOS)
	for _, f := range pe.tv.fqdns() {
		if label, _, ok := strings.Cut(f, "."); ok {
			add(label, NameOther)
		}
	}
	if a := pe.tv.host.Address; isIPAddress(a) {
		add(a, NameIP)
	}
	return out
}

// checkReachability reads the Core's probe for the exact name used.
func (pe *pathEval) checkReachability() {
	pe.p.Reachable = ReachUnknown
	if !pe.cv.scanned {
		return // the Core's unknown reason covers it
	}
	name, port := pe.p.NameUsed, pe.p.Port
	base := Reason{Host: pe.cv.name(), Role: RolePath, Setting: SettingReachability}
	pr := pe.cv.resp.Probe(name)
	if pr == nil {
		r := base
		r.RawValue, r.ValueLabel, r.Effect = "not probed", "not measured", EffectInfo
		r.Explanation = fmt.Sprintf("%s did not probe %s, so reachability is not measured.", pe.cv.name(), name)
		pe.add(r)
		return
	}
	diag := &Remediation{Host: pe.cv.name(), Setting: settingNetworkPath, Value: fmt.Sprintf("TCP %d to %s", port, name)}
	if pr.DNSError != "" {
		pe.p.Reachable = ReachNo
		r := base
		r.RawValue, r.ValueLabel, r.Effect = "dns: "+pr.DNSError, "name does not resolve", EffectBlocks
		r.Explanation = fmt.Sprintf("%s cannot resolve %s (%s): the Core cannot reach the target by the name it uses.", pe.cv.name(), name, pr.DNSError)
		diag.PowerShell = AdviceCommand("Resolve-DnsName", Switch("-Name"), name)
		diag.Note = "Fix the DNS record or the name the Core uses, then scan again."
		r.Remediation = diag
		pe.unreachable = pe.add(r)
		return
	}
	pt := pr.Port(port)
	if pt == nil {
		r := base
		r.RawValue, r.ValueLabel, r.Effect = "port not probed", "not measured", EffectInfo
		r.Explanation = fmt.Sprintf("%s did not probe TCP %d on %s, so reachability is not measured.", pe.cv.name(), port, name)
		pe.add(r)
		return
	}
	byAddr := pe.notePerAddress(pr, port, pt.Open)
	if pt.Open {
		pe.p.Reachable = ReachYes
		return
	}
	pe.p.Reachable = ReachNo
	r := base
	r.RawValue = fmt.Sprintf("tcp/%d %s", port, orDefault(pt.Error, "closed"))
	r.ValueLabel, r.Effect = "not reachable", EffectBlocks
	r.Explanation = fmt.Sprintf("%s cannot open TCP %d on %s (%s).", pe.cv.name(), port, name, orDefault(pt.Error, "closed"))
	if byAddr != "" {
		r.Explanation += " Every address it resolves to was tried: " + byAddr + "."
	}
	diag.PowerShell = AdviceCommand("Test-NetConnection", Switch("-ComputerName"), name, Switch("-Port"), port)
	diag.Note = fmt.Sprintf("Run it on %s. Open the firewall or start the service listening on TCP %d, then scan again.", pe.cv.name(), port)
	r.Remediation = diag
	pe.unreachable = pe.add(r)
}

// settingNetworkPath names the diagnostic fix of an unreachable path.
const settingNetworkPath = "network path"

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// markFallbackBlocks explains, on every blocking reason of a path where NTLM
// is only a fallback, why the path is at-risk rather than blocked.
func (pe *pathEval) markFallbackBlocks() {
	if pe.p.Need == NeedRequired {
		return
	}
	suffix := " NTLM is only a fallback on this path: it works while Kerberos works, and fails whenever Negotiate falls back to NTLM."
	if pe.p.Need == NeedUnknown {
		suffix = " Whether this path needs NTLM is unknown: it fails if it uses NTLM."
	}
	for i := range pe.p.Reasons {
		if e := pe.p.Reasons[i].Effect; (e == EffectBlocks || e == EffectSuspected) && i != pe.unreachable {
			pe.p.Reasons[i].Explanation += suffix
		}
	}
}

// hostDomain is the DNS domain a host is joined to ("" = workgroup): the
// scanned identity when there is one, else the inventory.
func (e *engine) hostDomain(hv *hostView) string {
	if hv.identityKnown() {
		if !hv.resp.Identity.PartOfDomain {
			return ""
		}
		return e.canonicalDomain(hv.resp.Identity.Domain)
	}
	return e.canonicalDomain(hv.host.Domain)
}

// canonicalDomain maps a NetBIOS or DNS domain name to the inventory's DNS
// name when the inventory knows the domain.
func (e *engine) canonicalDomain(name string) string {
	if name == "" {
		return ""
	}
	if d := e.inv.DomainByName(name); d != nil {
		return d.Name
	}
	return name
}

// accountDomain is the DNS domain of the account ("" for local accounts).
func (e *engine) accountDomain(a inventory.Account, core *inventory.Core) string {
	switch a.Kind {
	case inventory.AccountLocal:
		return ""
	case inventory.AccountLocalSystem:
		if a.Domain != "" {
			return e.canonicalDomain(a.Domain)
		}
		return e.hostDomain(e.view(core.Host))
	}
	if a.Domain != "" {
		return e.canonicalDomain(a.Domain)
	}
	if i := strings.IndexByte(a.Name, '\\'); i > 0 {
		return e.canonicalDomain(a.Name[:i])
	}
	if i := strings.LastIndexByte(a.Name, '@'); i >= 0 && i < len(a.Name)-1 {
		return e.canonicalDomain(a.Name[i+1:])
	}
	return ""
}

// controllers are the inventory DCs of a domain, sorted by name, computed
// once per domain (every path of the domain asks). For a target that is
// itself a DC, the DC validates its own logons.
func (e *engine) controllers(domain string) []*hostView {
	if dcs, ok := e.dcs[lower(domain)]; ok {
		return dcs
	}
	if e.dcs == nil {
		e.dcs = map[string][]*hostView{}
	}
	dcs := e.findControllers(domain)
	e.dcs[lower(domain)] = dcs
	return dcs
}

func (e *engine) findControllers(domain string) []*hostView {
	var out []*hostView
	seen := map[*inventory.Host]bool{}
	add := func(h *inventory.Host) {
		if h != nil && !seen[h] {
			seen[h] = true
			out = append(out, e.view(h))
		}
	}
	if d := e.inv.DomainByName(domain); d != nil {
		for _, h := range d.Controllers {
			add(h)
		}
	}
	for _, h := range e.inv.Hosts {
		if h != nil && h.Role == inventory.RoleDomainController && strings.EqualFold(e.hostDomain(e.view(h)), domain) {
			add(h)
		}
	}
	sortViews(out)
	return out
}

func sortViews(v []*hostView) {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && foldCompare(v[j-1].name(), v[j].name()) > 0; j-- {
			v[j-1], v[j] = v[j], v[j-1]
		}
	}
}

// settingByID is facts.SettingByID for IDs this package knows exist (the
// built-in rules name only rows of the default table).
func settingByID(id string) *facts.Setting {
	if s := facts.SettingByID(id); s != nil {
		return s
	}
	return &facts.Setting{ID: id, Name: id}
}
