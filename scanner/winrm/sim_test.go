package winrm_test

import (
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mzwinrm "github.com/masterzen/winrm"

	"github.com/ntlmscan/ntlmscan/scanner/winrm"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

const (
	domainUser = `CORP\svc-scan`
	domainPass = "Test-Only-Scan-1!"
	localUser  = `local-admin`
	localPass  = "Test-Only-Local-1!"
)

func startLab(t testing.TB) *winrmtest.Server {
	t.Helper()
	lab, err := winrmtest.LoadLab(filepath.Join("testdata", "lab.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := winrmtest.NewServer(lab, winrmtest.WithEphemeralPorts())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func endpoint(t testing.TB, srv *winrmtest.Server, name string, https bool) winrm.Endpoint {
	t.Helper()
	ep, ok := srv.Host(name)
	if !ok {
		t.Fatalf("no host %s", name)
	}
	if https {
		return winrm.Endpoint{Host: ep.Address, Port: ep.HTTPSPort, HTTPS: true}
	}
	return winrm.Endpoint{Host: ep.Address, Port: ep.HTTPPort}
}

func newSession(t testing.TB, ctx context.Context, ep winrm.Endpoint, auth winrm.Authenticator, op time.Duration) *winrm.Session {
	t.Helper()
	sess, err := winrm.NewSession(ctx, ep, winrm.Config{Auth: auth}, op)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sess.Close() })
	return sess
}

// TestOneHandshakePerConnection: NTLM runs once per TCP connection and every
// SOAP message on it is sealed, with no Authorization header.
func TestOneHandshakePerConnection(t *testing.T) {
	srv := startLab(t)
	ctx := context.Background()
	sess := newSession(t, ctx, endpoint(t, srv, "PLAIN", false), winrm.NewNTLM(domainUser, domainPass), 5*time.Second)
	const commands = 4
	for i := range commands {
		out, err := sess.Run(ctx, "echo ntlmscan", []byte("some stdin\r\n"), 1<<20)
		if err != nil {
			t.Fatalf("command %d: %v", i, err)
		}
		if got := strings.TrimSpace(string(out.Stdout)); got != "ntlmscan" || out.ExitCode != 0 {
			t.Fatalf("command %d: stdout %q exit %d", i, got, out.ExitCode)
		}
	}
	calls := srv.CallsFor("PLAIN")
	negotiates := map[uint64]int{}
	soapConns := map[uint64]bool{}
	for _, c := range calls {
		switch {
		case c.Auth == winrmtest.AuthNTLMNegotiate:
			negotiates[c.ConnID]++
		case c.Action != "":
			soapConns[c.ConnID] = true
			if !c.Sealed || c.Auth != winrmtest.AuthConnection {
				t.Errorf("%s on conn %d: sealed=%v auth=%s", c.Action, c.ConnID, c.Sealed, c.Auth)
			}
		}
		if c.Status == 401 && c.Auth != winrmtest.AuthNTLMNegotiate {
			t.Errorf("unexpected 401: %+v", c)
		}
	}
	for conn := range soapConns {
		if negotiates[conn] != 1 {
			t.Errorf("connection %d had %d handshakes, want 1", conn, negotiates[conn])
		}
	}
	// stdin is sent while a Receive long-polls, so at most two connections.
	if len(soapConns) < 1 || len(soapConns) > 2 {
		t.Errorf("%d connections carried SOAP, want 1 or 2", len(soapConns))
	}
	st := sess.Transport().Stats()
	if st.Handshakes != len(negotiates) || st.RoundTrips != len(calls) {
		t.Errorf("stats %+v, simulator saw %d handshakes and %d requests", st, len(negotiates), len(calls))
	}
	t.Logf("%d commands: %d HTTP round trips, %d handshakes, %d connections", commands, st.RoundTrips, st.Handshakes, st.Dials)
}

// TestReceiveTimeoutLoop: with output later than OperationTimeout the host
// answers Receive with the (sealed) TimedOut fault; masterzen must keep
// polling, which works only if the transport's error says OperationTimeout.
func TestReceiveTimeoutLoop(t *testing.T) {
	srv := startLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sess := newSession(t, ctx, endpoint(t, srv, "SLOW", false), winrm.NewNTLM(domainUser, domainPass), time.Second)
	out, err := sess.Run(ctx, "echo late", nil, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(out.Stdout)) != "late" {
		t.Fatalf("stdout %q", out.Stdout)
	}
	timedOut := 0
	for _, c := range srv.CallsFor("SLOW") {
		if c.Action == "Receive" && c.Fault == winrm.FaultCodeTimedOut {
			timedOut++
		}
	}
	if timedOut == 0 {
		t.Fatal("the host never answered TimedOut: the test did not exercise the loop")
	}
}

// TestHungHostIsBounded: a command that never ends costs the context's
// deadline, no more, and the error says so.
func TestHungHostIsBounded(t *testing.T) {
	srv := startLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	sess := newSession(t, ctx, endpoint(t, srv, "HUNG", false), winrm.NewNTLM(domainUser, domainPass), 700*time.Millisecond)
	done := make(chan error, 1)
	go func() {
		_, err := sess.Run(ctx, "echo never", nil, 1<<20)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("want the deadline, got %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

func TestDroppedConnection(t *testing.T) {
	srv := startLab(t)
	sess := newSession(t, context.Background(), endpoint(t, srv, "DROP", false), winrm.NewNTLM(domainUser, domainPass), 5*time.Second)
	_, err := sess.Run(context.Background(), "echo x", nil, 1<<20)
	var xe *winrm.ExchangeError
	if !errors.As(err, &xe) || !strings.Contains(err.Error(), "EOF") {
		t.Fatalf("want an ExchangeError with EOF, got %T: %v", err, err)
	}
}

func TestQuotaFault(t *testing.T) {
	srv := startLab(t)
	sess := newSession(t, context.Background(), endpoint(t, srv, "QUOTA", false), winrm.NewNTLM(domainUser, domainPass), 5*time.Second)
	_, err := sess.Run(context.Background(), "echo x", nil, 1<<20)
	var f *winrm.FaultError
	if !errors.As(err, &f) || !f.Quota() || f.Action != "Create" {
		t.Fatalf("want a quota fault on Create, got %T: %v", err, err)
	}
}

// TestOutputCap: the cap holds while reading; the command is stopped.
func TestOutputCap(t *testing.T) {
	srv := startLab(t)
	sess := newSession(t, context.Background(), endpoint(t, srv, "NOISY", false), winrm.NewNTLM(domainUser, domainPass), 5*time.Second)
	_, err := sess.Run(context.Background(), "echo x", nil, 256<<10)
	var le *winrm.OutputLimitError
	if !errors.As(err, &le) || le.Limit != 256<<10 {
		t.Fatalf("want OutputLimitError, got %T: %v", err, err)
	}
	var received, signalled int
	for _, c := range srv.CallsFor("NOISY") {
		switch c.Action {
		case "Receive":
			received += c.ResponseBytes
		case "Signal":
			signalled++
		}
	}
	if signalled == 0 {
		t.Error("the command was not stopped (no Signal)")
	}
	if received > 2<<20 {
		t.Errorf("read %d bytes for a 256 KiB cap: the cap did not stop the transfer", received)
	}
}

func TestHTTPS(t *testing.T) {
	srv := startLab(t)
	ep := endpoint(t, srv, "TLS", true)
	trusted := ep
	trusted.CACert = srv.CACertPEM()
	insecure := ep
	insecure.InsecureSkipVerify = true
	tests := []struct {
		name    string
		ep      winrm.Endpoint
		auth    winrm.Authenticator
		wantTLS bool // want a TLS trust failure
	}{
		{"ntlm, CA given", trusted, winrm.NewNTLM(domainUser, domainPass), false},
		{"basic, CA given", trusted, winrm.NewBasic(localUser, localPass), false},
		{"insecure skip verify", insecure, winrm.NewNTLM(domainUser, domainPass), false},
		{"unknown CA", ep, winrm.NewNTLM(domainUser, domainPass), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv.ResetCalls()
			sess := newSession(t, context.Background(), tc.ep, tc.auth, 5*time.Second)
			out, err := sess.Run(context.Background(), "echo tls", nil, 1<<20)
			if tc.wantTLS {
				var ce *winrm.ConnectError
				if !errors.As(err, &ce) || ce.Stage != "tls" {
					t.Fatalf("want a TLS ConnectError, got %T: %v", err, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.TrimSpace(string(out.Stdout)) != "tls" {
				t.Fatalf("stdout %q", out.Stdout)
			}
			for _, c := range srv.CallsFor("TLS") {
				if !c.TLS {
					t.Errorf("request outside TLS: %+v", c)
				}
				if c.Action != "" && c.Sealed {
					t.Errorf("%s sealed inside TLS", c.Action)
				}
			}
		})
	}
}

// TestPlaintextOnlyHost: a host that only takes plaintext (Basic over HTTP,
// AllowUnencrypted) never receives a SOAP message.
func TestPlaintextOnlyHost(t *testing.T) {
	srv := startLab(t)
	for _, auth := range []winrm.Authenticator{winrm.NewNTLM(localUser, localPass), winrm.NewBasic(localUser, localPass)} {
		sess := newSession(t, context.Background(), endpoint(t, srv, "PLAINONLY", false), auth, 5*time.Second)
		_, err := sess.Run(context.Background(), "echo x", nil, 1<<20)
		var (
			ie *winrm.InsecureError
			ae *winrm.AuthError
		)
		switch auth.Method() {
		case "basic":
			if !errors.As(err, &ie) {
				t.Errorf("basic: want InsecureError, got %T: %v", err, err)
			}
		default:
			if !errors.As(err, &ae) || ae.Reason != winrm.AuthMethodNotOffered {
				t.Errorf("ntlm: want method not offered, got %T: %v", err, err)
			}
		}
	}
	for _, c := range srv.CallsFor("PLAINONLY") {
		if c.Action != "" || c.RequestBytes > 0 {
			t.Errorf("a message reached the plaintext-only host: %+v", c)
		}
	}
}

// TestExchangeDeadlineIsURLTimeout: when a Receive outlives the
// transport's response timeout, Post fails with a *url.Error whose Timeout()
// is true: masterzen's Receive loop treats that as "poll again" (and the
// scanner as a timeout), exactly like its own http.Client would.
func TestExchangeDeadlineIsURLTimeout(t *testing.T) {
	srv := startLab(t)
	ep := endpoint(t, srv, "HUNG", false)
	tr := winrm.NewTransport(context.Background(), winrm.Config{Auth: winrm.NewNTLM(domainUser, domainPass), ResponseTimeout: 300 * time.Millisecond})
	defer tr.Close()
	if err := tr.Transport(&mzwinrm.Endpoint{Host: ep.Host, Port: ep.Port}); err != nil {
		t.Fatal(err)
	}
	params := mzwinrm.NewParameters("PT30S", "en-US", winrm.DefaultEnvelopeSize)
	body, err := tr.Post(nil, mzwinrm.NewOpenShellRequest(tr.URL(), params))
	if err != nil {
		t.Fatal(err)
	}
	shellID, err := mzwinrm.ParseOpenShellResponse(body)
	if err != nil || shellID == "" {
		t.Fatalf("shell id %q: %v", shellID, err)
	}
	body, err = tr.Post(nil, mzwinrm.NewExecuteCommandRequest(tr.URL(), shellID, "echo x", nil, params))
	if err != nil {
		t.Fatal(err)
	}
	cmdID, err := mzwinrm.ParseExecuteCommandResponse(body)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tr.Post(nil, mzwinrm.NewGetOutputRequest(tr.URL(), shellID, cmdID, "stdout stderr", params))
	var ue *url.Error
	if !errors.As(err, &ue) || !ue.Timeout() {
		t.Fatalf("want a *url.Error timeout, got %T: %v", err, err)
	}
	if strings.Contains(err.Error(), "OperationTimeout") {
		t.Errorf("a client-side deadline must not pretend to be the server's TimedOut fault: %v", err)
	}
}

// TestMalformedXML: a truncated reply to any operation is a ProtocolError
// (never a panic in masterzen's parsers, never silently accepted).
func TestMalformedXML(t *testing.T) {
	srv := startLab(t)
	for _, action := range []string{"Create", "Command", "Receive"} {
		t.Run(action, func(t *testing.T) {
			f, _ := srv.Faults("GARBLED")
			f.MalformedXML = action
			if err := srv.SetFaults("GARBLED", f); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			sess := newSession(t, ctx, endpoint(t, srv, "GARBLED", false), winrm.NewNTLM(domainUser, domainPass), 2*time.Second)
			_, err := sess.Run(ctx, "echo x", nil, 1<<20)
			var pe *winrm.ProtocolError
			if !errors.As(err, &pe) || pe.Action != action {
				t.Fatalf("want a ProtocolError on %s, got %T: %v", action, err, err)
			}
		})
	}
}

// TestRedialAfterIdleClose: the host closes idle keep-alive connections
// (HTTP.sys does after 120s); the next message goes out on a new
// connection with a new handshake, its sequence numbers starting over.
func TestRedialAfterIdleClose(t *testing.T) {
	srv := startLab(t)
	ctx := context.Background()
	sess := newSession(t, ctx, endpoint(t, srv, "IDLE", false), winrm.NewNTLM(domainUser, domainPass), 5*time.Second)
	for i := range 2 {
		if i > 0 {
			time.Sleep(400 * time.Millisecond) // let the host drop the idle connection
		}
		out, err := sess.Run(ctx, "echo again", nil, 1<<20)
		if err != nil || strings.TrimSpace(string(out.Stdout)) != "again" {
			t.Fatalf("command %d: %v", i, err)
		}
	}
	negotiates := map[uint64]int{}
	for _, c := range srv.CallsFor("IDLE") {
		if c.Auth == winrmtest.AuthNTLMNegotiate {
			negotiates[c.ConnID]++
		}
		if c.Status == 401 && c.Auth != winrmtest.AuthNTLMNegotiate {
			t.Errorf("a message hit a closed context: %+v", c)
		}
	}
	if len(negotiates) < 2 {
		t.Fatalf("handshakes per connection %v: the second command should have needed a new connection", negotiates)
	}
	for conn, n := range negotiates {
		if n != 1 {
			t.Errorf("connection %d: %d handshakes", conn, n)
		}
	}
}
