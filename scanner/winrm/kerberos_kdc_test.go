package winrm_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/scanner/winrm"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

// kdcSPNs are service principals the lab KDC issues tickets for.
var kdcSPNs = []string{"HTTP/konly.corp.example", "HTTP/hardened.corp.example", "HTTP/skewed.corp.example", "HTTP/kstrict.corp.example", "HTTP/kproxied.corp.example"}

// serviceTickets asks kc for a ticket for every SPN, n at a time, and
// returns the lab KDC's counters before and after.
func serviceTickets(t *testing.T, srv *winrmtest.Server, kc *winrm.KerberosClient, parallel int) (before, after winrmtest.Counters) {
	t.Helper()
	ctx := context.Background()
	// The TGT first, so that the counts below are the TGS exchanges only.
	if _, _, err := kc.ServiceTicket(ctx, kdcSPNs[0]); err != nil {
		t.Fatal(err)
	}
	before = srv.Counters()
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for _, spn := range kdcSPNs[1:] {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			tkt, key, err := kc.ServiceTicket(ctx, spn)
			if err != nil {
				t.Errorf("%s: %v", spn, err)
				return
			}
			if got := tkt.SName.PrincipalNameString(); got != spn || len(key.KeyValue) == 0 {
				t.Errorf("%s: ticket for %s", spn, got)
			}
		})
	}
	wg.Wait()
	// Cached: no new TGS exchange.
	for _, spn := range kdcSPNs {
		if _, _, err := kc.ServiceTicket(ctx, spn); err != nil {
			t.Fatal(err)
		}
	}
	return before, srv.Counters()
}

// TestKerberosKDCConnectionKept: service tickets come over one kept KDC
// connection, not a new TCP connection per ticket (gokrb5 dials for every
// request); each SPN still costs exactly one TGS exchange.
func TestKerberosKDCConnectionKept(t *testing.T) {
	srv := startKerberosLab(t)
	kc := labKerberosClient(t, srv, "Test-Only-Scan-1!")
	before, after := serviceTickets(t, srv, kc, 1)
	tgs, conns := after.KDCTGS-before.KDCTGS, after.KDCConns-before.KDCConns
	if tgs != uint64(len(kdcSPNs)-1) {
		t.Errorf("%d TGS exchanges for %d new SPNs", tgs, len(kdcSPNs)-1)
	}
	if conns != 0 {
		t.Errorf("%d new KDC connections for %d tickets, want the one kept since the first ticket", conns, tgs)
	}
	if after.KDCAS != 1 {
		t.Errorf("%d AS exchanges, want 1", after.KDCAS)
	}
}

// TestKerberosKDCClosesConnections: a KDC that closes the connection
// after each reply (MIT's krb5kdc) costs no failed ticket: the request goes
// again on a new connection, and after a couple of tries the client stops
// keeping connections to it.
func TestKerberosKDCClosesConnections(t *testing.T) {
	srv := startKerberosLab(t)
	srv.SetKDCOneShot(true)
	kc := labKerberosClient(t, srv, "Test-Only-Scan-1!")
	before, after := serviceTickets(t, srv, kc, 2)
	tgs, conns := after.KDCTGS-before.KDCTGS, after.KDCConns-before.KDCConns
	if tgs != uint64(len(kdcSPNs)-1) || conns != tgs {
		t.Errorf("%d TGS exchanges over %d connections, want %d over as many", tgs, conns, len(kdcSPNs)-1)
	}
}

// TestKerberosKDCRestarted: kept connections the KDC dropped (a restart,
// an idle timeout) are replaced without an error.
func TestKerberosKDCRestarted(t *testing.T) {
	srv := startKerberosLab(t)
	kc := labKerberosClient(t, srv, "Test-Only-Scan-1!")
	ctx := context.Background()
	if _, _, err := kc.ServiceTicket(ctx, kdcSPNs[0]); err != nil {
		t.Fatal(err)
	}
	srv.DropKDCConnections()
	for _, spn := range kdcSPNs[1:] {
		if _, _, err := kc.ServiceTicket(ctx, spn); err != nil {
			t.Fatalf("%s after the KDC dropped its connections: %v", spn, err)
		}
	}
	if c := srv.Counters(); c.KDCConns > 3 {
		t.Errorf("%d KDC connections: a new one per ticket after the drop", c.KDCConns)
	}
}

// hangingTGS is a KDC in front of the lab's that answers AS-REQs (through
// the lab KDC) and never answers a TGS-REQ.
func hangingTGS(t *testing.T, labKDC string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				var l [4]byte
				if _, err := io.ReadFull(c, l[:]); err != nil {
					return
				}
				req := make([]byte, binary.BigEndian.Uint32(l[:]))
				if _, err := io.ReadFull(c, req); err != nil || len(req) == 0 {
					return
				}
				if req[0] != 0x6a { // not an AS-REQ: no answer, ever
					_, _ = io.Copy(io.Discard, c)
					return
				}
				k, err := net.Dial("tcp", labKDC)
				if err != nil {
					return
				}
				defer k.Close()
				_, _ = k.Write(append(l[:], req...))
				_, _ = io.Copy(c, k)
			}()
		}
	}()
	return ln.Addr().String()
}

// TestKerberosKDCHostDeadline: a KDC that takes the TGS-REQ and never
// answers holds a host no longer than its deadline, and the host's error
// says the KDC timed out.
func TestKerberosKDCHostDeadline(t *testing.T) {
	srv := startKerberosLab(t)
	addr := hangingTGS(t, srv.KDCAddr())
	conf := strings.Replace(srv.Krb5Conf(), srv.KDCAddr(), addr, -1)
	kc, err := winrm.NewKerberosClient(winrm.KerberosCredentials{Username: "svc-scan@CORP.EXAMPLE", Password: "Test-Only-Scan-1!", Config: conf})
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, _, err = kc.ServiceTicket(ctx, kdcSPNs[0])
	var ke *winrm.KerberosError
	if !errors.As(err, &ke) || ke.Kind != winrm.KrbKDCUnreachable || !ke.Timeout {
		t.Fatalf("got %v, want a KDC timeout", err)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("the host waited %s for a KDC that does not answer, past its 700 ms deadline", d)
	}
}
