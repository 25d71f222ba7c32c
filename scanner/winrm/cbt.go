package winrm

import (
	"crypto"
	"crypto/md5"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Channel binding (Extended Protection for Authentication, RFC 5056/5929):
// over HTTPS the logon carries a hash of the server certificate the client
// saw, so a logon relayed through another TLS channel (or re-encrypted by a
// TLS-inspecting proxy) fails. WinRM's Service\Auth\CbtHardeningLevel=Strict
// refuses a logon without one; Relaxed (the default) refuses a wrong one.
// The functions here are shared by every authenticator that binds (NTLM's
// MsvAvChannelBindings, Kerberos' checksum Bnd field, RFC 4121 §4.1.1.2).

// TLSStater is implemented by an Exchanger whose connection runs TLS: it
// returns the handshake state (nil outside TLS).
type TLSStater interface {
	TLSConnectionState() *tls.ConnectionState
}

// TLSConnectionState implements TLSStater for the connection being
// authenticated.
func (x connExchanger) TLSConnectionState() *tls.ConnectionState {
	tc, ok := x.c.nc.(*tls.Conn)
	if !ok {
		return nil
	}
	cs := tc.ConnectionState()
	return &cs
}

// TLSServerEndPoint returns the tls-server-end-point channel binding data of
// a TLS connection: "tls-server-end-point:" followed by the hash of the
// server's leaf certificate, SHA-256 when the certificate is signed with MD5
// or SHA-1, else the hash of its signature algorithm (RFC 5929 §4.1).
// Signature algorithms without a hash of their own (Ed25519) have no binding.
func TLSServerEndPoint(cs *tls.ConnectionState) ([]byte, error) {
	if cs == nil || len(cs.PeerCertificates) == 0 {
		return nil, errors.New("the TLS connection has no server certificate")
	}
	cert := cs.PeerCertificates[0]
	var h crypto.Hash
	switch cert.SignatureAlgorithm {
	case x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1,
		x509.SHA256WithRSA, x509.SHA256WithRSAPSS, x509.DSAWithSHA256, x509.ECDSAWithSHA256:
		h = crypto.SHA256
	case x509.SHA384WithRSA, x509.SHA384WithRSAPSS, x509.ECDSAWithSHA384:
		h = crypto.SHA384
	case x509.SHA512WithRSA, x509.SHA512WithRSAPSS, x509.ECDSAWithSHA512:
		h = crypto.SHA512
	default:
		return nil, fmt.Errorf("the server certificate is signed with %v, for which RFC 5929 defines no tls-server-end-point hash", cert.SignatureAlgorithm)
	}
	d := h.New()
	d.Write(cert.Raw)
	return d.Sum([]byte("tls-server-end-point:")), nil
}

// GSSChannelBindings lays out the gss_channel_bindings_struct (RFC 2744
// §3.11, little-endian as SSPI sends it) with no addresses and appData as
// application data.
func GSSChannelBindings(appData []byte) []byte {
	b := make([]byte, 16, 20+len(appData)) // initiator and acceptor: type 0, length 0
	b = binary.LittleEndian.AppendUint32(b, uint32(len(appData)))
	return append(b, appData...)
}

// ChannelBindingHash is MD5 of the gss_channel_bindings_struct: what NTLMv2
// puts in MsvAvChannelBindings and Kerberos in its checksum's Bnd field.
func ChannelBindingHash(appData []byte) [16]byte {
	return md5.Sum(GSSChannelBindings(appData))
}

// Thumbprint is the SHA-1 of the server's leaf certificate in upper-case
// hex, as Windows shows a listener's CertificateThumbprint; "" without one.
func Thumbprint(cs *tls.ConnectionState) string {
	if cs == nil || len(cs.PeerCertificates) == 0 {
		return ""
	}
	sum := sha1.Sum(cs.PeerCertificates[0].Raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// TLSBinding describes the TLS channel of a logon the host refused over
// HTTPS, so the refusal can be told apart from a wrong password.
type TLSBinding struct {
	// BindingSent: the logon carried a tls-server-end-point binding.
	BindingSent bool
	// NoBinding says why none was sent.
	NoBinding string
	// Thumbprint of the certificate ntlmscan saw: if it is not the
	// listener's CertificateThumbprint, something re-encrypts the traffic.
	Thumbprint string
}

// tlsBinding computes the binding of the connection x authenticates.
func tlsBinding(x Exchanger) (appData []byte, info *TLSBinding) {
	info = &TLSBinding{}
	st, ok := x.(TLSStater)
	var cs *tls.ConnectionState
	if ok {
		cs = st.TLSConnectionState()
	}
	if cs == nil {
		info.NoBinding = "the connection's TLS state is not available"
		return nil, info
	}
	info.Thumbprint = Thumbprint(cs)
	app, err := TLSServerEndPoint(cs)
	if err != nil {
		info.NoBinding = err.Error()
		return nil, info
	}
	info.BindingSent = true
	return app, info
}

func (b *TLSBinding) String() string {
	s := "over HTTPS, "
	if b.BindingSent {
		s += "channel binding sent"
	} else {
		s += "no channel binding sent (" + b.NoBinding + ")"
	}
	if b.Thumbprint != "" {
		s += ", server certificate thumbprint " + b.Thumbprint
	}
	return s
}
