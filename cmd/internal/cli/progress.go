package cli

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/jedib0t/go-pretty/v6/progress"
)

// scanProgress draws a progress bar on a terminal's stderr. On anything else
// (cron, CI, --quiet) it draws nothing: a nightly log must not fill with
// cursor movements.
type scanProgress struct {
	mu      sync.Mutex
	pw      progress.Writer
	tracker *progress.Tracker
	failed  int
	done    chan struct{}
}

func newScanProgress(errOut io.Writer, total int, enabled bool) *scanProgress {
	if !enabled || total == 0 {
		return nil
	}
	pw := progress.NewWriter()
	pw.SetOutputWriter(errOut)
	pw.SetUpdateFrequency(100 * time.Millisecond)
	pw.SetTrackerLength(30)
	pw.SetMessageLength(28)
	pw.SetAutoStop(false)
	pw.Style().Visibility.ETA = true
	pw.Style().Visibility.Value = true
	t := &progress.Tracker{Message: "Scanning hosts over WinRM", Total: int64(total), Units: progress.Units{Formatter: func(v int64) string { return fmt.Sprintf("%d", v) }}}
	pw.AppendTracker(t)
	p := &scanProgress{pw: pw, tracker: t, done: make(chan struct{})}
	go func() {
		pw.Render()
		close(p.done)
	}()
	return p
}

// hostDone advances the bar by one host.
func (p *scanProgress) hostDone(failed bool) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if failed {
		// One unreachable host is not a failed scan: count it in the message
		// instead of marking the whole bar as errored.
		p.failed++
		p.tracker.UpdateMessage(fmt.Sprintf("Scanning hosts (%d failed)", p.failed))
	}
	p.tracker.Increment(1)
}

// stop removes the bar before the report is printed.
func (p *scanProgress) stop() {
	if p == nil {
		return
	}
	p.tracker.MarkAsDone()
	// Let the renderer draw the final state once before stopping it.
	time.Sleep(150 * time.Millisecond)
	p.pw.Stop()
	<-p.done
}

// lockedBuffer collects log lines from the scanner's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// WriteTo copies what was collected to w.
func (b *lockedBuffer) WriteTo(w io.Writer) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.WriteTo(w)
}
