package verdict

import (
	"fmt"
	"strings"

	"github.com/ntlmscan/ntlmscan/inventory"
)

// This file holds what is particular to replication paths (source Core ->
// target Core) and the operations every path carries. A replication path
// is judged by the same rules as an agent path: the source Core is the
// NTLM client, the target Core the server, the target's domain DCs do the
// pass-through. Sources: Quest's "Rapid Recovery User Guide", section
// "Replication" (the source Core copies recovery points and transmits them
// to the target Core; the wizard takes the target's host name, port, user
// name and password), and Quest KB 4033596 "NTLM and pass-through
// authentication".

// replicationPaths evaluates every replication link of core.
func (e *engine) replicationPaths(core *inventory.Core) []Path {
	var out []Path
	for _, l := range core.Replication {
		if l == nil || l.Target == nil || l.Target.Host == nil {
			continue
		}
		port := l.Port
		if port == 0 {
			port = inventory.DefaultCorePort
		}
		p := e.evalPath(core, KindReplication, l.Target.Host, l.NameUsed, port, "", normaliseAccount(l.Account))
		out = append(out, withOperations(p, []inventory.Operation{inventory.OpReplication}))
	}
	return out
}

// noteReplication states who validates the account on a replication path
// and what is not known about the other direction.
func (pe *pathEval) noteReplication() {
	if pe.p.Kind != KindReplication {
		return
	}
	src, tgt := pe.cv.name(), pe.tv.name()
	var who string
	switch {
	case pe.acct.Kind == inventory.AccountLocal:
		who = fmt.Sprintf("%s validates the local account %s itself; no domain controller is involved", tgt, pe.acct.Name)
	case pe.tgtDom == "":
		who = fmt.Sprintf("%s is not joined to a domain, so it can only check %s against its own account database (a local account with the same name and password)", tgt, pe.p.Account)
	case pe.p.Need == NeedUnknown:
		who = fmt.Sprintf("whether %s trusts the account's domain is unknown, so it is unknown whether a DC or %s itself validates it", tgt, tgt)
	case pe.untrustedForeign():
		who = fmt.Sprintf("%s's domain %s does not trust %s (per the inventory), so %s checks the account against its own account database", tgt, pe.tgtDom, pe.acctDom, tgt)
	case pe.acctDom != "" && strings.EqualFold(pe.acctDom, pe.tgtDom):
		who = fmt.Sprintf("%s passes the logon through to a DC of %s", tgt, pe.tgtDom)
	case pe.acctDom != "":
		who = fmt.Sprintf("%s passes the logon through to a DC of its domain %s, which forwards it to a DC of %s over the trust", tgt, pe.tgtDom, pe.acctDom)
	default:
		who = "the account's domain is unknown"
	}
	pe.add(Reason{
		Host: tgt, Role: RolePath, Setting: SettingReplication, RawValue: fmt.Sprintf("%s -> %s:%d", src, pe.p.NameUsed, pe.p.Port),
		ValueLabel: "replication", Effect: EffectInfo,
		Explanation: fmt.Sprintf("%s replicates recovery points to the Core service of %s (%s, TCP %d) with the account given in the replication wizard, %s: %s. Whether %s also connects back to %s, and for what, is UNCONFIRMED (Quest's documents do not say); such a connection would be a separate path from %s.",
			src, tgt, pe.p.NameUsed, pe.p.Port, pe.p.Account, who, tgt, src, tgt),
	})
	if pe.p.Need == NeedUnknown {
		// Whether a trust exists decides who validates the account: a DC over
		// the trust, or the target Core's local account database.
		pe.add(Reason{
			Host: tgt, Role: RoleAccount, Setting: SettingTrust, RawValue: pe.p.NeedWhy, ValueLabel: "validator unknown",
			Effect: EffectRisk, Unconfirmed: true,
			Explanation: fmt.Sprintf("Which authority validates %s on %s is unknown (%s): with no trust, %s checks it against its local accounts, which fails unless a local account with the same name and password exists. Describe both domains under domains: with their forest and trusts.", pe.p.Account, tgt, pe.p.NeedWhy, tgt),
		})
	}
}

// withOperations records the operations a path serves and, for a path that
// is not ok, which of them fail.
func withOperations(p Path, ops []inventory.Operation) Path {
	p.Operations = make([]string, len(ops))
	for i, o := range ops {
		p.Operations[i] = string(o)
	}
	p.Impact = impactText(p)
	return p
}

// OperationLabel is an operation as Quest's documents name it ("Virtual
// Standby"); an unknown value is shown as written.
func OperationLabel(op string) string { return inventory.Operation(op).Label() }

// OperationsText joins the labels of a path's operations ("agent protection,
// Live Recovery").
func OperationsText(ops []string) string {
	labels := make([]string, len(ops))
	for i, o := range ops {
		labels[i] = OperationLabel(o)
	}
	return strings.Join(labels, ", ")
}

// impactText says which operations fail on a path that is not ok:
// "Virtual Standby to HV01 will fail".
func impactText(p Path) string {
	var outcome string
	switch p.Verdict {
	case Blocked:
		outcome = "will fail"
	case BlockedSuspected:
		outcome = "will most likely fail"
	case Unreachable:
		outcome = "will fail (not reachable)"
	case AtRisk, Unknown:
		outcome = "may fail"
	default:
		return ""
	}
	if len(p.Operations) == 0 {
		return ""
	}
	labels := make([]string, len(p.Operations))
	for i, o := range p.Operations {
		labels[i] = OperationLabel(o)
	}
	what := labels[0]
	if n := len(labels); n > 1 {
		what = strings.Join(labels[:n-1], ", ") + " and " + labels[n-1]
	}
	where := "to " + p.Target
	if p.Kind == KindShare {
		where = "on " + orDefault(p.Share, p.Target)
	}
	return what + " " + where + " " + outcome
}

// targetNoun names the target in a fix's words: the agent, the target Core
// of a replication, or the share host.
func (pe *pathEval) targetNoun() string {
	switch pe.p.Kind {
	case KindReplication:
		return "target Core"
	case KindShare:
		return "share host"
	}
	return "agent"
}
