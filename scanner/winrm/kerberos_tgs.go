package winrm

import (
	"errors"
	"time"

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

// keptServiceTicket is gokrb5's GetServiceTicket (TGSREQGenerateAndExchange
// and TGSExchange: the same request, the same checks of the reply) over a
// kept KDC connection. handled is false when this path does not apply and
// gokrb5's must be used: no TGT of the SPN's realm here, a TGT in the last
// sixth of its life, a referral to another realm, or a realm whose KDCs
// do not answer over TCP.
func (k *KerberosClient) keptServiceTicket(spn string) (tkt messages.Ticket, key types.EncryptionKey, handled bool, err error) {
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
	req, err := messages.NewTGSReq(k.cl.Credentials.CName(), realm, k.cl.Config, tgt.tkt, tgt.key, princ, false)
	if err != nil {
		return tkt, key, true, krberror.Errorf(err, krberror.KRBMsgError, "TGS Exchange Error: failed to generate a new TGS_REQ")
	}
	b, err := req.Marshal()
	if err != nil {
		return tkt, key, true, krberror.Errorf(err, krberror.EncodingError, "TGS Exchange Error: failed to marshal TGS_REQ")
	}
	r, err := k.pool.exchange(kdcs, b)
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
	if err := rep.DecryptEncPart(tgt.key); err != nil {
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
