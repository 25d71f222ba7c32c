package inventory

import "github.com/ntlmscan/ntlmscan/inventory/yamlcheck"

// maxProblems caps how many problems one file reports, so a garbled or
// hostile file cannot produce megabytes of output.
const maxProblems = 200

// Problem is one thing wrong with an inventory or what-if file; Error
// renders "file:line: field: message (hint)".
type Problem = yamlcheck.Problem

// ValidationError lists every problem found in one file, sorted by line.
// Parse and whatif.Parse return it (never another error type), so callers
// can print all problems at once.
type ValidationError = yamlcheck.ValidationError

// AsValidationError is a convenience for errors.As.
func AsValidationError(err error) (*ValidationError, bool) {
	return yamlcheck.AsValidationError(err)
}

// NewCollector starts collecting the problems of one inventory file, or of
// a file checked against an inventory (report/whatif), so both cap, dedupe
// and close their lists alike.
func NewCollector(file string) *yamlcheck.Collector {
	if file == "" {
		file = "<input>" // Parse called without a file name
	}
	return &yamlcheck.Collector{
		File:     file,
		Limit:    maxProblems,
		MoreHint: "fix the ones above and run validate again",
		Dedupe:   true, // shared defaults would otherwise repeat per host
	}
}
