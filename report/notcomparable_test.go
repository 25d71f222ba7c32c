package report_test

import (
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/verdict"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// failedNight is a scan in which host could not be scanned (a wrong
// password): every path that depends on it is unknown, with the engine's
// "not scanned" reason naming the host.
func failedNight(runID string, at time.Time, host string, ids ...string) *report.Report {
	r := rep(runID, at)
	r.Hosts = []facts.HostResult{{Host: host, Error: &facts.HostError{Class: facts.ErrAuthCredentials, Message: "logon refused"}}}
	for _, id := range ids {
		p := path(id, verdict.Unknown)
		p.Reasons = []verdict.Reason{{Host: host, Setting: verdict.SettingScan, Effect: verdict.EffectUnknown}}
		r.Matrix.Paths = append(r.Matrix.Paths, p)
	}
	return r
}

// TestCompareNotComparable: a night whose hosts failed neither fixes nor
// re-raises a blocked path. Night 1 finds A blocked; night 2 cannot log on
// to CORE01; night 3 finds A blocked again. Without the carried-forward
// facts, night 2 called A "fixed" and night 3 called it "new".
func TestCompareNotComparable(t *testing.T) {
	t.Parallel()
	n1 := rep("n1", t0, path("A", verdict.Blocked), path("B", verdict.OK))
	n2 := failedNight("n2", t1, "CORE01", "A", "B")
	n2.Baseline = report.Compare(n1, n2)
	c := n2.Baseline
	if len(c.Fixed) != 0 || len(c.New) != 0 || len(c.Changed) != 0 {
		t.Fatalf("bad night: fixed %v new %v changed %v; want none (not comparable)", ids(c.Fixed), ids(c.New), ids(c.Changed))
	}
	if len(c.NotComparable) != 2 {
		t.Fatalf("not comparable = %+v, want A and B", c.NotComparable)
	}
	a := c.NotComparable[0]
	if a.PathID != "A" || a.Carried != verdict.Blocked || !a.FactsAt.Equal(t0) || a.Age != "1d" || len(a.FailedHosts) != 1 || a.FailedHosts[0] != "CORE01" {
		t.Errorf("A carried = %+v, want blocked from %s, 1d old, host CORE01", a, t0)
	}

	// A second bad night carries the same facts further, with their age.
	n3 := failedNight("n3", t2, "CORE01", "A", "B")
	n3.Baseline = report.Compare(n2, n3)
	if got := n3.Baseline.NotComparable[0]; got.Carried != verdict.Blocked || !got.FactsAt.Equal(t0) || got.Age != "2d" {
		t.Errorf("second bad night: A = %+v, want blocked from %s, 2d old", got, t0)
	}

	// The good night after compares with the last good facts: A is still
	// blocked, so it is neither new nor changed.
	t3 := t2.Add(24 * time.Hour)
	n4 := rep("n4", t3, path("A", verdict.Blocked), path("B", verdict.Blocked))
	n4.Baseline = report.Compare(n3, n4)
	if got := ids(n4.Baseline.New); len(got) != 1 || got[0] != "B:ok>blocked" {
		t.Errorf("good night: new = %v, want only B:ok>blocked", got)
	}
	if got := ids(n4.Baseline.Changed); len(got) != 1 || got[0] != "B:ok>blocked" {
		t.Errorf("good night: changed = %v, want only B", got)
	}
	if n := report.Findings(n4, report.FailOnNew); n != 1 {
		t.Errorf("--fail-on new after the bad nights counts %d, want 1 (B only)", n)
	}
	if len(n4.Baseline.NotComparable) != 0 {
		t.Errorf("good night has not comparable paths: %+v", n4.Baseline.NotComparable)
	}
	// A path removed after a bad night is gone with its last good verdict:
	// blocked, so fixed.
	n5 := rep("n5", t3)
	if got := ids(report.Compare(n3, n5).Fixed); len(got) != 1 || got[0] != "A:blocked>" {
		t.Errorf("removed after a bad night: fixed = %v, want A:blocked>", got)
	}
}

// A path whose verdict is blocking is comparable even when a host failed
// (blocked-suspected rests on the host's refusal), and a described-only host
// (not-scanned on purpose) never makes a path not comparable.
func TestCompareNotComparableOnlyFailedHosts(t *testing.T) {
	t.Parallel()
	base := rep("b", t0, path("A", verdict.Blocked), path("N", verdict.Blocked))
	cur := failedNight("c", t1, "NAS01", "N")
	cur.Hosts[0].Error.Class = facts.ErrNotScanned
	a := path("A", verdict.BlockedSuspected)
	a.Reasons = []verdict.Reason{{Host: "CORE01", Setting: verdict.SettingScan, Effect: verdict.EffectUnknown}}
	cur.Matrix.Paths = append(cur.Matrix.Paths, a)
	cur.Hosts = append(cur.Hosts, facts.HostResult{Host: "CORE01", Error: &facts.HostError{Class: facts.ErrAuthNTLMPolicy}})
	c := report.Compare(base, cur)
	if len(c.NotComparable) != 0 {
		t.Errorf("not comparable = %+v, want none", c.NotComparable)
	}
	if got := ids(c.Fixed); len(got) != 1 || got[0] != "N:blocked>unknown" {
		t.Errorf("fixed = %v, want N (its host is described only)", got)
	}
}
