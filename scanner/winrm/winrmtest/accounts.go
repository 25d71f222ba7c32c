package winrmtest

import "strings"

// account is a lab user matched by a logon on one host.
type account struct {
	user   *User
	domain *Domain // nil: a local account of the host
	host   *Host
}

// local reports whether the account lives in the host's own SAM.
func (a account) local() bool { return a.domain == nil }

// netbiosDomain is the authority part as Windows prints it (CORP, AGENT03).
func (a account) netbiosDomain() string {
	if a.domain != nil {
		return a.domain.NetBIOS
	}
	return a.host.Name
}

// String is DOMAIN\user as Windows shows it in shell owners and logs.
func (a account) String() string { return a.netbiosDomain() + `\` + a.user.Name }

// whoami is how whoami.exe prints the account: lower case.
func (a account) whoami() string { return strings.ToLower(a.String()) }

// key identifies the account for per-user quotas and shell ownership.
func (a account) key() string { return strings.ToLower(a.String()) }

// resolveAccount matches a logon (user and domain as the client sent them)
// to a lab account, the way MSV1_0 on a member server picks the authority:
// the computer name, "." or an empty domain mean the local SAM (an empty
// domain falls back to the joined domain); the NetBIOS or DNS name of the
// joined domain mean a domain account; user@domain (UPN) names a domain
// account, or a local one when the suffix is the computer name.
func (h *Host) resolveAccount(user, domain string) (account, bool) {
	if i := strings.LastIndexByte(user, '@'); i > 0 && domain == "" {
		upnUser, upnDomain := user[:i], user[i+1:]
		if h.isLocalAuthority(upnDomain) {
			return h.localAccount(upnUser)
		}
		return h.domainAccount(upnUser, upnDomain)
	}
	switch {
	case domain == "" || domain == ".":
		if a, ok := h.localAccount(user); ok {
			return a, true
		}
		if h.domain != nil {
			return h.domainAccount(user, h.domain.Name)
		}
		return account{}, false
	case h.isLocalAuthority(domain):
		return h.localAccount(user)
	default:
		return h.domainAccount(user, domain)
	}
}

func (h *Host) isLocalAuthority(domain string) bool {
	if strings.EqualFold(domain, h.Name) || strings.EqualFold(domain, h.FQDN) {
		return true
	}
	// A workgroup host treats its workgroup name like its own name: there
	// is no other authority to ask.
	return h.domain == nil && strings.EqualFold(domain, h.Workgroup)
}

func (h *Host) localAccount(name string) (account, bool) {
	for i := range h.Users {
		if strings.EqualFold(h.Users[i].Name, name) {
			return account{user: &h.Users[i], host: h}, true
		}
	}
	return account{}, false
}

func (h *Host) domainAccount(name, domain string) (account, bool) {
	d := h.domain
	if d == nil || !(strings.EqualFold(domain, d.Name) || strings.EqualFold(domain, d.NetBIOS)) {
		return account{}, false
	}
	for i := range d.Users {
		if strings.EqualFold(d.Users[i].Name, name) {
			return account{user: &d.Users[i], domain: d, host: h}, true
		}
	}
	return account{}, false
}
