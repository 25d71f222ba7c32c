package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/cmd/internal/helptopics"
	"github.com/ntlmscan/ntlmscan/cmd/internal/iostreams"
	"github.com/ntlmscan/ntlmscan/cmd/internal/readmecheck"
)

// docCodeLines returns the command lines of a document: in the README the
// lines of its ``` blocks; in a help page the lines of its code blocks,
// indented 4 spaces after a blank line (an indented line under a term is
// the term's description, prose). Backslash continuations are joined.
// Each is "file:line: text".
func docCodeLines(name, text string, fenced bool) []string {
	var out []string
	in := false
	var cont, prev string
	for n, line := range strings.Split(text, "\n") {
		if fenced && strings.HasPrefix(line, "```") {
			in = !in
			continue
		}
		if !fenced {
			indented := strings.HasPrefix(line, "    ")
			if !indented {
				in = false
			} else if strings.TrimSpace(prev) == "" {
				in = true
			}
			prev = line
		}
		if !in {
			cont = ""
			continue
		}
		line = strings.TrimSpace(line)
		if cont != "" {
			line = cont + " " + line
		}
		if c, ok := strings.CutSuffix(line, `\`); ok {
			cont = c
			continue
		}
		cont = ""
		out = append(out, name+":"+strconv.Itoa(n+1)+": "+line)
	}
	return out
}

// docs are the README and every help page, with how their code is marked.
func docs(t *testing.T) map[string][]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{"README.md": docCodeLines("README.md", string(data), true)}
	for _, tp := range helptopics.All() {
		out[tp.File()] = docCodeLines(tp.File(), tp.Text(), false)
	}
	return out
}

// TestDocCommandsParse: every ntlmscan command line in the README's code
// blocks and the help pages' examples names a command and flags that
// exist, so a renamed flag breaks this test, not a reader's paste.
func TestDocCommandsParse(t *testing.T) {
	t.Parallel()
	sep := regexp.MustCompile(`&&|\|\||[;|&]`)
	n := 0
	for _, lines := range docs(t) {
		for _, line := range lines {
			where, code, _ := strings.Cut(line, ": ")
			code = strings.TrimPrefix(code, "$ ")
			for _, part := range sep.Split(code, -1) {
				words := readmecheck.ShellFields(part)
				for len(words) > 0 && strings.Contains(words[0], "=") {
					words = words[1:] // VARIABLE=value before the command
				}
				switch {
				case len(words) >= 2 && words[0] == "ntlmscan":
					words = words[1:]
				case len(words) >= 4 && words[0] == "go" && words[1] == "run" && words[2] == "./cmd/ntlmscan":
					words = words[3:]
				default:
					continue
				}
				for i, w := range words {
					if w == ">" || w == "2>" || strings.HasPrefix(w, ">") {
						words = words[:i] // a redirection is the shell's
						break
					}
				}
				n++
				t.Run(where, func(t *testing.T) {
					if strings.HasPrefix(words[0], "-") { // ntlmscan --version
						streams, _, _, _ := iostreams.Test()
						if err := NewRootCmd(&Factory{IO: streams}).ParseFlags(words); err != nil {
							t.Errorf("%s: %s: %v", where, strings.TrimSpace(part), err)
						}
						return
					}
					checkCommandLine(t, where+": "+strings.TrimSpace(part), words)
				})
			}
		}
	}
	if n < 40 {
		t.Errorf("only %d documented command lines found: the extraction is broken", n)
	}
}

// TestDocsPutNoPasswordOnTheCommandLine: the README and the help pages
// never show a password typed on the command line (shell history, ps):
// no password flag, no PASSWORD=value assignment; `read -rs` is the way.
func TestDocsPutNoPasswordOnTheCommandLine(t *testing.T) {
	t.Parallel()
	bad := []*regexp.Regexp{
		regexp.MustCompile(`(?i)(^|[\s;&|])(export\s+)?\w*(password|passwd|secret)\w*=[^\s;&|]`),
		regexp.MustCompile(`(?i)(^|\s)(--?p|--pass(word)?(-file)?)(=|\s|$)`),
	}
	for _, line := range []string{
		"NTLMSCAN_PASSWORD='...' ntlmscan scan -i inv.yaml",
		"export NTLMSCAN_AGENT03_PASSWORD=secret",
		"KRB5_CONFIG=/tmp/x NTLMSCAN_PASSWORD=x ntlmscan scan",
		"ntlmscan scan -i inv.yaml --password hunter2",
	} {
		if !bad[0].MatchString(line) && !bad[1].MatchString(line) {
			t.Fatalf("the check misses %q", line)
		}
	}
	for _, lines := range docs(t) {
		for _, line := range lines {
			_, code, _ := strings.Cut(line, ": ")
			for _, re := range bad {
				if re.MatchString(code) {
					t.Errorf("%s puts a password on the command line (use read -rs VARIABLE && export VARIABLE)", line)
				}
			}
		}
	}
}
