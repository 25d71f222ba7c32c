package reporttest_test

import (
	"testing"

	"github.com/ntlmscan/ntlmscan/report/internal/reporttest"
	"github.com/ntlmscan/ntlmscan/report/verdict"
)

// TestEstateMix: the generated estate holds every verdict a real rollout
// shows, mostly at-risk with a minority blocked, some paths also
// unreachable and some hosts unscanned, at both sizes the report tests use.
func TestEstateMix(t *testing.T) {
	for _, n := range []int{300, 5000} {
		r := reporttest.Estate(n)
		if len(r.Hosts) != n {
			t.Errorf("Estate(%d) has %d hosts", n, len(r.Hosts))
		}
		c := r.Matrix.Counts()
		t.Logf("%d hosts: %d paths %v, %d hosts failed", n, len(r.Matrix.Paths), c, len(r.FailedHosts()))
		for _, v := range []verdict.Verdict{verdict.OK, verdict.AtRisk, verdict.Blocked, verdict.Unreachable, verdict.Unknown} {
			if c[v] == 0 {
				t.Errorf("Estate(%d): no %s path", n, v)
			}
		}
		if c[verdict.Blocked] >= c[verdict.AtRisk] {
			t.Errorf("Estate(%d): %d blocked, %d at-risk; want at-risk the larger group", n, c[verdict.Blocked], c[verdict.AtRisk])
		}
		if len(r.FailedHosts()) == 0 {
			t.Errorf("Estate(%d): no failed host", n)
		}
		a, b := reporttest.Estate(n), reporttest.Estate(n)
		for i := range a.Matrix.Paths {
			if a.Matrix.Paths[i].ID != b.Matrix.Paths[i].ID || a.Matrix.Paths[i].Verdict != b.Matrix.Paths[i].Verdict {
				t.Fatalf("Estate(%d) is not deterministic at path %d", n, i)
			}
		}
	}
}
