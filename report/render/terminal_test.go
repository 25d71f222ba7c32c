package render_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/jedib0t/go-pretty/v6/text"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/internal/reporttest"
	"github.com/ntlmscan/ntlmscan/report/render"
	"github.com/ntlmscan/ntlmscan/report/verdict"
)

// estates caches the generated estates: the 5,000-host one takes a moment.
var estates sync.Map // int -> *report.Report

func estate(n int) *report.Report {
	if r, ok := estates.Load(n); ok {
		return r.(*report.Report)
	}
	r, _ := estates.LoadOrStore(n, reporttest.Estate(n))
	return r.(*report.Report)
}

// TestTerminalSizeBounds: the terminal report of a 300- and a 5,000-host
// estate stays a few screens long, and no line is longer than the width
// (the terminal never wraps a table row). The renderer before issue 20 wrote
// 1,396 lines at 300 hosts and 52,881 at 5,000 (120 columns), with 432 and
// 8,513 lines wider than the terminal.
func TestTerminalSizeBounds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		hosts, width, maxLines int
	}{
		// Measured when written: 211, 168, 98; 260, 222, 153 lines.
		{300, 80, 240}, {300, 120, 200}, {300, 0, 130},
		{5000, 80, 300}, {5000, 120, 260},
		{5000, 0, 200}, // a pipe: no width, still capped
	}
	for _, tt := range tests {
		out := string(render1(t, "table", estate(tt.hosts), render.Options{Width: tt.width}))
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) > tt.maxLines {
			t.Errorf("%d hosts at width %d: %d lines, want at most %d", tt.hosts, tt.width, len(lines), tt.maxLines)
		}
		if tt.width == 0 {
			continue
		}
		for i, l := range lines {
			if w := text.RuneWidthWithoutEscSequences(l); w > tt.width {
				t.Errorf("%d hosts at width %d: line %d is %d columns: %q", tt.hosts, tt.width, i+1, w, l)
			}
		}
	}
}

// TestTerminalSummary: the summary counts every path by verdict and
// evidence, and lists the paths whose TCP probe failed whatever their
// verdict (the estate has 8 unreachable paths and 5 more, blocked or
// at-risk, whose probe failed too).
func TestTerminalSummary(t *testing.T) {
	t.Parallel()
	out := string(render1(t, "table", estate(300), render.Options{Width: 120}))
	for _, want := range []string{
		"Paths: 295 (159 ok, 8 unreachable, 99 at-risk, 7 unknown, 0 blocked-suspected, 22 blocked)",
		"At-risk by evidence: 4 no-ntlm-seen, 95 no-evidence",
		"TCP probe failed (also unreachable): 13 paths (1 blocked, 4 at-risk, 8 unreachable)",
		"  CORE01 -> AGENT0001: blocked",
		"… and 3 more",
		"159 ok paths counted, not listed",
		"CORES (paths per verdict",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("terminal report lacks %q:\n%s", want, out)
		}
	}
}

// TestTerminalFilter: the filters narrow the listed paths and say so; a
// filter that matches nothing says what it was given.
func TestTerminalFilter(t *testing.T) {
	t.Parallel()
	r := estate(300)
	tests := []struct {
		name   string
		filter render.Filter
		all    bool
		want   []string
		reject []string
	}{
		{"verdict", render.Filter{Verdicts: []verdict.Verdict{verdict.Unreachable}}, false,
			[]string{"Showing 8 of 295 paths (filtered by --verdict unreachable)", "CORE01  AGENT0070"},
			[]string{"blocked      CORE01", "more: narrow with"}},
		{"core glob, case-insensitive", render.Filter{Cores: []string{"core0[3]"}, Verdicts: []verdict.Verdict{verdict.Blocked, verdict.Unknown}}, false,
			[]string{"Showing 2 of 295 paths (filtered by --verdict blocked,unknown --core core0[3])", "CORE03  AGENT0123"},
			[]string{"CORE01  AGENT", "CORE02  AGENT"}},
		{"target by name used", render.Filter{Targets: []string{"10.1.0.0"}}, false,
			[]string{"Showing 1 of 295 paths", "CORE01  AGENT0001"}, nil},
		{"tag of the target", render.Filter{Tags: []string{"storage"}, Verdicts: []verdict.Verdict{verdict.OK}}, false,
			[]string{"ok       CORE03  FS003"}, []string{"CORE03  AGENT0"}},
		{"no match", render.Filter{Cores: []string{"CORE99"}}, false,
			[]string{"No path matches --core CORE99 (of 295 paths)", "Cores: CORE01, CORE02, CORE03"}, []string{"VERDICT  CORE"}},
		{"all lists ok paths", render.Filter{Cores: []string{"CORE03"}}, true,
			[]string{"CORE03  AGENT0003"}, []string{"ok paths counted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := string(render1(t, "table", r, render.Options{Width: 120, Filter: tt.filter, All: tt.all}))
			for _, want := range tt.want {
				if !strings.Contains(out, want) {
					t.Errorf("lacks %q:\n%s", want, out)
				}
			}
			for _, bad := range tt.reject {
				if strings.Contains(out, bad) {
					t.Errorf("has %q:\n%s", bad, out)
				}
			}
		})
	}
}

func TestParseVerdicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      []string
		want    string
		wantErr string
	}{
		{[]string{"blocked,at-risk", "Blocked"}, "blocked at-risk", ""},
		{[]string{"unknown"}, "unknown", ""},
		{[]string{"blockd"}, "", `unknown verdict "blockd": did you mean blocked?`},
		{[]string{"bad"}, "", "valid verdicts: blocked, blocked-suspected, unknown, at-risk, unreachable, ok"},
	}
	for _, tt := range tests {
		got, err := render.ParseVerdicts(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseVerdicts(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		var names []string
		for _, v := range got {
			names = append(names, string(v))
		}
		if err != nil || strings.Join(names, " ") != tt.want {
			t.Errorf("ParseVerdicts(%q) = %v, %v; want %s", tt.in, names, err, tt.want)
		}
	}
}

// repeatedHostNotes are notes whose explanations already say their value,
// two of them for the same setting of one host, as the engine may give them.
func repeatedHostNotes() []verdict.Reason {
	return []verdict.Reason{
		{Host: "CORE01", Setting: "RestrictSendingNTLMTraffic", RawValue: "2", ValueLabel: "Deny all", Effect: verdict.EffectInfo,
			Explanation: "RestrictSendingNTLMTraffic=2 (Deny all) is in CORE01's registry."},
		{Host: "CORE01", Setting: "RestrictNTLMInDomain", RawValue: "1", ValueLabel: "Deny for domain accounts", Effect: verdict.EffectInfo,
			Explanation: "RestrictNTLMInDomain=1 (Deny for domain accounts) is in CORE01's registry."},
		{Host: "CORE01", Setting: "RestrictNTLMInDomain", RawValue: "1", ValueLabel: "Deny for domain accounts", Effect: verdict.EffectInfo,
			Explanation: "RestrictNTLMInDomain=1 (Deny for domain accounts) is in CORE01's registry."},
		{Host: "AGENT07", Setting: verdict.SettingScan, RawValue: "not scanned", ValueLabel: "auth-method-not-enabled", Effect: verdict.EffectUnknown,
			Explanation: "AGENT07 could not be scanned (auth-method-not-enabled); every path that depends on it is unknown."},
	}
}

// TestHostNotesOncePerHost: a host's notes are one line that never says a
// setting value twice (it read "X=1 (label): X=1 (label) is in ...").
func TestHostNotesOncePerHost(t *testing.T) {
	t.Parallel()
	r := reporttest.Demo()
	r.Matrix.HostNotes = repeatedHostNotes()
	out := string(render1(t, "table", r, render.Options{}))
	notes := out[strings.Index(out, "HOST NOTES"):strings.Index(out, "SUMMARY")]
	for _, want := range []string{
		"\n  CORE01 [info]: RestrictSendingNTLMTraffic=2 (Deny all) is in CORE01's registry. RestrictNTLMInDomain=1 (Deny for domain accounts) is in CORE01's registry.\n",
		"\n  AGENT07 [unknown]: AGENT07 could not be scanned (auth-method-not-enabled); every path that depends on it is unknown.\n",
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("host notes lack %q:\n%s", want, notes)
		}
	}
	if n := strings.Count(notes, "\n  "); n != 2 {
		t.Errorf("%d host note lines, want one per host (2):\n%s", n, notes)
	}
}

// TestHostNotesOncePerHostInFiles: the HTML and Markdown reports list the
// host notes as the terminal does, one entry per host that never says a
// setting value twice.
func TestHostNotesOncePerHostInFiles(t *testing.T) {
	t.Parallel()
	r := reporttest.Demo()
	r.Matrix.HostNotes = repeatedHostNotes()
	tests := []struct {
		format, start, end, entry string
	}{
		{"html", "<h2>Host notes</h2>", "</ul>", "<li>"},
		{"markdown", "## Host notes", "\n## ", "\n- "},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			t.Parallel()
			out := string(render1(t, tt.format, r, render.Options{}))
			i := strings.Index(out, tt.start)
			if i < 0 {
				t.Fatalf("no %q in:\n%s", tt.start, out)
			}
			notes := out[i:]
			if j := strings.Index(notes[len(tt.start):], tt.end); j >= 0 {
				notes = notes[:len(tt.start)+j]
			}
			for _, once := range []string{"RestrictSendingNTLMTraffic=2 (Deny all)", "RestrictNTLMInDomain=1 (Deny for domain accounts)", "auth-method-not-enabled"} {
				if n := strings.Count(notes, once); n != 1 {
					t.Errorf("%q said %d times, want once:\n%s", once, n, notes)
				}
			}
			if n := strings.Count(notes, tt.entry); n != 2 {
				t.Errorf("%d host note entries, want one per host (2):\n%s", n, notes)
			}
		})
	}
}

// TestFilesFilter: a filtered HTML or Markdown report lists only the
// paths the filter keeps, says so, and still counts every path in its
// summary; the Markdown summary, the run's ticket text, ignores filters.
func TestFilesFilter(t *testing.T) {
	t.Parallel()
	r := estate(300)
	unreachable := render.Filter{Verdicts: []verdict.Verdict{verdict.Unreachable}}
	tests := []struct {
		name, format string
		filter       render.Filter
		want, reject []string
	}{
		{"html", "html", unreachable,
			[]string{"Showing 8 of 295 paths (filtered by --verdict unreachable)", `<div class="n">159</div><div class="l">Paths ok</div>`,
				`<div class="n">22</div><div class="l">Paths blocked</div>`},
			[]string{`data-v="blocked"`, `data-v="ok"`}},
		{"html, no match", "html", render.Filter{Cores: []string{"CORE99"}},
			[]string{"Showing 0 of 295 paths (filtered by --core CORE99)", `<div class="n">159</div><div class="l">Paths ok</div>`},
			[]string{`data-v="`}},
		{"html unfiltered", "html", render.Filter{},
			[]string{`<div class="n">159</div><div class="l">Paths ok</div>`}, []string{"Showing "}},
		{"markdown", "markdown", unreachable,
			[]string{"Showing 8 of 295 paths (filtered by --verdict unreachable)", "- Paths: 295 (159 ok, 8 unreachable, 99 at-risk, 7 unknown, 0 blocked-suspected, 22 blocked)"},
			[]string{"| **blocked** |", "| ok |"}},
		{"markdown unfiltered", "markdown", render.Filter{}, nil, []string{"Showing "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := string(render1(t, tt.format, r, render.Options{Filter: tt.filter}))
			for _, want := range tt.want {
				if !strings.Contains(out, want) {
					t.Errorf("lacks %q", want)
				}
			}
			for _, bad := range tt.reject {
				if strings.Contains(out, bad) {
					t.Errorf("has %q", bad)
				}
			}
		})
	}
	t.Run("html newly blocked counts every path", func(t *testing.T) {
		t.Parallel()
		// The demo's one newly blocked path is CORE02's.
		out := string(render1(t, "html", reporttest.DemoFull(), render.Options{Filter: render.Filter{Cores: []string{"CORE01"}}}))
		if want := `<div class="n">1</div><div class="l">Newly blocked</div>`; !strings.Contains(out, want) {
			t.Errorf("lacks %q", want)
		}
	})
	t.Run("markdown-summary ignores filters", func(t *testing.T) {
		t.Parallel()
		whole := render1(t, "markdown-summary", r, render.Options{})
		if got := render1(t, "markdown-summary", r, render.Options{Filter: unreachable}); string(got) != string(whole) {
			t.Errorf("a filter changed the Markdown summary:\n%s", got)
		}
	})
}
