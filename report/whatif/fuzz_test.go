package whatif

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ntlmscan/ntlmscan/inventory"
)

// FuzzParse: arbitrary input never panics or hangs, every failure is a
// *inventory.ValidationError and no overlay, and every change carries
// exactly one action.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	seeds = append(seeds, filepath.Join("..", "..", "examples", "assume.yaml"))
	for _, file := range seeds {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	if len(seeds) < 2 {
		f.Fatalf("no seed files in testdata: %v", seeds)
	}
	inv := demoInventory(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		ov, err := Parse(data, "fuzz.yaml", inv)
		if err != nil {
			var ve *inventory.ValidationError
			if !errors.As(err, &ve) || ov != nil {
				t.Fatalf("Parse = %v, %T %v", ov, err, err)
			}
			return
		}
		for _, c := range ov.Changes {
			n := 0
			if c.Set != nil {
				n++
			}
			if c.Remove {
				n++
			}
			if c.Add != nil {
				n++
			}
			if c.Delete != nil {
				n++
			}
			if n != 1 {
				t.Fatalf("change %+v sets %d actions, want exactly one", c, n)
			}
		}
	})
}
