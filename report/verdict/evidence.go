package verdict

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// Evidence per path: what the hosts' NTLM operational logs and the KDC say
// actually happens on a path, next to what the registry says may happen.
// Microsoft's own rollout is audit first, then deny; the registry alone
// cannot tell an admin whether a fallback-only path really uses NTLM.

// EvidenceState is what the evidence shows for one path.
type EvidenceState string

const (
	// EvidenceBlockedObserved: Windows logged a refusal for this path
	// (4001-4004, 4010/4011, 4025): the path is blocked whatever the
	// registry says, and the report shows both.
	EvidenceBlockedObserved EvidenceState = "blocked-observed"
	// EvidenceNTLMObserved: NTLM is in use on this path (8001-8004 audit,
	// 4020-4024 enhanced auditing, 4013): it is not "only a fallback".
	EvidenceNTLMObserved EvidenceState = "ntlm-observed"
	// EvidenceSPNMissing: the KDC knows no account with the path's SPN, so
	// Negotiate falls back to NTLM and the path fails once NTLM is
	// restricted.
	EvidenceSPNMissing EvidenceState = "spn-missing"
	// EvidenceKerberosRC4: the KDC issues the path's ticket only with RC4:
	// Kerberos works until RC4 is turned off.
	EvidenceKerberosRC4 EvidenceState = "kerberos-rc4"
	// EvidenceKerberosVerified: the KDC issued an AES ticket for the path's
	// SPN and no NTLM was seen for it.
	EvidenceKerberosVerified EvidenceState = "kerberos-verified"
	// EvidenceNoNTLMSeen: auditing that would log this path's NTLM is on
	// and logged nothing for it, but Kerberos could not be verified.
	EvidenceNoNTLMSeen EvidenceState = "no-ntlm-seen"
	// EvidenceNone: no auditing that would log this path's NTLM is on (or
	// its log could not be read): "no events" proves nothing.
	EvidenceNone EvidenceState = "no-evidence"
)

// EvidenceStates lists the states in the order summaries show them.
func EvidenceStates() []EvidenceState {
	return []EvidenceState{EvidenceBlockedObserved, EvidenceNTLMObserved, EvidenceSPNMissing, EvidenceKerberosRC4,
		EvidenceKerberosVerified, EvidenceNoNTLMSeen, EvidenceNone}
}

// Evidence is what the logs and the KDC show for one path.
type Evidence struct {
	State EvidenceState `json:"state"`
	// Summary says it in one sentence, with what to do for no-evidence.
	Summary string `json:"summary"`
	// RegistryVerdict is the verdict from the settings alone, when the
	// evidence changed it (a blocked-observed path the registry thinks ok).
	RegistryVerdict Verdict `json:"registryVerdict,omitempty"`
	// Events are the event groups matched to this path, the first
	// maxPathEvents of them (the hosts' facts hold all); MoreEvents counts
	// the rest.
	Events     []PathEvent `json:"events,omitempty"`
	MoreEvents int         `json:"moreEvents,omitempty"`
	// Kerberos is the KDC's answer for the path's SPN (Kerberos-expected
	// paths only).
	Kerberos *facts.SPNCheck `json:"kerberos,omitempty"`
	// Auditing names the auditing that would log this path's NTLM and is
	// on; TurnOn what to turn on when none is.
	Auditing []string `json:"auditing,omitempty"`
	TurnOn   []string `json:"turnOn,omitempty"`
}

// PathEvent is one event group matched to a path, with the host whose log
// holds it and the matching-table row that matched it.
type PathEvent struct {
	Host  string           `json:"host"`
	Match string           `json:"match"`
	Group facts.EventGroup `json:"group"`
}

// HostEvents are the event groups of one host that no path claimed.
type HostEvents struct {
	Host   string             `json:"host"`
	Groups []facts.EventGroup `json:"groups"`
}

// NTLMInUse reports a path whose evidence shows NTLM in use (blocked or
// not): the predicate the plan uses to scope exceptions to real traffic.
func (p *Path) NTLMInUse() bool {
	return p.Evidence != nil && (p.Evidence.State == EvidenceBlockedObserved || p.Evidence.State == EvidenceNTLMObserved)
}

// AtRiskByEvidence counts the at-risk paths per evidence state ("" for
// at-risk paths without one, which the engine never produces).
func (m *Matrix) AtRiskByEvidence() map[EvidenceState]int {
	out := map[EvidenceState]int{}
	for i := range m.Paths {
		p := &m.Paths[i]
		if p.Verdict != AtRisk {
			continue
		}
		var s EvidenceState
		if p.Evidence != nil {
			s = p.Evidence.State
		}
		out[s]++
	}
	return out
}

// Where a matching-table row looks for events.
const (
	logCore   = "core"   // the Core's own log
	logTarget = "target" // the agent's or share host's log
	logDCs    = "dcs"    // the logs of the DCs of the target's domain
)

// eventMatch is one row of the matching table: which events in which log
// belong to a path. An event field that is empty (not logged) does not
// count against a match; a non-empty one must name what the row says.
type eventMatch struct {
	name string
	side facts.EventSide
	log  string
	// counterpart must be the name the Core uses (client events:
	// TargetName, the host part of the SPN the Core passed, is the exact
	// string Windows compared, so another form of the target's name is
	// another configuration, e.g. before a rename), name the target (DC
	// events: the secure channel) or the Core (server events: the client's
	// name or address); required says an event without one cannot match.
	counterpartNameUsed, counterpartTarget, counterpartCore, counterpartRequired bool
	// workstation must name the Core (DC events).
	workstationCore bool
	// account must be the path's account (user part, case-insensitive).
	account bool
	// process must be the Core service (client events).
	process bool
}

// eventMatching is the matching table, the one place that says which
// events belong to a path.
var eventMatching = []eventMatch{
	{name: "client event on the Core naming the target as the Core does", side: facts.EventClient, log: logCore,
		counterpartNameUsed: true, counterpartRequired: true, account: true, process: true},
	{name: "server event on the target naming the Core", side: facts.EventServer, log: logTarget,
		counterpartCore: true, counterpartRequired: true, account: true},
	{name: "pass-through event on a DC of the target's domain naming the target and the Core", side: facts.EventDC, log: logDCs,
		counterpartTarget: true, workstationCore: true, account: true},
}

// maxPathEvents caps the event groups a path's evidence copies from the
// hosts' facts, so that a busy log does not repeat itself in every path.
const maxPathEvents = 5

// coreProcessNames are the executable names of the Rapid Recovery Core
// service. UNCONFIRMED: no Quest document names the process; client events
// from another process stay listed as the Core's unmatched events.
var coreProcessNames = []string{"Core.Service.exe"}

// evidenceIndex holds, per host, its event groups and which were matched.
type evidenceIndex struct {
	matched map[*hostView][]bool
}

// ntlmEvents returns the host's event read (nil when none was made).
func (hv *hostView) ntlmEvents() *facts.NTLMEvents {
	if !hv.scanned || hv.resp == nil {
		return nil
	}
	return hv.resp.NTLMEvents
}

// names is the set of lower-case names and addresses a host is known by.
func (hv *hostView) names(extra ...string) map[string]bool {
	out := map[string]bool{}
	add := func(s string) {
		if s = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), ".")); s != "" {
			out[s] = true
		}
	}
	add(hv.host.Name)
	add(hv.host.FQDN)
	add(hv.host.NetBIOS)
	add(hv.host.Address)
	add(hv.netbios())
	for _, f := range hv.fqdns() {
		add(f)
	}
	for _, x := range extra {
		add(x)
	}
	return out
}

// hostPart is the host in an event's name: the SPN's service class and a
// port dropped ("HTTP/agent01.corp.example:8006" -> agent01.corp.example),
// a UNC's leading backslashes too.
func hostPart(s string) string {
	s = strings.TrimLeft(strings.TrimSpace(s), `\`)
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.IndexAny(s, `/\`); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 && !strings.Contains(s[:i], ":") {
		s = s[:i]
	}
	return strings.ToLower(strings.Trim(s, "[]."))
}

// userPart is the user of DOMAIN\user or user@domain, lower case.
func userPart(s string) string {
	if i := strings.LastIndexByte(s, '\\'); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.IndexByte(s, '@'); i >= 0 {
		s = s[:i]
	}
	return strings.ToLower(strings.TrimSpace(s))
}

// accountUser is the user name the path's account shows in events: the
// Core's computer account for LocalSystem.
func (pe *pathEval) accountUser() string {
	if pe.acct.Kind == inventory.AccountLocalSystem {
		return strings.ToLower(pe.cv.netbios()) + "$"
	}
	return userPart(pe.acct.Name)
}

// matches reports whether group g in a log of side row.side belongs to the
// path under row.
func (pe *pathEval) matches(row *eventMatch, g *facts.EventGroup, target, core map[string]bool) bool {
	f := facts.EventFieldOf(g.ID)
	if f == nil || f.Side != row.side {
		return false
	}
	if g.Counterpart == "" && row.counterpartRequired {
		return false
	}
	if g.Counterpart != "" {
		h := hostPart(g.Counterpart)
		if row.counterpartNameUsed && h != hostPart(pe.p.NameUsed) || row.counterpartTarget && !target[h] || row.counterpartCore && !core[h] {
			return false
		}
	}
	if row.workstationCore && g.Workstation != "" && !core[hostPart(g.Workstation)] {
		return false
	}
	if row.account && g.Account != "" && userPart(g.Account) != pe.accountUser() {
		return false
	}
	if row.process && g.Process != "" {
		base := path.Base(strings.ReplaceAll(g.Process, `\`, "/"))
		if !containsFold(coreProcessNames, base) && !pe.coreServiceProcess(g.Process) {
			return false
		}
	}
	return true
}

// coreServiceProcess reports a process path that names one of the Core's
// service names (the inventory's, e.g. RapidRecoveryCore).
func (pe *pathEval) coreServiceProcess(process string) bool {
	p := lower(process)
	for _, n := range pe.core.ServiceNames {
		if n != "" && strings.Contains(p, lower(n)) {
			return true
		}
	}
	return false
}

// auditState says which auditing that would log this path's NTLM is on,
// and what to turn on otherwise.
func (pe *pathEval) auditState(dcs []*hostView) (on, turnOn []string) {
	readable := func(hv *hostView) bool { ev := hv.ntlmEvents(); return ev != nil && ev.Available }
	cv := pe.cv
	if readable(cv) {
		if v := cv.get(facts.RestrictSendingNTLMTraffic); v.known && v.num(0) >= 1 {
			on = append(on, fmt.Sprintf("%s: %s = %s (logs every outgoing NTLM logon: 8001/4001)", cv.name(), v.setting.Name, v.setting.DWORDLabel(v.n)))
		}
		if hasEnhanced(cv.ntlmEvents(), 4020, 4022) {
			on = append(on, cv.name()+": enhanced NTLM auditing (events 4020/4022 present)")
		}
	}
	if pe.domainAccount() && len(dcs) > 0 {
		all := true
		for _, dc := range dcs {
			v := dc.get(facts.AuditNTLMInDomain)
			r := dc.get(facts.RestrictNTLMInDomain)
			if !readable(dc) || !(v.known && v.num(0) != 0 || r.known && r.num(0) != 0) {
				all = false
			}
		}
		if all {
			on = append(on, fmt.Sprintf("every DC of %s: %s on (8004/4004)", pe.tgtDom, facts.AuditNTLMInDomain))
		}
	}
	if len(on) > 0 {
		return on, nil
	}
	s := settingByID(facts.RestrictSendingNTLMTraffic)
	switch ev := cv.ntlmEvents(); {
	case !cv.scanned:
	case ev == nil:
		turnOn = append(turnOn, cv.name()+": the NTLM event log was not read (scan with --evidence-days >= 1)")
	case !ev.Available:
		turnOn = append(turnOn, fmt.Sprintf("%s: the NTLM event log could not be read (%s); give the scan account the right to read it (Event Log Readers)", cv.name(), ev.Error))
	default:
		turnOn = append(turnOn, fmt.Sprintf("%s: %s = Audit all (%s)", cv.name(), s.GPOName, s.Name))
	}
	if pe.domainAccount() && len(dcs) > 0 {
		turnOn = append(turnOn, fmt.Sprintf("DCs of %s: %s = Enable all (%s)", pe.tgtDom, settingByID(facts.AuditNTLMInDomain).GPOName, facts.AuditNTLMInDomain))
	}
	if pe.cv.build() >= ntlmV1RemovedBuild {
		turnOn = append(turnOn, pe.cv.name()+": the \"NTLM Enhanced Logging\" policy (Microsoft KB5064479; its registry value is UNCONFIRMED, so ntlmscan cannot read whether it is on)")
	}
	return nil, turnOn
}

func hasEnhanced(ev *facts.NTLMEvents, ids ...int) bool {
	if ev == nil {
		return false
	}
	for _, g := range ev.Groups {
		if slices.Contains(ids, g.ID) {
			return true
		}
	}
	return false
}

// eventText is "8001 on CORE01 (12 times, 2026-12-01 .. 2026-12-05, account
// CORP\svc-rr, process Core.Service.exe)".
func eventText(e PathEvent) string {
	g := e.Group
	s := fmt.Sprintf("%d on %s (%d times, %s .. %s", g.ID, e.Host, g.Count, g.First.UTC().Format(time.DateTime), g.Last.UTC().Format(time.DateTime))
	if g.Counterpart != "" {
		s += ", target " + g.Counterpart
	}
	if g.Account != "" {
		s += ", account " + g.Account
	}
	if g.Process != "" {
		s += ", process " + g.Process
	}
	return s + ")"
}

// applyEvidence decides the path's evidence state and applies it: the
// events matched through the matching table, the auditing in force and the
// KDC's answer for its SPN. It runs after the rules and before the verdict
// is decided; registry is the verdict from the settings alone.
func (pe *pathEval) applyEvidence(registry Verdict) {
	e := pe.e
	var dcs []*hostView
	if pe.tgtDom != "" {
		dcs = e.controllers(pe.tgtDom)
	}
	target := pe.tv.names(pe.p.NameUsed)
	core := pe.cv.names()
	ev := &Evidence{}
	logs := map[string][]*hostView{logCore: {pe.cv}, logTarget: {pe.tv}, logDCs: dcs}
	for ri := range eventMatching {
		row := &eventMatching[ri]
		for _, hv := range logs[row.log] {
			events := hv.ntlmEvents()
			if events == nil {
				continue
			}
			for gi := range events.Groups {
				g := &events.Groups[gi]
				if pe.matches(row, g, target, core) {
					ev.Events = append(ev.Events, PathEvent{Host: hv.name(), Match: row.name, Group: *g})
					e.markMatched(hv, gi, len(events.Groups))
				}
			}
		}
	}
	var blocked, used []PathEvent
	defer func() {
		if n := len(ev.Events); n > maxPathEvents {
			ev.Events, ev.MoreEvents = ev.Events[:maxPathEvents], n-maxPathEvents
		}
	}()
	for _, x := range ev.Events {
		switch facts.EventFieldOf(x.Group.ID).Kind {
		case facts.EventBlocked, facts.EventMinSec:
			blocked = append(blocked, x)
		default:
			used = append(used, x)
		}
	}
	if pe.p.Need == NeedFallback {
		ev.Kerberos = e.results[lower(pe.core.Host.Name)].SPNCheck(facts.PathSPN(string(pe.p.Kind), pe.p.NameUsed))
	}
	ev.Auditing, ev.TurnOn = pe.auditState(dcs)
	krb := ev.Kerberos
	switch {
	case len(blocked) > 0:
		ev.State = EvidenceBlockedObserved
		ev.Summary = "Windows logged NTLM refusals for this path: " + eventText(blocked[0])
		pe.observedNTLM("NTLM was refused on this path (event " + eventText(blocked[0]) + ")")
		x := blocked[0]
		pe.add(Reason{Host: x.Host, Role: eventRole(x.Group.ID), Setting: SettingEvents, RawValue: fmt.Sprint(x.Group.ID),
			ValueLabel: "NTLM refused (observed)", Effect: EffectBlocks, Event: eventText(x),
			Explanation: fmt.Sprintf("%s logged event %d for this path %d times (last %s): Windows refused the Core's NTLM logon. The path is blocked whatever the registry says (the settings alone give %s).",
				x.Host, x.Group.ID, x.Group.Count, x.Group.Last.UTC().Format(time.DateTime), registry)})
	case len(used) > 0:
		ev.State = EvidenceNTLMObserved
		ev.Summary = "NTLM is in use on this path: " + eventText(used[0])
		pe.observedNTLM("NTLM is in use on this path (event " + eventText(used[0]) + ")")
	case krb != nil && krb.Result == facts.SPNUnknown:
		ev.State = EvidenceSPNMissing
		ev.Summary = fmt.Sprintf("The KDC knows no account with SPN %s, so Negotiate falls back to NTLM: the path fails once NTLM is restricted (register the SPN: setspn -S %s %s).",
			krb.SPN, krb.SPN, pe.tv.netbios())
		pe.observedNTLM("the KDC knows no account with SPN " + krb.SPN + ", so Negotiate falls back to NTLM")
	case krb != nil && krb.Result == facts.SPNRC4Only:
		ev.State = EvidenceKerberosRC4
		ev.Summary = fmt.Sprintf("The KDC issues the ticket for %s only with RC4: Kerberos works until RC4 is turned off, then the path falls back to NTLM (give the account AES keys: msDS-SupportedEncryptionTypes, password reset).", krb.SPN)
	case krb != nil && krb.Result == facts.SPNIssuedAES:
		ev.State = EvidenceKerberosVerified
		ev.Summary = "The KDC issued an AES ticket for " + krb.SPN + " and no NTLM was seen for this path"
		if len(ev.Auditing) == 0 {
			ev.Summary += " (auditing is off, so an occasional NTLM fallback is not excluded)"
		}
		ev.Summary += "."
	case len(ev.Auditing) > 0:
		ev.State = EvidenceNoNTLMSeen
		ev.Summary = "Auditing is on (" + strings.Join(ev.Auditing, "; ") + ") and logged no NTLM for this path"
		if krb != nil {
			ev.Summary += "; Kerberos not verified: " + string(krb.Result)
			if krb.Detail != "" {
				ev.Summary += " (" + krb.Detail + ")"
			}
		}
		ev.Summary += "."
	default:
		ev.State = EvidenceNone
		ev.Summary = "No auditing that would log this path's NTLM is on, so the absence of events proves nothing. Turn on: " + strings.Join(ev.TurnOn, "; ") + "."
		if krb != nil {
			ev.Summary += " Kerberos not verified: " + string(krb.Result) + "."
		}
	}
	pe.p.Evidence = ev
}

// observedNTLM makes a fallback-only path NTLM-required: the evidence
// shows Negotiate does (or will) use NTLM, so every fallback block applies.
func (pe *pathEval) observedNTLM(why string) {
	if pe.p.Need == NeedRequired {
		return
	}
	pe.p.Need = NeedRequired
	pe.p.NeedWhy = why
}

func eventRole(id int) string {
	if f := facts.EventFieldOf(id); f != nil {
		switch f.Side {
		case facts.EventServer:
			return RoleServer
		case facts.EventDC:
			return RoleDC
		}
	}
	return RoleClient
}

// markMatched records that group i of hv's log belongs to some path.
func (e *engine) markMatched(hv *hostView, i, n int) {
	if e.evidence.matched == nil {
		e.evidence.matched = map[*hostView][]bool{}
	}
	m := e.evidence.matched[hv]
	if m == nil {
		m = make([]bool, n)
		e.evidence.matched[hv] = m
	}
	m[i] = true
}

// unmatchedEvents lists, per scanned host, the event groups no path
// claimed, so that no event is dropped.
func (e *engine) unmatchedEvents() []HostEvents {
	var out []HostEvents
	for _, h := range e.inv.Hosts {
		hv := e.view(h)
		ev := hv.ntlmEvents()
		if ev == nil || len(ev.Groups) == 0 {
			continue
		}
		m := e.evidence.matched[hv]
		var left []facts.EventGroup
		for i, g := range ev.Groups {
			if m == nil || !m[i] {
				left = append(left, g)
			}
		}
		if len(left) > 0 {
			out = append(out, HostEvents{Host: hv.name(), Groups: left})
		}
	}
	return out
}

// decideWithKerberos is decide for a fallback-only path whose Kerberos was
// verified: NTLM is not used, so the NTLM settings' blocks and risks are
// latent (they stay listed) and only reachability and unknown hosts count.
func decideWithKerberos(p *Path, unreachable int) {
	best, at := rankOK, -1
	for i := range p.Reasons {
		r := rankOK
		switch {
		case i == unreachable:
			r = rankUnreachable
		case p.Reasons[i].Effect == EffectUnknown:
			r = rankUnknown
		}
		if r > best {
			best, at = r, i
		}
	}
	p.Verdict, p.Deciding = rankVerdict(best), nil
	if at >= 0 {
		d := p.Reasons[at]
		d.Remediation = nil
		p.Deciding = &d
	}
}

func nilIfEmpty(m map[EvidenceState]int) map[EvidenceState]int {
	if len(m) == 0 {
		return nil
	}
	return m
}
