package facts

import "strings"

// Kerberos verification: for each Kerberos-expected path the scanner asks
// the KDC, with the scan's Kerberos credential, for a service ticket for the
// SPN the Core would use toward the target (PathSPN) and records how the
// KDC answered. No ticket is ever presented to the target.

// SPNResult classifies the KDC's answer for one SPN.
type SPNResult string

const (
	SPNIssuedAES SPNResult = "issued-aes" // a ticket with an AES session key and service key
	// SPNRC4Only: the KDC issued the ticket only with RC4 (or refused AES
	// with KDC_ERR_ETYPE_NOSUPP): Kerberos breaks where RC4 is disabled.
	SPNRC4Only        SPNResult = "rc4-only"
	SPNUnknown        SPNResult = "spn-unknown"     // KDC_ERR_S_PRINCIPAL_UNKNOWN: Negotiate falls back to NTLM
	SPNKDCUnreachable SPNResult = "kdc-unreachable" // no KDC answered within the deadline
	SPNNoCredential   SPNResult = "no-credential"   // the scan has no Kerberos credential for this Core
	SPNError          SPNResult = "error"           // another failure (Detail says which)
)

// SPNCheck is the KDC's answer for one SPN, asked on behalf of one Core.
type SPNCheck struct {
	SPN    string    `json:"spn"`
	Result SPNResult `json:"result"`
	// EType is the ticket's encryption type (IANA number: 17/18 AES, 23
	// RC4) when one was issued.
	EType  int32  `json:"etype,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// Service classes of the SPNs the Core uses per path kind.
//
//   - share (SMB): cifs/<name used>, the SMB client's service class.
//   - agent: HTTP/<name used>. The Core reaches the agent service over
//     HTTPS (TCP 8006 by default), and Windows' HTTP stack names the
//     service HTTP/<host>; the KDC maps HTTP/ to the computer account's
//     HOST/ SPN (the default sPNMappings), so an agent running as
//     LocalSystem needs no SPN of its own. Which SPN the Rapid Recovery
//     Core actually requests is UNCONFIRMED (no Quest document says); it is
//     also the form 4001/8001 events show as TargetName.
const (
	SPNClassShare = "cifs"
	SPNClassAgent = "HTTP"
)

// PathSPN is the SPN for a path of kind ("agent" or "share") to a target
// the Core names nameUsed.
func PathSPN(kind, nameUsed string) string {
	class := SPNClassAgent
	if kind == "share" {
		class = SPNClassShare
	}
	return class + "/" + strings.ToLower(nameUsed)
}
