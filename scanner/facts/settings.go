package facts

// Setting is one registry-backed policy value ntlmscan reads on every host.
// Paths, names and GPO display names follow NTLM-RULES.md §1, §3 and §6.1.
type Setting struct {
	ID      string // short stable identifier used in reports and overlays
	Key     string // registry key, HKLM\...
	Name    string // registry value name
	Type    string // RegDWORD or RegMultiSZ
	GPOName string // Group Policy display name
	GPOPath string // where the setting lives in the Group Policy editor
	DCOnly  bool   // evaluated on domain controllers only
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
	// Not Group Policy: the SMB client's own configuration; the policy
	// values under KeyLanmanWksPol override it when present.
	smbLocalConfig = `Local SMB client configuration (HKLM\SYSTEM\CurrentControlSet\Services\LanmanWorkstation\Parameters), overridden by Group Policy`
)

// Setting identifiers.
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
	RestrictNTLMGPOPrefix                = "Network security: Restrict NTLM: "
	restrictNTLMOutgoingDisplay          = RestrictNTLMGPOPrefix + "Outgoing NTLM traffic to remote servers"
	restrictNTLMExceptionsDisplay        = RestrictNTLMGPOPrefix + "Add remote server exceptions for NTLM authentication"
	restrictNTLMIncomingDisplay          = RestrictNTLMGPOPrefix + "Incoming NTLM traffic"
	restrictNTLMAuditIncomingDisplay     = RestrictNTLMGPOPrefix + "Audit Incoming NTLM Traffic"
	restrictNTLMDomainDisplay            = RestrictNTLMGPOPrefix + "NTLM authentication in this domain"
	restrictNTLMAuditDomainDisplay       = RestrictNTLMGPOPrefix + "Audit NTLM authentication in this domain"
	restrictNTLMDCExceptionsDisplay      = RestrictNTLMGPOPrefix + "Add server exceptions in this domain"
)

// Settings is the catalogue, in the order reports list them.
var Settings = []Setting{
	{RestrictSendingNTLMTraffic, KeyMSV10, "RestrictSendingNTLMTraffic", RegDWORD, restrictNTLMOutgoingDisplay, secOpts, false},
	{ClientAllowedNTLMServers, KeyMSV10, "ClientAllowedNTLMServers", RegMultiSZ, restrictNTLMExceptionsDisplay, secOpts, false},
	{RestrictReceivingNTLMTraffic, KeyMSV10, "RestrictReceivingNTLMTraffic", RegDWORD, restrictNTLMIncomingDisplay, secOpts, false},
	{AuditReceivingNTLMTraffic, KeyMSV10, "AuditReceivingNTLMTraffic", RegDWORD, restrictNTLMAuditIncomingDisplay, secOpts, false},
	{RestrictNTLMInDomain, KeyNetlogon, "RestrictNTLMInDomain", RegDWORD, restrictNTLMDomainDisplay, secOpts, true},
	{AuditNTLMInDomain, KeyNetlogon, "AuditNTLMInDomain", RegDWORD, restrictNTLMAuditDomainDisplay, secOpts, true},
	{DCAllowedNTLMServers, KeyNetlogon, "DCAllowedNTLMServers", RegMultiSZ, restrictNTLMDCExceptionsDisplay, secOpts, true},
	{LmCompatibilityLevel, KeyLsa, "LmCompatibilityLevel", RegDWORD, "Network security: LAN Manager authentication level", secOpts, false},
	{NtlmMinClientSec, KeyMSV10, "NTLMMinClientSec", RegDWORD, "Network security: Minimum session security for NTLM SSP based (including secure RPC) clients", secOpts, false},
	{NtlmMinServerSec, KeyMSV10, "NTLMMinServerSec", RegDWORD, "Network security: Minimum session security for NTLM SSP based (including secure RPC) servers", secOpts, false},
	{UseMachineID, KeyLsa, "UseMachineId", RegDWORD, "Network security: Allow Local System to use computer identity for NTLM", secOpts, false},
	{AllowNullSessionFallback, KeyMSV10, "allownullsessionfallback", RegDWORD, "Network security: Allow LocalSystem NULL session fallback", secOpts, false},
	{ForceGuest, KeyLsa, "ForceGuest", RegDWORD, "Network access: Sharing and security model for local accounts", secOpts, false},
	{TryIPSPN, KeyKerberosParam, "TryIPSPN", RegDWORD, "TryIPSPN (Kerberos client support for IPv4/IPv6 host names)", kerberosADM, false},
	{SMBClientRequireSigning, KeyLanmanWksPar, "RequireSecuritySignature", RegDWORD, "Microsoft network client: Digitally sign communications (always)", secOpts, false},
	{SMBClientEnableSigning, KeyLanmanWksPar, "EnableSecuritySignature", RegDWORD, "Microsoft network client: Digitally sign communications (if server agrees)", secOpts, false},
	{SMBServerRequireSigning, KeyLanmanSrvPar, "RequireSecuritySignature", RegDWORD, "Microsoft network server: Digitally sign communications (always)", secOpts, false},
	{SMBServerEnableSigning, KeyLanmanSrvPar, "EnableSecuritySignature", RegDWORD, "Microsoft network server: Digitally sign communications (if client agrees)", secOpts, false},
	{SmbServerNameHardeningLevel, KeyLanmanSrvPar, "SmbServerNameHardeningLevel", RegDWORD, "Microsoft network server: Server SPN target name validation level", secOpts, false},
	{SMBBlockNTLM, KeyLanmanWksPol, "BlockNTLM", RegDWORD, "Block NTLM (LM, NTLM, NTLMv2)", lanmanWksADM, false},
	{SMBBlockNTLMServerExceptionList, KeyLanmanWksPol, "BlockNTLMServerExceptionList", RegMultiSZ, "Block NTLM Server Exception List", lanmanWksADM, false},
	{SMBBlockNTLMLocal, KeyLanmanWksPar, "BlockNTLM", RegDWORD, "SMB client local configuration BlockNTLM (Set-SmbClientConfiguration -BlockNTLM)", smbLocalConfig, false},
	{SMBBlockNTLMServerExceptionListLocal, KeyLanmanWksPar, "BlockNTLMServerExceptionList", RegMultiSZ, "SMB client local configuration BlockNTLMServerExceptionList", smbLocalConfig, false},
}

// SettingByID returns the catalogue entry for id, or nil.
func SettingByID(id string) *Setting {
	for i := range Settings {
		if equalFold(Settings[i].ID, id) {
			return &Settings[i]
		}
	}
	return nil
}

// RegistryKey returns where the setting lives.
func (s *Setting) RegistryKey() RegistryKey { return RegistryKey{Key: s.Key, Name: s.Name} }

// Lookup returns the setting's value in a response (nil if not asked).
func (s *Setting) Lookup(r *Response) *RegistryValue { return r.Value(s.Key, s.Name) }
