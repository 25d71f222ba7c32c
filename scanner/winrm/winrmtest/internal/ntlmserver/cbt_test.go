package ntlmserver

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"

	azure "github.com/Azure/go-ntlmssp"
	"github.com/bodgit/ntlmssp"
)

// bodgitWithBindings runs a handshake in which the bodgit client binds to
// appData (nil: it sends no MsvAvChannelBindings at all).
func bodgitWithBindings(t *testing.T, cfg *Config, appData []byte) (*Session, error) {
	t.Helper()
	c, err := ntlmssp.NewClient(ntlmssp.SetUserInfo(testUser, testPassword), ntlmssp.SetDomain("CORE01"), ntlmssp.SetVersion(nil))
	if err != nil {
		t.Fatal(err)
	}
	neg, err := c.Authenticate(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := NewHandshake(cfg)
	ch, err := h.Negotiate(neg)
	if err != nil {
		t.Fatalf("Negotiate: %v", err)
	}
	var cb *ntlmssp.ChannelBindings
	if appData != nil {
		cb = &ntlmssp.ChannelBindings{ApplicationData: appData}
	}
	auth, err := c.Authenticate(ch, cb)
	if err != nil {
		t.Fatalf("bodgit: %v", err)
	}
	return h.Authenticate(auth)
}

func TestChannelBindingLevels(t *testing.T) {
	served := []byte("tls-server-end-point:served-certificate-hash")
	other := []byte("tls-server-end-point:a-proxy-certificate-hash")
	tests := []struct {
		name    string
		level   CBTLevel
		tlsCB   []byte // the server's channel (nil: not TLS)
		client  []byte // what the client binds to (nil: nothing)
		wantErr error
		want    BindingResult
	}{
		{"strict, matching", CBTStrict, served, served, nil, BindingMatched},
		{"strict, missing", CBTStrict, served, nil, ErrBindingMissing, ""},
		{"strict, mismatch", CBTStrict, served, other, ErrBindingMismatch, ""},
		{"relaxed, matching", CBTRelaxed, served, served, nil, BindingMatched},
		{"relaxed, missing is accepted", CBTRelaxed, served, nil, nil, BindingAbsent},
		{"relaxed, mismatch", CBTRelaxed, served, other, ErrBindingMismatch, ""},
		{"none ignores a mismatch", CBTNone, served, other, nil, BindingIgnored},
		{"none ignores a missing binding", CBTNone, served, nil, nil, BindingIgnored},
		{"strict over plain HTTP checks nothing", CBTStrict, nil, nil, nil, BindingIgnored},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := workgroupConfig()
			cfg.CBTLevel = tc.level
			if tc.tlsCB != nil {
				cfg.ChannelBindings = GSSChannelBindings(tc.tlsCB)
			}
			s, err := bodgitWithBindings(t, cfg, tc.client)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !errors.Is(err, ErrChannelBindings) {
					t.Fatalf("err = %v, want %v (a channel binding refusal)", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if got := s.ChannelBinding(); got != tc.want {
				t.Errorf("ChannelBinding() = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestChannelBindingAzure: a client that knows nothing of channel binding
// (Azure/go-ntlmssp, used by masterzen's ClientNTLM) sends no MsvAvChannelBindings.
func TestChannelBindingAzure(t *testing.T) {
	for _, tc := range []struct {
		level   CBTLevel
		wantErr error
	}{{CBTStrict, ErrBindingMissing}, {CBTRelaxed, nil}, {CBTNone, nil}} {
		cfg := workgroupConfig()
		cfg.CBTLevel = tc.level
		cfg.ChannelBindings = GSSChannelBindings([]byte("tls-server-end-point:x"))
		neg, _ := azure.NewNegotiateMessage("", "")
		h := NewHandshake(cfg)
		ch, err := h.Negotiate(neg)
		if err != nil {
			t.Fatal(err)
		}
		auth, err := azure.ProcessChallenge(ch, testUser, testPassword, true)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.Authenticate(auth); !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
			t.Errorf("level %d: err = %v, want %v", tc.level, err, tc.wantErr)
		}
	}
}

// TestChannelBindingWrongPasswordFirst: a wrong password stays a logon
// failure whatever the binding, as Windows checks the credential first.
func TestChannelBindingWrongPasswordFirst(t *testing.T) {
	cfg := workgroupConfig()
	cfg.CBTLevel = CBTStrict
	cfg.ChannelBindings = GSSChannelBindings([]byte("tls-server-end-point:x"))
	cfg.LookupPassword = func(string, string) (string, bool) { return "other", true }
	_, err := bodgitWithBindings(t, cfg, nil)
	if !errors.Is(err, ErrLogonFailure) || errors.Is(err, ErrChannelBindings) {
		t.Fatalf("err = %v, want a plain logon failure", err)
	}
}

func TestParseCBTLevel(t *testing.T) {
	for in, want := range map[string]CBTLevel{"": CBTRelaxed, "Relaxed": CBTRelaxed, "strict": CBTStrict, "NONE": CBTNone} {
		if got, err := ParseCBTLevel(in); err != nil || got != want {
			t.Errorf("ParseCBTLevel(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseCBTLevel("medium"); err == nil {
		t.Error("ParseCBTLevel(medium) succeeded")
	}
}

// TestTLSServerEndPoint checks RFC 5929 §4.1's hash choice on certificates
// signed with each kind of algorithm, against hashes computed here.
func TestTLSServerEndPoint(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	sha256Of := func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }
	sha384Of := func(b []byte) []byte { s := sha512.Sum384(b); return s[:] }
	tests := []struct {
		name string
		key  any
		alg  x509.SignatureAlgorithm
		hash func([]byte) []byte // nil: no binding defined
	}{
		{"SHA-1 RSA uses SHA-256", rsaKey, x509.SHA1WithRSA, sha256Of},
		{"SHA-256 RSA", rsaKey, x509.SHA256WithRSA, sha256Of},
		{"ECDSA SHA-384", ecKey, x509.ECDSAWithSHA384, sha384Of},
		{"RSA-PSS SHA-384", rsaKey, x509.SHA384WithRSAPSS, sha384Of},
		{"Ed25519 has none", edKey, x509.PureEd25519, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cert := selfSigned(t, tc.key, tc.alg)
			got, err := TLSServerEndPoint(cert)
			if tc.hash == nil {
				if err == nil {
					t.Fatalf("got %x, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := append([]byte("tls-server-end-point:"), tc.hash(cert.Raw)...)
			if string(got) != string(want) {
				t.Errorf("got %x, want %x", got, want)
			}
		})
	}
}

func selfSigned(t *testing.T, key any, alg x509.SignatureAlgorithm) *x509.Certificate {
	t.Helper()
	type signer interface{ Public() crypto.PublicKey }
	tmpl := &x509.Certificate{
		SerialNumber:       big.NewInt(1),
		Subject:            pkix.Name{CommonName: "host.lab.example"},
		NotBefore:          time.Now().Add(-time.Hour),
		NotAfter:           time.Now().Add(time.Hour),
		SignatureAlgorithm: alg,
	}
	if alg == x509.SHA1WithRSA {
		// Go refuses to sign with SHA-1; RFC 5929's rule is about the
		// algorithm named in the certificate, so relabel a SHA-256 one.
		tmpl.SignatureAlgorithm = x509.SHA256WithRSA
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.(signer).Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if alg == x509.SHA1WithRSA {
		cert.SignatureAlgorithm = x509.SHA1WithRSA
	}
	return cert
}
