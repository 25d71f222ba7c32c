package winrm_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	mzwinrm "github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"

	"github.com/ntlmscan/ntlmscan/scanner/collect"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
	"github.com/ntlmscan/ntlmscan/scanner/winrm"
)

// collectorStdin is the collector's stdin for a request probing n targets.
func collectorStdin(t testing.TB, n int) []byte {
	t.Helper()
	req := facts.Request{Schema: facts.SchemaVersion}
	for i := range n {
		req.Probes = append(req.Probes, facts.Probe{Target: fmt.Sprintf("agent%04d.corp.example", i), Ports: []int{445, 8006}})
	}
	stdin, err := collect.Stdin(req)
	if err != nil {
		t.Fatal(err)
	}
	return stdin
}

// TestCollectorPipeModeOneConnection: the collector runs with its stdin in
// pipe mode (WINRS_CONSOLEMODE_STDIN=FALSE) in a shell created with
// WINRS_NOPROFILE=TRUE, on one connection with one handshake, stdin and its
// end in one Send, no Send while a Receive is pending, and the protocol
// minimum of round trips: NEGOTIATE, AUTHENTICATE, Create, Command, Send,
// Receive, Delete.
func TestCollectorPipeModeOneConnection(t *testing.T) {
	srv := startLab(t)
	sess := newSession(t, context.Background(), endpoint(t, srv, "PLAIN", false), winrm.NewNTLM(domainUser, domainPass), 5*time.Second)
	srv.ResetCalls()
	out, err := sess.Run(context.Background(), collect.CommandLine(), collectorStdin(t, 2), 4<<20)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out.Stdout), facts.EndMarker) {
		t.Fatalf("collector output incomplete: %q", out.Stdout)
	}
	calls := srv.CallsFor("PLAIN")
	var actions []string
	conns := map[uint64]bool{}
	for _, c := range calls {
		conns[c.ConnID] = true
		a := c.Action
		if a == "" {
			a = string(c.Auth)
		}
		actions = append(actions, a)
		switch c.Action {
		case "Create":
			if got := c.Options["WINRS_NOPROFILE"]; got != "TRUE" {
				t.Errorf("Create WINRS_NOPROFILE = %q, want TRUE", got)
			}
		case "Command":
			if got := c.Options["WINRS_CONSOLEMODE_STDIN"]; got != "FALSE" {
				t.Errorf("Command WINRS_CONSOLEMODE_STDIN = %q, want FALSE (pipe mode)", got)
			}
		}
	}
	want := "ntlm-negotiate ntlm-authenticate Create Command Send Receive Delete"
	if got := strings.Join(actions, " "); got != want {
		t.Errorf("round trips:\n got %s\nwant %s", got, want)
	}
	if len(conns) != 1 {
		t.Errorf("%d connections, want 1", len(conns))
	}
	for i := 1; i < len(calls); i++ {
		if calls[i].Time.Before(calls[i-1].Time.Add(calls[i-1].Duration)) {
			t.Errorf("%s started while %s was pending", calls[i].Action, calls[i-1].Action)
		}
	}
	if st := sess.Transport().Stats(); st.RoundTrips != 7 || st.Dials != 1 || st.Handshakes != 1 {
		t.Errorf("stats %+v, want 7 round trips, 1 dial, 1 handshake", st)
	}
}

// TestConsoleModeStdinNeverEnds: the simulator fails like Windows when a
// client sends a script that reads $input its stdin in console mode
// (masterzen's hardcoded WINRS_CONSOLEMODE_STDIN=TRUE): End="true" does not
// end console input, the collector never finishes, and the client waits
// until it gives up.
func TestConsoleModeStdinNeverEnds(t *testing.T) {
	srv := startLab(t)
	sess := newSession(t, context.Background(), endpoint(t, srv, "PLAIN", false), winrm.NewNTLM(domainUser, domainPass), time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var out strings.Builder
	_, err := sess.Client().RunWithContextWithInput(ctx, collect.CommandLine(), &out, io.Discard, strings.NewReader(string(collectorStdin(t, 2))))
	if strings.Contains(out.String(), facts.EndMarker) {
		t.Fatal("the collector finished with console-mode stdin; Windows never ends $input in console mode")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("want the client's deadline, got %v", err)
	}
	sawTimedOut := false
	for _, c := range srv.CallsFor("PLAIN") {
		if c.Action == "Command" && c.Options["WINRS_CONSOLEMODE_STDIN"] != "TRUE" {
			t.Fatalf("masterzen sent WINRS_CONSOLEMODE_STDIN=%q; this test needs TRUE", c.Options["WINRS_CONSOLEMODE_STDIN"])
		}
		if c.Action == "Receive" && c.Fault == "2150858793" {
			sawTimedOut = true
		}
	}
	if !sawTimedOut {
		t.Error("no Receive timed out: the command must wait for input that never ends")
	}
}

// TestStdinWithinHostEnvelope: a request with 1,500 targets does not fit one
// envelope; every Send stays within the host's MaxEnvelopeSizekb (the
// simulator refuses larger requests with HTTP 413, as Windows does), on a
// 150 KB host (Windows 2008 R2's default) at once, and on a 32 KB host
// after the host refused the first, larger Send.
func TestStdinWithinHostEnvelope(t *testing.T) {
	srv := startLab(t)
	stdin := collectorStdin(t, 1500)
	if len(stdin)*4/3 < winrm.DefaultEnvelopeSize {
		t.Fatalf("stdin of %d bytes fits one envelope; the test needs more", len(stdin))
	}
	for _, tc := range []struct {
		host       string
		kb         int
		wantRefuse bool
	}{{"ENV150", 150, false}, {"ENV32", 32, true}} {
		t.Run(tc.host, func(t *testing.T) {
			srv.ResetCalls()
			sess := newSession(t, context.Background(), endpoint(t, srv, tc.host, false), winrm.NewNTLM(domainUser, domainPass), 5*time.Second)
			out, err := sess.Run(context.Background(), collect.CommandLine(), stdin, 16<<20)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(out.Stdout), facts.EndMarker) {
				t.Fatalf("collector output incomplete (stderr %q)", out.Stderr)
			}
			sends, refused := 0, 0
			for _, c := range srv.CallsFor(tc.host) {
				if c.RequestBytes > tc.kb*1024 {
					if c.Status != 413 {
						t.Errorf("a request of %d bytes over the host's %d KB was answered %d", c.RequestBytes, tc.kb, c.Status)
					}
					refused++
					continue
				}
				if c.Action == "Send" && c.Status == 200 {
					sends++
				}
			}
			if sends < 2 {
				t.Errorf("%d Sends for %d bytes of stdin", sends, len(stdin))
			}
			if (refused > 0) != tc.wantRefuse {
				t.Errorf("%d requests refused as too large", refused)
			}
		})
	}
}

// TestEmptyReceiveBackoff: a host that answers Receive at once with neither
// output nor Done is polled with growing pauses, not in a tight loop.
func TestEmptyReceiveBackoff(t *testing.T) {
	srv := startLab(t)
	sess := newSession(t, context.Background(), endpoint(t, srv, "SPIN", false), winrm.NewNTLM(domainUser, domainPass), 5*time.Second)
	srv.ResetCalls()
	out, err := sess.Run(context.Background(), "echo spun", nil, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out.Stdout)); got != "spun" {
		t.Fatalf("stdout %q", got)
	}
	receives := 0
	for _, c := range srv.CallsFor("SPIN") {
		if c.Action == "Receive" {
			receives++
		}
	}
	// 700 ms of empty answers: 50+100+200+400 ms of pauses, so about 5
	// Receives; a tight loop sends hundreds.
	if receives > 10 || sess.EmptyReceives == 0 {
		t.Errorf("%d Receives (%d empty) for a 700 ms command: the client spins", receives, sess.EmptyReceives)
	}
}

// BenchmarkCollectorRun runs the collector once per op on one host of the
// in-process simulator (client and simulator share the process: allocs/op
// are both sides; `go run ./cmd/ntlmscan-bench` measures the client alone):
//
//	go test -run '^$' -bench CollectorRun -benchmem ./scanner/winrm/
func BenchmarkCollectorRun(b *testing.B) {
	srv := startLab(b)
	stdin := collectorStdin(b, 250)
	ctx := context.Background()
	rt := 0
	b.ReportAllocs()
	for b.Loop() {
		sess, err := winrm.NewSession(ctx, endpoint(b, srv, "PLAIN", false), winrm.Config{Auth: winrm.NewNTLM(domainUser, domainPass)}, 5*time.Second)
		if err != nil {
			b.Fatal(err)
		}
		out, err := sess.Run(ctx, collect.CommandLine(), stdin, 4<<20)
		if err != nil || !strings.Contains(string(out.Stdout), facts.EndMarker) {
			b.Fatalf("collector: %v", err)
		}
		rt += sess.Transport().Stats().RoundTrips
		_ = sess.Close()
	}
	b.ReportMetric(float64(rt)/float64(b.N), "roundtrips/op")
}

// TestHostConfigEnvelopeSize: the simulator tells its MaxEnvelopeSizekb
// the way Windows does, in the cfg:Config a WS-Transfer Get of the WinRM
// configuration returns (pypsrp reads it there).
func TestHostConfigEnvelopeSize(t *testing.T) {
	srv := startLab(t)
	for host, want := range map[string]string{"ENV150": "150", "ENV32": "32", "PLAIN": "500"} {
		ep := endpoint(t, srv, host, false)
		tr := winrm.NewTransport(context.Background(), winrm.Config{Auth: winrm.NewNTLM(domainUser, domainPass)})
		if err := tr.Transport(&mzwinrm.Endpoint{Host: ep.Host, Port: ep.Port}); err != nil {
			t.Fatal(err)
		}
		m := soap.NewMessage()
		m.Header().To(tr.URL()).ReplyTo("http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous").
			MaxEnvelopeSize(winrm.DefaultEnvelopeSize).Id("uuid:0f3c1a9e-6b3e-4c55-8a57-31d0b1f4a001").Locale("en-US").Timeout("PT20S").
			Action("http://schemas.xmlsoap.org/ws/2004/09/transfer/Get").ResourceURI("http://schemas.microsoft.com/wbem/wsman/1/config").Build()
		m.NewBody()
		body, err := tr.Post(nil, m)
		_ = tr.Close()
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		if !strings.Contains(body, "<cfg:MaxEnvelopeSizekb>"+want+"</cfg:MaxEnvelopeSizekb>") {
			t.Errorf("%s: config %.400s", host, body)
		}
	}
}
