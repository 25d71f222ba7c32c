package verdict

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/report/whatif"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

const (
	// defaultAgentPort is the inventory's, the one declaration of it.
	defaultAgentPort = inventory.DefaultAgentPort
	smbPort          = 445
	// smbBlockNTLMBuild is the first OS build whose SMB client can block
	// NTLM (Windows 11 24H2 / Windows Server 2025).
	smbBlockNTLMBuild = 26100
	// ntlmV1RemovedBuild: NTLMv1 is removed starting in Windows 11,
	// version 24H2 and Windows Server 2025 (Microsoft KB5066470).
	ntlmV1RemovedBuild = 26100
)

// Evaluate builds the path matrix: one path per Core->agent link, per
// Core->repository share and per source Core->target Core replication, each with whether it needs NTLM, its verdict and
// every reason behind it. Results are matched to inventory hosts by
// HostResult.Host (case-insensitive). With an overlay, the facts are
// evaluated twice, as collected and with the overlay applied to copies, and
// each path's Before holds the first outcome. Evaluate does no I/O and never
// modifies its arguments.
func Evaluate(inv *inventory.Inventory, results []facts.HostResult, overlay *whatif.Overlay, opts Options) *Matrix {
	m := &Matrix{}
	if inv == nil {
		return m
	}
	before := newEngine(inv, results, opts)
	paths, notes := before.evaluate()
	if overlay == nil {
		m.Paths, m.HostNotes, m.Coverage = paths, notes, before.coverageList()
		m.Plan = buildPlan(before, m.Paths)
		m.Plan = append(m.Plan, auditPlan(before, m.Paths)...)
		m.UnmatchedEvents = before.unmatchedEvents()
		m.AtRiskEvidence = nilIfEmpty(m.AtRiskByEvidence())
		return m
	}
	after := newEngine(inv, results, opts)
	overlayNotes := after.applyOverlay(overlay)
	afterPaths, afterNotes := after.evaluate()
	byID := make(map[string]*Path, len(paths))
	for i := range paths {
		byID[paths[i].ID] = &paths[i]
	}
	for i := range afterPaths {
		if b := byID[afterPaths[i].ID]; b != nil {
			afterPaths[i].Before = &PathBefore{Verdict: b.Verdict, Deciding: b.Deciding}
		}
	}
	m.Paths = afterPaths
	m.HostNotes = sortNotes(append(afterNotes, overlayNotes...))
	m.Coverage = after.coverageList()
	m.Plan = buildPlan(after, m.Paths)
	m.Plan = append(m.Plan, auditPlan(after, m.Paths)...)
	m.UnmatchedEvents = after.unmatchedEvents()
	m.AtRiskEvidence = nilIfEmpty(m.AtRiskByEvidence())
	m.Overlay = overlay.Name
	m.PlanSummary = planSummary(orDefault(overlay.Name, overlay.File), m.Paths)
	return m
}

type engine struct {
	inv     *inventory.Inventory
	opts    Options
	cat     *facts.Catalogue             // the settings table (Options.Catalogue or the default)
	rules   []rule                       // pathRules, or a test's set
	results map[string]*facts.HostResult // by lower-case inventory name
	views   map[*inventory.Host]*hostView
	// coverage counts, per domain without DCs in the inventory, the path
	// checks that could not be made.
	coverage map[string]*Coverage
	dcs      map[string][]*hostView // controllers by lower-case domain
	evidence evidenceIndex          // which hosts' event groups paths claimed
}

// noteCoverage records one path check skipped for lack of DCs of domain.
func (e *engine) noteCoverage(domain string) {
	if e.coverage == nil {
		e.coverage = map[string]*Coverage{}
	}
	c := e.coverage[lower(domain)]
	if c == nil {
		c = &Coverage{Domain: domain, Note: coverageText(domain)}
		e.coverage[lower(domain)] = c
	}
	c.Paths++
}

// coverageList is the coverage gaps sorted by domain.
func (e *engine) coverageList() []Coverage {
	out := make([]Coverage, 0, len(e.coverage))
	for _, c := range e.coverage {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b Coverage) int { return foldCompare(a.Domain, b.Domain) })
	if len(out) == 0 {
		return nil
	}
	return out
}

func newEngine(inv *inventory.Inventory, results []facts.HostResult, opts Options) *engine {
	e := &engine{inv: inv, opts: opts, cat: opts.Catalogue, rules: opts.rules,
		results: map[string]*facts.HostResult{}, views: map[*inventory.Host]*hostView{}}
	if e.cat == nil {
		e.cat = facts.Default()
	}
	if e.rules == nil {
		e.rules = pathRules
	}
	for i := range results {
		r := &results[i]
		k := lower(r.Host)
		// The first result with facts wins; otherwise the first result.
		if prev, ok := e.results[k]; ok && (prev.OK() || !r.OK()) {
			continue
		}
		e.results[k] = r
	}
	return e
}

// view returns the engine's view of h, creating it on first use.
func (e *engine) view(h *inventory.Host) *hostView {
	if hv, ok := e.views[h]; ok {
		return hv
	}
	hv := newHostView(h, e.results[lower(h.Name)])
	hv.cat = e.cat
	e.views[h] = hv
	return hv
}

// evaluate computes every path and the host notes.
func (e *engine) evaluate() ([]Path, []Reason) {
	var paths []Path
	for _, core := range e.inv.Cores {
		if core == nil || core.Host == nil {
			continue
		}
		for _, link := range core.Agents {
			if link == nil {
				continue
			}
			target := link.Agent
			if target == nil {
				target = &inventory.Host{Name: link.NameUsed, Role: inventory.RoleAgent, Scan: true}
			}
			port := link.Port
			if port == 0 {
				port = defaultAgentPort
			}
			acct := link.Account
			if acct.Kind == "" && acct.Name == "" {
				acct = core.Account
			}
			paths = append(paths, withOperations(e.evalPath(core, KindAgent, target, link.NameUsed, port, "", normaliseAccount(acct)), link.Ops()))
		}
		for _, repo := range e.coreRepositories(core) {
			server := repo.ServerName()
			target := repo.Host
			if target == nil {
				target = &inventory.Host{Name: server, Role: inventory.RoleRepositoryHost, Scan: true}
			}
			acct := repo.Account
			if acct.Kind == "" && acct.Name == "" {
				acct = core.Account
			}
			paths = append(paths, withOperations(e.evalPath(core, KindShare, target, server, smbPort, repo.UNC, normaliseAccount(acct)), repo.Ops()))
		}
		paths = append(paths, e.replicationPaths(core)...)
	}
	assignIDs(paths)
	sortPaths(paths)
	return paths, e.hostNotes()
}

// coreRepositories lists the Core's shares: its own list, then any
// repository that names the Core but is missing from that list.
func (e *engine) coreRepositories(core *inventory.Core) []*inventory.Repository {
	var out []*inventory.Repository
	add := func(r *inventory.Repository) {
		if r != nil && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	for _, r := range core.Repositories {
		add(r)
	}
	for _, r := range e.inv.Repositories {
		if r != nil && slices.Contains(r.Cores, core) {
			add(r)
		}
	}
	return out
}

// normaliseAccount fills Kind for accounts the loader left untyped.
func normaliseAccount(a inventory.Account) inventory.Account {
	if a.Kind != "" {
		return a
	}
	switch n := strings.ToLower(a.Name); {
	case n == "localsystem" || n == `nt authority\system` || n == `.\localsystem` || n == "system":
		a.Kind = inventory.AccountLocalSystem
	case strings.HasPrefix(n, `.\`):
		a.Kind = inventory.AccountLocal
	default:
		a.Kind = inventory.AccountDomain
	}
	return a
}

// Reason ranks. The verdict of a path is the worst verdict any of its
// reasons asks for, in the one order Order() defines: blocked >
// blocked-suspected > unknown > at-risk > unreachable > ok. A block that
// was read outranks incomplete knowledge; unknown outranks at-risk because
// an unscanned host may hide a block; a failed TCP probe only decides when
// every NTLM check passed (the settings still need fixing once the network
// is). Among at-risk reasons a block on a fallback-only path outranks a
// mere risk, so Deciding names the setting that would block once Kerberos
// fails. Every reason stays listed.
const (
	rankOK = iota
	rankUnreachable
	rankRisk
	rankFallbackBlock
	rankUnknown
	rankSuspected
	rankBlocked
)

func reasonRank(r *Reason, need Need) int {
	switch r.Effect {
	case EffectBlocks:
		if need == NeedRequired {
			return rankBlocked
		}
		return rankFallbackBlock
	case EffectSuspected:
		if need == NeedRequired {
			return rankSuspected
		}
		return rankFallbackBlock
	case EffectUnknown:
		return rankUnknown
	case EffectRisk:
		return rankRisk
	}
	return rankOK
}

func rankVerdict(rank int) Verdict {
	switch rank {
	case rankBlocked:
		return Blocked
	case rankSuspected:
		return BlockedSuspected
	case rankUnknown:
		return Unknown
	case rankRisk, rankFallbackBlock:
		return AtRisk
	case rankUnreachable:
		return Unreachable
	}
	return OK
}

// decide sets Verdict and Deciding (the first reason, in check order, with
// the highest rank). unreachable is the index of the failed reachability
// reason, or -1.
func decide(p *Path, unreachable int) {
	best, at := rankOK, -1
	for i := range p.Reasons {
		r := reasonRank(&p.Reasons[i], p.Need)
		if i == unreachable {
			r = rankUnreachable
		}
		if r > best {
			best, at = r, i
		}
	}
	p.Verdict = rankVerdict(best)
	if at >= 0 {
		d := p.Reasons[at]
		if d.Remediation != nil {
			rem := *d.Remediation
			d.Remediation = &rem
		}
		if d.srcHost != nil {
			d.Source = d.srcHost.sourceOf(d.srcSetting)
		}
		p.Deciding = &d
	}
}

// assignIDs gives every path its stable ID. Two shares of one Core on the
// same server under the same name would collide; those IDs get the UNC path
// appended, and any remaining duplicate a counter.
func assignIDs(paths []Path) {
	count := map[string]int{}
	for i := range paths {
		p := &paths[i]
		p.ID = PathID(p.Core, p.Kind, p.Target, p.NameUsed)
		count[p.ID]++
	}
	seen := map[string]int{}
	for i := range paths {
		p := &paths[i]
		if count[p.ID] > 1 && p.Share != "" {
			p.ID += "|" + p.Share
		}
		seen[p.ID]++
		if n := seen[p.ID]; n > 1 {
			p.ID += "#" + strconv.Itoa(n)
		}
	}
}

func sortPaths(paths []Path) {
	slices.SortStableFunc(paths, func(a, b Path) int {
		return cmp.Or(
			foldCompare(a.Core, b.Core),
			cmp.Compare(a.Kind, b.Kind),
			foldCompare(a.Target, b.Target),
			foldCompare(a.NameUsed, b.NameUsed),
			foldCompare(a.Share, b.Share),
			cmp.Compare(a.ID, b.ID),
		)
	})
}

// foldCompare orders case-insensitively, then by exact bytes so the order
// is total.
func foldCompare(a, b string) int {
	return cmp.Or(cmp.Compare(strings.ToLower(a), strings.ToLower(b)), cmp.Compare(a, b))
}

// sortNotes orders host notes and drops exact duplicates.
func sortNotes(notes []Reason) []Reason {
	slices.SortStableFunc(notes, func(a, b Reason) int {
		return cmp.Or(foldCompare(a.Host, b.Host), cmp.Compare(a.Setting, b.Setting), cmp.Compare(a.Explanation, b.Explanation))
	})
	return slices.CompactFunc(notes, func(a, b Reason) bool {
		return a.Host == b.Host && a.Setting == b.Setting && a.Explanation == b.Explanation && a.Effect == b.Effect
	})
}
