package winrmtest

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/asn1tools"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/asnAppTag"
	"github.com/jcmturner/gokrb5/v8/iana/chksumtype"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"
)

// The simulator's Kerberos acceptor: what HTTP.sys and the Kerberos SSP do
// for WinRM on a domain member. It decrypts the ticket with the host's keys
// (a keytab file from the lab, or the keys of the lab's simulated KDC),
// checks the authenticator (clock skew against the host's own clock,
// replays), answers the AP-REP with a fresh acceptor subkey (mutual
// authentication) and then seals and unseals messages with RFC 4121 wrap
// tokens keyed by that subkey. It shares no code with the scanner.

const (
	krbSkew           = 5 * time.Minute
	spnegoKrbProtocol = sealedProtocol
	kerberosProtocol  = "application/HTTP-Kerberos-session-encrypted"
)

// krbContext is one connection's Kerberos security context.
type krbContext struct {
	protocol       string
	key            types.EncryptionKey // acceptor subkey (mutual), else the initiator's subkey or session key
	acceptorSubkey bool
	recvSeq        uint64 // next initiator sequence number
	sendSeq        uint64
	mu             sync.Mutex

	// The usage keys of key, derived once (see krbUsageKeys).
	inOnce, outOnce sync.Once
	in, out         *krbUsageKeys
	inErr, outErr   error
	// inAES and outAES seal and open AES tokens in one buffer
	// (kerberoswrap.go); nil for other key types.
	inAES, outAES *krbAES
}

// keytab returns the host's Kerberos keys: its lab keytab file, else the
// keys the lab's KDC issued for it; nil when it has none.
func (hs *hostServer) keytab() (*keytab.Keytab, error) {
	hs.krbOnce.Do(func() {
		h := hs.h
		switch {
		case h.WinRM.KerberosKeytab != "":
			path := h.WinRM.KerberosKeytab
			if !filepath.IsAbs(path) && hs.srv.lab.File != "" {
				path = filepath.Join(filepath.Dir(hs.srv.lab.File), path)
			}
			hs.krbKeys, hs.krbErr = keytab.Load(path)
		case hs.srv.kdc != nil:
			hs.krbKeys = hs.srv.kdc.hostKeytab(h)
		}
	})
	return hs.krbKeys, hs.krbErr
}

// replaySeen records an authenticator; true if it was seen before.
func (hs *hostServer) replaySeen(a types.Authenticator) bool {
	k := a.CName.PrincipalNameString() + "@" + a.CRealm + "|" + a.CTime.UTC().Format(time.RFC3339) + "|" + strconv.Itoa(a.Cusec)
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if hs.replay == nil {
		hs.replay = map[string]time.Time{}
	}
	if _, ok := hs.replay[k]; ok {
		return true
	}
	now := time.Now()
	if len(hs.replay) > 10000 {
		for kk, t := range hs.replay {
			if now.Sub(t) > 2*krbSkew {
				delete(hs.replay, kk)
			}
		}
	}
	hs.replay[k] = now
	return false
}

// isGSSToken tells a Kerberos/SPNEGO GSS token from an NTLM message.
func isGSSToken(raw []byte) bool { return len(raw) > 2 && raw[0] == 0x60 }

// kerberos handles Authorization: Negotiate|Kerberos <Kerberos AP-REQ>.
func (rq *request) kerberos(scheme string, raw, body []byte) {
	rq.call.Auth = AuthKerberos
	h := rq.hs.h
	if strings.EqualFold(scheme, "Kerberos") && !h.kerberosAdvertised() {
		rq.call.AuthError = "Kerberos is disabled on this host"
		rq.unauthorized()
		return
	}
	kt, err := rq.hs.keytab()
	if err != nil || kt == nil {
		rq.call.AuthError = "the host has no Kerberos keys (lab: winrm.kerberosKeytab, or a domain with kdc: true)"
		if err != nil {
			rq.call.AuthError = "the host's keytab cannot be read: " + err.Error()
		}
		rq.unauthorized()
		return
	}
	raw, viaSPNEGO, err := unwrapSPNEGO(raw)
	if err != nil {
		rq.call.AuthError = "bad SPNEGO token: " + err.Error()
		rq.unauthorized()
		return
	}
	apReq, err := parseAPReq(raw)
	if err != nil {
		rq.call.AuthError = "not a Kerberos AP-REQ: " + err.Error()
		rq.unauthorized()
		return
	}
	now := time.Now().Add(h.WinRM.ClockOffset)
	if err := apReq.Ticket.DecryptEncPart(kt, nil); err != nil {
		rq.krbRefuse(scheme, apReq, now, errorcode.KRB_AP_ERR_MODIFIED, "the ticket does not decrypt with the host's keys (SPN of another account, or stale keys)")
		return
	}
	tp := apReq.Ticket.DecryptedEncPart
	if err := apReq.DecryptAuthenticator(tp.Key); err != nil {
		rq.krbRefuse(scheme, apReq, now, errorcode.KRB_AP_ERR_MODIFIED, "the authenticator does not decrypt with the ticket's session key")
		return
	}
	auth := apReq.Authenticator
	switch {
	case !auth.CName.Equal(tp.CName) || !strings.EqualFold(auth.CRealm, tp.CRealm):
		rq.krbRefuse(scheme, apReq, now, errorcode.KRB_AP_ERR_BADMATCH, "the authenticator names another client than the ticket")
		return
	case auth.CTime.Sub(now) > krbSkew || now.Sub(auth.CTime) > krbSkew:
		rq.krbRefuse(scheme, apReq, now, errorcode.KRB_AP_ERR_SKEW, "clock skew too great")
		return
	case now.After(tp.EndTime.Add(krbSkew)):
		rq.krbRefuse(scheme, apReq, now, errorcode.KRB_AP_ERR_TKT_EXPIRED, "the ticket has expired")
		return
	case !tp.StartTime.IsZero() && tp.StartTime.After(now.Add(krbSkew)):
		rq.krbRefuse(scheme, apReq, now, errorcode.KRB_AP_ERR_TKT_NYV, "the ticket is not yet valid")
		return
	case auth.Cksum.CksumType != chksumtype.GSSAPI || len(auth.Cksum.Checksum) < 24:
		rq.krbRefuse(scheme, apReq, now, errorcode.KRB_AP_ERR_INAPP_CKSUM, "the authenticator lacks the GSS-API checksum")
		return
	case rq.hs.replaySeen(auth):
		rq.krbRefuse(scheme, apReq, now, errorcode.KRB_AP_ERR_REPEAT, "replayed authenticator")
		return
	}
	binding, err := rq.kerberosBinding(auth.Cksum.Checksum[4:20])
	if err != nil {
		// SEC_E_BAD_BINDINGS: a plain 401, as for NTLM.
		rq.call.AuthError = err.Error()
		rq.unauthorized()
		return
	}
	rq.call.ChannelBinding = string(binding)
	user := strings.Join(tp.CName.NameString, "/")
	acct, ok := h.resolveAccount(user+"@"+tp.CRealm, "")
	if !ok {
		rq.call.AuthError = "Kerberos principal " + user + "@" + tp.CRealm + " has no account on this host"
		rq.unauthorized()
		return
	}
	// WinRM authorizes the logged-on account the same way whatever the
	// method: no rights (RootSDDL) or a filtered token is the same 401.
	if reason := rq.hs.winrmAccessDenied(acct); reason != "" {
		rq.call.AuthError = reason
		rq.call.User = acct.String()
		rq.unauthorized()
		return
	}
	mutual := types.IsFlagSet(&apReq.APOptions, flags.APOptionMutualRequired)
	// Windows always answers with an acceptor subkey of the ticket's type.
	sub := make([]byte, len(tp.Key.KeyValue))
	_, _ = rand.Read(sub)
	seqN, _ := rand.Int(rand.Reader, big.NewInt(1<<30))
	kctx := &krbContext{
		protocol:       spnegoKrbProtocol,
		key:            types.EncryptionKey{KeyType: tp.Key.KeyType, KeyValue: sub},
		acceptorSubkey: true,
		recvSeq:        uint64(auth.SeqNumber),
		sendSeq:        seqN.Uint64(),
	}
	if !mutual {
		// No AP-REP, so no acceptor subkey: RFC 4121 keys the context with
		// the initiator's subkey, else the ticket's session key.
		kctx.key, kctx.acceptorSubkey, kctx.sendSeq = tp.Key, false, uint64(auth.SeqNumber)
		if auth.SubKey.KeyType != 0 && len(auth.SubKey.KeyValue) > 0 {
			kctx.key = auth.SubKey
		}
	}
	if strings.EqualFold(scheme, "Kerberos") {
		kctx.protocol = kerberosProtocol
	}
	rep, err := marshalAPRep(tp.Key, auth, kctx.key, int64(kctx.sendSeq))
	if err != nil {
		rq.call.AuthError = "building the AP-REP: " + err.Error()
		rq.unauthorized()
		return
	}
	rq.cs.mu.Lock()
	rq.cs.handshake, rq.cs.matched, rq.cs.session = nil, nil, nil
	rq.cs.krb, rq.cs.acct = kctx, acct
	rq.cs.mu.Unlock()
	rq.call.User = acct.String()
	switch {
	case viaSPNEGO:
		// SPNEGO clients (Windows, pyspnego) get a NegTokenResp carrying
		// the AP-REP.
		resp := spnego.NegTokenResp{NegState: asn1.Enumerated(spnego.NegStateAcceptCompleted), SupportedMech: gssapi.OIDKRB5.OID()}
		if mutual {
			resp.ResponseToken = gssFrame([]byte{2, 0}, rep)
		}
		if b, err := resp.Marshal(); err == nil {
			rq.w.Header().Set("WWW-Authenticate", scheme+" "+base64.StdEncoding.EncodeToString(b))
		}
	case mutual:
		rq.w.Header().Set("WWW-Authenticate", scheme+" "+base64.StdEncoding.EncodeToString(gssFrame([]byte{2, 0}, rep)))
	}
	if len(body) == 0 {
		rq.status(http.StatusOK)
		return
	}
	rq.krbSoap(body, kctx, acct)
}

// krbRefuse answers 401 with a KRB-ERROR token, as the Kerberos SSP gives
// the client (a Windows client would retry a skew error with corrected time).
func (rq *request) krbRefuse(scheme string, apReq messages.APReq, now time.Time, code int32, why string) {
	rq.call.AuthError = "Kerberos: " + why
	ke := messages.NewKRBError(apReq.Ticket.SName, apReq.Ticket.Realm, code, why)
	ke.STime = now.UTC().Truncate(time.Second)
	ke.Susec = 0
	rq.cs.forget()
	if b, err := ke.Marshal(); err == nil {
		rq.w.Header().Add("WWW-Authenticate", scheme+" "+base64.StdEncoding.EncodeToString(gssFrame([]byte{3, 0}, b)))
	}
	rq.close()
	rq.status(http.StatusUnauthorized)
}

// unwrapSPNEGO returns the Kerberos token inside a SPNEGO NegTokenInit
// (RFC 4178), or raw unchanged when it is a raw Kerberos token.
func unwrapSPNEGO(raw []byte) (tok []byte, viaSPNEGO bool, err error) {
	defer func() {
		if recover() != nil {
			tok, viaSPNEGO, err = nil, false, errors.New("malformed SPNEGO token")
		}
	}()
	var oid asn1.ObjectIdentifier
	if _, err := asn1.UnmarshalWithParams(raw, &oid, "application,explicit,tag:0"); err != nil || !oid.Equal(gssapi.OIDSPNEGO.OID()) {
		return raw, false, nil
	}
	var st spnego.SPNEGOToken
	if err := st.Unmarshal(raw); err != nil {
		return nil, true, err
	}
	if !st.Init || len(st.NegTokenInit.MechTokenBytes) == 0 {
		return nil, true, errors.New("NegTokenInit without a Kerberos mechToken (NTLM inside SPNEGO is not simulated)")
	}
	return st.NegTokenInit.MechTokenBytes, true, nil
}

func parseAPReq(raw []byte) (ap messages.APReq, err error) {
	defer func() {
		if recover() != nil {
			err = errors.New("malformed AP-REQ")
		}
	}()
	var oid asn1.ObjectIdentifier
	rest, err := asn1.UnmarshalWithParams(raw, &oid, "application,explicit,tag:0")
	if err != nil {
		return ap, err
	}
	if !oid.Equal(gssapi.OIDKRB5.OID()) && !oid.Equal(gssapi.OIDMSLegacyKRB5.OID()) {
		return ap, fmt.Errorf("GSS mechanism %s is not Kerberos", oid)
	}
	if len(rest) < 2 || rest[0] != 1 || rest[1] != 0 {
		return ap, errors.New("GSS token is not an AP-REQ")
	}
	err = ap.Unmarshal(rest[2:])
	return ap, err
}

func gssFrame(tokID, msg []byte) []byte {
	oid, _ := asn1.Marshal(gssapi.OIDKRB5.OID())
	return asn1tools.AddASNAppTag(append(append(oid, tokID...), msg...), 0)
}

// marshalAPRep builds KRB_AP_REP (gokrb5 only parses it).
func marshalAPRep(session types.EncryptionKey, auth types.Authenticator, subkey types.EncryptionKey, seq int64) ([]byte, error) {
	part := messages.EncAPRepPart{CTime: auth.CTime.UTC().Truncate(time.Second), Cusec: auth.Cusec, Subkey: subkey, SequenceNumber: seq}
	pb, err := asn1.Marshal(part)
	if err != nil {
		return nil, err
	}
	pb = asn1tools.AddASNAppTag(pb, asnAppTag.EncAPRepPart)
	ed, err := crypto.GetEncryptedData(pb, session, keyusage.AP_REP_ENCPART, 0)
	if err != nil {
		return nil, err
	}
	rep := messages.APRep{PVNO: 5, MsgType: msgtype.KRB_AP_REP, EncPart: ed}
	b, err := asn1.Marshal(rep)
	if err != nil {
		return nil, err
	}
	return asn1tools.AddASNAppTag(b, asnAppTag.APREP), nil
}

// krbSoap unseals a request, answers it and seals the answer.
func (rq *request) krbSoap(body []byte, k *krbContext, acct account) {
	ct := strings.ToLower(rq.r.Header.Get("Content-Type"))
	if !strings.HasPrefix(ct, "multipart/encrypted") || !strings.Contains(ct, strings.ToLower(k.protocol)) {
		if !rq.cs.tls && !rq.hs.h.WinRM.AllowUnencrypted {
			rq.call.Fault = "unencrypted-rejected"
			rq.cs.forget()
			rq.close()
			rq.status(http.StatusInternalServerError)
			return
		}
		rq.answer(body, acct, nil)
		return
	}
	rq.call.Sealed = true
	k.mu.Lock()
	plain, err := k.unseal(body)
	k.mu.Unlock()
	if err != nil {
		rq.call.Fault = "unseal-failed"
		rq.hs.srv.log.Debug("kerberos unseal", "host", rq.hs.h.Name, "err", err)
		rq.cs.forget()
		rq.close()
		rq.status(http.StatusBadRequest)
		return
	}
	rq.answer(plain, acct, k)
}

// answer runs one WS-Man message and writes the reply, sealed with k if set.
func (rq *request) answer(plain []byte, acct account, k *krbContext) {
	res := rq.hs.handle(rq, plain, acct)
	switch {
	case res.gone:
		rq.call.Fault = "client-gone"
		return
	case res.drop:
		rq.call.Fault = "dropped"
		rq.drop()
		return
	case res.emptyStatus != 0:
		rq.call.Fault = "http-500-empty"
		rq.status(res.emptyStatus)
		return
	}
	out := res.body
	if k != nil {
		k.mu.Lock()
		out = k.seal(out)
		k.mu.Unlock()
		rq.w.Header().Set("Content-Type", `multipart/encrypted;protocol="`+k.protocol+`";boundary="Encrypted Boundary"`)
	} else {
		rq.w.Header().Set("Content-Type", soapContentType)
	}
	rq.w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	rq.call.ResponseBytes = len(out)
	rq.status(res.status)
	_, _ = rq.w.Write(out)
}

// unseal parses the multipart body (header length is variable: 60 bytes
// for AES from MIT and Windows) and opens the wrap token.
func (k *krbContext) unseal(body []byte) ([]byte, error) {
	part, err := splitSealedBody(body, "\tContent-Type: "+k.protocol+"\r\n", func(n int) bool { return n >= 16 && n <= 1024 })
	if err != nil {
		return nil, err
	}
	plain, err := k.open(part.token)
	if err != nil {
		return nil, err
	}
	if len(plain) != part.length {
		return nil, fmt.Errorf("%w: %d plaintext bytes, Length says %d", errFraming, len(plain), part.length)
	}
	return plain, nil
}

// open verifies and decrypts an initiator's wrap token (RFC 4121 4.2.4).
func (k *krbContext) open(tok []byte) ([]byte, error) {
	if len(tok) < 16 || tok[0] != 5 || tok[1] != 4 || tok[3] != 0xff {
		return nil, errors.New("not a wrap token")
	}
	fl := tok[2]
	if fl&1 != 0 || fl&2 == 0 || (fl&4 != 0) != k.acceptorSubkey {
		return nil, fmt.Errorf("wrap token flags %#x: want initiator, sealed, acceptor subkey %v", fl, k.acceptorSubkey)
	}
	ec := int(binary.BigEndian.Uint16(tok[4:6]))
	rrc := int(binary.BigEndian.Uint16(tok[6:8]))
	seq := binary.BigEndian.Uint64(tok[8:16])
	body := tok[16:]
	if len(body) == 0 {
		return nil, errors.New("empty wrap token")
	}
	k.inOnce.Do(func() {
		k.in, k.inErr = deriveUsageKeys(k.key, keyusage.GSSAPI_INITIATOR_SEAL)
		if k.inErr == nil {
			k.inAES = newKrbAES(k.in)
		}
	})
	if k.inErr != nil {
		return nil, fmt.Errorf("wrap token: %v", k.inErr)
	}
	var pt, hdrCopy []byte
	err := errWrapLayout
	if k.inAES != nil {
		pt, hdrCopy, err = k.inAES.openToken(tok)
	}
	if err == errWrapLayout {
		r := rrc % len(body)
		un := append(append([]byte{}, body[r:]...), body[:r]...)
		pt, err = k.in.decrypt(un)
		if err == nil {
			if len(pt) < ec+16 {
				return nil, errors.New("wrap token too short")
			}
			pt, hdrCopy = pt[:len(pt)-16], pt[len(pt)-16:]
		}
	}
	if err != nil {
		return nil, fmt.Errorf("wrap token: %v", err)
	}
	if len(pt) < ec {
		return nil, errors.New("wrap token too short")
	}
	var want [16]byte
	copy(want[:], tok[:16])
	want[6], want[7] = 0, 0
	if !bytes.Equal(hdrCopy, want[:]) {
		return nil, errors.New("wrap token header copy mismatch")
	}
	if seq != k.recvSeq {
		return nil, fmt.Errorf("wrap token sequence %d, expected %d", seq, k.recvSeq)
	}
	k.recvSeq++
	return pt[:len(pt)-ec], nil
}

// seal frames an answer as Windows does: one wrap token from the acceptor
// (EC 0, RRC 28 for AES), its 60-byte head length-prefixed before the data.
func (k *krbContext) seal(plain []byte) []byte {
	et, _ := crypto.GetEtype(k.key.KeyType)
	h := []byte{5, 4, 1 | 2, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	if k.acceptorSubkey {
		h[2] |= 4
	}
	binary.BigEndian.PutUint64(h[8:], k.sendSeq)
	k.sendSeq++
	k.outOnce.Do(func() {
		k.out, k.outErr = deriveUsageKeys(k.key, keyusage.GSSAPI_ACCEPTOR_SEAL)
		if k.outErr == nil {
			k.outAES = newKrbAES(k.out)
		}
	})
	if k.outErr != nil {
		return nil
	}
	if k.outAES != nil {
		body, err := k.outAES.sealBody(k.protocol, [16]byte(h), plain)
		if err != nil {
			return nil
		}
		return body
	}
	ct, err := k.out.encrypt(append(append([]byte{}, plain...), h...))
	if err != nil {
		return nil
	}
	rrc := 16 + et.GetHMACBitLength()/8
	binary.BigEndian.PutUint16(h[6:8], uint16(rrc))
	rot := append(append([]byte{}, ct[len(ct)-rrc:]...), ct[:len(ct)-rrc]...)
	head := append(append([]byte{}, h...), rot[:rrc+et.GetConfounderByteSize()]...)
	data := rot[rrc+et.GetConfounderByteSize():]

	var b bytes.Buffer
	b.Grow(len(plain) + 400)
	b.WriteString(boundaryLine)
	b.WriteString("\tContent-Type: " + k.protocol + "\r\n")
	b.WriteString(origContentPfx + strconv.Itoa(len(plain)) + "\r\n")
	b.WriteString(boundaryLine)
	b.WriteString(octetLine)
	var l [4]byte
	binary.LittleEndian.PutUint32(l[:], uint32(len(head)))
	b.Write(l[:])
	b.Write(head)
	b.Write(data)
	b.WriteString(boundaryEnd)
	return b.Bytes()
}
