package ntlmserver

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"time"
)

func TestChallengeFlags(t *testing.T) {
	cases := []struct {
		name         string
		client       uint32
		domainJoined bool
		want         uint32
	}{
		// Captured from Windows Server 2012 R2 (a published packet capture:
		// jborean93/github-misc, packer/issue-6205).
		{"2018 go-ntlmssp, captured", 0x00008205, false, 0x02828205},
		{"pywinrm ntlm-auth OEM, captured", 0xE2889032, false, 0xE28A8236},
		// Inferred by applying the rule (see ChallengeFlags).
		{"Azure 754e693, inferred", 0xA0880001, false, 0xA28A0205},
		{"bodgit, inferred", 0xE0888031, false, 0xE28A8235},
		// Further consequences of the rule.
		{"bodgit with domain supplied", 0xE0889031, false, 0xE28A8235},
		{"domain member", 0xE0888031, true, 0xE2898235},
		{"LM_KEY, DATAGRAM, IDENTIFY, ANONYMOUS never echoed", 0x00108AC1, false, 0x02828205},
		{"UNICODE wins over OEM", 0x00000003, false, 0x02820205},
		{"neither UNICODE nor OEM", 0x00000000, false, 0x02820206},
	}
	for _, c := range cases {
		if got := ChallengeFlags(c.client, c.domainJoined); got != c.want {
			t.Errorf("%s: ChallengeFlags(%#08x) = %#08x, want %#08x", c.name, c.client, got, c.want)
		}
	}
}

type parsedChallenge struct {
	targetName      []byte
	flags           uint32
	serverChallenge []byte
	reserved        []byte
	targetInfo      []byte
	version         []byte
	avIDs           []uint16
	av              map[uint16][]byte
}

// parseChallenge is a strict test-side reader of our CHALLENGE.
func parseChallenge(t *testing.T, b []byte) parsedChallenge {
	t.Helper()
	if typ, err := MessageType(b); err != nil || typ != 2 || len(b) < 56 {
		t.Fatalf("not a CHALLENGE: %v %d", err, len(b))
	}
	get := func(at int) []byte {
		l := int(binary.LittleEndian.Uint16(b[at:]))
		ml := int(binary.LittleEndian.Uint16(b[at+2:]))
		off := int(binary.LittleEndian.Uint32(b[at+4:]))
		if l != ml || off+l > len(b) {
			t.Fatalf("bad field at %d", at)
		}
		return b[off : off+l]
	}
	p := parsedChallenge{
		targetName:      get(12),
		flags:           binary.LittleEndian.Uint32(b[20:]),
		serverChallenge: b[24:32],
		reserved:        b[32:40],
		targetInfo:      get(40),
		version:         b[48:56],
		av:              map[uint16][]byte{},
	}
	if off := binary.LittleEndian.Uint32(b[16:]); off != 56 {
		t.Errorf("TargetName offset %d, want 56 (right after the Version)", off)
	}
	ti := p.targetInfo
	for {
		if len(ti) < 4 {
			t.Fatal("TargetInfo not terminated by MsvAvEOL")
		}
		id, l := binary.LittleEndian.Uint16(ti), int(binary.LittleEndian.Uint16(ti[2:]))
		p.avIDs = append(p.avIDs, id)
		p.av[id] = ti[4 : 4+l]
		ti = ti[4+l:]
		if id == avEOL {
			break
		}
	}
	if len(ti) != 0 {
		t.Error("bytes after MsvAvEOL")
	}
	return p
}

func TestChallengeContents(t *testing.T) {
	sc := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	cases := []struct {
		name        string
		cfg         Config
		clientFlags uint32
		wantTarget  []byte
		wantNames   [4]string // NbDomain, NbComputer, DnsDomain, DnsComputer
		wantVersion []byte
	}{
		{"workgroup, UNICODE",
			Config{NetBIOSComputer: "vagrant-cfgtv38", NetBIOSDomain: "VAGRANT-CFGTV38", DNSComputer: "vagrant-cfgtv38", DNSDomain: "vagrant-cfgtv38"},
			0xE0888031, utf16le("VAGRANT-CFGTV38"),
			[4]string{"VAGRANT-CFGTV38", "VAGRANT-CFGTV38", "vagrant-cfgtv38", "vagrant-cfgtv38"},
			[]byte{6, 3, 0x80, 0x25, 0, 0, 0, 0x0F}},
		{"workgroup, names defaulted",
			Config{NetBIOSComputer: "Core01"},
			0xA0880001, utf16le("CORE01"),
			[4]string{"CORE01", "CORE01", "Core01", "Core01"},
			[]byte{6, 3, 0x80, 0x25, 0, 0, 0, 0x0F}},
		{"domain member, OEM",
			Config{NetBIOSComputer: "CORE01", NetBIOSDomain: "corp", DNSComputer: "core01.corp.example", DNSDomain: "corp.example", DomainJoined: true,
				Version: [8]byte{10, 0, 0x39, 0x38, 0, 0, 0, 0x0F}},
			0xE2889032, []byte("CORP"),
			[4]string{"CORP", "CORE01", "corp.example", "core01.corp.example"},
			[]byte{10, 0, 0x39, 0x38, 0, 0, 0, 0x0F}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			now := time.Date(2020, 1, 2, 3, 4, 5, 600, time.UTC)
			cfg := c.cfg
			cfg.Now = func() time.Time { return now }
			cfg.Rand = bytes.NewReader(sc)
			neg := make([]byte, 16)
			copy(neg, "NTLMSSP\x00")
			neg[8] = 1
			binary.LittleEndian.PutUint32(neg[12:], c.clientFlags)
			ch, err := NewHandshake(&cfg).Negotiate(neg)
			if err != nil {
				t.Fatal(err)
			}
			p := parseChallenge(t, ch)
			if p.flags != ChallengeFlags(c.clientFlags, c.cfg.DomainJoined) {
				t.Errorf("flags %#08x", p.flags)
			}
			if !bytes.Equal(p.targetName, c.wantTarget) {
				t.Errorf("TargetName %q, want %q", p.targetName, c.wantTarget)
			}
			if !bytes.Equal(p.serverChallenge, sc) || !bytes.Equal(p.reserved, make([]byte, 8)) {
				t.Errorf("ServerChallenge %x Reserved %x", p.serverChallenge, p.reserved)
			}
			if !bytes.Equal(p.version, c.wantVersion) {
				t.Errorf("Version %x, want %x", p.version, c.wantVersion)
			}
			wantIDs := []uint16{avNbDomainName, avNbComputerName, avDNSDomain, avDNSComputer, avTimestamp, avEOL}
			if !equalU16(p.avIDs, wantIDs) {
				t.Errorf("AV pair order %v, want %v", p.avIDs, wantIDs)
			}
			for i, id := range wantIDs[:4] {
				if got := string(p.av[id]); got != string(utf16le(c.wantNames[i])) {
					t.Errorf("AV %d = %q, want UTF-16 %q", id, got, c.wantNames[i])
				}
			}
			// 2020-01-02T03:04:05.0000006Z as FILETIME, computed independently.
			wantTS := uint64(now.Unix()+11644473600)*10_000_000 + 6
			if got := binary.LittleEndian.Uint64(p.av[avTimestamp]); got != wantTS {
				t.Errorf("Timestamp %d, want %d", got, wantTS)
			}
		})
	}
}

func equalU16(a, b []uint16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

func TestNegotiateErrors(t *testing.T) {
	valid := []byte("NTLMSSP\x00\x01\x00\x00\x00\x05\x82\x00\x00")
	cases := []struct {
		name string
		msg  []byte
		cfg  Config
		want error
	}{
		{"empty", nil, Config{}, ErrMalformed},
		{"bad signature", []byte("NTLMSSQ\x00\x01\x00\x00\x00\x05\x82\x00\x00"), Config{}, ErrMalformed},
		{"type 3 instead of 1", []byte("NTLMSSP\x00\x03\x00\x00\x00\x05\x82\x00\x00"), Config{}, ErrMalformed},
		{"no flags", valid[:14], Config{}, ErrMalformed},
		{"domain field out of bounds", append(append(bytes.Clone(valid), 4, 0, 4, 0, 0xFF, 0, 0, 0), make([]byte, 8)...), Config{}, ErrMalformed},
		{"rand fails", valid, Config{Rand: failingReader{}}, nil},
	}
	for _, c := range cases {
		_, err := NewHandshake(&c.cfg).Negotiate(c.msg)
		if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := NewHandshake(&Config{}).Negotiate(valid); err != nil {
		t.Errorf("16-byte NEGOTIATE (2018 go-ntlmssp) refused: %v", err)
	}
	if _, err := NewHandshake(nil).Negotiate(valid); err != nil {
		t.Errorf("nil Config: %v", err)
	}
}

func TestMessageType(t *testing.T) {
	cases := []struct {
		msg  string
		want uint32
		ok   bool
	}{
		{"NTLMSSP\x00\x01\x00\x00\x00", 1, true},
		{"NTLMSSP\x00\x02\x00\x00\x00rest", 2, true},
		{"NTLMSSP\x00\x03\x00\x00\x00", 3, true},
		{"NTLMSSP\x00\x04\x00\x00\x00", 0, false},
		{"NTLMSSP\x00\x00\x00\x00\x00", 0, false},
		{"NTLMSSP\x00\x01\x00\x00", 0, false},
		{"ntlmssp\x00\x01\x00\x00\x00", 0, false},
		{"", 0, false},
	}
	for _, c := range cases {
		got, err := MessageType([]byte(c.msg))
		if c.ok && (err != nil || got != c.want) {
			t.Errorf("MessageType(%q) = %d, %v; want %d", c.msg, got, err, c.want)
		}
		if !c.ok && !errors.Is(err, ErrMalformed) {
			t.Errorf("MessageType(%q) err = %v, want ErrMalformed", c.msg, err)
		}
	}
}
