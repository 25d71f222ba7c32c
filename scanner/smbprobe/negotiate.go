package smbprobe

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"fmt"
)

// SMB2 dialect revisions ([MS-SMB2] 2.2.3).
const (
	Dialect202 uint16 = 0x0202
	Dialect210 uint16 = 0x0210
	Dialect300 uint16 = 0x0300
	Dialect302 uint16 = 0x0302
	Dialect311 uint16 = 0x0311
	// DialectWildcard is the answer to a multi-protocol NEGOTIATE that
	// offered "SMB 2.???": the server speaks SMB 2.1 or later.
	DialectWildcard uint16 = 0x02FF
)

var offeredDialects = []uint16{Dialect202, Dialect210, Dialect300, Dialect302, Dialect311}

// DialectName renders a dialect revision as admins write it ("3.1.1").
func DialectName(d uint16) string {
	switch d {
	case Dialect202:
		return "2.0.2"
	case Dialect210:
		return "2.1"
	case Dialect300:
		return "3.0"
	case Dialect302:
		return "3.0.2"
	case Dialect311:
		return "3.1.1"
	case DialectWildcard:
		return "2.?"
	}
	return fmt.Sprintf("0x%04x", d)
}

// SMB2 global capabilities ([MS-SMB2] 2.2.4).
const (
	CapDFS               uint32 = 0x01
	CapLeasing           uint32 = 0x02
	CapLargeMTU          uint32 = 0x04
	CapMultiChannel      uint32 = 0x08
	CapPersistentHandles uint32 = 0x10
	CapDirectoryLeasing  uint32 = 0x20
	CapEncryption        uint32 = 0x40
)

// CapabilityNames lists the capability flags set in caps, in bit order.
func CapabilityNames(caps uint32) []string {
	names := []struct {
		bit  uint32
		name string
	}{
		{CapDFS, "dfs"}, {CapLeasing, "leasing"}, {CapLargeMTU, "large-mtu"},
		{CapMultiChannel, "multi-channel"}, {CapPersistentHandles, "persistent-handles"},
		{CapDirectoryLeasing, "directory-leasing"}, {CapEncryption, "encryption"},
	}
	var out []string
	for _, n := range names {
		if caps&n.bit != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// negotiateRequest builds an SMB2 NEGOTIATE offering every dialect from
// 2.0.2 to 3.1.1 with the contexts 3.1.1 requires (preauth integrity with
// SHA-512, [MS-SMB2] 2.2.3.1.1) and the usual ciphers and signing
// algorithms, as a Windows client sends them.
func negotiateRequest() []byte {
	const bodyFixed = 36
	var body bytes.Buffer
	le := binary.LittleEndian
	var fixed [bodyFixed]byte
	le.PutUint16(fixed[0:], 36) // StructureSize
	le.PutUint16(fixed[2:], uint16(len(offeredDialects)))
	le.PutUint16(fixed[4:], negotiateSigningEn)
	le.PutUint32(fixed[8:], CapDFS|CapLeasing|CapLargeMTU|CapEncryption)
	_, _ = rand.Read(fixed[12:28]) // ClientGuid
	body.Write(fixed[:])
	for _, d := range offeredDialects {
		_ = binary.Write(&body, le, d)
	}
	// Contexts start 8-byte aligned, counted from the SMB2 header.
	pad8(&body, smb2HeaderSize)
	ctxOffset := smb2HeaderSize + body.Len()

	salt := make([]byte, 32)
	_, _ = rand.Read(salt)
	preauth := le.AppendUint16(nil, 1)         // HashAlgorithmCount
	preauth = le.AppendUint16(preauth, 32)     // SaltLength
	preauth = le.AppendUint16(preauth, 0x0001) // SHA-512
	preauth = append(preauth, salt...)
	ciphers := le.AppendUint16(nil, 2)
	ciphers = le.AppendUint16(ciphers, 0x0002) // AES-128-GCM
	ciphers = le.AppendUint16(ciphers, 0x0001) // AES-128-CCM
	signing := le.AppendUint16(nil, 2)
	signing = le.AppendUint16(signing, 0x0002) // AES-GMAC
	signing = le.AppendUint16(signing, 0x0001) // AES-CMAC
	contexts := []struct {
		typ  uint16
		data []byte
	}{{0x0001, preauth}, {0x0002, ciphers}, {0x0008, signing}}
	for i, c := range contexts {
		if i > 0 {
			pad8(&body, smb2HeaderSize)
		}
		_ = binary.Write(&body, le, c.typ)
		_ = binary.Write(&body, le, uint16(len(c.data)))
		body.Write([]byte{0, 0, 0, 0})
		body.Write(c.data)
	}
	b := body.Bytes()
	le.PutUint32(b[28:], uint32(ctxOffset))
	le.PutUint16(b[32:], uint16(len(contexts)))
	return smb2Request(cmdNegotiate, 0, 0, b)
}

func pad8(b *bytes.Buffer, base int) {
	for (base+b.Len())%8 != 0 {
		b.WriteByte(0)
	}
}

// Negotiation is what an SMB2 NEGOTIATE response says.
type Negotiation struct {
	Dialect         uint16
	SigningEnabled  bool
	SigningRequired bool
	Capabilities    uint32
	// SecurityBlob is the SPNEGO NegTokenInit the server advertises (may
	// be empty: the client then picks a mechanism itself).
	SecurityBlob []byte
}

// ParseNegotiateResponse parses an SMB2 NEGOTIATE response (header
// included).
func ParseNegotiateResponse(msg []byte) (*Negotiation, error) {
	h, msg, err := parseSMB2Header(msg)
	if err != nil {
		return nil, err
	}
	if h.Command != cmdNegotiate {
		return nil, fmt.Errorf("SMB2 answer to NEGOTIATE has command %d", h.Command)
	}
	if h.Status != 0 {
		return nil, &StatusError{Op: "NEGOTIATE", Status: h.Status}
	}
	body := msg[smb2HeaderSize:]
	if len(body) < 64 {
		return nil, fmt.Errorf("SMB2 NEGOTIATE response truncated (%d-byte body)", len(body))
	}
	le := binary.LittleEndian
	if s := le.Uint16(body); s != 65 {
		return nil, fmt.Errorf("SMB2 NEGOTIATE response has structure size %d, not 65", s)
	}
	mode := le.Uint16(body[2:])
	n := &Negotiation{
		Dialect:         le.Uint16(body[4:]),
		SigningEnabled:  mode&negotiateSigningEn != 0,
		SigningRequired: mode&negotiateSigningReq != 0,
		Capabilities:    le.Uint32(body[24:]),
	}
	off, length := int(le.Uint16(body[56:])), int(le.Uint16(body[58:]))
	if length > 0 {
		blob, ok := slice(msg, off, length)
		if !ok {
			return nil, fmt.Errorf("SMB2 NEGOTIATE security buffer (offset %d, length %d) lies outside the %d-byte message", off, length, len(msg))
		}
		n.SecurityBlob = append([]byte(nil), blob...)
	}
	return n, nil
}

// SMB1 dialect strings offered by the multi-protocol NEGOTIATE, in order.
var smb1Dialects = []string{"NT LM 0.12", "SMB 2.002", "SMB 2.???"}

// smb1NegotiateRequest builds an SMB1 NEGOTIATE ([MS-SMB] 2.2.4.5.1)
// offering NT LM 0.12 and the two SMB2 dialect strings: an SMB2 server
// answers in SMB2, an SMB1-only server picks NT LM 0.12.
func smb1NegotiateRequest() []byte {
	b := make([]byte, 32, 64)
	copy(b, smb1Magic[:])
	b[4] = 0x72 // SMB_COM_NEGOTIATE
	b[9] = 0x18 // Flags: case-insensitive, canonicalized paths
	// Flags2: unicode, NT status, extended security, long names.
	binary.LittleEndian.PutUint16(b[10:], 0xC853)
	b = append(b, 0) // WordCount
	var bytesPart []byte
	for _, d := range smb1Dialects {
		bytesPart = append(bytesPart, 0x02)
		bytesPart = append(bytesPart, d...)
		bytesPart = append(bytesPart, 0)
	}
	b = binary.LittleEndian.AppendUint16(b, uint16(len(bytesPart)))
	return append(b, bytesPart...)
}

// SMB1Negotiation is what an SMB1 NEGOTIATE response says.
type SMB1Negotiation struct {
	Dialect         string // the dialect string the server chose
	SigningEnabled  bool
	SigningRequired bool
	// SecurityBlob is the SPNEGO NegTokenInit when the server uses
	// extended security.
	SecurityBlob []byte
}

// ParseSMB1NegotiateResponse parses an SMB1 NEGOTIATE response.
func ParseSMB1NegotiateResponse(msg []byte) (*SMB1Negotiation, error) {
	if len(msg) < 35 || [4]byte(msg[:4]) != smb1Magic {
		return nil, fmt.Errorf("not an SMB1 NEGOTIATE response (%d bytes)", len(msg))
	}
	le := binary.LittleEndian
	if msg[4] != 0x72 {
		return nil, fmt.Errorf("SMB1 answer to NEGOTIATE has command 0x%02x", msg[4])
	}
	if st := le.Uint32(msg[5:]); st != 0 {
		return nil, &StatusError{Op: "SMB1 NEGOTIATE", Status: st}
	}
	wc := int(msg[32])
	words, ok := slice(msg, 33, 2*wc)
	if !ok || wc < 1 {
		return nil, fmt.Errorf("SMB1 NEGOTIATE response truncated (word count %d)", wc)
	}
	idx := int(le.Uint16(words))
	if idx == 0xFFFF || idx >= len(smb1Dialects) {
		return nil, fmt.Errorf("the SMB1 server accepted none of the offered dialects (index %d)", idx)
	}
	n := &SMB1Negotiation{Dialect: smb1Dialects[idx]}
	if wc < 17 {
		// Pre-NT dialect answers are shorter; NT LM 0.12 has 17 words.
		return n, nil
	}
	mode := words[2]
	n.SigningEnabled = mode&0x04 != 0
	n.SigningRequired = mode&0x08 != 0
	caps := le.Uint32(words[19:])
	bc, ok := slice(msg, 33+2*wc, 2)
	if !ok {
		return n, nil
	}
	data, ok := slice(msg, 35+2*wc, int(le.Uint16(bc)))
	if !ok {
		return nil, fmt.Errorf("SMB1 NEGOTIATE byte count %d exceeds the message", le.Uint16(bc))
	}
	const capExtendedSecurity = 0x80000000
	if caps&capExtendedSecurity != 0 && len(data) > 16 {
		n.SecurityBlob = append([]byte(nil), data[16:]...) // after ServerGUID
	}
	return n, nil
}
