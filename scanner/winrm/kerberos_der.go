package winrm

import (
	"reflect"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// The AP-REQ of a host's logon, DER-encoded directly: gokrb5's reflective
// ASN.1 (gofork) allocates a writer per field and encoded the
// authenticator and the AP-REQ with the ticket in it for every host, a
// fifth of what a Kerberos logon allocated. The bytes are exactly what
// gokrb5's Marshal methods give for the same values (kerberos_der_internal_test.go
// compares them); a value this encoder does not cover (authorization
// data in the authenticator, a decrypted ticket part, a time not in UTC)
// is left to gokrb5.

// DER universal tags used by RFC 4120.
const (
	derInteger         = 0x02
	derBitString       = 0x03
	derOctetString     = 0x04
	derGeneralString   = 0x1b
	derGeneralizedTime = 0x18
	derSequence        = 0x30
	derContext         = 0xa0 // constructed, context-specific [n]
	derApplication     = 0x60 // constructed, application [n]
)

// derTLV appends tag, the DER length of content, and content.
func derTLV(b []byte, tag byte, content []byte) []byte {
	b = append(b, tag)
	n := len(content)
	switch {
	case n < 0x80:
		b = append(b, byte(n))
	case n <= 0xff:
		b = append(b, 0x81, byte(n))
	case n <= 0xffff:
		b = append(b, 0x82, byte(n>>8), byte(n))
	case n <= 0xffffff:
		b = append(b, 0x83, byte(n>>16), byte(n>>8), byte(n))
	default:
		b = append(b, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, content...)
}

// derInt appends an INTEGER (minimal two's complement).
func derInt(b []byte, v int64) []byte {
	n := 1
	for x := v; x > 127 || x < -128; x >>= 8 {
		n++
	}
	b = append(b, derInteger, byte(n))
	for i := n - 1; i >= 0; i-- {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}

// explicit wraps an encoded value in a context tag [n].
func explicit(b []byte, n int, inner []byte) []byte { return derTLV(b, derContext|byte(n), inner) }

func derPrincipal(p types.PrincipalName) []byte {
	var names []byte
	for _, s := range p.NameString {
		names = derTLV(names, derGeneralString, []byte(s))
	}
	var c []byte
	c = explicit(c, 0, derInt(nil, int64(p.NameType)))
	c = explicit(c, 1, derTLV(nil, derSequence, names))
	return derTLV(nil, derSequence, c)
}

func derEncryptedData(e types.EncryptedData) []byte {
	var c []byte
	c = explicit(c, 0, derInt(nil, int64(e.EType)))
	if e.KVNO != 0 {
		c = explicit(c, 1, derInt(nil, int64(e.KVNO)))
	}
	c = explicit(c, 2, derTLV(nil, derOctetString, e.Cipher))
	return derTLV(nil, derSequence, c)
}

func derKeyOrChecksum(typ int32, value []byte) []byte {
	var c []byte
	c = explicit(c, 0, derInt(nil, int64(typ)))
	c = explicit(c, 1, derTLV(nil, derOctetString, value))
	return derTLV(nil, derSequence, c)
}

// derTime is a GeneralizedTime to the second, as Go's ASN.1 writes it.
func derTime(t time.Time) []byte {
	return derTLV(nil, derGeneralizedTime, t.AppendFormat(nil, "20060102150405Z"))
}

// derAuthenticator encodes an authenticator as its Marshal does; false
// when it holds what this encoder leaves to gokrb5.
func derAuthenticator(a types.Authenticator) ([]byte, bool) {
	if a.AuthorizationData != nil || a.CTime.Location() != time.UTC {
		return nil, false
	}
	var c []byte
	c = explicit(c, 0, derInt(nil, int64(a.AVNO)))
	c = explicit(c, 1, derTLV(nil, derGeneralString, []byte(a.CRealm)))
	c = explicit(c, 2, derPrincipal(a.CName))
	// Optional fields are left out when zero, as Go's ASN.1 does.
	if a.Cksum.CksumType != 0 || a.Cksum.Checksum != nil {
		c = explicit(c, 3, derKeyOrChecksum(a.Cksum.CksumType, a.Cksum.Checksum))
	}
	c = explicit(c, 4, derInt(nil, int64(a.Cusec)))
	c = explicit(c, 5, derTime(a.CTime))
	if a.SubKey.KeyType != 0 || a.SubKey.KeyValue != nil {
		c = explicit(c, 6, derKeyOrChecksum(a.SubKey.KeyType, a.SubKey.KeyValue))
	}
	if a.SeqNumber != 0 {
		c = explicit(c, 7, derInt(nil, a.SeqNumber))
	}
	return derTLV(nil, derApplication|2, derTLV(nil, derSequence, c)), true
}

// derTicket encodes a ticket as its Marshal does; false when it carries a
// decrypted part (never the case for a client's ticket).
func derTicket(t messages.Ticket) ([]byte, bool) {
	if !reflect.ValueOf(t.DecryptedEncPart).IsZero() {
		return nil, false
	}
	var c []byte
	c = explicit(c, 0, derInt(nil, int64(t.TktVNO)))
	c = explicit(c, 1, derTLV(nil, derGeneralString, []byte(t.Realm)))
	c = explicit(c, 2, derPrincipal(t.SName))
	c = explicit(c, 3, derEncryptedData(t.EncPart))
	return derTLV(nil, derApplication|1, derTLV(nil, derSequence, c)), true
}

// derAPReq encodes an AP-REQ as APReq.Marshal does.
func derAPReq(apOptions asn1.BitString, tkt []byte, auth types.EncryptedData) []byte {
	var c []byte
	c = explicit(c, 0, derInt(nil, 5))
	c = explicit(c, 1, derInt(nil, msgtype.KRB_AP_REQ))
	bits := append([]byte{byte((8 - apOptions.BitLength%8) % 8)}, apOptions.Bytes...)
	c = explicit(c, 2, derTLV(nil, derBitString, bits))
	c = explicit(c, 3, tkt)
	c = explicit(c, 4, derEncryptedData(auth))
	return derTLV(nil, derApplication|14, derTLV(nil, derSequence, c))
}

// marshalAPReq is messages.NewAPReq then APReq.Marshal with the given AP
// options: the authenticator encrypted with the session key (key usage
// 11, the ticket's kvno) inside an AP-REQ carrying the ticket.
func marshalAPReq(tkt messages.Ticket, key types.EncryptionKey, auth types.Authenticator, apOptions asn1.BitString) ([]byte, error) {
	ab, ok := derAuthenticator(auth)
	tb, ok2 := derTicket(tkt)
	if !ok || !ok2 || (len(tkt.SName.NameString) > 0 && tkt.SName.NameString[0] == "krbtgt") {
		apReq, err := messages.NewAPReq(tkt, key, auth)
		if err != nil {
			return nil, err
		}
		apReq.APOptions = apOptions
		return apReq.Marshal()
	}
	ed := types.EncryptedData{EType: key.KeyType, KVNO: tkt.EncPart.KVNO}
	if sealable(key.KeyType) {
		uk, err := newUsageKeys(key, keyusage.AP_REQ_AUTHENTICATOR)
		if err != nil {
			return nil, err
		}
		if ed.Cipher, err = uk.encrypt(ab); err != nil {
			return nil, err
		}
	} else {
		var err error
		if ed, err = crypto.GetEncryptedData(ab, key, keyusage.AP_REQ_AUTHENTICATOR, tkt.EncPart.KVNO); err != nil {
			return nil, err
		}
	}
	return derAPReq(apOptions, tb, ed), nil
}

// derKDCReqBody encodes a KDC-REQ-BODY as KDCReqBody.Marshal does; false
// for what this encoder leaves to gokrb5 (addresses, authorization data,
// additional tickets, times outside UTC).
func derKDCReqBody(r messages.KDCReqBody) ([]byte, bool) {
	if r.Addresses != nil || !reflect.ValueOf(r.EncAuthData).IsZero() || len(r.AdditionalTickets) > 0 {
		return nil, false
	}
	for _, t := range []time.Time{r.From, r.Till, r.RTime} {
		if !t.IsZero() && t.Location() != time.UTC {
			return nil, false
		}
	}
	var c []byte
	bits := append([]byte{byte((8 - r.KDCOptions.BitLength%8) % 8)}, r.KDCOptions.Bytes...)
	c = explicit(c, 0, derTLV(nil, derBitString, bits))
	if r.CName.NameType != 0 || r.CName.NameString != nil {
		c = explicit(c, 1, derPrincipal(r.CName))
	}
	c = explicit(c, 2, derTLV(nil, derGeneralString, []byte(r.Realm)))
	if r.SName.NameType != 0 || r.SName.NameString != nil {
		c = explicit(c, 3, derPrincipal(r.SName))
	}
	if !r.From.IsZero() {
		c = explicit(c, 4, derTime(r.From))
	}
	c = explicit(c, 5, derTime(r.Till))
	if !r.RTime.IsZero() {
		c = explicit(c, 6, derTime(r.RTime))
	}
	c = explicit(c, 7, derInt(nil, int64(r.Nonce)))
	var et []byte
	for _, e := range r.EType {
		et = derInt(et, int64(e))
	}
	c = explicit(c, 8, derTLV(nil, derSequence, et))
	return derTLV(nil, derSequence, c), true
}

// derTGSReq encodes a TGS-REQ as TGSReq.Marshal does, from its PA-DATA
// and its encoded body.
func derTGSReq(pa types.PADataSequence, body []byte) []byte {
	var c []byte
	c = explicit(c, 1, derInt(nil, 5))
	c = explicit(c, 2, derInt(nil, msgtype.KRB_TGS_REQ))
	if pa != nil {
		var seq []byte
		for _, p := range pa {
			var e []byte
			e = explicit(e, 1, derInt(nil, int64(p.PADataType)))
			e = explicit(e, 2, derTLV(nil, derOctetString, p.PADataValue))
			seq = derTLV(seq, derSequence, e)
		}
		c = explicit(c, 3, derTLV(nil, derSequence, seq))
	}
	c = explicit(c, 4, body)
	return derTLV(nil, derApplication|12, derTLV(nil, derSequence, c))
}
