package winrm

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/asn1tools"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/chksumtype"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// KerberosAuth authenticates connections to one host with Kerberos
// (gokrb5): one service ticket for HTTP/<fqdn>, fetched once and reused for
// every connection, a fresh authenticator per connection, mutual
// authentication (the host's AP-REP is verified), and MS-WSMV message
// encryption with RFC 4121 wrap tokens over plain HTTP.
//
// The AP-REQ travels as a raw Kerberos GSS token (OID 1.2.840.113554.1.2.2)
// under the Negotiate scheme when the host offers it (as pywinrm and
// requests-kerberos do), else under the Kerberos scheme; the sealed body's
// protocol follows the scheme (MS-WSMV 2.2.9.1.1.2 / 2.2.9.1.2.2).
type KerberosAuth struct {
	kc  *KerberosClient
	spn string
	ctx context.Context // bounds waiting for the KDC (the host's deadline)

	mu     sync.Mutex
	scheme string // learnt from the first 401; later connections send at once
	// assumed: scheme was set by Optimistic and no host answer confirmed it.
	assumed bool
}

// NewKerberos returns a Kerberos authenticator for one host.
func NewKerberos(kc *KerberosClient, spn string) *KerberosAuth {
	return NewKerberosContext(context.Background(), kc, spn)
}

// NewKerberosContext is NewKerberos whose KDC requests ctx bounds: the host
// never waits for a KDC past its deadline, and a KDC that did not answer
// is asked again while ctx has time.
func NewKerberosContext(ctx context.Context, kc *KerberosClient, spn string) *KerberosAuth {
	return &KerberosAuth{kc: kc, spn: spn, ctx: ctx}
}

// Method implements Authenticator.
func (a *KerberosAuth) Method() string { return "kerberos" }

// Scheme implements Authenticator: the scheme in use on this host.
func (a *KerberosAuth) Scheme() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.scheme == "" {
		return "Negotiate"
	}
	return a.scheme
}

// SPN is the service principal the tickets are for.
func (a *KerberosAuth) SPN() string { return a.spn }

// String never shows a secret.
func (a *KerberosAuth) String() string { return "kerberos(" + a.kc.Principal() + " -> " + a.spn + ")" }

// GSS context flags sent in the authenticator checksum (RFC 4121 4.1.1.1).
var krbContextFlags = []int{gssapi.ContextFlagMutual, gssapi.ContextFlagSequence, gssapi.ContextFlagConf, gssapi.ContextFlagInteg}

// Optimistic makes the host's first request carry the AP-REQ at once,
// under Negotiate (which Windows offers unless it is switched off), instead
// of first asking the host anonymously which schemes it offers: one round
// trip less per host, at the cost of a service ticket for a host that turns
// out not to take Kerberos. The scanner uses it for auth: kerberos, where
// the inventory says the host takes Kerberos; auth: auto keeps asking
// first, so a host without Kerberos costs no ticket.
func (a *KerberosAuth) Optimistic() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.scheme == "" {
		a.scheme, a.assumed = "Negotiate", true
	}
}

// Authenticate implements Authenticator.
func (a *KerberosAuth) Authenticate(x Exchanger, secure bool) (Protector, error) {
	a.mu.Lock()
	scheme, assumed := a.scheme, a.assumed
	a.mu.Unlock()
	if scheme == "" {
		// Learn what the host offers before asking the KDC for a ticket:
		// a host without Kerberos must not cost a TGS exchange.
		resp, err := x.Exchange(http.Header{"Content-Type": {soapContentType}}, nil)
		if err != nil {
			return nil, err
		}
		offered := parseWWWAuthenticate(resp.Header)
		switch resp.Status {
		case http.StatusUnauthorized:
		case http.StatusOK:
			return nil, acceptedUnauthenticated("the host accepted a request before Kerberos authentication", resp)
		default:
			return nil, unexpectedAnswer("authenticate", resp)
		}
		if _, ok := findChallenge(offered, "Negotiate"); ok {
			scheme = "Negotiate"
		} else if _, ok := findChallenge(offered, "Kerberos"); ok {
			scheme = "Kerberos"
		} else {
			return nil, &KerberosError{Kind: KrbNotOffered, Stage: "host", SPN: a.spn,
				Detail: fmt.Sprintf("the host offers neither Negotiate nor Kerberos (offers %v)", offeredSchemes(offered))}
		}
		a.mu.Lock()
		a.scheme = scheme
		a.mu.Unlock()
		if resp.Close {
			// Windows closes the connection after an anonymous 401: the
			// transport dials again and this time the ticket goes at once.
			return nil, errAuthRedial
		}
	}
	tkt, key, err := a.kc.ServiceTicket(a.ctx, a.spn)
	if err != nil {
		return nil, err
	}
	if !sealable(key.KeyType) && !secure {
		return nil, &KerberosError{Kind: KrbUnsupported, Stage: "kdc", SPN: a.spn,
			Detail: fmt.Sprintf("the service ticket uses encryption type %d; ntlmscan seals with AES only (enable AES for the host's account)", key.KeyType)}
	}
	cname, crealm := a.kc.cname()
	auth, err := types.NewAuthenticator(crealm, cname)
	if err != nil {
		return nil, fmt.Errorf("kerberos authenticator: %w", err)
	}
	var (
		bnd     []byte
		tlsInfo *TLSBinding
	)
	if secure {
		// Bind the logon to the TLS channel, as for NTLM: a host with
		// CbtHardeningLevel=Strict refuses a Kerberos logon without it.
		var app []byte
		app, tlsInfo = tlsBinding(x)
		if app != nil {
			h := ChannelBindingHash(app)
			bnd = h[:]
		}
	}
	auth.Cksum = types.Checksum{CksumType: chksumtype.GSSAPI, Checksum: gssChecksum(krbContextFlags, bnd)}
	sub := make([]byte, len(key.KeyValue))
	if _, err := rand.Read(sub); err != nil {
		return nil, err
	}
	auth.SubKey = types.EncryptionKey{KeyType: key.KeyType, KeyValue: sub}
	apOptions := types.NewKrbFlags()
	types.SetFlag(&apOptions, flags.APOptionMutualRequired)
	raw, err := marshalAPReq(tkt, key, auth, apOptions)
	if err != nil {
		return nil, fmt.Errorf("kerberos AP-REQ: %w", err)
	}
	token := gssToken(tokAPReq, raw)

	h := http.Header{}
	h.Set("Authorization", scheme+" "+base64.StdEncoding.EncodeToString(token))
	h.Set("Content-Type", soapContentType)
	resp, err := x.Exchange(h, nil)
	if err != nil {
		return nil, err
	}
	offered := parseWWWAuthenticate(resp.Header)
	answer, hasAnswer := findChallenge(offered, scheme)
	switch resp.Status {
	case http.StatusOK:
		if assumed {
			a.mu.Lock()
			a.assumed = false
			a.mu.Unlock()
		}
	case http.StatusUnauthorized:
		if assumed && !hasAnswer {
			// The scheme was assumed (Optimistic) and the host does not
			// take it: use what it offers, on a new connection.
			a.mu.Lock()
			a.assumed = false
			a.mu.Unlock()
			if _, ok := findChallenge(offered, "Kerberos"); ok && scheme != "Kerberos" {
				a.mu.Lock()
				a.scheme = "Kerberos"
				a.mu.Unlock()
				return nil, errAuthRedial
			}
			if _, ok := findChallenge(offered, "Negotiate"); !ok {
				return nil, &KerberosError{Kind: KrbNotOffered, Stage: "host", SPN: a.spn,
					Detail: fmt.Sprintf("the host offers neither Negotiate nor Kerberos (offers %v)", offeredSchemes(offered))}
			}
		}
		if hasAnswer && answer.Token != "" {
			if ke := krbErrorFromToken(answer.Token, a.spn); ke != nil {
				return nil, ke
			}
		}
		detail := "the host refused the Kerberos ticket (its account may lack WinRM rights, or the SPN belongs to another account)"
		if tlsInfo != nil {
			// A binding that cannot match is refused with the same 401.
			detail += "; " + tlsInfo.String() + ": if that is not the HTTPS listener's CertificateThumbprint, a TLS-inspecting proxy re-encrypts the connection"
		}
		return nil, &KerberosError{Kind: KrbRefused, Stage: "host", SPN: a.spn, Detail: detail}
	default:
		if e := headerTooLong("authenticate", resp.Status, resp.Body, len(h.Get("Authorization"))); e != nil {
			return nil, e
		}
		return nil, unexpectedAnswer("authenticate", resp)
	}
	if !hasAnswer || answer.Token == "" {
		return nil, &KerberosError{Kind: KrbMutual, Stage: "host", SPN: a.spn, Detail: "the host accepted the ticket but sent no AP-REP to prove its identity"}
	}
	rep, err := verifyAPRep(answer.Token, key, auth)
	if err != nil {
		return nil, &KerberosError{Kind: KrbMutual, Stage: "host", SPN: a.spn, Detail: err.Error()}
	}
	if secure {
		return plainProtector{}, nil
	}
	s := &krbSealer{protocol: krbProtocol(scheme), sendSeq: krbSeq(auth.SeqNumber), recvSeq: krbSeq(rep.SequenceNumber)}
	switch {
	case rep.Subkey.KeyType != 0 && len(rep.Subkey.KeyValue) > 0:
		s.key, s.acceptorSubkey = rep.Subkey, true
	default:
		s.key = auth.SubKey
	}
	if !sealable(s.key.KeyType) {
		return nil, &KerberosError{Kind: KrbUnsupported, Stage: "host", SPN: a.spn, Detail: fmt.Sprintf("the host chose encryption type %d; ntlmscan seals with AES only", s.key.KeyType)}
	}
	return s, nil
}

// ErrAuthRedial is what an Authenticator returns to ask the transport to
// authenticate once more on a new connection (at most twice per
// connection opened): Kerberos learnt the host's scheme from a 401 that
// closed the connection, or auth: auto switched to NTLM.
var ErrAuthRedial = errors.New("authentication continues on a new connection")

var errAuthRedial = ErrAuthRedial

// sealable: RFC 4121 wrap tokens with AES (what Windows uses since 2008).
func sealable(etype int32) bool {
	switch etype {
	case etypeID.AES128_CTS_HMAC_SHA1_96, etypeID.AES256_CTS_HMAC_SHA1_96:
		return true
	}
	return false
}

// gssChecksum is the RFC 4121 4.1.1 authenticator checksum (type 0x8003):
// Lgth=16, the channel binding hash bnd (zeros when nil), flags.
func gssChecksum(fl []int, bnd []byte) []byte {
	b := make([]byte, 24)
	b[0] = 16
	copy(b[4:20], bnd)
	var f uint32
	for _, x := range fl {
		f |= uint32(x)
	}
	b[20], b[21], b[22], b[23] = byte(f), byte(f>>8), byte(f>>16), byte(f>>24)
	return b
}

// GSS-API Kerberos token IDs (RFC 4121 4.1).
var (
	tokAPReq    = []byte{0x01, 0x00}
	tokAPRep    = []byte{0x02, 0x00}
	tokKRBError = []byte{0x03, 0x00}
)

// gssToken frames a Kerberos message as an RFC 2743 InitialContextToken.
func gssToken(tokID, msg []byte) []byte {
	oid, _ := asn1.Marshal(gssapi.OIDKRB5.OID())
	b := append(append(oid, tokID...), msg...)
	return asn1tools.AddASNAppTag(b, 0)
}

// parseGSSToken returns the token ID and message of a Kerberos GSS token.
func parseGSSToken(b []byte) (tokID, msg []byte, err error) {
	var oid asn1.ObjectIdentifier
	rest, err := asn1.UnmarshalWithParams(b, &oid, "application,explicit,tag:0")
	if err != nil {
		return nil, nil, fmt.Errorf("not a GSS-API token: %v", err)
	}
	if !oid.Equal(gssapi.OIDKRB5.OID()) && !oid.Equal(gssapi.OIDMSLegacyKRB5.OID()) {
		return nil, nil, fmt.Errorf("GSS token for mechanism %s, not Kerberos", oid)
	}
	if len(rest) < 2 {
		return nil, nil, fmt.Errorf("GSS token too short")
	}
	return rest[:2], rest[2:], nil
}

// krbErrorFromToken maps a KRB-ERROR the host sent in its 401.
func krbErrorFromToken(b64, spn string) (ke *KerberosError) {
	defer func() {
		if recover() != nil { // hostile ASN.1 must not crash the scan
			ke = nil
		}
	}()
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil
	}
	id, msg, err := parseGSSToken(raw)
	if err != nil || !bytes.Equal(id, tokKRBError) {
		return nil
	}
	var kerr messages.KRBError
	if err := kerr.Unmarshal(msg); err != nil {
		return nil
	}
	e := &KerberosError{Stage: "host", SPN: spn, Code: kerr.ErrorCode}
	switch kerr.ErrorCode {
	case errorcode.KRB_AP_ERR_SKEW:
		e.Kind = KrbClockSkew
		e.Detail = fmt.Sprintf("the host's clock and this machine's differ by more than the allowed skew (host time %s); synchronise the clocks (NTP)",
			kerr.STime.UTC().Format(time.RFC3339))
	case errorcode.KRB_AP_ERR_MODIFIED, errorcode.KRB_AP_ERR_BADKEYVER, errorcode.KRB_AP_ERR_NOKEY:
		e.Kind = KrbRefused
		e.Detail = "the host cannot decrypt the ticket: the SPN is registered on another account, or the host's keys changed (duplicate SPN, stale keytab)"
	case errorcode.KRB_AP_ERR_TKT_EXPIRED:
		e.Kind = KrbRefused
		e.Detail = "the host says the service ticket expired; run the scan again (and check the clocks)"
	case errorcode.KRB_AP_ERR_REPEAT:
		e.Kind = KrbRefused
		e.Detail = "the host took the authenticator for a replay"
	default:
		e.Kind = KrbRefused
		e.Detail = "the host refused the Kerberos ticket"
	}
	return e
}

// verifyAPRep checks the host's AP-REP: it must decrypt with the ticket's
// session key and echo our authenticator's time (RFC 4120 3.2.5).
func verifyAPRep(b64 string, key types.EncryptionKey, auth types.Authenticator) (part *messages.EncAPRepPart, err error) {
	defer func() {
		if r := recover(); r != nil {
			part, err = nil, fmt.Errorf("malformed AP-REP")
		}
	}()
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("the host's Kerberos answer is not base64")
	}
	id, msg, err := parseGSSToken(raw)
	if err != nil {
		return nil, fmt.Errorf("the host's Kerberos answer: %v", err)
	}
	if !bytes.Equal(id, tokAPRep) {
		return nil, fmt.Errorf("the host answered with GSS token %x, not an AP-REP", id)
	}
	var rep messages.APRep
	if err := rep.Unmarshal(msg); err != nil {
		return nil, fmt.Errorf("malformed AP-REP: %v", cleanErr(err))
	}
	plain, err := decryptEncPart(rep.EncPart, key, keyusage.AP_REP_ENCPART)
	if err != nil {
		return nil, fmt.Errorf("the AP-REP does not decrypt with the session key: the answer is not from the host the ticket is for")
	}
	var p messages.EncAPRepPart
	if err := p.Unmarshal(plain); err != nil {
		return nil, fmt.Errorf("malformed AP-REP content: %v", cleanErr(err))
	}
	if !p.CTime.Equal(auth.CTime.Truncate(time.Second)) || p.Cusec != auth.Cusec {
		return nil, fmt.Errorf("the AP-REP does not echo our authenticator's time (replayed answer)")
	}
	return &p, nil
}

// decryptEncPart is gokrb5's crypto.DecryptEncPart, with the AES keys
// derived by deriveAESKey.
func decryptEncPart(ed types.EncryptedData, key types.EncryptionKey, usage uint32) ([]byte, error) {
	if !sealable(key.KeyType) {
		return crypto.DecryptEncPart(ed, key, usage)
	}
	if ed.EType != key.KeyType {
		return nil, fmt.Errorf("encrypted with etype %d, the key is %d", ed.EType, key.KeyType)
	}
	uk, err := newUsageKeys(key, usage)
	if err != nil {
		return nil, err
	}
	return uk.decrypt(ed.Cipher)
}

// krbSeq reads an initial sequence number (Authenticator, AP-REP), a
// UInt32 (RFC 4120 5.5.2) that some implementations encode as a negative
// INTEGER above 2^31: the low 32 bits are the number, as MIT reads it.
func krbSeq(n int64) uint64 { return uint64(uint32(n)) }
