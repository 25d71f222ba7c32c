package winrmtest

import (
	"crypto/hmac"
	"crypto/rand"
	"errors"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/crypto/common"
	"github.com/jcmturner/gokrb5/v8/crypto/etype"
	"github.com/jcmturner/gokrb5/v8/types"
)

// krbUsageKeys are the encryption (Ke) and integrity (Ki) keys RFC 3961
// derives from a context key for one key usage. A Kerberos context keeps
// them: deriving them for every message (as gokrb5's EncryptMessage and
// DecryptMessage do) was most of the cost of sealing a short message, and
// the simulator stands in for thousands of hosts.
type krbUsageKeys struct {
	et     etype.EType
	ke, ki []byte
}

func deriveUsageKeys(key types.EncryptionKey, usage uint32) (*krbUsageKeys, error) {
	et, err := crypto.GetEtype(key.KeyType)
	if err != nil {
		return nil, err
	}
	ke, err := et.DeriveKey(key.KeyValue, common.GetUsageKe(usage))
	if err != nil {
		return nil, err
	}
	ki, err := et.DeriveKey(key.KeyValue, common.GetUsageKi(usage))
	if err != nil {
		return nil, err
	}
	return &krbUsageKeys{et: et, ke: ke, ki: ki}, nil
}

// encrypt: a random confounder and msg, encrypted with Ke, then the HMAC
// (Ki) of confounder and msg (RFC 3961 5.3, RFC 3962).
func (u *krbUsageKeys) encrypt(msg []byte) ([]byte, error) {
	conf := u.et.GetConfounderByteSize()
	plain := make([]byte, conf+len(msg))
	if _, err := rand.Read(plain[:conf]); err != nil {
		return nil, err
	}
	copy(plain[conf:], msg)
	mac := hmac.New(u.et.GetHashFunc(), u.ki)
	mac.Write(plain)
	sum := mac.Sum(nil)[:u.et.GetHMACBitLength()/8]
	_, ct, err := u.et.EncryptData(u.ke, plain)
	if err != nil {
		return nil, err
	}
	return append(ct, sum...), nil
}

// decrypt reverses encrypt, checking the HMAC.
func (u *krbUsageKeys) decrypt(ct []byte) ([]byte, error) {
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
