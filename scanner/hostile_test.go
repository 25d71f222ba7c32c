package scanner

import (
	"bufio"
	"context"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

// hostilePeer is a TCP endpoint that reads each HTTP request and answers it
// with bytes a WinRM service would never send (the simulator has no knob for
// broken HTTP framing). It stops writing after hostileCap bytes and then
// holds the connection open, so a client without bounds waits for its
// deadline with everything in memory.
type hostilePeer struct {
	ln      net.Listener
	answer  func(w io.Writer) // writes the hostile reply
	written atomic.Int64      // bytes the client accepted
	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   []net.Conn
}

const hostileCap = 64 << 20

func newHostilePeer(t *testing.T, answer func(w io.Writer)) *hostilePeer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &hostilePeer{ln: ln, answer: answer}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			p.conns = append(p.conns, c)
			p.mu.Unlock()
			p.wg.Add(1)
			go p.serve(c)
		}
	}()
	return p
}

func (p *hostilePeer) serve(c net.Conn) {
	defer p.wg.Done()
	defer c.Close()
	req, err := http.ReadRequest(bufio.NewReader(c))
	if err != nil {
		return
	}
	_, _ = io.Copy(io.Discard, req.Body)
	p.answer(&countingWriter{w: c, n: &p.written})
	_, _ = io.Copy(io.Discard, c) // hold until the client hangs up
}

func (p *hostilePeer) close() {
	_ = p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *hostilePeer) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

type countingWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n.Add(int64(n))
	return n, err
}

// repeat writes prefix, then unit until hostileCap bytes went out or the
// client hung up.
func repeat(w io.Writer, prefix, unit string) {
	if _, err := io.WriteString(w, prefix); err != nil {
		return
	}
	block := strings.Repeat(unit, (64<<10)/len(unit))
	for sent := len(prefix); sent < hostileCap; sent += len(block) {
		if _, err := io.WriteString(w, block); err != nil {
			return
		}
	}
}

// TestHostileHTTPFraming: replies whose headers (or chunked trailers) never
// end are cut off at a bound and reported as garbled, instead of being
// buffered until the host's deadline; the healthy host next to them is
// collected.
func TestHostileHTTPFraming(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	srv, err := winrmtest.NewServer(generatedLab(1, 10, domainPass, winrmtest.Faults{}), winrmtest.WithEphemeralPorts())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	tests := []struct {
		name   string
		answer func(w io.Writer)
		want   string // in the message
	}{
		{"endless header line", func(w io.Writer) {
			repeat(w, "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\nX-Junk: ", "a")
		}, "exceed"},
		{"endless header list", func(w io.Writer) {
			repeat(w, "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\n", "X-Junk: aaaaaaaa\r\n")
		}, "exceed"},
		{"endless chunked trailer", func(w io.Writer) {
			repeat(w, "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n", "X-Trailer: aaaaaaaa\r\n")
		}, "not a valid HTTP reply"},
		{"endless tiny chunks", func(w io.Writer) {
			repeat(w, "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\nTransfer-Encoding: chunked\r\n\r\n", "1\r\na\r\n")
		}, "exceed"},
		{"not HTTP", func(w io.Writer) { _, _ = io.WriteString(w, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n") }, "not a valid HTTP reply"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			peer := newHostilePeer(t, tc.answer)
			defer peer.close()
			f := newFleet(t, srv, names(srv)...)
			f.inv.Hosts = append(f.inv.Hosts, &inventory.Host{Name: "HOSTILE", Address: "127.0.0.1", Scan: true,
				WinRM: inventory.WinRM{Transport: inventory.TransportNTLM, Port: peer.port(), Timeout: 15 * time.Second, Credential: f.domain}})
			// 15 s, not less: under -race on a loaded machine, reading a
			// reply up to the cap in one-byte chunks took over 3 s, so the
			// host timed out before the cap was reached. A healthy run
			// ends at the cap, long before.
			res := Run(context.Background(), f.inv, Options{Password: labPasswords})
			if r := resultFor(t, res, "H001"); !r.OK() {
				t.Errorf("healthy host disturbed: %+v", r.Error)
			}
			r := resultFor(t, res, "HOSTILE")
			if r.Error == nil || r.Error.Class != facts.ErrMalformedOutput || !strings.Contains(r.Error.Message, tc.want) {
				t.Errorf("want a malformed-output error saying %q, got %+v", tc.want, r.Error)
			}
			if r.Attempts != 1 {
				t.Errorf("%d attempts: a garbled reply is not transient", r.Attempts)
			}
			if n := peer.written.Load(); n >= hostileCap/2 {
				t.Errorf("the client accepted %d bytes of one reply", n)
			}
		})
	}
	waitNoConnections(t, srv)
	srv.Close()
	goleak.VerifyNone(t, leaks)
}

// TestHostileXMLShape: a small reply that is well-formed but nested very
// deeply (or drowned in namespace declarations) must not keep the worker
// busy past the host's deadline: masterzen's XML library spends time
// proportional to elements × depth × namespaces on it, and no deadline
// interrupts CPU work. Basic over HTTPS lets the fake host answer Create
// without an NTLM context.
func TestHostileXMLShape(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	const env = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>`
	var manyNS strings.Builder
	for i := range 400 {
		manyNS.WriteString(` xmlns:n` + strconv.Itoa(i) + `="urn:x:` + strconv.Itoa(i) + `"`)
	}
	tests := []struct {
		name string
		body string
	}{
		{"deep nesting", env + strings.Repeat("<a>", 200000) + strings.Repeat("</a>", 200000) + "</s:Body></s:Envelope>"},
		{"namespace flood", `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"` + manyNS.String() + `><s:Body>` +
			strings.Repeat("<a>", 40) + strings.Repeat("<b/>", 100000) + strings.Repeat("</a>", 40) + "</s:Body></s:Envelope>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "application/soap+xml;charset=UTF-8")
				_, _ = io.WriteString(w, tc.body)
			}))
			defer fake.Close()
			ca := writeFile(t, "ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: fake.Certificate().Raw})))
			_, port, _ := net.SplitHostPort(fake.Listener.Addr().String())
			p, _ := strconv.Atoi(port)
			inv := &inventory.Inventory{Hosts: []*inventory.Host{{Name: "HOSTILE", Address: "127.0.0.1", Scan: true,
				WinRM: inventory.WinRM{Transport: inventory.TransportBasic, HTTPS: true, Port: p, CAFile: ca, Timeout: 3 * time.Second,
					Credential: &inventory.Credential{Name: "b", Username: "admin", PasswordEnv: "X"}}}}}
			done := make(chan []facts.HostResult, 1)
			go func() {
				done <- Run(context.Background(), inv, Options{Password: func(*inventory.Credential) (string, error) { return "pw", nil }})
			}()
			var res []facts.HostResult
			select {
			case res = <-done:
			case <-time.After(90 * time.Second): // a watchdog against a hang, not a speed goal
				t.Fatal("the scan of one host with a 3s timeout did not end")
			}
			if e := res[0].Error; e == nil || e.Class != facts.ErrMalformedOutput {
				t.Fatalf("want malformed-output, got %+v", e)
			}
		})
	}
	goleak.VerifyNone(t, leaks)
}
