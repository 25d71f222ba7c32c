package readmecheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

const factsImport = "github.com/ntlmscan/ntlmscan/scanner/facts"

// factsConstants maps each string constant of scanner/facts to its value,
// and tells the ErrorClass constants apart.
func factsConstants(t *testing.T) (values map[string]string, classes map[string]bool) {
	t.Helper()
	values, classes = map[string]string{}, map[string]bool{}
	files, err := filepath.Glob(filepath.Join(root, "scanner", "facts", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				typ, _ := vs.Type.(*ast.Ident)
				for i, n := range vs.Names {
					if i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						values[n.Name], _ = strconv.Unquote(lit.Value)
						classes[n.Name] = typ != nil && typ.Name == "ErrorClass"
					}
				}
			}
		}
	}
	if len(values) < 50 {
		t.Fatalf("found %d constants in scanner/facts: the scan is broken", len(values))
	}
	return values, classes
}

// goFile is one parsed non-test Go file of the module.
type goFile struct {
	rel   string // slash path from the module root
	file  *ast.File
	facts string // the name scanner/facts is imported under, "" if not
}

func moduleFiles(t *testing.T) []goFile {
	t.Helper()
	var out []goFile
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		gf := goFile{rel: filepath.ToSlash(rel), file: f}
		for _, im := range f.Imports {
			if p, _ := strconv.Unquote(im.Path.Value); p == factsImport {
				gf.facts = "facts"
				if im.Name != nil {
					gf.facts = im.Name.Name
				}
			}
		}
		out = append(out, gf)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestConsumersNameOnlyTableRows: no consumer names a setting or an error
// class the table in scanner/facts lacks. Consumers are every Go file of
// the module: the collector's request, the what-if check, the verdict
// engine, the classifier, the renderers and the commands. They name
// settings and classes through the constants of scanner/facts, setting IDs
// as string arguments of the lookups, and registry names in the engine's
// reasons; each must resolve to a row.
func TestConsumersNameOnlyTableRows(t *testing.T) {
	t.Parallel()
	values, classes := factsConstants(t)
	cat := facts.Default()
	names := map[string]bool{}
	for _, s := range cat.Settings() {
		names[s.Name] = true
	}
	isSetting := func(v string) bool { return cat.Setting(v) != nil }
	used := 0
	for _, gf := range moduleFiles(t) {
		if strings.HasPrefix(gf.rel, "scanner/facts/") {
			continue
		}
		verdict := strings.HasPrefix(gf.rel, "report/verdict/")
		ast.Inspect(gf.file, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.SelectorExpr:
				pkg, ok := x.X.(*ast.Ident)
				if !ok || gf.facts == "" || pkg.Name != gf.facts {
					return true
				}
				v, isConst := values[x.Sel.Name]
				switch {
				case isConst && classes[x.Sel.Name]:
					used++
					if cat.Class(facts.ErrorClass(v)) == nil {
						t.Errorf("%s names error class facts.%s (%q), which has no row in facts.Classes", gf.rel, x.Sel.Name, v)
					}
				case isConst && isSetting(v):
					used++
				}
			case *ast.CallExpr:
				name := ""
				switch f := x.Fun.(type) {
				case *ast.Ident:
					name = f.Name
				case *ast.SelectorExpr:
					name = f.Sel.Name
					if pkg, ok := f.X.(*ast.Ident); ok && pkg.Name == gf.facts && name == "ErrorClass" && len(x.Args) == 1 {
						if lit, ok := x.Args[0].(*ast.BasicLit); ok {
							v, _ := strconv.Unquote(lit.Value)
							if cat.Class(facts.ErrorClass(v)) == nil {
								t.Errorf("%s converts %s to an error class the table lacks", gf.rel, lit.Value)
							}
						}
					}
				}
				lookup := name == "SettingByID" || name == "settingByID" || verdict && name == "get"
				if !lookup || len(x.Args) != 1 {
					return true
				}
				if lit, ok := x.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					used++
					if v, _ := strconv.Unquote(lit.Value); !isSetting(v) {
						t.Errorf("%s looks up setting %s, which has no row in facts.Settings", gf.rel, lit.Value)
					}
				}
			case *ast.CompositeLit:
				typ, ok := x.Type.(*ast.Ident)
				if !verdict || !ok || typ.Name != "Reason" {
					return true
				}
				for _, el := range x.Elts {
					kv, ok := el.(*ast.KeyValueExpr)
					if k, _ := kv.Key.(*ast.Ident); !ok || k == nil || k.Name != "Setting" {
						continue
					}
					if lit, ok := kv.Value.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						used++
						if v, _ := strconv.Unquote(lit.Value); !names[v] {
							t.Errorf("%s: a reason names setting %s, which is no registry value of facts.Settings", gf.rel, lit.Value)
						}
					}
				}
			}
			return true
		})
	}
	if used < 100 {
		t.Fatalf("found only %d references to settings and classes: the scan is broken", used)
	}
}

// TestEveryFamilyRowHasItsRule: the verdict rule family a row names reads
// the setting: report/verdict/<family>.go refers to the row's constant.
// FamilyNone rows are collected and shown but judged by no rule.
func TestEveryFamilyRowHasItsRule(t *testing.T) {
	t.Parallel()
	values, _ := factsConstants(t)
	refs := map[string]map[string]bool{} // family file -> setting IDs referenced
	for _, gf := range moduleFiles(t) {
		dir, base := filepath.Split(gf.rel)
		if dir != "report/verdict/" || gf.facts == "" {
			continue
		}
		ids := map[string]bool{}
		ast.Inspect(gf.file, func(n ast.Node) bool {
			if x, ok := n.(*ast.SelectorExpr); ok {
				if pkg, ok := x.X.(*ast.Ident); ok && pkg.Name == gf.facts {
					if v, ok := values[x.Sel.Name]; ok {
						ids[strings.ToLower(v)] = true
					}
				}
			}
			return true
		})
		refs[strings.TrimSuffix(base, ".go")] = ids
	}
	for _, s := range facts.Default().Settings() {
		if s.Family == facts.FamilyNone {
			continue
		}
		ids, ok := refs[string(s.Family)]
		switch {
		case !ok:
			t.Errorf("%s: family %q has no file report/verdict/%s.go", s.ID, s.Family, s.Family)
		case !ids[strings.ToLower(s.ID)]:
			t.Errorf("%s: family %q, but report/verdict/%s.go never reads it", s.ID, s.Family, s.Family)
		}
	}
}

// TestAgentPortDeclaredOnce: the Rapid Recovery agent port is declared once
// (inventory.DefaultAgentPort) and every other package uses that constant.
// Test fixtures (report/internal/reporttest) hold it as data.
func TestAgentPortDeclaredOnce(t *testing.T) {
	t.Parallel()
	var where []string
	for _, gf := range moduleFiles(t) {
		if strings.HasPrefix(gf.rel, "report/internal/reporttest/") {
			continue
		}
		ast.Inspect(gf.file, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.INT && lit.Value == "8006" {
				where = append(where, gf.rel)
			}
			return true
		})
	}
	if len(where) != 1 || where[0] != "inventory/resolve.go" {
		t.Errorf("the agent port 8006 is written in %v; want it only in inventory/resolve.go (inventory.DefaultAgentPort)", where)
	}
}
