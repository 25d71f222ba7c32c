package render_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/internal/reporttest"
	"github.com/ntlmscan/ntlmscan/report/render"
	"github.com/ntlmscan/ntlmscan/report/verdict"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// withAllBlockedNew is r compared with a baseline in which none of its
// blocked paths was blocked: every blocked path is newly blocked.
func withAllBlockedNew(r *report.Report) *report.Report {
	base := *r
	base.RunID = "baseline"
	base.Matrix.Paths = append([]verdict.Path(nil), r.Matrix.Paths...)
	for i := range base.Matrix.Paths {
		if p := &base.Matrix.Paths[i]; p.Verdict.Blocking() {
			p.Verdict = verdict.OK
		}
	}
	r.Baseline = report.Compare(&base, r)
	return r
}

// withManyFailed marks every other host as failed, each with its own error
// class, so the not-scanned table must stop early too.
func withManyFailed(r *report.Report) *report.Report {
	for i := range r.Hosts {
		if i%2 == 0 {
			r.Hosts[i].Facts = nil
			r.Hosts[i].Error = &facts.HostError{Class: facts.ErrorClass("class-" + strings.Repeat("x", i%97) + r.Hosts[i].Host), Message: "m"}
		}
	}
	return r
}

// hugeNames is the demo with megabyte-long, markup-laden names everywhere
// a summary prints one.
func hugeNames() *report.Report {
	big := strings.Repeat("|<b>*_[x](http://evil.example)`# ", 30000)
	r := withAllBlockedNew(hostile([]string{big + "a", big + "b", "=1+1|" + big}))
	r.Inventory, r.ToolVersion = big, big
	return r
}

// longNames gives every path of r long, markup-laden names.
func longNames(r *report.Report) *report.Report {
	long := strings.Repeat("<i>|`*", 60)
	for i := range r.Matrix.Paths {
		p := &r.Matrix.Paths[i]
		p.Core, p.Target, p.NameUsed = long+p.Core, long+p.Target, long+p.NameUsed
	}
	for i := range r.Baseline.New {
		ch := &r.Baseline.New[i]
		ch.Core, ch.Target, ch.NameUsed = long+ch.Core, long+ch.Target, long+ch.NameUsed
	}
	return r
}

func TestMarkdownSummaryStaysTicketSized(t *testing.T) {
	t.Parallel()
	files := render.Files{CSV: "/var/lib/ntlmscan/ntlmscan-20261124T020000Z.csv", HTML: "estate.html", JSON: "latest.json"}
	tests := []struct {
		name string
		r    *report.Report
		// want are texts the summary must contain (truncation notes).
		want []string
	}{
		{"demo", reporttest.DemoFull(), []string{"## Newly blocked since baseline", "- **blocked**, 2 paths: CORE01 `RestrictSendingNTLMTraffic=2 (Deny all)` — CORE01 → AGENT02"}},
		{"estate 300", reporttest.Estate(300), []string{"## Hosts not scanned (7)", "| **blocked** | 22 |", "## Top problems (136 paths in "}},
		{"estate 5000", reporttest.Estate(5000), []string{"more groups (", "paths): every path, with its fix, in `/var/lib/ntlmscan/ntlmscan-20261124T020000Z.csv`."}},
		{"estate 5000 all blocked new", withAllBlockedNew(reporttest.Estate(5000)), []string{"more newly blocked paths: the rows with new_since_baseline = yes in", "paths): every path"}},
		{"estate 5000 many failed", withManyFailed(reporttest.Estate(5000)), []string{"more error classes", "paths): every path"}},
		{"huge names", hugeNames(), []string{"## Newly blocked since baseline (5)", "…"}},
		{"estate 5000 long names", longNames(withAllBlockedNew(reporttest.Estate(5000))), []string{"more newly blocked paths", "paths): every path"}},
	}
	// File names are the user's, but a long one full of control characters
	// must not break the bound either.
	oddFiles := render.Files{CSV: strings.Repeat("\x1b|`", 5000), HTML: strings.Repeat("é", 9000), Command: strings.Repeat("ntlmscan \x00", 900)}
	tests = append(tests, struct {
		name string
		r    *report.Report
		want []string
	}{"odd file names", withAllBlockedNew(reporttest.Estate(5000)), []string{"more newly blocked paths", "paths): every path"}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			files := files
			if tt.name == "odd file names" {
				files = oddFiles
			}
			out := string(render1(t, render.FormatMarkdownSummary, tt.r, render.Options{Files: files}))
			if len(out) >= render.MarkdownSummaryLimit || len(out) >= 32768 {
				t.Errorf("summary is %d bytes, want < %d", len(out), render.MarkdownSummaryLimit)
			}
			t.Logf("%d paths: %d bytes", len(tt.r.Matrix.Paths), len(out))
			want := append(tt.want, "## Counts", "## Full report")
			if files.JSON != "" {
				want = append(want, "`latest.json`", "`estate.html`")
			}
			for _, w := range want {
				if !strings.Contains(out, w) {
					t.Errorf("summary lacks %q", w)
				}
			}
			checkInertMarkdown(t, out)
		})
	}
}

// checkInertMarkdown: outside code spans, data cannot add raw HTML, links
// or headings, and every table row keeps its cells.
func checkInertMarkdown(t *testing.T, md string) {
	t.Helper()
	header := 0
	for _, line := range strings.Split(md, "\n") {
		text := withoutCodeSpans(line)
		if strings.Contains(text, "<") || unescapedLink.MatchString(text) {
			t.Errorf("unescaped markup in %.200q", line)
		}
		if strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "# ntlmscan summary") && !strings.HasPrefix(line, "## ") {
			t.Errorf("data made a heading: %.200q", line)
		}
		switch {
		case !strings.HasPrefix(line, "|"):
			header = 0
		case header == 0:
			header = countCells(line)
		case countCells(line) != header:
			t.Errorf("table row has %d cells, header %d: %.200q", countCells(line), header, line)
		}
	}
}

// The worst problems come first: blocked, then unknown, then at-risk; each
// line names the deciding host and setting as the full report does.
func TestMarkdownSummaryOrderAndDeciding(t *testing.T) {
	t.Parallel()
	out := string(render1(t, render.FormatMarkdownSummary, reporttest.Estate(300), render.Options{}))
	_, top, ok := strings.Cut(out, "## Top problems")
	if !ok {
		t.Fatal("no Top problems section")
	}
	top, _, _ = strings.Cut(top, "\n## ")
	rank := map[string]int{"- **blocked**, ": 0, "- **blocked-suspected**, ": 0, "- unknown, ": 1, "- *at-risk*, ": 2, "- unreachable, ": 3}
	last, n, paths := 0, 0, 0
	count := regexp.MustCompile(`^- [^,]+, ([\d,]+) paths?: `)
	for _, line := range strings.Split(top, "\n") {
		for prefix, r := range rank {
			if strings.HasPrefix(line, prefix) {
				n++
				if m := count.FindStringSubmatch(line); m != nil {
					k, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
					paths += k
				}
				if r < last {
					t.Errorf("%q after a worse-ranked line", line)
				}
				last = r
			}
		}
	}
	if n == 0 || last != 3 || paths != 136 {
		t.Errorf("%d problem lines for %d paths, last rank %d: want every path from blocked through unreachable", n, paths, last)
	}
	if !strings.Contains(top, "paths: CORE01 `RestrictSendingNTLMTraffic=2 (Deny all)` \\[source: unknown (policy sources not collected)\\] — ") {
		t.Errorf("the paths CORE01's setting blocks are not one group:\n%s", top)
	}
	full := string(render1(t, render.FormatMarkdown, reporttest.Estate(300), render.Options{}))
	// A group's deciding text is the one the full report shows.
	deciding := regexp.MustCompile(`^- \*\*blocked\*\*, [\d,]+ paths?: (.*) — `)
	checked := 0
	for _, line := range strings.Split(top, "\n") {
		if m := deciding.FindStringSubmatch(line); m != nil {
			checked++
			if !strings.Contains(full, "| "+m[1]+" |") {
				t.Errorf("deciding text %q is not the full report's", m[1])
			}
		}
	}
	if checked == 0 {
		t.Error("no blocked line checked")
	}
}

// Without file names, the summary says which command writes each report.
func TestMarkdownSummaryNamesCommands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		files render.Files
		want  []string
	}{
		{render.Files{}, []string{"`ntlmscan scan -i INVENTORY --json scan.json --csv paths.csv`", "`ntlmscan scan -i INVENTORY --json scan.json`"}},
		{render.Files{Command: "ntlmscan demo"}, []string{"`ntlmscan demo --json demo.json --csv paths.csv`", "`ntlmscan plan demo.json`"}},
		{render.Files{JSON: "latest.json"}, []string{"`ntlmscan report latest.json --format csv -o paths.csv`", "`ntlmscan plan latest.json`"}},
	}
	for _, tt := range tests {
		out := string(render1(t, render.FormatMarkdownSummary, reporttest.DemoFull(), render.Options{Files: tt.files}))
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("%+v: summary lacks %q", tt.files, w)
			}
		}
	}
}

func TestMarkdownSummaryGolden(t *testing.T) {
	t.Parallel()
	golden(t, "markdown-summary", render1(t, render.FormatMarkdownSummary, reporttest.DemoFull(),
		render.Options{Files: render.Files{CSV: "paths.csv", JSON: "scan.json"}}))
}
