package inventory

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// maxProblems caps how many problems one file reports, so a garbled or
// hostile file cannot produce megabytes of output.
const maxProblems = 200

// Problem is one thing wrong with an inventory or overlay file.
type Problem struct {
	File    string
	Line    int    // 1-based; 0 when the problem concerns the whole file
	Field   string // dotted path, e.g. cores.CORE01.agents[2].name
	Message string
	Hint    string // what to do about it ("" if nothing useful to say)
}

// Error renders "file:line: field: message (hint)".
func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	if p.Hint != "" {
		b.WriteString(" (")
		b.WriteString(p.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// ValidationError lists every problem found in one file, sorted by line.
// Parse and ParseOverlay return it (never another error type), so callers
// can print all problems at once.
type ValidationError struct {
	File     string
	Problems []Problem
}

// Error prints one "file:line: message (hint)" per line.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes the individual problems to errors.As / errors.Is.
func (e *ValidationError) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p
	}
	return out
}

// AsValidationError is a convenience for errors.As.
func AsValidationError(err error) (*ValidationError, bool) {
	var ve *ValidationError
	ok := errors.As(err, &ve)
	return ve, ok
}

// problems collects Problems while a file is decoded.
type problems struct {
	file string
	list []Problem
	seen map[string]bool // dedupe: shared defaults would otherwise repeat per host
}

func newProblems(file string) *problems {
	if file == "" {
		file = "<input>" // Parse called without a file name
	}
	return &problems{file: file, seen: map[string]bool{}}
}

func (ps *problems) add(line int, field, hint, format string, args ...any) {
	p := Problem{File: ps.file, Line: line, Field: field, Message: fmt.Sprintf(format, args...), Hint: hint}
	key := p.Error()
	if ps.seen[key] {
		return
	}
	ps.seen[key] = true
	ps.list = append(ps.list, p)
}

func (ps *problems) empty() bool { return len(ps.list) == 0 }

// err returns the collected problems as a *ValidationError, or nil.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	list := slices.Clone(ps.list)
	slices.SortStableFunc(list, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) })
	if len(list) > maxProblems {
		more := len(list) - maxProblems
		list = append(list[:maxProblems], Problem{
			File:    ps.file,
			Message: fmt.Sprintf("%d more problems not shown", more),
			Hint:    "fix the ones above and run validate again",
		})
	}
	return &ValidationError{File: ps.file, Problems: list}
}
