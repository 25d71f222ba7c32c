package render_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/report/render"
)

// helperEnv tells TestHelperRender what to render: "HOSTS:WIDTH".
const helperEnv = "NTLMSCAN_RENDER_HELPER"

// TestHelperRender is not a test: TestTerminalInTmux runs the test binary
// with it inside tmux, so the report goes to a real terminal.
func TestHelperRender(t *testing.T) {
	spec := os.Getenv(helperEnv)
	if spec == "" {
		t.Skip("helper process for TestTerminalInTmux")
	}
	hosts, width, ok := strings.Cut(spec, ":")
	n, err1 := strconv.Atoi(hosts)
	w, err2 := strconv.Atoi(width)
	if !ok || err1 != nil || err2 != nil {
		fmt.Fprintf(os.Stderr, "%s=%q: want HOSTS:WIDTH\n", helperEnv, spec)
		os.Exit(2)
	}
	rd, _ := render.New(render.FormatTable)
	if err := rd.Render(os.Stdout, estate(n), render.Options{Width: w}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// TestTerminalInTmux renders the 300-host estate in a real terminal (tmux
// at 80 and 120 columns) and checks that the terminal wrapped no line: the
// capture with wrapped lines joined (-J) has the same lines as the plain
// one. The control case renders without a width, as the old renderer did,
// and must be caught wrapping.
func TestTerminalInTmux(t *testing.T) {
	t.Parallel()
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("NTLMSCAN_REQUIRE_INTEGRATION") == "1" {
			t.Fatal("tmux is required (NTLMSCAN_REQUIRE_INTEGRATION=1): install the Debian package tmux (.ci/run does)")
		}
		t.Skip("tmux not installed")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name            string
		columns, render int
		wantWrapped     bool
	}{
		{"80 columns", 80, 80, false},
		{"120 columns", 120, 120, false},
		{"control: no width in 80 columns", 80, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			plain, joined := runInTmux(t, tmux, self, tc.columns, fmt.Sprintf("300:%d", tc.render))
			if !strings.Contains(plain, "SUMMARY") || !strings.Contains(plain, "PATHS (worst first)") {
				t.Fatalf("the pane does not show the report:\n%s", plain)
			}
			p, j := screenLines(plain), screenLines(joined)
			wrapped := len(p) != len(j)
			for i := 0; !wrapped && i < len(p); i++ {
				wrapped = p[i] != j[i]
			}
			if !tc.wantWrapped {
				// The whole report is on screen, line for line (tmux's
				// default history holds 2,000 lines).
				want := screenLines(string(render1(t, "table", estate(300), render.Options{Width: tc.render})))
				if strings.Join(p, "\n") != strings.Join(want, "\n") {
					t.Errorf("the pane shows %d lines, the renderer wrote %d; they differ:\n%s", len(p), len(want), plain)
				}
			}
			if wrapped != tc.wantWrapped {
				t.Errorf("terminal wrapped lines: %v, want %v (%d screen lines, %d once joined)", wrapped, tc.wantWrapped, len(p), len(j))
				for i := 0; i < min(len(p), len(j)); i++ {
					if p[i] != j[i] {
						t.Errorf("first wrapped line %d:\n%s", i+1, j[i])
						break
					}
				}
			}
		})
	}
}

const doneMark = "__NTLMSCAN_RENDER_DONE__"

// runInTmux runs the helper in a detached tmux session of the given width
// on a private server and returns the pane's whole history, plain and with
// wrapped lines joined.
func runInTmux(t *testing.T, tmux, self string, columns int, spec string) (plain, joined string) {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "s")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	run := func(args ...string) string {
		t.Helper()
		cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
		defer ccancel()
		out, err := exec.CommandContext(cctx, tmux, append([]string{"-S", sock, "-f", "/dev/null"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	t.Cleanup(func() {
		// Kill the server whatever happened; it may already be gone.
		cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer ccancel()
		_ = exec.CommandContext(cctx, tmux, "-S", sock, "kill-server").Run()
	})
	// The pane stays open after the helper ends (sleep) so that it can be
	// captured; the kill-server above ends it.
	cmd := fmt.Sprintf("env %s=%s TERM=xterm %s -test.run='^TestHelperRender$'; echo %s; sleep 60",
		helperEnv, spec, shellQuote(self), doneMark)
	run("new-session", "-d", "-x", strconv.Itoa(columns), "-y", "50", "-s", "render", "sh", "-c", cmd)
	for {
		if strings.Contains(run("capture-pane", "-p", "-t", "render"), doneMark) {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the report did not finish rendering in tmux within a minute:\n%s", run("capture-pane", "-p", "-t", "render"))
		case <-time.After(100 * time.Millisecond):
		}
	}
	if w := strings.TrimSpace(run("display-message", "-p", "-t", "render", "#{pane_width}")); w != strconv.Itoa(columns) {
		t.Fatalf("the pane is %s columns wide, want %d", w, columns)
	}
	return run("capture-pane", "-p", "-S", "-", "-E", "-", "-t", "render"), run("capture-pane", "-p", "-J", "-S", "-", "-E", "-", "-t", "render")
}

// screenLines are a capture's lines up to the done mark, without trailing
// blanks (-J keeps them, -p does not).
func screenLines(capture string) []string {
	capture, _, _ = strings.Cut(capture, doneMark)
	lines := strings.Split(capture, "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
