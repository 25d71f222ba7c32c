package winrmtest

import (
	"crypto/tls"
	"errors"
	"fmt"

	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest/internal/ntlmserver"
)

// Channel binding on the HTTPS listener (Extended Protection): the host
// binds NTLM and Kerberos logons to its own certificate, as WinRM does per
// CbtHardeningLevel. Windows refuses a bad binding like any failed final
// leg: 401, the usual WWW-Authenticate lines, Connection: close (pywinrm
// reports it as "the specified credentials were rejected by the server",
// diyan/pywinrm#161, requests/requests-ntlm#75).

func (v *validator) channelBinding(h *Host, where string) {
	w := &h.WinRM
	level, err := ntlmserver.ParseCBTLevel(w.CbtHardeningLevel)
	if err != nil {
		v.errorf(h.Line, "%s: winrm.cbtHardeningLevel %q must be none, relaxed or strict", where, w.CbtHardeningLevel)
	}
	w.cbtLevel = level
	if w.TLSInterceptingProxy && !w.HTTPS {
		v.errorf(h.Line, "%s: winrm.tlsInterceptingProxy needs winrm.https: true", where)
	}
}

// bindingState is a host's channel binding, computed once from the
// certificate the host itself holds.
type bindingState struct {
	cbt []byte // gss_channel_bindings_struct, nil until computed
	err error
}

// channelBindings returns the gss_channel_bindings_struct a logon on this
// host's HTTPS listener must be bound to.
func (hs *hostServer) channelBindings() ([]byte, error) {
	hs.bindingOnce.Do(func() {
		cert, err := hs.cert.get(hs.srv.ca, hs.h)
		if err != nil {
			hs.binding.err = err
			return
		}
		if cert.Leaf == nil {
			hs.binding.err = errors.New("host certificate not parsed")
			return
		}
		app, err := ntlmserver.TLSServerEndPoint(cert.Leaf)
		if err != nil {
			hs.binding.err = err
			return
		}
		hs.binding.cbt = ntlmserver.GSSChannelBindings(app)
	})
	return hs.binding.cbt, hs.binding.err
}

// servedCertificate is what the HTTPS listener presents: the host's own
// certificate, or with tlsInterceptingProxy a proxy's one for the same
// names (another key, so another tls-server-end-point hash).
func (hs *hostServer) servedCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	if hs.h.WinRM.TLSInterceptingProxy {
		return hs.proxyCert.get(hs.srv.ca, hs.h)
	}
	return hs.cert.get(hs.srv.ca, hs.h)
}

// bindNTLM gives the NTLM acceptor the channel to judge bindings against.
func (rq *request) bindNTLM(cfg *ntlmserver.Config) error {
	if !rq.cs.tls {
		return nil
	}
	cfg.CBTLevel = rq.hs.h.WinRM.cbtLevel
	if cfg.CBTLevel == ntlmserver.CBTNone {
		return nil
	}
	cbt, err := rq.hs.channelBindings()
	if err != nil {
		return fmt.Errorf("host %s: channel binding: %w", rq.hs.h.Name, err)
	}
	cfg.ChannelBindings = cbt
	return nil
}

// kerberosBinding judges the Bnd field of a Kerberos authenticator on the
// HTTPS listener: WinRM applies CbtHardeningLevel to Kerberos logons as to
// NTLM ones (Extended Protection covers both).
func (rq *request) kerberosBinding(bnd []byte) (ntlmserver.BindingResult, error) {
	if !rq.cs.tls {
		return ntlmserver.BindingIgnored, nil
	}
	level := rq.hs.h.WinRM.cbtLevel
	if level == ntlmserver.CBTNone {
		return ntlmserver.BindingIgnored, nil
	}
	cbt, err := rq.hs.channelBindings()
	if err != nil {
		return "", fmt.Errorf("host %s: channel binding: %w", rq.hs.h.Name, err)
	}
	return ntlmserver.JudgeBinding(level, cbt, bnd, true)
}
