package render_test

import (
	"html"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/internal/reporttest"
	"github.com/ntlmscan/ntlmscan/report/render"
)

// TestFormatsAgree: the terminal, HTML, Markdown and Markdown summary
// reports of one report give the same verdict counts and the same "also
// unreachable" count, and list paths in the same order, worst first. Each
// output is parsed for what it says; no format is compared with a golden.
func TestFormatsAgree(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		r    *report.Report
	}{
		{"demo", reporttest.Demo()},
		{"demo with baseline and waivers", reporttest.DemoFull()},
		{"estate300", estate(300)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := render.Options{All: true}
			out := map[string]string{}
			for _, f := range []string{"table", "html", "markdown", "markdown-summary"} {
				out[f] = string(render1(t, f, tc.r, opts))
			}

			counts := map[string]map[string]int{
				"table":            parseCountList(t, out["table"], `(?m)^Paths: \d+ \(([^)]*)\)$`),
				"markdown":         parseCountList(t, out["markdown"], `(?m)^- Paths: \d+ \(([^)]*)\)$`),
				"html":             parseHTMLCards(out["html"]),
				"markdown-summary": parseSummaryCounts(out["markdown-summary"]),
			}
			want := map[string]int{}
			for i := range tc.r.Matrix.Paths {
				want[string(tc.r.Matrix.Paths[i].Verdict)]++
			}
			for f, got := range counts {
				for v, n := range got {
					if n == 0 {
						delete(got, v)
					}
				}
				if !maps.Equal(got, want) {
					t.Errorf("%s counts %v, want %v", f, got, want)
				}
			}

			probe := regexp.MustCompile(`TCP probe failed \(also unreachable\): (\d+ paths? \([^)]*\))`)
			var wantProbe string
			for _, f := range []string{"table", "html", "markdown", "markdown-summary"} {
				m := probe.FindStringSubmatch(out[f])
				if m == nil {
					t.Errorf("%s does not say how many paths are also unreachable", f)
					continue
				}
				if wantProbe == "" {
					wantProbe = m[1]
				} else if m[1] != wantProbe {
					t.Errorf("%s: also unreachable %q, table says %q", f, m[1], wantProbe)
				}
			}

			// The order: the terminal's list (--all: every path) is the
			// reference; the Markdown table lists the same; the HTML's top
			// problems are its first problems and each Core section its
			// paths of that Core.
			term := parseTerminalPaths(t, out["table"])
			if len(term) != len(tc.r.Matrix.Paths) {
				t.Fatalf("terminal lists %d paths, want %d", len(term), len(tc.r.Matrix.Paths))
			}
			if md := parseMarkdownPaths(out["markdown"]); !slices.Equal(md, keys(term)) {
				t.Errorf("Markdown path order differs from the terminal's:\n got %q\nwant %q", md, keys(term))
			}
			top, cores := parseHTMLPaths(out["html"])
			var problems []string
			for _, p := range term {
				if p.verdict != "ok" {
					problems = append(problems, p.key)
				}
			}
			if len(top) == 0 || len(top) > len(problems) || !slices.Equal(top, problems[:len(top)]) {
				t.Errorf("HTML top problems differ from the terminal's first problems:\n got %q\nwant %q", top, problems)
			}
			n := 0
			for _, c := range cores {
				var want []string
				for _, p := range term {
					if p.core == c.core {
						want = append(want, p.key)
					}
				}
				n += len(c.keys)
				if !slices.Equal(c.keys, want) {
					t.Errorf("HTML section %s differs from the terminal's paths of that Core:\n got %q\nwant %q", c.core, c.keys, want)
				}
			}
			if n != len(term) {
				t.Errorf("HTML Core sections hold %d paths, want %d", n, len(term))
			}

			// The summary groups problems: blocked first, then unknown,
			// at-risk and unreachable, every unwaived problem once.
			rank := map[string]int{"blocked": 0, "blocked-suspected": 0, "unknown": 1, "at-risk": 2, "unreachable": 3}
			groups := regexp.MustCompile(`(?m)^- \**\*?([a-z-]+)\*?\**, ([\d,]+) paths?: `).FindAllStringSubmatch(out["markdown-summary"], -1)
			last, listed := -1, 0
			for _, g := range groups {
				r, ok := rank[g[1]]
				if !ok || r < last {
					t.Errorf("summary group %q out of order (or not a problem)", g[0])
				}
				last = r
				k, _ := strconv.Atoi(strings.ReplaceAll(g[2], ",", ""))
				listed += k
			}
			waived := 0
			if m := regexp.MustCompile(`(\d+) waived paths are not listed`).FindStringSubmatch(out["markdown-summary"]); m != nil {
				waived, _ = strconv.Atoi(m[1])
			}
			if listed+waived != len(problems) {
				t.Errorf("summary groups %d problem paths and %d waived, want %d problems", listed, waived, len(problems))
			}
		})
	}
}

func parseCountList(t *testing.T, out, re string) map[string]int {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(out)
	if m == nil {
		t.Errorf("no %s in the output", re)
		return nil
	}
	got := map[string]int{}
	for _, part := range strings.Split(m[1], ", ") {
		n, v, _ := strings.Cut(part, " ")
		got[v], _ = strconv.Atoi(n)
	}
	return got
}

func parseHTMLCards(out string) map[string]int {
	got := map[string]int{}
	for _, m := range regexp.MustCompile(`<div class="n">(\d+)</div><div class="l">Paths ([a-z-]+)</div>`).FindAllStringSubmatch(out, -1) {
		got[m[2]], _ = strconv.Atoi(m[1])
	}
	return got
}

// parseSummaryCounts reads the summary's "| Verdict | Paths |" table.
func parseSummaryCounts(out string) map[string]int {
	got := map[string]int{}
	_, table, _ := strings.Cut(out, "| Verdict | Paths |\n|---|---|\n")
	table, _, _ = strings.Cut(table, "\n\n")
	for _, m := range regexp.MustCompile(`(?m)^\| \**\*?([a-z-]+)\*?\** \| (\d+) \|$`).FindAllStringSubmatch(table, -1) {
		got[m[1]], _ = strconv.Atoi(m[2])
	}
	return got
}

type listedPath struct{ core, verdict, key string }

func keys(list []listedPath) []string {
	out := make([]string, len(list))
	for i, p := range list {
		out[i] = p.key
	}
	return out
}

func pathKey(core, target, name string) string { return core + " -> " + target + " " + name }

// parseTerminalPaths reads the terminal's path table (no width: one line
// per path, columns apart by two spaces or more).
func parseTerminalPaths(t *testing.T, out string) []listedPath {
	t.Helper()
	_, table, ok := strings.Cut(out, "PATHS (worst first)\n")
	if !ok {
		t.Fatal("no PATHS section in the terminal report")
	}
	table, _, _ = strings.Cut(table, "\n\n")
	lines := strings.Split(table, "\n")
	sep := regexp.MustCompile(`\s{2,}`)
	var list []listedPath
	for _, l := range lines[2:] { // heads and rule
		f := sep.Split(l, -1)
		if len(f) < 8 {
			continue // "N ok paths counted" and the like
		}
		v, _, _ := strings.Cut(f[7], " ")
		list = append(list, listedPath{core: f[0], verdict: v, key: pathKey(f[0], f[1], f[4])})
	}
	return list
}

// parseMarkdownPaths reads the Markdown report's path table.
func parseMarkdownPaths(out string) []string {
	_, table, _ := strings.Cut(out, "\n## Paths\n")
	table, _, _ = strings.Cut(table, "\n## ")
	var list []string
	for _, l := range strings.Split(table, "\n") {
		f := strings.Split(l, " | ")
		if len(f) < 9 || !strings.HasPrefix(l, "| ") || strings.HasPrefix(l, "| Core |") {
			continue
		}
		list = append(list, pathKey(strings.TrimPrefix(f[0], "| "), f[1], strings.Trim(f[4], "`")))
	}
	return list
}

type htmlSection struct {
	core string
	keys []string
}

// parseHTMLPaths reads the page's top problems and its Core sections.
func parseHTMLPaths(out string) (top []string, cores []htmlSection) {
	for _, m := range regexp.MustCompile(`<tr data-v="[^"]*"><td>([^<]*)</td><td>([^<]*)</td><td>[^<]*</td><td><code>([^<]*)</code>`).FindAllStringSubmatch(out, -1) {
		top = append(top, pathKey(html.UnescapeString(m[1]), html.UnescapeString(m[2]), html.UnescapeString(m[3])))
	}
	re := regexp.MustCompile(`<details class="core" id="[^"]*"(?: open)?>\n<summary>([^<]*) <span|<tr id="[^"]*" data-v="[^"]*">\n<td>([^<]*)</td><td>[^<]*</td><td>[^<]*</td><td><code>([^<]*)</code>`)
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		if m[1] != "" {
			cores = append(cores, htmlSection{core: html.UnescapeString(m[1])})
			continue
		}
		if len(cores) > 0 {
			c := &cores[len(cores)-1]
			c.keys = append(c.keys, pathKey(c.core, html.UnescapeString(m[2]), html.UnescapeString(m[3])))
		}
	}
	return top, cores
}
