package whatif

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// TestValuesFollowTheTable: the what-if check accepts exactly the
// values the settings table documents, for every DWORD row (any 32-bit
// value for a bit mask), so a row added to the table is validated without
// touching the loader.
func TestValuesFollowTheTable(t *testing.T) {
	t.Parallel()
	inv := demoInventory(t)
	parse := func(id string, n uint64) error {
		sel := "roles: [agent]"
		if s := facts.SettingByID(id); s.DCOnly {
			sel = "roles: [domain-controller]"
		}
		doc := fmt.Sprintf("changes:\n  - %s\n    set: {%s: %d}\n", sel, id, n)
		_, err := Parse([]byte(doc), "what-if.yaml", inv)
		return err
	}
	for _, s := range facts.Default().Settings() {
		if s.IsList() {
			continue
		}
		t.Run(s.ID, func(t *testing.T) {
			t.Parallel()
			var undocumented uint64
			for _, v := range s.Documented() {
				if !s.IsBitmask() {
					if err := parse(s.ID, v.Value); err != nil {
						t.Errorf("documented value %d (%s) refused: %v", v.Value, v.Label, err)
					}
				}
				undocumented = max(undocumented, v.Value+1)
			}
			err := parse(s.ID, undocumented)
			switch {
			case s.IsBitmask() && err != nil:
				t.Errorf("bit mask value %d refused: %v", undocumented, err)
			case !s.IsBitmask() && (err == nil || !strings.Contains(err.Error(), "is not a valid value for "+s.ID)):
				t.Errorf("undocumented value %d: error %v, want it refused", undocumented, err)
			}
		})
	}
}
