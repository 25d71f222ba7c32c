package collect

import (
	"strings"

	"github.com/ntlmscan/ntlmscan/inventory"
)

// serviceNames returns the Core service names to look up, deduplicated.
func serviceNames(c *inventory.Core) []string {
	names := c.ServiceNames
	if len(names) == 0 {
		names = []string{inventory.DefaultCoreService}
	}
	var out []string
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n != "" && !containsFold(out, n) {
			out = append(out, n)
		}
	}
	return out
}
