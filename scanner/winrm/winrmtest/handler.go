package winrmtest

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest/internal/ntlmserver"
)

const (
	serverHeader     = "Microsoft-HTTPAPI/2.0"
	soapContentType  = "application/soap+xml;charset=UTF-8"
	sealedProtocol   = "application/HTTP-SPNEGO-session-encrypted"
	sealedContentTyp = `multipart/encrypted;protocol="` + sealedProtocol + `";boundary="Encrypted Boundary"`
)

// connState is the authentication state of one TCP connection: NTLM on
// Windows authenticates the connection, not the request.
type connState struct {
	id     uint64
	tls    bool
	remote string

	mu        sync.Mutex
	handshake *ntlmserver.Handshake
	matched   *account // filled by LookupPassword during Authenticate
	session   *ntlmserver.Session
	krb       *krbContext // set instead of session after a Kerberos logon
	acct      account
}

func (c *connState) authenticated() (*ntlmserver.Session, account) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.session, c.acct
}

// forget drops all authentication state (new handshake, failure, close).
func (c *connState) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.handshake, c.matched, c.session, c.krb, c.acct = nil, nil, nil, nil, account{}
}

// request is one HTTP request being answered, with what gets recorded.
type request struct {
	hs   *hostServer
	w    http.ResponseWriter
	r    *http.Request
	cs   *connState
	call Call
}

func (hs *hostServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cs, _ := r.Context().Value(connKey{}).(*connState)
	if cs == nil {
		cs = &connState{}
	}
	w.Header().Set("Server", serverHeader)
	rq := &request{hs: hs, w: w, r: r, cs: cs, call: Call{Time: time.Now(), Host: hs.h.Name, ConnID: cs.id, TLS: cs.tls}}
	defer func() {
		rq.call.Duration = time.Since(rq.call.Time)
		hs.srv.calls.add(rq.call)
	}()

	if hs.headersTooLong(rq) {
		return
	}
	if !strings.EqualFold(r.URL.Path, "/wsman") {
		rq.status(http.StatusNotFound)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		rq.status(http.StatusMethodNotAllowed)
		return
	}
	faults := hs.faults.Load()
	if faults.Latency > 0 && !hs.sleep(r.Context(), faults.Latency) {
		return
	}
	// Read the whole body first: a 401 with unread body would make Go close
	// the connection, and a challenge 401 must keep it open. A request larger
	// than the host's MaxEnvelopeSizekb (the HTTP body, sealing included) is
	// refused with HTTP 413, which Windows clients report as
	// ERROR_WSMAN_HTTP_REQUEST_TOO_LARGE_STATUS 0x80338111 "the request size
	// exceeded the configured MaxEnvelopeSize quota" (ansible.windows#391
	// saw the 413). UNCONFIRMED: whether Windows keeps the connection; the
	// simulator closes it, so a client must not count on its NTLM context.
	limit := int64(hs.h.WinRM.MaxEnvelopeSizeKB) * 1024
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	rq.call.RequestBytes = len(body)
	if err != nil {
		rq.close()
		rq.status(http.StatusBadRequest)
		return
	}
	if int64(len(body)) > limit {
		rq.call.Fault = "request-too-large"
		rq.close()
		rq.status(http.StatusRequestEntityTooLarge)
		return
	}

	scheme, token, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	switch {
	case scheme == "":
		rq.noCredentials(body)
	case strings.EqualFold(scheme, "Negotiate") || strings.EqualFold(scheme, "NTLM"):
		rq.ntlm(scheme, strings.TrimSpace(token), body)
	case strings.EqualFold(scheme, "Basic"):
		rq.basic(body)
	case strings.EqualFold(scheme, "Kerberos"):
		raw, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(token))
		rq.kerberos(scheme, raw, body)
	default:
		rq.call.Auth = AuthOther
		rq.call.AuthError = "unsupported authentication scheme " + scheme
		rq.unauthorized()
	}
}

// sleep waits d unless the client goes away or the server closes.
func (hs *hostServer) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-hs.srv.closing:
		return false
	}
}

func (rq *request) status(code int) {
	rq.call.Status = code
	rq.w.WriteHeader(code)
}

// headersTooLong answers HTTP.sys's own 400 for headers over its limits
// (MaxFieldLength per header, MaxRequestBytes for the request line and all
// headers), before WinRM sees the request. The pages are the ones Microsoft
// documents for this error (not captured here); HTTP.sys closes the
// connection.
func (hs *hostServer) headersTooLong(rq *request) bool {
	r := rq.r
	total := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4
	field := false
	for name, vals := range r.Header {
		for _, v := range vals {
			n := len(name) + 2 + len(v)
			total += n + 2
			if n > hs.h.WinRM.MaxFieldLength {
				field = true
			}
		}
	}
	var title, text string
	switch {
	case field:
		title, text = "Bad Request - Header Field Too Long", "HTTP Error 400. A request header field is too long."
	case total > hs.h.WinRM.MaxRequestBytes:
		title, text = "Bad Request - Request Too Long", "HTTP Error 400. The size of the request headers is too long."
	default:
		return false
	}
	rq.call.Fault = "header-too-long"
	rq.close()
	rq.w.Header().Set("Content-Type", "text/html; charset=us-ascii")
	rq.status(http.StatusBadRequest)
	fmt.Fprintf(rq.w, "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\"\"http://www.w3.org/TR/html4/strict.dtd\">\r\n"+
		"<HTML><HEAD><TITLE>Bad Request</TITLE>\r\n<META HTTP-EQUIV=\"Content-Type\" Content=\"text/html; charset=us-ascii\"></HEAD>\r\n"+
		"<BODY><h2>%s</h2>\r\n<hr><p>%s</p>\r\n</BODY></HTML>\r\n", title, text)
	return true
}

func (rq *request) close() { rq.w.Header().Set("Connection", "close") }

// unauthorized is Windows' 401 for a request without acceptable
// credentials: every offered scheme on its own header line, and
// Connection: close.
func (rq *request) unauthorized() {
	rq.cs.forget()
	for _, m := range rq.hs.offeredSchemes() {
		rq.w.Header().Add("WWW-Authenticate", m)
	}
	rq.close()
	rq.status(http.StatusUnauthorized)
}

func (hs *hostServer) offeredSchemes() []string {
	var out []string
	if hs.h.negotiateEnabled() {
		out = append(out, "Negotiate")
	}
	if hs.h.kerberosAdvertised() {
		out = append(out, "Kerberos")
	}
	if hs.h.WinRM.Basic {
		out = append(out, `Basic realm="WSMAN"`)
	}
	return out
}

// noCredentials handles a request without Authorization: fine on a
// connection NTLM authenticated earlier, 401 otherwise.
func (rq *request) noCredentials(body []byte) {
	sess, acct := rq.cs.authenticated()
	rq.cs.mu.Lock()
	krb := rq.cs.krb
	rq.cs.mu.Unlock()
	if krb != nil {
		rq.call.Auth = AuthConnection
		rq.call.User = acct.String()
		if len(body) == 0 {
			rq.unauthorized()
			return
		}
		rq.krbSoap(body, krb, acct)
		return
	}
	if sess == nil {
		rq.call.Auth = AuthAnonymous
		rq.unauthorized()
		return
	}
	rq.call.Auth = AuthConnection
	rq.call.User = acct.String()
	if len(body) == 0 {
		// bodgit/masterzen Encryption starts every message with a blank
		// POST; Windows re-challenges it like any unauthenticated request.
		rq.unauthorized()
		return
	}
	rq.soap(body, sess, acct)
}

func (rq *request) ntlm(scheme, token string, body []byte) {
	if !rq.hs.h.negotiateEnabled() {
		rq.call.Auth = AuthOther
		rq.call.AuthError = "Negotiate is disabled on this host"
		rq.unauthorized()
		return
	}
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil || len(raw) == 0 {
		rq.call.Auth = AuthOther
		rq.call.AuthError = "Authorization token is not base64"
		rq.unauthorized()
		return
	}
	typ, err := ntlmserver.MessageType(raw)
	if err != nil && isGSSToken(raw) {
		rq.kerberos(scheme, raw, body)
		return
	}
	if err != nil {
		// Neither NTLM nor a GSS-API token (Kerberos tokens went to
		// rq.kerberos above).
		rq.call.Auth = AuthOther
		rq.call.AuthError = "neither an NTLM message nor a GSS-API (Kerberos) token"
		rq.unauthorized()
		return
	}
	switch typ {
	case 1:
		rq.call.Auth = AuthNTLMNegotiate
		matched := new(account)
		cfg := rq.hs.ntlmConfig(matched)
		if err := rq.bindNTLM(cfg); err != nil {
			rq.hs.srv.log.Error("ntlm", "err", err)
			rq.call.AuthError = err.Error()
			rq.unauthorized()
			return
		}
		hsk := ntlmserver.NewHandshake(cfg)
		challenge, err := hsk.Negotiate(raw)
		if err != nil {
			rq.call.AuthError = err.Error()
			rq.unauthorized()
			return
		}
		rq.cs.mu.Lock()
		rq.cs.handshake, rq.cs.matched, rq.cs.session, rq.cs.acct = hsk, matched, nil, account{}
		rq.cs.mu.Unlock()
		// A challenge 401 carries a single header and keeps the connection.
		rq.w.Header().Set("WWW-Authenticate", scheme+" "+base64.StdEncoding.EncodeToString(challenge))
		rq.status(http.StatusUnauthorized)
	case 3:
		rq.call.Auth = AuthNTLMAuthenticate
		rq.cs.mu.Lock()
		hsk, matched := rq.cs.handshake, rq.cs.matched
		rq.cs.handshake = nil
		rq.cs.mu.Unlock()
		if hsk == nil {
			rq.call.AuthError = "AUTHENTICATE without a NEGOTIATE on this connection"
			rq.unauthorized()
			return
		}
		sess, err := hsk.Authenticate(raw)
		if err != nil {
			rq.call.AuthError = authErrorText(err)
			rq.unauthorized()
			return
		}
		acct := *matched
		if reason := rq.hs.ntlmPolicyRefuses(acct); reason != "" {
			rq.call.AuthError = reason
			rq.call.User = acct.String()
			rq.unauthorized()
			return
		}
		if reason := rq.hs.winrmAccessDenied(acct); reason != "" {
			rq.call.AuthError = reason
			rq.call.User = acct.String()
			rq.unauthorized()
			return
		}
		rq.cs.mu.Lock()
		rq.cs.session, rq.cs.acct = sess, acct
		rq.cs.mu.Unlock()
		rq.call.User = acct.String()
		rq.call.ChannelBinding = string(sess.ChannelBinding())
		if len(body) == 0 {
			rq.status(http.StatusOK)
			return
		}
		rq.soap(body, sess, acct)
	default:
		rq.call.Auth = AuthOther
		rq.call.AuthError = "unexpected NTLM CHALLENGE from the client"
		rq.unauthorized()
	}
}

func authErrorText(err error) string {
	switch {
	case errors.Is(err, ntlmserver.ErrLogonFailure):
		return "logon failure: unknown user name or bad password"
	case errors.Is(err, ntlmserver.ErrNTLMv1):
		return "NTLMv1 response refused"
	case errors.Is(err, ntlmserver.ErrMalformed):
		return "malformed NTLM message"
	case errors.Is(err, ntlmserver.ErrChannelBindings):
		return strings.TrimPrefix(err.Error(), "ntlmserver: ")
	}
	return "NTLM authentication failed"
}

// ntlmConfig describes the host to the NTLM acceptor; the matched account
// is recorded so the logon can then be checked against the host's policy.
func (hs *hostServer) ntlmConfig(matched *account) *ntlmserver.Config {
	h := hs.h
	cfg := &ntlmserver.Config{
		NetBIOSComputer: h.Name,
		NetBIOSDomain:   h.Name,
		DNSComputer:     h.Name,
		DNSDomain:       h.Name,
		DomainJoined:    h.domain != nil,
		Version:         h.ntlmVersion(),
		LookupPassword: func(user, domain string) (string, bool) {
			a, ok := h.resolveAccount(user, domain)
			if !ok {
				return "", false
			}
			*matched = a
			return a.user.Password, true
		},
	}
	if h.domain != nil {
		cfg.NetBIOSDomain = h.domain.NetBIOS
		cfg.DNSComputer = h.FQDN
		cfg.DNSDomain = h.domain.Name
	}
	return cfg
}

// ntlmPolicyRefuses applies "Network security: Restrict NTLM: Incoming NTLM
// traffic" of the host itself: 2 denies all accounts, 1 domain accounts.
func (hs *hostServer) ntlmPolicyRefuses(a account) string {
	v, ok := hs.h.dword(msv10Key, restrictReceivingName)
	switch {
	case !ok:
		return ""
	case v == 2:
		return "NTLM logon refused by the host's policy RestrictReceivingNTLMTraffic=2 (deny all accounts)"
	case v == 1 && !a.local():
		return "NTLM logon refused by the host's policy RestrictReceivingNTLMTraffic=1 (deny all domain accounts)"
	}
	return ""
}

// basic handles Authorization: Basic, which Windows accepts only when
// enabled, over HTTPS or with AllowUnencrypted, and only for local accounts.
func (rq *request) basic(body []byte) {
	rq.call.Auth = AuthBasic
	h := rq.hs.h
	if !h.WinRM.Basic {
		rq.call.AuthError = "Basic authentication is disabled on this host"
		rq.unauthorized()
		return
	}
	if !rq.cs.tls && !h.WinRM.AllowUnencrypted {
		rq.call.AuthError = "Basic over HTTP needs AllowUnencrypted"
		rq.unauthorized()
		return
	}
	user, pass, ok := rq.r.BasicAuth()
	if !ok {
		rq.call.AuthError = "malformed Basic credentials"
		rq.unauthorized()
		return
	}
	name, dom := splitAccount(user)
	acct, found := h.resolveAccount(name, dom)
	switch {
	case !found || subtle.ConstantTimeCompare([]byte(acct.user.Password), []byte(pass)) != 1:
		rq.call.AuthError = "logon failure: unknown user name or bad password"
		rq.unauthorized()
		return
	case !acct.local():
		rq.call.AuthError = "Basic authentication accepts local accounts only"
		rq.unauthorized()
		return
	}
	if reason := rq.hs.winrmAccessDenied(acct); reason != "" {
		rq.call.AuthError = reason
		rq.unauthorized()
		return
	}
	rq.call.User = acct.String()
	rq.soap(body, nil, acct)
}

// soap unseals (if needed) and answers one WS-Man message.
func (rq *request) soap(body []byte, sess *ntlmserver.Session, acct account) {
	h := rq.hs.h
	sealed := isSealed(rq.r.Header.Get("Content-Type"))
	var plain []byte
	switch {
	case sealed && sess == nil:
		rq.call.AuthError = "encrypted message without an NTLM session"
		rq.unauthorized()
		return
	case sealed:
		rq.call.Sealed = true
		p, err := unsealBody(sess, body)
		if err != nil {
			rq.call.Fault = "unseal-failed"
			rq.hs.srv.log.Debug("unseal", "host", h.Name, "err", err)
			rq.cs.forget()
			rq.close()
			rq.status(http.StatusBadRequest)
			return
		}
		plain = p
	case !rq.cs.tls && !h.WinRM.AllowUnencrypted:
		rq.call.Fault = "unencrypted-rejected"
		if h.WinRM.RejectUnencrypted == http.StatusUnauthorized {
			rq.unauthorized()
			return
		}
		rq.cs.forget()
		rq.close()
		rq.status(http.StatusInternalServerError)
		return
	default:
		plain = body
	}

	res := rq.hs.handle(rq, plain, acct)
	if res.gone {
		rq.call.Fault = "client-gone"
		return
	}
	if res.drop {
		rq.call.Fault = "dropped"
		rq.drop()
		return
	}
	if res.emptyStatus != 0 {
		rq.call.Fault = "http-500-empty"
		rq.status(res.emptyStatus)
		return
	}
	out := res.body
	if sealed {
		out = sealBody(sess, out)
		rq.w.Header().Set("Content-Type", sealedContentTyp)
	} else {
		rq.w.Header().Set("Content-Type", soapContentType)
	}
	rq.w.Header().Set("Content-Length", fmt.Sprint(len(out)))
	rq.call.ResponseBytes = len(out)
	rq.status(res.status)
	_, _ = rq.w.Write(out)
}

// drop closes the TCP connection without an answer (a crashed or rebooting host).
func (rq *request) drop() {
	hj, ok := rq.w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

func isSealed(contentType string) bool {
	ct := strings.ToLower(contentType)
	return strings.HasPrefix(ct, "multipart/encrypted") && strings.Contains(ct, strings.ToLower(sealedProtocol))
}
