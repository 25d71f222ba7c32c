package facts

import (
	"fmt"
	"strconv"
	"strings"
)

// Setting is one registry-backed policy value ntlmscan reads on every host:
// one row of the settings table. Everything the tool knows about a setting
// is here, and every consumer reads it from here: the collector's request
// (scanner/collect), the what-if check (the --assume loader), the verdict
// labels (report/verdict) and the help pages' tables. The meanings follow
// Microsoft's Group Policy reference pages named in GPOName (for example
// "Network security: Restrict NTLM: Incoming NTLM traffic") and [MS-NLMP].
type Setting struct {
	ID      string // short stable identifier used in reports and overlays
	Key     string // registry key, HKLM\...
	Name    string // registry value name
	Type    string // RegDWORD or RegMultiSZ
	GPOName string // Group Policy display name
	GPOPath string // where the setting lives in the Group Policy editor
	DCOnly  bool   // evaluated on domain controllers only
	// Family is the verdict rule family that judges the setting
	// (report/verdict registers one or more rules per family).
	Family Family
	// Absent is what Windows does when the value is absent ("Not defined").
	Absent string
	// Values are the documented REG_DWORD values; the what-if check
	// accepts only these. Empty for bit masks and lists.
	Values []ValueLabel
	// Bits are the documented bits of a bit-mask REG_DWORD
	// (NtlmMinClientSec, NtlmMinServerSec); any 32-bit value is accepted.
	Bits []ValueLabel
	// Entries says what one entry of a REG_MULTI_SZ list is.
	Entries string
	// Note qualifies the setting for readers of the tables (where it
	// exists, what overrides it); "" for most rows.
	Note string
}

// ValueLabel names one documented value (or bit) of a setting.
type ValueLabel struct {
	Value uint64
	Label string
}

// Family names the verdict rule family that reads a setting. The names are
// the files of report/verdict that hold each family's rules.
type Family string

const (
	FamilyOutgoing  Family = "outgoing"  // the Core's outgoing NTLM restriction and exceptions
	FamilyIncoming  Family = "incoming"  // the target's incoming NTLM restriction, guest model, SPN validation
	FamilyDomain    Family = "domain"    // the DCs' domain-wide NTLM restriction (pass-through)
	FamilySMBClient Family = "smbclient" // the SMB client's own NTLM block
	FamilyLMCompat  Family = "lmcompat"  // LAN Manager level and minimum session security
	FamilyAccount   Family = "account"   // the identity a LocalSystem Core service presents
	FamilyNeed      Family = "need"      // whether a path needs NTLM at all (Kerberos by IP)
	// FamilyNone: collected and kept in the report's host facts; no rule
	// judges it (yet).
	FamilyNone Family = "none"
)

// Families lists every family, in the order report/verdict runs them.
func Families() []Family {
	return []Family{FamilyNeed, FamilyOutgoing, FamilySMBClient, FamilyIncoming, FamilyDomain, FamilyAccount, FamilyLMCompat, FamilyNone}
}

// Registry keys.
const (
	KeyLsa           = `HKLM\SYSTEM\CurrentControlSet\Control\Lsa`
	KeyMSV10         = `HKLM\SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0`
	KeyNetlogon      = `HKLM\SYSTEM\CurrentControlSet\Services\Netlogon\Parameters`
	KeyLanmanWksPol  = `HKLM\SOFTWARE\Policies\Microsoft\Windows\LanmanWorkstation`
	KeyLanmanWksPar  = `HKLM\SYSTEM\CurrentControlSet\Services\LanmanWorkstation\Parameters`
	KeyLanmanSrvPar  = `HKLM\SYSTEM\CurrentControlSet\Services\LanManServer\Parameters`
	KeyKerberosParam = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\Kerberos\Parameters`
)

const (
	secOpts      = `Computer Configuration\Windows Settings\Security Settings\Local Policies\Security Options`
	lanmanWksADM = `Computer Configuration\Administrative Templates\Network\Lanman Workstation`
	kerberosADM  = `Computer Configuration\Administrative Templates\System\Kerberos`
	// Not Group Policy: a registry value Microsoft documents in a KB article.
	registryOnly = `Registry only (no Group Policy setting)`
	// Not Group Policy: the SMB client's own configuration; the policy
	// values under KeyLanmanWksPol override it when present.
	smbLocalConfig = `Local SMB client configuration (HKLM\SYSTEM\CurrentControlSet\Services\LanmanWorkstation\Parameters), overridden by Group Policy`
)

// Setting identifiers: every one is the ID of a row of Settings (a test
// checks both ways).
const (
	RestrictSendingNTLMTraffic      = "RestrictSendingNTLMTraffic"
	ClientAllowedNTLMServers        = "ClientAllowedNTLMServers"
	RestrictReceivingNTLMTraffic    = "RestrictReceivingNTLMTraffic"
	AuditReceivingNTLMTraffic       = "AuditReceivingNTLMTraffic"
	RestrictNTLMInDomain            = "RestrictNTLMInDomain"
	AuditNTLMInDomain               = "AuditNTLMInDomain"
	DCAllowedNTLMServers            = "DCAllowedNTLMServers"
	LmCompatibilityLevel            = "LmCompatibilityLevel"
	NtlmMinClientSec                = "NtlmMinClientSec"
	NtlmMinServerSec                = "NtlmMinServerSec"
	UseMachineID                    = "UseMachineId"
	ForceGuest                      = "ForceGuest"
	TryIPSPN                        = "TryIPSPN"
	SMBClientRequireSigning         = "SMBClientRequireSecuritySignature"
	SMBClientEnableSigning          = "SMBClientEnableSecuritySignature"
	SMBServerRequireSigning         = "SMBServerRequireSecuritySignature"
	SMBServerEnableSigning          = "SMBServerEnableSecuritySignature"
	SmbServerNameHardeningLevel     = "SmbServerNameHardeningLevel"
	SMBBlockNTLM                    = "BlockNTLM"
	SMBBlockNTLMServerExceptionList = "BlockNTLMServerExceptionList"
	// The same two values under LanmanWorkstation\Parameters: the SMB
	// client's local configuration; the policy key wins when present.
	SMBBlockNTLMLocal                    = "BlockNTLMLocal"
	SMBBlockNTLMServerExceptionListLocal = "BlockNTLMServerExceptionListLocal"
	AllowNullSessionFallback             = "allownullsessionfallback"
	BlockNtlmv1SSO                       = "BlockNtlmv1SSO"
)

// Group Policy display names of the "Restrict NTLM" family.
const (
	RestrictNTLMGPOPrefix            = "Network security: Restrict NTLM: "
	restrictNTLMOutgoingDisplay      = RestrictNTLMGPOPrefix + "Outgoing NTLM traffic to remote servers"
	restrictNTLMExceptionsDisplay    = RestrictNTLMGPOPrefix + "Add remote server exceptions for NTLM authentication"
	restrictNTLMIncomingDisplay      = RestrictNTLMGPOPrefix + "Incoming NTLM traffic"
	restrictNTLMAuditIncomingDisplay = RestrictNTLMGPOPrefix + "Audit Incoming NTLM Traffic"
	restrictNTLMDomainDisplay        = RestrictNTLMGPOPrefix + "NTLM authentication in this domain"
	restrictNTLMAuditDomainDisplay   = RestrictNTLMGPOPrefix + "Audit NTLM authentication in this domain"
	restrictNTLMDCExceptionsDisplay  = RestrictNTLMGPOPrefix + "Add server exceptions in this domain"
)

// NtlmMinClientSec / NtlmMinServerSec bits ([MS-NLMP] negotiate flags, as
// the "Minimum session security for NTLM SSP" policy pages name them).
const (
	NTLMSecIntegrity     = 0x00000010
	NTLMSecSealing       = 0x00000020
	NTLMSecNTLMv2Session = 0x00080000
	NTLMSec128Bit        = 0x20000000
)

var (
	enabledDisabled = []ValueLabel{{0, "Disabled"}, {1, "Enabled"}}
	ntlmMinSecBits  = []ValueLabel{
		{NTLMSecIntegrity, "Require message integrity"},
		{NTLMSecSealing, "Require message confidentiality"},
		{NTLMSecNTLMv2Session, "Require NTLMv2 session security"},
		{NTLMSec128Bit, "Require 128-bit encryption"},
	}
	smbBlockValues = []ValueLabel{{0, "Disabled (NTLM allowed)"}, {1, "Enabled (NTLM blocked for SMB)"}}
)

// Settings is the settings table, in the order reports list them. Adding a
// setting is one row here plus its rule in report/verdict (or FamilyNone).
// Treat it as read-only; Default() is the table as a Catalogue.
var Settings = []Setting{
	{
		ID: RestrictSendingNTLMTraffic, Key: KeyMSV10, Name: "RestrictSendingNTLMTraffic", Type: RegDWORD,
		GPOName: restrictNTLMOutgoingDisplay, GPOPath: secOpts, Family: FamilyOutgoing,
		Absent: "Not defined (Allow all)",
		Values: []ValueLabel{{0, "Allow all"}, {1, "Audit all"}, {2, "Deny all"}},
	},
	{
		ID: ClientAllowedNTLMServers, Key: KeyMSV10, Name: "ClientAllowedNTLMServers", Type: RegMultiSZ,
		GPOName: restrictNTLMExceptionsDisplay, GPOPath: secOpts, Family: FamilyOutgoing,
		Absent:  "Not defined (no exceptions)",
		Entries: "server names (FQDN, NetBIOS, `*` wildcard)",
	},
	{
		ID: RestrictReceivingNTLMTraffic, Key: KeyMSV10, Name: "RestrictReceivingNTLMTraffic", Type: RegDWORD,
		GPOName: restrictNTLMIncomingDisplay, GPOPath: secOpts, Family: FamilyIncoming,
		Absent: "Not defined (Allow all)",
		Values: []ValueLabel{{0, "Allow all"}, {1, "Deny all domain accounts"}, {2, "Deny all accounts"}},
	},
	{
		ID: AuditReceivingNTLMTraffic, Key: KeyMSV10, Name: "AuditReceivingNTLMTraffic", Type: RegDWORD,
		GPOName: restrictNTLMAuditIncomingDisplay, GPOPath: secOpts, Family: FamilyIncoming,
		Absent: "Not defined (Disable)",
		Values: []ValueLabel{{0, "Disable"}, {1, "Enable auditing for domain accounts"}, {2, "Enable auditing for all accounts"}},
	},
	{
		ID: RestrictNTLMInDomain, Key: KeyNetlogon, Name: "RestrictNTLMInDomain", Type: RegDWORD,
		GPOName: restrictNTLMDomainDisplay, GPOPath: secOpts, DCOnly: true, Family: FamilyDomain,
		Absent: "Not defined (Disable)",
		Values: []ValueLabel{
			{0, "Disable"}, {1, "Deny for domain accounts to domain servers"}, {3, "Deny for domain accounts"},
			{5, "Deny for domain servers"}, {7, "Deny all"},
		},
		Note: "under 3 and 7 an exception entry leaves a path at-risk (see Verdicts)",
	},
	{
		ID: AuditNTLMInDomain, Key: KeyNetlogon, Name: "AuditNTLMInDomain", Type: RegDWORD,
		GPOName: restrictNTLMAuditDomainDisplay, GPOPath: secOpts, DCOnly: true, Family: FamilyDomain,
		Absent: "Not defined (Disable)",
		Values: []ValueLabel{
			{0, "Disable"}, {1, "Enable for domain accounts to domain servers"}, {3, "Enable for domain accounts"},
			{5, "Enable for domain servers"}, {7, "Enable all"},
		},
	},
	{
		ID: DCAllowedNTLMServers, Key: KeyNetlogon, Name: "DCAllowedNTLMServers", Type: RegMultiSZ,
		GPOName: restrictNTLMDCExceptionsDisplay, GPOPath: secOpts, DCOnly: true, Family: FamilyDomain,
		Absent:  "Not defined (no exceptions)",
		Entries: "NetBIOS server names",
	},
	{
		ID: LmCompatibilityLevel, Key: KeyLsa, Name: "LmCompatibilityLevel", Type: RegDWORD,
		GPOName: "Network security: LAN Manager authentication level", GPOPath: secOpts, Family: FamilyLMCompat,
		Absent: "Not defined (Send NTLMv2 response only, the effective default)",
		Values: []ValueLabel{
			{0, "Send LM & NTLM responses"},
			{1, "Send LM & NTLM - use NTLMv2 session security if negotiated"},
			{2, "Send NTLM response only"},
			{3, "Send NTLMv2 response only"},
			{4, "Send NTLMv2 response only. Refuse LM"},
			{5, "Send NTLMv2 response only. Refuse LM & NTLM"},
		},
	},
	{
		ID: NtlmMinClientSec, Key: KeyMSV10, Name: "NTLMMinClientSec", Type: RegDWORD,
		GPOName: "Network security: Minimum session security for NTLM SSP based (including secure RPC) clients", GPOPath: secOpts,
		Family: FamilyLMCompat, Absent: "Not defined (Require 128-bit encryption, the default)", Bits: ntlmMinSecBits,
	},
	{
		ID: NtlmMinServerSec, Key: KeyMSV10, Name: "NTLMMinServerSec", Type: RegDWORD,
		GPOName: "Network security: Minimum session security for NTLM SSP based (including secure RPC) servers", GPOPath: secOpts,
		Family: FamilyLMCompat, Absent: "Not defined (Require 128-bit encryption, the default)", Bits: ntlmMinSecBits,
	},
	{
		ID: UseMachineID, Key: KeyLsa, Name: "UseMachineId", Type: RegDWORD,
		GPOName: "Network security: Allow Local System to use computer identity for NTLM", GPOPath: secOpts, Family: FamilyAccount,
		Absent: "Not defined (Enabled: LocalSystem uses the computer identity)",
		Values: []ValueLabel{{0, "Disabled (LocalSystem falls back to anonymous)"}, {1, "Enabled"}},
	},
	{
		ID: AllowNullSessionFallback, Key: KeyMSV10, Name: "allownullsessionfallback", Type: RegDWORD,
		GPOName: "Network security: Allow LocalSystem NULL session fallback", GPOPath: secOpts, Family: FamilyAccount,
		Absent: "Not defined", Values: enabledDisabled,
	},
	{
		ID: ForceGuest, Key: KeyLsa, Name: "ForceGuest", Type: RegDWORD,
		GPOName: "Network access: Sharing and security model for local accounts", GPOPath: secOpts, Family: FamilyIncoming,
		Absent: "Not defined",
		Values: []ValueLabel{{0, "Classic - local users authenticate as themselves"}, {1, "Guest only - local users authenticate as Guest"}},
	},
	{
		ID: TryIPSPN, Key: KeyKerberosParam, Name: "TryIPSPN", Type: RegDWORD,
		GPOName: "TryIPSPN (Kerberos client support for IPv4/IPv6 host names)", GPOPath: kerberosADM, Family: FamilyNeed,
		Absent: "Not defined (Kerberos is not tried for IP addresses)",
		Values: []ValueLabel{{0, "Disabled"}, {1, "Enabled (Kerberos tried for IP addresses with an IP SPN)"}},
	},
	{
		ID: SMBClientRequireSigning, Key: KeyLanmanWksPar, Name: "RequireSecuritySignature", Type: RegDWORD,
		GPOName: "Microsoft network client: Digitally sign communications (always)", GPOPath: secOpts, Family: FamilyNone,
		Absent: "Not defined (OS default)", Values: enabledDisabled,
	},
	{
		ID: SMBClientEnableSigning, Key: KeyLanmanWksPar, Name: "EnableSecuritySignature", Type: RegDWORD,
		GPOName: "Microsoft network client: Digitally sign communications (if server agrees)", GPOPath: secOpts, Family: FamilyNone,
		Absent: "Not defined (OS default)", Values: enabledDisabled,
	},
	{
		ID: SMBServerRequireSigning, Key: KeyLanmanSrvPar, Name: "RequireSecuritySignature", Type: RegDWORD,
		GPOName: "Microsoft network server: Digitally sign communications (always)", GPOPath: secOpts, Family: FamilyNone,
		Absent: "Not defined (OS default)", Values: enabledDisabled,
	},
	{
		ID: SMBServerEnableSigning, Key: KeyLanmanSrvPar, Name: "EnableSecuritySignature", Type: RegDWORD,
		GPOName: "Microsoft network server: Digitally sign communications (if client agrees)", GPOPath: secOpts, Family: FamilyNone,
		Absent: "Not defined (OS default)", Values: enabledDisabled,
	},
	{
		ID: SmbServerNameHardeningLevel, Key: KeyLanmanSrvPar, Name: "SmbServerNameHardeningLevel", Type: RegDWORD,
		GPOName: "Microsoft network server: Server SPN target name validation level", GPOPath: secOpts, Family: FamilyIncoming,
		Absent: "Not defined",
		Values: []ValueLabel{{0, "Off"}, {1, "Accept if provided by client"}, {2, "Required from client"}},
	},
	{
		ID: SMBBlockNTLM, Key: KeyLanmanWksPol, Name: "BlockNTLM", Type: RegDWORD,
		GPOName: "Block NTLM (LM, NTLM, NTLMv2)", GPOPath: lanmanWksADM, Family: FamilySMBClient,
		Absent: "Not configured (NTLM allowed)", Values: smbBlockValues,
		Note: "SMB client, Windows 11 24H2 / Server 2025",
	},
	{
		ID: SMBBlockNTLMServerExceptionList, Key: KeyLanmanWksPol, Name: "BlockNTLMServerExceptionList", Type: RegMultiSZ,
		GPOName: "Block NTLM Server Exception List", GPOPath: lanmanWksADM, Family: FamilySMBClient,
		Absent: "Not configured (no exceptions)", Entries: "IP, NetBIOS or FQDN",
	},
	{
		ID: SMBBlockNTLMLocal, Key: KeyLanmanWksPar, Name: "BlockNTLM", Type: RegDWORD,
		GPOName: "SMB client local configuration BlockNTLM (Set-SmbClientConfiguration -BlockNTLM)", GPOPath: smbLocalConfig,
		Family: FamilySMBClient, Absent: "Not set locally", Values: smbBlockValues,
		Note: "SMB client's local configuration; the policy value wins",
	},
	{
		ID: SMBBlockNTLMServerExceptionListLocal, Key: KeyLanmanWksPar, Name: "BlockNTLMServerExceptionList", Type: RegMultiSZ,
		GPOName: "SMB client local configuration BlockNTLMServerExceptionList", GPOPath: smbLocalConfig,
		Family: FamilySMBClient, Absent: "Not set locally (no exceptions)", Entries: "IP, NetBIOS or FQDN",
		Note: "SMB client's local configuration; the policy list wins",
	},
	{
		// Microsoft KB5066470, "Upcoming changes to NTLMv1 in Windows 11,
		// version 24H2 and Windows Server 2025": audit (event 4024) or
		// enforce (event 4025) the blocking of NTLMv1-derived credentials
		// for single sign-on; no effect where Credential Guard runs.
		ID: BlockNtlmv1SSO, Key: KeyMSV10, Name: "BlockNtlmv1SSO", Type: RegDWORD,
		GPOName: "BlockNtlmv1SSO (Microsoft KB5066470)", GPOPath: registryOnly, Family: FamilyLMCompat,
		Absent: "Not set (Audit until Microsoft's announced switch to Enforce; the default per build is UNCONFIRMED)",
		Values: []ValueLabel{{0, "Audit (event 4024; NTLMv1-derived SSO still allowed)"}, {1, "Enforce (event 4025; NTLMv1-derived SSO blocked)"}},
		Note:   "Windows 11 24H2 / Server 2025; ignored where Credential Guard runs",
	},
}

// SettingByID returns the row of the default table for id
// (case-insensitive), or nil.
func SettingByID(id string) *Setting { return Default().Setting(id) }

// RegistryKey returns where the setting lives.
func (s *Setting) RegistryKey() RegistryKey { return RegistryKey{Key: s.Key, Name: s.Name} }

// Lookup returns the setting's value in a response (nil if not asked).
func (s *Setting) Lookup(r *Response) *RegistryValue { return r.Value(s.Key, s.Name) }

// IsList reports a REG_MULTI_SZ setting.
func (s *Setting) IsList() bool { return s.Type == RegMultiSZ }

// IsBitmask reports a REG_DWORD whose documented meaning is per bit.
func (s *Setting) IsBitmask() bool { return len(s.Bits) > 0 }

// AbsentLabel is the label of an absent ("Not defined") value.
func (s *Setting) AbsentLabel() string {
	if s.Absent == "" {
		return "Not defined"
	}
	return s.Absent
}

// Documented returns the setting's documented values, or its bits for a
// bit mask (a copy).
func (s *Setting) Documented() []ValueLabel {
	if s.IsBitmask() {
		return append([]ValueLabel(nil), s.Bits...)
	}
	return append([]ValueLabel(nil), s.Values...)
}

// Allowed reports whether n may be written to the setting: a documented
// value, or any 32-bit value of a bit mask. Lists take no number.
func (s *Setting) Allowed(n uint64) bool {
	switch {
	case s.IsList() || n > 0xFFFFFFFF:
		return false
	case s.IsBitmask():
		return true
	}
	for _, v := range s.Values {
		if v.Value == n {
			return true
		}
	}
	return false
}

// DWORDLabel is the label of a REG_DWORD value: its documented label, the
// documented bits of a bit mask ("No minimum" for 0), or "Undocumented
// value n".
func (s *Setting) DWORDLabel(n uint64) string {
	if s.IsBitmask() {
		return bitsLabel(s.Bits, n)
	}
	for _, v := range s.Values {
		if v.Value == n {
			return v.Label
		}
	}
	return "Undocumented value " + strconv.FormatUint(n, 10)
}

func bitsLabel(bits []ValueLabel, n uint64) string {
	if n == 0 {
		return "No minimum"
	}
	var parts []string
	rest := n
	for _, b := range bits {
		if n&b.Value != 0 {
			parts = append(parts, b.Label)
			rest &^= b.Value
		}
	}
	if rest != 0 {
		parts = append(parts, fmt.Sprintf("undocumented bits 0x%X", rest))
	}
	return strings.Join(parts, " + ")
}

// check reports what is wrong with a row, "" if nothing.
func (s *Setting) check() string {
	var bad []string
	if s.ID == "" || s.Name == "" || !strings.HasPrefix(s.Key, `HKLM\`) || s.GPOName == "" || s.GPOPath == "" {
		bad = append(bad, "ID, Name, an HKLM key, GPOName and GPOPath are required")
	}
	if !knownFamily(s.Family) {
		bad = append(bad, fmt.Sprintf("family %q is none of %v", s.Family, Families()))
	}
	if s.Absent == "" {
		bad = append(bad, "Absent (what Windows does without the value) is required")
	}
	switch s.Type {
	case RegDWORD:
		if len(s.Values) == 0 && len(s.Bits) == 0 {
			bad = append(bad, "a REG_DWORD needs its documented Values or Bits")
		}
		if len(s.Values) > 0 && len(s.Bits) > 0 {
			bad = append(bad, "Values and Bits exclude each other")
		}
		if s.Entries != "" {
			bad = append(bad, "Entries is for lists")
		}
	case RegMultiSZ:
		if len(s.Values) > 0 || len(s.Bits) > 0 || s.Entries == "" {
			bad = append(bad, "a REG_MULTI_SZ takes Entries, not Values or Bits")
		}
	default:
		bad = append(bad, fmt.Sprintf("type %q is neither %s nor %s", s.Type, RegDWORD, RegMultiSZ))
	}
	seen := map[uint64]bool{}
	for _, v := range append(append([]ValueLabel(nil), s.Values...), s.Bits...) {
		if seen[v.Value] || v.Label == "" || v.Value > 0xFFFFFFFF {
			bad = append(bad, fmt.Sprintf("value %d is repeated, unlabelled or above 32 bits", v.Value))
		}
		seen[v.Value] = true
	}
	return strings.Join(bad, "; ")
}

func knownFamily(f Family) bool {
	for _, k := range Families() {
		if f == k {
			return true
		}
	}
	return false
}
