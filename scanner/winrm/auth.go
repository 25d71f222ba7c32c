package winrm

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"strings"
)

// Authenticator authenticates one connection to a host and returns how every
// message on that connection is protected. There is one implementation per
// authentication method (NTLM, Basic, Kerberos) and the transport knows
// nothing about any of them.
type Authenticator interface {
	// Method names the method for errors and logs ("ntlm", "basic",
	// "kerberos").
	Method() string
	// Scheme is the HTTP authentication scheme the method needs the host to
	// offer in WWW-Authenticate ("Negotiate", "Basic", "Kerberos").
	Scheme() string
	// Authenticate runs the handshake on a freshly opened connection. x sends
	// one HTTP request on that very connection; secure is true inside TLS.
	// A method that needs no handshake (Basic) returns at once.
	Authenticate(x Exchanger, secure bool) (Protector, error)
}

// Exchanger performs one HTTP request/response on the connection being
// authenticated.
type Exchanger interface {
	Exchange(header http.Header, body []byte) (*Response, error)
}

// Protector applies a connection's security to each message.
type Protector interface {
	// Wrap turns a SOAP message into the request body and the headers that
	// carry it (Content-Type, and Authorization for per-request methods).
	Wrap(soap []byte) (body []byte, header http.Header, err error)
	// Unwrap returns the SOAP text of a response, refusing responses that
	// are not protected the way this connection requires.
	Unwrap(resp *Response) ([]byte, error)
}

// Response is an HTTP response whose body has been read (within the size cap).
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// Close is true when the host will not accept another request on this
	// connection (Connection: close, or HTTP/1.0).
	Close bool

	buf *bytes.Buffer // pooled storage of Body (nil: none); see free
}

// challenge is one WWW-Authenticate entry: a scheme and an optional token.
type challenge struct {
	Scheme string
	Token  string
}

// parseWWWAuthenticate reads every WWW-Authenticate header line. Windows
// sends one scheme per line ("Negotiate", "Kerberos", `Basic realm="WSMAN"`,
// or "Negotiate <base64>"); comma-separated lists are accepted as well.
func parseWWWAuthenticate(h http.Header) []challenge {
	var out []challenge
	for _, line := range h.Values("WWW-Authenticate") {
		for piece := range strings.SplitSeq(line, ",") {
			piece = strings.TrimSpace(piece)
			if piece == "" {
				continue
			}
			scheme, rest, _ := strings.Cut(piece, " ")
			if strings.Contains(scheme, "=") {
				continue // auth-param of the previous scheme (realm="a,b")
			}
			out = append(out, challenge{Scheme: scheme, Token: strings.TrimSpace(rest)})
			if len(out) >= 16 {
				return out
			}
		}
	}
	return out
}

// offeredSchemes lists the scheme names for error messages.
func offeredSchemes(cs []challenge) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range cs {
		s := sanitizeSnippet([]byte(c.Scheme), 32)
		if s == "" || seen[strings.ToLower(s)] {
			continue
		}
		seen[strings.ToLower(s)] = true
		out = append(out, s)
	}
	return out
}

// findChallenge returns the entry for scheme, if offered.
func findChallenge(cs []challenge, scheme string) (challenge, bool) {
	for _, c := range cs {
		if strings.EqualFold(c.Scheme, scheme) {
			return c, true
		}
	}
	return challenge{}, false
}

// plainProtector sends SOAP as is: used inside TLS, where the TLS session
// protects the message and NTLM authenticated the connection.
type plainProtector struct {
	header http.Header // extra per-request headers (Basic's Authorization)
}

func (p plainProtector) Wrap(soap []byte) ([]byte, http.Header, error) {
	h := http.Header{}
	for k, v := range p.header {
		h[k] = v
	}
	h.Set("Content-Type", soapContentType)
	return soap, h, nil
}

func (p plainProtector) Unwrap(resp *Response) ([]byte, error) { return resp.Body, nil }

// BasicAuth is HTTP Basic authentication. It is only ever used inside TLS:
// over plain HTTP the password would travel in clear, so Authenticate fails
// closed before anything is sent.
type BasicAuth struct {
	username, password string
}

// NewBasic returns a Basic authenticator.
func NewBasic(username, password string) *BasicAuth {
	return &BasicAuth{username: username, password: password}
}

// Method implements Authenticator.
func (a *BasicAuth) Method() string { return "basic" }

// Scheme implements Authenticator.
func (a *BasicAuth) Scheme() string { return "Basic" }

// Authenticate implements Authenticator.
func (a *BasicAuth) Authenticate(_ Exchanger, secure bool) (Protector, error) {
	if !secure {
		return nil, &InsecureError{Reason: "Basic authentication over plain HTTP would send the password in clear; use HTTPS or NTLM"}
	}
	h := http.Header{}
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(a.username+":"+a.password)))
	return plainProtector{header: h}, nil
}

// String never shows the password.
func (a *BasicAuth) String() string { return "basic(" + a.username + ")" }
