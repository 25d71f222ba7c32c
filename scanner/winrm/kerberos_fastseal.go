package winrm

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"sync"

	"github.com/jcmturner/gokrb5/v8/crypto/rfc3961"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
)

// RFC 4121 wrap tokens with AES (RFC 3962) done in place. gokrb5's
// aes-cts copies a message four times and allocates a new cipher and HMAC
// for each; with the copies of rotation and framing a 14 KB message cost
// 120 KB of garbage and most of a Kerberos host's sealing time. Here the
// token is built straight into the pooled request body and a reply is
// opened into one buffer. Only the layout every AES implementation sends
// (EC 0, RRC 28, a 60-byte head) takes this path; anything else goes
// through wrapRFC4121Keys / unwrapRFC4121Keys as before.
const (
	aesConfounder = aes.BlockSize // RFC 3962: one cipher block
	aesMAC        = 12            // HMAC-SHA1-96
	aesRRC        = 16 + aesMAC   // the header copy and the MAC rotated to the front
	aesWrapHead   = 16 + aesRRC + aesConfounder
)

// fastAES is the per-usage state of the in-place path: the AES block
// cipher for Ke and a reusable HMAC-SHA1 for Ki. A krbSealer uses one for
// sending and one for receiving, one message at a time.
type fastAES struct {
	block    cipher.Block
	mac      hash.Hash
	enc, dec cipher.BlockMode
	// scratch for the stolen blocks and the MAC (kept here: passed to the
	// block cipher's interface methods they would escape, one allocation
	// each per message)
	s   [4][aes.BlockSize]byte
	sum [sha1.Size]byte
}

// ivSetter is implemented by the standard library's CBC modes: a context
// keeps its two modes and only resets their IV.
type ivSetter interface{ SetIV([]byte) }

func newFastAES(u *usageKeys) *fastAES {
	switch u.et.GetETypeID() {
	case etypeID.AES128_CTS_HMAC_SHA1_96, etypeID.AES256_CTS_HMAC_SHA1_96:
	default:
		return nil
	}
	b, err := aes.NewCipher(u.ke)
	if err != nil {
		return nil
	}
	return &fastAES{block: b, mac: hmac.New(sha1.New, u.ki)}
}

// cbc returns m (made on first use) with a zero IV.
func cbc(m *cipher.BlockMode, mk func(cipher.Block, []byte) cipher.BlockMode, b cipher.Block) cipher.BlockMode {
	if s, ok := (*m).(ivSetter); ok {
		s.SetIV(zeroIV[:])
		return *m
	}
	*m = mk(b, zeroIV[:])
	return *m
}

var zeroIV [aes.BlockSize]byte

// ctsEncrypt encrypts p[:n] in place with AES-CBC and ciphertext stealing
// (RFC 3962 5: the last two blocks swapped, the result as long as the
// plaintext); p must hold n rounded up to whole blocks, zeros after n.
func (f *fastAES) ctsEncrypt(p []byte, n int) {
	m := (n + aes.BlockSize - 1) / aes.BlockSize
	cbc(&f.enc, cipher.NewCBCEncrypter, f.block).CryptBlocks(p[:m*aes.BlockSize], p[:m*aes.BlockSize])
	if m < 2 {
		return
	}
	d := n - (m-1)*aes.BlockSize
	prev := &f.s[0]
	copy(prev[:], p[(m-2)*aes.BlockSize:])
	copy(p[(m-2)*aes.BlockSize:], p[(m-1)*aes.BlockSize:m*aes.BlockSize])
	copy(p[(m-1)*aes.BlockSize:n], prev[:d])
}

// ctsDecrypt reverses ctsEncrypt in place on c (more than one block).
func (f *fastAES) ctsDecrypt(c []byte) {
	n := len(c)
	m := (n + aes.BlockSize - 1) / aes.BlockSize
	d := n - (m-1)*aes.BlockSize
	iv, x, pen, pLast := &f.s[0], &f.s[1], &f.s[2], &f.s[3]
	*iv, *pLast = [aes.BlockSize]byte{}, [aes.BlockSize]byte{}
	if m >= 3 {
		copy(iv[:], c[(m-3)*aes.BlockSize:])
	}
	// The last CBC block, stolen forward, decrypts to the penultimate CBC
	// block XOR the zero-padded last plaintext block.
	f.block.Decrypt(x[:], c[(m-2)*aes.BlockSize:(m-1)*aes.BlockSize])
	copy(pen[:], c[(m-1)*aes.BlockSize:n])
	for i := range d {
		pLast[i] = x[i] ^ pen[i]
	}
	copy(pen[d:], x[d:]) // the penultimate CBC block, whole again
	f.block.Decrypt(x[:], pen[:])
	subtle.XORBytes(x[:], x[:], iv[:])
	if m >= 3 {
		cbc(&f.dec, cipher.NewCBCDecrypter, f.block).CryptBlocks(c[:(m-2)*aes.BlockSize], c[:(m-2)*aes.BlockSize])
	}
	copy(c[(m-2)*aes.BlockSize:], x[:])
	copy(c[(m-1)*aes.BlockSize:n], pLast[:d])
}

// frame seals soap as one wrap token (flags fl, sequence seq) straight
// into a pooled multipart/encrypted body, the layout of frameEncrypted:
// head = token header | last 16 bytes of the ciphertext | MAC | encrypted
// confounder, then the ciphertext of soap (its length).
func (f *fastAES) frame(protocol string, fl byte, seq uint64, soap []byte) ([]byte, error) {
	n := len(soap)
	plain := aesConfounder + n + 16 // confounder | soap | header copy
	padded := (plain + aes.BlockSize - 1) / aes.BlockSize * aes.BlockSize
	b := getBuffer()
	b.Grow(n + 300 + padded - plain)
	b.WriteString("--" + encryptedBoundary + "\r\n\tContent-Type: ")
	b.WriteString(protocol)
	b.WriteString("\r\n\tOriginalContent: type=" + soapContentType + ";Length=")
	var num [20]byte
	b.Write(strconv.AppendInt(num[:0], int64(n), 10))
	b.WriteString("\r\n--" + encryptedBoundary + "\r\n\tContent-Type: application/octet-stream\r\n")
	var hdr [16]byte
	hdr[0], hdr[1], hdr[2], hdr[3] = 0x05, 0x04, fl, 0xff
	binary.BigEndian.PutUint64(hdr[8:], seq)
	var l [4]byte
	binary.LittleEndian.PutUint32(l[:], aesWrapHead)
	b.Write(l[:])
	headAt := b.Len()
	var zero [aesWrapHead]byte
	b.Write(zero[:aesWrapHead-aesConfounder])
	// The plaintext sits where its ciphertext goes: the encrypted
	// confounder ends the head and the encrypted soap follows it.
	pAt := b.Len()
	b.Write(zero[:aesConfounder])
	b.Write(soap)
	b.Write(hdr[:]) // the copy, EC and RRC 0 (RFC 4121 4.2.4)
	b.Write(zero[:padded-plain])
	out := b.Bytes()
	p := out[pAt : pAt+padded]
	if _, err := rand.Read(p[:aesConfounder]); err != nil {
		putBuffer(b)
		return nil, err
	}
	f.mac.Reset()
	f.mac.Write(p[:plain])
	mac := f.mac.Sum(f.sum[:0])
	f.ctsEncrypt(p, plain)
	binary.BigEndian.PutUint16(hdr[6:8], aesRRC)
	copy(out[headAt:], hdr[:])
	copy(out[headAt+16:], p[plain-16:plain])
	copy(out[headAt+32:], mac[:aesMAC])
	b.Truncate(pAt + aesConfounder + n)
	b.WriteString("--" + encryptedBoundary + "--\r\n")
	out = b.Bytes()
	lentBodies.Store(&out[0], b)
	return out, nil
}

// errNotFastLayout: the token is not in the layout open handles.
var errNotFastLayout = errors.New("wrap token layout not handled in place")

// open decrypts and verifies a wrap token whose head is hdr and whose
// encrypted data is data, checking it as unwrapRFC4121Keys does; it
// returns errNotFastLayout for any layout but EC 0, RRC 28 with a 60-byte
// head (then unwrapRFC4121Keys must be used).
func (f *fastAES) open(acceptorSubkey, fromAcceptor bool, seq uint64, hdr, data []byte) ([]byte, error) {
	if len(hdr) != aesWrapHead || hdr[0] != 0x05 || hdr[1] != 0x04 || hdr[3] != 0xff ||
		binary.BigEndian.Uint16(hdr[4:6]) != 0 || binary.BigEndian.Uint16(hdr[6:8]) != aesRRC {
		return nil, errNotFastLayout
	}
	if err := checkWrapFlags(hdr[2], acceptorSubkey, fromAcceptor); err != nil {
		return nil, err
	}
	// Rotated back, the token is C | MAC with C = the encrypted confounder
	// (end of the head), data, and the 16 bytes after the token header.
	n := aesConfounder + len(data) + 16
	c := make([]byte, n)
	copy(c, hdr[aesWrapHead-aesConfounder:])
	copy(c[aesConfounder:], data)
	copy(c[n-16:], hdr[16:32])
	f.ctsDecrypt(c)
	f.mac.Reset()
	f.mac.Write(c)
	if !hmac.Equal(f.mac.Sum(f.sum[:0])[:aesMAC], hdr[32:32+aesMAC]) {
		return nil, fmt.Errorf("wrap token does not decrypt: %v", errors.New("integrity verification failed"))
	}
	copyHdr := c[n-16:]
	if subtle.ConstantTimeCompare(copyHdr[:6], hdr[:6]) != 1 || subtle.ConstantTimeCompare(copyHdr[8:16], hdr[8:16]) != 1 {
		return nil, errors.New("wrap token header does not match its encrypted copy")
	}
	if err := checkWrapSeq(binary.BigEndian.Uint64(hdr[8:16]), seq); err != nil {
		return nil, err
	}
	return c[aesConfounder : n-16], nil
}

// nfolded caches RFC 3961 n-fold of the key usage constants to one AES
// block: gokrb5 computes it bit by bit for every key it derives.
var nfolded sync.Map // string(constant) -> []byte

// deriveAESKey is RFC 3961 DK(key, constant) for AES (RFC 3962): the
// n-folded constant encrypted with key, then encrypted again until there
// are as many bytes as the key has (AES-CTS of a single block is AES
// itself). It is what gokrb5's DeriveKey computes, at a fraction of the
// cost (kerberos_fastseal_internal_test.go compares them).
func deriveAESKey(key, constant []byte) ([]byte, error) {
	nf, ok := nfolded.Load(string(constant))
	if !ok {
		nf, _ = nfolded.LoadOrStore(string(constant), rfc3961.Nfold(constant, aes.BlockSize*8))
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(key))
	var k [aes.BlockSize]byte
	b.Encrypt(k[:], nf.([]byte))
	for i := copy(out, k[:]); i < len(out); {
		b.Encrypt(k[:], k[:])
		i += copy(out[i:], k[:])
	}
	return out, nil
}
