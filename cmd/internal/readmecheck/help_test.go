package readmecheck

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ntlmscan/ntlmscan/cmd/internal/cli"
	"github.com/ntlmscan/ntlmscan/cmd/internal/helptopics"
	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/inventory/yamlcheck"
	"github.com/ntlmscan/ntlmscan/report/render"
	"github.com/ntlmscan/ntlmscan/report/verdict"
	"github.com/ntlmscan/ntlmscan/report/waiver"
	"github.com/ntlmscan/ntlmscan/report/whatif"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

// TestHelpPages: every topic has its page and every page its topic, and a
// page reads well in an 80-column terminal: no line wider than 80 columns,
// no Markdown link syntax or bold markers, which a terminal shows raw.
func TestHelpPages(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(helpDir, "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	onDisk := map[string]bool{}
	for _, f := range files {
		onDisk[filepath.Base(f)] = true
	}
	for _, tp := range helptopics.All() {
		if !onDisk[tp.File()] {
			t.Errorf("topic %s has no page %s", tp.Name, tp.File())
		}
		delete(onDisk, tp.File())
		if !strings.HasPrefix(tp.Text(), "# ntlmscan help "+tp.Name+": ") {
			t.Errorf("%s: want the first line \"# ntlmscan help %s: TITLE\"", tp.File(), tp.Name)
		}
	}
	for f := range onDisk {
		t.Errorf("%s is no topic of helptopics.All", f)
	}
	link := regexp.MustCompile(`\]\([^)]*\)|\*\*`)
	for _, tp := range helptopics.All() {
		for n, line := range strings.Split(tp.Text(), "\n") {
			if w := utf8.RuneCountInString(line); w > width {
				t.Errorf("%s:%d is %d columns wide (at most %d): %s", tp.File(), n+1, w, width, line)
			}
			if link.MatchString(line) {
				t.Errorf("%s:%d has Markdown link or bold syntax, which a terminal shows raw: %s", tp.File(), n+1, line)
			}
		}
	}
}

// TestHelpVerdicts: `ntlmscan help verdicts` names the verdicts in the
// engine's order (the order of the grid, the legends, --fail-on and diff)
// and explains each one in an entry of its own.
func TestHelpVerdicts(t *testing.T) {
	page := helpPage(t, "verdicts")
	_, rest, ok := strings.Cut(page, "The verdicts, worst first: ")
	if !ok {
		t.Fatal(`the verdicts page lacks "The verdicts, worst first: "`)
	}
	sentence, _, _ := strings.Cut(rest, ".")
	var got []verdict.Verdict
	for _, v := range strings.Split(strings.Join(strings.Fields(sentence), " "), " > ") {
		got = append(got, verdict.Verdict(v))
	}
	if !slices.Equal(got, verdict.Order()) {
		t.Errorf("verdicts page order %v, engine order %v", got, verdict.Order())
	}
	for _, v := range verdict.Order() {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(string(v)) + "\n    \\S").MatchString(page) {
			t.Errorf("the verdicts page has no entry for %s", v)
		}
		if render.VerdictMeaning(v) == "" {
			t.Errorf("no legend text for %s", v)
		}
	}
}

// TestHelpEvidenceStates: every evidence state the engine gives a path has
// an entry on `ntlmscan help evidence` and is named in the glossary, and
// every NTLM-need value has a glossary entry.
func TestHelpEvidenceStates(t *testing.T) {
	evidence, glossary := helpPage(t, "evidence"), helpPage(t, "verdicts")
	states := verdict.EvidenceStates()
	if len(states) < 5 {
		t.Fatalf("only %d evidence states: the check is broken", len(states))
	}
	for _, st := range states {
		if !regexp.MustCompile("(?m)^`" + regexp.QuoteMeta(string(st)) + "`\n    \\S").MatchString(evidence) {
			t.Errorf("ntlmscan help evidence has no entry for the evidence state %s", st)
		}
		if !strings.Contains(strings.Join(strings.Fields(glossary), " "), string(st)) {
			t.Errorf("ntlmscan help verdicts does not name the evidence state %s", st)
		}
	}
	for _, n := range []verdict.Need{verdict.NeedRequired, verdict.NeedFallback, verdict.NeedUnknown} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(string(n)) + "\n    \\S").MatchString(glossary) {
			t.Errorf("ntlmscan help verdicts has no entry for the NTLM need %s", n)
		}
	}
}

// TestHelpExitCodes: `ntlmscan help exit-codes` documents exactly the exit
// codes of cmd/internal/cli (its constants and the text `ntlmscan --help`
// shows).
func TestHelpExitCodes(t *testing.T) {
	codeLine := regexp.MustCompile(`(?m)^\s*(\d+)\s{2,}\S`)
	codes := func(text string) []int {
		var out []int
		for _, m := range codeLine.FindAllStringSubmatch(text, -1) {
			n, _ := strconv.Atoi(m[1])
			out = append(out, n)
		}
		sort.Ints(out)
		return slices.Compact(out)
	}
	want := []int{cli.ExitOK, cli.ExitError, cli.ExitFindings, cli.ExitHostsFailed, cli.ExitBoth}
	sort.Ints(want)
	if got := codes(cli.ExitCodeHelp); !slices.Equal(got, want) {
		t.Fatalf("cli.ExitCodeHelp lists %v, the constants are %v: the check is broken", got, want)
	}
	if got := codes(helpPage(t, "exit-codes")); !slices.Equal(got, want) {
		t.Errorf("ntlmscan help exit-codes documents codes %v, ntlmscan has %v", got, want)
	}
}

// pageSections splits a page at its headings.
func pageSections(page string) []string {
	var out []string
	cur := ""
	for line := range strings.Lines(page) {
		if strings.HasPrefix(line, "#") && cur != "" {
			out = append(out, cur)
			cur = ""
		}
		cur += line
	}
	return append(out, cur)
}

// mentions reports whether text names key as a key: `key`, or key: as in
// YAML.
func mentions(text, key string) bool {
	q := regexp.QuoteMeta(key)
	return regexp.MustCompile("`" + q + "`" + `|(^|[^\w.-])` + q + `:`).MatchString(text)
}

// checkKeys: for each mapping (where), one section of page names all of
// its keys, so a key missing from the page fails, and so does a key only
// mentioned somewhere else.
func checkKeys(t *testing.T, topic string, keys map[string][]string) {
	t.Helper()
	sections := pageSections(helpPage(t, topic))
	for where, ks := range keys {
		best := ks
		for _, s := range sections {
			var missing []string
			for _, k := range ks {
				if !mentions(s, k) {
					missing = append(missing, k)
				}
			}
			if len(missing) < len(best) {
				best = missing
			}
		}
		if len(best) > 0 {
			t.Errorf("ntlmscan help %s: no section names every key of %s; the closest lacks %v (all keys: %v)", topic, where, best, ks)
		}
	}
}

// TestHelpInventoryKeys: `ntlmscan help inventory` names every key the
// inventory reader accepts, mapping by mapping. The keys come from the
// reader itself: a file with an unknown key in every mapping makes it list
// the valid keys of each.
func TestHelpInventoryKeys(t *testing.T) {
	const bogus = "zzqxjwvkzz"
	file := strings.ReplaceAll(`
zzqxjwvkzz: 1
defaults:
  zzqxjwvkzz: 1
  winrm: {zzqxjwvkzz: 1}
credentials:
  scan: {username: CORP\svc, password_env: X, zzqxjwvkzz: 1}
domains:
  corp.example:
    zzqxjwvkzz: 1
    controllers:
      DC01: {zzqxjwvkzz: 1}
groups:
  g1: {zzqxjwvkzz: 1}
cores:
  CORE01:
    zzqxjwvkzz: 1
    account: {name: CORP\svc, zzqxjwvkzz: 1}
    agents:
      - {agent: AGENT01, name: agent01, zzqxjwvkzz: 1}
    repositories:
      R1: {unc: \\fs01\r, account: CORP\svc, zzqxjwvkzz: 1}
    replication:
      - {core: CORE01, name: x, account: CORP\svc, zzqxjwvkzz: 1}
agents:
  AGENT01:
    zzqxjwvkzz: 1
    described: {platform: nas, zzqxjwvkzz: 1}
repository_hosts:
  FS01: {zzqxjwvkzz: 1}
`, "zzqxjwvkzz", bogus)
	_, err := inventory.Parse([]byte(file), "probe.yaml")
	keys := probedKeys(t, err, bogus)
	// One per mapping of the probe: if the reader stops reporting some,
	// the check would silently shrink.
	if len(keys) != 15 {
		t.Fatalf("the probe found the keys of %d mappings, want 15: %v", len(keys), keys)
	}
	checkKeys(t, "inventory", keys)
}

// probedKeys reads the valid keys of each mapping from the problems a
// reader reported for a file with the unknown key bogus in every mapping:
// mapping (dotted field path) -> keys.
func probedKeys(t *testing.T, err error, bogus string) map[string][]string {
	t.Helper()
	ve, ok := yamlcheck.AsValidationError(err)
	if !ok {
		t.Fatalf("the probe file gave %v, want problems", err)
	}
	keys := map[string][]string{}
	for _, p := range ve.Problems {
		if p.Message != `unknown key "`+bogus+`"` {
			continue
		}
		list, ok := strings.CutPrefix(p.Hint, "valid keys here: ")
		if !ok {
			t.Fatalf("%s: the hint names no list of keys: %q", p.Field, p.Hint)
		}
		where := strings.TrimSuffix(strings.TrimSuffix(p.Field, bogus), ".")
		if where == "" {
			where = "the top level"
		}
		keys[where] = strings.Split(list, ", ")
	}
	return keys
}

// TestHelpWhatIfAndWaiverKeys: `ntlmscan help what-if` and `ntlmscan help
// waivers` name every key their readers accept, probed like the
// inventory's.
func TestHelpWhatIfAndWaiverKeys(t *testing.T) {
	const bogus = "zzqxjwvkzz"
	inv, err := inventory.Load(filepath.Join(root, "examples", "inventory.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = whatif.Parse([]byte("zzqxjwvkzz: 1\nchanges:\n  - {hosts: CORE01, zzqxjwvkzz: 1}\n"), "probe.yaml", inv)
	keys := probedKeys(t, err, bogus)
	if len(keys) != 2 {
		t.Fatalf("the what-if probe found the keys of %d mappings, want 2: %v", len(keys), keys)
	}
	checkKeys(t, "what-if", keys)
	_, err = waiver.Parse(strings.NewReader("zzqxjwvkzz: 1\nwaivers:\n  - {path: \"A|agent|B|b\", owner: o, reason: r, expires: 2030-01-01, zzqxjwvkzz: 1}\n"), "probe.yaml")
	keys = probedKeys(t, err, bogus)
	if len(keys) != 2 {
		t.Fatalf("the waiver probe found the keys of %d mappings, want 2: %v", len(keys), keys)
	}
	checkKeys(t, "waivers", keys)
}

// TestHelpLabKeys: `ntlmscan help lab` names every key of the lab file:
// the yaml tags of winrmtest.Lab and every structure under it, which is
// what the lab decoder accepts.
func TestHelpLabKeys(t *testing.T) {
	keys := map[string][]string{}
	pkg := reflect.TypeFor[winrmtest.Lab]().PkgPath()
	var walk func(reflect.Type)
	walk = func(tp reflect.Type) {
		for tp.Kind() == reflect.Pointer || tp.Kind() == reflect.Slice || tp.Kind() == reflect.Map {
			tp = tp.Elem()
		}
		if tp.Kind() != reflect.Struct || tp.PkgPath() != pkg {
			return
		}
		if _, seen := keys[tp.Name()]; seen {
			return
		}
		keys[tp.Name()] = nil
		for i := range tp.NumField() {
			f := tp.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if !f.IsExported() || name == "-" || name == "" {
				continue
			}
			keys[tp.Name()] = append(keys[tp.Name()], name)
			walk(f.Type)
		}
	}
	walk(reflect.TypeFor[winrmtest.Lab]())
	if len(keys) < 15 {
		t.Fatalf("found the keys of only %d lab structures: the walk is broken", len(keys))
	}
	checkKeys(t, "lab", keys)
}

// TestREADMELength: the README is the user's guide, short enough to read
// through; reference material goes to the help pages, developer material to
// package documentation.
func TestREADMELength(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "\n"); n >= 600 {
		t.Errorf("README.md has %d lines; keep it under 600 (reference material belongs in cmd/internal/helptopics)", n)
	}
}

// TestHelpReferences: the README's Reference table lists every help topic,
// and every "ntlmscan help NAME" in the README and the help pages names a
// topic that exists (or a command, whose --help cobra prints).
func TestHelpReferences(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	known := map[string]bool{}
	for _, tp := range helptopics.All() {
		known[tp.Name] = true
		if !strings.Contains(readme, "| `"+tp.Name+"` |") {
			t.Errorf("the README's Reference table lacks the topic %s", tp.Name)
		}
	}
	for _, c := range []string{"scan", "demo", "simulate", "validate", "discover", "report", "diff", "merge", "plan", "version"} {
		known[c] = true
	}
	ref := regexp.MustCompile(`ntlmscan\s+help\s+([a-z][a-z-]*)`)
	texts := map[string]string{"README.md": readme}
	for _, tp := range helptopics.All() {
		texts[tp.File()] = tp.Text()
	}
	for file, text := range texts {
		for _, m := range ref.FindAllStringSubmatch(text, -1) {
			if !known[m[1]] {
				t.Errorf("%s refers to ntlmscan help %s, which is no topic", file, m[1])
			}
		}
	}
}

var metricRE = regexp.MustCompile(`"(ntlmscan_[a-z_]+)`)

// TestHelpMetrics: `ntlmscan help metrics` names every metric
// --metrics-file writes (the names in cmd/internal/cli/metrics.go).
func TestHelpMetrics(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, "cmd", "internal", "cli", "metrics.go"))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, m := range metricRE.FindAllStringSubmatch(string(data), -1) {
		names[m[1]] = true
	}
	if len(names) < 10 {
		t.Fatalf("found only %d metric names in metrics.go: the pattern is broken", len(names))
	}
	page := helpPage(t, "metrics")
	for name := range names {
		if !regexp.MustCompile("`" + regexp.QuoteMeta(name) + "[`{]").MatchString(page) {
			t.Errorf("ntlmscan help metrics does not name the metric %s", name)
		}
	}
}
