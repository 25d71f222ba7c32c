package winrm

import (
	"errors"
	"fmt"
	"strings"
)

// The transport reports failures as the typed errors below so that the
// scanner can classify them with errors.As instead of matching library
// strings. None of them ever carries a password or a token.

// ConnectError is a failure to open a connection: name resolution, TCP
// connect or the TLS handshake.
type ConnectError struct {
	Addr  string // host:port
	Stage string // "dial" or "tls"
	Err   error
}

func (e *ConnectError) Error() string {
	return fmt.Sprintf("connect to %s (%s): %v", e.Addr, e.Stage, e.Err)
}

func (e *ConnectError) Unwrap() error { return e.Err }

// AuthReason says why authentication did not succeed.
type AuthReason string

const (
	// AuthRejected: the host answered the final authentication leg (or the
	// Basic credentials) with 401: wrong credentials, or a policy on the
	// host refused the logon. One 401 cannot tell which.
	AuthRejected AuthReason = "rejected"
	// AuthMethodNotOffered: the host's 401 does not offer the method ntlmscan
	// uses (e.g. only Kerberos, Negotiate switched off).
	AuthMethodNotOffered AuthReason = "method-not-offered"
	// AuthBadChallenge: the host offered the method but answered the
	// NEGOTIATE with something that is not an NTLM CHALLENGE.
	AuthBadChallenge AuthReason = "bad-challenge"
)

// AuthError reports that the host refused to authenticate ntlmscan.
type AuthError struct {
	Method  string // "ntlm", "basic"
	Reason  AuthReason
	Status  int      // HTTP status of the refusal
	Offered []string // authentication schemes in the host's WWW-Authenticate
	Detail  string   // extra words, never a secret
	// TLS describes the channel binding of an NTLM logon refused over
	// HTTPS (nil otherwise).
	TLS *TLSBinding
}

func (e *AuthError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s authentication %s (HTTP %d", e.Method, e.Reason, e.Status)
	if len(e.Offered) > 0 {
		fmt.Fprintf(&b, ", host offers %s", strings.Join(e.Offered, ", "))
	} else {
		b.WriteString(", host offers no scheme")
	}
	b.WriteString(")")
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	if e.TLS != nil {
		b.WriteString(" [" + e.TLS.String() + "]")
	}
	return b.String()
}

// InsecureError reports that ntlmscan refused to continue because a message
// would have travelled, or did travel, without protection (fail closed).
type InsecureError struct {
	Reason string
	// Status and ContentType describe the reply, when the refusal is about
	// an unencrypted reply (0 and "" otherwise): a WS-Management reply in
	// clear differs from an HTML page that did not come from WinRM at all.
	Status      int
	ContentType string
	Snippet     string // start of the reply's body, printable characters only
}

func (e *InsecureError) Error() string { return "refusing unprotected WinRM traffic: " + e.Reason }

// HTTPError is an HTTP answer the transport did not expect and that carries
// no WS-Management fault.
type HTTPError struct {
	Action      string // WS-Management operation (Create, Receive, …)
	Status      int
	ContentType string
	Snippet     string // start of the body, printable characters only
	Location    string // a redirect's target (Location header), printable characters only
}

func (e *HTTPError) Error() string {
	s := fmt.Sprintf("%s: unexpected HTTP %d", e.Action, e.Status)
	if e.ContentType != "" {
		s += " (" + e.ContentType + ")"
	}
	if e.Location != "" {
		s += " redirecting to " + e.Location
	}
	if e.Snippet == "" {
		s += " with an empty body"
	} else {
		s += ": " + e.Snippet
	}
	return s
}

// ProtocolError is a garbled or hostile reply: bad HTTP, bad framing, a
// sealed message that fails its signature, an oversized body.
type ProtocolError struct {
	Action string
	Err    error
}

func (e *ProtocolError) Error() string { return fmt.Sprintf("%s: garbled reply: %v", e.Action, e.Err) }

func (e *ProtocolError) Unwrap() error { return e.Err }

// ExchangeError is an I/O failure while sending a request or reading its
// answer on an established connection (reset, EOF, deadline). Sent tells
// whether the request reached the connection; the message text keeps the
// underlying "EOF" so that masterzen ends the command (exit code 16001)
// instead of looping.
type ExchangeError struct {
	Action string
	Sent   bool
	Err    error
}

func (e *ExchangeError) Error() string {
	stage := "send request"
	if e.Sent {
		stage = "read response"
	}
	return fmt.Sprintf("%s: %s: %v", e.Action, stage, e.Err)
}

func (e *ExchangeError) Unwrap() error { return e.Err }

// ErrClosed is returned by Post after Close.
var ErrClosed = errors.New("winrm transport closed")

// OutputLimitError reports a command whose output exceeded the cap.
type OutputLimitError struct {
	Stream string
	Limit  int64
}

func (e *OutputLimitError) Error() string {
	return fmt.Sprintf("command %s exceeded %d bytes; the command was stopped", e.Stream, e.Limit)
}

// sanitizeSnippet keeps the first n printable characters of a body for an
// error message, so hostile bytes never reach a terminal.
func sanitizeSnippet(body []byte, n int) string {
	var b strings.Builder
	for _, r := range string(body) {
		if b.Len() >= n {
			b.WriteString("…")
			break
		}
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f || r == '\uFFFD':
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}

// HeaderTooLongError is HTTP.sys refusing a request whose headers exceed
// its limits (HTTP 400 "Header Field Too Long": one header over
// MaxFieldLength; "Request Header Too Long": all headers over
// MaxRequestBytes). With Kerberos it means the ticket in the Authorization
// header is too big: an account in many groups has a large PAC.
type HeaderTooLongError struct {
	Action      string
	Field       bool // one header field too long (MaxFieldLength), else the whole header (MaxRequestBytes)
	HeaderBytes int  // length of the Authorization header ntlmscan sent
}

func (e *HeaderTooLongError) Error() string {
	which := "the request's headers exceed MaxRequestBytes"
	if e.Field {
		which = "a request header field exceeds MaxFieldLength"
	}
	return fmt.Sprintf("%s: HTTP 400 from HTTP.sys: %s (Authorization header of %d bytes)", e.Action, which, e.HeaderBytes)
}

// headerTooLong recognises HTTP.sys's 400 pages for oversized headers. They
// come from HTTP.sys itself, before WinRM, in English.
func headerTooLong(action string, status int, body []byte, authHeaderBytes int) *HeaderTooLongError {
	if status != 400 {
		return nil
	}
	text := strings.ToLower(string(body))
	switch {
	case strings.Contains(text, "header field too long"), strings.Contains(text, "header field is too long"):
		return &HeaderTooLongError{Action: action, Field: true, HeaderBytes: authHeaderBytes}
	case strings.Contains(text, "request header too long"), strings.Contains(text, "request too long"),
		strings.Contains(text, "size of the request headers is too long"):
		return &HeaderTooLongError{Action: action, HeaderBytes: authHeaderBytes}
	}
	return nil
}

// unexpectedAnswer is an HTTP answer to an authentication leg that is
// neither a challenge nor a success.
func unexpectedAnswer(action string, resp *Response) *HTTPError {
	return &HTTPError{Action: action, Status: resp.Status, ContentType: sanitizeSnippet([]byte(resp.Header.Get("Content-Type")), 100),
		Snippet: sanitizeSnippet(resp.Body, 120), Location: redirectTarget(resp.Status, resp.Header.Get("Location"))}
}

// redirectTarget is the Location of a 3xx answer (WinRM never redirects),
// cut short and printable.
func redirectTarget(status int, location string) string {
	if status < 300 || status > 399 {
		return ""
	}
	return sanitizeSnippet([]byte(location), 200)
}

// acceptedUnauthenticated is a host answering 200 to a request that was not
// yet authenticated: a web server's page, or a WinRM that lets anyone in.
func acceptedUnauthenticated(reason string, resp *Response) *InsecureError {
	return &InsecureError{Reason: reason, Status: resp.Status,
		ContentType: sanitizeSnippet([]byte(resp.Header.Get("Content-Type")), 100), Snippet: sanitizeSnippet(resp.Body, 120)}
}
