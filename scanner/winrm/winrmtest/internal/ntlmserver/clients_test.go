package ntlmserver

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	azure "github.com/Azure/go-ntlmssp"
	"github.com/bodgit/ntlmssp"
)

const (
	testUser     = "alice"
	testPassword = "S3cret!pa55"
)

// lookupAlice knows one account; as Config.LookupPassword leaves name
// matching to the caller, it compares case-insensitively and strips a UPN
// suffix.
func lookupAlice(user, domain string) (string, bool) {
	if i := strings.IndexByte(user, '@'); i >= 0 {
		user = user[:i]
	}
	if strings.EqualFold(user, testUser) {
		return testPassword, true
	}
	return "", false
}

var testNow = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

func workgroupConfig() *Config {
	return &Config{
		NetBIOSComputer: "core01", NetBIOSDomain: "CORE01",
		DNSComputer: "core01", DNSDomain: "core01",
		LookupPassword: lookupAlice,
		Now:            func() time.Time { return testNow },
	}
}

func domainConfig() *Config {
	return &Config{
		NetBIOSComputer: "CORE01", NetBIOSDomain: "corp",
		DNSComputer: "core01.corp.example", DNSDomain: "corp.example",
		DomainJoined:   true,
		Version:        [8]byte{10, 0, 0x39, 0x38, 0, 0, 0, 0x0F},
		LookupPassword: lookupAlice,
	}
}

// bodgitHandshake runs NEGOTIATE/CHALLENGE/AUTHENTICATE between a bodgit
// client and a fresh server Handshake. patch, if not nil, may rewrite the
// NEGOTIATE flags: bodgit keeps the very slice it returns for its MIC, so an
// in-place edit keeps its MIC consistent and lets us drive it into
// otherwise unreachable flag combinations.
func bodgitHandshake(t *testing.T, cfg *Config, user, password, domain string, patch func(uint32) uint32) (*ntlmssp.Client, *Session, []byte, error) {
	t.Helper()
	c, err := ntlmssp.NewClient(ntlmssp.SetUserInfo(user, password), ntlmssp.SetDomain(domain), ntlmssp.SetVersion(nil))
	if err != nil {
		t.Fatal(err)
	}
	neg, err := c.Authenticate(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if patch != nil {
		binary.LittleEndian.PutUint32(neg[12:], patch(binary.LittleEndian.Uint32(neg[12:])))
	}
	h := NewHandshake(cfg)
	ch, err := h.Negotiate(neg)
	if err != nil {
		t.Fatalf("Negotiate: %v", err)
	}
	auth, err := c.Authenticate(ch, nil)
	if err != nil {
		t.Fatalf("bodgit rejected our CHALLENGE: %v", err)
	}
	s, err := h.Authenticate(auth)
	return c, s, auth, err
}

func TestBodgit(t *testing.T) {
	cases := []struct {
		name      string
		cfg       *Config
		user      string
		domain    string
		patch     func(uint32) uint32
		wantFlags uint32
	}{
		{"workgroup, with domain", workgroupConfig(), "alice", "CORE01", nil, 0xE28A8235},
		{"workgroup, no domain", workgroupConfig(), "Alice", "", nil, 0xE28A8235},
		{"domain member", domainConfig(), "alice", "corp.example", nil, 0xE2898235},
		{"56-bit", workgroupConfig(), "alice", "", func(f uint32) uint32 { return f &^ Flag128 }, 0xC28A8235},
		{"40-bit", workgroupConfig(), "alice", "", func(f uint32) uint32 { return f &^ (Flag128 | Flag56) }, 0x428A8235},
		{"no key exchange", workgroupConfig(), "alice", "CORE01", func(f uint32) uint32 { return f &^ FlagKeyExch }, 0xA28A8235},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, s, _, err := bodgitHandshake(t, tc.cfg, tc.user, testPassword, tc.domain, tc.patch)
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if s.User() != tc.user || s.Domain() != tc.domain {
				t.Errorf("identity %q\\%q, want %q\\%q", s.Domain(), s.User(), tc.domain, tc.user)
			}
			if s.Flags() != tc.wantFlags {
				t.Errorf("flags %#08x, want %#08x", s.Flags(), tc.wantFlags)
			}
			cs := c.SecuritySession()
			// Several messages each way, interleaved, with growing sizes:
			// RC4 state and sequence numbers must persist on both ends.
			for i := range 6 {
				req := bytes.Repeat([]byte(fmt.Sprintf("<s:Envelope n=%d/>", i)), i*37+1)
				sealed, sig, err := cs.Wrap(req)
				if err != nil {
					t.Fatal(err)
				}
				got, err := s.Unseal(sealed, sig)
				if err != nil {
					t.Fatalf("message %d: Unseal: %v", i, err)
				}
				if !bytes.Equal(got, req) {
					t.Fatalf("message %d: unsealed text differs", i)
				}
				if i%2 == 0 { // a second client message before the reply
					extra := []byte("extra")
					sealed, sig, _ := cs.Wrap(extra)
					if got, err := s.Unseal(sealed, sig); err != nil || !bytes.Equal(got, extra) {
						t.Fatalf("message %d extra: %v", i, err)
					}
				}
				resp := bytes.Repeat([]byte(fmt.Sprintf("<rsp n=%d/>", i)), i*53+2)
				rsealed, rsig := s.Seal(resp)
				back, err := cs.Unwrap(rsealed, rsig)
				if err != nil {
					t.Fatalf("response %d: bodgit Unwrap: %v", i, err)
				}
				if !bytes.Equal(back, resp) {
					t.Fatalf("response %d differs", i)
				}
			}
		})
	}
}

func TestBodgitLogonFailures(t *testing.T) {
	t.Run("wrong password", func(t *testing.T) {
		_, _, _, err := bodgitHandshake(t, workgroupConfig(), testUser, "wrong", "CORE01", nil)
		if !errors.Is(err, ErrLogonFailure) {
			t.Fatalf("err = %v, want ErrLogonFailure", err)
		}
	})
	t.Run("unknown user", func(t *testing.T) {
		_, _, _, err := bodgitHandshake(t, workgroupConfig(), "mallory", testPassword, "", nil)
		if !errors.Is(err, ErrLogonFailure) {
			t.Fatalf("err = %v, want ErrLogonFailure", err)
		}
	})
	t.Run("no password lookup configured", func(t *testing.T) {
		cfg := workgroupConfig()
		cfg.LookupPassword = nil
		_, _, _, err := bodgitHandshake(t, cfg, testUser, testPassword, "", nil)
		if !errors.Is(err, ErrLogonFailure) {
			t.Fatalf("err = %v, want ErrLogonFailure", err)
		}
	})
	// Edits of the AUTHENTICATE that only the MIC protects.
	for _, tc := range []struct {
		name string
		edit func(auth []byte)
	}{
		{"MIC byte", func(a []byte) { a[80] ^= 1 }},
		{"flags byte not covered by NTProofStr", func(a []byte) { a[63] ^= 0x02 }}, // VERSION bit
		{"EncryptedRandomSessionKey", func(a []byte) { a[len(a)-1] ^= 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ntlmssp.NewClient(ntlmssp.SetUserInfo(testUser, testPassword), ntlmssp.SetVersion(nil))
			if err != nil {
				t.Fatal(err)
			}
			neg, _ := c.Authenticate(nil, nil)
			h := NewHandshake(workgroupConfig())
			ch, err := h.Negotiate(neg)
			if err != nil {
				t.Fatal(err)
			}
			auth, err := c.Authenticate(ch, nil)
			if err != nil {
				t.Fatal(err)
			}
			tc.edit(auth)
			if _, err := h.Authenticate(auth); !errors.Is(err, ErrLogonFailure) {
				t.Fatalf("err = %v, want ErrLogonFailure", err)
			}
		})
	}
}

func TestBodgitSealingFailures(t *testing.T) {
	type wrapped struct{ sealed, sig []byte }
	setup := func(t *testing.T) (*ntlmssp.SecuritySession, *Session) {
		c, s, _, err := bodgitHandshake(t, workgroupConfig(), testUser, testPassword, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		return c.SecuritySession(), s
	}
	wrap := func(t *testing.T, cs *ntlmssp.SecuritySession, m string) wrapped {
		sealed, sig, err := cs.Wrap([]byte(m))
		if err != nil {
			t.Fatal(err)
		}
		return wrapped{sealed, sig}
	}
	cases := []struct {
		name string
		run  func(t *testing.T, cs *ntlmssp.SecuritySession, s *Session) error
	}{
		{"tampered sealed byte", func(t *testing.T, cs *ntlmssp.SecuritySession, s *Session) error {
			w := wrap(t, cs, "hello world")
			w.sealed[3] ^= 0x40
			_, err := s.Unseal(w.sealed, w.sig)
			return err
		}},
		{"tampered checksum", func(t *testing.T, cs *ntlmssp.SecuritySession, s *Session) error {
			w := wrap(t, cs, "hello world")
			w.sig[5] ^= 1
			_, err := s.Unseal(w.sealed, w.sig)
			return err
		}},
		{"tampered sequence number", func(t *testing.T, cs *ntlmssp.SecuritySession, s *Session) error {
			w := wrap(t, cs, "hello world")
			w.sig[12] = 1
			_, err := s.Unseal(w.sealed, w.sig)
			return err
		}},
		{"replayed message", func(t *testing.T, cs *ntlmssp.SecuritySession, s *Session) error {
			w := wrap(t, cs, "first")
			if _, err := s.Unseal(w.sealed, w.sig); err != nil {
				t.Fatalf("first delivery: %v", err)
			}
			_, err := s.Unseal(w.sealed, w.sig)
			return err
		}},
		{"out of order", func(t *testing.T, cs *ntlmssp.SecuritySession, s *Session) error {
			_ = wrap(t, cs, "zero")
			w1 := wrap(t, cs, "one")
			_, err := s.Unseal(w1.sealed, w1.sig)
			return err
		}},
		{"short signature", func(t *testing.T, cs *ntlmssp.SecuritySession, s *Session) error {
			w := wrap(t, cs, "x")
			_, err := s.Unseal(w.sealed, w.sig[:15])
			return err
		}},
		{"session stays failed", func(t *testing.T, cs *ntlmssp.SecuritySession, s *Session) error {
			w := wrap(t, cs, "bad")
			w.sealed[0] ^= 1
			if _, err := s.Unseal(w.sealed, w.sig); err == nil {
				t.Fatal("tampered message accepted")
			}
			w2 := wrap(t, cs, "good")
			_, err := s.Unseal(w2.sealed, w2.sig)
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cs, s := setup(t)
			if err := tc.run(t, cs, s); err == nil {
				t.Fatal("Unseal accepted a bad message")
			}
		})
	}

	// And the other direction: bodgit notices a tampered server message,
	// which shows our signatures are what it checks, not something it ignores.
	cs, s := setup(t)
	sealed, sig := s.Seal([]byte("reply"))
	sealed[0] ^= 1
	if _, err := cs.Unwrap(sealed, sig); err == nil {
		t.Fatal("bodgit accepted a tampered server message")
	}
}

func TestAzure(t *testing.T) {
	cases := []struct {
		name             string
		cfg              *Config
		negDomain, negWS string
		user, password   string
		domainNeeded     bool
		wantChallenge    uint32
		wantDomain       string
		wantErr          error
	}{
		{"workgroup", workgroupConfig(), "", "", "alice", testPassword, true, 0xA28A0205, "CORE01", nil},
		{"domain supplied in NEGOTIATE", workgroupConfig(), "CORE01", "WS1", "ALICE", testPassword, true, 0xA28A0205, "CORE01", nil},
		{"domain member", domainConfig(), "CORP", "", "alice", testPassword, true, 0xA2890205, "CORP", nil},
		{"UPN, no domain", domainConfig(), "", "", "alice@corp.example", testPassword, false, 0xA2890205, "", nil},
		{"wrong password", workgroupConfig(), "", "", "alice", "nope", true, 0xA28A0205, "", ErrLogonFailure},
		{"unknown user", domainConfig(), "", "", "bob", testPassword, true, 0xA2890205, "", ErrLogonFailure},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			neg, err := azure.NewNegotiateMessage(tc.negDomain, tc.negWS)
			if err != nil {
				t.Fatal(err)
			}
			h := NewHandshake(tc.cfg)
			ch, err := h.Negotiate(neg)
			if err != nil {
				t.Fatalf("Negotiate: %v", err)
			}
			if got := binary.LittleEndian.Uint32(ch[20:]); got != tc.wantChallenge {
				t.Errorf("CHALLENGE flags %#08x, want %#08x", got, tc.wantChallenge)
			}
			auth, err := azure.ProcessChallenge(ch, tc.user, tc.password, tc.domainNeeded)
			if err != nil {
				t.Fatalf("Azure rejected our CHALLENGE: %v", err)
			}
			s, err := h.Authenticate(auth)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if s.User() != tc.user || s.Domain() != tc.wantDomain {
				t.Errorf("identity %q\\%q, want %q\\%q", s.Domain(), s.User(), tc.wantDomain, tc.user)
			}
			// Azure negotiates no sealing; a sealed body must be refused.
			if _, err := s.Unseal([]byte("x"), make([]byte, 16)); err == nil {
				t.Error("Unseal succeeded on a session without SEAL")
			}
		})
	}
}
