package winrm_test

import (
	"context"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/scanner/winrm"
)

// TestKerberosOptimistic: with Optimistic (auth: kerberos), the AP-REQ goes
// on the host's first request instead of after an anonymous request that
// asks which schemes the host offers: one command without stdin (Create,
// Command, Receive, Delete) costs 5 round trips, not 6 (the scan's, with
// its Send, 6 instead of 7). A host with Negotiate switched off (KONLY)
// answers the Negotiate ticket with a 401 offering Kerberos, and the logon
// is retried under it: no worse than asking first.
func TestKerberosOptimistic(t *testing.T) {
	srv := startKerberosLab(t)
	kc := labKerberosClient(t, srv, "Test-Only-Scan-1!")
	if c := srv.Counters(); c.KDCAS+c.KDCTGS != 0 {
		t.Fatalf("KDC requests before any logon: %+v", c)
	}
	for _, tc := range []struct {
		host       string
		optimistic bool
		want       int
	}{
		{"HARDENED", false, 6},
		{"HARDENED", true, 5},
		{"KONLY", true, 6},
	} {
		ctx := context.Background()
		auth := winrm.NewKerberos(kc, "HTTP/"+lower(tc.host)+".corp.example")
		if tc.optimistic {
			auth.Optimistic()
		}
		sess := newSession(t, ctx, endpoint(t, srv, tc.host, false), auth, 5*time.Second)
		if _, err := sess.Run(ctx, "echo ntlmscan", nil, 1<<20); err != nil {
			t.Fatalf("%s optimistic=%v: %v", tc.host, tc.optimistic, err)
		}
		if st := sess.Transport().Stats(); st.RoundTrips != tc.want {
			t.Errorf("%s optimistic=%v: %d round trips, want %d", tc.host, tc.optimistic, st.RoundTrips, tc.want)
		}
	}
	// The lab KDC counts what it answered: one TGT, a service ticket per
	// host at most (the client keeps them).
	if c := srv.Counters(); c.KDCAS != 1 || c.KDCTGS < 1 || c.KDCTGS > 2 {
		t.Errorf("KDC requests = AS %d, TGS %d; want 1 and 1 to 2", c.KDCAS, c.KDCTGS)
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
