package winrm

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/bodgit/ntlmssp"
)

// NTLM negotiate flags checked on the host's CHALLENGE ([MS-NLMP] 2.2.2.5).
const (
	ntlmFlagSign = 0x00000010
	ntlmFlagSeal = 0x00000020
)

// NTLMAuth authenticates a connection with NTLM (raw NTLMSSP under the
// Negotiate scheme, as Windows accepts it) using bodgit/ntlmssp, and seals
// every message with the connection's security context (MS-WSMV
// HTTP-SPNEGO-session-encrypted) unless the connection is TLS.
//
// Windows keeps NTLM authentication per TCP connection, so the handshake
// runs once per connection: NEGOTIATE and AUTHENTICATE ride on blank POSTs
// ([MS-WSMV] 2.2.9.1.1.1 and 2.2.9.1.1.2) and every later message on the
// connection carries no Authorization header.
type NTLMAuth struct {
	user, domain, password string
}

// NewNTLM returns an NTLM authenticator. username is DOMAIN\user, user@domain
// (sent whole as the user name with an empty domain, as [MS-NLMP] asks for a
// UPN) or a bare user name.
func NewNTLM(username, password string) *NTLMAuth {
	user, domain := SplitUsername(username)
	return &NTLMAuth{user: user, domain: domain, password: password}
}

// SplitUsername splits DOMAIN\user into (user, DOMAIN). A UPN or a bare name
// comes back whole with an empty domain.
func SplitUsername(username string) (user, domain string) {
	if d, u, ok := strings.Cut(username, `\`); ok {
		return u, d
	}
	return username, ""
}

// Method implements Authenticator.
func (a *NTLMAuth) Method() string { return "ntlm" }

// Scheme implements Authenticator.
func (a *NTLMAuth) Scheme() string { return "Negotiate" }

// String never shows the password.
func (a *NTLMAuth) String() string {
	if a.domain != "" {
		return "ntlm(" + a.domain + `\` + a.user + ")"
	}
	return "ntlm(" + a.user + ")"
}

// Authenticate implements Authenticator.
func (a *NTLMAuth) Authenticate(x Exchanger, secure bool) (Protector, error) {
	client, err := ntlmssp.NewClient(
		ntlmssp.SetUserInfo(a.user, a.password),
		ntlmssp.SetDomain(a.domain),
		ntlmssp.SetVersion(nil),
	)
	if err != nil {
		return nil, fmt.Errorf("ntlm client: %w", err)
	}
	negotiate, err := guard(func() ([]byte, error) { return client.Authenticate(nil, nil) })
	if err != nil {
		return nil, fmt.Errorf("ntlm negotiate message: %w", err)
	}
	resp, err := x.Exchange(negotiateHeader(negotiate), nil)
	if err != nil {
		return nil, err
	}
	offered := parseWWWAuthenticate(resp.Header)
	switch resp.Status {
	case http.StatusUnauthorized:
	case http.StatusOK:
		// Fail closed: a host that lets an unauthenticated request through
		// cannot give us a security context to seal with.
		return nil, acceptedUnauthenticated("the host accepted a request before NTLM authentication completed", resp)
	default:
		return nil, unexpectedAnswer("authenticate", resp)
	}
	neg, ok := findChallenge(offered, "Negotiate")
	if !ok {
		return nil, &AuthError{Method: a.Method(), Reason: AuthMethodNotOffered, Status: resp.Status, Offered: offeredSchemes(offered)}
	}
	if neg.Token == "" {
		return nil, &AuthError{Method: a.Method(), Reason: AuthRejected, Status: resp.Status, Offered: offeredSchemes(offered),
			Detail: "the host refused the NTLM NEGOTIATE message"}
	}
	challengeMsg, err := base64.StdEncoding.DecodeString(neg.Token)
	if err != nil {
		return nil, &AuthError{Method: a.Method(), Reason: AuthBadChallenge, Status: resp.Status, Offered: offeredSchemes(offered),
			Detail: "the Negotiate token is not base64"}
	}
	flags, err := challengeFlags(challengeMsg)
	if err != nil {
		return nil, &AuthError{Method: a.Method(), Reason: AuthBadChallenge, Status: resp.Status, Offered: offeredSchemes(offered), Detail: err.Error()}
	}
	if !secure && flags&(ntlmFlagSeal|ntlmFlagSign) != ntlmFlagSeal|ntlmFlagSign {
		return nil, &InsecureError{Reason: "the host's NTLM challenge does not offer message sealing and signing, which WinRM over HTTP needs"}
	}
	if resp.Close {
		return nil, &AuthError{Method: a.Method(), Reason: AuthBadChallenge, Status: resp.Status, Offered: offeredSchemes(offered),
			Detail: "the host closed the connection after its challenge (NTLM is bound to the connection)"}
	}
	// Inside TLS, bind the logon to the certificate we verified, as
	// CbtHardeningLevel=Strict hosts demand (see cbt.go).
	var (
		bindings *ntlmssp.ChannelBindings
		tlsInfo  *TLSBinding
	)
	if secure {
		var appData []byte
		appData, tlsInfo = tlsBinding(x)
		if appData != nil {
			bindings = &ntlmssp.ChannelBindings{ApplicationData: appData}
		}
	}
	authenticate, err := guard(func() ([]byte, error) { return client.Authenticate(challengeMsg, bindings) })
	if err != nil {
		return nil, &AuthError{Method: a.Method(), Reason: AuthBadChallenge, Status: resp.Status, Offered: offeredSchemes(offered),
			Detail: "cannot answer the host's challenge: " + err.Error()}
	}
	resp, err = x.Exchange(negotiateHeader(authenticate), nil)
	if err != nil {
		return nil, err
	}
	switch resp.Status {
	case http.StatusOK:
	case http.StatusUnauthorized:
		return nil, &AuthError{Method: a.Method(), Reason: AuthRejected, Status: resp.Status, Offered: offeredSchemes(parseWWWAuthenticate(resp.Header)),
			TLS: tlsInfo}
	default:
		return nil, unexpectedAnswer("authenticate", resp)
	}
	if secure {
		return plainProtector{}, nil
	}
	session := client.SecuritySession()
	if session == nil {
		return nil, &InsecureError{Reason: "NTLM produced no security context to seal messages with"}
	}
	return &ntlmSealer{session: session, fast: newFastSeal(a.user, a.domain, a.password, authenticate)}, nil
}

func negotiateHeader(token []byte) http.Header {
	h := http.Header{}
	h.Set("Authorization", "Negotiate "+base64.StdEncoding.EncodeToString(token))
	h.Set("Content-Type", soapContentType)
	return h
}

// challengeFlags checks that msg is an NTLM CHALLENGE and returns its flags.
func challengeFlags(msg []byte) (uint32, error) {
	if len(msg) < 32 || !bytes.HasPrefix(msg, []byte("NTLMSSP\x00")) {
		return 0, errors.New("the Negotiate token is not an NTLM message")
	}
	if t := binary.LittleEndian.Uint32(msg[8:12]); t != 2 {
		return 0, fmt.Errorf("expected an NTLM CHALLENGE (type 2), got type %d", t)
	}
	return binary.LittleEndian.Uint32(msg[20:24]), nil
}

// guard turns a panic in the NTLM library (hostile input) into an error.
func guard(f func() ([]byte, error)) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("malformed NTLM data (%v)", r)
		}
	}()
	return f()
}

// ntlmSealer seals requests and unseals responses with one connection's NTLM
// security context. Its RC4 state and sequence numbers advance with every
// message, so a connection whose exchange failed is never reused.
type ntlmSealer struct {
	session *ntlmssp.SecuritySession
	// fast, once it sealed the first message exactly as bodgit did, seals
	// and unseals everything after it (seal_fast.go); nil: bodgit does.
	fast    *fastSeal
	checked bool
}

func (s *ntlmSealer) Wrap(soap []byte) ([]byte, http.Header, error) {
	if s.fast != nil && s.checked {
		h := http.Header{}
		h.Set("Content-Type", EncryptedContentType)
		return s.fast.frame(soap), h, nil
	}
	var sig []byte
	sealed, err := guard(func() ([]byte, error) {
		m, g, err := s.session.Wrap(soap)
		sig = g
		return m, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("seal message: %w", err)
	}
	if len(sig) != ntlmSignatureLen || (len(soap) > 16 && bytes.Equal(sealed, soap)) {
		return nil, nil, &InsecureError{Reason: "the NTLM context did not seal the message"}
	}
	if s.fast != nil {
		// First message: the fast path must produce the very same bytes.
		body := s.fast.frame(soap)
		want := frameSealed(sig, sealed)
		s.checked = bytes.Equal(body, want)
		releaseBody(body)
		if s.checked {
			fastSealConns.Add(1)
		} else {
			s.fast = nil
		}
		h := http.Header{}
		h.Set("Content-Type", EncryptedContentType)
		return want, h, nil
	}
	h := http.Header{}
	h.Set("Content-Type", EncryptedContentType)
	return frameSealed(sig, sealed), h, nil
}

func (s *ntlmSealer) Unwrap(resp *Response) ([]byte, error) {
	boundary, ok := isEncryptedContentType(resp.Header.Get("Content-Type"))
	if !ok {
		if len(resp.Body) == 0 {
			return nil, nil
		}
		ct := sanitizeSnippet([]byte(resp.Header.Get("Content-Type")), 80)
		return nil, &InsecureError{Reason: fmt.Sprintf("the host answered HTTP %d without encryption (Content-Type %q)", resp.Status, ct),
			Status: resp.Status, ContentType: ct, Snippet: sanitizeSnippet(resp.Body, 120)}
	}
	parts, err := parseSealed(resp.Body, boundary)
	if err != nil {
		return nil, err
	}
	if s.fast != nil && s.checked {
		out, err := s.fast.unseal(parts)
		if err != nil {
			return nil, fmt.Errorf("unseal: %w", err)
		}
		return out, nil
	}
	s.fast = nil // bodgit's state has moved on: the fast path cannot follow
	var out []byte
	for _, p := range parts {
		plain, err := guard(func() ([]byte, error) { return s.session.Unwrap(p.Sealed, p.Signature) })
		if err != nil {
			return nil, fmt.Errorf("unseal: %w", err)
		}
		out = append(out, plain...)
	}
	return out, nil
}
