package winrm

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"errors"
	"fmt"
	"math"
	"math/big"
	"sync"
	"time"

	"github.com/jcmturner/gokrb5/v8/crypto/common"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/iana/patype"

	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/krberror"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// tgtSession is the TGT the client's login got, for TGS exchanges over
// kept KDC connections.
type tgtSession struct {
	tkt       messages.Ticket
	key       types.EncryptionKey
	realm     string
	authTime  time.Time
	endTime   time.Time
	renewFrom time.Time // past this, gokrb5's path (which renews) takes over

	// What every TGS-REQ with this TGT repeats, made once (direct: the
	// TGT's session key is AES): the encoded TGT, the checksum key and the
	// keys of the authenticator and of the reply.
	once      sync.Once
	direct    bool
	tktDER    []byte
	kc        []byte
	authKeys  *usageKeys // RFC 4120 key usage 7
	replyKeys *usageKeys // usage 8
}

func (t *tgtSession) prepare() bool {
	t.once.Do(func() {
		if !sealable(t.key.KeyType) {
			return
		}
		tb, ok := derTicket(t.tkt)
		if !ok {
			return
		}
		kc, err := deriveAESKey(t.key.KeyValue, common.GetUsageKc(keyusage.TGS_REQ_PA_TGS_REQ_AP_REQ_AUTHENTICATOR_CHKSUM))
		if err != nil {
			return
		}
		ak, err := newUsageKeys(t.key, keyusage.TGS_REQ_PA_TGS_REQ_AP_REQ_AUTHENTICATOR)
		if err != nil {
			return
		}
		rk, err := newUsageKeys(t.key, keyusage.TGS_REP_ENCPART_SESSION_KEY)
		if err != nil {
			return
		}
		t.tktDER, t.kc, t.authKeys, t.replyKeys, t.direct = tb, kc, ak, rk, true
	})
	return t.direct
}

func newTGTSession(tkt messages.Ticket, key types.EncryptionKey, realm string, auth, end time.Time) *tgtSession {
	// gokrb5 refreshes a session in its last sixth (ensureValidSession).
	return &tgtSession{tkt: tkt, key: key, realm: realm, authTime: auth, endTime: end, renewFrom: end.Add(-end.Sub(auth) / 6)}
}

// serviceTicket is a service ticket got over a kept connection.
type serviceTicket struct {
	tkt       messages.Ticket
	key       types.EncryptionKey
	startTime time.Time
	endTime   time.Time
}

// keptServiceTicket runs in the host's goroutine (ctx bounds its wait for
// the KDC): handing each ticket to a goroutine of its own, as gokrb5's
// path needs, cost the host two more waits for a CPU on a busy machine.
// It is gokrb5's GetServiceTicket (TGSREQGenerateAndExchange
// and TGSExchange: the same request, the same checks of the reply) over a
// kept KDC connection. handled is false when this path does not apply and
// gokrb5's must be used: no TGT of the SPN's realm here, a TGT in the last
// sixth of its life, a referral to another realm, or a realm whose KDCs
// do not answer over TCP.
func (k *KerberosClient) keptServiceTicket(ctx context.Context, spn string) (tkt messages.Ticket, key types.EncryptionKey, handled bool, err error) {
	now := time.Now().UTC()
	k.mu.Lock()
	tgt := k.tgt
	k.mu.Unlock()
	k.tmu.Lock()
	e, cached := k.tickets[spn]
	k.tmu.Unlock()
	if cached && now.After(e.startTime) && now.Before(e.endTime) {
		return e.tkt, e.key, true, nil
	}
	if tgt == nil || !now.Before(tgt.renewFrom) {
		return tkt, key, false, nil
	}
	princ := types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, spn)
	realm := k.cl.Config.ResolveRealm(princ.NameString[len(princ.NameString)-1])
	if realm == "" {
		realm = k.cl.Credentials.Realm()
	}
	if realm != tgt.realm {
		return tkt, key, false, nil
	}
	kdcs, ok := k.kdcs(realm)
	if !ok {
		return tkt, key, false, nil
	}
	req, b, err := k.newTGSReq(tgt, realm, princ)
	if err != nil {
		return tkt, key, true, err
	}
	r, err := k.pool.exchange(ctx, kdcs, b)
	if err != nil && hostExpired(ctx) {
		return tkt, key, true, context.DeadlineExceeded // the host's deadline, not the KDC's fault
	}
	if err != nil {
		// No KDC answered over TCP: gokrb5's path (UDP and TCP as
		// krb5.conf says) for this and every later ticket of the realm.
		k.tmu.Lock()
		k.noFast[realm] = true
		k.tmu.Unlock()
		return tkt, key, false, nil
	}
	var krbErr messages.KRBError
	if err := krbErr.Unmarshal(r); err == nil {
		return tkt, key, true, krberror.Errorf(krbErr, krberror.KDCError, "TGS Exchange Error: kerberos error response from KDC when requesting for %s", spn)
	}
	var rep messages.TGSRep
	if err := rep.Unmarshal(r); err != nil {
		return tkt, key, true, krberror.Errorf(err, krberror.EncodingError, "TGS Exchange Error: failed to process the TGS_REP")
	}
	if err := tgt.decryptReply(&rep); err != nil {
		return tkt, key, true, krberror.Errorf(err, krberror.EncodingError, "TGS Exchange Error: failed to process the TGS_REP")
	}
	if ok, err := rep.Verify(k.cl.Config, req); !ok {
		if err == nil {
			err = errors.New("TGS_REP is not valid")
		}
		return tkt, key, true, krberror.Errorf(err, krberror.EncodingError, "TGS Exchange Error: TGS_REP is not valid")
	}
	if len(rep.Ticket.SName.NameString) > 0 && rep.Ticket.SName.NameString[0] == "krbtgt" && !rep.Ticket.SName.Equal(req.ReqBody.SName) {
		// A referral (RFC 6806): gokrb5 follows it.
		return tkt, key, false, nil
	}
	p := rep.DecryptedEncPart
	k.tmu.Lock()
	k.tickets[spn] = serviceTicket{tkt: rep.Ticket, key: p.Key, startTime: p.StartTime, endTime: p.EndTime}
	k.tmu.Unlock()
	return rep.Ticket, p.Key, true, nil
}

// kdcs lists the realm's KDCs (TCP), looked up once per client; false
// when the realm is left to gokrb5.
func (k *KerberosClient) kdcs(realm string) ([]string, bool) {
	k.tmu.Lock()
	defer k.tmu.Unlock()
	if k.noFast[realm] {
		return nil, false
	}
	if l, ok := k.kdcList[realm]; ok {
		return l, true
	}
	n, m, err := k.cl.Config.GetKDCs(realm, true)
	if err != nil || n == 0 {
		k.noFast[realm] = true
		return nil, false
	}
	var l []string
	for i := 1; i <= n; i++ {
		if a, ok := m[i]; ok {
			l = append(l, a)
		}
	}
	if len(l) == 0 {
		k.noFast[realm] = true
		return nil, false
	}
	k.kdcList[realm] = l
	return l, true
}

// newTGSReq is gokrb5's NewTGSReq then Marshal for a service ticket: the
// same fields from krb5.conf, the body's checksum in an authenticator
// under the TGT's session key, in a PA-TGS-REQ; encoded directly, with
// the keys derived once per TGT, when the TGT's key is AES and krb5.conf
// asks for no addresses (else gokrb5 builds it).
func (k *KerberosClient) newTGSReq(tgt *tgtSession, realm string, sname types.PrincipalName) (messages.TGSReq, []byte, error) {
	c := k.cl.Config
	cname := k.cl.Credentials.CName()
	gokrb5 := func() (messages.TGSReq, []byte, error) {
		req, err := messages.NewTGSReq(cname, realm, c, tgt.tkt, tgt.key, sname, false)
		if err != nil {
			return req, nil, krberror.Errorf(err, krberror.KRBMsgError, "TGS Exchange Error: failed to generate a new TGS_REQ")
		}
		b, err := req.Marshal()
		if err != nil {
			return req, nil, krberror.Errorf(err, krberror.EncodingError, "TGS Exchange Error: failed to marshal TGS_REQ")
		}
		return req, b, nil
	}
	if !c.LibDefaults.NoAddresses || !tgt.prepare() {
		return gokrb5()
	}
	nonce, err := rand.Int(rand.Reader, big.NewInt(math.MaxInt32))
	if err != nil {
		return messages.TGSReq{}, nil, err
	}
	now := time.Now().UTC()
	body := messages.KDCReqBody{
		KDCOptions: types.NewKrbFlags(),
		Realm:      realm,
		CName:      cname,
		SName:      sname,
		Till:       now.Add(c.LibDefaults.TicketLifetime),
		Nonce:      int(nonce.Int64()),
		EType:      c.LibDefaults.DefaultTGSEnctypeIDs,
	}
	if c.LibDefaults.Forwardable {
		types.SetFlag(&body.KDCOptions, flags.Forwardable)
	}
	if c.LibDefaults.Canonicalize {
		types.SetFlag(&body.KDCOptions, flags.Canonicalize)
	}
	if c.LibDefaults.Proxiable {
		types.SetFlag(&body.KDCOptions, flags.Proxiable)
	}
	if c.LibDefaults.RenewLifetime > 0 {
		types.SetFlag(&body.KDCOptions, flags.Renewable)
		body.RTime = now.Add(c.LibDefaults.RenewLifetime)
	}
	bb, ok := derKDCReqBody(body)
	if !ok {
		return gokrb5()
	}
	mac := hmac.New(sha1.New, tgt.kc)
	mac.Write(bb)
	et := tgt.authKeys.et
	auth, err := types.NewAuthenticator(tgt.tkt.Realm, cname)
	if err != nil {
		return messages.TGSReq{}, nil, krberror.Errorf(err, krberror.KRBMsgError, "TGS Exchange Error: failed to generate a new TGS_REQ")
	}
	auth.Cksum = types.Checksum{CksumType: et.GetHashID(), Checksum: mac.Sum(nil)[:et.GetHMACBitLength()/8]}
	ab, ok := derAuthenticator(auth)
	if !ok {
		return gokrb5()
	}
	ed := types.EncryptedData{EType: tgt.key.KeyType, KVNO: tgt.tkt.EncPart.KVNO}
	if ed.Cipher, err = tgt.authKeys.encrypt(ab); err != nil {
		return messages.TGSReq{}, nil, krberror.Errorf(err, krberror.EncryptingError, "TGS Exchange Error: error encrypting Authenticator")
	}
	pa := types.PADataSequence{{PADataType: patype.PA_TGS_REQ, PADataValue: derAPReq(types.NewKrbFlags(), tgt.tktDER, ed)}}
	req := messages.TGSReq{KDCReqFields: messages.KDCReqFields{PVNO: 5, MsgType: msgtype.KRB_TGS_REQ, PAData: pa, ReqBody: body}}
	return req, derTGSReq(pa, bb), nil
}

// decryptReply is TGSRep.DecryptEncPart with the reply keys derived once.
func (t *tgtSession) decryptReply(rep *messages.TGSRep) error {
	if !t.prepare() {
		return rep.DecryptEncPart(t.key)
	}
	if rep.EncPart.EType != t.key.KeyType {
		return fmt.Errorf("TGS_REP encrypted with etype %d, the session key is %d", rep.EncPart.EType, t.key.KeyType)
	}
	b, err := t.replyKeys.decrypt(rep.EncPart.Cipher)
	if err != nil {
		return fmt.Errorf("error decrypting TGS_REP EncPart: %w", err)
	}
	var p messages.EncKDCRepPart
	if err := p.Unmarshal(b); err != nil {
		return err
	}
	rep.DecryptedEncPart = p
	return nil
}

// hostExpired: ctx is done or its deadline has passed (a connection
// deadline set from it can fire before ctx itself reports it).
func hostExpired(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}
