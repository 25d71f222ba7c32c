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

// Factory carries what every command needs; tests replace any field.
type Factory struct {
	IO      *iostreams.IOStreams
	Now     func() time.Time
	Version string
	// Getenv reads the environment (credentials, NTLMSCAN_* settings).
	Getenv func(string) string

	logLevel  slog.LevelVar
	logFormat string
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
