package ntlmserver

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rc4"
	"encoding/binary"
	"strings"
	"unicode/utf16"

	//lint:ignore SA1019 NTLM's NT hash is MD4 by definition ([MS-NLMP] 3.3.1); no other hash interoperates
	"golang.org/x/crypto/md4"
)

func utf16le(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

// oemBytes encodes s for an OEM (non-UNICODE) client. Windows would use the
// system OEM code page; Latin-1 agrees with it on ASCII, which is all the
// simulator's names and test accounts use, and round-trips with decodeString.
func oemBytes(s string) []byte {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xFF {
			r = '?'
		}
		b = append(b, byte(r))
	}
	return b
}

// decodeString decodes an AUTHENTICATE string field; ok=false for UTF-16
// with an odd byte count.
func decodeString(b []byte, unicode bool) (string, bool) {
	if !unicode {
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
		return string(r), true
	}
	if len(b)%2 != 0 {
		return "", false
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u)), true
}

func hmacMD5(key []byte, data ...[]byte) []byte {
	m := hmac.New(md5.New, key)
	for _, d := range data {
		m.Write(d)
	}
	return m.Sum(nil)
}

func md5Sum(data ...[]byte) []byte {
	m := md5.New()
	for _, d := range data {
		m.Write(d)
	}
	return m.Sum(nil)
}

// ntHash is NTOWFv1: MD4(UTF-16LE(password)).
func ntHash(password string) []byte {
	m := md4.New()
	m.Write(utf16le(password))
	return m.Sum(nil)
}

// ntowfv2 is [MS-NLMP] 3.3.2 NTOWFv2. The domain is used exactly as sent,
// not upper-cased: that is what both Windows and the clients do.
func ntowfv2(password, user, domain string) []byte {
	return hmacMD5(ntHash(password), utf16le(strings.ToUpper(user)+domain))
}

// rc4Once is RC4K: a one-shot RC4 with a fresh key.
func rc4Once(key, data []byte) []byte {
	c, err := rc4.NewCipher(key)
	if err != nil {
		panic(err) // keys here are always 5..16 bytes
	}
	out := make([]byte, len(data))
	c.XORKeyStream(out, data)
	return out
}

// Direction constants of [MS-NLMP] 3.4.5.2 and 3.4.5.3, NUL included.
var (
	clientSignMagic = []byte("session key to client-to-server signing key magic constant\x00")
	serverSignMagic = []byte("session key to server-to-client signing key magic constant\x00")
	clientSealMagic = []byte("session key to client-to-server sealing key magic constant\x00")
	serverSealMagic = []byte("session key to server-to-client sealing key magic constant\x00")
)

// signKey is SIGNKEY; without extended session security there is none
// (the MAC is then a CRC32).
func signKey(flags uint32, esk, magic []byte) []byte {
	if flags&FlagExtendedSessionSecurity == 0 {
		return nil
	}
	return md5Sum(esk, magic)
}

// sealKey is SEALKEY. LM_KEY is never negotiated by this server, so its
// branches are absent; without extended session security the exported key
// itself is the RC4 key for both directions.
func sealKey(flags uint32, esk, magic []byte) []byte {
	if flags&FlagExtendedSessionSecurity == 0 {
		return esk
	}
	switch {
	case flags&Flag128 != 0:
		return md5Sum(esk, magic)
	case flags&Flag56 != 0:
		return md5Sum(esk[:7], magic)
	default:
		return md5Sum(esk[:5], magic)
	}
}
