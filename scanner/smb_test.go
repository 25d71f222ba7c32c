package scanner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
	"github.com/ntlmscan/ntlmscan/scanner/internal/samba"
)

// smbInventory has a Core that is not reachable (WinRM fails fast) and one
// described share host whose SMB service is the given server.
func smbInventory(t *testing.T, addr string, accounts ...string) *inventory.Inventory {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	var repos, creds strings.Builder
	for i, a := range accounts {
		fmt.Fprintf(&repos, "      Repo%d:\n        unc: \\\\sambatest\\repo%d\n        account: %s\n", i, i, a)
		fmt.Fprintf(&creds, "  c%d:\n    username: %s\n    password_env: NTLMSCAN_TEST_UNUSED_%d\n", i, a, i)
	}
	file := `defaults:
  workgroup: LAB
  winrm: {credential: scan, timeout: 5s}
credentials:
  scan:
    username: CORE01\scan
    password_env: NTLMSCAN_TEST_UNUSED
` + creds.String() + `cores:
  CORE01:
    address: 127.0.0.254
    account: CORE01\rr
    repositories:
` + repos.String() + `repository_hosts:
  SAMBATEST:
    address: ` + host + `
    smb_port: ` + port + `
    workgroup: LAB
    described: {platform: samba}
`
	inv, err := inventory.Parse([]byte(file), "smb.yaml")
	if err != nil {
		t.Fatalf("%v\n%s", err, file)
	}
	return inv
}

// TestSMBProbeSamba scans an inventory whose share host is a real Samba:
// the probe's facts land on the described host's result, each repository
// account is tried once, and nothing is probed without the option.
func TestSMBProbeSamba(t *testing.T) {
	s := samba.Start(t, "127.0.0.1", "server signing = mandatory")
	account := `SAMBATEST\` + s.User
	inv := smbInventory(t, s.Addr, account, `SAMBATEST\nobody-here`)
	passwords := func(c *inventory.Credential) (string, error) {
		if c.Username == account {
			return s.Password, nil
		}
		if c.Name == "scan" {
			return "unused", nil
		}
		return "", errors.New("NTLMSCAN_TEST_UNUSED_1 is not set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res := Run(ctx, inv, Options{Password: passwords, Retries: -1, HostTimeout: 10 * time.Second, SMBProbe: true, SMBAuth: true})
	var got *facts.SMBProbe
	for _, r := range res {
		if r.Host == "SAMBATEST" {
			got = r.SMB
			if r.Error == nil || r.Error.Class != facts.ErrNotScanned {
				t.Errorf("described host: error %+v", r.Error)
			}
		} else if r.SMB != nil {
			t.Errorf("%s (not a repository host) was probed", r.Host)
		}
	}
	if got == nil || !got.Answered() {
		t.Fatalf("no SMB facts: %+v", got)
	}
	if got.Vantage != facts.VantageController || got.Target != s.Addr || got.Dialect != "3.1.1" || !got.SigningRequired || !got.OnlyNTLM() {
		t.Errorf("facts %+v", got)
	}
	if a := got.AuthFor(account); a == nil || a.Outcome != facts.SMBAuthAccepted {
		t.Errorf("auth for %s: %+v (all: %+v)", account, a, got.Auth)
	}
	if a := got.AuthFor(`SAMBATEST\nobody-here`); a == nil || a.Outcome != facts.SMBAuthNotAttempted || !strings.Contains(a.Message, "NTLMSCAN_TEST_UNUSED_1") {
		t.Errorf("auth without a password: %+v", a)
	}

	if b, _ := json.Marshal(res); strings.Contains(string(b), s.Password) {
		t.Error("the results carry the share account's password")
	}

	res = Run(ctx, inv, Options{Password: passwords, Retries: -1, HostTimeout: 10 * time.Second})
	for _, r := range res {
		if r.SMB != nil {
			t.Errorf("%s probed without SMBProbe", r.Host)
		}
	}
}

// TestSMBProbeUnreachable: a share host with nothing on its SMB port is a
// probe error in the facts, within the host timeout, never a failed scan.
func TestSMBProbeUnreachable(t *testing.T) {
	inv := smbInventory(t, "127.0.0.1:1", `SAMBATEST\x`)
	start := time.Now()
	res := Run(context.Background(), inv, Options{Password: func(*inventory.Credential) (string, error) { return "p", nil },
		Retries: -1, HostTimeout: 3 * time.Second, SMBProbe: true, SMBAuth: true})
	if time.Since(start) > 10*time.Second {
		t.Errorf("scan took %v", time.Since(start))
	}
	p := res[1].SMB
	if p == nil || p.Answered() || !strings.Contains(p.Error, "127.0.0.1:1") {
		t.Fatalf("facts %+v", p)
	}
	if a := p.AuthFor(`SAMBATEST\x`); a == nil || a.Outcome != facts.SMBAuthNotAttempted {
		t.Errorf("auth %+v", a)
	}
}

// TestSMBAuthOncePerAccount: two repositories on one host with the same
// account (written in another case) cost one logon, on one connection; a
// second run may try again.
func TestSMBAuthOncePerAccount(t *testing.T) {
	s := samba.Start(t, "127.0.0.1")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var conns atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer c.Close()
				up, err := net.Dial("tcp", s.Addr)
				if err != nil {
					return
				}
				defer up.Close()
				go func() { _, _ = io.Copy(up, c); up.Close() }()
				_, _ = io.Copy(c, up)
			}()
		}
	}()
	account := `SAMBATEST\` + s.User
	inv := smbInventory(t, l.Addr().String(), account, strings.ToUpper(account))
	opts := Options{Password: func(c *inventory.Credential) (string, error) { return s.Password, nil },
		Retries: -1, HostTimeout: 10 * time.Second, SMBAuth: true, SMBProbe: true}
	for run := 1; run <= 2; run++ {
		conns.Store(0)
		res := Run(context.Background(), inv, opts)
		p := res[1].SMB
		if p == nil || len(p.Auth) != 1 || p.Auth[0].Outcome != facts.SMBAuthAccepted {
			t.Fatalf("run %d: auth %+v", run, p)
		}
		if n := conns.Load(); n != 1 {
			t.Errorf("run %d: %d connections to the share host, want 1", run, n)
		}
	}
}
