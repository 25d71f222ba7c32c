package scanner

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

// generatedLab is n domain members on 127.0.<net>.1..n, built in code.
func generatedLab(n, net int, password string, faults winrmtest.Faults) *winrmtest.Lab {
	lab := &winrmtest.Lab{Domains: []*winrmtest.Domain{{Name: "corp.example", NetBIOS: "CORP",
		Users: []winrmtest.User{{Name: "svc-scan", Password: password}}}}}
	for i := 1; i <= n; i++ {
		lab.Hosts = append(lab.Hosts, &winrmtest.Host{
			Name: fmt.Sprintf("H%03d", i), Address: fmt.Sprintf("127.0.%d.%d", net, i), Domain: "corp.example",
			OS:     winrmtest.OS{Caption: "Windows Server 2022 Standard", Build: 20348},
			Faults: faults,
		})
	}
	return lab
}

func names(srv *winrmtest.Server) []string {
	var out []string
	for _, ep := range srv.Hosts() {
		out = append(out, ep.Name)
	}
	return out
}

// waitNoConnections polls the simulator until no host has a TCP connection
// open (it notices closes asynchronously).
func waitNoConnections(t *testing.T, srv *winrmtest.Server) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		open := 0
		for _, ep := range srv.Hosts() {
			open += srv.OpenConnections(ep.Name)
		}
		if open == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still open after the scan", open)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestHundredHosts: 100 hosts at concurrency 16 all succeed, and the scan
// leaves no connection open and no goroutine behind.
func TestHundredHosts(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	srv, err := winrmtest.NewServer(generatedLab(100, 6, domainPass, winrmtest.Faults{RemoteRuntime: 10 * time.Millisecond}), winrmtest.WithEphemeralPorts())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	f := newFleet(t, srv, names(srv)...)
	var (
		mu      sync.Mutex
		running int
		dones   []int
	)
	res := Run(context.Background(), f.inv, Options{Password: labPasswords, Concurrency: 16,
		Progress: func(done, total int, r *facts.HostResult) {
			mu.Lock()
			defer mu.Unlock()
			dones = append(dones, done)
			if total != 100 {
				t.Errorf("total %d", total)
			}
			_ = running
		}})
	ok := 0
	for _, r := range res {
		if r.OK() {
			ok++
		} else {
			t.Errorf("%s: %+v", r.Host, r.Error)
		}
	}
	if ok != 100 || len(dones) != 100 || dones[99] != 100 {
		t.Fatalf("%d of 100 hosts collected, %d progress calls", ok, len(dones))
	}
	// Concurrency: at most 16 hosts' shells open at once.
	maxOpen, open := 0, 0
	for _, c := range srv.Calls() {
		switch c.Action {
		case "Create":
			open++
		case "Delete":
			open--
		}
		maxOpen = max(maxOpen, open)
	}
	if maxOpen > 16 {
		t.Errorf("%d shells open at once with concurrency 16", maxOpen)
	}
	waitNoConnections(t, srv)
	srv.Close()
	goleak.VerifyNone(t, leaks)
}

// TestCancelKeepsResults: Ctrl-C mid-scan stops new work, keeps every result
// gathered, and marks the rest canceled.
func TestCancelKeepsResults(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	srv, err := winrmtest.NewServer(generatedLab(24, 7, domainPass, winrmtest.Faults{RemoteRuntime: 300 * time.Millisecond}), winrmtest.WithEphemeralPorts())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	f := newFleet(t, srv, names(srv)...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var seen []string
	res := Run(ctx, f.inv, Options{Password: labPasswords, Concurrency: 4,
		Progress: func(done, _ int, r *facts.HostResult) {
			if r.OK() {
				seen = append(seen, r.Host)
			}
			if done == 6 {
				cancel() // the user presses Ctrl-C
			}
		}})
	if len(res) != 24 {
		t.Fatalf("%d results", len(res))
	}
	kept, canceled, notStarted := 0, 0, 0
	for _, r := range res {
		switch {
		case r.OK():
			kept++
		case r.Error != nil && r.Error.Class == facts.ErrCanceled:
			canceled++
			if strings.HasPrefix(r.Error.Message, "not scanned") {
				notStarted++
				if r.Attempts != 0 {
					t.Errorf("%s was never started but has %d attempts", r.Host, r.Attempts)
				}
			}
		default:
			t.Errorf("%s: %+v", r.Host, r.Error)
		}
	}
	for _, name := range seen {
		if r := resultFor(t, res, name); !r.OK() {
			t.Errorf("%s was collected before the cancel but lost its facts", name)
		}
	}
	if kept < 6 || kept > 10 || notStarted == 0 || kept+canceled != 24 {
		t.Fatalf("kept %d, canceled %d (not started %d)", kept, canceled, notStarted)
	}
	waitNoConnections(t, srv)
	srv.Close()
	goleak.VerifyNone(t, leaks)
}

// TestScanDeadline: hosts in progress when the deadline passes end as
// timeouts, hosts never started as canceled.
func TestScanDeadline(t *testing.T) {
	srv, err := winrmtest.NewServer(generatedLab(6, 8, domainPass, winrmtest.Faults{Hang: true}), winrmtest.WithEphemeralPorts())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	f := newFleet(t, srv, names(srv)...)
	res := Run(context.Background(), f.inv, Options{Password: labPasswords, Concurrency: 2, Deadline: 1500 * time.Millisecond, OperationTimeout: time.Second})
	classes := map[facts.ErrorClass]int{}
	for _, r := range res {
		if r.Error == nil {
			t.Fatalf("%s: facts from a hung host", r.Host)
		}
		classes[r.Error.Class]++
	}
	if classes[facts.ErrTimeout] != 2 || classes[facts.ErrCanceled] != 4 {
		t.Fatalf("classes %v: want 2 timeouts (in progress) and 4 canceled (never started)", classes)
	}
}

// TestSecretsNeverLeak: with every log level on and failing hosts in the
// scan, no password (nor its Basic or base64 form) appears in logs, errors
// or the JSON results.
func TestSecretsNeverLeak(t *testing.T) {
	const (
		secret      = "Sup3r-Secret-Lab-Passw0rd!"
		wrongSecret = "An0ther-Secret-Wrong-Value!"
		localSecret = "L0cal-Secret-Basic-Value!"
	)
	lab := generatedLab(3, 9, secret, winrmtest.Faults{})
	lab.Hosts[1].Faults = winrmtest.Faults{ScriptFailure: "boom", CLIXMLErrors: true}
	lab.Hosts = append(lab.Hosts, &winrmtest.Host{Name: "TLSB", Address: "127.0.9.20", Workgroup: "WORKGROUP",
		OS:    winrmtest.OS{Caption: "Windows Server 2022 Standard", Build: 20348},
		Users: []winrmtest.User{{Name: "admin", Password: localSecret}},
		WinRM: winrmtest.WinRM{HTTPS: true, Basic: true}})
	srv := startLabValue(t, lab)
	f := newFleet(t, srv, "H001", "H002", "H003", "TLSB")
	wrong := &inventory.Credential{Name: "wrong", Username: `CORP\svc-scan`, PasswordFile: writeFile(t, "pw", wrongSecret+"\n")}
	f.host("H003").WinRM.Credential = wrong
	basic := &inventory.Credential{Name: "basic", Username: "admin", PasswordEnv: "NTLMSCAN_TEST_BASIC_SECRET"}
	t.Setenv("NTLMSCAN_TEST_BASIC_SECRET", localSecret)
	t.Setenv(passwordEnvD, secret)
	tlsEP, _ := srv.Host("TLSB")
	tb := f.host("TLSB")
	tb.WinRM = inventory.WinRM{Transport: inventory.TransportBasic, HTTPS: true, Port: tlsEP.HTTPSPort, InsecureSkipVerify: true, Credential: basic, Timeout: 10 * time.Second}

	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	res := Run(context.Background(), f.inv, Options{Logger: logger}) // default resolver: env and file
	out, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var errs strings.Builder
	for _, r := range res {
		if r.Error != nil {
			errs.WriteString(r.Error.Error() + "\n")
		}
	}
	if h1, tb := resultFor(t, res, "H001"), resultFor(t, res, "TLSB"); !h1.OK() || !tb.OK() {
		t.Fatalf("scan did not work: %s", errs.String())
	}
	if e := resultFor(t, res, "H003").Error; e == nil || e.Class != facts.ErrAuthNTLMPolicy && e.Class != facts.ErrAuthCredentials {
		t.Fatalf("H003 with a wrong password: %+v", e)
	}
	if !strings.Contains(logs.String(), "TLS certificate verification is DISABLED") {
		t.Error("InsecureSkipVerify was not logged as a warning")
	}
	all := logs.String() + errs.String() + string(out)
	for _, s := range []string{secret, wrongSecret, localSecret} {
		for _, form := range []string{s, base64.StdEncoding.EncodeToString([]byte(s)),
			base64.StdEncoding.EncodeToString([]byte("admin:" + s)), strings.ToLower(s)} {
			if strings.Contains(all, form) {
				t.Errorf("secret leaked in form %q", form)
			}
		}
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
