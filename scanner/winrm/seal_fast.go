package winrm

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rc4"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"hash"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf16"

	//lint:ignore SA1019 NTLM's NT hash is MD4 by definition ([MS-NLMP] 3.3.1); no other hash interoperates
	"golang.org/x/crypto/md4"
)

// fastSeal is [MS-NLMP] 3.4.4 sealing (NTLMv2, extended session security)
// done in place: bodgit/ntlmssp copies every message three times and builds
// a new HMAC per message, which was a third of what a scan allocated. The
// session keys are derived again from what the client itself sent in its
// AUTHENTICATE message and the password ([MS-NLMP] 3.3.2, 3.4.5); bodgit
// does not export them. The first message is sealed by both and compared
// (ntlmSealer.Wrap): only an exact match switches the connection to
// fastSeal, so a derivation that ever disagreed would leave bodgit in charge.
type fastSeal struct {
	in, out       *rc4.Cipher
	inMAC, outMAC hash.Hash
	inSeq, outSeq uint32
	keyExch       bool
}

// fastSealConns counts connections that switched to fastSeal (for tests).
var fastSealConns atomic.Int64

const (
	ntlmFlagESS     = 0x00080000
	ntlmFlag128     = 0x20000000
	ntlmFlag56      = 0x80000000
	ntlmFlagKeyExch = 0x40000000
)

var (
	clientSigningMagic = []byte("session key to client-to-server signing key magic constant\x00")
	serverSigningMagic = []byte("session key to server-to-client signing key magic constant\x00")
	clientSealingMagic = []byte("session key to client-to-server sealing key magic constant\x00")
	serverSealingMagic = []byte("session key to server-to-client sealing key magic constant\x00")
)

// newFastSeal derives the client's sealing state from its AUTHENTICATE
// message; nil when the logon is not one it handles (then bodgit seals).
func newFastSeal(user, domain, password string, authenticate []byte) *fastSeal {
	if len(authenticate) < 64 || !bytes.HasPrefix(authenticate, []byte("NTLMSSP\x00")) ||
		binary.LittleEndian.Uint32(authenticate[8:12]) != 3 {
		return nil
	}
	field := func(off int) []byte {
		n := int(binary.LittleEndian.Uint16(authenticate[off:]))
		at := int(binary.LittleEndian.Uint32(authenticate[off+4:]))
		if at < 0 || n < 0 || at+n > len(authenticate) {
			return nil
		}
		return authenticate[at : at+n]
	}
	flags := binary.LittleEndian.Uint32(authenticate[60:64])
	ntResp, encKey := field(20), field(52)
	if flags&ntlmFlagESS == 0 || flags&(ntlmFlagSeal|ntlmFlagSign) != ntlmFlagSeal|ntlmFlagSign || len(ntResp) <= 24 {
		return nil // NTLMv1 or no sealing: not handled here
	}
	h := md4.New()
	h.Write(utf16le(password))
	ntowf2 := hmacMD5(h.Sum(nil), utf16le(strings.ToUpper(user)+domain))
	kxk := hmacMD5(ntowf2, ntResp[:16]) // SessionBaseKey = KeyExchangeKey for NTLMv2
	esk := kxk
	if flags&ntlmFlagKeyExch != 0 {
		if len(encKey) != 16 {
			return nil
		}
		c, err := rc4.NewCipher(kxk)
		if err != nil {
			return nil
		}
		esk = make([]byte, 16)
		c.XORKeyStream(esk, encKey)
	}
	sealKey := func(magic []byte) []byte {
		k := esk
		switch {
		case flags&ntlmFlag128 != 0:
		case flags&ntlmFlag56 != 0:
			k = esk[:7]
		default:
			k = esk[:5]
		}
		s := md5.Sum(append(append([]byte{}, k...), magic...))
		return s[:]
	}
	signKey := func(magic []byte) []byte {
		s := md5.Sum(append(append([]byte{}, esk...), magic...))
		return s[:]
	}
	out, err1 := rc4.NewCipher(sealKey(clientSealingMagic))
	in, err2 := rc4.NewCipher(sealKey(serverSealingMagic))
	if err1 != nil || err2 != nil {
		return nil
	}
	return &fastSeal{
		in: in, out: out,
		inMAC:   hmac.New(md5.New, signKey(serverSigningMagic)),
		outMAC:  hmac.New(md5.New, signKey(clientSigningMagic)),
		keyExch: flags&ntlmFlagKeyExch != 0,
	}
}

func utf16le(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

func hmacMD5(key, msg []byte) []byte {
	m := hmac.New(md5.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// signature writes the 16-byte signature of plain (sealing state h, MAC m,
// sequence seq) into sig; it advances h as [MS-NLMP] 3.4.4.2 does.
func (f *fastSeal) signature(sig []byte, h *rc4.Cipher, m hash.Hash, seq uint32, plain []byte) {
	binary.LittleEndian.PutUint32(sig[0:4], 1)
	binary.LittleEndian.PutUint32(sig[12:16], seq)
	m.Reset()
	m.Write(sig[12:16])
	m.Write(plain)
	var sum [md5.Size]byte
	copy(sig[4:12], m.Sum(sum[:0]))
	if f.keyExch {
		h.XORKeyStream(sig[4:12], sig[4:12])
	}
}

// frame seals soap straight into a pooled multipart/encrypted body (the
// layout of frameSealed).
func (f *fastSeal) frame(soap []byte) []byte {
	b := getBuffer()
	b.Grow(len(soap) + 300)
	b.WriteString("--" + encryptedBoundary + "\r\n")
	b.WriteString("\tContent-Type: " + spnegoProtocol + "\r\n")
	b.WriteString("\tOriginalContent: type=" + soapContentType + ";Length=" + strconv.Itoa(len(soap)) + "\r\n")
	b.WriteString("--" + encryptedBoundary + "\r\n")
	b.WriteString("\tContent-Type: application/octet-stream\r\n")
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], ntlmSignatureLen)
	b.Write(n[:])
	sigAt := b.Len()
	b.Write(make([]byte, ntlmSignatureLen))
	msgAt := b.Len()
	b.Write(soap)
	b.WriteString("--" + encryptedBoundary + "--\r\n")
	out := b.Bytes()
	msg := out[msgAt : msgAt+len(soap)]
	f.out.XORKeyStream(msg, msg)
	f.signature(out[sigAt:msgAt], f.out, f.outMAC, f.outSeq, soap)
	f.outSeq++
	lentBodies.Store(&out[0], b)
	return out
}

// unseal decrypts the parts into one new slice and checks each signature.
func (f *fastSeal) unseal(parts []sealedPart) ([]byte, error) {
	total := 0
	for _, p := range parts {
		total += len(p.Sealed)
	}
	out := make([]byte, 0, total)
	var want [ntlmSignatureLen]byte
	for _, p := range parts {
		at := len(out)
		out = out[:at+len(p.Sealed)]
		plain := out[at:]
		f.in.XORKeyStream(plain, p.Sealed)
		f.signature(want[:], f.in, f.inMAC, f.inSeq, plain)
		if len(p.Signature) != ntlmSignatureLen || subtle.ConstantTimeCompare(want[4:12], p.Signature[4:12]) != 1 {
			return nil, errors.New("checksum does not match")
		}
		if subtle.ConstantTimeCompare(want[12:16], p.Signature[12:16]) != 1 {
			return nil, errors.New("sequence number does not match")
		}
		f.inSeq++
	}
	return out, nil
}
