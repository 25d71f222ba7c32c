package scanner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
	"github.com/ntlmscan/ntlmscan/scanner/winrm"
)

// krbClients shares one Kerberos client (one TGT) per credential per scan.
type krbClients struct {
	mu sync.Mutex
	m  map[*inventory.Credential]krbClient
}

type krbClient struct {
	kc  *winrm.KerberosClient
	err error
}

// closeAll ends every client's TGT renewal (at the end of a scan).
func (c *krbClients) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.m {
		if e.kc != nil {
			e.kc.Close()
		}
	}
}

// kerberosClient returns the credential's Kerberos client, made once.
func (s *scan) kerberosClient(h *inventory.Host, c *inventory.Credential) (*winrm.KerberosClient, error) {
	s.krb.mu.Lock()
	defer s.krb.mu.Unlock()
	if s.krb.m == nil {
		s.krb.m = map[*inventory.Credential]krbClient{}
	}
	if e, ok := s.krb.m[c]; ok {
		return e.kc, e.err
	}
	kc, err := s.newKerberosClient(h, c)
	s.krb.m[c] = krbClient{kc, err}
	return kc, err
}

func (s *scan) newKerberosClient(h *inventory.Host, c *inventory.Credential) (*winrm.KerberosClient, error) {
	getenv := func(k string) string { v, _ := s.opts.LookupEnv(k); return v }
	kcred := winrm.KerberosCredentials{Username: c.Username, Config: s.opts.Krb5Conf, FallbackConfig: inventoryKrb5Conf(s.inv), Getenv: getenv}
	user, domain := winrm.SplitUsername(c.Username)
	if _, realm, ok := strings.Cut(user, "@"); ok {
		kcred.Realm = strings.ToUpper(realm)
	} else if domain != "" {
		// DOMAIN\user: the realm is the DNS name of that domain.
		if d := s.inv.DomainByName(domain); d != nil {
			kcred.Realm = strings.ToUpper(d.Name)
		} else if strings.Contains(domain, ".") {
			kcred.Realm = strings.ToUpper(domain)
		}
		kcred.Username = user
	}
	switch {
	case c.Keytab != "":
		kcred.Keytab = c.Keytab
	case c.KerberosCache != "":
		kcred.CCache = c.KerberosCache
		if c.KerberosCache == "KRB5CCNAME" {
			kcred.CCache = getenv("KRB5CCNAME")
			if kcred.CCache == "" {
				kcred.CCache = fmt.Sprintf("/tmp/krb5cc_%d", os.Getuid())
			}
		}
	default:
		pw, err := s.passwords.get(c)
		if err != nil {
			return nil, &credError{msg: err.Error(), hint: "set the environment variable or password file the inventory names for this credential"}
		}
		kcred.Password = pw
	}
	return winrm.NewKerberosClient(kcred)
}

// inventoryKrb5Conf describes the inventory's domains as Kerberos realms
// whose KDCs are the domain controllers listed for them, for machines
// without a krb5.conf ("" when no domain lists a controller).
func inventoryKrb5Conf(inv *inventory.Inventory) string {
	var realms, maps strings.Builder
	first := ""
	for _, d := range inv.Domains {
		var kdcs []string
		for _, dc := range d.Controllers {
			name := firstNonEmpty(dc.Address, dc.FQDN) // where ntlmscan reaches the DC
			if name == "" {
				continue
			}
			if strings.Contains(name, ":") {
				name = "[" + name + "]"
			}
			kdcs = append(kdcs, name+":88")
		}
		if len(kdcs) == 0 {
			continue
		}
		r := strings.ToUpper(d.Name)
		if first == "" {
			first = r
		}
		realms.WriteString("  " + r + " = {\n")
		for _, k := range kdcs {
			realms.WriteString("    kdc = " + k + "\n")
		}
		realms.WriteString("  }\n")
		maps.WriteString("  ." + strings.ToLower(d.Name) + " = " + r + "\n  " + strings.ToLower(d.Name) + " = " + r + "\n")
	}
	if first == "" {
		return ""
	}
	return "[libdefaults]\n  default_realm = " + first + "\n  dns_lookup_kdc = false\n  dns_lookup_realm = false\n" +
		"[realms]\n" + realms.String() + "[domain_realm]\n" + maps.String()
}

// kerberosSPN is the host's service principal: the inventory's spn:, else
// HTTP/<fqdn> (Windows registers HTTP/ under the computer account's HOST/).
func kerberosSPN(h *inventory.Host) string {
	if h.WinRM.SPN != "" {
		return h.WinRM.SPN
	}
	if h.FQDN == "" {
		return ""
	}
	return "HTTP/" + strings.ToLower(h.FQDN)
}

// hasPassword: the credential can do NTLM.
func hasPassword(c *inventory.Credential) bool { return c.PasswordEnv != "" || c.PasswordFile != "" }

// kerberosAuth builds the authenticator for auth: kerberos or auto.
// ntlm, if non-nil, is the NTLM authenticator auto may fall back to.
func (s *scan) kerberosAuth(ctx context.Context, h *inventory.Host, c *inventory.Credential, ntlm func() (winrm.Authenticator, error)) (winrm.Authenticator, error) {
	mode := h.WinRM.Auth
	spn := kerberosSPN(h)
	if mode == inventory.AuthAuto {
		// Kerberos by name only: a host known by IP or outside a domain
		// would get NTLM from Windows too.
		switch {
		case spn == "":
			return fallbackNow(ntlm, "the host has no FQDN in the inventory, so Kerberos cannot name it", nil)
		case h.Domain == "" && h.WinRM.SPN == "":
			return fallbackNow(ntlm, "the host is not in a domain", nil)
		case localAccountOf(h, c.Username):
			// A local account has no principal at the domain's KDC;
			// asking for one only costs a failed pre-authentication.
			return fallbackNow(ntlm, "the credential is the local account "+c.Username+" (Kerberos needs a domain account)", nil)
		}
	}
	kc, err := s.kerberosClient(h, c)
	if err != nil {
		var ke *winrm.KerberosError
		if mode == inventory.AuthAuto && errors.As(err, &ke) && ke.Fallback() && hasPassword(c) {
			return fallbackNow(ntlm, "Kerberos could not start: "+ke.Error(), ke)
		}
		return nil, err
	}
	k := winrm.NewKerberosContext(ctx, kc, spn)
	if mode != inventory.AuthAuto || !hasPassword(c) {
		return k, nil
	}
	return &autoAuth{krb: k, ntlm: ntlm}, nil
}

func fallbackNow(ntlm func() (winrm.Authenticator, error), why string, ke *winrm.KerberosError) (winrm.Authenticator, error) {
	a, err := ntlm()
	if err != nil {
		return nil, err
	}
	return &autoAuth{ntlm: ntlm, current: a, note: "auto: NTLM because " + why, krbErr: ke}, nil
}

// autoAuth is auth: auto: Kerberos first; NTLM only after a Kerberos
// failure that happened before the host judged a ticket, or because the
// host does not take Kerberos (KerberosError.Fallback). Once decided, the
// host keeps the method for the rest of the scan.
type autoAuth struct {
	krb  *winrm.KerberosAuth
	ntlm func() (winrm.Authenticator, error)

	mu      sync.Mutex
	current winrm.Authenticator // nil until decided
	note    string
	krbErr  *winrm.KerberosError // the Kerberos failure that made it use NTLM
}

func (a *autoAuth) active() winrm.Authenticator {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.current != nil {
		return a.current
	}
	return a.krb
}

func (a *autoAuth) Method() string { return a.active().Method() }
func (a *autoAuth) Scheme() string { return a.active().Scheme() }

func (a *autoAuth) Authenticate(x winrm.Exchanger, secure bool) (winrm.Protector, error) {
	cur := a.active()
	p, err := cur.Authenticate(x, secure)
	if err == nil {
		a.mu.Lock()
		if a.current == nil {
			a.current = cur
		}
		a.mu.Unlock()
		return p, nil
	}
	var ke *winrm.KerberosError
	if cur != winrm.Authenticator(a.krb) || !errors.As(err, &ke) || !ke.Fallback() {
		return nil, err
	}
	n, nerr := a.ntlm()
	if nerr != nil {
		return nil, err
	}
	a.mu.Lock()
	a.current, a.note, a.krbErr = n, "auto: NTLM because "+ke.Error(), ke
	a.mu.Unlock()
	// NTLM starts on a new connection: this one may be closed after a 401.
	return nil, winrm.ErrAuthRedial
}

// Used reports the method that authenticated and, for auto, why.
func (a *autoAuth) Used() (method, note string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.current == nil {
		return "", a.note
	}
	return a.current.Method(), a.note
}

// kerberosFailure is the Kerberos error that made auth: auto use NTLM
// (nil when it did not, or fell back for another reason).
func kerberosFailure(a winrm.Authenticator) *winrm.KerberosError {
	aa, ok := a.(*autoAuth)
	if !ok {
		return nil
	}
	aa.mu.Lock()
	defer aa.mu.Unlock()
	return aa.krbErr
}

// authUsed is the method recorded in a host's result.
func authUsed(a winrm.Authenticator, authenticated bool) (method, note string) {
	if aa, ok := a.(*autoAuth); ok {
		m, n := aa.Used()
		if !authenticated {
			m = ""
		}
		return m, n
	}
	if !authenticated {
		return "", ""
	}
	return a.Method(), ""
}

// classifyKerberos maps a Kerberos failure to an error class and hint.
func classifyKerberos(e *winrm.KerberosError, username string) *facts.HostError {
	msg := clean(e.Error())
	switch e.Kind {
	case winrm.KrbClockSkew:
		return &facts.HostError{Class: facts.ErrKerberosClockSkew, Message: msg,
			Hint: facts.DefaultHint(facts.ErrKerberosClockSkew)}
	case winrm.KrbSPNUnknown:
		return &facts.HostError{Class: facts.ErrKerberosSPN, Message: msg,
			Hint: fmt.Sprintf("register the SPN on the host's computer account: setspn -S %s <HOST>$ (check with setspn -Q %s), or set spn: in the inventory if the host uses another name", e.SPN, e.SPN)}
	case winrm.KrbNoTGT:
		return &facts.HostError{Class: facts.ErrKerberosNoTGT, Message: msg,
			Hint: "run kinit " + username + " (or point KRB5CCNAME at a fresh cache) before the scan; scheduled runs should use a keytab"}
	case winrm.KrbKDCUnreachable:
		return &facts.HostError{Class: facts.ErrKerberosKDC, Message: msg,
			Hint: facts.DefaultHint(facts.ErrKerberosKDC)}
	case winrm.KrbBadCredentials:
		return &facts.HostError{Class: facts.ErrKerberosCredentials, Message: msg,
			Hint: "check the password or keytab of " + username + " (a keytab is stale after a password change: ktpass/ktutil it again), and that the account is not locked or disabled"}
	case winrm.KrbConfig:
		return &facts.HostError{Class: facts.ErrKerberosConfig, Message: msg,
			Hint: facts.DefaultHint(facts.ErrKerberosConfig)}
	case winrm.KrbNotOffered:
		return &facts.HostError{Class: facts.ErrAuthMethod, Message: msg,
			Hint: `enable Kerberos on the WinRM service (winrm set winrm/config/service/auth @{Kerberos="true"}), or use auth: ntlm`}
	case winrm.KrbUnsupported:
		return &facts.HostError{Class: facts.ErrKerberosRefused, Message: msg,
			Hint: "enable AES for the host's computer account (msDS-SupportedEncryptionTypes) and the scanning account"}
	}
	return &facts.HostError{Class: facts.ErrKerberosRefused, Message: msg,
		Hint: facts.DefaultHint(facts.ErrKerberosRefused)}
}

// localAccountOf: username is a local account of h (.\user or HOST\user).
func localAccountOf(h *inventory.Host, username string) bool {
	prefix, _, ok := strings.Cut(username, `\`)
	if !ok {
		return false
	}
	return prefix == "." || strings.EqualFold(prefix, h.Name) || strings.EqualFold(prefix, h.NetBIOS) ||
		(h.FQDN != "" && strings.EqualFold(prefix, firstLabel(h.FQDN)))
}
