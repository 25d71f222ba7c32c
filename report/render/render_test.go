package render_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/internal/reporttest"
	"github.com/ntlmscan/ntlmscan/report/render"
	"github.com/ntlmscan/ntlmscan/report/verdict"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/<name>.golden (rewritten with -update).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report/render -update)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gotLines, wantLines := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(gotLines), len(wantLines)); i++ {
		var g, w string
		if i < len(gotLines) {
			g = gotLines[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if g != w {
			t.Errorf("%s differs at line %d (review, then -update):\n got: %q\nwant: %q", path, i+1, g, w)
			return
		}
	}
}

func render1(t *testing.T, format string, r *report.Report, opts render.Options) []byte {
	t.Helper()
	rd, err := render.New(format)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := rd.Render(&buf, r, opts); err != nil {
		t.Fatalf("Render %s: %v", format, err)
	}
	return buf.Bytes()
}

// withOverlay is the demo report as judged with a what-if overlay that adds
// AGENT02's address to CORE01's exceptions and AGENT04 to DC02's.
func withOverlay() *report.Report {
	r := reporttest.Demo()
	r.Options.Overlay = "exceptions-2027"
	r.Matrix.Overlay = "exceptions-2027"
	for i := range r.Matrix.Paths {
		p := &r.Matrix.Paths[i]
		p.Before = &verdict.PathBefore{Verdict: p.Verdict, Deciding: p.Deciding}
		switch p.ID {
		case "CORE01|agent|AGENT02|127.0.0.32", "CORE02|agent|AGENT04|127.0.0.34", "CORE01|agent|AGENT04|agent04.corp.example":
			p.Verdict, p.Deciding, p.Impact = verdict.OK, nil, ""
		}
	}
	r.Options.Strict = true
	r.Options.FailOn = report.FailOnAtRisk
	return r
}

func TestGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		format string
		r      *report.Report
		opts   render.Options
	}{
		{"table-plain", "table", reporttest.DemoFull(), render.Options{}},
		{"table-color", "table", reporttest.DemoFull(), render.Options{Color: true}},
		{"table-width100", "table", reporttest.DemoFull(), render.Options{Width: 100}},
		{"table-width80-color", "table", reporttest.DemoFull(), render.Options{Width: 80, Color: true}},
		{"table-width80-filtered", "table", reporttest.DemoFull(), render.Options{Width: 80,
			Filter: render.Filter{Verdicts: []verdict.Verdict{verdict.Blocked, verdict.AtRisk}, Cores: []string{"core01"}}}},
		{"table-estate300-width120", "table", reporttest.Estate(300), render.Options{Width: 120}},
		{"table-overlay", "table", withOverlay(), render.Options{}},
		{"table-plain-demo", "table", reporttest.Demo(), render.Options{}},
		{"csv", "csv", reporttest.DemoFull(), render.Options{}},
		{"csv-demo", "csv", reporttest.Demo(), render.Options{}},
		{"markdown", "markdown", reporttest.DemoFull(), render.Options{}},
		{"markdown-overlay", "md", withOverlay(), render.Options{}},
		{"html", "html", reporttest.DemoFull(), render.Options{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := render1(t, tc.format, tc.r, tc.opts)
			golden(t, tc.name, got)
			if again := render1(t, tc.format, tc.r, tc.opts); !bytes.Equal(again, got) {
				t.Error("two renders of the same report differ")
			}
		})
	}
}

func TestGoldenDiff(t *testing.T) {
	t.Parallel()
	c := reporttest.DemoFull().Baseline
	for _, tc := range []struct {
		name, format string
		opts         render.Options
	}{
		{"diff-text", "text", render.Options{}},
		{"diff-text-color", "table", render.Options{Color: true, Width: 100}},
		{"diff-markdown", "markdown", render.Options{}},
		{"diff-json", "json", render.Options{}},
		{"diff-csv", "csv", render.Options{}},
		{"diff-html", "html", render.Options{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rd, err := render.NewDiff(tc.format)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := rd.RenderDiff(&buf, c, tc.opts); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, buf.Bytes())
		})
	}
}

// TestJSONIsTheReport: the json format is report.Encode, whose shape
// report/testdata/demo-report.json pins.
func TestJSONIsTheReport(t *testing.T) {
	t.Parallel()
	var want bytes.Buffer
	if err := report.Encode(&want, reporttest.DemoFull()); err != nil {
		t.Fatal(err)
	}
	if got := render1(t, "json", reporttest.DemoFull(), render.Options{}); !bytes.Equal(got, want.Bytes()) {
		t.Error("json format differs from report.Encode")
	}
}

// TestPlainHasNoEscapes: without Color nothing writes ANSI sequences, and
// with it the table and the plain text differ only by them.
func TestPlainHasNoEscapes(t *testing.T) {
	t.Parallel()
	plain := render1(t, "table", reporttest.DemoFull(), render.Options{})
	if bytes.Contains(plain, []byte("\x1b")) {
		t.Error("plain table contains an escape sequence")
	}
	color := render1(t, "table", reporttest.DemoFull(), render.Options{Color: true})
	if !bytes.Contains(color, []byte("\x1b[31;1mblocked\x1b[0m")) {
		t.Error("color table does not colour blocked red")
	}
	stripped := stripANSI(string(color))
	if stripped != string(plain) {
		t.Error("color table without its escapes differs from the plain table")
	}
}

func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && (s[j] < '@' || s[j] > '~') {
				j++
			}
			i = j
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestFormats(t *testing.T) {
	t.Parallel()
	for _, f := range render.Formats() {
		if _, err := render.New(f); err != nil {
			t.Errorf("New(%q): %v", f, err)
		}
		if _, err := render.New(strings.ToUpper(f)); err != nil {
			t.Errorf("New(%q): %v", strings.ToUpper(f), err)
		}
	}
	for _, f := range render.DiffFormats() {
		if _, err := render.NewDiff(f); err != nil {
			t.Errorf("NewDiff(%q): %v", f, err)
		}
	}
	if _, err := render.New("xml"); err == nil || !strings.Contains(err.Error(), "table, csv, json, html, markdown") {
		t.Errorf("New(xml) error %v should list the formats", err)
	}
	if _, err := render.NewDiff("xml"); err == nil || !strings.Contains(err.Error(), "table, json, markdown, csv, html") {
		t.Errorf("NewDiff(xml) error %v should list the formats", err)
	}
}

// TestEmptyReport: a scan with no paths and no hosts still renders.
func TestEmptyReport(t *testing.T) {
	t.Parallel()
	r := &report.Report{RunID: "empty", GeneratedAt: reporttest.Now()}
	for _, f := range render.Formats() {
		out := render1(t, f, r, render.Options{Width: 80})
		if len(out) == 0 {
			t.Errorf("%s: empty output", f)
		}
	}
}

// TestHostOrderDoesNotMatter: hosts arrive in completion order; output must not.
func TestHostOrderDoesNotMatter(t *testing.T) {
	t.Parallel()
	a, b := reporttest.DemoFull(), reporttest.DemoFull()
	for i, j := 0, len(b.Hosts)-1; i < j; i, j = i+1, j-1 {
		b.Hosts[i], b.Hosts[j] = b.Hosts[j], b.Hosts[i]
	}
	for _, f := range []string{"table", "csv", "markdown", "html", "markdown-summary"} {
		if !bytes.Equal(render1(t, f, a, render.Options{}), render1(t, f, b, render.Options{})) {
			t.Errorf("%s output depends on host order", f)
		}
	}
}

func FuzzRender(f *testing.F) {
	// A small seed: the fuzzer mutates it far faster than the full demo.
	var seed bytes.Buffer
	if err := report.Encode(&seed, reporttest.Small()); err != nil {
		f.Fatal(err)
	}
	f.Add(seed.Bytes())
	f.Add([]byte(`{"kind":"ntlmscan.report","schema":1,"matrix":{"paths":[{"id":"a|agent|b|c","core":"<script>","target":"=1+1","verdict":"blocked","deciding":{"host":"\u001b[2J","effect":"blocks","explanation":"|x|"}}]}}`))
	f.Add([]byte(`{"kind":"ntlmscan.report","schema":2,"matrix":{"paths":[],"plan":[{"id":"x","kind":"registry-list-add","host":"H\u202e","setting":"ClientAllowedNTLMServers","settingId":"ClientAllowedNTLMServers","add":["a'b"],"value":"v","paths":["p"]},{"id":"y","kind":"registry-dword","host":"","setting":"s","settingId":"RestrictReceivingNTLMTraffic","value":"","paths":null},{"id":"z","kind":"core-name","host":"C","setting":"n","rename":{"core":"C","target":"T","from":"1","to":"t"},"value":"","paths":[]}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := report.Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, format := range render.PlanFormats() {
			if err := render.RenderPlan(&bytes.Buffer{}, r, format); err != nil {
				t.Fatalf("plan %s: %v", format, err)
			}
		}
		for _, format := range render.Formats() {
			rd, _ := render.New(format)
			for _, opts := range []render.Options{{}, {Color: true, Width: 60}} {
				if err := rd.Render(&bytes.Buffer{}, r, opts); err != nil {
					t.Fatalf("%s: %v", format, err)
				}
			}
		}
		if r.Baseline != nil {
			for _, format := range render.DiffFormats() {
				rd, _ := render.NewDiff(format)
				if err := rd.RenderDiff(&bytes.Buffer{}, r.Baseline, render.Options{}); err != nil {
					t.Fatalf("diff %s: %v", format, err)
				}
			}
		}
	})
}
