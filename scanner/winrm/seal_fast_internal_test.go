package winrm

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"testing"
	"unicode/utf16"

	"github.com/bodgit/ntlmssp"
)

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// authenticateFor builds an AUTHENTICATE message carrying only what
// newFastSeal reads: NtChallengeResponse, EncryptedRandomSessionKey, flags.
func authenticateFor(ntResp, encKey []byte, flags uint32) []byte {
	m := make([]byte, 72)
	copy(m, "NTLMSSP\x00")
	binary.LittleEndian.PutUint32(m[8:], 3)
	put := func(off int, b []byte) {
		binary.LittleEndian.PutUint16(m[off:], uint16(len(b)))
		binary.LittleEndian.PutUint16(m[off+2:], uint16(len(b)))
		binary.LittleEndian.PutUint32(m[off+4:], uint32(len(m)))
		m = append(m, b...)
	}
	put(20, ntResp)
	put(52, encKey)
	binary.LittleEndian.PutUint32(m[60:], flags)
	return m
}

// TestFastSealMSNLMPVector: [MS-NLMP] §4.2.4.4 — "Plaintext" sealed by the
// client at sequence 0 with the §4.2.4 keys (derived here from the user,
// password and the AUTHENTICATE fields, as in a real logon).
func TestFastSealMSNLMPVector(t *testing.T) {
	ntResp := append(mustHex(t, "68cd0ab851e51c96aabc927bebef6a1c"), make([]byte, 28)...) // NTProofStr + blob
	auth := authenticateFor(ntResp, mustHex(t, "c5dad2544fc9799094ce1ce90bc9d03e"), 0xe28a8233)
	f := newFastSeal("User", "Domain", "Password", auth)
	if f == nil {
		t.Fatal("newFastSeal refused the §4.2.4 logon")
	}
	var plain []byte
	for _, c := range utf16.Encode([]rune("Plaintext")) {
		plain = binary.LittleEndian.AppendUint16(plain, c)
	}
	body := f.frame(plain)
	defer releaseBody(body)
	parts, err := parseSealed(body, encryptedBoundary)
	if err != nil || len(parts) != 1 {
		t.Fatalf("framing: %v (%d parts)", err, len(parts))
	}
	if want := mustHex(t, "54e50165bf1936dc996020c1811b0f06fb5f"); !bytes.Equal(parts[0].Sealed, want) {
		t.Errorf("sealed %x, want %x", parts[0].Sealed, want)
	}
	if want := mustHex(t, "010000007fb38ec5c55d497600000000"); !bytes.Equal(parts[0].Signature, want) {
		t.Errorf("signature %x, want %x", parts[0].Signature, want)
	}
}

// TestFastSealOnlyAfterExactMatch: the in-place sealer takes over only when
// its first message equals bodgit's; a wrong derivation leaves bodgit
// sealing, and a logon it does not handle gets none.
func TestFastSealOnlyAfterExactMatch(t *testing.T) {
	const flags = 0xe2088235 // KEY_EXCH, 128, 56, ESS, ALWAYS_SIGN, NTLM, SEAL, SIGN, UNICODE
	for _, tc := range []struct {
		name, password string
		wantFast       bool
	}{
		{"derived keys match", "Test-Only-1!", true},
		{"derived keys differ", "another password", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, err := ntlmssp.NewClient(ntlmssp.SetUserInfo("svc", "Test-Only-1!"), ntlmssp.SetDomain("CORP"), ntlmssp.SetVersion(nil))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := client.Authenticate(nil, nil); err != nil {
				t.Fatal(err)
			}
			auth, err := client.Authenticate(fakeChallenge(flags), nil)
			if err != nil {
				t.Fatal(err)
			}
			s := &ntlmSealer{session: client.SecuritySession(), fast: newFastSeal("svc", "CORP", tc.password, auth)}
			if s.fast == nil {
				t.Fatal("newFastSeal refused an NTLMv2 logon")
			}
			for i := range 3 {
				body, _, err := s.Wrap([]byte("<s:Envelope>message</s:Envelope>"))
				if err != nil {
					t.Fatal(err)
				}
				releaseBody(body)
				if got := s.fast != nil && s.checked; got != tc.wantFast {
					t.Fatalf("message %d: fast=%v, want %v", i, got, tc.wantFast)
				}
			}
		})
	}
	if newFastSeal("svc", "CORP", "x", authenticateFor(make([]byte, 24), nil, flags)) != nil {
		t.Error("an NTLMv1-sized response must leave sealing to bodgit")
	}
	if newFastSeal("svc", "CORP", "x", []byte("NTLMSSP\x00short")) != nil {
		t.Error("a truncated AUTHENTICATE must leave sealing to bodgit")
	}
}
