package verdict

import (
	"encoding/json"
	"regexp"
	"testing"
)

// citationRE matches references to material users do not have: the
// project's internal rule book, its section signs and source tags.
var citationRE = regexp.MustCompile(`NTLM-RULES|§|\[S\d+\]|DEMO-FLEET|/work/`)

// Every text the engine writes into a report (reasons, remediations, host
// notes, coverage, plan) cites only Microsoft documentation, Quest KBs or
// the README, never a file users do not have.
func TestReportTextCitesNothingUsersLack(t *testing.T) {
	t.Parallel()
	var matrices []*Matrix
	for _, tc := range ruleCases() {
		l := newLab(t)
		if tc.mut != nil {
			tc.mut(l)
		}
		matrices = append(matrices, l.eval(tc.opts))
	}
	for _, tc := range reviewCases() {
		l := newLab(t)
		if tc.mut != nil {
			tc.mut(l)
		}
		matrices = append(matrices, l.eval(Options{}))
	}
	for _, tc := range issue23Cases() {
		l := newLab(t)
		if tc.mut != nil {
			tc.mut(l)
		}
		matrices = append(matrices, l.eval(Options{}))
	}
	demo := newDemo(t)
	matrices = append(matrices, demo.eval(Options{}), demo.eval(Options{Strict: true}))
	checked := 0
	for _, m := range matrices {
		data, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		checked += len(data)
		if loc := citationRE.FindIndex(data); loc != nil {
			from, to := max(0, loc[0]-160), min(len(data), loc[1]+40)
			t.Fatalf("report text cites something users do not have: ...%s...", data[from:to])
		}
	}
	if checked < 100000 {
		t.Fatalf("only %d bytes of report text checked", checked)
	}
}
