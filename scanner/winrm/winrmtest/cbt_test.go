package winrmtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bodgit/ntlmssp"
)

// cbtLab has one workgroup HTTPS host per CbtHardeningLevel, and two behind
// a TLS-inspecting proxy.
const cbtLab = `
hosts:
  - {name: STRICT,  address: 127.0.0.1, os: {build: 20348}, winrm: {https: true, cbtHardeningLevel: strict}, users: [{name: localadmin, password: Local-Passw0rd!}]}
  - {name: RELAXED, address: 127.0.0.2, os: {build: 20348}, winrm: {https: true}, users: [{name: localadmin, password: Local-Passw0rd!}]}
  - {name: NOCBT,   address: 127.0.0.3, os: {build: 20348}, winrm: {https: true, cbtHardeningLevel: None}, users: [{name: localadmin, password: Local-Passw0rd!}]}
  - {name: PROXYR,  address: 127.0.0.4, os: {build: 20348}, winrm: {https: true, tlsInterceptingProxy: true}, users: [{name: localadmin, password: Local-Passw0rd!}]}
  - {name: PROXYS,  address: 127.0.0.5, os: {build: 20348}, winrm: {https: true, cbtHardeningLevel: strict, tlsInterceptingProxy: true}, users: [{name: localadmin, password: Local-Passw0rd!}]}
`

type bindingMode int

const (
	bindNone  bindingMode = iota // no MsvAvChannelBindings
	bindRight                    // tls-server-end-point of the certificate seen
	bindWrong                    // a binding to some other certificate
)

// ntlmLogonTLS runs an NTLM handshake (bodgit) on one TLS connection with
// the given binding and returns the final leg's HTTP status. The binding
// is computed here, independently of the simulator: the lab's certificates
// are ECDSA with SHA-256, so RFC 5929 hashes them with SHA-256.
func ntlmLogonTLS(t *testing.T, srv *Server, host string, mode bindingMode) int {
	t.Helper()
	ep, _ := srv.Host(host)
	c := tlsClient(t, srv)
	nc, err := ntlmssp.NewClient(ntlmssp.SetUserInfo("localadmin", "Local-Passw0rd!"), ntlmssp.SetDomain(host), ntlmssp.SetVersion(nil))
	if err != nil {
		t.Fatal(err)
	}
	neg, err := nc.Authenticate(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp := rawPost(t, c, ep.HTTPSURL, "Negotiate "+base64.StdEncoding.EncodeToString(neg), "")
	if resp.StatusCode != 401 || resp.TLS == nil || len(resp.TLS.PeerCertificates) == 0 {
		t.Fatalf("NEGOTIATE: status %d, TLS %v", resp.StatusCode, resp.TLS != nil)
	}
	_, tok, _ := strings.Cut(resp.Header.Get("Www-Authenticate"), " ")
	challenge, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		t.Fatalf("challenge: %v", err)
	}
	var cb *ntlmssp.ChannelBindings
	switch mode {
	case bindRight:
		cb = tlsServerEndPoint(resp.TLS.PeerCertificates[0])
	case bindWrong:
		cb = tlsServerEndPoint(resp.TLS.PeerCertificates[1]) // the CA's certificate
	}
	auth, err := nc.Authenticate(challenge, cb)
	if err != nil {
		t.Fatal(err)
	}
	resp = rawPost(t, c, ep.HTTPSURL, "Negotiate "+base64.StdEncoding.EncodeToString(auth), "")
	return resp.StatusCode
}

func tlsServerEndPoint(cert *x509.Certificate) *ntlmssp.ChannelBindings {
	sum := sha256.Sum256(cert.Raw)
	return &ntlmssp.ChannelBindings{ApplicationData: append([]byte("tls-server-end-point:"), sum[:]...)}
}

// TestChannelBinding: what each CbtHardeningLevel accepts over HTTPS.
func TestChannelBinding(t *testing.T) {
	srv := startLab(t, newLab(t, cbtLab))
	tests := []struct {
		host        string
		mode        bindingMode
		wantStatus  int
		wantBinding string // Call.ChannelBinding on success
		wantErr     string // Call.AuthError on refusal
	}{
		{"STRICT", bindRight, 200, "matched", ""},
		{"STRICT", bindNone, 401, "", "the client sent none"},
		{"STRICT", bindWrong, 401, "", "does not match"},
		{"RELAXED", bindRight, 200, "matched", ""},
		{"RELAXED", bindNone, 200, "absent", ""},
		{"RELAXED", bindWrong, 401, "", "does not match"},
		{"NOCBT", bindWrong, 200, "ignored", ""},
		{"NOCBT", bindNone, 200, "ignored", ""},
		// Behind a TLS-inspecting proxy the client binds to the proxy's
		// certificate: refused even by Relaxed; only a client without
		// channel binding gets through a Relaxed host.
		{"PROXYR", bindRight, 401, "", "does not match"},
		{"PROXYR", bindNone, 200, "absent", ""},
		{"PROXYS", bindRight, 401, "", "does not match"},
		{"PROXYS", bindNone, 401, "", "the client sent none"},
	}
	names := map[bindingMode]string{bindNone: "no binding", bindRight: "binding to the certificate seen", bindWrong: "wrong binding"}
	for _, tc := range tests {
		t.Run(tc.host+"/"+names[tc.mode], func(t *testing.T) {
			before := len(srv.CallsFor(tc.host))
			if got := ntlmLogonTLS(t, srv, tc.host, tc.mode); got != tc.wantStatus {
				t.Fatalf("final leg: HTTP %d, want %d", got, tc.wantStatus)
			}
			calls := srv.CallsFor(tc.host)[before:]
			last := calls[len(calls)-1]
			if last.Auth != AuthNTLMAuthenticate {
				t.Fatalf("last call %+v is not the AUTHENTICATE leg", last)
			}
			if last.ChannelBinding != tc.wantBinding || !strings.Contains(last.AuthError, tc.wantErr) || (tc.wantErr == "") != (last.AuthError == "") {
				t.Errorf("binding %q, auth error %q; want %q, %q", last.ChannelBinding, last.AuthError, tc.wantBinding, tc.wantErr)
			}
		})
	}
}

// TestChannelBindingRefusalHeaders: a refused binding is answered like any
// failed final leg on Windows (401, Negotiate, Connection: close; see
// TestUnauthorizedHeaders).
func TestChannelBindingRefusalHeaders(t *testing.T) {
	srv := startLab(t, newLab(t, cbtLab))
	ep, _ := srv.Host("STRICT")
	c := tlsClient(t, srv)
	nc, _ := ntlmssp.NewClient(ntlmssp.SetUserInfo("localadmin", "Local-Passw0rd!"), ntlmssp.SetVersion(nil))
	neg, _ := nc.Authenticate(nil, nil)
	resp := rawPost(t, c, ep.HTTPSURL, "Negotiate "+base64.StdEncoding.EncodeToString(neg), "")
	_, tok, _ := strings.Cut(resp.Header.Get("Www-Authenticate"), " ")
	challenge, _ := base64.StdEncoding.DecodeString(tok)
	auth, err := nc.Authenticate(challenge, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp = rawPost(t, c, ep.HTTPSURL, "Negotiate "+base64.StdEncoding.EncodeToString(auth), "")
	if resp.StatusCode != 401 || !resp.Close {
		t.Fatalf("status %d close %v, want 401 with Connection: close", resp.StatusCode, resp.Close)
	}
	if got := resp.Header.Values("Www-Authenticate"); len(got) != 1 || got[0] != "Negotiate" {
		t.Errorf("WWW-Authenticate = %q, want [Negotiate]", got)
	}
}

// TestChannelBindingMasterzenClientNTLM: masterzen's ClientNTLM
// (Azure/go-ntlmssp) has no channel binding: a Strict host refuses it, a
// Relaxed or None host runs its commands.
func TestChannelBindingMasterzenClientNTLM(t *testing.T) {
	srv := startLab(t, newLab(t, cbtLab))
	for _, tc := range []struct {
		host string
		ok   bool
	}{{"STRICT", false}, {"RELAXED", true}, {"NOCBT", true}, {"PROXYS", false}} {
		t.Run(tc.host, func(t *testing.T) {
			c := newClient(t, srv, tc.host, trNTLM, true, "localadmin", "Local-Passw0rd!", "")
			stdout, _, _, err := run(t, c, "hostname")
			if tc.ok {
				if err != nil || stdout != tc.host+"\r\n" {
					t.Fatalf("hostname: %q, %v", stdout, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("a %s host ran a command for a client without channel binding", tc.host)
			}
			refused := countCalls(srv, tc.host, func(c Call) bool {
				return c.Auth == AuthNTLMAuthenticate && c.Status == 401 && strings.Contains(c.AuthError, "channel binding")
			})
			if refused == 0 {
				t.Errorf("no AUTHENTICATE refused for its channel binding (err %v)", err)
			}
		})
	}
}

func TestChannelBindingLabErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{`hosts: [{name: A, address: 127.0.0.1, winrm: {https: true, cbtHardeningLevel: medium}}]`, "cbtHardeningLevel"},
		{`hosts: [{name: A, address: 127.0.0.1, winrm: {tlsInterceptingProxy: true}}]`, "needs winrm.https"},
	} {
		if _, err := ParseLab([]byte(tc.yaml), "lab.yaml"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.yaml, err, tc.want)
		}
	}
}

// TestPywinrmChannelBinding: pywinrm's requests-ntlm sends the
// tls-server-end-point binding, so a Strict host accepts it; behind a
// TLS-inspecting proxy its binding names the proxy's certificate and the
// host refuses it. An independent client agreeing keeps the simulator honest.
func TestPywinrmChannelBinding(t *testing.T) {
	if out, err := exec.Command(systemPython, "-c", "import winrm").CombinedOutput(); err != nil {
		requireIntegration(t, "pywinrm ("+systemPython+" -c 'import winrm')", fmtErr(err, out))
	}
	srv := startLab(t, newLab(t, cbtLab))
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, srv.CACertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		host string
		ok   bool
	}{{"STRICT", true}, {"PROXYR", false}} {
		t.Run(tc.host, func(t *testing.T) {
			ep, _ := srv.Host(tc.host)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, systemPython, "testdata/pywinrm_https.py", ep.HTTPSURL, ca, "localadmin", "hostname")
			cmd.Stdin = strings.NewReader("Local-Passw0rd!\n")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if !tc.ok {
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != 3 {
					t.Fatalf("pywinrm: %v, want the logon rejected (exit 3)\n%s%s", err, out, stderr.String())
				}
				return
			}
			if err != nil {
				t.Fatalf("pywinrm failed: %v\n%s", err, stderr.String())
			}
			if !strings.Contains(string(out), `"stdout": "`+tc.host+`\r\n"`) {
				t.Errorf("output %s", out)
			}
			matched := countCalls(srv, tc.host, func(c Call) bool { return c.ChannelBinding == "matched" })
			if matched == 0 {
				t.Error("pywinrm logged on without a matching channel binding")
			}
		})
	}
}
