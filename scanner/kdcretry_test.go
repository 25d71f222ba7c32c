package scanner

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// kdcFront stands between the scanner and the lab KDC: the first fail
// connections are closed at once (a KDC restarting), and with hang every
// connection is held open without an answer (a KDC behind a black hole).
type kdcFront struct {
	ln    net.Listener
	fail  int32
	hang  bool
	seen  atomic.Int32
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
}

func startKDCFront(t *testing.T, target string, fail int32, hang bool) *kdcFront {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	k := &kdcFront{ln: ln, fail: fail, hang: hang}
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n := k.seen.Add(1)
			switch {
			case k.hang:
				k.mu.Lock()
				k.conns = append(k.conns, c)
				k.mu.Unlock()
			case n <= k.fail:
				c.Close()
			default:
				k.wg.Add(1)
				go func() {
					defer k.wg.Done()
					defer c.Close()
					up, err := net.Dial("tcp", target)
					if err != nil {
						return
					}
					defer up.Close()
					go func() { _, _ = io.Copy(up, c) }()
					_, _ = io.Copy(c, up)
				}()
			}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		k.mu.Lock()
		for _, c := range k.conns {
			c.Close()
		}
		k.mu.Unlock()
		k.wg.Wait()
	})
	return k
}

// TestKDCFailureRetriedWithinHostDeadline: a KDC that fails a first
// request is asked again, with backoff, within the host's deadline; the
// failure is not remembered for the rest of the scan.
func TestKDCFailureRetriedWithinHostDeadline(t *testing.T) {
	t.Setenv(passwordEnvD, domainPass)
	srv := startLab(t, "lab-kerberos.yaml")
	front := startKDCFront(t, srv.KDCAddr(), 1, false)
	f := newFleet(t, srv, "KONLY")
	h := f.host("KONLY")
	h.Domain, h.WinRM.Auth = "corp.example", inventory.AuthKerberos
	conf := strings.ReplaceAll(srv.Krb5Conf(), srv.KDCAddr(), front.ln.Addr().String())
	r := Run(context.Background(), f.inv, Options{Krb5Conf: conf, Retries: -1})[0]
	if r.Error != nil || r.Auth != "kerberos" {
		t.Fatalf("KONLY: auth %q, error %+v; want a Kerberos logon after the KDC's first failure", r.Auth, r.Error)
	}
	if front.seen.Load() < 2 {
		t.Errorf("the KDC was asked %d times", front.seen.Load())
	}
}

// TestKDCHangBoundedByHostDeadline: a KDC that never answers costs a host
// no more than its deadline, and the host's error says the KDC timed out.
func TestKDCHangBoundedByHostDeadline(t *testing.T) {
	t.Setenv(passwordEnvD, domainPass)
	srv := startLab(t, "lab-kerberos.yaml")
	front := startKDCFront(t, srv.KDCAddr(), 0, true)
	f := newFleet(t, srv, "KONLY")
	h := f.host("KONLY")
	h.Domain, h.WinRM.Auth, h.WinRM.Timeout = "corp.example", inventory.AuthKerberos, 1500*time.Millisecond
	conf := strings.ReplaceAll(srv.Krb5Conf(), srv.KDCAddr(), front.ln.Addr().String())
	start := time.Now()
	r := Run(context.Background(), f.inv, Options{Krb5Conf: conf, Retries: -1})[0]
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("the host took %s with a 1.5s deadline", el)
	}
	if r.Error == nil || r.Error.Class != facts.ErrKerberosKDC || !strings.Contains(r.Error.Message, "timed out") {
		t.Fatalf("KONLY: %+v, want %s saying the KDC timed out", r.Error, facts.ErrKerberosKDC)
	}
}
