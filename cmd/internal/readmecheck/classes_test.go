package readmecheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/report/render"
)

// helpPage returns the text of the help page of topic.
func helpPage(t *testing.T, topic string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(helpDir, topic+".md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

var errClassRE = regexp.MustCompile(`ErrorClass = "([a-z0-9-]+)"`)

// TestHelpErrorClasses: `ntlmscan help errors` has an entry for every
// error class the scanner can give a host (kerberos-* covers the Kerberos
// classes, whose own entries are on `ntlmscan help kerberos`).
func TestHelpErrorClasses(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(root, "scanner", "facts", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var classes []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range errClassRE.FindAllStringSubmatch(string(data), -1) {
			classes = append(classes, m[1])
		}
	}
	if len(classes) < 20 {
		t.Fatalf("found only %d error classes: the pattern is broken", len(classes))
	}
	entry := func(page, class string) bool {
		return regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(class) + `$`).MatchString(page)
	}
	errorsPage, kerberosPage := helpPage(t, "errors"), helpPage(t, "kerberos")
	for _, c := range classes {
		switch {
		case entry(errorsPage, c):
		case strings.HasPrefix(c, "kerberos-") && entry(errorsPage, "kerberos-*") && entry(kerberosPage, c):
		default:
			t.Errorf("ntlmscan help errors has no entry for class %s", c)
		}
	}
}

// csvEntryRE is one column's entry on the csv page: its number, its name.
var csvEntryRE = regexp.MustCompile(`(?m)^ ?(\d+) ([a-z_]+)$`)

// TestHelpCSVColumns: `ntlmscan help csv` lists the columns the code
// writes, numbered, in order: the scan CSV's (render.CSVColumns) under
// "## Columns" and diff's (render.DiffCSVColumns) under "## diff".
func TestHelpCSVColumns(t *testing.T) {
	page := helpPage(t, "csv")
	for _, tt := range []struct {
		section string
		want    []string
	}{
		{"## Columns", render.CSVColumns()},
		{"## diff", render.DiffCSVColumns()},
	} {
		var got []string
		for i, m := range csvEntryRE.FindAllStringSubmatch(helpSection(page, tt.section), -1) {
			if m[1] != strconv.Itoa(i+1) {
				t.Errorf("csv page, %s: column %s is numbered %s, want %d", tt.section, m[2], m[1], i+1)
			}
			got = append(got, m[2])
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("ntlmscan help csv, %s, lists the columns:\n %v\ncode writes:\n %v", tt.section, got, tt.want)
		}
	}
}

// helpSection is the text of a page from the line that starts with heading
// (a "## " line) up to the next "## " line; empty when there is none.
func helpSection(page, heading string) string {
	_, rest, ok := strings.Cut(page, "\n"+heading)
	if !ok {
		return ""
	}
	if i := strings.Index(rest, "\n## "); i >= 0 {
		rest = rest[:i]
	}
	return rest
}
