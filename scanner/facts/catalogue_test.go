package facts

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestDefaultCatalogue(t *testing.T) {
	if _, err := NewCatalogue(Settings, Classes); err != nil {
		t.Fatal(err)
	}
	c := Default()
	if len(c.Settings()) != len(Settings) || len(c.Classes()) != len(Classes) {
		t.Fatalf("default catalogue has %d settings and %d classes, want %d and %d", len(c.Settings()), len(c.Classes()), len(Settings), len(Classes))
	}
	if s := c.Setting("restrictreceivingntlmtraffic"); s == nil || s.ID != RestrictReceivingNTLMTraffic {
		t.Errorf("lookup is not case-insensitive: %v", s)
	}
	if c.Setting("NoSuchSetting") != nil || c.Class("no-such-class") != nil {
		t.Error("unknown names must give nil")
	}
	if got := len(c.RegistryKeys()); got != len(Settings) {
		t.Errorf("%d registry keys for %d rows", got, len(Settings))
	}
}

// TestNewCatalogueRejects: one bad row per rule, each named in the error.
func TestNewCatalogueRejects(t *testing.T) {
	good := Setting{ID: "ContosoGate", Key: `HKLM\SOFTWARE\Contoso`, Name: "Gate", Type: RegDWORD, GPOName: "Gate", GPOPath: "Contoso",
		Family: FamilyNone, Absent: "Not defined", Values: enabledDisabled}
	tests := []struct {
		name string
		edit func(*Setting)
		want string
	}{
		{"no family", func(s *Setting) { s.Family = "" }, "family"},
		{"unknown family", func(s *Setting) { s.Family = "outgoin" }, "family"},
		{"no absent label", func(s *Setting) { s.Absent = "" }, "Absent"},
		{"dword without values", func(s *Setting) { s.Values = nil }, "documented Values or Bits"},
		{"values and bits", func(s *Setting) { s.Bits = ntlmMinSecBits }, "exclude"},
		{"list with values", func(s *Setting) { s.Type = RegMultiSZ }, "REG_MULTI_SZ"},
		{"list without entries", func(s *Setting) { s.Type, s.Values = RegMultiSZ, nil }, "REG_MULTI_SZ"},
		{"bad type", func(s *Setting) { s.Type = "REG_SZ" }, "type"},
		{"not HKLM", func(s *Setting) { s.Key = `HKCU\X` }, "HKLM"},
		{"repeated value", func(s *Setting) { s.Values = []ValueLabel{{1, "a"}, {1, "b"}} }, "repeated"},
		{"duplicate ID", func(s *Setting) { s.ID = "restrictsendingntlmtraffic" }, "listed twice"},
		{"duplicate registry value", func(s *Setting) { s.Key, s.Name = KeyLsa, "lmcompatibilitylevel" }, "already setting"},
	}
	if _, err := Default().With(good); err != nil {
		t.Fatalf("the good row is refused: %v", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := good
			tc.edit(&s)
			_, err := Default().With(s)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to mention %q", err, tc.want)
			}
		})
	}
	if _, err := NewCatalogue(nil, []Class{{Class: "x", Meaning: "m", Fix: "f"}}); err == nil || !strings.Contains(err.Error(), "Hint") {
		t.Errorf("a class without a hint: %v", err)
	}
	if _, err := NewCatalogue(nil, append(Classes[:1:1], Classes[0])); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("a class listed twice: %v", err)
	}
}

func TestSettingValues(t *testing.T) {
	send, min := SettingByID(RestrictSendingNTLMTraffic), SettingByID(NtlmMinClientSec)
	list := SettingByID(ClientAllowedNTLMServers)
	tests := []struct {
		s       *Setting
		n       uint64
		allowed bool
		label   string
	}{
		{send, 2, true, "Deny all"},
		{send, 3, false, "Undocumented value 3"},
		{min, 0x20080000, true, "Require NTLMv2 session security + Require 128-bit encryption"},
		{min, 0, true, "No minimum"},
		{min, 0x1, true, "undocumented bits 0x1"},
		{min, 1 << 32, false, "undocumented bits 0x100000000"},
		{list, 1, false, "Undocumented value 1"},
	}
	for _, tc := range tests {
		if got := tc.s.Allowed(tc.n); got != tc.allowed {
			t.Errorf("%s.Allowed(%d) = %v", tc.s.ID, tc.n, got)
		}
		if got := tc.s.DWORDLabel(tc.n); got != tc.label {
			t.Errorf("%s.DWORDLabel(%d) = %q, want %q", tc.s.ID, tc.n, got, tc.label)
		}
	}
}

// TestEveryConstantHasARow: every setting identifier constant and every
// ErrorClass constant declared in this package is a row of the table, and
// every row has its constant. Consumers name settings and classes through
// these constants, so none can name one the table lacks.
func TestEveryConstantHasARow(t *testing.T) {
	ids, classes := declaredConstants(t)
	if len(ids) < 20 || len(classes) < 30 {
		t.Fatalf("found %d setting and %d class constants: the scan is broken", len(ids), len(classes))
	}
	for name, id := range ids {
		if SettingByID(id) == nil {
			t.Errorf("setting constant %s = %q has no row in Settings", name, id)
		}
	}
	for name, c := range classes {
		if ClassByName(ErrorClass(c)) == nil {
			t.Errorf("class constant %s = %q has no row in Classes", name, c)
		}
	}
	have := map[string]bool{}
	for _, v := range ids {
		have[v] = true
	}
	for _, s := range Settings {
		if !have[s.ID] {
			t.Errorf("row %s has no constant in the setting identifiers block", s.ID)
		}
	}
	have = map[string]bool{}
	for _, v := range classes {
		have[v] = true
	}
	for _, c := range Classes {
		if !have[string(c.Class)] {
			t.Errorf("class row %s has no ErrorClass constant", c.Class)
		}
	}
}

// declaredConstants parses the package: the constants of the block whose
// comment starts "Setting identifiers", and every constant of type
// ErrorClass, name -> value.
func declaredConstants(t *testing.T) (ids, classes map[string]string) {
	t.Helper()
	ids, classes = map[string]string{}, map[string]string{}
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			settingBlock := g.Doc != nil && strings.HasPrefix(g.Doc.Text(), "Setting identifiers")
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				isClass := false
				if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "ErrorClass" {
					isClass = true
				}
				for i, n := range vs.Names {
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					v, _ := strconv.Unquote(lit.Value)
					switch {
					case isClass:
						classes[n.Name] = v
					case settingBlock:
						ids[n.Name] = v
					}
				}
			}
		}
	}
	return ids, classes
}

// TestStdlibOnly keeps the contract free of any module outside the
// standard library (report/... and the simulator import it).
func TestStdlibOnly(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("NTLMSCAN_REQUIRE_INTEGRATION") == "1" {
			t.Fatalf("go tool not found: %v", err)
		}
		t.Skipf("go tool not found: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep != "github.com/ntlmscan/ntlmscan/scanner/facts" {
			t.Errorf("scanner/facts depends on %s, which is not in the standard library", dep)
		}
	}
}
