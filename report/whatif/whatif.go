// Package whatif loads a what-if file (--assume): planned setting changes
// that the verdict engine (report/verdict) applies on top of the collected
// facts, so every path shows its verdict before and after a rollout. The
// file is checked against an inventory (the hosts, tags and roles it
// selects) and the settings table of scanner/facts (names, types, values),
// which is why it lives here and not in inventory: the inventory stays
// below the scanner (go doc ./cmd/ntlmscan, "How it is built").
package whatif

import (
	"strings"

	"github.com/ntlmscan/ntlmscan/inventory"
)

// Overlay is a what-if file: the changes, in file order.
type Overlay struct {
	Name    string // from the file's "name:" or its base name
	File    string
	Changes []Change
}

// Change applies one setting change to every host its selector picks.
type Change struct {
	Select  Selector
	Setting string // a facts.Settings ID, e.g. RestrictReceivingNTLMTraffic
	// Exactly one of the following is set.
	Set    *Value   // replace the value (DWORD or list)
	Remove bool     // make the value absent ("Not defined")
	Add    []string // append entries to a REG_MULTI_SZ list (deduplicated, case-insensitive)
	Delete []string // remove entries from a REG_MULTI_SZ list
	Line   int
}

// Value is a planned value.
type Value struct {
	DWORD   *uint64
	Strings []string // for REG_MULTI_SZ settings
}

// Selector picks hosts. Every non-empty field must match (AND); within a
// list any entry may match (OR).
type Selector struct {
	Hosts []string // inventory names; "*" = every host
	Tags  []string
	Roles []inventory.Role
}

// Matches reports whether h is selected.
func (s Selector) Matches(h *inventory.Host) bool {
	if len(s.Hosts) == 0 && len(s.Tags) == 0 && len(s.Roles) == 0 {
		return false
	}
	if len(s.Hosts) > 0 && !anyMatch(s.Hosts, func(n string) bool { return n == "*" || strings.EqualFold(n, h.Name) }) {
		return false
	}
	if len(s.Tags) > 0 && !anyMatch(s.Tags, h.HasTag) {
		return false
	}
	if len(s.Roles) > 0 && !anyMatch(s.Roles, func(r inventory.Role) bool { return r == h.Role }) {
		return false
	}
	return true
}

func anyMatch[T any](list []T, ok func(T) bool) bool {
	for _, v := range list {
		if ok(v) {
			return true
		}
	}
	return false
}
