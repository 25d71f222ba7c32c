package verdict

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// The labels of every setting are rows of the settings table in
// scanner/facts (facts.Setting: Absent, Values, Bits). This file only
// renders a collected value with them.

// ValueLabel names one documented value of a setting.
type ValueLabel = facts.ValueLabel

// NtlmMin*Sec bits, as the engine's rules read them.
const (
	bitNTLMv2Sess = facts.NTLMSecNTLMv2Session
	// defaultMinSec is the effective value when NtlmMin*Sec is absent
	// (Windows 7 / 2008 R2 and later).
	defaultMinSec = facts.NTLMSec128Bit
)

func lower(s string) string { return strings.ToLower(s) }

// Labels returns the documented values of a setting for legends: the label
// used when the value is absent, and the labels of its documented values
// (or bits, for NtlmMinClientSec / NtlmMinServerSec). ok is false for a
// setting the table lacks.
func Labels(settingID string) (absent string, values []ValueLabel, ok bool) {
	s := facts.SettingByID(settingID)
	if s == nil {
		return "", nil, false
	}
	return s.AbsentLabel(), s.Documented(), true
}

// AbsentLabel is the label of an absent ("Not defined") value.
func AbsentLabel(settingID string) string {
	if s := facts.SettingByID(settingID); s != nil {
		return s.AbsentLabel()
	}
	return "Not defined"
}

// DWORDLabel is the label of a REG_DWORD value, "Undocumented value n" for a
// value the table does not describe.
func DWORDLabel(settingID string, n uint64) string {
	if s := facts.SettingByID(settingID); s != nil {
		return s.DWORDLabel(n)
	}
	return ""
}

// Label is the human label of a collected registry value: the absent label,
// a value label, or a summary of a list.
func Label(settingID string, v *facts.RegistryValue) string {
	return valueLabel(facts.SettingByID(settingID), v)
}

// Raw renders a collected registry value as an admin reads it: "2",
// "absent", "[a, b]", "0x20080000 (537395200)" for bitmasks.
func Raw(settingID string, v *facts.RegistryValue) string {
	return rawValue(facts.SettingByID(settingID), v)
}

// valueLabel is Label for a row (nil: a setting the table lacks).
func valueLabel(s *facts.Setting, v *facts.RegistryValue) string {
	switch {
	case v == nil:
		return "not collected"
	case v.Error != "":
		return "unreadable"
	case !v.Present && s == nil:
		return "Not defined"
	case !v.Present:
		return s.AbsentLabel()
	}
	if s != nil && s.IsList() {
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
		if s == nil {
			return ""
		}
		return s.DWORDLabel(n)
	}
	return "unexpected type " + v.Type
}

// rawValue is Raw for a row (nil: a setting the table lacks).
func rawValue(s *facts.Setting, v *facts.RegistryValue) string {
	switch {
	case v == nil:
		return "not collected"
	case v.Error != "":
		return "unreadable: " + v.Error
	case !v.Present:
		return "absent"
	}
	if n, ok := v.Uint(); ok {
		if s != nil && s.IsBitmask() {
			return fmt.Sprintf("0x%X (%d)", n, n)
		}
		return strconv.FormatUint(n, 10)
	}
	if l, ok := v.List(); ok && (v.Strings != nil || s != nil && s.IsList()) {
		return "[" + strings.Join(l, ", ") + "]"
	}
	if v.String != nil {
		return *v.String
	}
	return "present (" + v.Type + ")"
}
