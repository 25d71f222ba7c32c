// Package iostreams gives commands their input and output streams, and
// tells whether each is a terminal, so tests can run every command against
// buffers (the GitHub CLI's pattern).
package iostreams

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams are a command's standard streams.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer // data: tables, reports
	ErrOut io.Writer // logs, progress, errors

	stdoutTTY bool
	stderrTTY bool
	width     int
}

// System returns the process's streams.
func System() *IOStreams {
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		stdoutTTY: isTerminal(os.Stdout), stderrTTY: isTerminal(os.Stderr),
		width: terminalWidth(os.Stdout),
	}
}

// Test returns streams backed by buffers: (streams, stdin, stdout, stderr).
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut, width: 120}, in, out, errOut
}

// IsStdoutTTY reports whether data goes to a terminal (colour, grids).
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether progress may be drawn.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetTTY forces both TTY flags (tests).
func (s *IOStreams) SetTTY(stdout, stderr bool) { s.stdoutTTY, s.stderrTTY = stdout, stderr }

// Width is the terminal width, or 120 when unknown.
func (s *IOStreams) Width() int {
	if s.width <= 0 {
		return 120
	}
	return s.width
}

func isTerminal(f *os.File) bool {
	return term.IsTerminal(int(f.Fd())) && os.Getenv("TERM") != "dumb"
}

func terminalWidth(f *os.File) int {
	if w, _, err := term.GetSize(int(f.Fd())); err == nil && w >= 40 {
		return w
	}
	// COLUMNS is set by most shells; without it a conservative default keeps
	// tables readable in pagers and logs.
	if c := os.Getenv("COLUMNS"); c != "" {
		n := 0
		for _, r := range c {
			if r < '0' || r > '9' {
				return 120
			}
			n = n*10 + int(r-'0')
		}
		if n >= 40 {
			return n
		}
	}
	return 120
}
