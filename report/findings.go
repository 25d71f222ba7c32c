package report

import (
	"fmt"
	"strings"

	"github.com/ntlmscan/ntlmscan/report/verdict"
)

// FailOn values for --fail-on.
const (
	FailOnBlocked = "blocked" // default: paths whose verdict is blocked
	FailOnAtRisk  = "at-risk" // blocked or at-risk paths
	FailOnNew     = "new"     // blocked paths that are new versus the baseline
	FailOnNone    = "none"    // never fail on findings (scan failures still count)
)

// FailOnValues lists the accepted --fail-on values, default first.
func FailOnValues() []string {
	return []string{FailOnBlocked, FailOnAtRisk, FailOnNew, FailOnNone}
}

// ParseFailOn checks a --fail-on value; "" means the default (blocked).
func ParseFailOn(s string) (string, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	if v == "" {
		return FailOnBlocked, nil
	}
	for _, ok := range FailOnValues() {
		if v == ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("--fail-on %q: want one of %s", s, strings.Join(FailOnValues(), ", "))
}

// Findings counts the paths that make a run fail under failOn:
//
//   - blocked (default, also ""): verdict blocked or blocked-suspected;
//   - at-risk: those and at-risk;
//   - new: blocked paths listed as new in r.Baseline (without a baseline,
//     every blocked path is new, as against an empty baseline);
//   - none: nothing.
//
// Paths covered by an active waiver never count; an expired waiver counts
// again. Unreachable and unknown verdicts are not findings: they say the scan
// could not judge a path (a failed host or a failed TCP probe) and are
// reported as scan failures, not as NTLM problems. An unrecognised failOn is
// treated as at-risk, the broadest rule, so a typo never hides findings;
// callers validate flags with ParseFailOn first.
func Findings(r *Report, failOn string) (n int) {
	if r == nil {
		return 0
	}
	mode, err := ParseFailOn(failOn)
	if err != nil {
		mode = FailOnAtRisk
	}
	if mode == FailOnNone {
		return 0
	}
	waivers := r.WaiverIndex()
	var isNew map[string]bool
	if mode == FailOnNew && r.Baseline != nil {
		isNew = r.NewIndex()
	}
	for i := range r.Matrix.Paths {
		p := &r.Matrix.Paths[i]
		if waivers[p.ID].Active() {
			continue
		}
		if countsAsFinding(p.Verdict, mode) && (isNew == nil || isNew[p.ID]) {
			n++
		}
	}
	return n
}

func countsAsFinding(v verdict.Verdict, mode string) bool {
	switch mode {
	case FailOnAtRisk:
		return v.Blocking() || v == verdict.AtRisk
	default: // blocked, new: blocked-suspected counts as blocked
		return v.Blocking()
	}
}
