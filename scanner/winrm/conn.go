package winrm

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/net/http/httpguts"
)

// conn is one TCP (or TLS) connection to the host with the security context
// its authentication established. It is used by one message at a time.
type conn struct {
	nc        net.Conn
	budget    *budgetReader // between nc and br: bounds what one reply may take
	br        *bufio.Reader
	bw        *bufio.Writer
	protector Protector
	broken    bool // the host closed it or an exchange failed: never reuse

	watchDone chan struct{} // set while idle (see watch)
	idleSince time.Time     // when it was last released
	watchErr  error
}

// dialConn opens a connection; ctx bounds the dial and the TLS handshake.
func (t *Transport) dialConn(ctx context.Context) (*conn, error) {
	addr := t.addr
	dialCtx, cancel := context.WithTimeout(ctx, t.cfg.DialTimeout)
	defer cancel()
	var (
		nc  net.Conn
		err error
	)
	if t.cfg.Dial != nil {
		nc, err = t.cfg.Dial(dialCtx, "tcp", addr)
	} else {
		d := net.Dialer{KeepAlive: 30 * time.Second}
		nc, err = d.DialContext(dialCtx, "tcp", addr)
	}
	if err != nil {
		return nil, &ConnectError{Addr: addr, Stage: "dial", Err: err}
	}
	t.dials.Add(1)
	if t.tlsConfig != nil {
		tc := tls.Client(nc, t.tlsConfig.Clone())
		if err := tc.HandshakeContext(dialCtx); err != nil {
			_ = nc.Close()
			return nil, &ConnectError{Addr: addr, Stage: "tls", Err: err}
		}
		nc = tc
	}
	budget := &budgetReader{r: nc}
	br := readerPool.Get().(*bufio.Reader)
	br.Reset(budget)
	bw := writerPool.Get().(*bufio.Writer)
	bw.Reset(nc)
	return &conn{nc: nc, budget: budget, br: br, bw: bw}, nil
}

// Connection buffers are pooled (a scan opens a connection per host) and
// small: bufio passes large reads and writes straight through when its
// buffer is empty, as it is for every body.
var (
	readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 8<<10) }}
	writerPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 8<<10) }}
)

// recycle returns the buffers of a closed connection that nothing uses any
// more (no exchange in progress, no idle watch running).
func (c *conn) recycle() {
	if c.br == nil || c.watchDone != nil {
		return
	}
	c.br.Reset(nil)
	readerPool.Put(c.br)
	c.bw.Reset(nil)
	writerPool.Put(c.bw)
	c.br, c.bw = nil, nil
}

// unwatchedProbeAfter: an unwatched idle connection (see Transport.beginRun)
// idle longer than this is probed before reuse.
const unwatchedProbeAfter = 50 * time.Millisecond

// maxHeaderBytes bounds the status line and headers of one reply (Windows
// sends well under 2 KiB; an NTLM challenge is a few hundred bytes).
const maxHeaderBytes = 1 << 20

// errReplyTooLarge is what budgetReader returns once a reply has used up
// its budget.
var errReplyTooLarge = errors.New("reply exceeds its size bound")

// budgetReader bounds the bytes read from the connection per phase of a
// reply. http.ReadResponse has no limit on header or chunked-trailer size
// (net/http's client applies MaxResponseHeaderBytes itself), so without it a
// host could make the scanner buffer an endless header until the deadline.
type budgetReader struct {
	r         io.Reader
	left      int64
	exhausted bool
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		b.exhausted = true
		return 0, errReplyTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *budgetReader) reset(n int64) {
	b.left, b.exhausted = n, false
}

// watch runs while the connection sits idle in the pool: a blocked read
// notices at once when the host closes it (or sends stray bytes), as
// net/http's persistConn read loop does, without costing the next request
// a timed probe.
func (c *conn) watch() {
	c.budget.reset(1 << 10) // stray bytes while idle make the connection unusable anyway
	c.watchDone = make(chan struct{})
	go func() {
		defer close(c.watchDone)
		_, c.watchErr = c.br.Peek(1)
	}()
}

// unwatch stops the idle watch and reports whether the connection can carry
// another request: only an interrupted read (a timeout) means nothing
// happened while it was idle.
func (c *conn) unwatch() bool {
	if c.watchDone == nil {
		// Not watched (released by a driver run): usable unless broken or
		// the host sent bytes nobody asked for. Between back-to-back
		// messages that is all; after a longer pause a short read tells
		// whether the host closed it meanwhile.
		if c.broken || c.br.Buffered() != 0 {
			return false
		}
		if time.Since(c.idleSince) < unwatchedProbeAfter {
			return true
		}
		c.budget.reset(1 << 10)
		_ = c.nc.SetReadDeadline(time.Now().Add(2 * time.Millisecond))
		_, err := c.br.Peek(1)
		_ = c.nc.SetReadDeadline(time.Time{})
		var ne net.Error
		return c.br.Buffered() == 0 && errors.As(err, &ne) && ne.Timeout()
	}
	_ = c.nc.SetReadDeadline(time.Unix(1, 0)) // wakes the blocked Peek
	<-c.watchDone
	c.watchDone = nil
	_ = c.nc.SetReadDeadline(time.Time{})
	var ne net.Error
	return !c.broken && c.br.Buffered() == 0 && errors.As(c.watchErr, &ne) && ne.Timeout()
}

func (c *conn) close() { _ = c.nc.Close() }

// exchange writes one request and reads its response on the connection.
// The deadlines come from the transport: the per-exchange response timeout,
// never later than the host's context deadline.
func (t *Transport) exchange(ctx context.Context, c *conn, action string, header http.Header, body []byte) (*Response, error) {
	req := &http.Request{
		Method:        http.MethodPost,
		URL:           t.url,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        header,
		Host:          t.url.Host,
		ContentLength: int64(len(body)),
	}
	t.roundTrips.Add(1)

	now := time.Now()
	writeBy := now.Add(t.cfg.WriteTimeout)
	readBy := now.Add(t.cfg.ResponseTimeout)
	if d, ok := ctx.Deadline(); ok {
		writeBy = earlier(writeBy, d)
		readBy = earlier(readBy, d)
	}
	_ = c.nc.SetWriteDeadline(writeBy)
	if err := writeRequest(c.bw, t.url, header, body); err != nil {
		c.broken = true
		return nil, t.ioError(ctx, action, false, err)
	}
	if err := c.bw.Flush(); err != nil {
		c.broken = true
		return nil, t.ioError(ctx, action, false, err)
	}
	_ = c.nc.SetReadDeadline(readBy)
	c.budget.reset(maxHeaderBytes)
	resp, err := http.ReadResponse(c.br, req)
	if err != nil {
		c.broken = true
		return nil, t.readError(ctx, c, action, err, fmt.Sprintf("reply headers exceed %d bytes", maxHeaderBytes))
	}
	// The body's wire size: the data cap plus room for chunk framing; the
	// cap on decoded data below gives the precise error for plain bodies.
	c.budget.reset(t.cfg.MaxBodyBytes + t.cfg.MaxBodyBytes/2 + 64<<10)
	buf := getBuffer()
	if resp.ContentLength > 0 && resp.ContentLength <= t.cfg.MaxBodyBytes {
		buf.Grow(int(resp.ContentLength))
	}
	_, err = buf.ReadFrom(io.LimitReader(resp.Body, t.cfg.MaxBodyBytes+1))
	data := buf.Bytes()
	_ = resp.Body.Close()
	_ = c.nc.SetReadDeadline(time.Time{})
	if err != nil {
		c.broken = true
		putBuffer(buf)
		return nil, t.readError(ctx, c, action, err, fmt.Sprintf("response body exceeds %d bytes", t.cfg.MaxBodyBytes))
	}
	if int64(len(data)) > t.cfg.MaxBodyBytes {
		c.broken = true
		putBuffer(buf)
		return nil, &ProtocolError{Action: action, Err: fmt.Errorf("response body exceeds %d bytes", t.cfg.MaxBodyBytes)}
	}
	if resp.Close {
		c.broken = true
	}
	t.log.Debug("winrm exchange", "action", action, "status", resp.StatusCode, "bytes_out", len(body), "bytes_in", len(data),
		"ms", time.Since(now).Milliseconds())
	if action == "authenticate" {
		// Authenticators keep what they are given: no pooled storage.
		out := &Response{Status: resp.StatusCode, Header: resp.Header, Body: bytes.Clone(data), Close: resp.Close}
		putBuffer(buf)
		return out, nil
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data, Close: resp.Close, buf: buf}, nil
}

// bufferPool holds reply buffers: a scan reads thousands of replies of
// similar sizes, and reusing their storage keeps allocation per host low.
var bufferPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer keeps one huge reply from pinning its memory in the pool.
const maxPooledBuffer = 1 << 20

func getBuffer() *bytes.Buffer { return bufferPool.Get().(*bytes.Buffer) }

func putBuffer(b *bytes.Buffer) {
	if b == nil || b.Cap() > maxPooledBuffer {
		return
	}
	b.Reset()
	bufferPool.Put(b)
}

// free returns the response's pooled storage; Body must not be used after.
func (r *Response) free() {
	if r.buf != nil {
		putBuffer(r.buf)
		r.buf, r.Body = nil, nil
	}
}

// ioError maps an I/O failure. If the host context ended, that is the
// reason; a deadline of the exchange itself becomes a *url.Error whose
// Timeout() is true, which masterzen treats as "no output yet, Receive
// again" (its fix for masterzen/winrm#147) and the scanner as a timeout.
func (t *Transport) ioError(ctx context.Context, action string, sent bool, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", action, context.Cause(ctx))
	}
	if errors.Is(err, net.ErrClosed) && t.isClosed() {
		return fmt.Errorf("%s: %w", action, ErrClosed)
	}
	xe := &ExchangeError{Action: action, Sent: sent, Err: err}
	if xe.Timeout() {
		return &url.Error{Op: "Post", URL: t.url.String(), Err: xe}
	}
	return xe
}

// readError maps a failure to read a reply. A reply over its size bound or
// one that is not HTTP (a malformed status line, header or chunk) is a
// garbled reply, not a lost connection: retrying it would get the same
// answer, and an admin needs to hear "something else answers on this port".
func (t *Transport) readError(ctx context.Context, c *conn, action string, err error, overBudget string) error {
	if ctx.Err() == nil {
		if c.budget.exhausted {
			return &ProtocolError{Action: action, Err: errors.New(overBudget)}
		}
		if !isIOError(err) {
			return &ProtocolError{Action: action, Err: fmt.Errorf("not a valid HTTP reply: %w", err)}
		}
	}
	return t.ioError(ctx, action, true, err)
}

// isIOError tells connection failures (EOF, reset, deadline, TLS alerts,
// which crypto/tls reports as *net.OpError) from HTTP parse errors.
func isIOError(err error) bool {
	var (
		ne    net.Error
		errno syscall.Errno
	)
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.As(err, &ne) || errors.As(err, &errno)
}

// Timeout reports an exchange deadline (so *url.Error.Timeout works).
func (e *ExchangeError) Timeout() bool {
	var ne net.Error
	return errors.As(e.Err, &ne) && ne.Timeout()
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// connExchanger lets an Authenticator talk on the connection it authenticates.
type connExchanger struct {
	ctx context.Context
	t   *Transport
	c   *conn
}

func (x connExchanger) Exchange(header http.Header, body []byte) (*Response, error) {
	if x.c.broken {
		return nil, &ExchangeError{Action: "authenticate", Err: errors.New("the host closed the connection during authentication")}
	}
	return x.t.exchange(x.ctx, x.c, "authenticate", header, body)
}

// writeRequest writes a POST the way net/http's Request.Write would for
// these requests (request line, Host, User-Agent, Content-Length, the
// protector's headers, the body), without its general machinery: at
// thousands of hosts the HTTP framing was a tenth of the client's CPU.
// Header names and values are checked as net/http checks them.
func writeRequest(w *bufio.Writer, u *url.URL, header http.Header, body []byte) error {
	_, _ = w.WriteString("POST ")
	_, _ = w.WriteString(u.RequestURI())
	_, _ = w.WriteString(" HTTP/1.1\r\nHost: ")
	_, _ = w.WriteString(u.Host)
	_, _ = w.WriteString("\r\nUser-Agent: ntlmscan\r\nContent-Length: ")
	_, _ = w.WriteString(strconv.Itoa(len(body)))
	_, _ = w.WriteString("\r\n")
	for k, vs := range header {
		if !httpguts.ValidHeaderFieldName(k) {
			return fmt.Errorf("invalid header name %q", sanitizeSnippet([]byte(k), 40))
		}
		switch http.CanonicalHeaderKey(k) {
		case "Host", "User-Agent", "Content-Length", "Transfer-Encoding":
			continue
		}
		for _, v := range vs {
			if !httpguts.ValidHeaderFieldValue(v) {
				return fmt.Errorf("invalid value for header %s", k)
			}
			_, _ = w.WriteString(k)
			_, _ = w.WriteString(": ")
			_, _ = w.WriteString(v)
			_, _ = w.WriteString("\r\n")
		}
	}
	_, _ = w.WriteString("\r\n")
	_, err := w.Write(body)
	return err
}
