package winrmtest

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/types"
)

// initiatorToken seals msg as an initiator's wrap token with gokrb5's
// EncryptMessage (per-message keys), filler ec, rotated by RRC 28 (as
// RFC 4121 4.2.5 has it; the simulator never took Windows' RRC+EC from an
// initiator).
func initiatorToken(t *testing.T, key types.EncryptionKey, seq uint64, msg []byte, ec int) []byte {
	t.Helper()
	et, _ := crypto.GetEtype(key.KeyType)
	h := []byte{5, 4, 2 | 4, 0xff, 0, byte(ec), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint64(h[8:], seq)
	pt := append(append(append([]byte{}, msg...), make([]byte, ec)...), h...)
	_, ct, err := et.EncryptMessage(key.KeyValue, pt, keyusage.GSSAPI_INITIATOR_SEAL)
	if err != nil {
		t.Fatal(err)
	}
	binary.BigEndian.PutUint16(h[6:8], 28)
	r := 28
	return append(h, append(append([]byte{}, ct[len(ct)-r:]...), ct[:len(ct)-r]...)...)
}

// TestKrbContextWrapInPlace: what the simulator seals in one buffer opens
// with gokrb5's own AES-CTS decryption, and tokens gokrb5 sealed open
// through the simulator, in the AES layout (in place) and with a filler
// (the general path); a flipped bit or a replayed sequence number is
// refused.
func TestKrbContextWrapInPlace(t *testing.T) {
	t.Parallel()
	key := types.EncryptionKey{KeyType: etypeID.AES256_CTS_HMAC_SHA1_96, KeyValue: bytes.Repeat([]byte{0x3c}, 32)}
	et, _ := crypto.GetEtype(key.KeyType)
	k := &krbContext{protocol: "application/HTTP-Kerberos-session-encrypted", key: key, acceptorSubkey: true}
	for i, n := range []int{0, 1, 15, 16, 17, 31, 32, 33, 48, 1000, 14 << 10} {
		msg := make([]byte, n)
		for j := range msg {
			msg[j] = byte(j*11 + n)
		}
		body := k.seal(msg)
		part, err := splitSealedBody(body, "\tContent-Type: "+k.protocol+"\r\n", func(n int) bool { return n == 60 })
		if err != nil || part.length != n {
			t.Fatalf("%d bytes: framing %v (Length %d)", n, err, part.length)
		}
		tok := part.token
		body16 := tok[16:]
		un := append(append([]byte{}, body16[28:]...), body16[:28]...)
		pt, err := et.DecryptMessage(key.KeyValue, un, keyusage.GSSAPI_ACCEPTOR_SEAL)
		if err != nil || !bytes.Equal(pt[:len(pt)-16], msg) {
			t.Fatalf("%d bytes: gokrb5 does not open the simulator's token: %v", n, err)
		}
		if want := []byte{5, 4, 1 | 2 | 4, 0xff, 0, 0, 0, 0}; !bytes.Equal(pt[len(pt)-16:len(pt)-8], want) || binary.BigEndian.Uint64(pt[len(pt)-8:]) != uint64(i) {
			t.Fatalf("%d bytes: header copy %x", n, pt[len(pt)-16:])
		}
		for _, ec := range []int{0, 16} {
			tok := initiatorToken(t, key, k.recvSeq, msg, ec)
			got, err := k.open(tok)
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("%d bytes, EC %d: %v", n, ec, err)
			}
			if _, err := k.open(tok); err == nil {
				t.Fatalf("%d bytes, EC %d: a replayed token opened", n, ec)
			}
			bad := initiatorToken(t, key, k.recvSeq, msg, ec)
			bad[len(bad)-1] ^= 1
			if _, err := k.open(bad); err == nil {
				t.Fatalf("%d bytes, EC %d: a flipped bit was accepted", n, ec)
			}
		}
	}
	if k.inAES == nil || k.outAES == nil {
		t.Error("an AES context does not seal and open in place")
	}
}
