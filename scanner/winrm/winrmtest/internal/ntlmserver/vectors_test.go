package ntlmserver

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"testing"
	"unicode/utf16"
)

// NTLMv2 test vectors from [MS-NLMP] §4.2.4 ("NTLMv2 Authentication"),
// re-derived independently; every value agrees with the specification.
// The negotiated flags are those of the [MS-NLMP] §4.2.4.3
// CHALLENGE_MESSAGE (0xe28a8233):
// KEY_EXCH, 56, 128, VERSION, TARGET_INFO, ESS, TARGET_TYPE_SERVER,
// ALWAYS_SIGN, NTLM, SEAL, SIGN, OEM, UNICODE.
var vec = struct {
	user, domain, password string
	flags                  uint32
	serverChallenge        string
	clientChallenge        string
	time                   string
	randomSessionKey       string
	targetInfo             string

	ntHash, ntowfv2, ntProofStr, lmv2, sessionBaseKey, encryptedRandomSessionKey string

	clientSign, clientSeal, serverSign, serverSeal string

	plaintext               string // UTF-16LE("Plaintext"), sealed client->server at seq 0
	sealed, sealedSignature string
}{
	user: "User", domain: "Domain", password: "Password",
	flags:            0xe28a8233,
	serverChallenge:  "0123456789abcdef",
	clientChallenge:  "aaaaaaaaaaaaaaaa",
	time:             "0000000000000000",
	randomSessionKey: "55555555555555555555555555555555",
	targetInfo:       "02000c0044006f006d00610069006e0001000c0053006500720076006500720000000000",

	ntHash:                    "a4f49c406510bdcab6824ee7c30fd852",
	ntowfv2:                   "0c868a403bfd7a93a3001ef22ef02e3f",
	ntProofStr:                "68cd0ab851e51c96aabc927bebef6a1c",
	lmv2:                      "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa",
	sessionBaseKey:            "8de40ccadbc14a82f15cb0ad0de95ca3",
	encryptedRandomSessionKey: "c5dad2544fc9799094ce1ce90bc9d03e",

	clientSign: "4788dc861b4782f35d43fd98fe1a2d39",
	clientSeal: "59f600973cc4960a25480a7c196e4c58",
	serverSign: "d04d6f10741041d1d246d64188d7a8ad",
	serverSeal: "9355f3a957c1583d25c4c2f11e40390e",

	sealed:          "54e50165bf1936dc996020c1811b0f06fb5f",
	sealedSignature: "010000007fb38ec5c55d497600000000",
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func vecPlaintext() []byte { return utf16le("Plaintext") }

// ntlmv2Blob builds the NTLMv2 client blob ("temp" in [MS-NLMP] 3.3.2).
func ntlmv2Blob(timestamp, clientChallenge, avPairs []byte) []byte {
	b := []byte{1, 1, 0, 0, 0, 0, 0, 0}
	b = append(b, timestamp...)
	b = append(b, clientChallenge...)
	b = append(b, 0, 0, 0, 0)
	b = append(b, avPairs...)
	return append(b, 0, 0, 0, 0)
}

func TestVectorsKeyDerivation(t *testing.T) {
	sc, cc := unhex(t, vec.serverChallenge), unhex(t, vec.clientChallenge)
	ntowf := ntowfv2(vec.password, vec.user, vec.domain)
	blob := ntlmv2Blob(unhex(t, vec.time), cc, unhex(t, vec.targetInfo))
	proof := hmacMD5(ntowf, sc, blob)
	base := hmacMD5(ntowf, proof)
	esk := rc4Once(base, unhex(t, vec.encryptedRandomSessionKey))

	cases := []struct {
		name string
		got  []byte
		want string
	}{
		{"NT hash", ntHash(vec.password), vec.ntHash},
		{"NTOWFv2", ntowf, vec.ntowfv2},
		{"NTProofStr", proof, vec.ntProofStr},
		{"LMv2", append(hmacMD5(ntowf, sc, cc), cc...), vec.lmv2},
		{"SessionBaseKey", base, vec.sessionBaseKey},
		{"ExportedSessionKey", esk, vec.randomSessionKey},
		{"ClientSigningKey", signKey(vec.flags, esk, clientSignMagic), vec.clientSign},
		{"ClientSealingKey", sealKey(vec.flags, esk, clientSealMagic), vec.clientSeal},
		{"ServerSigningKey", signKey(vec.flags, esk, serverSignMagic), vec.serverSign},
		{"ServerSealingKey", sealKey(vec.flags, esk, serverSealMagic), vec.serverSeal},
	}
	for _, c := range cases {
		if got := hex.EncodeToString(c.got); got != c.want {
			t.Errorf("%s = %s, want %s", c.name, got, c.want)
		}
	}
}

// The server unseals the specification's client message; a client-role
// session reproduces the specification's sealed bytes and signature.
func TestVectorsSeal(t *testing.T) {
	esk := unhex(t, vec.randomSessionKey)

	client := newSession(vec.flags, esk, roleClient)
	sealed, sig := client.Seal(vecPlaintext())
	if got := hex.EncodeToString(sealed); got != vec.sealed {
		t.Errorf("client sealed = %s, want %s", got, vec.sealed)
	}
	if got := hex.EncodeToString(sig); got != vec.sealedSignature {
		t.Errorf("client signature = %s, want %s", got, vec.sealedSignature)
	}

	server := newSession(vec.flags, esk, roleServer)
	plain, err := server.Unseal(unhex(t, vec.sealed), unhex(t, vec.sealedSignature))
	if err != nil {
		t.Fatalf("server Unseal of the specification's message: %v", err)
	}
	if !bytes.Equal(plain, vecPlaintext()) {
		t.Errorf("unsealed %x, want %x", plain, vecPlaintext())
	}
	if server.inSeq != 1 {
		t.Errorf("incoming sequence after one message = %d, want 1", server.inSeq)
	}
}

// authMsg is a hand-built AUTHENTICATE; version=nil and mic=false give the
// 64-byte header Azure/go-ntlmssp sends.
type authMsg struct {
	flags                        uint32
	lm, nt                       []byte
	domain, user, workstation    []byte
	encryptedRandomSessionKey    []byte
	version                      *[8]byte
	mic                          bool
	negotiate, challenge, micKey []byte // for computing the MIC
}

func (a authMsg) marshal() []byte {
	hdr := 64
	if a.version != nil || a.mic {
		hdr = 72
	}
	if a.mic {
		hdr = 88
	}
	b := make([]byte, hdr)
	copy(b, "NTLMSSP\x00")
	binary.LittleEndian.PutUint32(b[8:], 3)
	off := hdr
	for i, v := range [][]byte{a.lm, a.nt, a.domain, a.user, a.workstation, a.encryptedRandomSessionKey} {
		putField(b[12+8*i:], len(v), off)
		off += len(v)
	}
	binary.LittleEndian.PutUint32(b[60:], a.flags)
	if a.version != nil {
		copy(b[64:72], a.version[:])
	}
	for _, v := range [][]byte{a.lm, a.nt, a.domain, a.user, a.workstation, a.encryptedRandomSessionKey} {
		b = append(b, v...)
	}
	if a.mic {
		copy(b[72:88], hmacMD5(a.micKey, a.negotiate, a.challenge, b))
	}
	return b
}

func fixedRand(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// The whole acceptor path on the specification's values: a CHALLENGE whose
// ServerChallenge is the vector's, an AUTHENTICATE made of the vector's
// responses, then the vector's sealed message.
func TestVectorsAuthenticate(t *testing.T) {
	neg := make([]byte, 40)
	copy(neg, "NTLMSSP\x00")
	binary.LittleEndian.PutUint32(neg[8:], 1)
	// UNICODE|REQUEST_TARGET|SIGN|SEAL|NTLM|ALWAYS_SIGN|ESS|TARGET_INFO|128|KEY_EXCH|56
	binary.LittleEndian.PutUint32(neg[12:], 0xe0888235)
	putField(neg[16:], 0, 40)
	putField(neg[24:], 0, 40)

	h := NewHandshake(&Config{
		NetBIOSComputer: "Server", NetBIOSDomain: "Domain",
		LookupPassword: func(u, d string) (string, bool) {
			if u == vec.user && d == vec.domain {
				return vec.password, true
			}
			return "", false
		},
		Rand: fixedRand(unhex(t, vec.serverChallenge)),
	})
	ch, err := h.Negotiate(neg)
	if err != nil {
		t.Fatal(err)
	}
	flags := binary.LittleEndian.Uint32(ch[20:])
	// Same session-security bits as the specification's CHALLENGE (it also
	// has OEM and lacks REQUEST_TARGET, which do not affect keys).
	if flags&keyFlags != vec.flags&keyFlags {
		t.Fatalf("challenge flags %#08x, want key bits of %#08x", flags, vec.flags)
	}
	if !bytes.Equal(ch[24:32], unhex(t, vec.serverChallenge)) {
		t.Fatalf("server challenge %x", ch[24:32])
	}

	blob := ntlmv2Blob(unhex(t, vec.time), unhex(t, vec.clientChallenge), unhex(t, vec.targetInfo))
	version := [8]byte{5, 0, 0x93, 0x08, 0, 0, 0, 0x0f}
	msg := authMsg{
		flags:                     flags,
		lm:                        unhex(t, vec.lmv2),
		nt:                        append(unhex(t, vec.ntProofStr), blob...),
		domain:                    utf16le(vec.domain),
		user:                      utf16le(vec.user),
		workstation:               utf16le("COMPUTER"),
		encryptedRandomSessionKey: unhex(t, vec.encryptedRandomSessionKey),
		version:                   &version,
	}.marshal()
	s, err := h.Authenticate(msg)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if s.User() != vec.user || s.Domain() != vec.domain || s.Workstation() != "COMPUTER" {
		t.Errorf("identity %q %q %q", s.User(), s.Domain(), s.Workstation())
	}
	if got := hex.EncodeToString(s.exportedSessionKey); got != vec.randomSessionKey {
		t.Errorf("ExportedSessionKey %s", got)
	}
	plain, err := s.Unseal(unhex(t, vec.sealed), unhex(t, vec.sealedSignature))
	if err != nil {
		t.Fatalf("Unseal: %v", err)
	}
	if string(utf16.Decode(u16(plain))) != "Plaintext" {
		t.Errorf("unsealed %x", plain)
	}
}

func u16(b []byte) []uint16 {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return u
}
