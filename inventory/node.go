package inventory

import (
	"github.com/ntlmscan/ntlmscan/inventory/yamlcheck"
)

// MaxFileSize bounds what Parse accepts, and the what-if file checked
// against an inventory (report/whatif); a real estate of thousands of
// agents is well under a megabyte.
const MaxFileSize = 8 << 20

// walker reads the inventory with the shared YAML layer (yamlcheck.Walker);
// the inventory's decoding steps are its methods.
type walker struct{ *yamlcheck.Walker }

func newWalker(ps *yamlcheck.Collector) *walker {
	w := yamlcheck.NewWalker(ps)
	w.Forbidden = yamlcheck.SecretKey
	return &walker{w}
}

// Short names for the layer's helpers, used throughout the checks.
func join(field, key string) string         { return yamlcheck.Join(field, key) }
func index(field string, i int) string      { return yamlcheck.Index(field, i) }
func clip(s string) string                  { return yamlcheck.Clip(s) }
func suggest(got string, c []string) string { return yamlcheck.Suggest(got, c) }
