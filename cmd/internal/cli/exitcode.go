package cli

import (
	"errors"
	"fmt"

	"github.com/ntlmscan/ntlmscan/report"
)

// Exit codes, documented in `ntlmscan help exit-codes` (a test checks
// that page against these constants) and in `ntlmscan --help`. Findings (2)
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
  4  some hosts could not be scanned (unless a host waiver accepts them or
     --fail-on ends in ,no-unscanned), or the scan was interrupted
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

// SilentCode ends the command with code and prints nothing more; ExitOK
// is no error at all (nil).
func SilentCode(code int) error {
	if code == ExitOK {
		return nil
	}
	return &ExitErr{Code: code, Silent: true}
}

// exitWith hands a run function's (exit code, error) to cobra: nil for
// success, the error with its code (ExitError unless the error or the code
// says otherwise), or the code alone when the run has already reported why
// (findings, hosts not scanned).
func exitWith(code int, err error) error {
	if err == nil {
		return SilentCode(code)
	}
	var ee *ExitErr
	var fe *FlagError
	if errors.As(err, &ee) || errors.As(err, &fe) {
		return err
	}
	if code == ExitOK {
		code = ExitError
	}
	return WithCode(code, err)
}

// diffExitCode is diff's exit status: 2 when the newer report has blocked
// paths the older did not, so a script can alert on drift.
func diffExitCode(cmp *report.Comparison) int {
	if len(cmp.New) > 0 {
		return ExitFindings
	}
	return ExitOK
}

// scanOutcome is how a scan ended, as far as its exit code is concerned.
type scanOutcome struct {
	Scanned int // hosts collected
	Failed  int // hosts that could not be and count (described-only hosts are neither)
	// Accepted are hosts that could not be scanned but do not count: an
	// active host waiver accepts them, or --fail-on ...,no-unscanned.
	Accepted    int
	Findings    int  // findings at or above --fail-on
	Interrupted bool // Ctrl-C or --timeout left hosts unscanned
}

// exitCode is scan's exit status: 1 when nothing could be scanned, else 2
// for findings, 4 for hosts not scanned, or both.
func (s scanOutcome) exitCode() int {
	if s.Scanned == 0 && s.Failed+s.Accepted > 0 {
		return ExitError
	}
	code := ExitOK
	if s.Findings > 0 {
		code |= ExitFindings
	}
	if s.Failed > 0 || s.Interrupted {
		code |= ExitHostsFailed
	}
	return code
}

// demoExitCode is demo's: 0 once the report is shown, unless the user chose
// --fail-on (flag, environment or settings file), then scan's. A demo that
// scanned nothing is an error either way.
func (s scanOutcome) demoExitCode(failOnChosen bool) int {
	if code := s.exitCode(); failOnChosen || code == ExitError {
		return code
	}
	return ExitOK
}

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
