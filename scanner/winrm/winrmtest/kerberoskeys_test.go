package winrmtest

import (
	"bytes"
	"testing"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/types"
)

// TestUsageKeysMatchGokrb5: the simulator's once-derived keys encrypt
// what gokrb5's DecryptMessage opens and open what its EncryptMessage
// sealed, at every size around the AES block; a flipped bit is refused.
func TestUsageKeysMatchGokrb5(t *testing.T) {
	t.Parallel()
	key := types.EncryptionKey{KeyType: etypeID.AES256_CTS_HMAC_SHA1_96, KeyValue: bytes.Repeat([]byte{0x5a}, 32)}
	et, err := crypto.GetEtype(key.KeyType)
	if err != nil {
		t.Fatal(err)
	}
	uk, err := deriveUsageKeys(key, keyusage.GSSAPI_ACCEPTOR_SEAL)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 15, 16, 17, 33, 1000, 14 << 10} {
		msg := make([]byte, n)
		for i := range msg {
			msg[i] = byte(i * 13)
		}
		ct, err := uk.encrypt(msg)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := et.DecryptMessage(key.KeyValue, ct, keyusage.GSSAPI_ACCEPTOR_SEAL); err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("%d bytes: gokrb5 does not open ours: %v", n, err)
		}
		_, ct2, err := et.EncryptMessage(key.KeyValue, msg, keyusage.GSSAPI_ACCEPTOR_SEAL)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := uk.decrypt(ct2); err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("%d bytes: ours does not open gokrb5's: %v", n, err)
		}
		ct2[len(ct2)/2] ^= 1
		if _, err := uk.decrypt(ct2); err == nil {
			t.Fatalf("%d bytes: a flipped bit was accepted", n)
		}
	}
}
