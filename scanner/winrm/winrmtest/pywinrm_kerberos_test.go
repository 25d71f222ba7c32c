package winrmtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/scanner/internal/mitkdc"
)

// TestPywinrmKerberos: pywinrm (Debian 0.3.0) with MIT GSSAPI and a ticket
// from a real MIT KDC scans a Kerberos-only simulated host with message
// encryption: the simulator's acceptor, AP-REP and RFC 4121 sealing agree
// with MIT's gss_init_sec_context and gss_wrap_iov/gss_unwrap_iov.
func TestPywinrmKerberos(t *testing.T) {
	if out, err := exec.Command(systemPython, "-c", "import winrm, gssapi.raw; gssapi.raw.wrap_iov").CombinedOutput(); err != nil {
		requireIntegration(t, "pywinrm with python3-gssapi ("+systemPython+")", fmtErr(err, out))
	}
	kdc := mitkdc.Start(t, "MIT.TEST")
	kdc.AddUser("svc-scan", "Test-Only-Mit-1!")
	kt := kdc.AddService("HTTP/konly.mit.test")
	cc := kdc.Kinit("svc-scan", kdc.UserKeytab("svc-scan"), "")
	lab, err := ParseLab([]byte(fmt.Sprintf(`
domains:
  - name: mit.test
    netbios: MIT
    users: [{name: svc-scan, password: Test-Only-Mit-1!}]
hosts:
  - name: KONLY
    fqdn: konly.mit.test
    address: 127.0.9.2
    domain: mit.test
    os: {caption: Windows Server 2022 Standard, build: 20348}
    winrm: {kerberosKeytab: %q}
`, kt)), "pywinrm-kerberos.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(lab, WithEphemeralPorts())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	ep, _ := srv.Host("KONLY")

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, systemPython, "testdata/pywinrm_kerberos_run.py", ep.HTTPURL, "konly.mit.test", "hostname", "whoami")
	cmd.Env = append(kdc.Env(), "KRB5CCNAME=FILE:"+cc)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pywinrm failed: %v\n%s", err, stderr.String())
	}
	type result struct {
		Cmd, Stdout, Stderr string
		Status              int
	}
	var got []result
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var r result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("bad line %q: %v", sc.Text(), err)
		}
		got = append(got, r)
	}
	want := []result{{"hostname", "KONLY\r\n", "", 0}, {"whoami", "mit\\svc-scan\r\n", "", 0}}
	if len(got) != len(want) {
		t.Fatalf("got %s", out)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("got %+v, want %+v", got[i], want[i])
		}
	}
	var logons, sealed, plain int
	for _, c := range srv.CallsFor("KONLY") {
		switch {
		case c.Auth == AuthKerberos && c.Status == 200:
			logons++
		case c.Action != "" && c.Sealed:
			sealed++
		case c.Action != "":
			plain++
		}
	}
	if logons != 1 || sealed == 0 || plain != 0 {
		t.Errorf("%d Kerberos logons, %d sealed and %d plaintext SOAP messages; want 1 logon, all sealed", logons, sealed, plain)
	}
}
