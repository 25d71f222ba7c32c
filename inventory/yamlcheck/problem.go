// Package yamlcheck is the one YAML reading layer of every file the tool
// reads (inventory, what-if, waivers, settings, lab): a strict walker over
// yaml.v3 nodes (Walker, Fields, Decode) that reports every problem at once
// in one wording, problems with file:line, the error that lists them, and
// parsing of a single YAML document whose syntax errors point at the right
// line.
package yamlcheck

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ntlmscan/ntlmscan/inventory/safetext"
)

// Problem is one thing wrong in a checked file.
type Problem struct {
	File    string
	Line    int    // 1-based; 0 when the problem concerns the whole file
	Field   string // dotted path, e.g. cores.CORE01.agents[2].name; "" if none
	Message string
	Hint    string // what to do about it ("" if nothing useful to say)
}

// Error renders "file:line: field: message (hint)", leaving out the parts
// that are empty, with invisible and control characters escaped.
func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	b.WriteString(p.detail())
	// File names, keys and values come from the user's file: shown raw, a
	// bidi override or a zero-width character would hide what is wrong.
	return safetext.Escape(b.String())
}

// Detail renders "field: message (hint)", escaped as Error is, for callers
// with their own way of naming the file and line.
func (p Problem) Detail() string { return safetext.Escape(p.detail()) }

func (p Problem) detail() string {
	var b strings.Builder
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

// ValidationError lists every problem found in one file, sorted by line, so
// callers can print all of them at once.
type ValidationError struct {
	File     string
	Problems []Problem
}

// Error prints one problem per line.
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

// Collector gathers the problems of one file while it is checked. Set File
// and the options, then Add; Err hands the result over.
type Collector struct {
	File string
	// Limit caps how many problems Err reports (0: no cap), so a garbled or
	// hostile file cannot produce megabytes of output. The rest are counted
	// in one last "N more problems not shown" problem.
	Limit int
	// MoreHint is the hint on that last problem.
	MoreHint string
	// Dedupe drops a problem that reads exactly like one already added.
	Dedupe bool

	list []Problem
	seen map[string]bool
}

// Add records a problem; line 0 means the whole file, field may be "".
func (c *Collector) Add(line int, field, hint, format string, args ...any) {
	p := Problem{File: c.File, Line: line, Field: field, Message: fmt.Sprintf(format, args...), Hint: hint}
	if c.Dedupe {
		key := p.Error()
		if c.seen[key] {
			return
		}
		if c.seen == nil {
			c.seen = map[string]bool{}
		}
		c.seen[key] = true
	}
	c.list = append(c.list, p)
}

// Len is how many problems were recorded so far; callers compare it before
// and after a step to learn whether the step found any.
func (c *Collector) Len() int { return len(c.list) }

// Err returns the recorded problems as a *ValidationError sorted by line
// (problems on the same line keep the order they were found in), or nil.
func (c *Collector) Err() error {
	if len(c.list) == 0 {
		return nil
	}
	list := slices.Clone(c.list)
	slices.SortStableFunc(list, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) })
	if c.Limit > 0 && len(list) > c.Limit {
		more := len(list) - c.Limit
		list = append(list[:c.Limit], Problem{
			File:    c.File,
			Message: fmt.Sprintf("%d more problems not shown", more),
			Hint:    c.MoreHint,
		})
	}
	return &ValidationError{File: c.File, Problems: list}
}
