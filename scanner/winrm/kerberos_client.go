package winrm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/krberror"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// KerberosErrorKind says why Kerberos did not get ntlmscan logged on, in
// terms an admin can act on.
type KerberosErrorKind string

const (
	// KrbConfig: no usable krb5.conf, realm or credential source.
	KrbConfig KerberosErrorKind = "config"
	// KrbKDCUnreachable: no KDC of the realm answered.
	KrbKDCUnreachable KerberosErrorKind = "kdc-unreachable"
	// KrbNoTGT: the credential cache holds no valid ticket-granting ticket.
	KrbNoTGT KerberosErrorKind = "no-tgt"
	// KrbBadCredentials: the KDC refused the password or keytab key, or
	// does not know the account.
	KrbBadCredentials KerberosErrorKind = "bad-credentials"
	// KrbSPNUnknown: the KDC has no account with the host's SPN.
	KrbSPNUnknown KerberosErrorKind = "spn-unknown"
	// KrbClockSkew: the KDC's or the host's clock differs from ours by more
	// than the allowed skew (5 minutes by default).
	KrbClockSkew KerberosErrorKind = "clock-skew"
	// KrbNotOffered: the host offers neither Negotiate nor Kerberos.
	KrbNotOffered KerberosErrorKind = "not-offered"
	// KrbRefused: the host refused our ticket for another reason.
	KrbRefused KerberosErrorKind = "refused"
	// KrbMutual: the host's answer did not prove it holds the service key.
	KrbMutual KerberosErrorKind = "mutual-auth-failed"
	// KrbUnsupported: an encryption type ntlmscan cannot seal with (RC4, DES).
	KrbUnsupported KerberosErrorKind = "unsupported"
)

// KerberosError is a Kerberos failure, at the KDC (Stage "kdc") or at the
// host (Stage "host"). It never carries a password, key or ticket.
type KerberosError struct {
	Kind   KerberosErrorKind
	Stage  string // "kdc", "host" or "local"
	SPN    string
	Realm  string
	Code   int32  // Kerberos error code when one was received (0: none)
	Detail string // words, never a secret
	// Timeout: no KDC answered in time (Kind KrbKDCUnreachable), as opposed
	// to a refused or closed connection.
	Timeout bool
}

func (e *KerberosError) Error() string {
	var b strings.Builder
	b.WriteString("kerberos")
	if e.Stage != "" {
		b.WriteString(" (" + e.Stage + ")")
	}
	b.WriteString(": " + string(e.Kind))
	if e.SPN != "" {
		b.WriteString(" for " + e.SPN)
	}
	if e.Code != 0 {
		b.WriteString(": " + errorcode.Lookup(e.Code))
	}
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	return b.String()
}

// Fallback reports whether NTLM may be tried instead (auth: auto): only when
// Kerberos could not start (nothing was presented to the host, or the host
// does not take Kerberos at all) and the cause is not one NTLM would hit as
// well. A host that rejected our ticket, a skewed clock and a wrong password
// are never papered over by NTLM.
func (e *KerberosError) Fallback() bool {
	switch e.Kind {
	case KrbConfig, KrbKDCUnreachable, KrbNoTGT, KrbSPNUnknown, KrbNotOffered, KrbUnsupported:
		return true
	}
	return false
}

// KerberosCredentials say where the client's Kerberos identity comes from:
// exactly one of Password, Keytab (file) and CCache (file) is used.
type KerberosCredentials struct {
	Username string // user, user@REALM or DOMAIN\user (Realm then required)
	Realm    string // upper case; derived from user@REALM when empty
	Password string
	Keytab   string // path of a keytab holding the user's keys
	CCache   string // path of a credential cache (kinit); "FILE:" accepted
	// Config is the krb5.conf text to use; empty: KRB5_CONFIG or /etc/krb5.conf.
	Config string
	// FallbackConfig is used when Config is empty and no krb5.conf file
	// exists (the scanner derives one from the inventory's domains).
	FallbackConfig string
	// Getenv reads KRB5_CONFIG (nil: os.Getenv); a command passes its own
	// environment so that tests need not change the process's.
	Getenv func(string) string
}

// KerberosClient holds one identity's ticket-granting ticket and its
// service tickets; it is shared by every host scanned with that identity,
// so the KDC sees one AS exchange per scan and one TGS exchange per host.
type KerberosClient struct {
	realm string
	user  string

	mu       sync.Mutex
	cl       *client.Client
	ccache   *credentials.CCache
	loggedIn bool       // the TGT is there
	loginErr error      // a failure no retry can mend (wrong password, config), kept for the scan
	flight   *kdcFlight // the login in progress, shared by every host waiting for it
	closed   bool

	// The TGS exchanges of the client's own realm go over kept KDC
	// connections (kerberos_kdc.go, kerberos_tgs.go) with the TGT the login
	// got; anything else (another realm, a referral, a TGT near its end, a
	// KDC not reachable over TCP) is left to gokrb5's GetServiceTicket.
	tgt     *tgtSession
	pool    *kdcPool
	tmu     sync.Mutex
	tickets map[string]serviceTicket // by SPN, from the kept connections
	kdcList map[string][]string      // by realm, in gokrb5's order
	noFast  map[string]bool          // realms whose KDCs did not answer over TCP
}

// kdcFlight is one login attempt; done is closed once err is set.
type kdcFlight struct {
	done chan struct{}
	err  error
}

// NewKerberosClient prepares a client; nothing is sent until the first
// ticket is needed.
func NewKerberosClient(c KerberosCredentials) (*KerberosClient, error) {
	getenv := c.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	cfg, err := loadKrb5Config(c.Config, getenv)
	var ke *KerberosError
	if err != nil && c.Config == "" && c.FallbackConfig != "" && errors.As(err, &ke) && strings.HasPrefix(ke.Detail, "no krb5.conf") {
		cfg, err = loadKrb5Config(c.FallbackConfig, getenv)
	}
	if err != nil {
		return nil, err
	}
	user, realm := c.Username, c.Realm
	if u, r, ok := strings.Cut(user, "@"); ok {
		user = u
		if realm == "" {
			realm = r
		}
	}
	if _, u, ok := strings.Cut(user, `\`); ok {
		user = u
	}
	if realm == "" && c.CCache == "" {
		realm = cfg.LibDefaults.DefaultRealm
	}
	realm = strings.ToUpper(realm)
	k := &KerberosClient{realm: realm, user: user, pool: newKDCPool(), tickets: map[string]serviceTicket{}, kdcList: map[string][]string{}, noFast: map[string]bool{}}
	settings := []func(*client.Settings){client.DisablePAFXFAST(true)}
	switch {
	case c.CCache != "":
		path := strings.TrimPrefix(c.CCache, "FILE:")
		if strings.Contains(path, ":") && !strings.HasPrefix(path, "/") {
			return nil, &KerberosError{Kind: KrbConfig, Stage: "local", Detail: fmt.Sprintf("credential cache %q is not a file cache; ntlmscan reads FILE: caches only (set KRB5CCNAME=FILE:/path before kinit)", path)}
		}
		cc, err := credentials.LoadCCache(path)
		if err != nil {
			return nil, &KerberosError{Kind: KrbNoTGT, Stage: "local", Detail: fmt.Sprintf("cannot read the credential cache %s (%v); run kinit", path, cleanErr(err))}
		}
		k.ccache = cc
		k.realm = cc.DefaultPrincipal.Realm
		k.user = strings.Join(cc.DefaultPrincipal.PrincipalName.NameString, "/")
		cl, err := client.NewFromCCache(cc, cfg, settings...)
		if err != nil {
			return nil, &KerberosError{Kind: KrbNoTGT, Stage: "local", Realm: k.realm, Detail: fmt.Sprintf("the credential cache %s holds no ticket-granting ticket for %s (%v); run kinit", path, k.realm, cleanErr(err))}
		}
		k.cl = cl
	case c.Keytab != "":
		kt, err := keytab.Load(c.Keytab)
		if err != nil {
			return nil, &KerberosError{Kind: KrbConfig, Stage: "local", Detail: fmt.Sprintf("cannot read the keytab %s: %v", c.Keytab, cleanErr(err))}
		}
		if realm == "" {
			return nil, noRealm(c.Username)
		}
		k.cl = client.NewWithKeytab(user, realm, kt, cfg, settings...)
	case c.Password != "":
		if realm == "" {
			return nil, noRealm(c.Username)
		}
		k.cl = client.NewWithPassword(user, realm, c.Password, cfg, settings...)
	default:
		return nil, &KerberosError{Kind: KrbConfig, Stage: "local", Detail: "the credential has no password, keytab or credential cache"}
	}
	return k, nil
}

func noRealm(username string) error {
	return &KerberosError{Kind: KrbConfig, Stage: "local", Detail: fmt.Sprintf("no Kerberos realm for %q: write the user as user@REALM or set default_realm in krb5.conf", username)}
}

// loadKrb5Config reads krb5.conf: the given text, else KRB5_CONFIG (the
// first file of a colon-separated list that exists), else /etc/krb5.conf.
func loadKrb5Config(text string, getenv func(string) string) (*config.Config, error) {
	if text != "" {
		cfg, err := config.NewFromString(text)
		if err != nil {
			return nil, &KerberosError{Kind: KrbConfig, Stage: "local", Detail: "bad krb5.conf: " + cleanErr(err)}
		}
		return cfg, nil
	}
	paths := []string{"/etc/krb5.conf"}
	if v := getenv("KRB5_CONFIG"); v != "" {
		paths = strings.Split(v, ":")
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		cfg, err := config.Load(p)
		if err != nil {
			return nil, &KerberosError{Kind: KrbConfig, Stage: "local", Detail: fmt.Sprintf("bad krb5.conf %s: %s", p, cleanErr(err))}
		}
		return cfg, nil
	}
	return nil, &KerberosError{Kind: KrbConfig, Stage: "local", Detail: fmt.Sprintf("no krb5.conf (looked at %s); set KRB5_CONFIG to a krb5.conf naming your realm's KDCs", strings.Join(paths, ", "))}
}

// Close forgets the tickets and stops gokrb5's TGT renewal goroutine (a
// login still running ends the same way when it returns).
func (k *KerberosClient) Close() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.closed = true
	if k.cl != nil && k.flight == nil {
		k.cl.Destroy()
	}
	k.pool.close()
}

// Principal names the identity for logs (no secret).
func (k *KerberosClient) Principal() string { return k.user + "@" + k.realm }

// KDC requests are retried with backoff while the host's context has time:
// a KDC that failed once (restarting, a lost packet, a busy DC) is not
// taken as down for the whole scan. kdcAttempts bounds the attempts per
// ticket so that a realm without a KDC costs a host a few seconds, not its
// whole deadline.
const (
	kdcAttempts     = 3
	kdcFirstBackoff = 500 * time.Millisecond
)

// login gets the TGT (password or keytab; a cache must hold a valid one).
// One login runs at a time and every host waits for it, each only as long
// as its own context allows: gokrb5 takes no context, so a KDC that does
// not answer is left to gokrb5's own network timeouts while the host goes
// on. A failure that no retry can mend is remembered; a KDC that did not
// answer is asked again by the next caller.
func (k *KerberosClient) login(ctx context.Context) error {
	k.mu.Lock()
	switch {
	case k.loggedIn:
		k.mu.Unlock()
		return nil
	case k.loginErr != nil:
		k.mu.Unlock()
		return k.loginErr
	}
	f := k.flight
	if f == nil {
		f = &kdcFlight{done: make(chan struct{})}
		k.flight = f
		go k.runLogin(f)
	}
	k.mu.Unlock()
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return kdcTimeout("", k.realm)
	}
}

func (k *KerberosClient) runLogin(f *kdcFlight) {
	tgt, err := k.doLogin()
	k.mu.Lock()
	k.flight = nil
	var ke *KerberosError
	switch {
	case err == nil:
		k.loggedIn = true
		k.tgt = tgt
	case errors.As(err, &ke) && ke.Kind == KrbKDCUnreachable:
		// asked again by the next caller
	default:
		k.loginErr = err
	}
	if k.closed && k.cl != nil {
		k.cl.Destroy() // the scan ended while this login ran
	}
	f.err = err
	k.mu.Unlock()
	close(f.done)
}

// doLogin gets the TGT; the session it returns is nil when the TGT is
// gokrb5's alone (a credential cache entry that does not parse).
func (k *KerberosClient) doLogin() (*tgtSession, error) {
	if k.ccache != nil {
		tgt, ok := k.ccache.GetEntry(types.PrincipalName{NameType: nametype.KRB_NT_SRV_INST, NameString: []string{"krbtgt", k.realm}})
		switch {
		case !ok:
			return nil, &KerberosError{Kind: KrbNoTGT, Stage: "local", Realm: k.realm, Detail: "the credential cache holds no ticket-granting ticket; run kinit " + k.Principal()}
		case !tgt.EndTime.IsZero() && time.Now().After(tgt.EndTime):
			return nil, &KerberosError{Kind: KrbNoTGT, Stage: "local", Realm: k.realm,
				Detail: fmt.Sprintf("the ticket-granting ticket in the credential cache expired at %s; run kinit %s", tgt.EndTime.UTC().Format(time.RFC3339), k.Principal())}
		}
		var tkt messages.Ticket
		if err := tkt.Unmarshal(tgt.Ticket); err != nil {
			return nil, nil
		}
		return newTGTSession(tkt, tgt.Key, k.realm, tgt.AuthTime, tgt.EndTime), nil
	}
	// What gokrb5's Login does, keeping the TGT for the TGS exchanges over
	// kept connections (gokrb5 does not hand it out).
	rep, err := k.asExchange()
	if err != nil {
		e := kdcError(err, "", k.realm)
		if e.Code == errorcode.KDC_ERR_C_PRINCIPAL_UNKNOWN {
			e.Detail = "the KDC does not know the account " + k.Principal()
		}
		return nil, e
	}
	p := rep.DecryptedEncPart
	return newTGTSession(rep.Ticket, p.Key, k.cl.Credentials.Domain(), p.AuthTime, p.EndTime), nil
}

// asExchange is gokrb5's Login without its session: the AS exchange for
// a TGT of the client's realm, with the password or keytab.
func (k *KerberosClient) asExchange() (messages.ASRep, error) {
	if ok, err := k.cl.IsConfigured(); !ok {
		return messages.ASRep{}, err
	}
	req, err := messages.NewASReqForTGT(k.cl.Credentials.Domain(), k.cl.Config, k.cl.Credentials.CName())
	if err != nil {
		return messages.ASRep{}, krberror.Errorf(err, krberror.KRBMsgError, "error generating new AS_REQ")
	}
	return k.cl.ASExchange(k.cl.Credentials.Domain(), req, 0)
}

// kdcTimeout: the host's deadline passed while it waited for a KDC.
func kdcTimeout(spn, realm string) *KerberosError {
	return &KerberosError{Kind: KrbKDCUnreachable, Stage: "kdc", SPN: spn, Realm: realm, Timeout: true,
		Detail: "no KDC of realm " + realm + " answered before the host's deadline (timed out); check that TCP/UDP 88 to the KDCs in krb5.conf is open and that they respond"}
}

// ServiceTicket returns the ticket and session key for spn, from the KDC
// the first time and from the client's cache afterwards, retrying a KDC
// that did not answer (kdcAttempts, with backoff) while ctx has time.
// Only the login is serialised: gokrb5's ticket cache and sessions have
// their own locks, so hosts fetch their tickets in parallel.
func (k *KerberosClient) ServiceTicket(ctx context.Context, spn string) (messages.Ticket, types.EncryptionKey, error) {
	delay := kdcFirstBackoff
	for attempt := 1; ; attempt++ {
		tkt, key, err := k.serviceTicketOnce(ctx, spn)
		var ke *KerberosError
		if err == nil || attempt >= kdcAttempts || !errors.As(err, &ke) || ke.Kind != KrbKDCUnreachable || ke.Timeout {
			return tkt, key, err
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= delay {
			return tkt, key, err
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return tkt, key, err
		}
		delay *= 2
	}
}

func (k *KerberosClient) serviceTicketOnce(ctx context.Context, spn string) (messages.Ticket, types.EncryptionKey, error) {
	if err := k.login(ctx); err != nil {
		return messages.Ticket{}, types.EncryptionKey{}, err
	}
	if tkt, key, handled, err := k.keptServiceTicket(ctx, spn); handled {
		switch {
		case err == nil:
		case hostExpired(ctx):
			err = kdcTimeout(spn, k.realm)
		default:
			err = kdcError(err, spn, k.realm)
		}
		return tkt, key, err
	}
	type answer struct {
		tkt messages.Ticket
		key types.EncryptionKey
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		tkt, key, err := k.cl.GetServiceTicket(spn)
		if err != nil {
			err = kdcError(err, spn, k.realm)
		}
		ch <- answer{tkt, key, err}
	}()
	select {
	case a := <-ch:
		return a.tkt, a.key, a.err
	case <-ctx.Done():
		return messages.Ticket{}, types.EncryptionKey{}, kdcTimeout(spn, k.realm)
	}
}

// Credentials of the identity (for the authenticator's cname and realm).
func (k *KerberosClient) cname() (types.PrincipalName, string) {
	return k.cl.Credentials.CName(), k.cl.Credentials.Domain()
}

var krbCodeRE = regexp.MustCompile(`KRB Error: \((\d+)\)`)

// kdcError maps a gokrb5 failure to a KerberosError. gokrb5 flattens the
// KDC's KRB-ERROR into text, so its code is read back from it.
func kdcError(err error, spn, realm string) *KerberosError {
	msg := err.Error()
	e := &KerberosError{Stage: "kdc", SPN: spn, Realm: realm}
	if m := krbCodeRE.FindStringSubmatch(msg); m != nil {
		c, _ := strconv.Atoi(m[1])
		e.Code = int32(c)
		switch e.Code {
		case errorcode.KRB_AP_ERR_SKEW:
			e.Kind = KrbClockSkew
			e.Detail = "this machine's clock and the KDC's differ by more than the allowed skew; synchronise the clocks (NTP)"
		case errorcode.KDC_ERR_S_PRINCIPAL_UNKNOWN:
			e.Kind = KrbSPNUnknown
			e.Detail = "the KDC knows no account with this service principal name"
		case errorcode.KDC_ERR_C_PRINCIPAL_UNKNOWN:
			e.Kind = KrbBadCredentials
			e.Detail = "the KDC does not know the account"
		case errorcode.KDC_ERR_PREAUTH_FAILED, errorcode.KRB_AP_ERR_BAD_INTEGRITY, errorcode.KDC_ERR_KEY_EXPIRED, errorcode.KDC_ERR_CLIENT_REVOKED:
			e.Kind = KrbBadCredentials
			e.Detail = "the KDC refused the password or keytab key (wrong, expired or the account is locked or disabled)"
		case errorcode.KDC_ERR_ETYPE_NOSUPP:
			e.Kind = KrbUnsupported
			e.Detail = "no encryption type in common with the KDC (ntlmscan uses AES)"
		case errorcode.KRB_AP_ERR_TKT_EXPIRED:
			e.Kind = KrbNoTGT
			e.Detail = "the ticket-granting ticket expired; run kinit again"
		default:
			e.Kind = KrbRefused
			e.Detail = "the KDC refused the request"
		}
		return e
	}
	var ke krberror.Krberror
	switch {
	case strings.Contains(msg, "i/o timeout") || strings.Contains(msg, "deadline exceeded"):
		e.Kind, e.Timeout = KrbKDCUnreachable, true
		e.Detail = "the KDCs of realm " + realm + " timed out (no answer within gokrb5's per-KDC timeout); check that TCP/UDP 88 to them is open and that they respond"
	case errors.As(err, &ke) && ke.RootCause == krberror.NetworkingError,
		strings.Contains(msg, "communicate with KDC"), strings.Contains(msg, "error sending to a KDC"),
		strings.Contains(msg, "no KDCs defined"):
		e.Kind = KrbKDCUnreachable
		e.Detail = "no KDC of realm " + realm + " answered; check krb5.conf [realms] kdc = entries, DNS and that TCP/UDP 88 is open"
	case strings.Contains(msg, "password/keytab incorrect"), strings.Contains(msg, "Decrypting_Error"):
		e.Kind = KrbBadCredentials
		e.Detail = "the KDC's answer could not be decrypted with the password or keytab key: it is wrong"
	case strings.Contains(msg, "no valid TGT") || strings.Contains(msg, "TGT"):
		e.Kind = KrbNoTGT
		e.Detail = "no valid ticket-granting ticket; run kinit"
	case ke.RootCause == krberror.ConfigError:
		e.Kind = KrbConfig
		e.Detail = "krb5.conf does not describe realm " + realm + ": " + cleanErr(err)
	default:
		e.Kind = KrbRefused
		e.Detail = cleanErr(err)
	}
	return e
}

// cleanErr keeps a library message short and printable.
func cleanErr(err error) string { return sanitizeSnippet([]byte(err.Error()), 200) }
