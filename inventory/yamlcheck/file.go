package yamlcheck

import (
	"io"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// Document parses data as the one YAML document of a strict file (what
// names it in messages: "inventory", "what-if"): a file over maxSize, a
// syntax error, a second document and an empty file are problems. It
// returns nil when there is nothing to walk.
func Document(data []byte, c *Collector, what string, maxSize int) (root *yaml.Node) {
	if len(data) > maxSize {
		c.Add(0, "", "split the file or remove unrelated content", "file is %d bytes, more than the %d bytes allowed", len(data), maxSize)
		return nil
	}
	defer func() {
		// yaml.v3 is mature but this input is untrusted; never let a parser
		// bug take the whole tool down.
		if r := recover(); r != nil {
			c.Add(0, "", "check the file is valid YAML", "the YAML parser failed: %v", r)
			root = nil
		}
	}()
	const emptyHint = "start from the example in examples/"
	root, extra, syntax := Parse(data)
	if syntax != nil {
		c.Add(syntax.Line, "", "fix the YAML syntax; indent with spaces, not tabs, and quote values that start with special characters", "invalid YAML: %s", syntax.Message)
	}
	if extra != nil {
		c.Add(extra.Line, "", "remove the '---' separator and everything after it, or merge the documents", "the file holds more than one YAML document")
	}
	switch {
	case root == nil && syntax == nil: // no document at all, or only comments
		c.Add(0, "", emptyHint, "the %s file is empty", what)
		return nil
	case root == nil: // the syntax error above stopped the first document
		return nil
	case IsNull(root):
		c.Add(root.Line, "", emptyHint, "the %s file is empty", what)
		return nil
	}
	return root
}

// ReadFile reads the file at path, at most maxSize+1 bytes: one byte over
// the limit is enough for Document to report the size without reading a
// huge or endless file (a device, a FIFO) whole.
func ReadFile(path string, maxSize int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, int64(maxSize)+1))
}

// Version declares the version: key of a file format that has only
// version 1.
func Version(dst *Opt[int64]) Key {
	return Key{"version", func(w *Walker, e Entry, f string) {
		r := w.Scalar(e.Val, f, "a number")
		if r == nil {
			return
		}
		if r.ShortTag() != "!!int" || r.Value != "1" {
			w.C.Add(e.Line(), f, "this ntlmscan reads version: 1 files; upgrade ntlmscan or remove the key", "unsupported version \"%s\"", Clip(r.Value))
			return
		}
		opt(dst, e, f, 1, true)
	}}
}

// secretKeys are keys that would put a secret into a file.
var secretKeys = []string{"password", "passwd", "pass", "pwd", "secret", "token"}

// SecretKey is a Walker.Forbidden for files that name credentials: a
// secret-looking key is refused with a hint to use password_env or
// password_file, and its value is never echoed.
func SecretKey(key string) (hint string, forbidden bool) {
	for _, s := range secretKeys {
		if strings.EqualFold(key, s) {
			return "never put secrets in the inventory: use password_env: VARIABLE or password_file: /path/to/file in a credential", true
		}
	}
	return "", false
}

// ValueHint is the hint for a value that is not one of valid: the one it
// most likely misspells, or the list.
func ValueHint(got string, valid []string) string {
	if s := Suggest(got, valid); s != "" {
		return "did you mean \"" + Clip(s) + "\"?"
	}
	return "valid values: " + strings.Join(valid, ", ")
}
