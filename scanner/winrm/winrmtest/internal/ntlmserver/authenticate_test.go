package ntlmserver

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// oemNegotiate is the NEGOTIATE of the pywinrm 0.3-era ntlm-auth client:
// flags 0xE2889032 (OEM, no UNICODE), OEM domain supplied, a Version.
func oemNegotiate(domain string) []byte {
	b := make([]byte, 40)
	copy(b, "NTLMSSP\x00")
	binary.LittleEndian.PutUint32(b[8:], 1)
	binary.LittleEndian.PutUint32(b[12:], 0xE2889032)
	putField(b[16:], len(domain), 40)
	putField(b[24:], 0, 40+len(domain))
	copy(b[32:], []byte{6, 1, 0xB1, 0x1D, 0, 0, 0, 0x0F})
	return append(b, domain...)
}

// clientAuth plays an NTLMv2 client by hand, following [MS-NLMP] 3.1.5.1.2,
// against a CHALLENGE: it adds MsvAvFlags=MIC to the server's AV pairs,
// exchanges randomKey when KEY_EXCH is set and signs with a MIC.
type clientAuth struct {
	user, domain, password, workstation string
	unicode                             bool
	randomKey                           []byte
	mic                                 bool
	dropFlags                           uint32 // bits of the CHALLENGE the client declines
}

func (c clientAuth) build(t *testing.T, neg, ch []byte) (msg []byte, exported []byte) {
	t.Helper()
	p := parseChallenge(t, ch)
	var av []byte
	ti := p.targetInfo
	for len(ti) >= 4 { // server pairs without EOL
		id, l := binary.LittleEndian.Uint16(ti), int(binary.LittleEndian.Uint16(ti[2:]))
		if id == avEOL {
			break
		}
		av = append(av, ti[:4+l]...)
		ti = ti[4+l:]
	}
	if c.mic {
		av = appendAV(av, avFlags, []byte{avFlagMICPresent, 0, 0, 0})
	}
	av = appendAV(av, avEOL, nil)
	blob := ntlmv2Blob(p.av[avTimestamp], []byte("cLiEnTcH"), av)
	ntowf := ntowfv2(c.password, c.user, c.domain)
	proof := hmacMD5(ntowf, p.serverChallenge, blob)
	kek := hmacMD5(ntowf, proof)
	exported = kek
	var ersk []byte
	flags := p.flags &^ c.dropFlags
	if flags&FlagKeyExch != 0 {
		exported = c.randomKey
		ersk = rc4Once(kek, c.randomKey)
	}
	enc := oemBytes
	if c.unicode {
		enc = utf16le
	}
	version := [8]byte{6, 1, 0xB1, 0x1D, 0, 0, 0, 0x0F}
	msg = authMsg{
		flags:                     flags,
		lm:                        make([]byte, 24),
		nt:                        append(proof, blob...),
		domain:                    enc(c.domain),
		user:                      enc(c.user),
		workstation:               enc(c.workstation),
		encryptedRandomSessionKey: ersk,
		version:                   &version,
		mic:                       c.mic,
		negotiate:                 neg,
		challenge:                 ch,
		micKey:                    exported,
	}.marshal()
	return msg, exported
}

func TestOEMClient(t *testing.T) {
	key := bytes.Repeat([]byte{0x5A}, 16)
	cases := []struct {
		name    string
		client  clientAuth
		wantErr error
	}{
		{"OEM with MIC", clientAuth{user: "alice", domain: "CORE01", password: testPassword, workstation: "ANSIBLE", randomKey: key, mic: true}, nil},
		{"OEM without MIC", clientAuth{user: "ALICE", domain: "", password: testPassword, randomKey: key}, nil},
		// A client may decline KEY_EXCH in AUTHENTICATE; it then seals
		// with the key exchange key, and so must the server.
		{"client declines key exchange", clientAuth{user: "alice", domain: "CORE01", password: testPassword, mic: true, dropFlags: FlagKeyExch}, nil},
		{"client declines 128-bit", clientAuth{user: "alice", domain: "CORE01", password: testPassword, randomKey: key, mic: true, dropFlags: Flag128}, nil},
		{"OEM wrong password", clientAuth{user: "alice", domain: "CORE01", password: "bad", randomKey: key, mic: true}, ErrLogonFailure},
		// A client that ignores the OEM choice and says so in its flags is
		// still decoded correctly.
		{"UTF-16 strings flagged UNICODE", clientAuth{user: "alice", domain: "CORE01", password: testPassword, randomKey: key, unicode: true, mic: true}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			neg := oemNegotiate("CORE01")
			h := NewHandshake(workgroupConfig())
			ch, err := h.Negotiate(neg)
			if err != nil {
				t.Fatal(err)
			}
			p := parseChallenge(t, ch)
			if p.flags != 0xE28A8236 {
				t.Fatalf("CHALLENGE flags %#08x, want 0xE28A8236 as Windows 2012 R2 sent", p.flags)
			}
			if string(p.targetName) != "CORE01" {
				t.Fatalf("TargetName %q, want OEM CORE01", p.targetName)
			}
			auth, exported := tc.client.build(t, neg, ch)
			if tc.client.unicode {
				f := binary.LittleEndian.Uint32(auth[60:])&^FlagOEM | FlagUnicode
				binary.LittleEndian.PutUint32(auth[60:], f)
				if tc.client.mic { // the flags are under the MIC
					clear(auth[72:88])
					copy(auth[72:88], hmacMD5(exported, neg, ch, auth))
				}
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
			if s.User() != tc.client.user || s.Domain() != tc.client.domain || s.Workstation() != tc.client.workstation {
				t.Errorf("identity %q %q %q", s.User(), s.Domain(), s.Workstation())
			}
			if want := uint32(0xE28A8236) &^ tc.client.dropFlags; s.Flags() != want {
				t.Errorf("session flags %#08x, want %#08x", s.Flags(), want)
			}
			client := newSession(binary.LittleEndian.Uint32(auth[60:]), exported, roleClient)
			for i := range 3 {
				req := bytes.Repeat([]byte{byte(i)}, 100*i+1)
				sealed, sig := client.Seal(req)
				got, err := s.Unseal(sealed, sig)
				if err != nil || !bytes.Equal(got, req) {
					t.Fatalf("request %d: %v", i, err)
				}
				resp := bytes.Repeat([]byte{byte(i + 1)}, 70*i)
				sealed, sig = s.Seal(resp)
				if got, err := client.Unseal(sealed, sig); err != nil || !bytes.Equal(got, resp) {
					t.Fatalf("response %d: %v", i, err)
				}
			}
		})
	}
}

// Sealing without extended session security ([MS-NLMP] 3.4.4.1) has no
// reference client here; this checks the two directions agree and that the
// checksum and sequence number are enforced.
func TestSealWithoutESS(t *testing.T) {
	flags := FlagSeal | FlagSign | FlagKeyExch | Flag128 | FlagUnicode
	key := bytes.Repeat([]byte{7}, 16)
	client, server := newSession(flags, key, roleClient), newSession(flags, key, roleServer)
	m0s, m0sig := client.Seal([]byte("zero"))
	if got, err := server.Unseal(m0s, m0sig); err != nil || string(got) != "zero" {
		t.Fatalf("Unseal: %q %v", got, err)
	}
	m1s, m1sig := client.Seal([]byte("one"))
	m1sig[13] ^= 1
	if _, err := server.Unseal(m1s, m1sig); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("bad sequence number accepted: %v", err)
	}
}

func TestAuthenticateErrors(t *testing.T) {
	good := clientAuth{user: "alice", domain: "CORE01", password: testPassword, randomKey: bytes.Repeat([]byte{1}, 16), mic: true}
	cases := []struct {
		name string
		edit func(t *testing.T, neg, ch []byte) []byte
		want error
	}{
		{"garbage", func(*testing.T, []byte, []byte) []byte { return []byte("hello") }, ErrMalformed},
		{"NEGOTIATE again", func(_ *testing.T, neg, _ []byte) []byte { return neg }, ErrMalformed},
		{"short header", func(t *testing.T, neg, ch []byte) []byte {
			m, _ := good.build(t, neg, ch)
			return m[:63]
		}, ErrMalformed},
		{"field beyond end", func(t *testing.T, neg, ch []byte) []byte {
			m, _ := good.build(t, neg, ch)
			binary.LittleEndian.PutUint32(m[20+4:], uint32(len(m))) // Nt offset
			return m
		}, ErrMalformed},
		{"field offset overflow", func(t *testing.T, neg, ch []byte) []byte {
			m, _ := good.build(t, neg, ch)
			binary.LittleEndian.PutUint32(m[20+4:], 0xFFFFFFF0)
			return m
		}, ErrMalformed},
		{"payload inside header", func(t *testing.T, neg, ch []byte) []byte {
			m, _ := good.build(t, neg, ch)
			binary.LittleEndian.PutUint32(m[36+4:], 8) // User offset
			return m
		}, ErrMalformed},
		{"odd UTF-16 user", func(t *testing.T, neg, ch []byte) []byte {
			c := good
			c.unicode = true
			m, _ := c.build(t, neg, ch)
			binary.LittleEndian.PutUint32(m[60:], binary.LittleEndian.Uint32(m[60:])|FlagUnicode)
			binary.LittleEndian.PutUint16(m[36:], 3)
			return m
		}, ErrMalformed},
		{"NTLMv1 response", func(t *testing.T, neg, ch []byte) []byte {
			p := parseChallenge(t, ch)
			return authMsg{flags: p.flags, lm: make([]byte, 24), nt: make([]byte, 24), user: []byte("alice")}.marshal()
		}, ErrNTLMv1},
		{"anonymous", func(t *testing.T, neg, ch []byte) []byte {
			p := parseChallenge(t, ch)
			return authMsg{flags: p.flags | FlagAnonymous, lm: []byte{0}}.marshal()
		}, ErrLogonFailure},
		{"truncated NTLMv2 blob", func(t *testing.T, neg, ch []byte) []byte {
			p := parseChallenge(t, ch)
			return authMsg{flags: p.flags, nt: make([]byte, 30), user: []byte("alice")}.marshal()
		}, ErrMalformed},
		{"session key of wrong size", func(t *testing.T, neg, ch []byte) []byte {
			c := good
			c.mic = false
			m, _ := c.build(t, neg, ch)
			binary.LittleEndian.PutUint16(m[52:], 15)
			return m
		}, ErrMalformed},
		{"MIC announced but absent", func(t *testing.T, neg, ch []byte) []byte {
			m, _ := good.build(t, neg, ch)
			// Rebuild the same responses with a 72-byte header (no MIC field).
			var f [6][]byte
			for i := range f {
				f[i], _ = field(m, 12+8*i)
			}
			v := [8]byte{}
			return authMsg{flags: binary.LittleEndian.Uint32(m[60:]), lm: f[0], nt: f[1], domain: f[2], user: f[3], workstation: f[4], encryptedRandomSessionKey: f[5], version: &v}.marshal()
		}, ErrLogonFailure},
		{"tampered NTProofStr", func(t *testing.T, neg, ch []byte) []byte {
			m, _ := good.build(t, neg, ch)
			nt, _ := field(m, 20)
			nt[0] ^= 1
			return m
		}, ErrLogonFailure},
		{"tampered blob", func(t *testing.T, neg, ch []byte) []byte {
			m, _ := good.build(t, neg, ch)
			nt, _ := field(m, 20)
			nt[30] ^= 1
			return m
		}, ErrLogonFailure},
		{"domain changed", func(t *testing.T, neg, ch []byte) []byte {
			c := good
			m, _ := c.build(t, neg, ch)
			d, _ := field(m, 28)
			d[0] = 'X' // NTOWFv2 covers the domain as sent
			return m
		}, ErrLogonFailure},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			neg := oemNegotiate("")
			h := NewHandshake(workgroupConfig())
			ch, err := h.Negotiate(neg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = h.Authenticate(tc.edit(t, neg, ch))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestHandshakeSequence(t *testing.T) {
	good := clientAuth{user: "alice", domain: "", password: testPassword, randomKey: bytes.Repeat([]byte{2}, 16), mic: true}

	h := NewHandshake(workgroupConfig())
	if _, err := h.Authenticate([]byte("NTLMSSP\x00\x03\x00\x00\x00")); !errors.Is(err, ErrState) {
		t.Errorf("AUTHENTICATE before NEGOTIATE: %v", err)
	}

	neg := oemNegotiate("")
	ch, err := h.Negotiate(neg)
	if err != nil {
		t.Fatal(err)
	}
	auth, _ := good.build(t, neg, ch)
	if _, err := h.Authenticate(auth); err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if _, err := h.Authenticate(auth); !errors.Is(err, ErrState) {
		t.Errorf("second AUTHENTICATE on one challenge: %v", err)
	}

	// A failed attempt also ends the handshake: no password guessing
	// against one challenge.
	h = NewHandshake(workgroupConfig())
	ch, _ = h.Negotiate(neg)
	bad := good
	bad.password = "guess"
	m, _ := bad.build(t, neg, ch)
	if _, err := h.Authenticate(m); !errors.Is(err, ErrLogonFailure) {
		t.Fatalf("wrong password: %v", err)
	}
	m, _ = good.build(t, neg, ch)
	if _, err := h.Authenticate(m); !errors.Is(err, ErrState) {
		t.Errorf("retry after failure: %v", err)
	}

	// Negotiate restarts the context with a fresh challenge; a response to
	// the old one no longer verifies.
	h = NewHandshake(workgroupConfig())
	ch1, _ := h.Negotiate(neg)
	old, _ := good.build(t, neg, ch1)
	ch2, _ := h.Negotiate(neg)
	if bytes.Equal(ch1[24:32], ch2[24:32]) {
		t.Fatal("same server challenge twice")
	}
	if _, err := h.Authenticate(old); !errors.Is(err, ErrLogonFailure) {
		t.Errorf("response to a superseded challenge: %v", err)
	}
}
