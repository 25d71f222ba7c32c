package render_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/report/render"
	"github.com/ntlmscan/ntlmscan/report/verdict"
)

// FuzzParseVerdicts: --verdict parsing never panics, and what it accepts
// is a list of known verdicts without repeats that parses back to itself.
func FuzzParseVerdicts(f *testing.F) {
	for _, seed := range [][2]string{
		{"blocked,at-risk", "Blocked"},
		{"unknown", ""},
		{"blocked-suspected, ok ,", "UNREACHABLE"},
		{"blockd", "ok"},
		{",,", " "},
		{"at-risk\u202e", "ok\x00"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		got, err := render.ParseVerdicts([]string{a, b})
		if err != nil {
			if got != nil {
				t.Errorf("ParseVerdicts(%q, %q) = %v with error %v", a, b, got, err)
			}
			return
		}
		names := make([]string, len(got))
		for i, v := range got {
			if !slices.Contains(verdict.Order(), v) {
				t.Fatalf("ParseVerdicts(%q, %q) accepted %q, no verdict", a, b, v)
			}
			if slices.Contains(got[:i], v) {
				t.Errorf("ParseVerdicts(%q, %q) = %v: %s twice", a, b, got, v)
			}
			names[i] = string(v)
		}
		again, err := render.ParseVerdicts([]string{strings.Join(names, ",")})
		if err != nil || !slices.Equal(again, got) {
			t.Errorf("ParseVerdicts(%q, %q) = %v, but its names parse to %v, %v", a, b, got, again, err)
		}
	})
}
