package winrm_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/scanner/winrm"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

func startKerberosLab(t testing.TB) *winrmtest.Server {
	t.Helper()
	lab, err := winrmtest.LoadLab(filepath.Join("testdata", "kerberos-lab.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := winrmtest.NewServer(lab, winrmtest.WithEphemeralPorts())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	if srv.Krb5Conf() == "" {
		t.Fatal("the lab KDC did not start")
	}
	return srv
}

func labKerberosClient(t testing.TB, srv *winrmtest.Server, password string) *winrm.KerberosClient {
	t.Helper()
	kc, err := winrm.NewKerberosClient(winrm.KerberosCredentials{Username: "svc-scan@CORP.EXAMPLE", Password: password, Config: srv.Krb5Conf()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kc.Close)
	return kc
}

// TestKerberosSealedSession: a Kerberos-only host is scanned over plain
// HTTP with every SOAP message sealed by the Kerberos context, one ticket
// for the host and one AP exchange per connection.
func TestKerberosSealedSession(t *testing.T) {
	srv := startKerberosLab(t)
	kc := labKerberosClient(t, srv, "Test-Only-Scan-1!")
	for _, host := range []string{"KONLY", "HARDENED"} {
		t.Run(host, func(t *testing.T) {
			ctx := context.Background()
			fqdn := strings.ToLower(host) + ".corp.example"
			auth := winrm.NewKerberos(kc, "HTTP/"+fqdn)
			sess := newSession(t, ctx, endpoint(t, srv, host, false), auth, 5*time.Second)
			for i := range 3 {
				out, err := sess.Run(ctx, "echo ntlmscan", []byte("stdin\r\n"), 1<<20)
				if err != nil {
					t.Fatalf("command %d: %v", i, err)
				}
				if got := strings.TrimSpace(string(out.Stdout)); got != "ntlmscan" {
					t.Fatalf("stdout %q", got)
				}
			}
			logons := 0
			for _, c := range srv.CallsFor(host) {
				if c.Auth == winrmtest.AuthKerberos {
					logons++
					if c.Status != 200 || c.User != `CORP\svc-scan` {
						t.Errorf("kerberos logon: %+v", c)
					}
				}
				if c.Action != "" && (!c.Sealed || c.Auth != winrmtest.AuthConnection) {
					t.Errorf("%s: sealed=%v auth=%s", c.Action, c.Sealed, c.Auth)
				}
			}
			st := sess.Transport().Stats()
			if logons == 0 || logons != st.Handshakes {
				t.Errorf("%d Kerberos logons, transport counted %d handshakes", logons, st.Handshakes)
			}
			t.Logf("3 commands: %d HTTP round trips, %d Kerberos logons, %d connections", st.RoundTrips, st.Handshakes, st.Dials)
		})
	}
}

func kerberosRunErr(t *testing.T, srv *winrmtest.Server, kc *winrm.KerberosClient, host, spn string) *winrm.KerberosError {
	t.Helper()
	ctx := context.Background()
	sess := newSession(t, ctx, endpoint(t, srv, host, false), winrm.NewKerberos(kc, spn), 5*time.Second)
	_, err := sess.Run(ctx, "echo x", nil, 1<<20)
	var ke *winrm.KerberosError
	if !errors.As(err, &ke) {
		t.Fatalf("error %v (%T), want a KerberosError", err, err)
	}
	if strings.Contains(err.Error(), "Test-Only") {
		t.Fatalf("error shows the password: %v", err)
	}
	return ke
}

func TestKerberosErrors(t *testing.T) {
	srv := startKerberosLab(t)
	good := labKerberosClient(t, srv, "Test-Only-Scan-1!")
	tests := []struct {
		name     string
		kc       *winrm.KerberosClient
		host     string
		spn      string
		kind     winrm.KerberosErrorKind
		fallback bool
	}{
		{"host clock skew", good, "SKEWED", "HTTP/skewed.corp.example", winrm.KrbClockSkew, false},
		{"unknown SPN", good, "NOSPN", "HTTP/nospn.corp.example", winrm.KrbSPNUnknown, true},
		{"wrong password", labKerberosClient(t, srv, "Test-Only-wrong"), "KONLY", "HTTP/konly.corp.example", winrm.KrbBadCredentials, false},
		{"ticket for another host", good, "KONLY", "HTTP/hardened.corp.example", winrm.KrbRefused, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ke := kerberosRunErr(t, srv, tt.kc, tt.host, tt.spn)
			if ke.Kind != tt.kind || ke.Fallback() != tt.fallback {
				t.Fatalf("got %v (fallback %v), want kind %s fallback %v", ke, ke.Fallback(), tt.kind, tt.fallback)
			}
			t.Log(ke)
		})
	}
}

func TestKerberosKDCUnreachable(t *testing.T) {
	conf := "[libdefaults]\n default_realm = CORP.EXAMPLE\n udp_preference_limit = 1\n[realms]\n CORP.EXAMPLE = {\n  kdc = 127.0.6.250:1\n }\n"
	kc, err := winrm.NewKerberosClient(winrm.KerberosCredentials{Username: "svc-scan", Password: "x", Config: conf})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = kc.ServiceTicket(context.Background(), "HTTP/a.corp.example")
	var ke *winrm.KerberosError
	if !errors.As(err, &ke) || ke.Kind != winrm.KrbKDCUnreachable || !ke.Fallback() {
		t.Fatalf("got %v, want kdc-unreachable", err)
	}
}

// fakeHost answers the Kerberos handshake with canned replies.
type fakeHost struct{ replies []*winrm.Response }

func (f *fakeHost) Exchange(_ http.Header, _ []byte) (*winrm.Response, error) {
	r := f.replies[0]
	f.replies = f.replies[1:]
	return r, nil
}

// TestKerberosMutualAuth: a host that accepts the ticket but cannot prove
// it holds the service key (no AP-REP, or one under another key) is refused.
func TestKerberosMutualAuth(t *testing.T) {
	srv := startKerberosLab(t)
	kc := labKerberosClient(t, srv, "Test-Only-Scan-1!")
	offer := &winrm.Response{Status: 401, Header: http.Header{"Www-Authenticate": {"Negotiate", "Kerberos"}}}
	// A KRB5 GSS AP-REP token whose enc-part is garbage for our session key.
	bogus := "YIGaBgkqhkiG9xIBAgICAG+BijCBh6ADAgEFoQMCAQ+iezB5oAMCARKicgRw" + strings.Repeat("A", 148)
	tests := []struct {
		name   string
		header http.Header
	}{
		{"no AP-REP", http.Header{}},
		{"AP-REP under another key", http.Header{"Www-Authenticate": {"Negotiate " + bogus}}},
		{"not a GSS token", http.Header{"Www-Authenticate": {"Negotiate TlRMTVNTUAACAAAA"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := &fakeHost{replies: []*winrm.Response{offer, {Status: 200, Header: tt.header}}}
			_, err := winrm.NewKerberos(kc, "HTTP/konly.corp.example").Authenticate(x, false)
			var ke *winrm.KerberosError
			if !errors.As(err, &ke) || ke.Kind != winrm.KrbMutual {
				t.Fatalf("got %v, want mutual-auth-failed", err)
			}
		})
	}
}

// TestKerberosChannelBinding: over HTTPS the Kerberos authenticator's
// checksum carries the tls-server-end-point binding (RFC 4121 4.1.1.2), so
// a CbtHardeningLevel=Strict host accepts the logon; behind a
// TLS-inspecting proxy the binding names the proxy's certificate and the
// host refuses it.
func TestKerberosChannelBinding(t *testing.T) {
	srv := startKerberosLab(t)
	kc := labKerberosClient(t, srv, "Test-Only-Scan-1!")
	run := func(host string) error {
		ctx := context.Background()
		ep := endpoint(t, srv, host, true)
		ep.CACert = srv.CACertPEM()
		sess := newSession(t, ctx, ep, winrm.NewKerberos(kc, "HTTP/"+strings.ToLower(host)+".corp.example"), 5*time.Second)
		_, err := sess.Run(ctx, "hostname", nil, 1<<20)
		return err
	}
	if err := run("KSTRICT"); err != nil {
		t.Fatalf("Strict host: %v", err)
	}
	logons := 0
	for _, c := range srv.CallsFor("KSTRICT") {
		if c.Auth == winrmtest.AuthKerberos {
			logons++
			if c.ChannelBinding != "matched" {
				t.Errorf("Kerberos logon with channel binding %q, want matched", c.ChannelBinding)
			}
		}
	}
	if logons == 0 {
		t.Error("no Kerberos logon seen")
	}
	var ke *winrm.KerberosError
	if err := run("KPROXIED"); !errors.As(err, &ke) || ke.Kind != winrm.KrbRefused {
		t.Fatalf("behind a TLS-inspecting proxy: %T %v, want a refused Kerberos logon", err, err)
	}
	// As for NTLM, the refusal names the certificate ntlmscan bound the
	// logon to, so an admin can compare it with the listener's.
	if !regexp.MustCompile(`thumbprint [0-9A-F]{40}`).MatchString(ke.Detail) || !strings.Contains(ke.Detail, "TLS-inspecting proxy") {
		t.Errorf("refusal over HTTPS %q does not name the certificate seen and the proxy cause", ke.Detail)
	}
}
