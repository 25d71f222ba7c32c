package cli

import (
	"fmt"
	"io"
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
	if doc.Kind != yaml.MappingNode {
		ps.Add(doc.Line, "", "write flag names as keys, e.g. concurrency: 64, or under a command, e.g. scan:", "the settings file must be a mapping of flag names")
		return nil, ps.Err()
	}

	commands := map[string]*cobra.Command{}
	allFlags := map[string]bool{}
	for _, c := range root.Commands() {
		commands[c.Name()] = c
		c.Flags().VisitAll(func(f *pflag.Flag) { allFlags[f.Name] = true })
	}
	root.PersistentFlags().VisitAll(func(f *pflag.Flag) { allFlags[f.Name] = true })
	delete(allFlags, "config")
	delete(allFlags, "help")
	topKeys := slices.Sorted(func(yield func(string) bool) {
		for k := range allFlags {
			if !yield(k) {
				return
			}
		}
	})
	cmdNames := slices.Sorted(func(yield func(string) bool) {
		for k := range commands {
			if !yield(k) {
				return
			}
		}
	})

	seen := map[string]bool{}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		name := k.Value
		if seen[name] {
			ps.Add(k.Line, name, "keep one of them", "repeated key")
			continue
		}
		seen[name] = true
		if c, ok := commands[name]; ok {
			s.commands[name] = commandSection(ps, c, v, name)
			continue
		}
		if name == "config" {
			ps.Add(k.Line, name, "a settings file cannot name another one; pass --config or NTLMSCAN_CONFIG", "not allowed in a settings file")
			continue
		}
		if !allFlags[name] {
			ps.Add(k.Line, name, unknownHint(name, append(slices.Clone(topKeys), cmdNames...)), "unknown key %q: not a flag or command name", name)
			continue
		}
		if val, ok := settingValue(ps, v, name); ok {
			s.top[name] = setting{value: val, line: v.Line, key: name}
		}
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

// commandSection reads the keys under a command's name.
func commandSection(ps *yamlcheck.Collector, c *cobra.Command, n *yaml.Node, field string) map[string]setting {
	out := map[string]setting{}
	if n.Kind != yaml.MappingNode {
		ps.Add(n.Line, field, "put this command's flags under it, one per line, e.g. quiet: true", "must be a mapping of %s's flag names", field)
		return out
	}
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
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f := field + "." + k.Value
		if _, dup := out[k.Value]; dup {
			ps.Add(k.Line, f, "keep one of them", "repeated key")
			continue
		}
		if !slices.Contains(names, k.Value) {
			ps.Add(k.Line, f, unknownHint(k.Value, names), "unknown key %q: not a flag of ntlmscan %s", k.Value, field)
			continue
		}
		if val, ok := settingValue(ps, v, f); ok {
			out[k.Value] = setting{value: val, line: v.Line, key: f}
		}
	}
	return out
}

// settingValue turns a scalar or a list of scalars (for list flags) into the
// text a flag parses.
func settingValue(ps *yamlcheck.Collector, n *yaml.Node, field string) (string, bool) {
	switch {
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
		// "fail-on:" with nothing after it would silently keep the default.
		ps.Add(n.Line, field, "give the flag a value, e.g. concurrency: 64, or remove the key", "the key has no value")
		return "", false
	case n.Kind == yaml.ScalarNode:
		return n.Value, true
	case n.Kind == yaml.SequenceNode:
		parts := make([]string, 0, len(n.Content))
		for _, item := range n.Content {
			if item.Kind != yaml.ScalarNode {
				ps.Add(item.Line, field, "list plain values", "list items must be values")
				return "", false
			}
			parts = append(parts, item.Value)
		}
		return strings.Join(parts, ","), true
	}
	ps.Add(n.Line, field, "give the flag a value, e.g. concurrency: 64", "want a value, not %s", kindName(n))
	return "", false
}

func kindName(n *yaml.Node) string {
	if n.Kind == yaml.MappingNode {
		return "a mapping"
	}
	return "this"
}

func unknownHint(got string, candidates []string) string {
	// snake_case for kebab-case is the commonest slip: flags use dashes.
	if dashed := strings.ReplaceAll(got, "_", "-"); dashed != got && slices.Contains(candidates, dashed) {
		return fmt.Sprintf("did you mean %q?", dashed)
	}
	if s := yamlcheck.Suggest(got, candidates); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	return "keys are flag names (see ntlmscan <command> --help) or command names"
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
