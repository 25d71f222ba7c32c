// Package cli builds the ntlmscan command tree. Each leaf command lives in
// its own file with an Options struct and a run function that tests call
// with buffered streams.
package cli

import (
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/ntlmscan/ntlmscan/cmd/internal/iostreams"
)

// Factory carries what every command needs; tests replace any field. A
// command reads its streams, clock and environment only from here, never
// from the process, so command tests run in parallel.
type Factory struct {
	IO      *iostreams.IOStreams
	Now     func() time.Time
	Version string
	// LookupEnv reads the environment (an os.LookupEnv): NTLMSCAN_*
	// settings, NO_COLOR, the variables credentials name, KRB5_CONFIG and
	// KRB5CCNAME. nil is an empty environment.
	LookupEnv func(string) (string, bool)

	logLevel  slog.LevelVar
	logFormat string
}

// Getenv returns the value of the environment variable key, "" if unset.
func (f *Factory) Getenv(key string) string {
	v, _ := f.lookupEnv()(key)
	return v
}

// lookupEnv is LookupEnv, or an empty environment.
func (f *Factory) lookupEnv() func(string) (string, bool) {
	if f.LookupEnv == nil {
		return func(string) (string, bool) { return "", false }
	}
	return f.LookupEnv
}

// Logger returns the logger writing to stderr at the configured level.
func (f *Factory) Logger() *slog.Logger { return f.loggerTo(f.IO.ErrOut) }

func (f *Factory) loggerTo(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: &f.logLevel}
	if f.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func (f *Factory) setLogLevel(level string) error {
	switch strings.ToLower(level) {
	case "debug":
		f.logLevel.Set(slog.LevelDebug)
	case "info", "":
		f.logLevel.Set(slog.LevelInfo)
	case "warn", "warning":
		f.logLevel.Set(slog.LevelWarn)
	case "error":
		f.logLevel.Set(slog.LevelError)
	default:
		return FlagErrorf("invalid --log-level %q: use debug, info, warn or error", level)
	}
	return nil
}
