package readmecheck

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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

// devDoc is the package documentation that holds the developer's fuzz
// commands and the list of fuzz targets.
var devDoc = filepath.Join(root, "cmd", "ntlmscan", "doc.go")

// TestFuzzCommands: every fuzz command in the developer documentation (go
// doc ./cmd/ntlmscan) runs one target that exists, with flags that let it
// fuzz rather than minimize, and its list of fuzz targets names every fuzz
// target in the code.
func TestFuzzCommands(t *testing.T) {
	data, err := os.ReadFile(devDoc)
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
		line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "//"))
		if !strings.HasPrefix(line, "go test") || !strings.Contains(line, "-fuzz ") {
			continue
		}
		commands++
		args := ShellFields(line)
		where := "cmd/ntlmscan/doc.go:" + itoa(n)
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
		if !slices.Contains(targets[pkgs[0]], name) {
			t.Errorf("%s: %s has no fuzz target %s (it has %v)", where, pkgs[0], name, targets[pkgs[0]])
		}
	}
	if commands == 0 {
		t.Fatal("no fuzz commands found in cmd/ntlmscan/doc.go")
	}
	listed := listedTargets(string(data))
	for pkg, names := range targets {
		for _, name := range names {
			if !slices.Contains(listed[pkg], name) {
				t.Errorf("the fuzz target list of cmd/ntlmscan/doc.go lacks %s in %s", name, pkg)
			}
		}
	}
	for pkg, names := range listed {
		for _, name := range names {
			if !slices.Contains(targets[pkg], name) {
				t.Errorf("the fuzz target list of cmd/ntlmscan/doc.go names %s in %s, which has no such target", name, pkg)
			}
		}
	}
}

// listedTargets reads the doc's list of fuzz targets: lines "//<tab>./pkg
// FuzzA, FuzzB".
func listedTargets(doc string) map[string][]string {
	out := map[string][]string{}
	for _, line := range strings.Split(doc, "\n") {
		rest, ok := strings.CutPrefix(line, "//\t./")
		if !ok {
			continue
		}
		pkg, names, ok := strings.Cut(rest, " ")
		if !ok || !strings.HasPrefix(strings.TrimSpace(names), "Fuzz") {
			continue
		}
		for _, n := range strings.Split(names, ",") {
			out["./"+pkg] = append(out["./"+pkg], strings.TrimSpace(n))
		}
	}
	return out
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
