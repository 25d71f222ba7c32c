// Package mitkdc starts a real MIT krb5 KDC for tests: a throw-away realm
// in a temporary directory, listening on a loopback port, with principals
// and keytabs made by kadmin.local. It keeps the scanner's Kerberos client
// and the simulator's acceptor honest against the reference implementation.
//
// Tests skip when the Debian packages (krb5-kdc, krb5-admin-server,
// krb5-user) are absent, and fail instead under
// NTLMSCAN_REQUIRE_INTEGRATION=1.
package mitkdc

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Binaries the KDC needs (Debian paths).
var (
	KDB5Util    = "/usr/sbin/kdb5_util"
	KadminLocal = "/usr/sbin/kadmin.local"
	KRB5KDC     = "/usr/sbin/krb5kdc"
	Kinit       = "/usr/bin/kinit"
)

// KDC is one running realm.
type KDC struct {
	Realm    string
	Dir      string
	Addr     string // 127.0.0.1:port (TCP and UDP)
	Krb5Conf string // path of the generated krb5.conf
	env      []string
	t        testing.TB
}

// Require skips or fails the test when the MIT binaries are missing.
func Require(t testing.TB) {
	t.Helper()
	for _, b := range []string{KDB5Util, KadminLocal, KRB5KDC, Kinit} {
		if _, err := os.Stat(b); err != nil {
			if os.Getenv("NTLMSCAN_REQUIRE_INTEGRATION") == "1" {
				t.Fatalf("MIT Kerberos (%s) is required (NTLMSCAN_REQUIRE_INTEGRATION=1) but missing: install krb5-kdc krb5-admin-server krb5-user", b)
			}
			t.Skipf("MIT Kerberos %s missing; install krb5-kdc krb5-admin-server krb5-user (or set NTLMSCAN_REQUIRE_INTEGRATION=1 to fail)", b)
		}
	}
}

// Start creates realm (upper case) and runs krb5kdc until the test ends.
func Start(t testing.TB, realm string) *KDC {
	t.Helper()
	Require(t)
	dir := t.TempDir()
	port := freePort(t)
	k := &KDC{Realm: realm, Dir: dir, Addr: "127.0.0.1:" + strconv.Itoa(port), Krb5Conf: filepath.Join(dir, "krb5.conf"), t: t}
	kdcConf := filepath.Join(dir, "kdc.conf")
	write(t, kdcConf, fmt.Sprintf(`[kdcdefaults]
 kdc_listen = 127.0.0.1:%[1]d
 kdc_tcp_listen = 127.0.0.1:%[1]d
[realms]
 %[2]s = {
  database_name = %[3]s/principal
  key_stash_file = %[3]s/stash
  acl_file = %[3]s/kadm5.acl
  supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
  max_life = 10h
  max_renewable_life = 1d
 }
[logging]
 kdc = FILE:%[3]s/kdc.log
 admin_server = FILE:%[3]s/kadmin.log
`, port, realm, dir))
	write(t, filepath.Join(dir, "kadm5.acl"), "")
	write(t, k.Krb5Conf, k.Conf())
	k.env = append(os.Environ(), "KRB5_CONFIG="+k.Krb5Conf, "KRB5_KDC_PROFILE="+kdcConf, "KRB5CCNAME=FILE:"+filepath.Join(dir, "default.cc"))
	k.run(KDB5Util, "-r", realm, "-P", "master-"+strconv.Itoa(port), "create", "-s")

	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, KRB5KDC, "-n", "-r", realm)
	cmd.Env = k.env
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("krb5kdc: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", k.Addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "kdc.log"))
			t.Fatalf("krb5kdc did not listen on %s: %v\n%s", k.Addr, err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return k
}

// Conf is the krb5.conf text for clients of this realm (TCP only, AES).
func (k *KDC) Conf() string {
	d := strings.ToLower(k.Realm)
	return fmt.Sprintf(`[libdefaults]
 default_realm = %[1]s
 dns_lookup_kdc = false
 dns_lookup_realm = false
 rdns = false
 udp_preference_limit = 1
 default_tkt_enctypes = aes256-cts-hmac-sha1-96
 default_tgs_enctypes = aes256-cts-hmac-sha1-96
 permitted_enctypes = aes256-cts-hmac-sha1-96
[realms]
 %[1]s = {
  kdc = %[2]s
 }
[domain_realm]
 .%[3]s = %[1]s
 %[3]s = %[1]s
`, k.Realm, k.Addr, d)
}

// Env is the environment for Kerberos tools of this realm.
func (k *KDC) Env() []string { return k.env }

// AddUser adds a principal with a password that requires preauthentication
// (as Active Directory does).
func (k *KDC) AddUser(name, password string) {
	k.t.Helper()
	k.run(KadminLocal, "-r", k.Realm, "-q", "addprinc -pw "+password+" +requires_preauth "+name)
}

// ChangePassword sets a new password (new keys: old keytabs go stale).
func (k *KDC) ChangePassword(name, password string) {
	k.t.Helper()
	k.run(KadminLocal, "-r", k.Realm, "-q", "cpw -pw "+password+" "+name)
}

// AddService adds a service principal with a random key and writes its
// keytab; it returns the keytab's path.
func (k *KDC) AddService(spn string) string {
	k.t.Helper()
	kt := filepath.Join(k.Dir, strings.NewReplacer("/", "_", "@", "_").Replace(spn)+".keytab")
	k.run(KadminLocal, "-r", k.Realm, "-q", "addprinc -randkey "+spn)
	k.run(KadminLocal, "-r", k.Realm, "-q", "ktadd -k "+kt+" "+spn)
	return kt
}

// UserKeytab exports a user's current keys (without changing them).
func (k *KDC) UserKeytab(name string) string {
	k.t.Helper()
	kt := filepath.Join(k.Dir, name+".keytab")
	k.run(KadminLocal, "-r", k.Realm, "-q", "ktadd -k "+kt+" -norandkey "+name)
	return kt
}

// Kinit fills a file credential cache from a keytab, as an admin's kinit
// would; lifetime "" is the default.
func (k *KDC) Kinit(name, keytab, lifetime string) string {
	k.t.Helper()
	cc := filepath.Join(k.Dir, name+"-"+strconv.FormatInt(time.Now().UnixNano(), 36)+".cc")
	args := []string{"-k", "-t", keytab, "-c", "FILE:" + cc}
	if lifetime != "" {
		args = append(args, "-l", lifetime)
	}
	k.run(Kinit, append(args, name)...)
	return cc
}

func (k *KDC) run(bin string, args ...string) {
	k.t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = k.env
	if out, err := cmd.CombinedOutput(); err != nil {
		k.t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, out)
	}
}

func write(t testing.TB, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
