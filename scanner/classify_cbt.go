package scanner

import (
	"fmt"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
	"github.com/ntlmscan/ntlmscan/scanner/winrm"
)

// cbtHint is what to check when a channel binding is the likely cause.
const cbtHint = "channel binding refused: TLS inspection proxy in the way, or client without channel binding; check CbtHardeningLevel " +
	"(winrm get winrm/config/service/auth) and that the certificate thumbprint ntlmscan saw is the HTTPS listener's CertificateThumbprint " +
	"(winrm enumerate winrm/config/listener); exempt the WinRM hosts from TLS inspection"

// channelBindingRefusal classifies an NTLM 401 over HTTPS, or returns nil
// for the other 401s. ntlmscan binds every NTLM logon over HTTPS to the
// certificate it verified, so a host (Strict or Relaxed) refuses it only if
// the binding cannot match — something between us re-encrypts — or, as
// over HTTP, for the credential or the NTLM policy. One 401 cannot tell
// these apart; without a binding at all, Strict is the likely cause.
func channelBindingRefusal(e *winrm.AuthError, username string) *facts.HostError {
	if e.Method != "ntlm" || e.Reason != winrm.AuthRejected || e.TLS == nil {
		return nil
	}
	if !e.TLS.BindingSent {
		return &facts.HostError{Class: facts.ErrAuthChannelBinding,
			Message: clean(fmt.Sprintf("NTLM logon over HTTPS refused for %s (HTTP %d); ntlmscan could not bind it to the TLS channel (%s), "+
				"and a host with CbtHardeningLevel=Strict refuses logons without channel binding", username, e.Status, e.TLS.NoBinding)),
			Hint: cbtHint + "; give the listener a certificate signed with RSA or ECDSA, or check the password"}
	}
	return &facts.HostError{Class: facts.ErrAuthCredentials,
		Message: clean(fmt.Sprintf("NTLM logon over HTTPS refused for %s (HTTP %d); the logon was bound to the certificate ntlmscan saw (thumbprint %s)",
			username, e.Status, e.TLS.Thumbprint)),
		Hint: "either the password is wrong (or the account is locked or disabled), the host's incoming NTLM policy refuses the logon " +
			"(event 4002 in Microsoft-Windows-NTLM/Operational), or a TLS-inspecting proxy re-encrypts the connection so the channel binding cannot match " +
			"(compare the thumbprint with the listener's CertificateThumbprint: winrm enumerate winrm/config/listener); one 401 cannot tell which"}
}

// settledRefusal reclassifies an NTLM 401 once the same domain credential
// authenticated on other hosts in this scan. Over HTTPS the cause is either
// the host's incoming NTLM policy or a TLS-inspecting proxy that breaks the
// channel binding, and one 401 cannot tell which. It is classed as the
// policy refusal all the same, so the host's paths become blocked-suspected:
// a nightly run must not miss a policy break (a false alarm costs a look at
// the thumbprint; a missed break costs the backups). The message names both.
func settledRefusal(username string, others int, tb *winrm.TLSBinding) *facts.HostError {
	he := policyRefusal(username, others)
	if tb == nil {
		return he
	}
	he.Message = clean(fmt.Sprintf("NTLM logon over HTTPS refused for %s (HTTP 401), although the same domain credential authenticated on %d other host(s) in this scan: "+
		"most likely the host's incoming NTLM policy refuses it, unless a TLS-inspecting proxy re-encrypts the connection so the channel binding "+
		"cannot match (ntlmscan bound the logon to the certificate with thumbprint %s)",
		username, others, tb.Thumbprint))
	he.Hint = "look for event 4002 (Network security: Restrict NTLM: Incoming NTLM traffic) in Microsoft-Windows-NTLM/Operational on the host " +
		"(if so, scan it over Kerberos: auth: kerberos in the inventory); if there is none, " + cbtHint
	return he
}
