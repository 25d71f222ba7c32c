package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ntlmscan/ntlmscan/cmd/internal/iostreams"
)

// allCommands is every command of the tree, root first.
func allCommands() []*cobra.Command {
	io, _, _, _ := iostreams.Test()
	var out []*cobra.Command
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		out = append(out, c)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewRootCmd(&Factory{IO: io, Version: "test"}))
	return out
}

// Every flag that takes a text value shows a placeholder saying what to
// give (FILE, DIR, FORMAT ...), never the type name or a word the usage
// text happened to quote.
func TestFlagPlaceholders(t *testing.T) {
	t.Parallel()
	// Flags naming a file or directory, and the placeholder they must show.
	want := map[string]string{
		"csv": "FILE", "json": "FILE", "html": "FILE", "markdown": "FILE", "markdown-summary": "FILE",
		"metrics-file": "FILE", "output": "FILE", "baseline": "FILE", "waivers": "FILE", "assume": "FILE",
		"config": "FILE", "inventory": "FILE", "lab": "FILE", "ca-out": "FILE", "inventory-out": "FILE",
		"krb5-out": "FILE", "output-dir": "DIR",
	}
	placeholder := regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
	seen := map[string]bool{}
	for _, c := range allCommands() {
		for _, fs := range []*pflag.FlagSet{c.LocalNonPersistentFlags(), c.PersistentFlags()} {
			fs.VisitAll(func(fl *pflag.Flag) {
				name, _ := pflag.UnquoteUsage(fl)
				switch fl.Value.Type() {
				case "string", "stringSlice":
				case "bool":
					if name != "" {
						t.Errorf("%s --%s is a switch but shows a value %q", c.CommandPath(), fl.Name, name)
					}
					return
				default:
					return // numbers and durations show their type
				}
				seen[fl.Name] = true
				if w, ok := want[fl.Name]; ok && name != w {
					t.Errorf("%s --%s shows %q, want %q", c.CommandPath(), fl.Name, name, w)
				} else if !placeholder.MatchString(name) {
					t.Errorf("%s --%s shows %q: want an upper-case placeholder in backticks in its usage", c.CommandPath(), fl.Name, name)
				}
			})
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("no command has --%s: update the table", name)
		}
	}
}

// Help examples never put a password on the command line: no password
// flag, no SECRET=value assignment (it lands in shell history and ps).
func TestExamplesPutNoPasswordOnTheCommandLine(t *testing.T) {
	t.Parallel()
	bad := []*regexp.Regexp{
		regexp.MustCompile(`(?i)\b\w*(password|passwd|secret|token|credential)\w*=\S`),
		regexp.MustCompile(`(?i)(^|\s)(--?p|--pass(word)?(-file)?)(=|\s|$)`),
	}
	// The check itself: each of these lines must be caught.
	for _, line := range []string{
		"NTLMSCAN_PASSWORD='...' ntlmscan scan -i inv.yaml",
		"export NTLMSCAN_AGENT03_PASSWORD=secret",
		"ntlmscan scan -i inv.yaml --password hunter2",
		"ntlmscan scan -p hunter2",
	} {
		if !bad[0].MatchString(line) && !bad[1].MatchString(line) {
			t.Fatalf("the check misses %q", line)
		}
	}
	for _, c := range allCommands() {
		for _, line := range strings.Split(c.Example, "\n") {
			for _, re := range bad {
				if re.MatchString(line) {
					t.Errorf("%s example puts a password on the command line: %q", c.CommandPath(), line)
				}
			}
		}
	}
}

// A password flag is refused with the way passwords are given, and the
// usage exit code.
func TestPasswordFlagPointsToTheEnvironment(t *testing.T) {
	t.Parallel()
	tests := [][]string{
		{"scan", "-i", "inv.yaml", "--password", "hunter2"},
		{"scan", "-i", "inv.yaml", "--password=hunter2"},
		{"scan", "-i", "inv.yaml", "-p", "hunter2"},
		{"demo", "--pass", "hunter2"},
		{"discover", "--core", "c1", "--password-file", "/tmp/x"},
		{"--password", "hunter2", "scan"},
	}
	for _, args := range tests {
		r := run(t, nil, args...)
		if r.code != ExitError {
			t.Errorf("%v: exit %d, want %d", args, r.code, ExitError)
		}
		for _, w := range []string{"NTLMSCAN_PASSWORD", "password_env", "password_file"} {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%v: stderr lacks %q:\n%s", args, w, r.stderr)
			}
		}
		if strings.Contains(r.stderr, "hunter2") {
			t.Errorf("%v: the password is echoed:\n%s", args, r.stderr)
		}
	}
	// Other unknown flags keep cobra's message.
	if r := run(t, nil, "scan", "--no-such-flag"); r.code != ExitError || strings.Contains(r.stderr, "password_env") {
		t.Errorf("--no-such-flag: exit %d, stderr %q", r.code, r.stderr)
	}
}

// ntlmscan --version prints what ntlmscan version does.
func TestVersionFlag(t *testing.T) {
	t.Parallel()
	flag := run(t, nil, "--version")
	cmd := run(t, nil, "version")
	first, _, _ := strings.Cut(cmd.stdout, "\n")
	if flag.code != 0 || !strings.HasPrefix(flag.stdout, first+"\n") || !strings.Contains(first, "ntlmscan test") {
		t.Errorf("--version: exit %d %q; version: %q", flag.code, flag.stdout, cmd.stdout)
	}
}

// diff -o FILE writes csv, html or markdown, the format from --format or
// the file's extension.
func TestDiffOutputFormats(t *testing.T) {
	t.Parallel()
	jsonPath := demoReport(t)
	dir := t.TempDir()
	tests := []struct {
		name   string
		args   []string
		file   string
		code   int
		want   string // in the file
		stderr string
	}{
		{"csv by extension", nil, "d.csv", ExitOK, "change,path_id,core,target", ""},
		{"html by extension", nil, "d.html", ExitOK, "<!DOCTYPE html>", ""},
		{"htm by extension", nil, "d.htm", ExitOK, "<!DOCTYPE html>", ""},
		{"markdown by extension", nil, "d.md", ExitOK, "# ntlmscan diff", ""},
		{"json by extension", nil, "d.json", ExitOK, `"kind"`, ""},
		{"format wins", []string{"--format", "markdown"}, "d.txt", ExitOK, "# ntlmscan diff", ""},
		{"text by extension", nil, "d.txt", ExitOK, "ntlmscan diff:", ""},
		{"unknown extension", nil, "d.xlsx", ExitError, "", "--format"},
		{"unknown format", []string{"--format", "xml"}, "d.csv", ExitError, "", "--format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(dir, tt.name+"-"+tt.file)
			r := run(t, nil, append([]string{"diff", jsonPath, jsonPath, "-o", out}, tt.args...)...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d: %s", r.code, tt.code, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("-o also printed to stdout: %q", r.stdout)
			}
			if tt.stderr != "" && !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr %q lacks %q", r.stderr, tt.stderr)
			}
			data, err := os.ReadFile(out)
			if tt.want == "" {
				if err == nil {
					t.Errorf("%s written despite the error", out)
				}
				return
			}
			if err != nil || !strings.Contains(string(data), tt.want) {
				t.Errorf("%s: %v, lacks %q:\n%.300s", out, err, tt.want, data)
			}
		})
	}
}

// Every ntlmscan command line of the help examples parses with the real
// command tree: a renamed flag breaks this test, not a user's paste.
func TestHelpExamplesParse(t *testing.T) {
	t.Parallel()
	n := 0
	for _, c := range allCommands() {
		for _, line := range strings.Split(c.Example, "\n") {
			line, _, _ = strings.Cut(line, "#")
			for _, part := range strings.Split(line, "&&") {
				fields := strings.Fields(part)
				if len(fields) < 2 || fields[0] != "ntlmscan" {
					continue
				}
				n++
				if i := slices.Index(fields, ">"); i > 0 {
					fields = fields[:i] // a redirection is the shell's
				}
				checkCommandLine(t, c.CommandPath()+" example", fields[1:])
			}
		}
	}
	if n < 20 {
		t.Errorf("only %d example command lines found", n)
	}
}
