package readmecheck

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

var update = flag.Bool("update", false, "rewrite the README's generated tables")

// generated lists the README tables written from the tables in
// scanner/facts, by the name of their markers.
var generated = []struct {
	name string
	gen  func(*facts.Catalogue) string
}{
	{"error-classes", errorClassTable},
	{"kerberos-classes", kerberosClassTable},
	{"what-if-settings", whatIfSettingsTable},
	{"settings-by-family", familyTable},
}

func beginMarker(name string) string {
	return "<!-- generated: " + name + " (from scanner/facts; go test ./cmd/internal/readmecheck -update) -->\n"
}

func endMarker(name string) string { return "<!-- end generated: " + name + " -->" }

// TestREADMEGeneratedTables: the README's tables of error classes and
// settings are the tables of scanner/facts, rendered. Rewrite them with
// go test ./cmd/internal/readmecheck -update.
func TestREADMEGeneratedTables(t *testing.T) {
	path := filepath.Join(root, "README.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	for _, g := range generated {
		begin, end := beginMarker(g.name), endMarker(g.name)
		i := strings.Index(readme, begin)
		j := strings.Index(readme, end)
		if i < 0 || j < i {
			t.Errorf("README has no generated block %q (markers %q ... %q)", g.name, strings.TrimSpace(begin), end)
			continue
		}
		body := readme[i+len(begin) : j]
		want := g.gen(facts.Default())
		if body == want {
			continue
		}
		if *update {
			readme = readme[:i+len(begin)] + want + readme[j:]
			continue
		}
		t.Errorf("README's %s table is not the one scanner/facts gives; run go test ./cmd/internal/readmecheck -update\n--- README\n%s--- want\n%s", g.name, body, want)
	}
	if *update && readme != string(data) {
		if err := os.WriteFile(path, []byte(readme), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func kerberosClass(c facts.ErrorClass) bool { return strings.HasPrefix(string(c), "kerberos-") }

// errorClassTable is the host error table: one row per class, the Kerberos
// classes as one row that points to their own table.
func errorClassTable(cat *facts.Catalogue) string {
	var b strings.Builder
	b.WriteString("| class | meaning | typical fix |\n|---|---|---|\n")
	kerberos := false
	for _, c := range cat.Classes() {
		if kerberosClass(c.Class) {
			if !kerberos {
				b.WriteString("| `kerberos-*` | a Kerberos logon failed (clock skew, unknown SPN, no TGT, KDC unreachable, wrong password/keytab, refused by the host) | see [Kerberos](#kerberos) |\n")
			}
			kerberos = true
			continue
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", c.Class, cell(c.Meaning), cell(c.Fix))
	}
	return b.String()
}

func kerberosClassTable(cat *facts.Catalogue) string {
	var b strings.Builder
	b.WriteString("| class | cause | fix |\n|---|---|---|\n")
	for _, c := range cat.Classes() {
		if kerberosClass(c.Class) {
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", c.Class, cell(c.Meaning), cell(c.Fix))
		}
	}
	return b.String()
}

// whatIfSettingsTable lists what a what-if file may change: each setting's
// type and documented values, which the what-if check enforces.
func whatIfSettingsTable(cat *facts.Catalogue) string {
	var b strings.Builder
	b.WriteString("| setting ID | type | documented values |\n|---|---|---|\n")
	for _, s := range cat.Settings() {
		typ := "DWORD"
		if s.IsList() {
			typ = "list"
		}
		if s.DCOnly {
			typ += ", DCs only"
		}
		var vals []string
		switch {
		case s.IsList():
			vals = append(vals, s.Entries)
		case s.IsBitmask():
			for _, v := range s.Bits {
				vals = append(vals, fmt.Sprintf("`0x%X` %s", v.Value, v.Label))
			}
			vals = []string{"bit mask: " + strings.Join(vals, "; ")}
		default:
			for _, v := range s.Values {
				vals = append(vals, fmt.Sprintf("`%d` %s", v.Value, v.Label))
			}
		}
		text := strings.Join(vals, "; ")
		if s.Note != "" {
			text += " — " + s.Note
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", s.ID, typ, cell(text))
	}
	return b.String()
}

// familyTable shows which rule family judges which settings.
func familyTable(cat *facts.Catalogue) string {
	var b strings.Builder
	b.WriteString("| rule family | rules in | settings it judges |\n|---|---|---|\n")
	for _, f := range facts.Families() {
		var ids []string
		for _, s := range cat.Settings() {
			if s.Family == f {
				ids = append(ids, "`"+s.ID+"`")
			}
		}
		if len(ids) == 0 {
			continue
		}
		file := "`report/verdict/" + string(f) + ".go`"
		if f == facts.FamilyNone {
			file = "— (collected, in the JSON report's host facts; no rule yet)"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", f, file, strings.Join(ids, ", "))
	}
	return b.String()
}
