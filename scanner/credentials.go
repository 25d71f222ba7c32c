package scanner

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/ntlmscan/ntlmscan/inventory"
)

// credError is a credential that cannot be used; its text names the
// reference (variable, file), never the secret.
type credError struct{ msg, hint string }

func (e *credError) Error() string { return e.msg }

// tlsConfigError is a host's TLS setting in the inventory that cannot be
// used (an unreadable ca_file, or one without certificates).
type tlsConfigError struct{ msg, hint string }

func (e *tlsConfigError) Error() string { return e.msg }

// ErrKerberosUnsupported is returned when an NTLM or Basic logon needs the
// password of a credential that names only a Kerberos cache (Kerberos
// logons use the cache: auth: kerberos).
var ErrKerberosUnsupported = errors.New("it names only a Kerberos cache, which NTLM and Basic logons cannot use")

// passwords resolves and caches each credential's password once per scan.
type passwords struct {
	resolve func(*inventory.Credential) (string, error)
	mu      sync.Mutex
	cache   map[*inventory.Credential]pwResult
}

type pwResult struct {
	pw  string
	err error
}

func newPasswords(resolve func(*inventory.Credential) (string, error)) *passwords {
	if resolve == nil {
		resolve = DefaultPassword
	}
	return &passwords{resolve: resolve, cache: map[*inventory.Credential]pwResult{}}
}

func (p *passwords) get(c *inventory.Credential) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r, ok := p.cache[c]; ok {
		return r.pw, r.err
	}
	pw, err := p.resolve(c)
	if err == nil && pw == "" {
		err = fmt.Errorf("credential %q resolved to an empty password", c.Name)
	}
	p.cache[c] = pwResult{pw, err}
	return pw, err
}

// DefaultPassword reads a credential's password with the inventory's one
// secret reader (inventory.Credential.Resolve: environment variable or
// password file, BOM and trailing line break stripped). A credential with
// only a Kerberos cache gets ErrKerberosUnsupported.
func DefaultPassword(c *inventory.Credential) (string, error) {
	return PasswordFrom(os.LookupEnv)(c)
}

// PasswordFrom is DefaultPassword with the environment read through
// lookupEnv (an os.LookupEnv) instead of the process's.
func PasswordFrom(lookupEnv func(string) (string, bool)) func(*inventory.Credential) (string, error) {
	return func(c *inventory.Credential) (string, error) {
		if c == nil {
			return "", errors.New("no credential")
		}
		if c.PasswordEnv == "" && c.PasswordFile == "" && c.KerberosCache != "" {
			return "", fmt.Errorf("credential %q: %w", c.Name, ErrKerberosUnsupported)
		}
		s, err := c.ResolveEnv(lookupEnv)
		if err != nil {
			return "", err
		}
		return s.Reveal(), nil
	}
}

// isDomainAccount tells whether username is an account of an Active
// Directory domain (as opposed to a local account of host h). Only domain
// accounts let one host's success say something about another's 401.
func isDomainAccount(inv *inventory.Inventory, h *inventory.Host, username string) bool {
	var dom string
	if d, _, ok := strings.Cut(username, `\`); ok {
		dom = d
	} else if _, d, ok := strings.Cut(username, "@"); ok {
		dom = d
	}
	if dom == "" || dom == "." {
		return false
	}
	if h != nil && (strings.EqualFold(dom, h.Name) || strings.EqualFold(dom, h.NetBIOS) ||
		strings.EqualFold(dom, firstLabel(h.FQDN))) {
		return false
	}
	if inv != nil && len(inv.Domains) > 0 {
		return inv.DomainByName(dom) != nil || inv.DomainByName(firstLabel(dom)) != nil
	}
	return true
}

func firstLabel(name string) string {
	l, _, _ := strings.Cut(name, ".")
	return l
}
