package report_test

import (
	"testing"

	"github.com/ntlmscan/ntlmscan/report"
)

// FuzzParseFailOn: any --fail-on text either fails or gives a normal form
// that parses to itself (so a report's failOn reads back the same).
func FuzzParseFailOn(f *testing.F) {
	for _, s := range []string{"", "new", "NEW, no-unscanned", "blocked,unscanned", "none,no-unscanned", "x", ",", "new,,", "unscanned,no-unscanned"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := report.ParseFailOn(s)
		if err != nil {
			return
		}
		again, err := report.ParseFailOn(v)
		if err != nil || again != v {
			t.Fatalf("ParseFailOn(%q) = %q, which parses to %q, %v", s, v, again, err)
		}
		_ = report.FailOnUnscanned(v)
	})
}
