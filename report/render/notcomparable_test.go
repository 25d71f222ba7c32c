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

// Host waivers show in every waivers table, active or expired.
func TestHostWaiversRendered(t *testing.T) {
	t.Parallel()
	r := &report.Report{Waivers: &report.Waivers{File: "w.yaml", Hosts: []report.AppliedHostWaiver{
		{Host: "AGENT07", WaiverRef: report.WaiverRef{Line: 2, Match: "host=AGENT07", Owner: "ops@corp.example", Reason: "CHG-2310", Expires: "2027-03-31"}},
		{Host: "AGENT08", WaiverRef: report.WaiverRef{Line: 6, Match: "host=AGENT08", Owner: "ops@corp.example", Reason: "old", Expires: "2026-01-31"}, Expired: true},
	}}}
	for _, format := range []string{"table", "markdown", "html"} {
		rd, err := render.New(format)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := rd.Render(&buf, r, render.Options{}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		for _, want := range []string{"host=AGENT07", "host accepted", "host=AGENT08", "CHG-2310"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q", format, want)
			}
		}
	}
}

// A scan report's summary of the baseline says how many paths are not
// comparable, in every format that summarises it.
func TestReportSummaryNotComparable(t *testing.T) {
	t.Parallel()
	r := &report.Report{Baseline: &report.Comparison{NotComparable: []report.CarriedPath{{PathID: "CORE01|agent|A|a", FailedHosts: []string{"CORE01"}}}}}
	for _, format := range []string{"table", "markdown", "html"} {
		rd, err := render.New(format)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := rd.Render(&buf, r, render.Options{}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), "1 not comparable") {
			t.Errorf("%s summary lacks the not comparable count", format)
		}
	}
}
