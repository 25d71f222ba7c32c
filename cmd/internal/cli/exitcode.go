package cli

import (
	"errors"
	"fmt"
)

// Exit codes, documented in README and in `ntlmscan --help`. Findings (2)
// and unscanned hosts (4) combine to 6.
const (
	ExitOK          = 0
	ExitError       = 1 // usage or configuration error, or nothing could be scanned
	ExitFindings    = 2 // findings at or above --fail-on
	ExitHostsFailed = 4 // some hosts could not be scanned
	ExitBoth        = ExitFindings | ExitHostsFailed
)

// ExitCodeHelp is the text shown in help output.
const ExitCodeHelp = `Exit codes:
  0  clean: every host scanned, no finding at or above --fail-on
  1  usage or configuration error, or nothing could be scanned
  2  findings at or above --fail-on (blocked by default; at-risk, new and none selectable)
  4  some hosts could not be scanned, or the scan was interrupted
  6  both 2 and 4`

// ExitErr carries an exit code through cobra's error return. Silent
// errors have already been reported.
type ExitErr struct {
	Code   int
	Err    error
	Silent bool
}

func (e *ExitErr) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit code %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitErr) Unwrap() error { return e.Err }

// WithCode wraps err with an exit code.
func WithCode(code int, err error) error { return &ExitErr{Code: code, Err: err} }

// SilentCode ends the command with code and prints nothing more.
func SilentCode(code int) error { return &ExitErr{Code: code, Silent: true} }

// FlagError is a usage error (exit 1, usage hint printed).
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// FlagErrorf builds a FlagError.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// codeFor maps an error returned by a command to its exit code.
func codeFor(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitErr
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitError
}
