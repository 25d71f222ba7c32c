package scanner

import (
	"context"
	"log/slog"
)

// logRecorder is a slog handler that calls onRetry when the scanner logs
// that it will retry a host.
type logRecorder struct {
	onRetry func()
}

func (l *logRecorder) logger() *slog.Logger { return slog.New(l) }

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "transient failure, retrying" && l.onRetry != nil {
		l.onRetry()
	}
	return nil
}

func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecorder) WithGroup(string) slog.Handler      { return l }
