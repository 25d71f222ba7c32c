package report_test

import (
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/verdict"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// NextTrend carries the previous run's trend forward and adds the current
// run's counts per verdict, keeping the newest n runs.
func TestNextTrend(t *testing.T) {
	t.Parallel()
	// An older report without a trend starts it with its own counts.
	prev := rep("r1", t0, path("A", verdict.Blocked), path("B", verdict.OK))
	cur := rep("r2", t1, path("A", verdict.Blocked), path("B", verdict.Blocked))
	cur.Hosts = []facts.HostResult{{Host: "X", Error: &facts.HostError{Class: facts.ErrTimeout}}}
	got := report.NextTrend(prev, cur, 3)
	if len(got) != 2 || got[0].RunID != "r1" || got[1].RunID != "r2" {
		t.Fatalf("trend = %+v, want r1, r2", got)
	}
	if got[0].Verdicts["blocked"] != 1 || got[0].Verdicts["ok"] != 1 || got[1].Verdicts["blocked"] != 2 || got[1].FailedHosts != 1 {
		t.Errorf("counts = %+v", got)
	}
	cur.Trend = got
	for i, id := range []string{"r3", "r4"} {
		next := rep(id, t2.Add(time.Duration(i)*24*time.Hour), path("A", verdict.OK))
		next.Trend = report.NextTrend(cur, next, 3)
		cur = next
	}
	if len(cur.Trend) != 3 || cur.Trend[0].RunID != "r2" || cur.Trend[2].RunID != "r4" || cur.Trend[2].Verdicts["ok"] != 1 {
		t.Errorf("trend after 4 runs, keeping 3 = %+v", cur.Trend)
	}
	// Without a previous run the trend is this run alone.
	if got := report.NextTrend(nil, cur, 3); len(got) != 1 || got[0].RunID != "r4" {
		t.Errorf("no previous run: %+v", got)
	}
}
