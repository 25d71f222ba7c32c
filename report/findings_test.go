package report_test

import (
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/internal/reporttest"
	"github.com/ntlmscan/ntlmscan/report/verdict"
)

func TestFindings(t *testing.T) {
	t.Parallel()
	// Demo: blocked AGENT02, AGENT03, CORE02->AGENT04, NAS01, the
	// replication to CORE03; at-risk CORE01->AGENT04, AGENT05; unreachable
	// AGENT06; unknown AGENT07.
	plain := reporttest.Demo()
	full := reporttest.DemoFull() // NAS01 waived (and new), AGENT02 waiver expired
	allWaived := reporttest.DemoFull()
	for i := range allWaived.Waivers.Applied {
		allWaived.Waivers.Applied[i].Expired = false
	}
	tests := []struct {
		name   string
		r      *report.Report
		failOn string
		want   int
	}{
		{"blocked", plain, "blocked", 5},
		{"default is blocked", plain, "", 5},
		{"case and spaces", plain, " Blocked ", 5},
		{"at-risk counts blocked and at-risk", plain, "at-risk", 7},
		{"new without baseline is every blocked path", plain, "new", 5},
		{"none", plain, "none", 0},
		{"unknown mode counts like at-risk", plain, "everything", 7},
		{"active waiver does not count, expired does", full, "blocked", 4},
		{"waivers and at-risk", full, "at-risk", 6},
		{"new blocked path is waived", full, "new", 0},
		{"two active waivers", allWaived, "blocked", 3},
		{"nil report", nil, "blocked", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := report.Findings(tc.r, tc.failOn); got != tc.want {
				t.Errorf("Findings(%q) = %d, want %d", tc.failOn, got, tc.want)
			}
		})
	}
}

func TestFindingsNewCountsUnwaivedNewPaths(t *testing.T) {
	t.Parallel()
	r := reporttest.DemoFull()
	r.Waivers = nil
	r.Baseline = report.Compare(reporttest.DemoBaseline(), r)
	if got := report.Findings(r, report.FailOnNew); got != 1 {
		t.Errorf("Findings(new) = %d, want 1 (CORE02 -> NAS01)", got)
	}
}

func TestParseFailOn(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"", "blocked", "AT-RISK", "new", "none"} {
		if _, err := report.ParseFailOn(ok); err != nil {
			t.Errorf("ParseFailOn(%q): %v", ok, err)
		}
	}
	if _, err := report.ParseFailOn("warn"); err == nil {
		t.Error("ParseFailOn(warn) accepted")
	}
}

// blocked-suspected counts as blocked for every --fail-on mode that counts
// blocked paths, and diff lists a path that becomes blocked-suspected as
// new (and one that was blocked and is now suspected as merely changed).
func TestBlockedSuspectedCountsAsBlocked(t *testing.T) {
	t.Parallel()
	base := reporttest.Demo()
	cur := reporttest.Demo()
	var okID, blockedID string
	for i := range cur.Matrix.Paths {
		p := &cur.Matrix.Paths[i]
		switch {
		case okID == "" && p.Verdict == verdict.OK:
			okID, p.Verdict = p.ID, verdict.BlockedSuspected
		case blockedID == "" && p.Verdict == verdict.Blocked:
			blockedID, p.Verdict = p.ID, verdict.BlockedSuspected
		}
	}
	for mode, want := range map[string]int{"blocked": report.Findings(base, "blocked") + 1, "at-risk": report.Findings(base, "at-risk") + 1} {
		if got := report.Findings(cur, mode); got != want {
			t.Errorf("--fail-on %s: %d findings, want %d", mode, got, want)
		}
	}
	c := report.Compare(base, cur)
	if len(c.New) != 1 || c.New[0].PathID != okID || c.New[0].After != verdict.BlockedSuspected {
		t.Errorf("new = %+v, want only %s", c.New, okID)
	}
	if len(c.Fixed) != 0 {
		t.Errorf("blocked -> blocked-suspected counted as fixed: %+v", c.Fixed)
	}
	changed := false
	for _, ch := range c.Changed {
		changed = changed || ch.PathID == blockedID
	}
	if !changed {
		t.Errorf("%s not listed as changed", blockedID)
	}
	if _, err := report.Decode(strings.NewReader(string(encode(t, cur)))); err != nil {
		t.Errorf("a report with blocked-suspected does not decode: %v", err)
	}
}
