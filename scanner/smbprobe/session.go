package smbprobe

import (
	"encoding/binary"
	"fmt"
	"net"
	"strings"

	"github.com/bodgit/ntlmssp"
)

// Credential is the account the probe logs on with; Password is the secret
// itself and never appears in a result or an error.
type Credential struct {
	Username string // DOMAIN\user, user@domain or user
	Password string
}

// Key identifies a credential for the one-attempt-per-run rule (the user
// name, case-insensitively; the password is not part of it).
func (c Credential) Key() string { return strings.ToLower(c.Username) }

// Session is the outcome of one NTLM SESSION_SETUP.
type Session struct {
	Outcome string // AuthAccepted, AuthWrongCredential, ...
	Status  uint32 // the final NTSTATUS
	// Leg is 1 when the server refused the NTLM NEGOTIATE itself (the
	// mechanism), 2 when it refused the AUTHENTICATE (the credential).
	Leg int
}

// sessionSetupRequest builds an SMB2 SESSION_SETUP carrying token.
func sessionSetupRequest(messageID, sessionID uint64, token []byte) []byte {
	const fixed = 24
	body := make([]byte, fixed, fixed+len(token))
	le := binary.LittleEndian
	le.PutUint16(body[0:], 25)
	body[3] = negotiateSigningEn
	le.PutUint16(body[12:], smb2HeaderSize+fixed)
	le.PutUint16(body[14:], uint16(len(token)))
	return smb2Request(cmdSessionSetup, messageID, sessionID, append(body, token...))
}

// parseSessionSetupResponse returns the header, the session flags and the
// security token of a SESSION_SETUP response.
func parseSessionSetupResponse(msg []byte) (smb2Header, uint16, []byte, error) {
	h, msg, err := parseSMB2Header(msg)
	if err != nil {
		return h, 0, nil, err
	}
	if h.Command != cmdSessionSetup {
		return h, 0, nil, fmt.Errorf("SMB2 answer to SESSION_SETUP has command %d", h.Command)
	}
	if h.Status != StatusSuccess && h.Status != StatusMoreProcessingRequired {
		return h, 0, nil, nil // an error response: the status is the answer
	}
	body := msg[smb2HeaderSize:]
	if len(body) < 8 {
		return h, 0, nil, fmt.Errorf("SMB2 SESSION_SETUP response truncated (%d-byte body)", len(body))
	}
	le := binary.LittleEndian
	flags := le.Uint16(body[2:])
	off, n := int(le.Uint16(body[4:])), int(le.Uint16(body[6:]))
	if n == 0 {
		return h, flags, nil, nil
	}
	tok, ok := slice(msg, off, n)
	if !ok {
		return h, 0, nil, fmt.Errorf("SMB2 SESSION_SETUP security buffer (offset %d, length %d) lies outside the %d-byte message", off, n, len(msg))
	}
	return h, flags, tok, nil
}

// sessionSetup runs the NTLM exchange on a connection that has negotiated
// SMB2: NEGOTIATE_MESSAGE, CHALLENGE_MESSAGE, AUTHENTICATE_MESSAGE. The
// tokens are raw NTLMSSP, not wrapped in SPNEGO: Samba's and Windows'
// SPNEGO acceptors take a raw NTLMSSP token as the mechanism's first token
// (Samba: verified by this package's tests; Windows: UNCONFIRMED).
func sessionSetup(c net.Conn, cred Credential) (*Session, error) {
	user, domain := splitUsername(cred.Username)
	client, err := ntlmssp.NewClient(
		ntlmssp.SetUserInfo(user, cred.Password),
		ntlmssp.SetDomain(domain),
		ntlmssp.SetVersion(nil),
	)
	if err != nil {
		return nil, fmt.Errorf("ntlm client: %w", err)
	}
	negotiate, err := guard(func() ([]byte, error) { return client.Authenticate(nil, nil) })
	if err != nil {
		return nil, fmt.Errorf("NTLM NEGOTIATE_MESSAGE: %w", err)
	}
	if err := writeFrame(c, sessionSetupRequest(1, 0, negotiate)); err != nil {
		return nil, fmt.Errorf("sending SESSION_SETUP: %w", err)
	}
	msg, err := readFrame(c)
	if err != nil {
		return nil, fmt.Errorf("reading SESSION_SETUP answer: %w", err)
	}
	h, _, challenge, err := parseSessionSetupResponse(msg)
	if err != nil {
		return nil, err
	}
	if h.Status != StatusMoreProcessingRequired {
		if h.Status == StatusSuccess {
			return nil, fmt.Errorf("the server accepted the session without an NTLM challenge")
		}
		return &Session{Outcome: classifyStatus(h.Status), Status: h.Status, Leg: 1}, nil
	}
	if len(challenge) == 0 {
		return nil, fmt.Errorf("SESSION_SETUP answer carries no NTLM CHALLENGE_MESSAGE")
	}
	authenticate, err := guard(func() ([]byte, error) { return client.Authenticate(challenge, nil) })
	if err != nil {
		return nil, fmt.Errorf("NTLM CHALLENGE_MESSAGE from the server: %w", err)
	}
	if err := writeFrame(c, sessionSetupRequest(2, h.SessionID, authenticate)); err != nil {
		return nil, fmt.Errorf("sending SESSION_SETUP: %w", err)
	}
	msg, err = readFrame(c)
	if err != nil {
		return nil, fmt.Errorf("reading SESSION_SETUP answer: %w", err)
	}
	h, flags, _, err := parseSessionSetupResponse(msg)
	if err != nil {
		return nil, err
	}
	s := &Session{Outcome: classifyStatus(h.Status), Status: h.Status, Leg: 2}
	const sessionFlagIsGuest, sessionFlagIsNull = 0x0001, 0x0002
	if h.Status == StatusSuccess && flags&(sessionFlagIsGuest|sessionFlagIsNull) != 0 {
		s.Outcome = AuthGuest
	}
	return s, nil
}

// splitUsername splits DOMAIN\user; a UPN or bare name is sent whole with
// an empty domain, as [MS-NLMP] asks for a UPN.
func splitUsername(username string) (user, domain string) {
	if d, u, ok := strings.Cut(username, `\`); ok {
		return u, d
	}
	return username, ""
}

// guard turns a panic of the NTLM library on malformed server data into an
// error.
func guard(f func() ([]byte, error)) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("malformed NTLM data (%v)", r)
		}
	}()
	return f()
}
