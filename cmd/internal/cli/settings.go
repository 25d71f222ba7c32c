package cli

import (
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/ntlmscan/ntlmscan/inventory/yamlcheck"
)

// maxSettingsFile bounds the settings file read; it holds a few flags.
const maxSettingsFile = 1 << 20

// setting is one value from the settings file, with where it was written.
type setting struct {
	value string
	line  int
	key   string // as written: "concurrency" or "scan.concurrency"
}

// settingsFile holds the values of a settings file: top-level keys apply to
// every command that has the flag, keys under a command's name to that
// command only.
type settingsFile struct {
	path     string
	top      map[string]setting
	commands map[string]map[string]setting
}

// lookup returns the value for flag of command cmd: the command's own
// section wins over the top level.
func (s *settingsFile) lookup(cmd, flag string) (setting, bool) {
	if v, ok := s.commands[cmd][flag]; ok {
		return v, true
	}
	v, ok := s.top[flag]
	return v, ok
}

// loadSettings reads the settings file as strictly as the inventory: every
// key must be a flag name (at top level: of any command; under a command's
// name: of that command), every problem is reported at once with
// file:line, and a misspelt key is an error rather than a setting silently
// ignored.
func loadSettings(path string, root *cobra.Command) (*settingsFile, error) {
	data, err := readSettings(path)
	if err != nil {
		return nil, err
	}
	return parseSettings(data, path, root)
}

// parseSettings checks and reads a settings file's content (see
// loadSettings); its only errors are *yamlcheck.ValidationError.
func parseSettings(data []byte, path string, root *cobra.Command) (*settingsFile, error) {
	ps := &yamlcheck.Collector{File: path, Limit: 50, MoreHint: "fix the ones above first"}
	s := &settingsFile{path: path, top: map[string]setting{}, commands: map[string]map[string]setting{}}
	doc, extra, syntax := yamlcheck.Parse(data)
	switch {
	case doc == nil && syntax != nil:
		ps.Add(yamlcheck.OffendingLine(data, syntax.Line), "", "check indentation and quoting", "YAML syntax error: %s", syntax.Message)
		return nil, ps.Err()
	case doc == nil:
		return s, nil // empty, or only comments
	case extra != nil:
		ps.Add(extra.Line, "", "keep one document in the file", "more than one YAML document")
	}

	commands := map[string]*cobra.Command{}
	allFlags := map[string]bool{}
	for _, c := range root.Commands() {
		if c.IsAdditionalHelpTopicCommand() {
			continue // a help page, not a command: csv: is scan's flag
		}
		commands[c.Name()] = c
		c.Flags().VisitAll(func(f *pflag.Flag) { allFlags[f.Name] = true })
	}
	root.PersistentFlags().VisitAll(func(f *pflag.Flag) { allFlags[f.Name] = true })
	delete(allFlags, "config")
	delete(allFlags, "help")

	w := yamlcheck.NewWalker(ps)
	w.NoAliases = true // a few flags: nothing to share between them
	w.Forbidden = func(key string) (string, bool) {
		return "a settings file cannot name another one; pass --config or NTLMSCAN_CONFIG", key == "config"
	}
	w.KeyHint = func(field, got string, keys []string) string {
		// snake_case for kebab-case is the commonest slip: flags use dashes.
		if dashed := strings.ReplaceAll(got, "_", "-"); dashed != got && slices.Contains(keys, dashed) {
			return fmt.Sprintf("did you mean %q?", dashed)
		}
		if s := yamlcheck.Suggest(got, keys); s != "" {
			return fmt.Sprintf("did you mean %q?", s)
		}
		if field != "" {
			return fmt.Sprintf("not a flag of ntlmscan %s; see ntlmscan %s --help", field, field)
		}
		return "keys are flag names (see ntlmscan <command> --help) or command names"
	}
	// Top-level keys: every command's section, then every flag of any
	// command (a name that is both is the section).
	var keys []yamlcheck.Key
	for _, name := range slices.Sorted(maps.Keys(commands)) {
		c := commands[name]
		keys = append(keys, yamlcheck.Func(name, func(e yamlcheck.Entry, field string) {
			s.commands[name] = commandSection(w, c, e.Val, field)
		}))
	}
	for _, name := range slices.Sorted(maps.Keys(allFlags)) {
		if commands[name] != nil {
			continue
		}
		keys = append(keys, yamlcheck.Func(name, func(e yamlcheck.Entry, field string) {
			if val, line, ok := settingValue(w, e.Val, field); ok {
				s.top[name] = setting{value: val, line: line, key: field}
			}
		}))
	}
	w.Fields(doc, "", keys...)
	if err := ps.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

// commandSection reads the keys under a command's name: its own and its
// inherited flags.
func commandSection(w *yamlcheck.Walker, c *cobra.Command, n *yaml.Node, field string) map[string]setting {
	out := map[string]setting{}
	var names []string
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" && f.Name != "config" {
			names = append(names, f.Name)
		}
	})
	c.InheritedFlags().VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" && f.Name != "config" && !slices.Contains(names, f.Name) {
			names = append(names, f.Name)
		}
	})
	slices.Sort(names)
	keys := make([]yamlcheck.Key, len(names))
	for i, name := range names {
		keys[i] = yamlcheck.Func(name, func(e yamlcheck.Entry, f string) {
			if val, line, ok := settingValue(w, e.Val, f); ok {
				out[name] = setting{value: val, line: line, key: f}
			}
		})
	}
	w.Fields(n, field, keys...)
	return out
}

// settingValue turns a scalar or a list of scalars (for list flags) into the
// text a flag parses, with the value's line.
func settingValue(w *yamlcheck.Walker, n *yaml.Node, field string) (string, int, bool) {
	const want = "a value or a list of values"
	r := w.Resolve(n, field)
	if r == nil {
		return "", 0, false
	}
	if r.Kind != yaml.SequenceNode {
		// A key with no value ("fail-on:") would silently keep the default.
		if r = w.Scalar(r, field, want); r == nil {
			return "", 0, false
		}
		return r.Value, r.Line, true
	}
	parts := make([]string, 0, len(r.Content))
	for i, item := range r.Content {
		v := w.Scalar(item, yamlcheck.Index(field, i), "a value")
		if v == nil {
			return "", 0, false
		}
		parts = append(parts, v.Value)
	}
	return strings.Join(parts, ","), r.Line, true
}

func readSettings(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read settings file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSettingsFile+1))
	if err != nil {
		return nil, fmt.Errorf("read settings file %s: %w", path, err)
	}
	if len(data) > maxSettingsFile {
		return nil, fmt.Errorf("settings file %s is larger than %d bytes; it should hold a few flags", path, maxSettingsFile)
	}
	return data, nil
}
