// Package inventory loads and validates the ntlmscan inventory: the Rapid
// Recovery Cores, the agents they protect, the repository shares they use,
// the hosts behind those shares and, optionally, the domain controllers of
// each domain. It performs no network I/O.
package inventory

import (
	"strings"
	"time"
)

// Role is what a host is in the Rapid Recovery estate.
type Role string

const (
	RoleCore             Role = "core"
	RoleAgent            Role = "agent"
	RoleRepositoryHost   Role = "repository-host"
	RoleDomainController Role = "domain-controller"
)

// Roles lists every role, in the order of the inventory's sections.
func Roles() []Role {
	return []Role{RoleCore, RoleAgent, RoleRepositoryHost, RoleDomainController}
}

// Inventory is a loaded, validated inventory file. Every reference is
// resolved to a pointer; nothing dangles.
type Inventory struct {
	File         string
	Credentials  map[string]*Credential
	Domains      []*Domain
	Hosts        []*Host // every host once, in file order
	Cores        []*Core
	Repositories []*Repository
}

// Host is one machine ntlmscan knows about.
type Host struct {
	Name    string // unique inventory name (case-insensitive)
	Role    Role
	Address string // where ntlmscan reaches its WinRM service (DNS name or IP)
	FQDN    string // DNS name, e.g. agent01.corp.example ("" if unknown)
	NetBIOS string // NetBIOS computer name, upper case ("" if unknown)
	Domain  string // DNS domain it is joined to; "" = workgroup / not joined
	// Workgroup is the workgroup name of a machine not joined to a domain
	// (upper case; "" for domain members).
	Workgroup string
	Tags      []string
	WinRM     WinRM // effective settings: defaults, then host overrides
	// Scan is false for hosts that can only be described (NAS, Samba,
	// appliances): ntlmscan takes their properties from Described.
	Scan      bool
	Described *Described
	// SMBPort is where ntlmscan probes a repository host's SMB service
	// (smb_port; 445 unless set); 0 for other roles.
	SMBPort int
	Line    int // line of the host's entry in File
}

// HasTag reports whether the host carries tag (case-insensitive).
func (h *Host) HasTag(tag string) bool {
	for _, t := range h.Tags {
		if equalFold(t, tag) {
			return true
		}
	}
	return false
}

// Described holds what the admin states about a host that cannot be scanned.
type Described struct {
	Platform string // nas, samba, windows, other
	// LmCompatibilityLevel the device enforces for its local accounts (nil = unknown).
	LmCompatibilityLevel *int
	// NTLMv1Only marks a legacy device that cannot do NTLMv2.
	NTLMv1Only bool
	// RequireSigning: the SMB server requires signing (nil = unknown).
	RequireSigning *bool
}

// Transport names how ntlmscan authenticates to WinRM.
type Transport string

const (
	// TransportNTLM is NTLM with MS-WSMV message encryption over HTTP (or
	// inside TLS over HTTPS): Windows' default, AllowUnencrypted=false.
	TransportNTLM Transport = "ntlm"
	// TransportBasic is Basic authentication, accepted only over HTTPS.
	TransportBasic Transport = "basic"
	// TransportKerberos is not a transport: write auth: kerberos.
	TransportKerberos Transport = "kerberos"
)

// AuthMode says which logon ntlmscan uses on the Negotiate-family
// transport (auth: in the inventory).
type AuthMode string

const (
	// AuthNTLM: NTLM only (the default).
	AuthNTLM AuthMode = "ntlm"
	// AuthKerberos: Kerberos only, to SPN HTTP/<fqdn>.
	AuthKerberos AuthMode = "kerberos"
	// AuthAuto: Kerberos by name (hosts with an FQDN in a domain), falling
	// back to NTLM only when Kerberos could not start (`ntlmscan help
	// kerberos`).
	AuthAuto AuthMode = "auto"
)

// WinRM holds how to reach one host's WinRM service.
type WinRM struct {
	Transport Transport
	Port      int  // 5985 (HTTP) or 5986 (HTTPS) unless set
	HTTPS     bool // TLS; verified against CAFile or the system roots
	CAFile    string
	// InsecureSkipVerify disables certificate checks. Never a default; the
	// scanner logs a warning for every host that uses it.
	InsecureSkipVerify bool
	TLSServerName      string
	// Timeout is the deadline for the whole collection of this host, when
	// the inventory sets one (host, group or defaults); 0 leaves it to the
	// scan's --host-timeout, so the flag is not silently overridden.
	Timeout    time.Duration
	Credential *Credential
	// Auth is the logon method (ntlm, kerberos, auto); Basic is chosen by
	// Transport instead.
	Auth AuthMode
	// SPN overrides the Kerberos service principal (default HTTP/<fqdn>).
	SPN string
}

// Credential is a reference to a secret, never the secret itself.
type Credential struct {
	Name          string
	Username      string // DOMAIN\user, user@domain or user (local)
	PasswordEnv   string // environment variable holding the password
	PasswordFile  string // file whose first line is the password
	KerberosCache string // Kerberos credential cache (kinit); "KRB5CCNAME" = that variable
	Keytab        string // Kerberos keytab file with the user's keys
	Line          int
}

// Domain is an Active Directory domain named in the inventory.
type Domain struct {
	Name        string // DNS name, e.g. corp.example
	NetBIOS     string // e.g. CORP
	Forest      string // forest root DNS name; "" = same as Name
	Trusts      []string
	Controllers []*Host
	Line        int
	// Implicit marks a domain that is only named by a host's domain: and not
	// listed under domains:, so its controllers and trusts are unknown.
	Implicit bool
}

// ForestRoot returns the forest the domain belongs to.
func (d *Domain) ForestRoot() string {
	if d.Forest != "" {
		return d.Forest
	}
	return d.Name
}

// AccountKind says where an account lives.
type AccountKind string

const (
	AccountDomain      AccountKind = "domain"
	AccountLocal       AccountKind = "local"
	AccountLocalSystem AccountKind = "localsystem" // presents the Core's computer account (CORE$)
)

// Account is the identity the Core presents toward an agent or a share.
type Account struct {
	Kind AccountKind
	Name string // DOMAIN\user, HOST\user, or "LocalSystem"
	// Domain is the DNS domain of a domain account (for LocalSystem: the
	// Core's domain). Empty for local accounts.
	Domain string
	// ProtectedUsers: the admin states the account is in Protected Users.
	ProtectedUsers bool
}

// Core is a Rapid Recovery Core server.
type Core struct {
	*Host
	Account      Account // toward agents (the Core service's identity)
	Agents       []*AgentLink
	Repositories []*Repository
	// ServiceNames are the Windows service names of the Core service to
	// look up; defaults to the Rapid Recovery Core service.
	ServiceNames []string
	// Replication lists the Cores this Core replicates to.
	Replication []*ReplicationLink
}

// AgentLink is one Core protecting one agent.
type AgentLink struct {
	Core     *Core
	Agent    *Host
	NameUsed string // exactly what the Core uses: FQDN, NetBIOS name or IP address
	Port     int    // agent service port, 8006 unless stated
	Line     int
	// Account is the identity the Core presents toward this agent: the
	// link's own account if the inventory gives one, else the Core's.
	Account Account
	// AccountOverride is true when the link states its own account.
	AccountOverride bool
	// Operations the Core runs over this link (nil: the default,
	// DefaultAgentOperations); a Hyper-V host that runs the Agent for
	// Virtual Standby or VM export lists virtual-standby or export.
	Operations []Operation
}

// Ops returns the link's operations, or the default.
func (l *AgentLink) Ops() []Operation {
	if len(l.Operations) > 0 {
		return l.Operations
	}
	return DefaultAgentOperations()
}

// Repository is a share the Core uses (repository, archive, export target).
type Repository struct {
	Name    string
	UNC     string // \\server\share[\path]
	Server  string // server part of the UNC path, exactly as written
	Host    *Host  // the host behind the share
	Account Account
	Cores   []*Core
	Line    int
	// Kind is what the Core uses the share for: repository, archive or export.
	Kind string
	// Operations the Core runs over this share (nil: the default of its
	// Kind, DefaultShareOperations).
	Operations []Operation
}

// Ops returns the share's operations, or the default for its kind.
func (r *Repository) Ops() []Operation {
	if len(r.Operations) > 0 {
		return r.Operations
	}
	return DefaultShareOperations(r.Kind)
}

// DomainByName finds a domain by DNS or NetBIOS name (case-insensitive).
func (inv *Inventory) DomainByName(name string) *Domain {
	for _, d := range inv.Domains {
		if equalFold(d.Name, name) || equalFold(d.NetBIOS, name) {
			return d
		}
	}
	return nil
}

// HostByName finds a host by inventory name (case-insensitive).
func (inv *Inventory) HostByName(name string) *Host {
	for _, h := range inv.Hosts {
		if equalFold(h.Name, name) {
			return h
		}
	}
	return nil
}

// ScannedHosts returns the hosts ntlmscan collects over WinRM.
func (inv *Inventory) ScannedHosts() []*Host {
	var out []*Host
	for _, h := range inv.Hosts {
		if h.Scan {
			out = append(out, h)
		}
	}
	return out
}

// ServerName is the server part of the UNC path: Server as the loader set
// it, or parsed from UNC for a Repository built without the loader.
func (r *Repository) ServerName() string {
	if r.Server != "" {
		return r.Server
	}
	s := strings.TrimLeft(r.UNC, `\/`)
	if i := strings.IndexAny(s, `\/`); i >= 0 {
		s = s[:i]
	}
	return s
}
