package facts

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// SchemaVersion is the version of the Request/Response wire format spoken by
// the remote collector script. Bump it whenever either JSON shape changes.
// 2: per-address probe results (ProbeResult.ByAddress) and the SMB client's
// BlockNTLMServerExceptionList property.
// 3: the collector's per-phase timings (Response.Timings), the NTLM event
// read (Request.Events, Response.NTLMEvents) and Credential Guard's state
// (Response.CredentialGuard).
const SchemaVersion = 3

// Output markers around the single JSON document the collector prints. They
// are unlikely to appear in PowerShell noise, so the scanner can ignore
// banners, progress records and CLIXML around them.
const (
	BeginMarker = "<<<NTLMSCAN-FACTS-BEGIN>>>"
	EndMarker   = "<<<NTLMSCAN-FACTS-END>>>"
)

// StdinSeparator separates the collector script from its base64 JSON request
// on stdin. Four NUL characters cannot occur in either part (Ansible's WinRM
// bootstrap uses the same convention).
const StdinSeparator = "\x00\x00\x00\x00"

// Registry value kinds as reported by the collector.
const (
	RegDWORD    = "REG_DWORD"
	RegQWORD    = "REG_QWORD"
	RegSZ       = "REG_SZ"
	RegExpandSZ = "REG_EXPAND_SZ"
	RegMultiSZ  = "REG_MULTI_SZ"
	RegBinary   = "REG_BINARY"
)

// RegistryKey names one registry value by key path (HKLM\...) and value name.
type RegistryKey struct {
	Key  string `json:"key"`
	Name string `json:"name"`
}

// String renders the full path as an admin would type it.
func (k RegistryKey) String() string { return k.Key + `\` + k.Name }

// Probe asks a Core to test TCP reachability of one target, exactly by the
// name the Core uses for it.
type Probe struct {
	Target string `json:"target"` // FQDN, NetBIOS name or literal IP address
	Ports  []int  `json:"ports"`
}

// Request is the JSON document the collector script receives (as data, on
// stdin) and interprets. Everything that comes from the inventory travels in
// here, never in script text.
type Request struct {
	Schema int `json:"schema"`
	// Registry values to read. Absent values are reported as absent.
	Registry []RegistryKey `json:"registry"`
	// Services to look up by service name.
	Services []string `json:"services,omitempty"`
	// SMBClientConfig asks for Get-SmbClientConfiguration where it exists.
	SMBClientConfig bool `json:"smbClientConfig,omitempty"`
	// Probes run in parallel on the host with ProbeTimeoutMS per connection.
	Probes         []Probe `json:"probes,omitempty"`
	ProbeTimeoutMS int     `json:"probeTimeoutMs,omitempty"`
	// PolicySources asks which GPO sets each value (RSoP); see PolicySources.
	PolicySources bool `json:"policySources,omitempty"`
	// Events asks for the NTLM operational log, aggregated on the host;
	// CredentialGuard for Win32_DeviceGuard.
	Events          *EventQuery `json:"events,omitempty"`
	CredentialGuard bool        `json:"credentialGuard,omitempty"`
}

// Response is the JSON document the collector prints between the markers.
type Response struct {
	Schema    int              `json:"schema"`
	Identity  Identity         `json:"identity"`
	Registry  []RegistryValue  `json:"registry"`
	Services  []Service        `json:"services,omitempty"`
	SMBClient *SMBClientConfig `json:"smbClient,omitempty"`
	Probes    []ProbeResult    `json:"probes,omitempty"`
	// PolicySources answers Request.PolicySources; nil when not asked (and
	// in reports of earlier versions).
	PolicySources *PolicySources `json:"policySources,omitempty"`
	// NTLMEvents and CredentialGuard answer Request.Events and
	// Request.CredentialGuard (nil when not asked).
	NTLMEvents      *NTLMEvents      `json:"ntlmEvents,omitempty"`
	CredentialGuard *CredentialGuard `json:"credentialGuard,omitempty"`
	// Errors are steps of the collector that failed on the host without
	// spoiling the rest (for example a registry key it may not read).
	Errors []StepError `json:"errors,omitempty"`
	// Timings say where the collector's time went on the host (schema 3;
	// nil in facts from older reports).
	Timings *CollectorTimings `json:"timings,omitempty"`
}

// CollectorTimings are the collector's phases on the host, in milliseconds
// of its own stopwatch (the WinRM round trips around it are not included:
// HostResult.Duration is the whole).
type CollectorTimings struct {
	IdentityMS  int `json:"identityMs"`  // Win32_ComputerSystem, Win32_OperatingSystem
	RegistryMS  int `json:"registryMs"`  // every registry value asked
	ServicesMS  int `json:"servicesMs"`  // Win32_Service (or Get-Service)
	SMBClientMS int `json:"smbClientMs"` // MSFT_SmbClientConfiguration
	RSoPMS      int `json:"rsopMs"`      // the RSoP queries of the policy sources
	ProbesMS    int `json:"probesMs"`    // DNS lookups and TCP connects, all at once
	EventsMS    int `json:"eventsMs"`    // the NTLM event read and Win32_DeviceGuard
	TotalMS     int `json:"totalMs"`
}

// Domain roles as Win32_ComputerSystem.DomainRole reports them.
const (
	RoleStandaloneWorkstation = 0
	RoleMemberWorkstation     = 1
	RoleStandaloneServer      = 2
	RoleMemberServer          = 3
	RoleBackupDC              = 4
	RolePrimaryDC             = 5
)

// Identity is who the host says it is.
type Identity struct {
	NetBIOSName  string `json:"netbiosName"`
	DNSHostName  string `json:"dnsHostName"`
	Domain       string `json:"domain"` // DNS domain, or the workgroup name when PartOfDomain is false
	PartOfDomain bool   `json:"partOfDomain"`
	DomainRole   int    `json:"domainRole"`
	OSCaption    string `json:"osCaption"`
	OSVersion    string `json:"osVersion"` // e.g. 10.0.26100
	OSBuild      int    `json:"osBuild"`   // e.g. 26100
}

// IsDomainController reports whether the host is a DC.
func (id Identity) IsDomainController() bool {
	return id.DomainRole == RoleBackupDC || id.DomainRole == RolePrimaryDC
}

// FQDN returns host.domain for a domain member, else the host name.
func (id Identity) FQDN() string {
	if id.PartOfDomain && id.Domain != "" {
		return id.DNSHostName + "." + id.Domain
	}
	return id.DNSHostName
}

// RegistryValue is one value read from the registry. Present=false means the
// value does not exist, which Windows treats as "Not defined": never the same
// as 0.
type RegistryValue struct {
	RegistryKey
	Present bool     `json:"present"`
	Type    string   `json:"type,omitempty"`
	DWORD   *uint64  `json:"dword,omitempty"` // REG_DWORD and REG_QWORD
	String  *string  `json:"string,omitempty"`
	Strings []string `json:"strings,omitempty"` // REG_MULTI_SZ
	Error   string   `json:"error,omitempty"`   // reading failed (access denied…): unknown, not absent
}

// Service describes one Windows service.
type Service struct {
	Name        string `json:"name"`
	Present     bool   `json:"present"`
	DisplayName string `json:"displayName,omitempty"`
	State       string `json:"state,omitempty"`     // Running, Stopped, …
	StartMode   string `json:"startMode,omitempty"` // Auto, Manual, Disabled
	LogonAs     string `json:"logonAs,omitempty"`   // LocalSystem, DOMAIN\svc, …
}

// SMBClientConfig is what Get-SmbClientConfiguration reports. Available is
// false where the cmdlet does not exist; BlockNTLM is nil where the property
// does not exist (before Windows 11 24H2 / Server 2025).
type SMBClientConfig struct {
	Available                bool   `json:"available"`
	BlockNTLM                *bool  `json:"blockNTLM,omitempty"`
	RequireSecuritySignature *bool  `json:"requireSecuritySignature,omitempty"`
	EnableSecuritySignature  *bool  `json:"enableSecuritySignature,omitempty"`
	Error                    string `json:"error,omitempty"`
	// BlockNTLMServerExceptionList is the cmdlet's property where the SMB
	// client has one (nil where it does not; whether any build exposes it
	// is UNCONFIRMED: Microsoft's "Block NTLM connections on SMB" says there
	// is no PowerShell equivalent of the exception-list policy).
	BlockNTLMServerExceptionList []string `json:"blockNTLMServerExceptionList,omitempty"`
}

// ProbeResult is the outcome of one Probe as measured on the Core.
type ProbeResult struct {
	Target    string   `json:"target"`
	Addresses []string `json:"addresses,omitempty"` // DNS answer for Target (or the literal address), in order
	DNSError  string   `json:"dnsError,omitempty"`
	// Ports is what the Core gets when it connects by name, trying every
	// address in DNS order: open when any address answers, else the first
	// address's error.
	Ports []PortResult `json:"ports"`
	// ByAddress is every resolved address (IPv4 and IPv6) tried on its own.
	ByAddress []AddressResult `json:"byAddress,omitempty"`
}

// AddressResult is one resolved address of a probe target and its ports.
type AddressResult struct {
	Address string       `json:"address"`
	Ports   []PortResult `json:"ports"`
}

// IPv6 reports whether the address is an IPv6 address.
func (a AddressResult) IPv6() bool { return strings.Contains(a.Address, ":") }

// PortResult is one TCP connect attempt.
type PortResult struct {
	Port      int    `json:"port"`
	Open      bool   `json:"open"`
	Error     string `json:"error,omitempty"` // refused, timeout, unreachable…
	ElapsedMS int    `json:"elapsedMs"`
}

// StepError is a collector step that failed on the host.
type StepError struct {
	Step    string `json:"step"`
	Message string `json:"message"`
}

// HostError is a classified failure to collect one host.
type HostError struct {
	Class   ErrorClass `json:"class"`
	Message string     `json:"message"`        // what failed, in words
	Hint    string     `json:"hint,omitempty"` // what to do about it
}

func (e *HostError) Error() string {
	if e.Hint != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Class, e.Message, e.Hint)
	}
	return fmt.Sprintf("%s: %s", e.Class, e.Message)
}

// HostResult is what the scanner records for one inventory host: facts or a
// classified error, never both empty.
type HostResult struct {
	Host      string        `json:"host"` // inventory name
	Address   string        `json:"address"`
	Facts     *Response     `json:"facts,omitempty"`
	Error     *HostError    `json:"error,omitempty"`
	StartedAt time.Time     `json:"startedAt"`
	Duration  time.Duration `json:"durationNs"`
	Attempts  int           `json:"attempts"`
	// RoundTrips counts HTTP exchanges with the host, for transport metrics.
	RoundTrips int `json:"roundTrips,omitempty"`
	// Auth is the logon method that authenticated (ntlm, kerberos, basic);
	// AuthNote says why auth: auto did not use Kerberos.
	Auth     string `json:"auth,omitempty"`
	AuthNote string `json:"authNote,omitempty"`
	// SMB is the SMB probe of a repository host (nil: not probed). It is
	// gathered whether or not WinRM collection worked, and for described
	// hosts too.
	SMB *SMBProbe `json:"smb,omitempty"`
	// SPNChecks are the KDC's answers for the SPNs this host (a Core) uses
	// toward its agents and shares (Kerberos verification).
	SPNChecks []SPNCheck `json:"spnChecks,omitempty"`
	// Tags are the host's inventory tags, copied into the report so that
	// `report --tag` can filter a saved report without its inventory.
	Tags []string `json:"tags,omitempty"`
}

// SPNCheck returns the check of spn (case-insensitive), or nil.
func (r *HostResult) SPNCheck(spn string) *SPNCheck {
	if r == nil {
		return nil
	}
	for i := range r.SPNChecks {
		if equalFold(r.SPNChecks[i].SPN, spn) {
			return &r.SPNChecks[i]
		}
	}
	return nil
}

// OK reports whether facts were collected.
func (r *HostResult) OK() bool { return r != nil && r.Facts != nil && r.Error == nil }

// Value looks up a registry value in the response; nil when it was not asked.
func (r *Response) Value(key, name string) *RegistryValue {
	if r == nil {
		return nil
	}
	for i := range r.Registry {
		v := &r.Registry[i]
		if equalFold(v.Key, key) && equalFold(v.Name, name) {
			return v
		}
	}
	return nil
}

// Service looks up a service by name; nil when it was not asked.
func (r *Response) Service(name string) *Service {
	if r == nil {
		return nil
	}
	for i := range r.Services {
		if equalFold(r.Services[i].Name, name) {
			return &r.Services[i]
		}
	}
	return nil
}

// Collector steps (StepError.Step) whose failure makes facts unknown.
const (
	// StepServices: neither Win32_Service nor Get-Service could list the
	// services (a non-administrator's network logon is denied the Service
	// Control Manager): every asked service is unknown, not absent.
	StepServices = "services"
	// StepServicesWMI: Win32_Service failed; Get-Service answered, without
	// the services' logon accounts.
	StepServicesWMI = "services.wmi"
)

// ServicesUnknown reports that the host could not list its services, and
// why: the asked services then read as not present but are unknown.
func (r *Response) ServicesUnknown() (reason string, unknown bool) {
	if r == nil {
		return "", false
	}
	for _, e := range r.Errors {
		if e.Step == StepServices {
			return e.Message, true
		}
	}
	return "", false
}

// Probe looks up the probe result for target; nil when it was not asked.
func (r *Response) Probe(target string) *ProbeResult {
	if r == nil {
		return nil
	}
	for i := range r.Probes {
		if equalFold(r.Probes[i].Target, target) {
			return &r.Probes[i]
		}
	}
	return nil
}

// Port returns the result for one port; nil when it was not probed.
func (p *ProbeResult) Port(port int) *PortResult {
	if p == nil {
		return nil
	}
	for i := range p.Ports {
		if p.Ports[i].Port == port {
			return &p.Ports[i]
		}
	}
	return nil
}

// DecodeResponse parses and checks a collector JSON document strictly.
func DecodeResponse(data []byte) (*Response, error) {
	var resp Response
	if err := decodeStrict(data, &resp); err != nil {
		return nil, err
	}
	if resp.Schema != SchemaVersion {
		return nil, &SchemaError{Got: resp.Schema, Want: SchemaVersion}
	}
	for i, v := range resp.Registry {
		if v.Key == "" || v.Name == "" {
			return nil, fmt.Errorf("registry entry %d has no key or name", i)
		}
	}
	return &resp, nil
}

// SchemaError reports a collector that speaks another schema version.
type SchemaError struct{ Got, Want int }

func (e *SchemaError) Error() string {
	return fmt.Sprintf("collector answered schema %d, this ntlmscan speaks schema %d", e.Got, e.Want)
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytesReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON document")
	}
	return nil
}
