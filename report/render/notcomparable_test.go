package render_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/render"
	"github.com/ntlmscan/ntlmscan/report/verdict"
)

// A diff lists the paths a failed host left unjudged, with the verdict
// carried forward, its age and the failed host, in text and Markdown.
func TestDiffShowsNotComparable(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)
	c := &report.Comparison{
		CurrentRunID: "n2", CurrentGeneratedAt: at.Add(48 * time.Hour),
		NotComparable: []report.CarriedPath{{
			PathID: "CORE01|agent|AGENT01|agent01", Core: "CORE01", Target: "AGENT01", Kind: verdict.KindAgent,
			NameUsed: "agent01", After: verdict.Unknown, Carried: verdict.Blocked, FactsAt: at, Age: "2d",
			FailedHosts: []string{"CORE01"},
		}},
	}
	for _, format := range []string{"text", "markdown"} {
		rd, err := render.NewDiff(format)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := rd.RenderDiff(&buf, c, render.Options{}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		for _, want := range []string{"1 not comparable", "AGENT01", "blocked", "2d old", "CORE01"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s diff lacks %q:\n%s", format, want, out)
			}
		}
	}
}
