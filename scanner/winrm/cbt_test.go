package winrm_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/scanner/winrm"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

const cbtLab = `
hosts:
  - {name: STRICT,  address: 127.0.7.1, os: {build: 20348}, winrm: {https: true, cbtHardeningLevel: strict}, users: [{name: local-admin, password: Test-Only-Local-1!}]}
  - {name: RELAXED, address: 127.0.7.2, os: {build: 20348}, winrm: {https: true}, users: [{name: local-admin, password: Test-Only-Local-1!}]}
  - {name: PROXIED, address: 127.0.7.3, os: {build: 20348}, winrm: {https: true, cbtHardeningLevel: strict, tlsInterceptingProxy: true}, users: [{name: local-admin, password: Test-Only-Local-1!}]}
`

func startCBTLab(t *testing.T) *winrmtest.Server {
	t.Helper()
	lab, err := winrmtest.ParseLab([]byte(cbtLab), "cbt.yaml")
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

// TestNTLMChannelBinding: over HTTPS the NTLM logon carries the
// tls-server-end-point binding, so a CbtHardeningLevel=Strict host accepts
// it; behind a TLS-inspecting proxy the binding names the proxy's
// certificate and the host refuses the logon, which the error says.
func TestNTLMChannelBinding(t *testing.T) {
	srv := startCBTLab(t)
	for _, host := range []string{"STRICT", "RELAXED"} {
		t.Run(host, func(t *testing.T) {
			ep := endpoint(t, srv, host, true)
			ep.CACert = srv.CACertPEM()
			sess := newSession(t, context.Background(), ep, winrm.NewNTLM(localUser, localPass), 5*time.Second)
			out, err := sess.Run(context.Background(), "hostname", nil, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(string(out.Stdout)); got != host {
				t.Fatalf("stdout %q", got)
			}
			var logons int
			for _, c := range srv.CallsFor(host) {
				if c.Auth == winrmtest.AuthNTLMAuthenticate {
					logons++
					if c.ChannelBinding != "matched" {
						t.Errorf("logon with channel binding %q, want matched", c.ChannelBinding)
					}
				}
			}
			if logons == 0 {
				t.Error("no NTLM logon seen")
			}
		})
	}
	t.Run("TLS-inspecting proxy", func(t *testing.T) {
		ep := endpoint(t, srv, "PROXIED", true)
		ep.CACert = srv.CACertPEM()
		sess := newSession(t, context.Background(), ep, winrm.NewNTLM(localUser, localPass), 5*time.Second)
		_, err := sess.Run(context.Background(), "hostname", nil, 1<<20)
		var ae *winrm.AuthError
		if !errors.As(err, &ae) || ae.Reason != winrm.AuthRejected {
			t.Fatalf("want a refused logon, got %T: %v", err, err)
		}
		if ae.TLS == nil || !ae.TLS.BindingSent || len(ae.TLS.Thumbprint) != 40 {
			t.Fatalf("AuthError.TLS = %+v, want the binding sent and the SHA-1 thumbprint of the certificate seen", ae.TLS)
		}
		if !strings.Contains(ae.Error(), ae.TLS.Thumbprint) {
			t.Errorf("error %q does not name the certificate seen", ae.Error())
		}
	})
}

// TestTLSServerEndPoint checks RFC 5929 §4.1's hash choice against hashes
// computed here, and the gss_channel_bindings_struct layout.
func TestTLSServerEndPoint(t *testing.T) {
	ecKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	tests := []struct {
		name string
		key  any
		alg  x509.SignatureAlgorithm
		want func([]byte) []byte // nil: no binding defined
	}{
		{"ECDSA SHA-256", ecKey, x509.ECDSAWithSHA256, func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }},
		{"ECDSA SHA-384", ecKey, x509.ECDSAWithSHA384, func(b []byte) []byte { s := sha512.Sum384(b); return s[:] }},
		{"ECDSA SHA-1 uses SHA-256", ecKey, x509.ECDSAWithSHA1, func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }},
		{"Ed25519 has none", edKey, x509.PureEd25519, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cert := certSignedWith(t, tc.key, tc.alg)
			cs := &tls.ConnectionState{PeerCertificates: []*x509.Certificate{cert}}
			got, err := winrm.TLSServerEndPoint(cs)
			if tc.want == nil {
				if err == nil {
					t.Fatalf("got %x, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := append([]byte("tls-server-end-point:"), tc.want(cert.Raw)...)
			if string(got) != string(want) {
				t.Fatalf("got %x, want %x", got, want)
			}
			st := winrm.GSSChannelBindings(got)
			if len(st) != 20+len(got) || binary.LittleEndian.Uint32(st[16:]) != uint32(len(got)) || string(st[20:]) != string(got) {
				t.Errorf("gss_channel_bindings_struct %x", st)
			}
			if winrm.ChannelBindingHash(got) != md5.Sum(st) {
				t.Error("ChannelBindingHash is not MD5 of the struct")
			}
		})
	}
	if _, err := winrm.TLSServerEndPoint(&tls.ConnectionState{}); err == nil {
		t.Error("no peer certificate: want an error")
	}
}

func certSignedWith(t *testing.T, key any, alg x509.SignatureAlgorithm) *x509.Certificate {
	t.Helper()
	type signer interface{ Public() crypto.PublicKey }
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "h"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), SignatureAlgorithm: alg}
	relabel := alg == x509.ECDSAWithSHA1 // Go no longer signs with SHA-1
	if relabel {
		tmpl.SignatureAlgorithm = x509.ECDSAWithSHA256
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.(signer).Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if relabel {
		cert.SignatureAlgorithm = alg
	}
	return cert
}
