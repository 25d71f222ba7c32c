package cli

import (
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/verdict"
)

const demoReplicationPath = "CORE01|replication|CORE03|127.0.0.23"

// The demo's second-site Core is scanned through the simulator and probed
// from CORE01; its replication path is blocked by CORE01's outgoing
// restriction, says that replication fails and carries the fix. The what-if
// file adds the exception: the block lifts (ok with an UNCONFIRMED note:
// an entry for the literal IP the Core uses, issue 16).
func TestDemoReplicationPath(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		want   verdict.Verdict
		before verdict.Verdict
	}{
		{"as scanned", nil, verdict.Blocked, ""},
		{"with the what-if exception", []string{"--what-if"}, verdict.OK, verdict.Blocked},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, nil, append([]string{"demo", "--format", "json"}, tc.args...)...)
			if r.code != ExitOK {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			rep, err := report.Decode(strings.NewReader(r.stdout))
			if err != nil {
				t.Fatal(err)
			}
			var p *verdict.Path
			for i := range rep.Matrix.Paths {
				if rep.Matrix.Paths[i].ID == demoReplicationPath {
					p = &rep.Matrix.Paths[i]
				}
			}
			if p == nil {
				t.Fatalf("no path %s", demoReplicationPath)
			}
			if p.Kind != verdict.KindReplication || p.Reachable != "yes" || p.Need != verdict.NeedRequired || p.Account != `CORE03\rr-replication` ||
				!slices.Equal(p.Operations, []string{"replication"}) {
				t.Errorf("path = kind %s reachable %s need %s account %s operations %v", p.Kind, p.Reachable, p.Need, p.Account, p.Operations)
			}
			if p.Verdict != tc.want || (tc.before != "" && (p.Before == nil || p.Before.Verdict != tc.before)) {
				t.Fatalf("verdict %s (before %+v), want %s", p.Verdict, p.Before, tc.want)
			}
			if d := p.Deciding; tc.want != verdict.OK && (d == nil || d.Host != "CORE01") {
				t.Fatalf("deciding = %+v", d)
			}
			if tc.want == verdict.OK {
				noted := false
				for _, r := range p.Reasons {
					noted = noted || r.Host == "CORE01" && r.Setting == "ClientAllowedNTLMServers" && r.Effect == verdict.EffectAllows && strings.Contains(r.Explanation, "UNCONFIRMED")
				}
				if !noted {
					t.Errorf("no UNCONFIRMED note on CORE01's exception entry: %+v", p.Reasons)
				}
			}
			if tc.before == "" {
				if p.Impact != "replication to CORE03 will fail" || p.Deciding.Setting != "RestrictSendingNTLMTraffic" ||
					p.Deciding.Remediation == nil || !slices.Contains(p.Deciding.Remediation.Add, "127.0.0.23") {
					t.Errorf("impact %q deciding %+v", p.Impact, p.Deciding)
				}
			}
			// CORE03 itself was scanned with its local account.
			for _, h := range rep.Hosts {
				if h.Host == "CORE03" && !h.OK() {
					t.Errorf("CORE03 not scanned: %+v", h.Error)
				}
			}
		})
	}
}

// The CSV carries the operations of every path and what fails.
func TestDemoCSVOperations(t *testing.T) {
	r := run(t, nil, "demo", "--format", "csv")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	found := false
	for _, row := range rows[1:] {
		if row[col["operations"]] == "" {
			t.Errorf("%s has no operations", row[col["path_id"]])
		}
		if row[col["path_id"]] == demoReplicationPath {
			found = true
			if row[col["operations"]] != "replication" || row[col["impact"]] != "Replication to CORE03 will fail." {
				t.Errorf("replication row: operations %q impact %q", row[col["operations"]], row[col["impact"]])
			}
		}
	}
	if !found {
		t.Errorf("no CSV row for %s", demoReplicationPath)
	}
}
