package report

import (
	"fmt"
	"slices"
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

// Modifiers of --fail-on, after a comma: whether hosts that could not be
// scanned (and no active host waiver accepts) make the run exit 4.
const (
	FailOnUnscannedHosts   = "unscanned"    // default: they do
	FailOnNoUnscannedHosts = "no-unscanned" // they do not (still reported)
)

// ParseFailOn checks a --fail-on value, MODE[,unscanned|,no-unscanned];
// "" means the default (blocked, unscanned hosts included). It returns the
// normal form: the mode, followed by ",no-unscanned" when given.
func ParseFailOn(s string) (string, error) {
	mode, unscanned, given := "", true, false
	for part := range strings.SplitSeq(strings.ToLower(strings.TrimSpace(s)), ",") {
		part = strings.TrimSpace(part)
		switch {
		case part == "" && s != "" && strings.Contains(s, ","):
			return "", fmt.Errorf("--fail-on %q: an empty item; want MODE[,unscanned|,no-unscanned]", s)
		case part == "":
		case part == FailOnUnscannedHosts || part == FailOnNoUnscannedHosts:
			if given {
				return "", fmt.Errorf("--fail-on %q: give unscanned or no-unscanned once", s)
			}
			given, unscanned = true, part == FailOnUnscannedHosts
		case slices.Contains(FailOnValues(), part):
			if mode != "" {
				return "", fmt.Errorf("--fail-on %q: give one of %s, optionally followed by ,unscanned or ,no-unscanned", s, strings.Join(FailOnValues(), ", "))
			}
			mode = part
		default:
			return "", fmt.Errorf("--fail-on %q: want one of %s, optionally followed by ,unscanned (the default) or ,no-unscanned", s, strings.Join(FailOnValues(), ", "))
		}
	}
	if mode == "" {
		mode = FailOnBlocked
	}
	if !unscanned {
		mode += "," + FailOnNoUnscannedHosts
	}
	return mode, nil
}

// FailOnUnscanned reports whether, under a --fail-on value, hosts that could
// not be scanned make the run exit 4 (the default). An unparsable value
// counts them, so a typo never hides a failure.
func FailOnUnscanned(failOn string) bool {
	v, err := ParseFailOn(failOn)
	return err != nil || !strings.HasSuffix(v, ","+FailOnNoUnscannedHosts)
}

// failOnMode is the mode part of a --fail-on value.
func failOnMode(failOn string) (string, error) {
	v, err := ParseFailOn(failOn)
	if err != nil {
		return "", err
	}
	mode, _, _ := strings.Cut(v, ",")
	return mode, nil
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
	mode, err := failOnMode(failOn)
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
