package ntlmserver

import (
	"crypto"
	"crypto/hmac"
	"crypto/md5"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Channel binding (Extended Protection for Authentication): over TLS the
// client puts MD5(gss_channel_bindings_struct) in the MsvAvChannelBindings
// AV pair of its NTLMv2 response, the struct's application data being
// "tls-server-end-point:" + the hash of the server certificate it saw
// (RFC 5929 §4, RFC 5056, [MS-NLMP] 2.2.2.1 and 3.2.5.1.2). A TLS proxy that
// re-encrypts with its own certificate therefore breaks the binding.

const avChannelBindings = 10

// CBTLevel is WinRM's Service\Auth\CbtHardeningLevel (HTTP.sys hardening
// levels Medium/Strict/Legacy). The zero value is Windows' default, Relaxed.
type CBTLevel int

const (
	// CBTRelaxed checks a binding the client sent and accepts a client
	// that sends none (or sixteen zero bytes, "unbound").
	CBTRelaxed CBTLevel = iota
	// CBTStrict refuses a logon without a matching binding.
	CBTStrict
	// CBTNone ignores bindings.
	CBTNone
)

func (l CBTLevel) String() string {
	switch l {
	case CBTStrict:
		return "Strict"
	case CBTNone:
		return "None"
	}
	return "Relaxed"
}

// ParseCBTLevel reads none, relaxed or strict (any case); "" is Relaxed.
func ParseCBTLevel(s string) (CBTLevel, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "relaxed":
		return CBTRelaxed, nil
	case "strict":
		return CBTStrict, nil
	case "none":
		return CBTNone, nil
	}
	return 0, fmt.Errorf("CbtHardeningLevel %q: want none, relaxed or strict", s)
}

// BindingResult says how a successful logon's channel binding was judged.
type BindingResult string

const (
	BindingIgnored BindingResult = "ignored" // not TLS, or CbtHardeningLevel=None
	BindingAbsent  BindingResult = "absent"  // none sent, accepted (Relaxed)
	BindingMatched BindingResult = "matched"
)

// Channel binding refusals. Both wrap ErrChannelBindings; Windows answers
// them like any failed logon (SEC_E_BAD_BINDINGS becomes a plain 401).
var (
	ErrChannelBindings = errors.New("ntlmserver: channel binding refused")
	ErrBindingMissing  = fmt.Errorf("%w: the client sent none (CbtHardeningLevel=Strict)", ErrChannelBindings)
	ErrBindingMismatch = fmt.Errorf("%w: it does not match this TLS channel", ErrChannelBindings)
)

// GSSChannelBindings returns the gss_channel_bindings_struct (RFC 2744
// §3.11 as Windows lays it out) with no addresses and appData as
// application data: what both ends hash with MD5.
func GSSChannelBindings(appData []byte) []byte {
	b := make([]byte, 0, 20+len(appData))
	b = binary.LittleEndian.AppendUint32(b, 0) // initiator address type
	b = binary.LittleEndian.AppendUint32(b, 0) // initiator address length
	b = binary.LittleEndian.AppendUint32(b, 0) // acceptor address type
	b = binary.LittleEndian.AppendUint32(b, 0) // acceptor address length
	b = binary.LittleEndian.AppendUint32(b, uint32(len(appData)))
	return append(b, appData...)
}

// TLSServerEndPoint returns the tls-server-end-point application data for
// a server certificate: RFC 5929 §4.1 hashes it with the hash of its
// signature algorithm, SHA-256 when that is MD5 or SHA-1. Algorithms
// without a hash of their own (Ed25519) have no binding.
func TLSServerEndPoint(cert *x509.Certificate) ([]byte, error) {
	var h crypto.Hash
	switch cert.SignatureAlgorithm {
	case x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1,
		x509.SHA256WithRSA, x509.DSAWithSHA256, x509.ECDSAWithSHA256, x509.SHA256WithRSAPSS:
		h = crypto.SHA256
	case x509.SHA384WithRSA, x509.ECDSAWithSHA384, x509.SHA384WithRSAPSS:
		h = crypto.SHA384
	case x509.SHA512WithRSA, x509.ECDSAWithSHA512, x509.SHA512WithRSAPSS:
		h = crypto.SHA512
	default:
		return nil, fmt.Errorf("no tls-server-end-point hash for a certificate signed with %v", cert.SignatureAlgorithm)
	}
	d := h.New()
	d.Write(cert.Raw)
	return d.Sum([]byte("tls-server-end-point:")), nil
}

// checkBindings judges the MsvAvChannelBindings of an authenticated
// NTLMv2 response's AV pairs against the server's channel.
func (c *Config) checkBindings(av []byte) (BindingResult, error) {
	if c.ChannelBindings == nil || c.CBTLevel == CBTNone {
		return BindingIgnored, nil
	}
	got, present := avValue(av, avChannelBindings)
	return JudgeBinding(c.CBTLevel, c.ChannelBindings, got, present)
}

// JudgeBinding judges a channel binding hash a client sent (NTLMv2's
// MsvAvChannelBindings, or the Bnd field of a Kerberos authenticator's
// GSS checksum, RFC 4121 4.1.1.2) against the server's
// gss_channel_bindings_struct: CbtHardeningLevel applies to both methods.
func JudgeBinding(level CBTLevel, bindings, got []byte, present bool) (BindingResult, error) {
	if bindings == nil || level == CBTNone {
		return BindingIgnored, nil
	}
	if !present || len(got) == 16 && allZero(got) {
		if level == CBTStrict {
			return "", ErrBindingMissing
		}
		return BindingAbsent, nil
	}
	want := md5.Sum(bindings)
	if !hmac.Equal(got, want[:]) {
		return "", ErrBindingMismatch
	}
	return BindingMatched, nil
}

// avValue returns the value of the first AV pair with id (read leniently,
// as avFlagsOf).
func avValue(av []byte, id uint16) ([]byte, bool) {
	for len(av) >= 4 {
		aid := binary.LittleEndian.Uint16(av)
		l := int(binary.LittleEndian.Uint16(av[2:]))
		if aid == avEOL || 4+l > len(av) {
			return nil, false
		}
		if aid == id {
			return av[4 : 4+l], true
		}
		av = av[4+l:]
	}
	return nil, false
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
