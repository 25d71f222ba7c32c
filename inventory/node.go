package inventory

import (
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ntlmscan/ntlmscan/inventory/yamlcheck"
)

// maxFileSize bounds what Parse accepts; a real estate of thousands of
// agents is well under a megabyte.
const maxFileSize = 8 << 20

// walker reads inventory and what-if files with the shared YAML layer
// (yamlcheck.Walker); the inventory's decoding steps are its methods.
type walker struct{ *yamlcheck.Walker }

// secretKeys are keys that would put a secret into the file.
var secretKeys = []string{"password", "passwd", "pass", "pwd", "secret", "token"}

func newWalker(ps *yamlcheck.Collector) *walker {
	w := yamlcheck.NewWalker(ps)
	// A secret-looking key gets a hint to use password_env/password_file,
	// and its value is never echoed.
	w.Forbidden = func(key string) (string, bool) {
		for _, s := range secretKeys {
			if strings.EqualFold(key, s) {
				return "never put secrets in the inventory: use password_env: VARIABLE or password_file: /path/to/file in a credential", true
			}
		}
		return "", false
	}
	return &walker{w}
}

// parseDocument decodes data into a single YAML document node. It reports
// syntax errors with their line and returns nil if there is nothing usable.
func parseDocument(data []byte, ps *yamlcheck.Collector, what string) (root *yaml.Node) {
	if len(data) > maxFileSize {
		ps.Add(0, "", "split the file or remove unrelated content", "file is %d bytes, more than the %d bytes allowed", len(data), maxFileSize)
		return nil
	}
	defer func() {
		// yaml.v3 is mature but this input is untrusted; never let a parser
		// bug take the whole tool down.
		if r := recover(); r != nil {
			ps.Add(0, "", "check the file is valid YAML", "the YAML parser failed: %v", r)
			root = nil
		}
	}()
	const emptyHint = "start from the example in examples/"
	root, extra, syntax := yamlcheck.Parse(data)
	if syntax != nil {
		ps.Add(syntax.Line, "", "fix the YAML syntax; indent with spaces, not tabs, and quote values that start with special characters", "invalid YAML: %s", syntax.Message)
	}
	if extra != nil {
		ps.Add(extra.Line, "", "remove the '---' separator and everything after it, or merge the documents", "the file holds more than one YAML document")
	}
	switch {
	case root == nil && syntax == nil: // no document at all, or only comments
		ps.Add(0, "", emptyHint, "the %s file is empty", what)
		return nil
	case root == nil: // the syntax error above stopped the first document
		return nil
	case root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null":
		ps.Add(root.Line, "", emptyHint, "the %s file is empty", what)
		return nil
	}
	return root
}

// Short names for the layer's helpers, used throughout the checks.
func join(field, key string) string         { return yamlcheck.Join(field, key) }
func index(field string, i int) string      { return yamlcheck.Index(field, i) }
func clip(s string) string                  { return yamlcheck.Clip(s) }
func suggest(got string, c []string) string { return yamlcheck.Suggest(got, c) }
