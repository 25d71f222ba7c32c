package render_test

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/internal/reporttest"
	"github.com/ntlmscan/ntlmscan/report/render"
	"github.com/ntlmscan/ntlmscan/report/verdict"
)

// TestHTMLLayout checks the page without running its script (as a reader
// with scripts off sees it): every path has exactly one row in its Core's
// section, the top problems come first, capped with a count of the rest,
// and the matrix sits in its own scroll box, or is left out when it would
// be huge.
func TestHTMLLayout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		r    *report.Report
		grid bool
	}{
		{"demo", reporttest.DemoFull(), true},
		{"estate-300", reporttest.Estate(300), true},
		{"estate-5000", reporttest.Estate(5000), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if testing.Short() && tc.name == "estate-5000" {
				t.Skip("big")
			}
			page := string(render1(t, "html", tc.r, render.Options{}))
			rows := map[string]int{}
			var topRows, order []string
			var inTop, inScroll, gridInScroll, gridOutside bool
			z := html.NewTokenizer(strings.NewReader(page))
			depth := 0 // <div> depth inside the scroll box
			for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
				tok := z.Token()
				attr := func(k string) string {
					for _, a := range tok.Attr {
						if a.Key == k {
							return a.Val
						}
					}
					return ""
				}
				switch {
				case tt == html.StartTagToken && tok.Data == "table":
					inTop = attr("id") == "top"
					if strings.Contains(attr("class"), "grid") {
						gridInScroll, gridOutside = gridInScroll || inScroll, gridOutside || !inScroll
					}
				case tt == html.EndTagToken && tok.Data == "table":
					inTop = false
				case tt == html.StartTagToken && tok.Data == "div":
					if inScroll {
						depth++
					} else if attr("class") == "scroll" {
						inScroll = true
					}
				case tt == html.EndTagToken && tok.Data == "div" && inScroll:
					if depth == 0 {
						inScroll = false
					} else {
						depth--
					}
				case tt == html.StartTagToken && tok.Data == "tr":
					if id := attr("id"); id != "" {
						rows[id]++
					}
					if inTop && attr("data-v") != "" { // not the head row
						topRows = append(topRows, attr("data-v"))
					}
				case tt == html.StartTagToken && (tok.Data == "h2" || tok.Data == "details") && attr("id") != "":
					order = append(order, attr("id"))
				case tt == html.StartTagToken && tok.Data == "h2":
					z.Next()
					order = append(order, z.Token().Data)
				}
			}
			problems := 0
			for i := range tc.r.Matrix.Paths {
				p := &tc.r.Matrix.Paths[i]
				if n := rows[p.ID]; n != 1 {
					t.Errorf("path %s has %d rows, want 1", p.ID, n)
				}
				if p.Verdict != verdict.OK {
					problems++
				}
			}
			if len(rows) != len(tc.r.Matrix.Paths) {
				t.Errorf("%d path rows for %d paths", len(rows), len(tc.r.Matrix.Paths))
			}
			if want := min(problems, 50); len(topRows) != want {
				t.Errorf("top problems: %d rows, want %d", len(topRows), want)
			}
			if more := problems - 50; more > 0 && !strings.Contains(page, fmt.Sprintf("The 50 worst are listed; %d more are in the Core sections below.", more)) {
				t.Errorf("top problems do not count the %d others", more)
			}
			if len(topRows) > 0 && topRows[0] != string(worstVerdict(tc.r)) {
				t.Errorf("top problems start with %s, want %s", topRows[0], worstVerdict(tc.r))
			}
			// Summary, then top problems, then the Cores, then the matrix.
			at := func(s string) int {
				for i, o := range order {
					if o == s {
						return i
					}
				}
				t.Fatalf("section %q missing in %q", s, order)
				return -1
			}
			if !(at("top-problems") < at("Cores") && at("Cores") < at("core-1") && at("core-1") < at("Matrix")) {
				t.Errorf("section order %q", order)
			}
			if tc.grid && (!gridInScroll || gridOutside) {
				t.Errorf("the matrix is not (only) inside its scroll box: inside %v, outside %v", gridInScroll, gridOutside)
			}
			if !tc.grid && (gridInScroll || gridOutside || !strings.Contains(page, "it is left out at this size")) {
				t.Error("the huge matrix is drawn, or its absence is not explained")
			}
		})
	}
}

func worstVerdict(r *report.Report) verdict.Verdict {
	w := verdict.OK
	for i := range r.Matrix.Paths {
		if v := r.Matrix.Paths[i].Verdict; v.Severity() > w.Severity() {
			w = v
		}
	}
	return w
}
