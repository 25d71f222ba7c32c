package winrmtest

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestHostsAndEndpoints(t *testing.T) {
	lab := newLab(t, testLab+`
  - name: ANAS
    address: 127.0.0.8
    winrm: {http: false}
`)
	srv := startLab(t, lab)
	eps := srv.Hosts()
	if len(eps) != len(lab.Hosts) {
		t.Fatalf("%d endpoints for %d hosts", len(eps), len(lab.Hosts))
	}
	if !sort.SliceIsSorted(eps, func(i, j int) bool { return eps[i].Name < eps[j].Name }) {
		t.Error("Hosts() is not sorted by name")
	}
	seen := map[string]bool{}
	for _, ep := range eps {
		h := lab.HostByName(ep.Name)
		if ep.Address != h.Address || ep.FQDN != h.FQDN {
			t.Errorf("%s: endpoint %+v does not match the lab", ep.Name, ep)
		}
		if h.httpEnabled() != (ep.HTTPPort != 0) || h.WinRM.HTTPS != (ep.HTTPSPort != 0) {
			t.Errorf("%s: ports %d/%d do not match the lab", ep.Name, ep.HTTPPort, ep.HTTPSPort)
		}
		if ep.HTTPPort != 0 && ep.HTTPURL != fmt.Sprintf("http://%s:%d/wsman", ep.Address, ep.HTTPPort) {
			t.Errorf("%s: HTTPURL %q", ep.Name, ep.HTTPURL)
		}
		if ep.HTTPPort == 0 && ep.HTTPURL != "" {
			t.Errorf("%s: URL %q without a listener", ep.Name, ep.HTTPURL)
		}
		if ep.HTTPPort == DefaultHTTPPort {
			t.Errorf("%s: ephemeral ports requested, got %d", ep.Name, ep.HTTPPort)
		}
		seen[ep.Address] = true
	}
	if ep, ok := srv.Host("secure1"); !ok || ep.Name != "SECURE1" {
		t.Errorf("Host(secure1) = %+v, %v", ep, ok)
	}
	if _, ok := srv.Host("nope"); ok {
		t.Error("Host(nope) found something")
	}
	if ep, _ := srv.Host("ANAS"); ep.HTTPPort != 0 || ep.HTTPSPort != 0 {
		t.Errorf("ANAS serves WinRM: %+v", ep)
	}
	// Each host has its own address: a connection to one host's port on
	// another host's address is refused.
	a, _ := srv.Host("SECURE1")
	b, _ := srv.Host("PLAIN1")
	if c, err := net.DialTimeout("tcp", net.JoinHostPort(b.Address, fmt.Sprint(a.HTTPPort)), time.Second); err == nil {
		c.Close()
		t.Errorf("PLAIN1's address answers on SECURE1's port %d", a.HTTPPort)
	}
}

// TestFixedPorts: without WithEphemeralPorts each host binds the lab's ports.
func TestFixedPorts(t *testing.T) {
	lab := newLab(t, `
hosts:
  - {name: FIXED1, address: 127.0.0.1, os: {build: 20348}, winrm: {https: true}}
  - {name: FIXED2, address: 127.0.0.2, os: {build: 20348}, winrm: {httpPort: 15985}}
`)
	srv, err := NewServer(lab)
	if err != nil {
		t.Skipf("cannot bind the default WinRM ports here: %v", err)
	}
	defer srv.Close()
	if ep, _ := srv.Host("FIXED1"); ep.HTTPPort != 5985 || ep.HTTPSPort != 5986 {
		t.Errorf("FIXED1 ports %d/%d", ep.HTTPPort, ep.HTTPSPort)
	}
	if ep, _ := srv.Host("FIXED2"); ep.HTTPPort != 15985 {
		t.Errorf("FIXED2 port %d", ep.HTTPPort)
	}
	// A second server on the same addresses fails with a clear error.
	_, err = NewServer(lab)
	if err == nil || !strings.Contains(err.Error(), "host FIXED1") || !strings.Contains(err.Error(), "ephemeral") {
		t.Errorf("second server: %v", err)
	}
}

// TestHTTPSCertificate: the per-run CA signs certificates naming the host's
// FQDN, NetBIOS name and address; clients verify them.
func TestHTTPSCertificate(t *testing.T) {
	srv := startTestLab(t)
	ep, _ := srv.Host("TLS1")
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(srv.CACertPEM()) {
		t.Fatal("bad CA PEM")
	}
	addr := net.JoinHostPort(ep.Address, fmt.Sprint(ep.HTTPSPort))
	for _, name := range []string{ep.FQDN, "TLS1", ep.Address} {
		conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: name})
		if err != nil {
			t.Errorf("verify as %q: %v", name, err)
			continue
		}
		if v := conn.ConnectionState().NegotiatedProtocol; v != "" {
			t.Errorf("ALPN %q, WinRM speaks HTTP/1.1 only", v)
		}
		conn.Close()
	}
	if _, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "other.example"}); err == nil {
		t.Error("certificate accepted for a name it does not carry")
	}
	if _, err := tls.Dial("tcp", addr, &tls.Config{ServerName: ep.FQDN}); err == nil {
		t.Error("certificate accepted without the lab CA")
	}
	// Another server run has another CA.
	other := startTestLab(t)
	if string(other.CACertPEM()) == string(srv.CACertPEM()) {
		t.Error("two server runs share a CA")
	}
}

// TestIdleConnectionsClosed: idle keep-alive connections are closed by the
// server after the configured idle time, as HTTP.sys does.
func TestIdleConnectionsClosed(t *testing.T) {
	lab := newLab(t, `
hosts:
  - {name: IDLE1, address: 127.0.0.1, os: {build: 20348}, winrm: {idleTimeout: 200ms}}
`)
	srv := startLab(t, lab)
	ep, _ := srv.Host("IDLE1")
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	// A challenge 401 keeps the connection; then it goes idle.
	neg := "Negotiate TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGFKAAAADw=="
	resp := rawPost(t, c, ep.HTTPURL, neg, "")
	if resp.StatusCode != 401 || resp.Close {
		t.Fatalf("challenge: %d close=%v", resp.StatusCode, resp.Close)
	}
	if srv.OpenConnections("IDLE1") != 1 {
		t.Fatalf("%d open connections, want 1", srv.OpenConnections("IDLE1"))
	}
	deadline := time.Now().Add(10 * time.Second)
	for srv.OpenConnections("IDLE1") != 0 {
		if time.Now().After(deadline) {
			t.Fatal("idle connection never closed")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCloseWakesLongPolls: Close does not wait for a pending Receive's
// OperationTimeout.
func TestCloseWakesLongPolls(t *testing.T) {
	srv, err := NewServer(newLab(t, testLab), WithEphemeralPorts())
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.SetFaults("PLAIN1", Faults{Hang: true}); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, srv, "PLAIN1", trNTLM, false, domUser, domPass, "PT600S")
	done := make(chan struct{})
	go func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _, _, _ = c.RunCmdWithContext(ctx, "hostname")
	}()
	for countCalls(srv, "PLAIN1", func(c Call) bool { return c.Action == "Command" }) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // let the Receive arrive
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(20 * time.Second):
		t.Fatal("Close blocked on a long poll")
	}
	<-done
	if srv.OpenShells("PLAIN1") != 0 {
		t.Error("shells survive Close")
	}
	srv.Close() // idempotent
}

func TestNewServerErrors(t *testing.T) {
	if _, err := NewServer(nil); err == nil {
		t.Error("nil lab accepted")
	}
	bad := &Lab{Hosts: []*Host{{Name: "X", Address: "192.0.2.1", OS: OS{Build: 1}}}}
	var le *LabError
	if _, err := NewServer(bad); !errors.As(err, &le) || !strings.Contains(err.Error(), "outside 127.0.0.0/8") {
		t.Errorf("err = %v", err)
	}
}

// TestCallsRecordRoundTrips: the call log tells which connection and auth
// step every request used, bounded by WithMaxCalls.
func TestCallsRecordRoundTrips(t *testing.T) {
	srv := startLab(t, newLab(t, testLab), WithMaxCalls(40))
	c := newClient(t, srv, "SECURE1", trEncryption, false, domUser, domPass, "")
	if _, _, _, err := run(t, c, "hostname"); err != nil {
		t.Fatal(err)
	}
	calls := srv.CallsFor("SECURE1")
	// Per message: blank POST 401, NEGOTIATE 401, AUTHENTICATE 200, sealed message.
	var steps []string
	for _, call := range calls[:4] {
		steps = append(steps, fmt.Sprintf("%s/%d", call.Auth, call.Status))
	}
	want := []string{"anonymous/401", "ntlm-negotiate/401", "ntlm-authenticate/200", "connection/200"}
	if !slices.Equal(steps, want) {
		t.Errorf("steps %v, want %v", steps, want)
	}
	if calls[1].ConnID != calls[2].ConnID || calls[2].ConnID != calls[3].ConnID || calls[0].ConnID == calls[1].ConnID {
		t.Errorf("connection ids %d %d %d %d: the handshake and message share one connection, after the anonymous one closed",
			calls[0].ConnID, calls[1].ConnID, calls[2].ConnID, calls[3].ConnID)
	}
	if !calls[3].Sealed || calls[3].Action != "Create" || calls[3].User != `LAB\scanner` {
		t.Errorf("message call %+v", calls[3])
	}
	for i := 0; i < 5; i++ {
		if _, _, _, err := run(t, c, "hostname"); err != nil {
			t.Fatal(err)
		}
	}
	all := srv.Calls()
	if len(all) > 40 {
		t.Errorf("%d calls kept, limit 40", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].Seq <= all[i-1].Seq {
			t.Fatal("calls out of order")
		}
	}
}

// TestRun: what `ntlmscan simulate` prints, and that it serves until ctx ends.
func TestRun(t *testing.T) {
	lab := newLab(t, `
hosts:
  - {name: B1, address: 127.0.0.1, os: {build: 20348}, winrm: {https: true}}
  - {name: A1, address: 127.0.0.2, os: {build: 20348}}
  - {name: C1, address: 127.0.0.3, winrm: {http: false}}
`)
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	var started *Server
	go func() {
		errc <- Run(ctx, lab, pw, WithEphemeralPorts(), WithStarted(func(s *Server) error { started = s; return nil }))
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if sc.Text() == "ready" {
			break
		}
	}
	if len(lines) != 4 || lines[3] != "ready" {
		t.Fatalf("output %q", lines)
	}
	if ep, ok := started.Host("A1"); !ok || !strings.HasPrefix(lines[0], "A1 "+ep.HTTPURL) {
		t.Errorf("WithStarted was not given the running server (A1 at %q)", ep.HTTPURL)
	}
	re := regexp.MustCompile(`^A1 http://` + regexp.QuoteMeta(lab.Hosts[1].Address) + `:\d+/wsman$`)
	if !re.MatchString(lines[0]) || !strings.HasPrefix(lines[1], "B1 http://") || !strings.Contains(lines[1], " https://") || lines[2] != "C1 (no WinRM listener)" {
		t.Errorf("output %q", lines)
	}
	url := strings.Fields(lines[0])[1]
	resp, err := http.Post(url, soapContentType, nil)
	if err != nil {
		t.Fatalf("server not serving: %v", err)
	}
	resp.Body.Close()
	cancel()
	go io.Copy(io.Discard, pr)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if _, err := http.Post(url, soapContentType, nil); err == nil {
		t.Error("still serving after ctx ended")
	}

	// An error from WithStarted ends Run before anything is announced.
	var out strings.Builder
	boom := errors.New("cannot write the CA")
	if err := Run(context.Background(), lab, &out, WithEphemeralPorts(), WithStarted(func(*Server) error { return boom })); !errors.Is(err, boom) || out.Len() != 0 {
		t.Errorf("Run = %v with output %q, want %v and nothing written", err, out.String(), boom)
	}
}
