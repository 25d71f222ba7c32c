package facts

import (
	"bytes"
	"io"
	"strings"
)

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// Uint returns the numeric value of a present REG_DWORD/REG_QWORD.
func (v *RegistryValue) Uint() (uint64, bool) {
	if v == nil || !v.Present || v.DWORD == nil {
		return 0, false
	}
	return *v.DWORD, true
}

// List returns the strings of a present REG_MULTI_SZ (or a REG_SZ as one item).
func (v *RegistryValue) List() ([]string, bool) {
	if v == nil || !v.Present {
		return nil, false
	}
	if v.Strings != nil {
		return v.Strings, true
	}
	if v.String != nil {
		return []string{*v.String}, true
	}
	return nil, true
}
