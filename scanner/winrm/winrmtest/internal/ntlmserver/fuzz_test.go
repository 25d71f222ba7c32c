package ntlmserver

import (
	"bytes"
	"testing"
	"time"

	azure "github.com/Azure/go-ntlmssp"
	"github.com/bodgit/ntlmssp"
)

// fuzzConfig is deterministic so that a seed AUTHENTICATE made once by a
// reference client stays valid in every iteration, letting the fuzzer reach
// the post-authentication paths (MIC, key exchange, Unseal).
func fuzzConfig() *Config {
	return &Config{
		NetBIOSComputer: "CORE01",
		LookupPassword:  lookupAlice,
		Now:             func() time.Time { return time.Unix(1700000000, 0) },
		Rand:            bytes.NewReader([]byte("fuzzchal")),
	}
}

func authOnce(neg, auth []byte) (*Session, error) {
	h := NewHandshake(fuzzConfig())
	if _, err := h.Negotiate(neg); err != nil {
		return nil, err
	}
	return h.Authenticate(auth)
}

func FuzzNTLM(f *testing.F) {
	// bodgit: KEY_EXCH, MIC, sealing.
	bc, err := ntlmssp.NewClient(ntlmssp.SetUserInfo(testUser, testPassword), ntlmssp.SetDomain("CORE01"), ntlmssp.SetVersion(nil))
	if err != nil {
		f.Fatal(err)
	}
	bneg, _ := bc.Authenticate(nil, nil)
	bch, err := NewHandshake(fuzzConfig()).Negotiate(bneg)
	if err != nil {
		f.Fatal(err)
	}
	bauth, err := bc.Authenticate(bch, nil)
	if err != nil {
		f.Fatal(err)
	}
	sealed, sig, err := bc.SecuritySession().Wrap([]byte("<s:Envelope/>"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(bneg, bauth, sealed, sig)
	if _, err := authOnce(bneg, bauth); err != nil {
		f.Fatalf("bodgit seed does not authenticate: %v", err)
	}

	// Azure: 64-byte header, no MIC, no key exchange.
	aneg, _ := azure.NewNegotiateMessage("CORP", "WS")
	ach, _ := NewHandshake(fuzzConfig()).Negotiate(aneg)
	aauth, err := azure.ProcessChallenge(ach, testUser, testPassword, true)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(aneg, aauth, []byte{}, make([]byte, 16))
	if _, err := authOnce(aneg, aauth); err != nil {
		f.Fatalf("Azure seed does not authenticate: %v", err)
	}

	// OEM and odd shapes.
	f.Add(oemNegotiate("CORE01"), []byte("NTLMSSP\x00\x03\x00\x00\x00"), []byte("x"), []byte{1})
	f.Add([]byte("NTLMSSP\x00\x01\x00\x00\x00\x05\x82\x00\x00"), bauth[:70], sealed[:1], sig)

	f.Fuzz(func(t *testing.T, neg, auth, sealed, sig []byte) {
		_, _ = MessageType(neg)

		// Arbitrary NEGOTIATE, then arbitrary AUTHENTICATE.
		h := NewHandshake(fuzzConfig())
		if ch, err := h.Negotiate(neg); err == nil {
			if len(ch) < 56 {
				t.Fatalf("CHALLENGE of %d bytes", len(ch))
			}
			if s, err := h.Authenticate(auth); err == nil {
				_, _ = s.Unseal(sealed, sig)
				_, _ = s.Seal(sealed)
			}
		}

		// Known-good NEGOTIATEs (so a seed AUTHENTICATE can verify),
		// then arbitrary AUTHENTICATE and sealed data.
		for _, n := range [][]byte{bneg, aneg} {
			h := NewHandshake(fuzzConfig())
			if _, err := h.Negotiate(n); err != nil {
				t.Fatal(err)
			}
			s, err := h.Authenticate(auth)
			if err != nil {
				continue
			}
			plain, err := s.Unseal(sealed, sig)
			if err == nil && len(plain) != len(sealed) {
				t.Fatalf("unsealed %d bytes from %d", len(plain), len(sealed))
			}
			out, outSig := s.Seal(sealed)
			if len(out) != len(sealed) || len(outSig) != 16 {
				t.Fatal("Seal output sizes")
			}
		}
	})
}
