package facts

import "slices"

// VantageController is where ntlmscan's own probes run: the machine running
// ntlmscan, not the Core. A Core may see a share host differently (another
// route, firewall or DNS answer).
const VantageController = "controller"

// SMB probe authentication outcomes (SMBAuth.Outcome).
const (
	SMBAuthAccepted        = "accepted"
	SMBAuthGuest           = "guest"
	SMBAuthWrongCredential = "wrong-credential"
	SMBAuthRefusedPolicy   = "refused-by-policy"
	SMBAuthAccountProblem  = "account-problem"
	SMBAuthFailed          = "failed"
	SMBAuthNotAttempted    = "not-attempted"
)

// SPNEGO mechanism names (SMBProbe.Mechanisms).
const (
	MechNTLMSSP    = "ntlmssp"
	MechKerberos   = "kerberos"
	MechMSKerberos = "ms-kerberos"
)

// SMBProbe is what ntlmscan's SMB probe found on a repository host's SMB
// service: an SMB2 NEGOTIATE and, with --smb-auth, one NTLM SESSION_SETUP,
// sent from Vantage (the controller), never from the Core.
type SMBProbe struct {
	Vantage string `json:"vantage"`
	Target  string `json:"target"` // host:port probed
	// Error is set when no SMB answer came (refused, timeout, not SMB);
	// the fields below are then empty.
	Error string `json:"error,omitempty"`
	// SMB1Only: the host answered only an SMB1 NEGOTIATE (NT LM 0.12).
	SMB1Only bool `json:"smb1Only,omitempty"`
	// Dialect is the SMB2 dialect chosen ("3.1.1", "2.1", ...).
	Dialect         string   `json:"dialect,omitempty"`
	SigningEnabled  bool     `json:"signingEnabled,omitempty"`
	SigningRequired bool     `json:"signingRequired,omitempty"`
	Capabilities    []string `json:"capabilities,omitempty"`
	// Mechanisms are the SPNEGO mechanisms the host advertised in its
	// NEGOTIATE response, in its order (nil: none advertised).
	Mechanisms      []string `json:"mechanisms,omitempty"`
	MechanismsError string   `json:"mechanismsError,omitempty"`
	// Auth holds one NTLM logon per account the inventory's repositories
	// on this host use (--smb-auth only).
	Auth []SMBAuth `json:"auth,omitempty"`
}

// SMBAuth is the outcome of the probe's one NTLM logon.
type SMBAuth struct {
	Account string `json:"account"` // the account tried (never its secret)
	Outcome string `json:"outcome"`
	Status  string `json:"status,omitempty"`  // NTSTATUS name of the answer
	Message string `json:"message,omitempty"` // why it did not reach an answer
}

// AuthFor returns the logon outcome for account (case-insensitive); nil
// when it was not tried.
func (p *SMBProbe) AuthFor(account string) *SMBAuth {
	if p == nil {
		return nil
	}
	for i := range p.Auth {
		if equalFold(p.Auth[i].Account, account) {
			return &p.Auth[i]
		}
	}
	return nil
}

// Answered reports whether the probe got an SMB answer.
func (p *SMBProbe) Answered() bool { return p != nil && p.Error == "" }

// OffersKerberos reports whether the host advertised Kerberos.
func (p *SMBProbe) OffersKerberos() bool {
	return p.Answered() && (slices.Contains(p.Mechanisms, MechKerberos) || slices.Contains(p.Mechanisms, MechMSKerberos))
}

// OnlyNTLM reports whether the host advertised NTLMSSP and nothing a
// Windows client could use instead (no Kerberos).
func (p *SMBProbe) OnlyNTLM() bool {
	return p.Answered() && slices.Contains(p.Mechanisms, MechNTLMSSP) && !p.OffersKerberos()
}
