package report_test

import (
	"testing"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/internal/reporttest"
)

func TestFindings(t *testing.T) {
	t.Parallel()
	// Demo: blocked AGENT02, AGENT03, CORE02->AGENT04, NAS01; at-risk
	// CORE01->AGENT04, AGENT05; unreachable AGENT06; unknown AGENT07.
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
		{"blocked", plain, "blocked", 4},
		{"default is blocked", plain, "", 4},
		{"case and spaces", plain, " Blocked ", 4},
		{"at-risk counts blocked and at-risk", plain, "at-risk", 6},
		{"new without baseline is every blocked path", plain, "new", 4},
		{"none", plain, "none", 0},
		{"unknown mode counts like at-risk", plain, "everything", 6},
		{"active waiver does not count, expired does", full, "blocked", 3},
		{"waivers and at-risk", full, "at-risk", 5},
		{"new blocked path is waived", full, "new", 0},
		{"two active waivers", allWaived, "blocked", 2},
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
