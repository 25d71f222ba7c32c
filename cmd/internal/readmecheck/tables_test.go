package readmecheck

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

var update = flag.Bool("update", false, "rewrite the generated blocks of the help pages and package docs")

// helpDir is where the help pages live (one Markdown file per topic).
var helpDir = filepath.Join(root, "cmd", "internal", "helptopics")

// generated lists the blocks written from the tables in scanner/facts: the
// file that holds each, by the name of its markers. In a Go file the block
// is part of a doc comment ("// " before every line).
var generated = []struct {
	file string
	name string
	gen  func(*facts.Catalogue) string
}{
	{filepath.Join(helpDir, "errors.md"), "error-classes", errorClassTable},
	{filepath.Join(helpDir, "kerberos.md"), "kerberos-classes", kerberosClassTable},
	{filepath.Join(helpDir, "settings.md"), "settings", settingsTable},
	{filepath.Join(root, "scanner", "facts", "doc.go"), "settings-by-family", familyTable},
}

func isGoFile(path string) bool { return strings.HasSuffix(path, ".go") }

func beginMarker(path, name string) string {
	if isGoFile(path) {
		return "// generated: " + name + " (from scanner/facts; go test ./cmd/internal/readmecheck -update)\n"
	}
	return "<!-- generated: " + name + " (from scanner/facts; go test ./cmd/internal/readmecheck -update) -->\n"
}

func endMarker(path, name string) string {
	if isGoFile(path) {
		return "// end generated: " + name
	}
	return "<!-- end generated: " + name + " -->"
}

// asComment turns a generated block into doc-comment lines.
func asComment(block string) string {
	var b strings.Builder
	for line := range strings.Lines(block) {
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			b.WriteString("//\n")
			continue
		}
		b.WriteString("// " + line + "\n")
	}
	return b.String()
}

// TestGeneratedBlocks: the help pages' tables of error classes and
// settings, and the settings-by-family table of scanner/facts's package
// documentation, are the tables of scanner/facts, rendered. Rewrite them
// with go test ./cmd/internal/readmecheck -update.
func TestGeneratedBlocks(t *testing.T) {
	files := map[string]string{}
	for _, g := range generated {
		if _, ok := files[g.file]; ok {
			continue
		}
		data, err := os.ReadFile(g.file)
		if err != nil {
			t.Fatal(err)
		}
		files[g.file] = string(data)
	}
	for _, g := range generated {
		text := files[g.file]
		begin, end := beginMarker(g.file, g.name), endMarker(g.file, g.name)
		i := strings.Index(text, begin)
		j := strings.Index(text, end)
		if i < 0 || j < i {
			t.Errorf("%s has no generated block %q (markers %q ... %q)", g.file, g.name, strings.TrimSpace(begin), end)
			continue
		}
		body := text[i+len(begin) : j]
		want := g.gen(facts.Default())
		if isGoFile(g.file) {
			want = asComment(want)
		}
		if body == want {
			continue
		}
		if *update {
			files[g.file] = text[:i+len(begin)] + want + text[j:]
			continue
		}
		t.Errorf("%s: the %s block is not the one scanner/facts gives; run go test ./cmd/internal/readmecheck -update\n--- file\n%s--- want\n%s", g.file, g.name, body, want)
	}
	if !*update {
		return
	}
	for path, text := range files {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// width is the widest line a help page may have: it is read in an
// 80-column terminal.
const width = 80

// wrap fills text into lines of at most width-2 columns, the first after
// indent, later ones after more. A word longer than a line (a registry
// path) is broken after a backslash.
func wrap(text, indent, more string) string {
	var b strings.Builder
	line := indent
	empty := true
	limit := width - 2
	for _, word := range strings.Fields(text) {
		for _, piece := range splitLong(word, limit-utf8.RuneCountInString(more)) {
			glue := piece.glue && !empty
			n := utf8.RuneCountInString(line) + utf8.RuneCountInString(piece.text)
			if !glue {
				n++
			}
			if !empty && n > limit {
				b.WriteString(line + "\n")
				line, empty, glue = more, true, false
			}
			if !empty && !glue {
				line += " "
			}
			line += piece.text
			empty = false
		}
	}
	b.WriteString(line + "\n")
	return b.String()
}

type wordPiece struct {
	text string
	glue bool // continues the previous piece without a space
}

// splitLong cuts a word longer than max after backslashes; other words
// stay whole.
func splitLong(word string, max int) []wordPiece {
	if utf8.RuneCountInString(word) <= max || !strings.Contains(word, `\`) {
		return []wordPiece{{text: word}}
	}
	var out []wordPiece
	for i, part := range strings.SplitAfter(word, `\`) {
		if part != "" {
			out = append(out, wordPiece{text: part, glue: i > 0})
		}
	}
	return out
}

func kerberosClass(c facts.ErrorClass) bool { return strings.HasPrefix(string(c), "kerberos-") }

// errorClassTable is the host error list: each class, what it means and
// its fix; the Kerberos classes as one entry that points to their own list.
func errorClassTable(cat *facts.Catalogue) string {
	var b strings.Builder
	kerberos := false
	for _, c := range cat.Classes() {
		if kerberosClass(c.Class) {
			if !kerberos {
				b.WriteString("kerberos-*\n")
				b.WriteString(wrap("a Kerberos logon failed (clock skew, unknown SPN, no TGT, KDC unreachable, wrong password/keytab, refused by the host)", "    ", "    "))
				b.WriteString("    Fix: see ntlmscan help kerberos\n")
			}
			kerberos = true
			continue
		}
		classEntry(&b, c)
	}
	return b.String()
}

func classEntry(b *strings.Builder, c facts.Class) {
	b.WriteString(string(c.Class) + "\n")
	b.WriteString(wrap(c.Meaning, "    ", "    "))
	if c.Fix != "" && c.Fix != "—" {
		b.WriteString(wrap("Fix: "+c.Fix, "    ", "        "))
	}
}

func kerberosClassTable(cat *facts.Catalogue) string {
	var b strings.Builder
	for _, c := range cat.Classes() {
		if kerberosClass(c.Class) {
			classEntry(&b, c)
		}
	}
	return b.String()
}

// settingsTable lists every setting ntlmscan reads: where it is in the
// registry and in Group Policy, and what a what-if file may set it to
// (its type and documented values, which the what-if check enforces).
func settingsTable(cat *facts.Catalogue) string {
	var b strings.Builder
	for i, s := range cat.Settings() {
		if i > 0 {
			b.WriteString("\n")
		}
		typ := "DWORD"
		if s.IsList() {
			typ = "list"
		}
		if s.DCOnly {
			typ += ", DCs only"
		}
		fmt.Fprintf(&b, "%s (%s)\n", s.ID, typ)
		if s.GPOName != "" {
			b.WriteString(wrap("Policy: "+s.GPOName, "    ", "        "))
		}
		if s.GPOPath != "" {
			b.WriteString(wrap("Where: "+s.GPOPath, "    ", "        "))
		}
		b.WriteString(wrap("Key: "+s.Key, "    ", "        "))
		b.WriteString(wrap("Value name: "+s.Name, "    ", "        "))
		var vals []string
		switch {
		case s.IsList():
			vals = append(vals, "entries: "+s.Entries)
		case s.IsBitmask():
			for _, v := range s.Bits {
				vals = append(vals, fmt.Sprintf("0x%X %s", v.Value, v.Label))
			}
			vals = []string{"bit mask: " + strings.Join(vals, "; ")}
		default:
			for _, v := range s.Values {
				vals = append(vals, fmt.Sprintf("%d %s", v.Value, v.Label))
			}
		}
		b.WriteString(wrap("Values: "+strings.Join(vals, "; "), "    ", "        "))
		if s.Absent != "" {
			b.WriteString(wrap("Not defined: "+s.Absent, "    ", "        "))
		}
		if s.Note != "" {
			b.WriteString(wrap("Note: "+s.Note, "    ", "        "))
		}
	}
	return b.String()
}

// familyTable shows which rule family judges which settings.
func familyTable(cat *facts.Catalogue) string {
	var b strings.Builder
	for _, f := range facts.Families() {
		var ids []string
		for _, s := range cat.Settings() {
			if s.Family == f {
				ids = append(ids, s.ID)
			}
		}
		if len(ids) == 0 {
			continue
		}
		file := "report/verdict/" + string(f) + ".go"
		if f == facts.FamilyNone {
			file = "no rule yet; collected, in the JSON report's host facts"
		}
		b.WriteString(wrap(fmt.Sprintf("%s (%s): %s", f, file, strings.Join(ids, ", ")), "  - ", "    "))
	}
	b.WriteString("\n") // gofmt ends a doc-comment list with an empty line
	return b.String()
}
