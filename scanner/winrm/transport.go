package winrm

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ChrisTrenkamp/goxpath/tree/xmltree"
	mzwinrm "github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"
)

// Config configures a Transport for one host.
type Config struct {
	Auth Authenticator
	// MaxConns caps the connections (each authenticated once) kept to the
	// host. Default 2 for callers that drive masterzen directly (it sends
	// stdin while a Receive long-poll is pending); NewSession uses 1, as its
	// driver never has two messages in flight.
	MaxConns int
	// DialTimeout bounds TCP connect plus TLS handshake. Default 10s.
	DialTimeout time.Duration
	// WriteTimeout bounds writing one request. Default 30s.
	WriteTimeout time.Duration
	// ResponseTimeout bounds waiting for one response. It must exceed the
	// WS-Management OperationTimeout (Receive long-polls that long).
	// Default 70s.
	ResponseTimeout time.Duration
	// MaxBodyBytes caps one response body. Default 4 MiB.
	MaxBodyBytes int64
	// Dial replaces the default dialer (tests).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// TLSConfig, if set, is the base TLS configuration; the endpoint's CA,
	// server name and InsecureSkipVerify are applied on top.
	TLSConfig *tls.Config
	Logger    *slog.Logger
}

func (c *Config) defaults() {
	if c.MaxConns <= 0 {
		c.MaxConns = 2
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = 10 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 30 * time.Second
	}
	if c.ResponseTimeout <= 0 {
		c.ResponseTimeout = 70 * time.Second
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 4 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Stats counts what a transport did.
type Stats struct {
	RoundTrips int // HTTP request/response exchanges, handshakes included
	Dials      int // connections opened
	Handshakes int // successful authentications (one per connection)
}

// Transport implements masterzen's winrm.Transporter for one host. It is
// bound to the context it was created with: when that ends, every
// connection is closed and Post fails at once. Create one per client (the
// TransportDecorator must return a new one each call); Close it when done.
type Transport struct {
	ctx       context.Context
	cfg       Config
	log       *slog.Logger
	url       *url.URL
	addr      string
	tlsConfig *tls.Config

	sem  chan struct{} // one token per connection in use or being opened
	mu   sync.Mutex
	idle []*conn
	all  map[*conn]struct{}
	done bool
	stop func() bool

	running int // driver runs in progress (beginRun); guarded by mu

	roundTrips, dials, handshakes atomic.Int64
	authenticated                 atomic.Bool
}

var _ mzwinrm.Transporter = (*Transport)(nil)

// NewTransport returns a transport bound to ctx. Call Transport (masterzen
// does, from NewClientWithParameters) before Post.
func NewTransport(ctx context.Context, cfg Config) *Transport {
	cfg.defaults()
	t := &Transport{
		ctx: ctx,
		cfg: cfg,
		log: cfg.Logger,
		sem: make(chan struct{}, cfg.MaxConns),
		all: map[*conn]struct{}{},
	}
	// Closing the connections interrupts reads blocked in a Receive long-poll
	// as soon as the host's deadline passes or the scan is cancelled.
	t.stop = context.AfterFunc(ctx, t.closeAll)
	return t
}

// Transport implements mzwinrm.Transporter: it takes the host, port, TLS
// settings and CA from the endpoint.
func (t *Transport) Transport(ep *mzwinrm.Endpoint) error {
	if t.cfg.Auth == nil {
		return errors.New("winrm transport: no authenticator")
	}
	scheme := "http"
	if ep.HTTPS {
		scheme = "https"
	}
	t.addr = net.JoinHostPort(ep.Host, strconv.Itoa(ep.Port))
	t.url = &url.URL{Scheme: scheme, Host: t.addr, Path: "/wsman"}
	if !ep.HTTPS {
		return nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.cfg.TLSConfig != nil {
		cfg = t.cfg.TLSConfig.Clone()
	}
	// Verify against the name (or IP address) we dial unless the
	// inventory names the certificate's subject.
	cfg.ServerName = ep.TLSServerName
	if cfg.ServerName == "" {
		cfg.ServerName = ep.Host
	}
	if len(ep.CACert) > 0 {
		pool, err := certPool(ep.CACert)
		if err != nil {
			return err
		}
		cfg.RootCAs = pool
	}
	cfg.InsecureSkipVerify = ep.Insecure //nolint:gosec // only when the inventory says so; the scanner logs it per host
	t.tlsConfig = cfg
	return nil
}

// URL returns the endpoint URL (after Transport was called).
func (t *Transport) URL() string {
	if t.url == nil {
		return ""
	}
	return t.url.String()
}

// Stats returns the counters so far.
func (t *Transport) Stats() Stats {
	return Stats{RoundTrips: int(t.roundTrips.Load()), Dials: int(t.dials.Load()), Handshakes: int(t.handshakes.Load())}
}

// Authenticated reports whether any connection of this transport completed
// authentication: the credentials were accepted by the host.
func (t *Transport) Authenticated() bool { return t.authenticated.Load() }

// Close closes every connection; later Posts fail with ErrClosed.
func (t *Transport) Close() error {
	t.stop()
	t.closeAll()
	return nil
}

func (t *Transport) closeAll() {
	t.mu.Lock()
	t.done = true
	conns := make([]*conn, 0, len(t.all))
	for c := range t.all {
		conns = append(conns, c)
	}
	idle := t.idle
	t.idle = nil
	t.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
	// Idle connections belong to no one: once their watch has seen the
	// close, their buffers can be reused. Connections in use are left to
	// the exchange that holds them.
	for _, c := range idle {
		if c.watchDone != nil {
			<-c.watchDone
			c.watchDone = nil
		}
		c.recycle()
	}
}

func (t *Transport) isClosed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.done
}

// Post implements mzwinrm.Transporter: it sends one SOAP message and returns
// the host's SOAP answer. Faults come back as *FaultError (HTTP status and
// body both checked, sealed or not).
func (t *Transport) Post(_ *mzwinrm.Client, msg *soap.SoapMessage) (string, error) {
	text := msg.String()
	out, err := t.post(soapAction(text), []byte(text))
	return string(out), err
}

func (t *Transport) post(action string, soapMsg []byte) ([]byte, error) {
	res, err := t.call(action, soapMsg)
	if err != nil {
		return nil, err
	}
	defer res.release()
	if res.status == http.StatusOK {
		if len(res.body) == 0 {
			return nil, &ProtocolError{Action: action, Err: errors.New("empty answer")}
		}
		if err := wellFormed(res.body); err != nil {
			return nil, &ProtocolError{Action: action, Err: err}
		}
		return bytes.Clone(res.body), nil
	}
	if f, ok := ParseFault(res.body); ok {
		f.Action, f.Status = action, res.status
		return nil, f
	}
	return nil, res.httpError(action)
}

// callResult is one answered SOAP message: its HTTP status and unprotected
// body. release returns the body's buffer to the pool; the body must not be
// used after it.
type callResult struct {
	status      int
	contentType string
	location    string // Location header of a redirect
	body        []byte
	buf         *bytes.Buffer
}

func (r *callResult) release() {
	if r.buf != nil {
		putBuffer(r.buf)
		r.buf, r.body = nil, nil
	}
}

func (r *callResult) httpError(action string) *HTTPError {
	return &HTTPError{Action: action, Status: r.status, ContentType: sanitizeSnippet([]byte(r.contentType), 100),
		Snippet: sanitizeSnippet(r.body, 200), Location: redirectTarget(r.status, r.location)}
}

// call sends one SOAP message on an authenticated connection and returns the
// host's answer unparsed: the caller parses it once (parseReply). A 401 on a
// reused connection is retried once on a new one; a 401 after a fresh
// handshake is an *AuthError.
func (t *Transport) call(action string, soapMsg []byte) (*callResult, error) {
	if t.url == nil {
		return nil, errors.New("winrm transport: Transport was not called")
	}
	for attempt := 0; ; attempt++ {
		if err := t.ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", action, context.Cause(t.ctx))
		}
		c, fresh, err := t.acquire()
		if err != nil {
			return nil, err
		}
		resp, err := t.send(c, action, soapMsg)
		if err != nil {
			t.release(c, false)
			return nil, err
		}
		if resp.Status == http.StatusUnauthorized {
			resp.free()
			t.release(c, false)
			if !fresh && attempt == 0 {
				// The host dropped this connection's authentication (it
				// restarted, or aged the context out): the message was not
				// processed, so authenticate a new connection and resend once.
				t.log.Debug("winrm: authentication dropped on a reused connection, re-authenticating", "action", action)
				continue
			}
			cs := parseWWWAuthenticate(resp.Header)
			reason := AuthRejected
			if _, ok := findChallenge(cs, t.cfg.Auth.Scheme()); !ok {
				reason = AuthMethodNotOffered
			}
			return nil, &AuthError{Method: t.cfg.Auth.Method(), Reason: reason, Status: resp.Status, Offered: offeredSchemes(cs)}
		}
		body, err := c.protector.Unwrap(resp)
		if err != nil {
			resp.free()
			t.release(c, false)
			var ie *InsecureError
			if errors.As(err, &ie) {
				return nil, err
			}
			return nil, &ProtocolError{Action: action, Err: err}
		}
		// A sealed reply always has a body. An empty one on a sealing
		// connection means the host refused the message before unsealing it
		// (HTTP 413 over MaxEnvelopeSizekb, an empty 500): its sealing state
		// did not advance with ours, so the next message needs a new
		// connection even if the host keeps this one open.
		_, plain := c.protector.(plainProtector)
		t.release(c, plain || len(resp.Body) > 0)
		res := &callResult{status: resp.Status, contentType: resp.Header.Get("Content-Type"), location: resp.Header.Get("Location"), body: body}
		if len(body) > 0 && len(resp.Body) > 0 && &body[0] == &resp.Body[0] {
			res.buf = resp.buf // plain protector: the body is the read buffer
		} else {
			resp.free()
		}
		return res, nil
	}
}

// send protects and exchanges one message on c.
func (t *Transport) send(c *conn, action string, soapMsg []byte) (*Response, error) {
	body, header, err := c.protector.Wrap(soapMsg)
	if err != nil {
		c.broken = true
		return nil, err
	}
	defer releaseBody(body) // written (or failed) by the time exchange returns
	return t.exchange(t.ctx, c, action, header, body)
}

// acquire returns an authenticated connection: an idle one still open, or a
// new one (dialled and authenticated) while fewer than MaxConns exist.
func (t *Transport) acquire() (c *conn, fresh bool, err error) {
	select {
	case t.sem <- struct{}{}:
	case <-t.ctx.Done():
		return nil, false, fmt.Errorf("waiting for a connection: %w", context.Cause(t.ctx))
	}
	for {
		t.mu.Lock()
		if t.done {
			t.mu.Unlock()
			<-t.sem
			if err := t.ctx.Err(); err != nil {
				return nil, false, context.Cause(t.ctx)
			}
			return nil, false, ErrClosed
		}
		var idle *conn
		if n := len(t.idle); n > 0 {
			idle = t.idle[n-1]
			t.idle = t.idle[:n-1]
		}
		t.mu.Unlock()
		if idle == nil {
			break
		}
		if idle.unwatch() {
			return idle, false, nil
		}
		t.forget(idle)
	}
	c, err = t.open()
	if err != nil {
		<-t.sem
		return nil, false, err
	}
	return c, true, nil
}

// open dials and authenticates a new connection.
func (t *Transport) open() (*conn, error) { return t.openConn(0) }

func (t *Transport) openConn(redials int) (*conn, error) {
	c, err := t.dialConn(t.ctx)
	if err != nil {
		if t.ctx.Err() != nil {
			return nil, fmt.Errorf("connect: %w", context.Cause(t.ctx))
		}
		return nil, err
	}
	t.mu.Lock()
	if t.done {
		t.mu.Unlock()
		c.close()
		return nil, ErrClosed
	}
	t.all[c] = struct{}{}
	t.mu.Unlock()

	prot, err := t.cfg.Auth.Authenticate(connExchanger{ctx: t.ctx, t: t, c: c}, t.tlsConfig != nil)
	if errors.Is(err, errAuthRedial) && redials < 2 {
		// Kerberos learnt the host's scheme from a 401 that closed the
		// connection, or auth: auto switched to NTLM: authenticate on a new
		// one (at most twice).
		t.forget(c)
		return t.openConn(redials + 1)
	}
	if err != nil {
		t.forget(c)
		return nil, err
	}
	if c.broken {
		t.forget(c)
		return nil, &ExchangeError{Action: "authenticate", Sent: true, Err: errors.New("the host closed the connection right after authentication")}
	}
	c.protector = prot
	t.handshakes.Add(1)
	t.authenticated.Store(true)
	return c, nil
}

// release returns c to the pool, or closes it.
func (t *Transport) release(c *conn, reusable bool) {
	if reusable && !c.broken {
		t.mu.Lock()
		if !t.done {
			c.idleSince = time.Now()
			if t.running == 0 {
				c.watch()
			}
			t.idle = append(t.idle, c)
			t.mu.Unlock()
			<-t.sem
			return
		}
		t.mu.Unlock()
	}
	t.forget(c)
	<-t.sem
}

// beginRun and endRun bracket a driver's run: its messages follow each other
// at once, so a connection it releases is not watched (the watch costs a
// goroutine and a few system calls per message); one reused after a pause
// is probed instead (see unwatch), so a connection the host closed between
// runs is noticed before it is used.
func (t *Transport) beginRun() {
	t.mu.Lock()
	t.running++
	t.mu.Unlock()
}

func (t *Transport) endRun() {
	t.mu.Lock()
	t.running--
	t.mu.Unlock()
}

// forget closes a connection its caller holds (no exchange in progress, no
// idle watch) and recycles its buffers.
func (t *Transport) forget(c *conn) {
	t.mu.Lock()
	delete(t.all, c)
	t.mu.Unlock()
	c.close()
	c.recycle()
}

// soapAction returns the last path element of the message's wsa:Action
// (Create, Command, Receive, Send, Signal, Delete) for errors and logs.
func soapAction(msg string) string {
	i := strings.Index(msg, "Action")
	for i >= 0 {
		rest := msg[i:]
		if gt := strings.IndexByte(rest, '>'); gt >= 0 && gt < 200 {
			end := strings.IndexByte(rest[gt:], '<')
			if end > 0 {
				v := strings.TrimSpace(rest[gt+1 : gt+end])
				if strings.Contains(v, "/") {
					return v[strings.LastIndexByte(v, '/')+1:]
				}
			}
		}
		next := strings.Index(msg[i+1:], "Action")
		if next < 0 {
			break
		}
		i += 1 + next
	}
	return "request"
}

// wellFormed guards masterzen's own parser on the Post path (callers that
// drive masterzen directly; the scan path uses the driver, which parses each
// reply once). masterzen ignores that parser's error in its Receive loop and
// then dereferences the nil document (a panic in a goroutine of its own,
// which nothing can recover), so a garbled reply must never reach it. The
// bounds pass comes first: goxpath rebuilds the in-scope namespaces for
// every element, so its cost grows with elements × depth × namespaces.
func wellFormed(body []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("unparsable XML (%v)", r)
		}
	}()
	if _, err := parseReply(body, nil); err != nil {
		return err
	}
	if _, err := xmltree.ParseXML(bytes.NewReader(body)); err != nil {
		return fmt.Errorf("not well-formed XML: %w", err)
	}
	return nil
}

func certPool(pemData []byte) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		return nil, errors.New("the CA file holds no PEM certificate")
	}
	return pool, nil
}
