package inventory

import (
	"net/netip"
	"regexp"
	"strings"
)

// IsIPAddress reports whether name is a literal IPv4 or IPv6 address (as
// opposed to a host name). Windows does not attempt Kerberos for a target
// named by IP address unless TryIPSPN and an IP SPN are configured, so an IP
// name normally means NTLM (Microsoft Learn, "Configuring Kerberos for IP
// Addresses").
func IsIPAddress(name string) bool {
	name = strings.TrimSuffix(strings.TrimPrefix(name, "["), "]")
	_, err := netip.ParseAddr(name)
	return err == nil
}

// Name forms, as returned by ClassifyName. The strings equal the verdict
// package's NameForm values.
const (
	FormFQDN    = "fqdn"
	FormNetBIOS = "netbios"
	FormIP      = "ip"
	FormOther   = "other" // an alias (CNAME), another DNS name, or a name the inventory does not know
)

// ClassifyName says which form of h's name a Core uses when it writes name:
// an IP address, h's FQDN, h's NetBIOS name, or something else (an alias
// such as a CNAME, for which Kerberos often fails).
func ClassifyName(h *Host, name string) string {
	switch {
	case IsIPAddress(name):
		return FormIP
	case h != nil && h.FQDN != "" && equalFold(name, h.FQDN):
		return FormFQDN
	case h != nil && h.NetBIOS != "" && equalFold(name, h.NetBIOS):
		return FormNetBIOS
	}
	return FormOther
}

// NameForms returns every name h is known by in the inventory: FQDN,
// NetBIOS name, inventory name and address, without duplicates
// (case-insensitive), in that order. Exception lists (ClientAllowedNTLMServers,
// DCAllowedNTLMServers, BlockNTLMServerExceptionList) are matched against
// these forms plus the literal name the Core uses.
func NameForms(h *Host) []string {
	if h == nil {
		return nil
	}
	var out []string
	for _, n := range []string{h.FQDN, h.NetBIOS, h.Name, h.Address} {
		if n == "" {
			continue
		}
		dup := false
		for _, o := range out {
			if equalFold(o, n) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, n)
		}
	}
	return out
}

// KnownBy reports whether n is one of h's NameForms.
func (h *Host) KnownBy(n string) bool {
	for _, f := range NameForms(h) {
		if equalFold(f, n) {
			return true
		}
	}
	return false
}

var dnsLabelRE = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$`)

// checkDNSName validates a DNS host or domain name and returns a reason if
// it is malformed.
func checkDNSName(s string) string {
	if s == "" {
		return "is empty"
	}
	if len(s) > 253 {
		return "is longer than 253 characters"
	}
	if strings.HasSuffix(s, ".") {
		return "ends with a dot"
	}
	labels := strings.Split(s, ".")
	for _, l := range labels {
		if l == "" {
			return "has an empty label (two dots in a row)"
		}
		if !dnsLabelRE.MatchString(l) {
			return "has an invalid label " + quote(l) + " (use letters, digits and hyphens; at most 63 characters per label)"
		}
	}
	if allDigits(labels[len(labels)-1]) {
		return "looks like a malformed IP address"
	}
	return ""
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// NetBIOS computer names: at most 15 characters, none of \/:*?"<>| or dot
// or space (Microsoft's naming conventions for computers).
func checkNetBIOS(s string) string {
	if s == "" {
		return "is empty"
	}
	if len(s) > 15 {
		return "is longer than 15 characters"
	}
	if i := strings.IndexAny(s, `\/:*?"<>|. ,~!@#$%^&'(){}`); i >= 0 {
		return "contains the character " + quote(s[i:i+1])
	}
	return ""
}

// checkHostName validates a name a Core or ntlmscan uses to reach a host:
// an IP address, an FQDN or a NetBIOS / short name.
func checkHostName(s string) (reason, hint string) {
	switch {
	case strings.Contains(s, "://"):
		return "is a URL", "give only the host name or IP address; the WinRM port and https are set under winrm:"
	case strings.HasPrefix(s, `\\`):
		return "is a UNC path", "give only the host name or IP address"
	case IsIPAddress(s):
		if strings.HasPrefix(s, "[") {
			return "has brackets", "write an IPv6 address without [ ]"
		}
		return "", ""
	}
	if h, p, ok := strings.Cut(s, ":"); ok && !strings.Contains(p, ":") && allDigits(p) && h != "" {
		return "includes a port", "remove :" + p + "; ports are set separately (winrm.port, agent port)"
	}
	if r := checkDNSName(s); r != "" {
		return r, "use an FQDN (host.corp.example), a NetBIOS name (HOST) or an IP address"
	}
	return "", ""
}

// UNC share-name characters Windows rejects.
const badShareChars = `"/\[]:|<>+=;,?*`

// parseUNC splits \\server\share[\path] and returns a reason if it is
// malformed.
func parseUNC(s string) (server, share, reason, hint string) {
	const form = `write it as \\server\share or \\server\share\folder (unquoted or in 'single quotes'; in "double quotes" every backslash must be doubled)`
	switch {
	case strings.HasPrefix(s, `\\?\`) || strings.HasPrefix(s, `\\.\`):
		return "", "", "uses the Win32 device namespace", form
	case strings.HasPrefix(s, "//"):
		return "", "", "uses forward slashes", form
	case !strings.HasPrefix(s, `\\`):
		return "", "", "is not a UNC path", form
	}
	parts := strings.Split(s[2:], `\`)
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return "", "", "needs both a server and a share name", form
	}
	server, share = parts[0], parts[1]
	if r, h := checkHostName(server); r != "" {
		return "", "", "server " + quote(server) + " " + r, h
	}
	if len(share) > 80 {
		return "", "", "share name is longer than 80 characters", form
	}
	if i := strings.IndexAny(share, badShareChars); i >= 0 {
		return "", "", "share name contains the character " + quote(share[i:i+1]), form
	}
	for i, p := range parts[2:] {
		if p == "" {
			if i == len(parts)-3 {
				return "", "", "ends with a backslash", "remove the trailing backslash"
			}
			return "", "", "has an empty folder name (two backslashes in a row)", form
		}
		if j := strings.IndexAny(p, `<>:"/|?*`); j >= 0 {
			return "", "", "folder name contains the character " + quote(p[j:j+1]), form
		}
	}
	return server, share, "", ""
}

var (
	identRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	envVarRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

func quote(s string) string { return `"` + clip(s) + `"` }
