package winrmtest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"strconv"

	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
)

// AES wrap tokens (RFC 4121 with RFC 3962) sealed and opened in one
// buffer each. gokrb5's aes-cts copies a message four times and the
// rotation and framing added three more: for a simulator answering
// thousands of hosts that was most of what Kerberos sealing cost. Only the
// layout MIT, Windows and ntlmscan send for AES (EC 0, RRC 28, a 60-byte
// head) is opened here; any other goes through krbUsageKeys.decrypt.
const (
	wrapConfounder = aes.BlockSize
	wrapMAC        = 12 // HMAC-SHA1-96
	wrapRRC        = 16 + wrapMAC
	wrapHead       = 16 + wrapRRC + wrapConfounder
)

// krbAES is one direction of a context: AES with Ke, HMAC-SHA1 with Ki.
// Used under the context's lock, one message at a time.
type krbAES struct {
	block    cipher.Block
	mac      hash.Hash
	enc, dec cipher.BlockMode
	blk      [4][aes.BlockSize]byte // scratch (on the heap once, not per message)
	sum      [sha1.Size]byte
}

func newKrbAES(u *krbUsageKeys) *krbAES {
	switch u.et.GetETypeID() {
	case etypeID.AES128_CTS_HMAC_SHA1_96, etypeID.AES256_CTS_HMAC_SHA1_96:
	default:
		return nil
	}
	b, err := aes.NewCipher(u.ke)
	if err != nil {
		return nil
	}
	var zero [aes.BlockSize]byte
	return &krbAES{block: b, mac: hmac.New(sha1.New, u.ki), enc: cipher.NewCBCEncrypter(b, zero[:]), dec: cipher.NewCBCDecrypter(b, zero[:])}
}

type ivResetter interface{ SetIV([]byte) }

func (a *krbAES) mode(m *cipher.BlockMode, mk func(cipher.Block, []byte) cipher.BlockMode) cipher.BlockMode {
	var zero [aes.BlockSize]byte
	if r, ok := (*m).(ivResetter); ok {
		r.SetIV(zero[:])
	} else {
		*m = mk(a.block, zero[:])
	}
	return *m
}

// encryptCTS: p[:n] in place, AES-CBC with ciphertext stealing (RFC 3962:
// the last two blocks swapped, as long as the plaintext); p has room for
// whole blocks, zero after n.
func (a *krbAES) encryptCTS(p []byte, n int) {
	bs := aes.BlockSize
	m := (n + bs - 1) / bs
	a.mode(&a.enc, cipher.NewCBCEncrypter).CryptBlocks(p[:m*bs], p[:m*bs])
	d := n - (m-1)*bs
	t := &a.blk[0]
	copy(t[:], p[(m-2)*bs:])
	copy(p[(m-2)*bs:], p[(m-1)*bs:m*bs])
	copy(p[(m-1)*bs:n], t[:d])
}

// decryptCTS reverses encryptCTS in place (len(c) > one block).
func (a *krbAES) decryptCTS(c []byte) {
	bs := aes.BlockSize
	n := len(c)
	m := (n + bs - 1) / bs
	d := n - (m-1)*bs
	prev, x, pen, last := &a.blk[0], &a.blk[1], &a.blk[2], &a.blk[3]
	*prev, *last = [aes.BlockSize]byte{}, [aes.BlockSize]byte{}
	if m >= 3 {
		copy(prev[:], c[(m-3)*bs:])
	}
	a.block.Decrypt(x[:], c[(m-2)*bs:(m-1)*bs])
	copy(pen[:], c[(m-1)*bs:n])
	for i := range d {
		last[i] = x[i] ^ pen[i]
	}
	copy(pen[d:], x[d:])
	a.block.Decrypt(x[:], pen[:])
	for i := range x {
		x[i] ^= prev[i]
	}
	if m >= 3 {
		a.mode(&a.dec, cipher.NewCBCDecrypter).CryptBlocks(c[:(m-2)*bs], c[:(m-2)*bs])
	}
	copy(c[(m-2)*bs:], x[:])
	copy(c[(m-1)*bs:n], last[:d])
}

// sealBody frames plain as one wrap token with header h (RRC 0 in it),
// the way seal lays it out, building it in a single buffer.
func (a *krbAES) sealBody(protocol string, h [16]byte, plain []byte) ([]byte, error) {
	n := len(plain)
	pl := wrapConfounder + n + 16
	padded := (pl + aes.BlockSize - 1) / aes.BlockSize * aes.BlockSize
	var b bytes.Buffer
	b.Grow(n + 300 + padded - pl)
	b.WriteString(boundaryLine)
	b.WriteString("\tContent-Type: " + protocol + "\r\n")
	b.WriteString(origContentPfx + strconv.Itoa(n) + "\r\n")
	b.WriteString(boundaryLine)
	b.WriteString(octetLine)
	var l [4]byte
	binary.LittleEndian.PutUint32(l[:], wrapHead)
	b.Write(l[:])
	headAt := b.Len()
	var zero [wrapHead]byte
	b.Write(zero[:wrapHead-wrapConfounder])
	pAt := b.Len() // the plaintext where its ciphertext goes
	b.Write(zero[:wrapConfounder])
	b.Write(plain)
	b.Write(h[:])
	b.Write(zero[:padded-pl])
	out := b.Bytes()
	p := out[pAt : pAt+padded]
	if _, err := rand.Read(p[:wrapConfounder]); err != nil {
		return nil, err
	}
	a.mac.Reset()
	a.mac.Write(p[:pl])
	mac := a.mac.Sum(a.sum[:0])
	a.encryptCTS(p, pl)
	binary.BigEndian.PutUint16(h[6:8], wrapRRC)
	copy(out[headAt:], h[:])
	copy(out[headAt+16:], p[pl-16:pl])
	copy(out[headAt+32:], mac[:wrapMAC])
	b.Truncate(pAt + wrapConfounder + n)
	b.WriteString(boundaryEnd)
	return b.Bytes(), nil
}

var errWrapLayout = errors.New("not the AES wrap layout opened in place")

// openToken decrypts tok (head | data) in the AES layout and checks its
// MAC; it returns the plaintext and the decrypted header copy, or
// errWrapLayout for any other layout.
func (a *krbAES) openToken(tok []byte) (plain, hdrCopy []byte, err error) {
	if len(tok) < wrapHead || binary.BigEndian.Uint16(tok[4:6]) != 0 || binary.BigEndian.Uint16(tok[6:8]) != wrapRRC {
		return nil, nil, errWrapLayout
	}
	data := tok[wrapHead:]
	n := wrapConfounder + len(data) + 16
	c := make([]byte, n)
	copy(c, tok[wrapHead-wrapConfounder:wrapHead])
	copy(c[wrapConfounder:], data)
	copy(c[n-16:], tok[16:32])
	a.decryptCTS(c)
	a.mac.Reset()
	a.mac.Write(c)
	if !hmac.Equal(a.mac.Sum(a.sum[:0])[:wrapMAC], tok[32:32+wrapMAC]) {
		return nil, nil, fmt.Errorf("integrity verification failed")
	}
	return c[wrapConfounder : n-16], c[n-16:], nil
}
