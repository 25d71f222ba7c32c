package scanner

import (
	"context"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

// TestRetryStopsAtHostDeadline: hosts that keep dropping the connection are
// retried with backoff until their deadline. When the deadline passes while
// waiting to retry, no phantom attempt is counted and the host keeps its
// real failure (connection lost), not a timeout it never had. Several hosts
// make it near certain that some deadline lands in a backoff.
func TestRetryStopsAtHostDeadline(t *testing.T) {
	srv := startLabValue(t, generatedLab(4, 11, domainPass, winrmtest.Faults{DropMidReceive: true}))
	f := newFleet(t, srv, names(srv)...)
	for _, h := range f.inv.Hosts {
		h.WinRM.Timeout = 2 * time.Second
	}
	res := Run(context.Background(), f.inv, Options{Password: labPasswords, Retries: 10})
	for _, r := range res {
		creates := 0
		for _, c := range srv.CallsFor(r.Host) {
			if c.Action == "Create" {
				creates++
			}
		}
		// An attempt that ended with the dropped connection had created its
		// shell, so a phantom attempt (counted, never made) shows as one
		// attempt too many. An attempt the deadline cut short may have ended
		// before its Create, in connect or logon (a loaded machine), so
		// there one attempt without a shell is real.
		switch {
		case r.Error != nil && r.Error.Class == facts.ErrUnreachableTCP && r.Attempts != creates:
			t.Errorf("%s: %d attempts reported, %d made (shells created)", r.Host, r.Attempts, creates)
		case r.Attempts != creates && r.Attempts != creates+1:
			t.Errorf("%s: %d attempts reported, %d shells created", r.Host, r.Attempts, creates)
		}
		if r.Error == nil || r.Error.Class != facts.ErrUnreachableTCP && r.Error.Class != facts.ErrTimeout {
			t.Errorf("%s: %+v", r.Host, r.Error)
		}
	}
}

// TestRetryBackoffCanceled: Ctrl-C while a host waits to retry ends it as
// canceled at once, without another attempt.
func TestRetryBackoffCanceled(t *testing.T) {
	srv := startLabValue(t, generatedLab(1, 12, domainPass, winrmtest.Faults{DropMidReceive: true}))
	f := newFleet(t, srv, names(srv)...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs logRecorder
	logs.onRetry = cancel // the user presses Ctrl-C while the host waits to retry
	res := Run(ctx, f.inv, Options{Password: labPasswords, Logger: logs.logger()})
	r := res[0]
	if r.Attempts != 1 || r.Error == nil || r.Error.Class != facts.ErrCanceled {
		t.Fatalf("attempts %d, error %+v: want 1 attempt, canceled", r.Attempts, r.Error)
	}
}
