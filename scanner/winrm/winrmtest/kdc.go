package winrmtest

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/iana/patype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// labKDC is a small simulated KDC for the lab's domains marked kdc: true:
// AS and TGS exchanges over TCP on loopback, AES256 only, keys from the lab
// (users' passwords; random krbtgt and host keys per server). It exists so
// that `ntlmscan demo` and `simulate` can show Kerberos without a real KDC;
// the tests against MIT krb5 keep the scanner's client honest.
type labKDC struct {
	ln     net.Listener
	realms map[string]*kdcRealm // by upper-case realm
	wg     sync.WaitGroup
	// as and tgs count the requests answered, conns the TCP connections
	// accepted, for Counters.
	asReqs, tgsReqs, conns atomic.Uint64
	// oneShot: close every connection after its first reply, as MIT's
	// krb5kdc does (SetKDCOneShot); by default a connection is kept for
	// further requests, as RFC 4120 7.2.2 allows.
	oneShot atomic.Bool
	// open are the connections being served, closed by close (a client
	// may keep one idle).
	mu      sync.Mutex
	open    map[net.Conn]struct{}
	closing bool
	tgts    map[string]*seenTGT // TGTs decrypted before (openTGT)
}

// kdcIdle is how long the lab KDC keeps an idle connection open.
const kdcIdle = 30 * time.Second

type kdcRealm struct {
	name    string // upper case
	domain  *Domain
	krbtgt  *keytab.Keytab
	hosts   map[string]*keytab.Keytab // lower-case SPN -> the host's keytab
	secrets map[string]string         // host name -> its lab machine secret
}

const kdcEtype = etypeID.AES256_CTS_HMAC_SHA1_96

func randomSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// startKDC starts a KDC for every domain with kdc: true; nil if none.
func startKDC(lab *Lab, addr string) (*labKDC, error) {
	k := &labKDC{realms: map[string]*kdcRealm{}}
	for _, d := range lab.Domains {
		if !d.KDC {
			continue
		}
		r := &kdcRealm{name: strings.ToUpper(d.Name), domain: d, krbtgt: keytab.New(), hosts: map[string]*keytab.Keytab{}, secrets: map[string]string{}}
		if err := r.krbtgt.AddEntry("krbtgt/"+r.name, r.name, randomSecret(), time.Now(), 1, kdcEtype); err != nil {
			return nil, err
		}
		for _, h := range lab.Hosts {
			if h.domain != d || h.WinRM.KerberosKeytab != "" {
				continue
			}
			kt := keytab.New()
			secret := randomSecret()
			for _, spn := range h.kdcSPNs() {
				if err := kt.AddEntry(spn, r.name, secret, time.Now(), 1, h.kdcEtype()); err != nil {
					return nil, err
				}
				r.hosts[strings.ToLower(spn)] = kt
			}
			r.secrets[h.Name] = secret
		}
		k.realms[r.name] = r
	}
	if len(k.realms) == 0 {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("lab KDC: %w", err)
	}
	k.ln = ln
	k.wg.Add(1)
	go k.serve()
	return k, nil
}

// Addr is host:port of the KDC (TCP).
func (k *labKDC) Addr() string { return k.ln.Addr().String() }

func (k *labKDC) close() {
	_ = k.ln.Close()
	k.mu.Lock()
	k.closing = true
	for c := range k.open {
		_ = c.Close()
	}
	k.mu.Unlock()
	k.wg.Wait()
}

// hostKeytab is the keytab the KDC keys the host's SPNs with.
func (k *labKDC) hostKeytab(h *Host) *keytab.Keytab {
	for _, r := range k.realms {
		if kt, ok := r.hosts["http/"+strings.ToLower(h.FQDN)]; ok {
			return kt
		}
	}
	return nil
}

func (k *labKDC) serve() {
	defer k.wg.Done()
	for {
		c, err := k.ln.Accept()
		if err != nil {
			return
		}
		k.conns.Add(1)
		k.mu.Lock()
		if k.closing {
			k.mu.Unlock()
			_ = c.Close()
			return
		}
		if k.open == nil {
			k.open = map[net.Conn]struct{}{}
		}
		k.open[c] = struct{}{}
		k.mu.Unlock()
		k.wg.Add(1)
		go func() {
			defer k.wg.Done()
			defer func() {
				k.mu.Lock()
				delete(k.open, c)
				k.mu.Unlock()
				_ = c.Close()
			}()
			for k.serveOne(c) && !k.oneShot.Load() {
			}
		}()
	}
}

// serveOne answers one request on c; false when the connection is done
// (closed by the client, idle too long, or malformed).
func (k *labKDC) serveOne(c net.Conn) bool {
	_ = c.SetDeadline(time.Now().Add(kdcIdle))
	var l [4]byte
	if _, err := io.ReadFull(c, l[:]); err != nil {
		return false
	}
	n := binary.BigEndian.Uint32(l[:])
	if n == 0 || n > 64<<10 {
		return false
	}
	req := make([]byte, n)
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(c, req); err != nil {
		return false
	}
	out := k.handle(req)
	binary.BigEndian.PutUint32(l[:], uint32(len(out)))
	_, err := c.Write(append(l[:], out...))
	return err == nil
}

func (k *labKDC) handle(req []byte) []byte {
	if len(req) == 0 {
		return nil
	}
	switch req[0] & 0x1f {
	case msgtype.KRB_AS_REQ:
		k.asReqs.Add(1)
		var r messages.ASReq
		if err := r.Unmarshal(req); err != nil {
			return kdcErr(types.PrincipalName{}, "", errorcode.KRB_ERR_GENERIC, "malformed AS-REQ")
		}
		return k.as(r)
	case msgtype.KRB_TGS_REQ:
		k.tgsReqs.Add(1)
		var r messages.TGSReq
		if err := r.Unmarshal(req); err != nil {
			return kdcErr(types.PrincipalName{}, "", errorcode.KRB_ERR_GENERIC, "malformed TGS-REQ")
		}
		return k.tgs(r)
	}
	return kdcErr(types.PrincipalName{}, "", errorcode.KRB_ERR_GENERIC, "unsupported message")
}

func kdcErr(sname types.PrincipalName, realm string, code int32, text string) []byte {
	e := messages.NewKRBError(sname, realm, code, text)
	b, _ := e.Marshal()
	return b
}

func (k *labKDC) as(r messages.ASReq) []byte {
	realm := strings.ToUpper(r.ReqBody.Realm)
	kr, ok := k.realms[realm]
	if !ok {
		return kdcErr(r.ReqBody.SName, realm, errorcode.KDC_ERR_WRONG_REALM, "unknown realm")
	}
	user := strings.Join(r.ReqBody.CName.NameString, "/")
	var pw string
	found := false
	for _, u := range kr.domain.Users {
		if strings.EqualFold(u.Name, user) {
			pw, found = u.Password, true
			user = u.Name
		}
	}
	if !found {
		return kdcErr(r.ReqBody.SName, realm, errorcode.KDC_ERR_C_PRINCIPAL_UNKNOWN, "client not found")
	}
	if !offers(r.ReqBody.EType, kdcEtype) {
		return kdcErr(r.ReqBody.SName, realm, errorcode.KDC_ERR_ETYPE_NOSUPP, "AES256 only")
	}
	cname := types.PrincipalName{NameType: nametype.KRB_NT_PRINCIPAL, NameString: []string{user}}
	sname := types.PrincipalName{NameType: nametype.KRB_NT_SRV_INST, NameString: []string{"krbtgt", realm}}
	now := time.Now().UTC().Truncate(time.Second)
	end := now.Add(10 * time.Hour)
	tf := types.NewKrbFlags()
	types.SetFlag(&tf, flags.Initial)
	tkt, skey, err := messages.NewTicket(cname, realm, sname, realm, tf, kr.krbtgt, kdcEtype, 1, now, now, end, end)
	if err != nil {
		return kdcErr(sname, realm, errorcode.KRB_ERR_GENERIC, "ticket")
	}
	et, _ := crypto.GetEtype(kdcEtype)
	salt := realm + user
	ukey, err := et.StringToKey(pw, salt, et.GetDefaultStringToKeyParams())
	if err != nil {
		return kdcErr(sname, realm, errorcode.KRB_ERR_GENERIC, "key")
	}
	part := messages.EncKDCRepPart{Key: skey, LastReqs: []messages.LastReq{{LRType: 0, LRValue: now}}, Nonce: r.ReqBody.Nonce, Flags: tf,
		AuthTime: now, StartTime: now, EndTime: end, RenewTill: end, SRealm: realm, SName: sname}
	pb, err := part.Marshal()
	if err != nil {
		return kdcErr(sname, realm, errorcode.KRB_ERR_GENERIC, "marshal")
	}
	ed, err := crypto.GetEncryptedData(pb, types.EncryptionKey{KeyType: kdcEtype, KeyValue: ukey}, keyusage.AS_REP_ENCPART, 1)
	if err != nil {
		return kdcErr(sname, realm, errorcode.KRB_ERR_GENERIC, "encrypt")
	}
	info, _ := asn1.Marshal(types.ETypeInfo2{{EType: kdcEtype, Salt: salt}})
	rep := messages.ASRep{KDCRepFields: messages.KDCRepFields{PVNO: 5, MsgType: msgtype.KRB_AS_REP, CRealm: realm, CName: cname, Ticket: tkt, EncPart: ed,
		PAData: types.PADataSequence{{PADataType: patype.PA_ETYPE_INFO2, PADataValue: info}}}}
	b, err := rep.Marshal()
	if err != nil {
		return kdcErr(sname, realm, errorcode.KRB_ERR_GENERIC, "marshal")
	}
	return b
}

func offers(ets []int32, want int32) bool {
	for _, e := range ets {
		if e == want {
			return true
		}
	}
	return false
}

func (k *labKDC) tgs(r messages.TGSReq) []byte {
	realm := strings.ToUpper(r.ReqBody.Realm)
	kr, ok := k.realms[realm]
	if !ok {
		return kdcErr(r.ReqBody.SName, realm, errorcode.KDC_ERR_WRONG_REALM, "unknown realm")
	}
	var apReq messages.APReq
	for _, pa := range r.PAData {
		if pa.PADataType == patype.PA_TGS_REQ {
			if err := apReq.Unmarshal(pa.PADataValue); err != nil {
				return kdcErr(r.ReqBody.SName, realm, errorcode.KRB_ERR_GENERIC, "malformed PA-TGS-REQ")
			}
		}
	}
	seen, err := k.openTGT(kr, &apReq.Ticket)
	if err != nil {
		return kdcErr(r.ReqBody.SName, realm, errorcode.KRB_AP_ERR_BAD_INTEGRITY, "TGT does not decrypt")
	}
	tgt := seen.part
	if err := seen.openAuthenticator(&apReq); err != nil {
		return kdcErr(r.ReqBody.SName, realm, errorcode.KRB_AP_ERR_BAD_INTEGRITY, "authenticator does not decrypt")
	}
	now := time.Now().UTC().Truncate(time.Second)
	if d := apReq.Authenticator.CTime.Sub(now); d > krbSkew || d < -krbSkew {
		return kdcErr(r.ReqBody.SName, realm, errorcode.KRB_AP_ERR_SKEW, "clock skew too great")
	}
	if now.After(tgt.EndTime) {
		return kdcErr(r.ReqBody.SName, realm, errorcode.KRB_AP_ERR_TKT_EXPIRED, "TGT expired")
	}
	sname := r.ReqBody.SName
	spn := strings.ToLower(strings.Join(sname.NameString, "/"))
	hkt, ok := kr.hosts[spn]
	if !ok {
		return kdcErr(sname, realm, errorcode.KDC_ERR_S_PRINCIPAL_UNKNOWN, "server not found in Kerberos database")
	}
	// Issue the ticket under the SPN's registered spelling.
	for _, e := range hkt.Entries {
		if strings.EqualFold(strings.Join(e.Principal.Components, "/"), spn) {
			sname = types.PrincipalName{NameType: nametype.KRB_NT_SRV_INST, NameString: e.Principal.Components}
		}
	}
	// The ticket is issued with the service account's key type; a client
	// that does not offer it gets KDC_ERR_ETYPE_NOSUPP, as from AD for an
	// account with only RC4 keys.
	etype := hkt.Entries[0].Key.KeyType
	if !offers(r.ReqBody.EType, etype) {
		return kdcErr(sname, realm, errorcode.KDC_ERR_ETYPE_NOSUPP, "KDC has no support for encryption type")
	}
	end := tgt.EndTime
	tf := types.NewKrbFlags()
	tkt, skey, err := messages.NewTicket(tgt.CName, tgt.CRealm, sname, realm, tf, hkt, etype, 1, tgt.AuthTime, now, end, end)
	if err != nil {
		return kdcErr(sname, realm, errorcode.KRB_ERR_GENERIC, "ticket: "+err.Error())
	}
	part := messages.EncKDCRepPart{Key: skey, LastReqs: []messages.LastReq{{LRType: 0, LRValue: now}}, Nonce: r.ReqBody.Nonce, Flags: tf,
		AuthTime: tgt.AuthTime, StartTime: now, EndTime: end, RenewTill: end, SRealm: realm, SName: sname}
	pb, err := part.Marshal()
	if err != nil {
		return kdcErr(sname, realm, errorcode.KRB_ERR_GENERIC, "marshal")
	}
	var ed types.EncryptedData
	if sk := apReq.Authenticator.SubKey; sk.KeyType != 0 && len(sk.KeyValue) > 0 {
		ed, err = crypto.GetEncryptedData(pb, sk, keyusage.TGS_REP_ENCPART_AUTHENTICATOR_SUB_KEY, 0)
	} else {
		ed.EType = tgt.Key.KeyType
		ed.Cipher, err = seen.replyKeys.encrypt(pb)
	}
	if err != nil {
		return kdcErr(sname, realm, errorcode.KRB_ERR_GENERIC, "encrypt")
	}
	rep := messages.TGSRep{KDCRepFields: messages.KDCRepFields{PVNO: 5, MsgType: msgtype.KRB_TGS_REP, CRealm: tgt.CRealm, CName: tgt.CName, Ticket: tkt, EncPart: ed}}
	b, err := rep.Marshal()
	if err != nil {
		return kdcErr(sname, realm, errorcode.KRB_ERR_GENERIC, "marshal")
	}
	return b
}

// seenTGT is a TGT the KDC decrypted, with the keys RFC 3961 derives from
// its session key for the TGS exchange. Every TGS-REQ of a scan carries
// the same TGT: decrypting it and deriving those keys again for each
// request was a third of the lab KDC's work per service ticket.
type seenTGT struct {
	part      messages.EncTicketPart
	authKeys  *krbUsageKeys // the TGS-REQ's authenticator (RFC 4120 key usage 7)
	replyKeys *krbUsageKeys // the TGS-REP's enc-part under the session key (usage 8)
}

// maxSeenTGTs bounds the cache (a lab has a handful of users).
const maxSeenTGTs = 1024

// openTGT decrypts a TGT with the realm's krbtgt key, or finds it among
// the TGTs decrypted before: only a ticket identical to one of those in
// every field (its ciphertext included) is taken from the cache.
func (k *labKDC) openTGT(kr *kdcRealm, t *messages.Ticket) (*seenTGT, error) {
	id := kr.name + "\x00" + t.Realm + "\x00" + strings.Join(t.SName.NameString, "/") + "\x00" +
		strconv.Itoa(int(t.SName.NameType)) + "\x00" + strconv.Itoa(int(t.EncPart.EType)) + "\x00" + strconv.Itoa(t.EncPart.KVNO) + "\x00" + string(t.EncPart.Cipher)
	k.mu.Lock()
	seen := k.tgts[id]
	k.mu.Unlock()
	if seen != nil {
		t.DecryptedEncPart = seen.part
		return seen, nil
	}
	if err := t.DecryptEncPart(kr.krbtgt, nil); err != nil {
		return nil, err
	}
	key := t.DecryptedEncPart.Key
	ak, err := deriveUsageKeys(key, keyusage.TGS_REQ_PA_TGS_REQ_AP_REQ_AUTHENTICATOR)
	if err != nil {
		return nil, err
	}
	rk, err := deriveUsageKeys(key, keyusage.TGS_REP_ENCPART_SESSION_KEY)
	if err != nil {
		return nil, err
	}
	seen = &seenTGT{part: t.DecryptedEncPart, authKeys: ak, replyKeys: rk}
	k.mu.Lock()
	if k.tgts == nil || len(k.tgts) >= maxSeenTGTs {
		k.tgts = map[string]*seenTGT{}
	}
	k.tgts[id] = seen
	k.mu.Unlock()
	return seen, nil
}

// openAuthenticator is APReq.DecryptAuthenticator with the derived keys.
func (s *seenTGT) openAuthenticator(a *messages.APReq) error {
	if a.EncryptedAuthenticator.EType != s.part.Key.KeyType {
		return fmt.Errorf("authenticator encrypted with etype %d, the session key is %d", a.EncryptedAuthenticator.EType, s.part.Key.KeyType)
	}
	b, err := s.authKeys.decrypt(a.EncryptedAuthenticator.Cipher)
	if err != nil {
		return err
	}
	return a.Authenticator.Unmarshal(b)
}

// Krb5Conf returns a krb5.conf for the lab's simulated KDC ("" when the
// lab has no domain with kdc: true): TCP only, AES256, each realm mapped
// from its DNS domain.
func (s *Server) Krb5Conf() string {
	if s.kdc == nil {
		return ""
	}
	var names []string
	for n := range s.kdc.realms {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("[libdefaults]\n  default_realm = " + names[0] + "\n  dns_lookup_kdc = false\n  dns_lookup_realm = false\n  udp_preference_limit = 1\n")
	b.WriteString("  default_tkt_enctypes = aes256-cts-hmac-sha1-96\n  default_tgs_enctypes = aes256-cts-hmac-sha1-96\n  permitted_enctypes = aes256-cts-hmac-sha1-96\n")
	b.WriteString("[realms]\n")
	for _, n := range names {
		b.WriteString("  " + n + " = {\n    kdc = " + s.kdc.Addr() + "\n  }\n")
	}
	b.WriteString("[domain_realm]\n")
	for _, n := range names {
		d := strings.ToLower(n)
		b.WriteString("  ." + d + " = " + n + "\n  " + d + " = " + n + "\n")
	}
	return b.String()
}

// SetKDCOneShot makes the lab KDC close every connection after its first
// reply, as MIT's krb5kdc does, instead of keeping it for more requests.
func (s *Server) SetKDCOneShot(on bool) {
	if s.kdc != nil {
		s.kdc.oneShot.Store(on)
	}
}

// DropKDCConnections closes the connections the lab KDC keeps open, as a
// restart would.
func (s *Server) DropKDCConnections() {
	if s.kdc == nil {
		return
	}
	s.kdc.mu.Lock()
	defer s.kdc.mu.Unlock()
	for c := range s.kdc.open {
		_ = c.Close()
	}
}

// KDCAddr is the lab KDC's TCP address ("" without one).
func (s *Server) KDCAddr() string {
	if s.kdc == nil {
		return ""
	}
	return s.kdc.Addr()
}
