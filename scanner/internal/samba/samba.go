// Package samba starts a real Samba smbd for tests: a standalone server with
// a generated smb.conf in a temporary directory (every state, lock, cache,
// pid and log directory inside it), listening on a loopback address and a
// high port, with one account in its own passdb. It keeps the SMB probe
// honest against a real server, as scanner/internal/mitkdc does for
// Kerberos.
//
// Tests skip when Debian's samba package is absent, and fail instead under
// NTLMSCAN_REQUIRE_INTEGRATION=1.
package samba

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Binaries (Debian paths).
var (
	SMBD      = "/usr/sbin/smbd"
	SMBPasswd = "/usr/bin/smbpasswd"
)

// Server is one running smbd.
type Server struct {
	Addr     string // 127.0.0.x:port
	User     string // the account in its passdb (the Unix user running the tests)
	Password string
	Dir      string
}

// Require skips or fails the test when smbd is missing.
func Require(t testing.TB) {
	t.Helper()
	for _, b := range []string{SMBD, SMBPasswd} {
		if _, err := os.Stat(b); err != nil {
			if os.Getenv("NTLMSCAN_REQUIRE_INTEGRATION") == "1" {
				t.Fatalf("Samba (%s) is required (NTLMSCAN_REQUIRE_INTEGRATION=1) but missing: install samba", b)
			}
			t.Skipf("Samba %s missing; install samba (or set NTLMSCAN_REQUIRE_INTEGRATION=1 to fail)", b)
		}
	}
}

// Start runs smbd on ip (a 127.0.0.0/8 address) with the [global] lines
// extra added to the generated configuration, until the test ends.
func Start(t testing.TB, ip string, extra ...string) *Server {
	t.Helper()
	Require(t)
	u, err := user.Current()
	if err != nil {
		t.Fatalf("current user: %v", err)
	}
	dir := t.TempDir()
	port := freePort(t, ip)
	s := &Server{Addr: net.JoinHostPort(ip, strconv.Itoa(port)), User: u.Username, Password: "Samba-Lab-" + strconv.Itoa(port), Dir: dir}
	for _, d := range []string{"private", "lock", "state", "cache", "pid", "ncalrpc", "log", "share"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(dir, "smb.conf")
	var b strings.Builder
	fmt.Fprintf(&b, `[global]
workgroup = LAB
netbios name = SAMBATEST
server role = standalone server
smb ports = %[1]d
interfaces = %[2]s/8
bind interfaces only = yes
private dir = %[3]s/private
lock directory = %[3]s/lock
state directory = %[3]s/state
cache directory = %[3]s/cache
pid directory = %[3]s/pid
ncalrpc dir = %[3]s/ncalrpc
log file = %[3]s/log/log.%%m
passdb backend = tdbsam:%[3]s/private/passdb.tdb
load printers = no
printing = bsd
printcap name = /dev/null
disable spoolss = yes
disable netbios = yes
`, port, ip, dir)
	for _, l := range extra {
		b.WriteString(l + "\n")
	}
	fmt.Fprintf(&b, "[repo]\npath = %s/share\nread only = no\n", dir)
	if err := os.WriteFile(conf, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(SMBPasswd, "-c", conf, "-s", "-a", s.User)
	cmd.Stdin = strings.NewReader(s.Password + "\n" + s.Password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("smbpasswd -a %s: %v\n%s", s.User, err, out)
	}

	ctx, cancel := context.WithCancel(context.Background())
	logf, err := os.Create(filepath.Join(dir, "smbd.out"))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	// Without --no-process-group smbd starts its own session: when it
	// stops it signals its whole process group (its per-connection
	// children), which then must not include the test.
	srv := exec.CommandContext(ctx, SMBD, "--foreground", "--debug-stdout", "--debuglevel=1", "--configfile="+conf)
	srv.Stdout, srv.Stderr = logf, logf
	// SIGTERM lets smbd stop its per-connection children too; SIGKILL
	// follows after WaitDelay.
	srv.Cancel = func() error { return srv.Process.Signal(syscall.SIGTERM) }
	srv.WaitDelay = 5 * time.Second
	if err := srv.Start(); err != nil {
		cancel()
		logf.Close()
		t.Fatalf("smbd: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = srv.Wait(); close(exited) }()
	t.Cleanup(func() {
		cancel()
		<-exited
		logf.Close()
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-exited:
			out, _ := os.ReadFile(filepath.Join(dir, "smbd.out"))
			t.Fatalf("smbd exited before listening on %s:\n%s", s.Addr, out)
		default:
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(filepath.Join(dir, "smbd.out"))
			t.Fatalf("smbd did not listen on %s: %v\n%s", s.Addr, err, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

// Log returns smbd's output so far (for failure messages).
func (s *Server) Log() string {
	out, _ := os.ReadFile(filepath.Join(s.Dir, "smbd.out"))
	return string(out)
}

func freePort(t testing.TB, ip string) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
