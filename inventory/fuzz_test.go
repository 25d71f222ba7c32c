package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func addSeeds(f *testing.F, patterns ...string) {
	f.Helper()
	for _, pattern := range patterns {
		files, err := filepath.Glob(pattern)
		if err != nil || len(files) == 0 {
			f.Fatalf("no seed files for %s", pattern)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

// FuzzParse: arbitrary input never panics or hangs, and every failure is a
// *ValidationError whose problems carry the file name and a message.
func FuzzParse(f *testing.F) {
	addSeeds(f, "testdata/*.yaml", "../examples/inventory.yaml", "../examples/estate.yaml")
	f.Add([]byte("a: &a [*a]"))
	f.Add([]byte("cores: {C: {<<: [{}, {}]}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := Parse(data, "fuzz.yaml")
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error is %T, not *ValidationError: %v", err, err)
			}
			if inv != nil || len(ve.Problems) == 0 {
				t.Fatalf("inventory %v with %d problems", inv, len(ve.Problems))
			}
			for _, p := range ve.Problems {
				if p.File != "fuzz.yaml" || p.Message == "" || p.Line < 0 {
					t.Fatalf("bad problem %+v", p)
				}
			}
			return
		}
		// A valid inventory has no dangling references.
		for _, c := range inv.Cores {
			if c.Host == nil {
				t.Fatal("core without host")
			}
			for _, l := range c.Agents {
				if l.Agent == nil || l.Core != c || l.NameUsed == "" || l.Port <= 0 {
					t.Fatalf("bad link %+v", l)
				}
			}
			for _, r := range c.Repositories {
				if r.Host == nil || r.UNC == "" {
					t.Fatalf("bad repository %+v", r)
				}
			}
		}
		for _, h := range inv.ScannedHosts() {
			if h.Address == "" || h.WinRM.Credential == nil || h.WinRM.Port <= 0 {
				t.Fatalf("scanned host %s incomplete: %+v", h.Name, h)
			}
		}
	})
}
