package readmecheck

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const root = "../../.."

var fuzzFuncRE = regexp.MustCompile(`(?m)^func (Fuzz\w+)\(\w+ \*testing\.F\)`)

// fuzzTargets finds every fuzz target in the module: package dir -> names.
func fuzzTargets(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		pkg := "./" + filepath.ToSlash(rel)
		for _, m := range fuzzFuncRE.FindAllStringSubmatch(string(data), -1) {
			out[pkg] = append(out[pkg], m[1])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// shellFields splits a command line the way sh does for the simple quoting
// the README uses, stopping at a comment.
func shellFields(line string) []string {
	var fields []string
	var cur strings.Builder
	inField, quote := false, rune(0)
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inField = r, true
		case r == '#' && !inField:
			return fields
		case r == ' ' || r == '\t':
			if inField {
				fields = append(fields, cur.String())
				cur.Reset()
				inField = false
			}
		default:
			cur.WriteRune(r)
			inField = true
		}
	}
	if inField {
		fields = append(fields, cur.String())
	}
	return fields
}

// flagValue returns the value of -name (as "-name v" or "-name=v").
func flagValue(args []string, name string) (string, bool) {
	for i, a := range args {
		a = strings.TrimPrefix(a, "-")
		if a == name && i+1 < len(args) {
			return args[i+1], true
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v, true
		}
	}
	return "", false
}

func TestREADMEFuzzCommands(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	targets := fuzzTargets(t)
	if len(targets) == 0 {
		t.Fatal("no fuzz targets found: the walk is broken")
	}
	commands := 0
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "go test") || !strings.Contains(line, "-fuzz") {
			continue
		}
		commands++
		args := shellFields(line)
		where := "README.md:" + itoa(n)
		if v, ok := flagValue(args, "run"); !ok || v != "^$" {
			t.Errorf("%s: want -run '^$' so the unit tests do not run first: %s", where, line)
		}
		if v, ok := flagValue(args, "fuzzminimizetime"); !ok || v == "" {
			t.Errorf("%s: want -fuzzminimizetime, or minimization eats the run: %s", where, line)
		}
		if v, ok := flagValue(args, "fuzztime"); !ok || !strings.HasSuffix(v, "x") {
			t.Errorf("%s: want a count for -fuzztime (NNNx; a duration can fail spuriously): %s", where, line)
		}
		pattern, _ := flagValue(args, "fuzz")
		name := strings.TrimSuffix(strings.TrimPrefix(pattern, "^"), "$")
		if pattern != "^"+name+"$" {
			t.Errorf("%s: want an anchored -fuzz '^FuzzX$' (one target): %s", where, line)
		}
		var pkgs []string
		for _, a := range args {
			if strings.HasPrefix(a, "./") {
				pkgs = append(pkgs, a)
			}
		}
		if len(pkgs) != 1 {
			t.Errorf("%s: want exactly one package: %s", where, line)
			continue
		}
		found := false
		for _, tg := range targets[pkgs[0]] {
			found = found || tg == name
		}
		if !found {
			t.Errorf("%s: %s has no fuzz target %s (it has %v)", where, pkgs[0], name, targets[pkgs[0]])
		}
	}
	if commands == 0 {
		t.Fatal("no fuzz commands found in README.md")
	}
	// The table in Development lists every target.
	for pkg, names := range targets {
		for _, name := range names {
			if !tableLists(string(data), pkg, name) {
				t.Errorf("README's fuzz target table lacks %s in %s", name, pkg)
			}
		}
	}
}

func tableLists(readme, pkg, name string) bool {
	for _, line := range strings.Split(readme, "\n") {
		if strings.HasPrefix(line, "| `"+pkg+"` |") && strings.Contains(line, "`"+name+"`") {
			return true
		}
	}
	return false
}

func itoa(n int) string {
	s := ""
	for {
		s = string(rune('0'+n%10)) + s
		n /= 10
		if n == 0 {
			return s
		}
	}
}
