package readmecheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/report/render"
)

// readmeSection returns the README text from heading to the next heading
// of the same or a higher level.
func readmeSection(t *testing.T, heading string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README has no heading %q", heading)
	}
	level := heading[:strings.IndexByte(heading, ' ')+1]
	for i := 0; i < len(rest); {
		j := strings.Index(rest[i:], "\n#")
		if j < 0 {
			break
		}
		line := rest[i+j+1:]
		for k := 1; k <= len(level)-1; k++ {
			if strings.HasPrefix(line, strings.Repeat("#", k)+" ") {
				return rest[:i+j]
			}
		}
		i += j + 2
	}
	return rest
}

var errClassRE = regexp.MustCompile(`ErrorClass = "([a-z0-9-]+)"`)

// TestREADMEErrorClasses: the README's table of host errors has a row for
// every error class the scanner can give a host (kerberos-* covers the
// Kerberos classes, whose own table is in the Kerberos section).
func TestREADMEErrorClasses(t *testing.T) {
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
	table := readmeSection(t, "### What a host that could not be scanned looks like")
	kerberos := readmeSection(t, "### Kerberos")
	for _, c := range classes {
		switch {
		case strings.Contains(table, "`"+c+"`"):
		case strings.HasPrefix(c, "kerberos-") && strings.Contains(table, "`kerberos-*`") && strings.Contains(kerberos, "| `"+c+"` |"):
		default:
			t.Errorf("README's host error table lacks class %s", c)
		}
	}
}

// TestREADMECSVColumns: the README's CSV column table lists the columns
// render.CSVColumns writes, in order.
func TestREADMECSVColumns(t *testing.T) {
	section := readmeSection(t, "### CSV columns")
	cell := regexp.MustCompile("`([a-z_]+)`")
	var got []string
	for _, line := range strings.Split(section, "\n") {
		if !regexp.MustCompile(`^\| \d+(–\d+)? \|`).MatchString(line) {
			continue
		}
		cols := strings.Split(line, "|")
		for _, m := range cell.FindAllStringSubmatch(cols[2], -1) {
			got = append(got, m[1])
		}
	}
	want := render.CSVColumns()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("README's CSV columns:\n %v\ncode writes:\n %v", got, want)
	}
}
