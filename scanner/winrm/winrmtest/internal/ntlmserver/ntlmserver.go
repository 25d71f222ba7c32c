// Package ntlmserver is the acceptor (server) side of NTLM as specified in
// [MS-NLMP], restricted to NTLMv2, plus the connection-oriented message
// sealing that [MS-WSMV] uses for HTTP-SPNEGO-session-encrypted bodies.
//
// It exists because no Go module offers server-side NTLM. It deliberately
// shares no code with the client libraries the scanner uses
// (github.com/bodgit/ntlmssp, github.com/Azure/go-ntlmssp), so a bug in one
// of them cannot hide by being present on both ends; the tests use those
// libraries as reference clients.
//
// The CHALLENGE it produces reproduces what Windows Server sends (flag
// computation, AV pair order, Version), see ChallengeFlags.
package ntlmserver

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Negotiate flags ([MS-NLMP] 2.2.2.5).
const (
	FlagUnicode                 uint32 = 0x00000001
	FlagOEM                     uint32 = 0x00000002
	FlagRequestTarget           uint32 = 0x00000004
	FlagSign                    uint32 = 0x00000010
	FlagSeal                    uint32 = 0x00000020
	FlagDatagram                uint32 = 0x00000040
	FlagLMKey                   uint32 = 0x00000080
	FlagNTLM                    uint32 = 0x00000200
	FlagAnonymous               uint32 = 0x00000800
	FlagOEMDomainSupplied       uint32 = 0x00001000
	FlagOEMWorkstationSupplied  uint32 = 0x00002000
	FlagAlwaysSign              uint32 = 0x00008000
	FlagTargetTypeDomain        uint32 = 0x00010000
	FlagTargetTypeServer        uint32 = 0x00020000
	FlagExtendedSessionSecurity uint32 = 0x00080000
	FlagIdentify                uint32 = 0x00100000
	FlagRequestNonNTSessionKey  uint32 = 0x00400000
	FlagTargetInfo              uint32 = 0x00800000
	FlagVersion                 uint32 = 0x02000000
	Flag128                     uint32 = 0x20000000
	FlagKeyExch                 uint32 = 0x40000000
	Flag56                      uint32 = 0x80000000
)

// AV pair IDs ([MS-NLMP] 2.2.2.1).
const (
	avEOL            = 0
	avNbComputerName = 1
	avNbDomainName   = 2
	avDNSComputer    = 3
	avDNSDomain      = 4
	avFlags          = 6
	avTimestamp      = 7

	avFlagMICPresent = 0x2
)

// Errors. Callers test with errors.Is; the returned errors wrap these with detail.
var (
	// ErrLogonFailure: wrong password, unknown user, anonymous logon, bad or missing MIC.
	ErrLogonFailure = errors.New("ntlmserver: logon failure")
	// ErrMalformed: the bytes are not a well-formed NTLM message of the expected type.
	ErrMalformed = errors.New("ntlmserver: malformed NTLM message")
	// ErrNTLMv1: the client sent an NTLMv1 (or LM) response, which is refused.
	ErrNTLMv1 = errors.New("ntlmserver: NTLMv1 response refused")
	// ErrState: a message arrived out of order (AUTHENTICATE before NEGOTIATE,
	// or a second AUTHENTICATE on the same challenge).
	ErrState = errors.New("ntlmserver: NTLM message out of sequence")
	// ErrIntegrity: a sealed message failed its checksum or sequence number
	// check; the session's incoming direction is unusable afterwards.
	ErrIntegrity = errors.New("ntlmserver: sealed message failed integrity check")
)

var signature = []byte("NTLMSSP\x00")

// DefaultVersion is the Version structure Windows Server 2012 R2 sends
// (6.3 build 9600, NTLM revision 15); used when Config.Version is all zero.
var DefaultVersion = [8]byte{6, 3, 0x80, 0x25, 0, 0, 0, 0x0F}

// Config describes the simulated Windows host answering NTLM.
type Config struct {
	NetBIOSComputer string // e.g. "CORE01" (upper-cased in messages)
	NetBIOSDomain   string // e.g. "CORP"; for a workgroup host use the computer name
	DNSComputer     string // e.g. "core01.corp.example"; workgroup: computer name
	DNSDomain       string // e.g. "corp.example"; workgroup: computer name
	DomainJoined    bool   // TARGET_TYPE_DOMAIN vs TARGET_TYPE_SERVER
	// Version is the CHALLENGE Version structure, e.g.
	// {6,3,0x80,0x25,0,0,0,0x0F} for 2012 R2 (6.3.9600) or
	// {10,0,0x39,0x38,0,0,0,0x0F} for 2016 (10.0.14393); zero = DefaultVersion.
	Version [8]byte
	// LookupPassword returns the cleartext password for user as sent in
	// AUTHENTICATE (UserName, DomainName exactly as sent; for a UPN
	// user@dom the domain field may be empty). Matching user names is the
	// caller's job (case-insensitive); ok=false means unknown user.
	LookupPassword func(user, domain string) (password string, ok bool)
	Now            func() time.Time // nil = time.Now (FILETIME timestamp AV pair)
	Rand           io.Reader        // nil = crypto/rand (server challenge)
	// ChannelBindings is the server's gss_channel_bindings_struct for the
	// TLS channel (GSSChannelBindings(TLSServerEndPoint(cert))); nil when
	// the connection is not TLS. CBTLevel says how a client's binding is
	// judged against it (see cbt.go).
	ChannelBindings []byte
	CBTLevel        CBTLevel
}

// MessageType returns 1, 2 or 3 for a message with the NTLMSSP\0 signature,
// or an ErrMalformed error.
func MessageType(msg []byte) (uint32, error) {
	if len(msg) < 12 || !bytes.Equal(msg[:8], signature) {
		return 0, fmt.Errorf("%w: no NTLMSSP signature", ErrMalformed)
	}
	t := binary.LittleEndian.Uint32(msg[8:12])
	if t < 1 || t > 3 {
		return 0, fmt.Errorf("%w: unknown message type %d", ErrMalformed, t)
	}
	return t, nil
}

// ChallengeFlags computes the CHALLENGE NegotiateFlags from the client's
// NEGOTIATE flags the way Windows Server does ([MS-NLMP] §3.2.5.1.1; the
// rule reproduces the 2012 R2 exchanges of a published packet capture,
// jborean93/github-misc packer/issue-6205):
// echo UNICODE (else OEM), echo the session-security bits the client asked
// for (KEY_EXCH only if requested, because Azure/go-ntlmssp refuses it),
// always add REQUEST_TARGET, NTLM, TARGET_INFO, VERSION and the target
// type, never LM_KEY, and drop the OEM_*_SUPPLIED bits.
func ChallengeFlags(client uint32, domainJoined bool) uint32 {
	var f uint32
	switch {
	case client&FlagUnicode != 0:
		f |= FlagUnicode
	default:
		// OEM if asked for, and also when neither is: OEM is the
		// encoding a client that names none can be assumed to handle.
		f |= FlagOEM
	}
	f |= client & (FlagSign | FlagSeal | FlagAlwaysSign | FlagExtendedSessionSecurity |
		Flag128 | Flag56 | FlagKeyExch)
	f |= FlagRequestTarget | FlagNTLM | FlagTargetInfo | FlagVersion
	if domainJoined {
		f |= FlagTargetTypeDomain
	} else {
		f |= FlagTargetTypeServer
	}
	return f
}

type hsState int

const (
	stateNew hsState = iota
	stateChallenged
	stateDone
)

// Handshake is one NTLM authentication context on one TCP connection.
// It is safe for concurrent use, though a connection normally drives it
// sequentially.
type Handshake struct {
	mu              sync.Mutex
	cfg             Config
	state           hsState
	negotiate       []byte // exact bytes, kept for the MIC
	challenge       []byte // exact bytes, kept for the MIC
	serverChallenge [8]byte
	flags           uint32 // flags sent in CHALLENGE
}

// NewHandshake returns a fresh context. cfg is copied; a nil cfg behaves as
// an empty Config (every user unknown).
func NewHandshake(cfg *Config) *Handshake {
	h := &Handshake{}
	if cfg != nil {
		h.cfg = *cfg
	}
	return h
}

// Negotiate consumes a NEGOTIATE (type 1) message and returns the CHALLENGE
// (type 2) bytes. Calling it again restarts the context with a new challenge.
func (h *Handshake) Negotiate(msg []byte) (challenge []byte, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.state = stateDone // stays unusable unless we get to the end
	t, err := MessageType(msg)
	if err != nil {
		return nil, err
	}
	if t != 1 {
		return nil, fmt.Errorf("%w: expected NEGOTIATE, got type %d", ErrMalformed, t)
	}
	if len(msg) < 16 {
		return nil, fmt.Errorf("%w: NEGOTIATE shorter than 16 bytes", ErrMalformed)
	}
	clientFlags := binary.LittleEndian.Uint32(msg[12:16])
	// The Domain and Workstation fields are not used, but when present they
	// must lie inside the message, as Windows would insist.
	if len(msg) >= 32 {
		for _, at := range []int{16, 24} {
			if _, ok := field(msg, at); !ok {
				return nil, fmt.Errorf("%w: NEGOTIATE field at %d out of bounds", ErrMalformed, at)
			}
		}
	}

	r := h.cfg.Rand
	if r == nil {
		r = rand.Reader
	}
	if _, err := io.ReadFull(r, h.serverChallenge[:]); err != nil {
		return nil, fmt.Errorf("ntlmserver: reading server challenge: %w", err)
	}
	now := time.Now
	if h.cfg.Now != nil {
		now = h.cfg.Now
	}
	h.flags = ChallengeFlags(clientFlags, h.cfg.DomainJoined)
	h.negotiate = bytes.Clone(msg)
	h.challenge = h.buildChallenge(now())
	h.state = stateChallenged
	return bytes.Clone(h.challenge), nil
}

func (h *Handshake) names() (nbComputer, nbDomain, dnsComputer, dnsDomain string) {
	c := h.cfg
	nbComputer = strings.ToUpper(c.NetBIOSComputer)
	nbDomain = strings.ToUpper(c.NetBIOSDomain)
	if nbDomain == "" {
		nbDomain = nbComputer // workgroup convention
	}
	dnsComputer = c.DNSComputer
	if dnsComputer == "" {
		dnsComputer = c.NetBIOSComputer
	}
	dnsDomain = c.DNSDomain
	if dnsDomain == "" {
		dnsDomain = c.NetBIOSComputer
	}
	return
}

func (h *Handshake) buildChallenge(now time.Time) []byte {
	nbComputer, nbDomain, dnsComputer, dnsDomain := h.names()

	// A domain member names its domain as the target, a workgroup server
	// itself (in which case the configured domain is the computer name anyway).
	target := nbComputer
	if h.cfg.DomainJoined {
		target = nbDomain
	}
	var targetName []byte
	if h.flags&FlagUnicode != 0 {
		targetName = utf16le(target)
	} else {
		targetName = oemBytes(target)
	}

	// AV pairs are always UTF-16, in the order Windows sends them.
	var ti []byte
	ti = appendAV(ti, avNbDomainName, utf16le(nbDomain))
	ti = appendAV(ti, avNbComputerName, utf16le(nbComputer))
	ti = appendAV(ti, avDNSDomain, utf16le(dnsDomain))
	ti = appendAV(ti, avDNSComputer, utf16le(dnsComputer))
	var ts [8]byte
	binary.LittleEndian.PutUint64(ts[:], filetime(now))
	ti = appendAV(ti, avTimestamp, ts[:])
	ti = appendAV(ti, avEOL, nil)

	version := h.cfg.Version
	if version == ([8]byte{}) {
		version = DefaultVersion
	}

	const hdr = 56
	b := make([]byte, hdr, hdr+len(targetName)+len(ti))
	copy(b, signature)
	binary.LittleEndian.PutUint32(b[8:], 2)
	putField(b[12:], len(targetName), hdr)
	binary.LittleEndian.PutUint32(b[20:], h.flags)
	copy(b[24:32], h.serverChallenge[:])
	// 32..40 Reserved, zero.
	putField(b[40:], len(ti), hdr+len(targetName))
	copy(b[48:56], version[:])
	b = append(b, targetName...)
	b = append(b, ti...)
	return b
}

// Bits that change the keys or the MAC. A client may drop one of these in
// AUTHENTICATE (it then computed its keys without it) but can never add one
// the CHALLENGE did not grant.
const keyFlags = FlagSign | FlagSeal | FlagAlwaysSign | FlagExtendedSessionSecurity |
	Flag128 | Flag56 | FlagKeyExch

// Authenticate consumes the AUTHENTICATE (type 3) message, verifies NTLMv2
// (and the MIC when MsvAvFlags bit 0x2 is set) in constant time, and returns
// the established session. Whatever the outcome, the handshake is finished
// afterwards: a new attempt needs a new Negotiate.
func (h *Handshake) Authenticate(msg []byte) (*Session, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.state != stateChallenged {
		return nil, ErrState
	}
	h.state = stateDone

	t, err := MessageType(msg)
	if err != nil {
		return nil, err
	}
	if t != 3 {
		return nil, fmt.Errorf("%w: expected AUTHENTICATE, got type %d", ErrMalformed, t)
	}
	if len(msg) < 64 {
		return nil, fmt.Errorf("%w: AUTHENTICATE shorter than 64 bytes", ErrMalformed)
	}

	const (
		fLm = iota
		fNt
		fDomain
		fUser
		fWorkstation
		fSessionKey
	)
	var fields [6][]byte
	minOff := len(msg)
	for i := range fields {
		at := 12 + 8*i
		v, ok := field(msg, at)
		if !ok {
			return nil, fmt.Errorf("%w: AUTHENTICATE field at %d out of bounds", ErrMalformed, at)
		}
		fields[i] = v
		if len(v) > 0 {
			minOff = min(minOff, int(binary.LittleEndian.Uint32(msg[at+4:])))
		}
	}
	// Which optional header parts exist is told by where the payload starts
	// (the VERSION flag is not reliable: bodgit writes a zero Version without it).
	if minOff < 64 {
		return nil, fmt.Errorf("%w: AUTHENTICATE payload overlaps the header", ErrMalformed)
	}
	hasMIC := minOff >= 88

	authFlags := binary.LittleEndian.Uint32(msg[60:64])
	flags := h.flags &^ (keyFlags &^ authFlags)

	// The AUTHENTICATE's own flags describe its string encoding; fall back
	// to what the CHALLENGE chose if they say nothing.
	unicode := h.flags&FlagUnicode != 0
	switch {
	case authFlags&FlagUnicode != 0:
		unicode = true
	case authFlags&FlagOEM != 0:
		unicode = false
	}
	var user, domain, workstation string
	for _, p := range []struct {
		dst *string
		src []byte
	}{{&user, fields[fUser]}, {&domain, fields[fDomain]}, {&workstation, fields[fWorkstation]}} {
		s, ok := decodeString(p.src, unicode)
		if !ok {
			return nil, fmt.Errorf("%w: odd-length UTF-16 string", ErrMalformed)
		}
		*p.dst = s
	}

	nt := fields[fNt]
	switch {
	case len(nt) == 0 && (authFlags&FlagAnonymous != 0 || user == ""):
		return nil, fmt.Errorf("%w: anonymous logon refused", ErrLogonFailure)
	case len(nt) <= 24:
		return nil, fmt.Errorf("%w: NtChallengeResponse of %d bytes", ErrNTLMv1, len(nt))
	case len(nt) < 16+28:
		return nil, fmt.Errorf("%w: NTLMv2 response of %d bytes is too short", ErrMalformed, len(nt))
	}
	ntProof, blob := nt[:16], nt[16:]

	password, known := "", false
	if h.cfg.LookupPassword != nil {
		password, known = h.cfg.LookupPassword(user, domain)
	}
	// An unknown user costs the same work as a wrong password, so timing
	// does not reveal which names exist.
	ntowf := ntowfv2(password, user, domain)
	expected := hmacMD5(ntowf, h.serverChallenge[:], blob)
	if !hmac.Equal(expected, ntProof) || !known {
		return nil, fmt.Errorf("%w: user %q domain %q", ErrLogonFailure, user, domain)
	}

	keyExchangeKey := hmacMD5(ntowf, ntProof) // SessionBaseKey; NTLMv2 KXKEY is the identity
	exported := keyExchangeKey
	if flags&FlagKeyExch != 0 {
		switch ersk := fields[fSessionKey]; {
		case len(ersk) == 16:
			exported = rc4Once(keyExchangeKey, ersk)
		case len(ersk) == 0 && flags&(FlagSign|FlagSeal) == 0:
			// [MS-NLMP] 3.1.5.1.2 only exchanges a key when signing or
			// sealing; without either, the base key is exported.
		default:
			return nil, fmt.Errorf("%w: EncryptedRandomSessionKey of %d bytes", ErrMalformed, len(ersk))
		}
	}

	if avFlagsOf(blob[28:])&avFlagMICPresent != 0 {
		if !hasMIC {
			return nil, fmt.Errorf("%w: MsvAvFlags announces a MIC but the message has none", ErrLogonFailure)
		}
		zeroed := bytes.Clone(msg)
		clear(zeroed[72:88])
		mic := hmacMD5(exported, h.negotiate, h.challenge, zeroed)
		if !hmac.Equal(mic, msg[72:88]) {
			return nil, fmt.Errorf("%w: MIC mismatch", ErrLogonFailure)
		}
	}

	// Only the password holder could have written the AV pairs (they are
	// under NTProofStr), so the binding is judged after the credential.
	binding, err := h.cfg.checkBindings(blob[28:])
	if err != nil {
		return nil, err
	}

	s := newSession(flags, exported, roleServer)
	s.user, s.domain, s.workstation = user, domain, workstation
	s.binding = binding
	return s, nil
}

// field returns the payload described by the (len, maxlen, offset) triple at
// msg[at:], or ok=false if the triple or the payload lies outside msg.
func field(msg []byte, at int) (v []byte, ok bool) {
	if at+8 > len(msg) {
		return nil, false
	}
	l := uint64(binary.LittleEndian.Uint16(msg[at:]))
	off := uint64(binary.LittleEndian.Uint32(msg[at+4:]))
	if l == 0 {
		return nil, true // offset of an empty field is irrelevant
	}
	if off+l > uint64(len(msg)) {
		return nil, false
	}
	return msg[off : off+l], true
}

func putField(b []byte, l, off int) {
	binary.LittleEndian.PutUint16(b[0:], uint16(l))
	binary.LittleEndian.PutUint16(b[2:], uint16(l))
	binary.LittleEndian.PutUint32(b[4:], uint32(off))
}

func appendAV(b []byte, id uint16, v []byte) []byte {
	b = binary.LittleEndian.AppendUint16(b, id)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(v)))
	return append(b, v...)
}

// avFlagsOf returns the MsvAvFlags value of an AV pair list, 0 if absent.
// It is read leniently: the list is covered by NTProofStr, so only the
// password holder could have written it.
func avFlagsOf(av []byte) uint32 {
	for len(av) >= 4 {
		id := binary.LittleEndian.Uint16(av)
		l := int(binary.LittleEndian.Uint16(av[2:]))
		if id == avEOL || 4+l > len(av) {
			return 0
		}
		if id == avFlags && l == 4 {
			return binary.LittleEndian.Uint32(av[4:])
		}
		av = av[4+l:]
	}
	return 0
}

// filetime converts t to a Windows FILETIME (100 ns ticks since 1601-01-01 UTC).
func filetime(t time.Time) uint64 {
	const epochDelta = 116444736000000000 // 1601 to 1970 in 100 ns ticks
	return uint64(t.Unix()*10_000_000+int64(t.Nanosecond()/100)) + epochDelta
}
