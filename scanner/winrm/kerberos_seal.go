package winrm

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/crypto/common"
	"github.com/jcmturner/gokrb5/v8/crypto/etype"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Kerberos message encryption (MS-WSMV 2.2.9.1.1.2 / 2.2.9.1.2.2), framed
// exactly as pywinrm's encryption.py does for Kerberos:
//
//	--Encrypted Boundary\r\n
//	\tContent-Type: application/HTTP-{SPNEGO,Kerberos}-session-encrypted\r\n
//	\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=<N>\r\n
//	--Encrypted Boundary\r\n
//	\tContent-Type: application/octet-stream\r\n
//	<uint32 LE len(H)><H><N bytes>--Encrypted Boundary--\r\n
//
// where H|data is one RFC 4121 wrap token with confidentiality: the 16-byte
// token header, then E(confounder | plaintext | filler | header copy) plus
// its HMAC, rotated right by RRC so that the ciphertext of the plaintext
// comes last and has the plaintext's length. With AES, EC=0 and RRC=28 (what
// MIT's gss_wrap_iov gives pywinrm, and Windows accepts): H is 60 bytes.
const (
	krbSPNEGOProtocol   = spnegoProtocol
	krbKerberosProtocol = "application/HTTP-Kerberos-session-encrypted"
	maxWrapHeader       = 1024
)

// Wrap token flags (RFC 4121 4.2.2).
const (
	wrapSentByAcceptor = 0x01
	wrapSealed         = 0x02
	wrapAcceptorSubkey = 0x04
)

func krbProtocol(scheme string) string {
	if strings.EqualFold(scheme, "Kerberos") {
		return krbKerberosProtocol
	}
	return krbSPNEGOProtocol
}

// krbSealer protects the messages of one Kerberos-authenticated connection.
// Sequence numbers advance per message, so a connection whose exchange
// failed is never reused (the transport drops it).
type krbSealer struct {
	protocol       string
	key            types.EncryptionKey
	acceptorSubkey bool
	sendSeq        uint64
	recvSeq        uint64
	// sendKeys are the keys RFC 3961 derives from key for sealing, derived
	// once per context rather than once per message.
	sendKeys, recvKeys *usageKeys
	// sendFast and recvFast seal and open AES tokens in place
	// (kerberos_fastseal.go); nil: the general path.
	sendFast, recvFast *fastAES
	contentType        string // of a sealed request, built once
}

func (s *krbSealer) Wrap(soap []byte) ([]byte, http.Header, error) {
	if s.sendKeys == nil {
		uk, err := newUsageKeys(s.key, keyusage.GSSAPI_INITIATOR_SEAL)
		if err != nil {
			return nil, nil, fmt.Errorf("seal message: %w", err)
		}
		s.sendKeys = uk
		s.sendFast = newFastAES(uk)
	}
	if s.contentType == "" {
		s.contentType = encryptedMediaType + `;protocol="` + s.protocol + `";boundary="` + encryptedBoundary + `"`
	}
	h := http.Header{"Content-Type": {s.contentType}}
	if s.sendFast != nil {
		fl := byte(wrapSealed)
		if s.acceptorSubkey {
			fl |= wrapAcceptorSubkey
		}
		body, err := s.sendFast.frame(s.protocol, fl, s.sendSeq, soap)
		if err != nil {
			return nil, nil, fmt.Errorf("seal message: %w", err)
		}
		s.sendSeq++
		return body, h, nil
	}
	hdr, data, err := wrapRFC4121Keys(s.key, s.sendKeys, s.acceptorSubkey, false, s.sendSeq, soap)
	if err != nil {
		return nil, nil, fmt.Errorf("seal message: %w", err)
	}
	s.sendSeq++
	return frameEncrypted(s.protocol, hdr, data), h, nil // data has the plaintext's length (EC=0)
}

func (s *krbSealer) Unwrap(resp *Response) ([]byte, error) {
	ct := resp.Header.Get("Content-Type")
	boundary, ok := encryptedContentType(ct, s.protocol)
	if !ok {
		if len(resp.Body) == 0 {
			return nil, nil
		}
		return nil, &InsecureError{Reason: fmt.Sprintf("the host answered HTTP %d without Kerberos encryption (Content-Type %q)",
			resp.Status, sanitizeSnippet([]byte(ct), 80))}
	}
	parts, err := splitKrbSealed(resp.Body, boundary, s.protocol)
	if err != nil {
		return nil, err
	}
	var out []byte
	if s.recvKeys == nil {
		uk, err := newUsageKeys(s.key, keyusage.GSSAPI_ACCEPTOR_SEAL)
		if err != nil {
			return nil, fmt.Errorf("unseal: %w", err)
		}
		s.recvKeys = uk
		s.recvFast = newFastAES(uk)
	}
	for _, p := range parts {
		var plain []byte
		err := errNotFastLayout
		if s.recvFast != nil {
			plain, err = s.recvFast.open(s.acceptorSubkey, true, s.recvSeq, p.Signature, p.Sealed)
		}
		if err == errNotFastLayout {
			plain, err = unwrapRFC4121Keys(s.key, s.recvKeys, s.acceptorSubkey, true, s.recvSeq, p.Signature, p.Sealed)
		}
		if err != nil {
			return nil, fmt.Errorf("unseal: %w", err)
		}
		if len(plain) != p.Length {
			return nil, fmt.Errorf("unseal: %d bytes, the part header says %d", len(plain), p.Length)
		}
		s.recvSeq++
		if len(parts) == 1 {
			return plain, nil // already a buffer of its own
		}
		out = append(out, plain...)
	}
	return out, nil
}

// splitKrbSealed splits an HTTP-Kerberos-session-encrypted body; each
// part's signature is an RFC 4121 wrap token header.
func splitKrbSealed(body []byte, boundary, protocol string) ([]sealedPart, error) {
	return splitEncrypted(body, boundary, protocol, func(n uint32) error {
		if n < 16 || n > maxWrapHeader {
			return fmt.Errorf("wrap token header length %d out of range", n)
		}
		return nil
	})
}

// wrapRFC4121 seals msg as an RFC 4121 wrap token split into header and
// data (EC=0, RRC = 16 + HMAC length).
func wrapRFC4121(key types.EncryptionKey, acceptorSubkey, acceptor bool, seq uint64, msg []byte) (hdr, data []byte, err error) {
	return wrapRFC4121Keys(key, nil, acceptorSubkey, acceptor, seq, msg)
}

// usageKeys are the encryption (Ke) and integrity (Ki) keys RFC 3961
// derives from a context key for one key usage. Deriving them is most of
// the cost of sealing a short message, and they never change in a context.
type usageKeys struct {
	et     etype.EType
	usage  uint32
	ke, ki []byte
}

func newUsageKeys(key types.EncryptionKey, usage uint32) (*usageKeys, error) {
	et, err := crypto.GetEtype(key.KeyType)
	if err != nil {
		return nil, err
	}
	derive := et.DeriveKey
	if sealable(key.KeyType) {
		derive = deriveAESKey
	}
	ke, err := derive(key.KeyValue, common.GetUsageKe(usage))
	if err != nil {
		return nil, err
	}
	ki, err := derive(key.KeyValue, common.GetUsageKi(usage))
	if err != nil {
		return nil, err
	}
	return &usageKeys{et: et, usage: usage, ke: ke, ki: ki}, nil
}

// encrypt is RFC 3961's simplified-profile encryption (RFC 3962 for AES):
// a random confounder, the plaintext encrypted with Ke, and an HMAC of
// confounder and plaintext with Ki; what gokrb5's EncryptMessage returns.
func (u *usageKeys) encrypt(msg []byte) ([]byte, error) {
	plain := make([]byte, u.et.GetConfounderByteSize()+len(msg))
	if _, err := rand.Read(plain[:u.et.GetConfounderByteSize()]); err != nil {
		return nil, err
	}
	copy(plain[u.et.GetConfounderByteSize():], msg)
	mac := hmac.New(u.et.GetHashFunc(), u.ki)
	mac.Write(plain)
	sum := mac.Sum(nil)[:u.et.GetHMACBitLength()/8]
	_, ct, err := u.et.EncryptData(u.ke, plain)
	if err != nil {
		return nil, err
	}
	return append(ct, sum...), nil
}

// decrypt reverses encrypt: it checks the HMAC (Ki) over the decrypted
// confounder and plaintext, and returns the plaintext; what gokrb5's
// DecryptMessage does.
func (u *usageKeys) decrypt(ct []byte) ([]byte, error) {
	n, conf := u.et.GetHMACBitLength()/8, u.et.GetConfounderByteSize()
	if len(ct) < conf+n {
		return nil, errors.New("ciphertext too short")
	}
	pt, err := u.et.DecryptData(u.ke, ct[:len(ct)-n])
	if err != nil {
		return nil, err
	}
	mac := hmac.New(u.et.GetHashFunc(), u.ki)
	mac.Write(pt)
	if !hmac.Equal(mac.Sum(nil)[:n], ct[len(ct)-n:]) {
		return nil, errors.New("integrity verification failed")
	}
	return pt[conf:], nil
}

// wrapRFC4121Keys is wrapRFC4121 with the usage's keys derived already
// (nil: derive them for this message).
func wrapRFC4121Keys(key types.EncryptionKey, uk *usageKeys, acceptorSubkey, acceptor bool, seq uint64, msg []byte) (hdr, data []byte, err error) {
	et, err := crypto.GetEtype(key.KeyType)
	if err != nil {
		return nil, nil, err
	}
	fl := byte(wrapSealed)
	usage := uint32(keyusage.GSSAPI_INITIATOR_SEAL)
	if acceptor {
		fl |= wrapSentByAcceptor
		usage = keyusage.GSSAPI_ACCEPTOR_SEAL
	}
	if acceptorSubkey {
		fl |= wrapAcceptorSubkey
	}
	h := []byte{0x05, 0x04, fl, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint64(h[8:], seq)
	pt := make([]byte, 0, len(msg)+16)
	pt = append(append(pt, msg...), h...)
	var ct []byte
	if uk != nil && uk.usage == usage {
		ct, err = uk.encrypt(pt)
	} else if uk != nil {
		ct, err = nil, fmt.Errorf("keys derived for key usage %d, not %d", uk.usage, usage)
	} else {
		_, ct, err = et.EncryptMessage(key.KeyValue, pt, usage)
	}
	if err != nil {
		return nil, nil, err
	}
	rrc := 16 + et.GetHMACBitLength()/8
	binary.BigEndian.PutUint16(h[6:8], uint16(rrc))
	rot := make([]byte, 0, len(ct))
	rot = append(append(rot, ct[len(ct)-rrc:]...), ct[:len(ct)-rrc]...)
	cut := rrc + et.GetConfounderByteSize()
	hdr = append(append([]byte{}, h...), rot[:cut]...)
	return hdr, rot[cut:], nil
}

// unwrapRFC4121 opens a wrap token (header|data) from the peer, checking
// its flags, sequence number and the encrypted header copy. Any EC and RRC
// are accepted (in the copy too); Windows rotates by RRC+EC (MS-KILE 3.4.5.4.1), so that is
// tried when RRC alone does not decrypt.
func unwrapRFC4121(key types.EncryptionKey, acceptorSubkey, fromAcceptor bool, seq uint64, hdr, data []byte) ([]byte, error) {
	return unwrapRFC4121Keys(key, nil, acceptorSubkey, fromAcceptor, seq, hdr, data)
}

// unwrapRFC4121Keys is unwrapRFC4121 with the usage's keys derived already
// (nil: derive them for this message).
func unwrapRFC4121Keys(key types.EncryptionKey, uk *usageKeys, acceptorSubkey, fromAcceptor bool, seq uint64, hdr, data []byte) ([]byte, error) {
	tok := make([]byte, 0, len(hdr)+len(data))
	tok = append(append(tok, hdr...), data...)
	if len(tok) < 16 || tok[0] != 0x05 || tok[1] != 0x04 || tok[3] != 0xff {
		return nil, errors.New("not an RFC 4121 wrap token")
	}
	if err := checkWrapFlags(tok[2], acceptorSubkey, fromAcceptor); err != nil {
		return nil, err
	}
	ec := int(binary.BigEndian.Uint16(tok[4:6]))
	rrc := int(binary.BigEndian.Uint16(tok[6:8]))
	got := binary.BigEndian.Uint64(tok[8:16])
	et, err := crypto.GetEtype(key.KeyType)
	if err != nil {
		return nil, err
	}
	usage := uint32(keyusage.GSSAPI_INITIATOR_SEAL)
	if fromAcceptor {
		usage = keyusage.GSSAPI_ACCEPTOR_SEAL
	}
	body := tok[16:]
	var pt []byte
	for _, r := range []int{rrc, rrc + ec} {
		if len(body) == 0 {
			break
		}
		r %= len(body)
		un := make([]byte, 0, len(body))
		un = append(append(un, body[r:]...), body[:r]...)
		if len(un) < et.GetConfounderByteSize()+et.GetHMACBitLength()/8+16 {
			return nil, errors.New("wrap token too short")
		}
		if uk != nil && uk.usage == usage {
			pt, err = uk.decrypt(un)
		} else {
			pt, err = et.DecryptMessage(key.KeyValue, un, usage)
		}
		if err == nil || ec == 0 {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("wrap token does not decrypt: %v", err)
	}
	if len(pt) < ec+16 {
		return nil, errors.New("wrap token plaintext too short")
	}
	// RFC 4121 4.2.4 has the sender write RRC 0 in the encrypted copy, but
	// implementations differ and the rotation is not part of what the copy
	// protects: only the other fields are compared, as MIT's krb5 does.
	copyHdr := pt[len(pt)-16:]
	if subtle.ConstantTimeCompare(copyHdr[:6], tok[:6]) != 1 || subtle.ConstantTimeCompare(copyHdr[8:16], tok[8:16]) != 1 {
		return nil, errors.New("wrap token header does not match its encrypted copy")
	}
	if err := checkWrapSeq(got, seq); err != nil {
		return nil, err
	}
	return pt[:len(pt)-16-ec], nil
}

// checkWrapFlags checks a wrap token's flags (RFC 4121 4.2.2): sent by
// the other side, sealed, and naming the context's key.
func checkWrapFlags(fl byte, acceptorSubkey, fromAcceptor bool) error {
	if (fl&wrapSentByAcceptor != 0) != fromAcceptor {
		return errors.New("wrap token from the wrong side (reflected message)")
	}
	if fl&wrapSealed == 0 {
		return &InsecureError{Reason: "the host's Kerberos wrap token is not encrypted"}
	}
	if (fl&wrapAcceptorSubkey != 0) != acceptorSubkey {
		return errors.New("wrap token names another key than the context's")
	}
	return nil
}

// checkWrapSeq compares a wrap token's sequence number with the expected
// one. Sequence numbers start as a UInt32 (krbSeq); a peer that keeps them
// in 32 bits wraps to 0 where ours goes on past 2^32, so a token whose
// upper half is zero is matched on the lower 32 bits (UNCONFIRMED which
// Windows does: neither can replay an earlier message).
func checkWrapSeq(got, seq uint64) error {
	if got != seq && (got>>32 != 0 || uint32(got) != uint32(seq)) {
		return fmt.Errorf("wrap token sequence number %d, expected %d (replayed or reordered message)", got, seq)
	}
	return nil
}
