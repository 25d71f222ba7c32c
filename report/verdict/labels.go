package verdict

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// ValueLabel names one documented value of a setting.
type ValueLabel struct {
	Value uint64
	Label string
}

// labelTable describes the values of one setting (NTLM-RULES.md §1, §3).
type labelTable struct {
	absent string       // what Windows does when the value is absent ("Not defined")
	values []ValueLabel // documented REG_DWORD values
	bits   []ValueLabel // documented bits, for bitmask settings
	list   bool         // REG_MULTI_SZ
}

// labelTables is keyed by lower-case facts.Settings ID. It is read-only.
var labelTables = map[string]labelTable{
	lower(facts.RestrictSendingNTLMTraffic): {
		absent: "Not defined (Allow all)",
		values: []ValueLabel{{0, "Allow all"}, {1, "Audit all"}, {2, "Deny all"}},
	},
	lower(facts.ClientAllowedNTLMServers): {absent: "Not defined (no exceptions)", list: true},
	lower(facts.RestrictReceivingNTLMTraffic): {
		absent: "Not defined (Allow all)",
		values: []ValueLabel{{0, "Allow all"}, {1, "Deny all domain accounts"}, {2, "Deny all accounts"}},
	},
	lower(facts.AuditReceivingNTLMTraffic): {
		absent: "Not defined (Disable)",
		values: []ValueLabel{{0, "Disable"}, {1, "Enable auditing for domain accounts"}, {2, "Enable auditing for all accounts"}},
	},
	lower(facts.RestrictNTLMInDomain): {
		absent: "Not defined (Disable)",
		values: []ValueLabel{
			{0, "Disable"}, {1, "Deny for domain accounts to domain servers"}, {3, "Deny for domain accounts"},
			{5, "Deny for domain servers"}, {7, "Deny all"},
		},
	},
	lower(facts.AuditNTLMInDomain): {
		absent: "Not defined (Disable)",
		values: []ValueLabel{
			{0, "Disable"}, {1, "Enable for domain accounts to domain servers"}, {3, "Enable for domain accounts"},
			{5, "Enable for domain servers"}, {7, "Enable all"},
		},
	},
	lower(facts.DCAllowedNTLMServers): {absent: "Not defined (no exceptions)", list: true},
	lower(facts.LmCompatibilityLevel): {
		absent: "Not defined (Send NTLMv2 response only, the effective default)",
		values: []ValueLabel{
			{0, "Send LM & NTLM responses"},
			{1, "Send LM & NTLM - use NTLMv2 session security if negotiated"},
			{2, "Send NTLM response only"},
			{3, "Send NTLMv2 response only"},
			{4, "Send NTLMv2 response only. Refuse LM"},
			{5, "Send NTLMv2 response only. Refuse LM & NTLM"},
		},
	},
	lower(facts.NtlmMinClientSec): {absent: "Not defined (Require 128-bit encryption, the default)", bits: ntlmMinSecBits},
	lower(facts.NtlmMinServerSec): {absent: "Not defined (Require 128-bit encryption, the default)", bits: ntlmMinSecBits},
	lower(facts.UseMachineID): {
		absent: "Not defined (Enabled: LocalSystem uses the computer identity)",
		values: []ValueLabel{{0, "Disabled (LocalSystem falls back to anonymous)"}, {1, "Enabled"}},
	},
	lower(facts.AllowNullSessionFallback): {
		absent: "Not defined",
		values: []ValueLabel{{0, "Disabled"}, {1, "Enabled"}},
	},
	lower(facts.ForceGuest): {
		absent: "Not defined",
		values: []ValueLabel{{0, "Classic - local users authenticate as themselves"}, {1, "Guest only - local users authenticate as Guest"}},
	},
	lower(facts.TryIPSPN): {
		absent: "Not defined (Kerberos is not tried for IP addresses)",
		values: []ValueLabel{{0, "Disabled"}, {1, "Enabled (Kerberos tried for IP addresses with an IP SPN)"}},
	},
	lower(facts.SMBClientRequireSigning): {absent: "Not defined (OS default)", values: enabledDisabled},
	lower(facts.SMBClientEnableSigning):  {absent: "Not defined (OS default)", values: enabledDisabled},
	lower(facts.SMBServerRequireSigning): {absent: "Not defined (OS default)", values: enabledDisabled},
	lower(facts.SMBServerEnableSigning):  {absent: "Not defined (OS default)", values: enabledDisabled},
	lower(facts.SmbServerNameHardeningLevel): {
		absent: "Not defined",
		values: []ValueLabel{{0, "Off"}, {1, "Accept if provided by client"}, {2, "Required from client"}},
	},
	lower(facts.SMBBlockNTLM): {
		absent: "Not configured (NTLM allowed)",
		values: []ValueLabel{{0, "Disabled (NTLM allowed)"}, {1, "Enabled (NTLM blocked for SMB)"}},
	},
	lower(facts.SMBBlockNTLMServerExceptionList): {absent: "Not configured (no exceptions)", list: true},
	lower(facts.SMBBlockNTLMLocal): {
		absent: "Not set locally",
		values: []ValueLabel{{0, "Disabled (NTLM allowed)"}, {1, "Enabled (NTLM blocked for SMB)"}},
	},
	lower(facts.SMBBlockNTLMServerExceptionListLocal): {absent: "Not set locally (no exceptions)", list: true},
}

var enabledDisabled = []ValueLabel{{0, "Disabled"}, {1, "Enabled"}}

// NtlmMin*Sec bits (NTLM-RULES.md §3.2).
const (
	bitIntegrity    = 0x00000010
	bitSealing      = 0x00000020
	bitNTLMv2Sess   = 0x00080000
	bit128BitCrypto = 0x20000000
	// defaultMinSec is the effective value when NtlmMin*Sec is absent
	// (Windows 7 / 2008 R2 and later).
	defaultMinSec = bit128BitCrypto
)

var ntlmMinSecBits = []ValueLabel{
	{bitIntegrity, "Require message integrity"},
	{bitSealing, "Require message confidentiality"},
	{bitNTLMv2Sess, "Require NTLMv2 session security"},
	{bit128BitCrypto, "Require 128-bit encryption"},
}

func lower(s string) string { return strings.ToLower(s) }

// Labels returns the documented values of a setting for legends: the label
// used when the value is absent, and the labels of its documented values
// (or bits, for NtlmMinClientSec / NtlmMinServerSec). ok is false for a
// setting without a table.
func Labels(settingID string) (absent string, values []ValueLabel, ok bool) {
	t, ok := labelTables[lower(settingID)]
	if !ok {
		return "", nil, false
	}
	if t.bits != nil {
		return t.absent, append([]ValueLabel(nil), t.bits...), true
	}
	return t.absent, append([]ValueLabel(nil), t.values...), true
}

// AbsentLabel is the label of an absent ("Not defined") value.
func AbsentLabel(settingID string) string {
	if t, ok := labelTables[lower(settingID)]; ok {
		return t.absent
	}
	return "Not defined"
}

// DWORDLabel is the label of a REG_DWORD value, "Undocumented value n" for a
// value the rules do not describe.
func DWORDLabel(settingID string, n uint64) string {
	t, ok := labelTables[lower(settingID)]
	if !ok {
		return ""
	}
	if t.bits != nil {
		return bitsLabel(t.bits, n)
	}
	for _, v := range t.values {
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

// Label is the human label of a collected registry value: the absent label,
// a value label, or a summary of a list.
func Label(settingID string, v *facts.RegistryValue) string {
	switch {
	case v == nil:
		return "not collected"
	case v.Error != "":
		return "unreadable"
	case !v.Present:
		return AbsentLabel(settingID)
	}
	t := labelTables[lower(settingID)]
	if t.list {
		l, _ := v.List()
		switch len(l) {
		case 0:
			return "no entries"
		case 1:
			return "1 entry"
		}
		return strconv.Itoa(len(l)) + " entries"
	}
	if n, ok := v.Uint(); ok {
		return DWORDLabel(settingID, n)
	}
	return "unexpected type " + v.Type
}

// Raw renders a collected registry value as an admin reads it: "2",
// "absent", "[a, b]", "0x20080000 (537395200)" for bitmasks.
func Raw(settingID string, v *facts.RegistryValue) string {
	switch {
	case v == nil:
		return "not collected"
	case v.Error != "":
		return "unreadable: " + v.Error
	case !v.Present:
		return "absent"
	}
	if n, ok := v.Uint(); ok {
		if labelTables[lower(settingID)].bits != nil {
			return fmt.Sprintf("0x%X (%d)", n, n)
		}
		return strconv.FormatUint(n, 10)
	}
	if l, ok := v.List(); ok && (v.Strings != nil || labelTables[lower(settingID)].list) {
		return "[" + strings.Join(l, ", ") + "]"
	}
	if v.String != nil {
		return *v.String
	}
	return "present (" + v.Type + ")"
}
