package winrmtest

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/ntlmscan/ntlmscan/inventory/yamlcheck"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest/internal/ntlmserver"
)

// Lab is a simulated Windows estate: domains with their users, hosts with
// their WinRM service, registry, services, listening ports and faults, and
// network cuts between hosts. Load one with LoadLab or ParseLab; a Lab built
// in code is checked and completed by Validate (NewServer calls it).
type Lab struct {
	File    string    `yaml:"-"`
	Domains []*Domain `yaml:"domains"`
	Hosts   []*Host   `yaml:"hosts"`
	Network Network   `yaml:"network"`

	indexOnce sync.Once        // builds index (see lookup)
	index     map[string]*Host // lower-cased names and addresses
}

// Domain is an Active Directory domain. Its users are valid on every host
// joined to it.
type Domain struct {
	Name    string `yaml:"name"`    // DNS name, e.g. corp.example
	NetBIOS string `yaml:"netbios"` // e.g. CORP
	Users   []User `yaml:"users"`
	// KDC runs a simulated KDC for the domain (realm = upper-case Name) on
	// loopback: the demo's way to show Kerberos without a real KDC. Its
	// members then accept Kerberos with keys the KDC made for HTTP/fqdn.
	KDC  bool `yaml:"kdc"`
	Line int  `yaml:"-" yamlcheck:"line"`
}

// User is an account with its (lab-only) password.
type User struct {
	Name     string `yaml:"name"`
	Password string `yaml:"password"`
}

// Host is one simulated Windows machine (or, without WinRM, a described
// device such as a NAS that only exists as a probe target).
type Host struct {
	Name    string `yaml:"name"`    // NetBIOS computer name
	FQDN    string `yaml:"fqdn"`    // default name.domain (members) or name (workgroup)
	Address string `yaml:"address"` // loopback address in 127.0.0.0/8
	// DNSAddresses is what the host's names resolve to on the lab network,
	// in DNS order (IPv4 and IPv6); default [Address]. Only the collector's
	// emulated probes use them: nothing listens on them.
	DNSAddresses     []string `yaml:"dnsAddresses"`
	Domain           string   `yaml:"domain"`    // DNS name of a lab domain; empty = workgroup
	Workgroup        string   `yaml:"workgroup"` // workgroup name when not joined; default WORKGROUP
	DomainController bool     `yaml:"domainController"`
	// DomainRole overrides Win32_ComputerSystem.DomainRole (0..5); by
	// default the first DC of a domain is the PDC (5), later DCs are 4,
	// members 3 (servers) or 1 (workstations), workgroup hosts 2 or 0.
	DomainRole *int   `yaml:"domainRole"`
	OS         OS     `yaml:"os"`
	Users      []User `yaml:"users"` // local accounts
	// Administrators and RemoteManagementUsers are the local groups WinRM's
	// RootSDDL grants ("user", "HOST\user", "DOMAIN\user"). When both are
	// unset every account that logs on is authorized (authz.go).
	Administrators        []string        `yaml:"administrators"`
	RemoteManagementUsers []string        `yaml:"remoteManagementUsers"`
	WinRM                 WinRM           `yaml:"winrm"`
	Registry              []RegistryEntry `yaml:"registry"`
	Services              []Service       `yaml:"services"`
	Listens               []int           `yaml:"listens"` // TCP ports (WinRM ports served are added)
	SMBClient             *SMBClient      `yaml:"smbClient"`
	SMBServer             *SMBServer      `yaml:"smbServer"`
	NTLMEvents            []NTLMEvent     `yaml:"ntlmEvents"`
	RSoP                  *RSoP           `yaml:"rsop"` // which GPO sets which value (rsop.go)
	// NTLMLogError makes the NTLM operational log unreadable with this
	// message (Get-WinEvent fails); CredentialGuard is Win32_DeviceGuard.
	NTLMLogError    string              `yaml:"ntlmLogError"`
	CredentialGuard *CredentialGuardLab `yaml:"credentialGuard"`
	// KDC is what the lab KDC knows of the host's account (spns.go).
	KDC *HostKDC `yaml:"kdc"`
	// RapidRecovery is what the Core's Rapid Recovery PowerShell module
	// lists (discover.go); nil: the host is no Core and has no module.
	RapidRecovery *RapidRecovery `yaml:"rapidRecovery"`
	Faults        Faults         `yaml:"faults"`
	Line          int            `yaml:"-" yamlcheck:"line"`

	domain *Domain // resolved by Validate
	role   int
}

// OS is what Win32_OperatingSystem reports.
type OS struct {
	Caption string `yaml:"caption"` // e.g. Windows Server 2022 Standard
	Build   int    `yaml:"build"`   // e.g. 20348
	Version string `yaml:"version"` // default derived from Build, e.g. 10.0.20348
}

// WinRM is the host's WinRM service configuration (winrm get winrm/config).
type WinRM struct {
	// HTTP serves the HTTP listener (default true); HTTPS the HTTPS one.
	HTTP      *bool `yaml:"http"`
	HTTPPort  int   `yaml:"httpPort"` // default 5985
	HTTPS     bool  `yaml:"https"`
	HTTPSPort int   `yaml:"httpsPort"` // default 5986
	// Negotiate (NTLM, or Kerberos inside it) is offered unless set to
	// false. Kerberos is advertised by default on domain members; it is
	// accepted where the host has service keys (KerberosKeytab, or the
	// simulated KDC of a domain with kdc: true), else only advertised.
	Negotiate *bool `yaml:"negotiate"`
	Kerberos  *bool `yaml:"kerberos"`
	// KerberosKeytab is a keytab file (relative to the lab file) with the
	// host's service keys (HTTP/fqdn): the host then accepts Kerberos
	// logons with tickets from a real KDC. Without it, a host in a domain
	// with kdc: true uses the keys of the lab's simulated KDC.
	KerberosKeytab string `yaml:"kerberosKeytab"`
	// ClockOffset sets the host's clock relative to real time, to simulate
	// clock skew (Kerberos refuses beyond 5 minutes).
	ClockOffset time.Duration `yaml:"clockOffset"`
	// NoSPN: the lab KDC registers no HTTP/ SPN for the host (the
	// "setspn was never run" case).
	NoSPN bool `yaml:"noSPN"`
	Basic bool `yaml:"basic"`
	// AllowUnencrypted lets plaintext SOAP through over HTTP.
	AllowUnencrypted bool `yaml:"allowUnencrypted"`
	// RejectUnencrypted is how plaintext is refused when AllowUnencrypted
	// is false: 401 (Windows Server 2012 R2) or 500 (2016 and later).
	// Default: by OS build.
	RejectUnencrypted int `yaml:"rejectUnencrypted"`
	// AllowRemoteShellAccess=false refuses every new shell (the policy
	// value under HKLM\SOFTWARE\Policies\Microsoft\Windows\WinRM\Service\WinRS
	// wins when set).
	AllowRemoteShellAccess *bool `yaml:"allowRemoteShellAccess"`
	// ShellDeniedTo lists accounts the shell's SDDL does not grant although
	// they pass the RootSDDL: Create answers "Access is denied.".
	ShellDeniedTo []string `yaml:"shellDeniedTo"`
	// ConfigSDDL lists accounts granted Read and Execute in the RootSDDL
	// (winrm configSDDL default): they pass the logon and open shells
	// without being administrators. By default the shell admits only
	// Administrators: Remote Management Users alone get "Access is
	// denied." at Create.
	ConfigSDDL []string `yaml:"configSDDL"`
	// Quotas (winrm/config/Service and winrm/config/Winrs).
	MaxShellsPerUser               int `yaml:"maxShellsPerUser"`               // default 30
	MaxConcurrentOperationsPerUser int `yaml:"maxConcurrentOperationsPerUser"` // default 1500
	MaxEnvelopeSizeKB              int `yaml:"maxEnvelopeSizeKB"`              // default 500
	// HTTP.sys limits (HKLM\SYSTEM\CurrentControlSet\Services\HTTP\Parameters):
	// a request with one header longer than MaxFieldLength, or headers
	// longer than MaxRequestBytes in all, gets HTTP.sys's HTTP 400 before
	// WinRM sees it; a big Kerberos ticket is the usual cause.
	MaxFieldLength  int `yaml:"maxFieldLength"`  // default 16384, at most 65534
	MaxRequestBytes int `yaml:"maxRequestBytes"` // default 16384, at most 16777216
	// IdleTimeout closes idle keep-alive connections (HTTP.sys: 120s).
	IdleTimeout time.Duration `yaml:"idleTimeout"`
	// ShellIdleTimeout expires shells nobody uses (Winrs IdleTimeout, 2h).
	ShellIdleTimeout time.Duration `yaml:"shellIdleTimeout"`
	// OperationTimeoutSkew shifts when an empty Receive answers TimedOut
	// relative to the client's OperationTimeout (negative: earlier).
	OperationTimeoutSkew time.Duration `yaml:"operationTimeoutSkew"`
	// CbtHardeningLevel is Service\Auth\CbtHardeningLevel: how an NTLM
	// logon over HTTPS must carry the tls-server-end-point channel binding.
	// none ignores it, relaxed (the default) refuses a wrong one, strict
	// also refuses a logon without one.
	CbtHardeningLevel string `yaml:"cbtHardeningLevel"`
	// TLSInterceptingProxy puts a TLS-inspecting proxy in front of the
	// HTTPS listener: clients see the proxy's certificate (issued by the
	// lab CA, so it verifies), while the host binds logons to its own, so
	// every channel binding a client computes mismatches.
	TLSInterceptingProxy bool `yaml:"tlsInterceptingProxy"`

	cbtLevel ntlmserver.CBTLevel // parsed by Validate
}

// RegistryEntry is one registry value by full path, e.g.
// HKLM\SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0\RestrictSendingNTLMTraffic.
// A value that is not listed does not exist, which is not the same as 0.
type RegistryEntry struct {
	Path  string `yaml:"path"`
	Type  string `yaml:"type"`  // REG_DWORD, REG_QWORD, REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ
	Value any    `yaml:"value"` // number, string or list of strings
	// Error simulates a value that exists but cannot be read (e.g.
	// "Access is denied."): the collector reports it as unknown.
	Error string `yaml:"error"`

	key, name string
	dword     uint64
	str       string
	strs      []string
}

// Service is one Windows service (Win32_Service).
type Service struct {
	Name        string `yaml:"name"`
	DisplayName string `yaml:"displayName"`
	State       string `yaml:"state"`     // Running, Stopped, Paused, ...
	StartMode   string `yaml:"startMode"` // Auto, Manual, Disabled; default Auto
	LogonAs     string `yaml:"logonAs"`   // LocalSystem, CORP\svc, ...; default LocalSystem
}

// SMBClient is what Get-SmbClientConfiguration reports. Unset fields are
// derived from the registry and the OS build.
type SMBClient struct {
	Available                *bool  `yaml:"available"` // default: build >= 9200
	BlockNTLM                *bool  `yaml:"blockNTLM"` // exists only on build >= 26100
	RequireSecuritySignature *bool  `yaml:"requireSecuritySignature"`
	EnableSecuritySignature  *bool  `yaml:"enableSecuritySignature"`
	Error                    string `yaml:"error"`
	// BlockNTLMServerExceptionList is the cmdlet's property, for an SMB
	// client that reports one (nil: the property does not exist).
	BlockNTLMServerExceptionList []string `yaml:"blockNTLMServerExceptionList"`
}

// SMBServer is the host's SMB service as ntlmscan's SMB probe sees it: a
// real listener on the host's address that answers NEGOTIATE and an NTLM
// SESSION_SETUP (smb.go). Hosts without it serve no SMB.
type SMBServer struct {
	Port int `yaml:"port"` // default 445 (a system-chosen port with ephemeral ports)
	// Dialect is the highest SMB2 dialect it speaks: 2.0.2, 2.1, 3.0, 3.0.2
	// or 3.1.1 (default).
	Dialect  string `yaml:"dialect"`
	SMB1Only bool   `yaml:"smb1Only"` // answers only SMB1 (NT LM 0.12)
	// SigningRequired defaults to the registry's LanManServer
	// RequireSecuritySignature (1 = required).
	SigningRequired *bool `yaml:"signingRequired"`
	// Kerberos: offers Kerberos in its SPNEGO mechanism list (default:
	// domain members).
	Kerberos *bool `yaml:"kerberos"`
	// NTLM: accepts NTLM logons (default true); false refuses every
	// AUTHENTICATE with STATUS_NTLM_BLOCKED, as Samba's ntlm auth =
	// disabled does.
	NTLM *bool `yaml:"ntlm"`
}

// NTLMEvent is one event of Microsoft-Windows-NTLM/Operational (4001-4004,
// 8001-8004, 4010-4013, 4020-4025), with its EventData by name (the names
// of scanner/facts.EventFields, e.g. TargetName, UserName, DomainName,
// ProcessName, ClientUserName, SChannelName, WorkstationName). The
// collector's event read serves them (ntlmevents.go).
type NTLMEvent struct {
	ID   int       `yaml:"id"`
	Time time.Time `yaml:"time"`
	// Ago places the event this long before now (when Time is unset), so
	// a lab file's events stay inside the read window.
	Ago time.Duration `yaml:"ago"`
	// Count repeats the record (default 1).
	Count  int               `yaml:"count"`
	Fields map[string]string `yaml:"fields"`
}

// Network holds the lab-wide network model.
type Network struct {
	Cuts []Cut `yaml:"cuts"`
}

// Cut makes TCP connections from one host to another time out (all ports,
// or only the listed ones), as a firewall dropping packets would.
type Cut struct {
	From  string `yaml:"from"` // host name
	To    string `yaml:"to"`   // host name
	Ports []int  `yaml:"ports"`
	// Addresses limits the cut to these addresses of To (default: all),
	// e.g. a firewall that drops only IPv6.
	Addresses []string `yaml:"addresses"`
	Line      int      `yaml:"-" yamlcheck:"line"`
}

// Faults are knobs that make a host misbehave. They can also be changed on
// a running server with (*Server).SetFaults.
type Faults struct {
	// Latency delays every HTTP request.
	Latency time.Duration `yaml:"latency"`
	// RemoteRuntime is how long every command runs before its output and
	// exit code are available.
	RemoteRuntime time.Duration `yaml:"remoteRuntime"`
	// Hang: commands never finish (Receive keeps timing out) until signalled.
	Hang bool `yaml:"hang"`
	// DropMidReceive closes the TCP connection instead of answering Receive.
	DropMidReceive bool `yaml:"dropMidReceive"`
	// EmptyReceives answers a Receive at once with no output and state
	// Running while the command has nothing to say, instead of long-polling
	// (a proxy or broken host; a client must not poll it in a tight loop).
	EmptyReceives bool `yaml:"emptyReceives"`
	// HTTP500Empty answers every authenticated SOAP request with HTTP 500
	// and an empty body.
	HTTP500Empty bool `yaml:"http500Empty"`
	// MalformedXML truncates the response to one action: Create, Command
	// or Receive.
	MalformedXML string `yaml:"malformedXML"`
	// OversizedOutput makes every command print this many bytes of noise
	// on stdout before its real output.
	OversizedOutput int `yaml:"oversizedOutput"`
	// QuotaShells / QuotaOperations answer Create / Command with the
	// per-user quota faults whatever the real counts are.
	QuotaShells     bool `yaml:"quotaShells"`
	QuotaOperations bool `yaml:"quotaOperations"`
	// ScriptFailure makes the collector fail with this message on stderr
	// and exit code 1.
	ScriptFailure string `yaml:"scriptFailure"`
	// CollectorSchema overrides the schema number the collector answers.
	CollectorSchema int `yaml:"collectorSchema"`
	// MalformedOutput makes the collector print broken JSON between the markers.
	MalformedOutput bool `yaml:"malformedOutput"`
	// CLIXMLErrors writes PowerShell errors as CLIXML (newer hosts) rather
	// than plain text.
	CLIXMLErrors bool `yaml:"clixmlErrors"`
}

// Defaults of the WinRM service on Windows Server.
const (
	DefaultHTTPPort          = 5985
	DefaultHTTPSPort         = 5986
	defaultMaxShells         = 30
	defaultMaxOperations     = 1500
	defaultMaxEnvelopeSizeKB = 500
	defaultMaxFieldLength    = 16384
	defaultMaxRequestBytes   = 16384
	defaultIdleTimeout       = 120 * time.Second
	defaultShellIdleTimeout  = 2 * time.Hour
	maxOversizedOutput       = 256 << 20
	maxLabFileSize           = 64 << 20
	maxLabErrors             = 50
)

// Registry paths the simulator itself interprets.
const (
	msv10Key              = facts.KeyMSV10
	restrictReceivingName = "RestrictReceivingNTLMTraffic"
)

// LabError is a problem in a lab file, with its position.
type LabError struct {
	File string
	Line int // 0 when unknown
	Msg  string
}

func (e *LabError) Error() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	case e.File != "":
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// LoadLab reads and validates a lab YAML file.
func LoadLab(path string) (*Lab, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("lab file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxLabFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("lab file %s: %w", path, err)
	}
	if len(data) > maxLabFileSize {
		return nil, &LabError{File: path, Msg: fmt.Sprintf("file is larger than %d MiB", maxLabFileSize>>20)}
	}
	return ParseLab(data, path)
}

// ParseLab decodes a lab from YAML strictly (unknown and repeated keys are
// errors, reported all at once in the wording of every file ntlmscan reads)
// and validates it. filename is only used in error messages.
func ParseLab(data []byte, filename string) (*Lab, error) {
	root, _, syntax := yamlcheck.Parse(data)
	switch {
	case root == nil && syntax != nil:
		return nil, &LabError{File: filename, Line: syntax.Line, Msg: syntax.Message}
	case root == nil:
		return nil, &LabError{File: filename, Msg: "the lab is empty: it needs at least one host under hosts:"}
	}
	lab := &Lab{}
	c := &yamlcheck.Collector{File: filename, Limit: maxLabErrors}
	yamlcheck.NewWalker(c).Decode(root, "", lab)
	if ve, ok := yamlcheck.AsValidationError(c.Err()); ok {
		errs := make([]*LabError, len(ve.Problems))
		for i, p := range ve.Problems {
			errs[i] = &LabError{File: filename, Line: p.Line, Msg: p.Detail()}
		}
		if len(errs) == 1 {
			return nil, errs[0]
		}
		return nil, &LabErrors{Errs: errs}
	}
	lab.File = filename
	if err := lab.Validate(); err != nil {
		return nil, err
	}
	return lab, nil
}

// HostByName finds a host by NetBIOS name, FQDN or address (case-insensitive).
func (l *Lab) HostByName(name string) *Host {
	for _, h := range l.Hosts {
		if strings.EqualFold(h.Name, name) || strings.EqualFold(h.FQDN, name) || h.Address == name {
			return h
		}
	}
	return nil
}

// DomainByName finds a lab domain by DNS or NetBIOS name.
func (l *Lab) DomainByName(name string) *Domain {
	for _, d := range l.Domains {
		if strings.EqualFold(d.Name, name) || strings.EqualFold(d.NetBIOS, name) {
			return d
		}
	}
	return nil
}

// Password returns the password of a lab account as seen from host (NetBIOS
// name, FQDN or address): user may be "user", "DOMAIN\user", "HOST\user",
// ".\user" or "user@domain". It resolves accounts exactly as the host's NTLM
// logon does.
func (l *Lab) Password(host, user string) (string, bool) {
	h := l.HostByName(host)
	if h == nil {
		return "", false
	}
	name, dom := splitAccount(user)
	acct, ok := h.resolveAccount(name, dom)
	if !ok {
		return "", false
	}
	return acct.user.Password, true
}

// splitAccount splits DOMAIN\user; user@domain stays whole (resolveAccount
// handles the UPN form).
func splitAccount(s string) (user, domain string) {
	if i := strings.IndexByte(s, '\\'); i >= 0 {
		return s[i+1:], s[:i]
	}
	return s, ""
}

// IsDomainMember reports whether the host is joined to a lab domain.
func (h *Host) IsDomainMember() bool { return h.Domain != "" }

// NetBIOSDomain is the NetBIOS name of the host's domain, or its workgroup.
func (h *Host) NetBIOSDomain() string {
	if h.domain != nil {
		return h.domain.NetBIOS
	}
	return h.Workgroup
}

// ServesWinRM reports whether the host has at least one WinRM listener.
func (h *Host) ServesWinRM() bool { return h.httpEnabled() || h.WinRM.HTTPS }

func (h *Host) httpEnabled() bool      { return h.WinRM.HTTP == nil || *h.WinRM.HTTP }
func (h *Host) negotiateEnabled() bool { return h.WinRM.Negotiate == nil || *h.WinRM.Negotiate }
func (h *Host) kerberosAdvertised() bool {
	if h.WinRM.Kerberos != nil {
		return *h.WinRM.Kerberos
	}
	return h.IsDomainMember()
}

// registryValue looks up a value by key and name (case-insensitive).
func (h *Host) registryValue(key, name string) *RegistryEntry {
	key = normalizeHive(key)
	for i := range h.Registry {
		r := &h.Registry[i]
		if strings.EqualFold(r.key, key) && strings.EqualFold(r.name, name) {
			return r
		}
	}
	return nil
}

// dword returns a present, readable REG_DWORD/REG_QWORD value.
func (h *Host) dword(key, name string) (uint64, bool) {
	r := h.registryValue(key, name)
	if r == nil || r.Error != "" || (r.Type != facts.RegDWORD && r.Type != facts.RegQWORD) {
		return 0, false
	}
	return r.dword, true
}

// osVersion returns Win32_OperatingSystem.Version for the host.
func (h *Host) osVersion() string {
	if h.OS.Version != "" {
		return h.OS.Version
	}
	return versionForBuild(h.OS.Build)
}

func versionForBuild(build int) string {
	switch {
	case build <= 0:
		return ""
	case build < 9200:
		return fmt.Sprintf("6.1.%d", build)
	case build < 9600:
		return fmt.Sprintf("6.2.%d", build)
	case build < 10240:
		return fmt.Sprintf("6.3.%d", build)
	}
	return fmt.Sprintf("10.0.%d", build)
}

// ntlmVersion is the NTLM VERSION structure for the host's OS.
func (h *Host) ntlmVersion() [8]byte {
	var major, minor int
	fmt.Sscanf(h.osVersion(), "%d.%d", &major, &minor)
	b := h.OS.Build
	return [8]byte{byte(major), byte(minor), byte(b), byte(b >> 8), 0, 0, 0, 0x0F}
}

// is2016OrLater: features that appeared with Windows Server 2016 (build 14393).
func (h *Host) is2016OrLater() bool { return h.OS.Build >= 14393 }
