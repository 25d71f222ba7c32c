package winrmtest

import (
	"slices"
	"strings"

	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
)

// HostKDC is what the lab's simulated KDC knows of a host's account beyond
// WinRM's HTTP/ SPN: the SPNs Kerberos verification asks for (HOST/ and
// cifs/ with the FQDN and the NetBIOS name), which of them are missing, and
// whether the account has only RC4 keys.
type HostKDC struct {
	// Missing lists service classes the KDC has no SPN for (e.g. [cifs,
	// HOST]: a share path then falls back to NTLM).
	Missing []string `yaml:"missing"`
	// RC4Only: the account's keys are RC4 only: a client offering only AES
	// gets KDC_ERR_ETYPE_NOSUPP (also for WinRM's HTTP/).
	RC4Only bool `yaml:"rc4Only"`
}

// kdcClasses are the service classes the lab KDC registers per host.
var kdcClasses = []string{"HTTP", "HOST", "cifs"}

// kdcSPNs are the SPNs the lab KDC registers for the host: HTTP/ when its
// WinRM advertises Kerberos and winrm.noSPN is unset (as before), HOST/
// and cifs/ unless kdc.missing lists them.
func (h *Host) kdcSPNs() []string {
	var classes []string
	if h.kerberosAdvertised() && !h.WinRM.NoSPN {
		classes = append(classes, "HTTP")
	}
	classes = append(classes, "HOST", "cifs")
	var out []string
	for _, c := range classes {
		if h.KDC != nil && slices.ContainsFunc(h.KDC.Missing, func(m string) bool { return strings.EqualFold(m, c) }) {
			continue
		}
		out = append(out, c+"/"+strings.ToLower(h.FQDN), c+"/"+strings.ToUpper(h.Name))
	}
	return out
}

// kdcEtype is the key type of the host's account.
func (h *Host) kdcEtype() int32 {
	if h.KDC != nil && h.KDC.RC4Only {
		return etypeID.RC4_HMAC
	}
	return kdcEtype
}
