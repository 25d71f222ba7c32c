package render_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/internal/reporttest"
	"github.com/ntlmscan/ntlmscan/report/render"
	"github.com/ntlmscan/ntlmscan/report/verdict"
)

// TestHTMLInBrowser opens generated reports in a real headless Chromium
// (Debian's chromium, driven over the DevTools protocol by chromedp): the
// page loads without console errors or exceptions (a Content-Security-Policy
// violation is one), the inline script sorts and filters, the top problems
// come first, the matrix scrolls in its own box, and a screenshot of the
// 300-host report is kept as a test artifact. One browser serves every
// page: it is the heaviest thing the tests start.
func TestHTMLInBrowser(t *testing.T) {
	chrome := chromiumOrSkip(t)
	ctx, cancel := context.WithTimeout(t.Context(), 6*time.Minute)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chrome), chromedp.WindowSize(1400, 1000))
	if os.Geteuid() == 0 {
		// Chromium refuses to start its sandbox as root (CI runs as root).
		opts = append(opts, chromedp.NoSandbox)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start %s: %v", chrome, err)
	}
	dir := t.TempDir()

	// The console watch sees a CSP violation: without this, "no console
	// errors" below could pass because nothing is listened to.
	t.Run("csp-violation-seen", func(t *testing.T) {
		page := writePage(t, dir, "violation.html", []byte(`<!DOCTYPE html><html><head>`+
			`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='">`+
			`<title>t</title></head><body><script>document.title = "ran"</script></body></html>`))
		tab, con := openTab(t, browser, page)
		if title := evalIn[string](t, tab, `document.title`); title == "ran" {
			t.Error("a script the CSP does not allow ran")
		}
		if errs := con.errors(t, tab); !slices.ContainsFunc(errs, func(s string) bool { return strings.Contains(s, "Content Security Policy") }) {
			t.Errorf("no CSP violation in the console, got %q", errs)
		}
	})

	// Attacker text in every field stays text in a real browser: no
	// element, no script, no CSP violation (an injected script would be
	// one).
	t.Run("hostile", func(t *testing.T) {
		r := hostile([]string{scriptTag, `"><img src=x onerror=alert(1)>`, `</style><style>*{display:none}`, termEsc, "</script><script>alert(2)</script>"})
		tab, con := openTab(t, browser, writePage(t, dir, "hostile.html", render1(t, "html", r, render.Options{})))
		if n := evalIn[[]int](t, tab, `[document.scripts.length, document.images.length, document.querySelectorAll("style").length]`); n[0] != 1 || n[1] != 0 || n[2] != 1 {
			t.Errorf("page has %d scripts, %d images, %d style elements; want 1, 0, 1", n[0], n[1], n[2])
		}
		if !evalIn[bool](t, tab, `document.body.textContent.includes('<script>alert("pwned")</script>')`) {
			t.Error("the payload is not shown as text")
		}
		checkPage(t, tab, r)
		if errs := con.errors(t, tab); len(errs) > 0 {
			t.Errorf("console errors: %q", errs)
		}
	})

	t.Run("300", func(t *testing.T) {
		r := reporttest.Estate(300)
		html := render1(t, "html", r, render.Options{})
		page := writePage(t, dir, "estate-300.html", html)
		tab, con := openTab(t, browser, page)
		checkPage(t, tab, r)

		// Top problems come first and list blocked paths first.
		if !evalIn[bool](t, tab, `!!(document.getElementById("top").compareDocumentPosition(document.getElementById("core-1")) & Node.DOCUMENT_POSITION_FOLLOWING)`) {
			t.Error("top problems do not come before the Core sections")
		}
		top := evalIn[[]string](t, tab, `Array.from(document.querySelectorAll("#top tbody tr"), r => r.dataset.v)`)
		problems := 0
		for i := range r.Matrix.Paths {
			if r.Matrix.Paths[i].Verdict != verdict.OK {
				problems++
			}
		}
		if len(top) != min(problems, 50) || len(top) == 0 || top[0] != string(verdict.Blocked) {
			t.Errorf("top problems: %d rows starting %q, want %d starting with blocked", len(top), top[:min(len(top), 3)], min(problems, 50))
		}
		if !slices.IsSortedFunc(top, func(a, b string) int { return rank(a) - rank(b) }) {
			t.Errorf("top problems not worst first: %q", top)
		}

		core, paths := firstCore(r)
		click(t, tab, "#core-1 > summary")
		if !evalIn[bool](t, tab, `document.getElementById("core-1").open`) {
			t.Fatal("the first Core section did not open")
		}

		// Sorting: text columns alphabetically, both ways.
		targets := func() []string { return column(t, tab, "#core-1 table", 0) }
		before := targets()
		if slices.IsSortedFunc(before, foldCompare) {
			t.Fatalf("%s's rows start sorted by target: the sort check would prove nothing", core)
		}
		click(t, tab, "#core-1 thead th:nth-child(1)")
		if got := targets(); !slices.IsSortedFunc(got, foldCompare) || len(got) != len(paths) {
			t.Errorf("after one click on Target: %d rows, not ascending: %q…", len(got), got[:min(len(got), 5)])
		}
		click(t, tab, "#core-1 thead th:nth-child(1)")
		if got := targets(); !slices.IsSortedFunc(got, func(a, b string) int { return foldCompare(b, a) }) {
			t.Errorf("after two clicks on Target, not descending: %q…", got[:min(len(got), 5)])
		}
		// The verdict column sorts by severity, not alphabetically
		// (alphabetically at-risk would come before blocked).
		verdicts := func() []string {
			return evalIn[[]string](t, tab, `Array.from(document.querySelectorAll("#core-1 tbody tr"), r => r.dataset.v)`)
		}
		click(t, tab, "#core-1 thead th:nth-child(7)")
		got := verdicts()
		if !slices.IsSortedFunc(got, func(a, b string) int { return rank(a) - rank(b) }) || got[0] != worst(paths) {
			t.Errorf("after a click on Verdict, not worst first: %q…", got[:min(len(got), 8)])
		}
		click(t, tab, "#core-1 thead th:nth-child(7)")
		if got := verdicts(); !slices.IsSortedFunc(got, func(a, b string) int { return rank(b) - rank(a) }) {
			t.Errorf("after two clicks on Verdict, not best first: %q…", got[:min(len(got), 8)])
		}

		// Filtering by verdict: only blocked rows stay.
		present := presentVerdicts(paths)
		if len(present) < 2 || !slices.Contains(present, string(verdict.Blocked)) {
			t.Fatalf("%s has verdicts %q: the filter check needs blocked and another", core, present)
		}
		toggleAllBut(t, tab, present, string(verdict.Blocked))
		vis := visible(t, tab, "#core-1 table")
		if want := countVerdict(paths, verdict.Blocked); len(vis) != want {
			t.Errorf("filter blocked: %d rows visible, want %d", len(vis), want)
		}
		for _, v := range vis {
			if v.V != string(verdict.Blocked) {
				t.Errorf("filter blocked shows a %s row (%s)", v.V, v.ID)
			}
		}
		toggleAllBut(t, tab, present, string(verdict.Blocked)) // all back on
		if n := len(visible(t, tab, "#core-1 table")); n != len(paths) {
			t.Errorf("all verdicts checked again: %d rows visible, want %d", n, len(paths))
		}

		// Filtering by text: one target's name leaves its row.
		p := paths[len(paths)/2]
		if err := chromedp.Do(tab, chromedp.SendKeys(chromedp.CSS(`#core-1 .filter input[type=search]`), strings.ToLower(p.Target))); err != nil {
			t.Fatal(err)
		}
		vis = visible(t, tab, "#core-1 table")
		if len(vis) != 1 || vis[0].ID != p.ID {
			t.Errorf("filter %q: visible rows %v, want only %s", strings.ToLower(p.Target), vis, p.ID)
		}
		// Text and verdict filters combine.
		click(t, tab, fmt.Sprintf(`#core-1 .filter input[value=%q]`, p.Verdict))
		if vis := visible(t, tab, "#core-1 table"); len(vis) != 0 {
			t.Errorf("filter %q without %s: %d rows visible, want none", p.Target, p.Verdict, len(vis))
		}
		click(t, tab, fmt.Sprintf(`#core-1 .filter input[value=%q]`, p.Verdict))
		evalIn[bool](t, tab, `(b => { b.value = ""; b.dispatchEvent(new Event("input")); return true })(document.querySelector("#core-1 .filter input[type=search]"))`)
		if n := len(visible(t, tab, "#core-1 table")); n != len(paths) {
			t.Errorf("filter cleared: %d rows visible, want %d", n, len(paths))
		}

		// The matrix scrolls in its own box; the page itself does not
		// grow sideways.
		if !evalIn[bool](t, tab, `(s => !!s && s.querySelector("table.grid") !== null && getComputedStyle(s).overflowX === "auto" && s.scrollWidth > s.clientWidth)(document.querySelector(".scroll"))`) {
			t.Error("the matrix is not in a horizontally scrolling container")
		}
		if w := evalIn[[]int](t, tab, `[document.documentElement.scrollWidth, window.innerWidth]`); w[0] > w[1] {
			t.Errorf("the page is %d px wide in a %d px window", w[0], w[1])
		}
		if errs := con.errors(t, tab); len(errs) > 0 {
			t.Errorf("console errors: %q", errs)
		}

		// The screenshot: the page as it opens, with the first Core's
		// section unfolded.
		shot, con := openTab(t, browser, page)
		click(t, shot, "#core-1 > summary")
		img, err := chromedp.Run(shot, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if cfg, err := png.DecodeConfig(bytes.NewReader(img)); err != nil || cfg.Width < 800 || cfg.Height < 1000 {
			t.Errorf("screenshot is not a full-page PNG: %v, %+v", err, cfg)
		}
		out := artifactDir(t)
		for name, data := range map[string][]byte{"html-report-300.png": img, "html-report-300.html": html} {
			path := filepath.Join(out, name)
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("artifact: %s", path)
		}
		if errs := con.errors(t, shot); len(errs) > 0 {
			t.Errorf("console errors: %q", errs)
		}
	})

	t.Run("5000", func(t *testing.T) {
		r := reporttest.Estate(5000)
		page := writePage(t, dir, "estate-5000.html", render1(t, "html", r, render.Options{}))
		start := time.Now()
		tab, con := openTab(t, browser, page)
		t.Logf("Estate(5000): %d paths loaded in %v", len(r.Matrix.Paths), time.Since(start).Round(time.Millisecond))
		checkPage(t, tab, r)
		if evalIn[bool](t, tab, `document.querySelector("table.grid") !== null`) {
			t.Error("the 5,000-path page draws the full matrix")
		}
		// Numbers sort as numbers: the Cores table by path count.
		click(t, tab, "#cores thead th:nth-child(2)")
		counts := evalIn[[]int](t, tab, `Array.from(document.querySelectorAll("#cores tbody tr"), r => Number(r.cells[1].textContent))`)
		if !slices.IsSorted(counts) || len(counts) < 2 {
			t.Errorf("Cores by path count, not ascending: %v", counts)
		}
		// A filter runs: hide the first Core's paths of its most common
		// verdict.
		_, paths := firstCore(r)
		hide := verdict.Verdict(presentVerdicts(paths)[0])
		for _, v := range presentVerdicts(paths) {
			if countVerdict(paths, verdict.Verdict(v)) > countVerdict(paths, hide) {
				hide = verdict.Verdict(v)
			}
		}
		click(t, tab, "#core-1 > summary")
		start = time.Now()
		click(t, tab, fmt.Sprintf(`#core-1 .filter input[value=%q]`, hide))
		t.Logf("filter on %d rows: %v", len(paths), time.Since(start).Round(time.Millisecond))
		if got, want := len(visible(t, tab, "#core-1 table")), len(paths)-countVerdict(paths, hide); got != want {
			t.Errorf("first Core without %s paths: %d rows visible, want %d", hide, got, want)
		}
		if errs := con.errors(t, tab); len(errs) > 0 {
			t.Errorf("console errors: %q", errs)
		}
	})
}

// chromiumOrSkip finds Debian's chromium; without it the test skips, or
// fails in CI (NTLMSCAN_REQUIRE_INTEGRATION=1, where .ci/run installs it).
func chromiumOrSkip(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a browser")
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("NTLMSCAN_REQUIRE_INTEGRATION") == "1" {
		t.Fatal("chromium is required (NTLMSCAN_REQUIRE_INTEGRATION=1) but not on PATH: install Debian's chromium package")
	}
	t.Skip("chromium not on PATH; install Debian's chromium package, or set NTLMSCAN_REQUIRE_INTEGRATION=1 to make this a failure")
	return ""
}

func writePage(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return "file://" + filepath.ToSlash(path)
}

// artifactDir is where screenshots go: $NTLMSCAN_TEST_ARTIFACTS (CI keeps
// it), else a fixed directory under the system's temporary directory, so
// the file outlives the test.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("NTLMSCAN_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "ntlmscan-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artifact directory: %v", err)
	}
	return dir
}

// consoleWatch collects a tab's console messages, exceptions and browser
// log entries.
type consoleWatch struct {
	mu   sync.Mutex
	msgs []chromedp.ConsoleMessage
}

// errors returns the errors and exceptions seen so far. A round trip to the
// page and a short wait first let messages of the last action arrive.
func (c *consoleWatch) errors(t *testing.T, tab context.Context) []string {
	t.Helper()
	evalIn[bool](t, tab, `true`)
	time.Sleep(300 * time.Millisecond)
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, m := range c.msgs {
		if m.Type == chromedp.ConsoleError || m.IsException() {
			out = append(out, m.String())
		}
	}
	return out
}

// openTab opens url in a new tab of the browser, watching its console from
// before the navigation.
func openTab(t *testing.T, browser context.Context, url string) (context.Context, *consoleWatch) {
	t.Helper()
	tab, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	tab, cancelT := context.WithTimeout(tab, 2*time.Minute)
	t.Cleanup(cancelT)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	c := &consoleWatch{}
	msgs := chromedp.Console(tab)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			c.mu.Lock()
			c.msgs = append(c.msgs, m)
			c.mu.Unlock()
		}
	}()
	if err := chromedp.Do(tab, chromedp.Navigate(url)); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	return tab, c
}

func evalIn[T any](t *testing.T, tab context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(tab, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// click clicks the element css selects, failing at once when there is
// none (chromedp's Click would wait for it until the deadline).
func click(t *testing.T, tab context.Context, css string) {
	t.Helper()
	if !evalIn[bool](t, tab, fmt.Sprintf(`document.querySelector(%q) !== null`, css)) {
		t.Fatalf("click %s: no such element", css)
	}
	if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(css))); err != nil {
		t.Fatalf("click %s: %v", css, err)
	}
}

// checkPage: the script ran (a filter bar above every filterable table)
// and the Core sections are the report's Cores.
func checkPage(t *testing.T, tab context.Context, r *report.Report) {
	t.Helper()
	n := evalIn[[]int](t, tab, `[document.querySelectorAll("table.ft").length, document.querySelectorAll(".filter").length, document.querySelectorAll("details.core").length]`)
	if n[0] == 0 || n[1] != n[0] {
		t.Errorf("%d filterable tables, %d filter bars: the script did not run", n[0], n[1])
	}
	cores := map[string]bool{}
	for i := range r.Matrix.Paths {
		cores[r.Matrix.Paths[i].Core] = true
	}
	if n[2] != len(cores) {
		t.Errorf("%d Core sections, want %d", n[2], len(cores))
	}
}

type visibleRow struct{ ID, V string }

func visible(t *testing.T, tab context.Context, table string) []visibleRow {
	t.Helper()
	return evalIn[[]visibleRow](t, tab, fmt.Sprintf(`Array.from(document.querySelectorAll(%q), r => ({ID: r.id, V: r.dataset.v}))`, table+" tbody tr:not([hidden])"))
}

func column(t *testing.T, tab context.Context, table string, i int) []string {
	t.Helper()
	return evalIn[[]string](t, tab, fmt.Sprintf(`Array.from(document.querySelectorAll(%q), r => r.cells[%d].textContent.trim())`, table+" tbody tr", i))
}

// toggleAllBut clicks the verdict checkboxes of the first Core's filter
// bar, all but keep.
func toggleAllBut(t *testing.T, tab context.Context, verdicts []string, keep string) {
	t.Helper()
	for _, v := range verdicts {
		if v != keep {
			click(t, tab, fmt.Sprintf(`#core-1 .filter input[value=%q]`, v))
		}
	}
}

// firstCore is the Core of the page's first section (Cores sort by name,
// case-insensitively) and its paths.
func firstCore(r *report.Report) (string, []verdict.Path) {
	var core string
	for i := range r.Matrix.Paths {
		if c := r.Matrix.Paths[i].Core; core == "" || foldCompare(c, core) < 0 {
			core = c
		}
	}
	var paths []verdict.Path
	for i := range r.Matrix.Paths {
		if r.Matrix.Paths[i].Core == core {
			paths = append(paths, r.Matrix.Paths[i])
		}
	}
	return core, paths
}

func foldCompare(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) }

func rank(v string) int { return slices.Index(verdict.Order(), verdict.Verdict(v)) }

func presentVerdicts(paths []verdict.Path) []string {
	var out []string
	for _, p := range paths {
		if !slices.Contains(out, string(p.Verdict)) {
			out = append(out, string(p.Verdict))
		}
	}
	return out
}

func countVerdict(paths []verdict.Path, v verdict.Verdict) int {
	n := 0
	for _, p := range paths {
		if p.Verdict == v {
			n++
		}
	}
	return n
}

func worst(paths []verdict.Path) string {
	w := paths[0].Verdict
	for _, p := range paths {
		if p.Verdict.Severity() > w.Severity() {
			w = p.Verdict
		}
	}
	return string(w)
}
