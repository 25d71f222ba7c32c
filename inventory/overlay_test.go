package inventory

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func demoInventory(t *testing.T) *Inventory {
	t.Helper()
	inv, err := Load(filepath.Join("..", "examples", "inventory.yaml"))
	if err != nil {
		t.Fatalf("load demo inventory: %v", err)
	}
	return inv
}

func u64(v uint64) *uint64 { return &v }

func TestParseOverlayValid(t *testing.T) {
	t.Parallel()
	inv := demoInventory(t)
	ov, err := LoadOverlay("testdata/overlay-valid.yaml", inv)
	if err != nil {
		t.Fatalf("LoadOverlay: %v", err)
	}
	want := &Overlay{Name: "baseline", File: "testdata/overlay-valid.yaml", Changes: []OverlayChange{
		{Select: Selector{Roles: []Role{RoleAgent}}, Setting: "RestrictReceivingNTLMTraffic", Set: &OverlayValue{DWORD: u64(2)}, Line: 5},
		{Select: Selector{Roles: []Role{RoleAgent}}, Setting: "AuditReceivingNTLMTraffic", Set: &OverlayValue{DWORD: u64(2)}, Line: 6},
		{Select: Selector{Hosts: []string{"CORE01"}}, Setting: "ClientAllowedNTLMServers", Add: []string{"127.0.0.32", "AGENT02"}, Line: 9},
		{Select: Selector{Hosts: []string{"CORE01"}}, Setting: "ClientAllowedNTLMServers", Delete: []string{"127.0.0.35"}, Line: 11},
		{Select: Selector{Hosts: []string{"*"}, Tags: []string{"dmz"}}, Setting: "LmCompatibilityLevel", Remove: true, Line: 14},
		{Select: Selector{Roles: []Role{RoleDomainController}}, Setting: "RestrictNTLMInDomain", Set: &OverlayValue{DWORD: u64(7)}, Line: 17},
		{Select: Selector{Roles: []Role{RoleDomainController}}, Setting: "DCAllowedNTLMServers", Set: &OverlayValue{Strings: []string{}}, Line: 18},
	}}
	if !reflect.DeepEqual(ov, want) {
		t.Errorf("overlay =\n%s\nwant\n%s", dumpOverlay(ov), dumpOverlay(want))
	}
	// Selectors pick what they say.
	picked := func(s Selector) []string {
		var out []string
		for _, h := range inv.Hosts {
			if s.Matches(h) {
				out = append(out, h.Name)
			}
		}
		return out
	}
	if got := picked(ov.Changes[0].Select); strings.Join(got, ",") != "AGENT01,AGENT02,AGENT03,AGENT04,AGENT05,AGENT06,AGENT07" {
		t.Errorf("roles: [agent] picks %v", got)
	}
	if got := picked(ov.Changes[4].Select); strings.Join(got, ",") != "AGENT05" {
		t.Errorf(`hosts: "*", tags: [dmz] picks %v`, got)
	}
}

func dumpOverlay(o *Overlay) string {
	var b strings.Builder
	for _, c := range o.Changes {
		b.WriteString("  ")
		b.WriteString(c.Setting)
		if c.Set != nil {
			if c.Set.DWORD != nil {
				b.WriteString(" set dword")
			} else {
				b.WriteString(" set list " + strings.Join(c.Set.Strings, ","))
			}
		}
		b.WriteString(" add " + strings.Join(c.Add, ",") + " delete " + strings.Join(c.Delete, ","))
		b.WriteString("\n")
	}
	return o.Name + " " + o.File + "\n" + b.String()
}

func TestLoadBadOverlays(t *testing.T) {
	t.Parallel()
	inv := demoInventory(t)
	tests := []struct {
		file string
		want []string
	}{
		{"overlay-invalid-unknown-setting", []string{`:4: changes[0].set.RestrictRecievingNTLMTraffic: unknown setting "RestrictRecievingNTLMTraffic"`}},
		{"overlay-invalid-dword-as-list", []string{`:4: changes[0].set.RestrictReceivingNTLMTraffic: RestrictReceivingNTLMTraffic is a number (REG_DWORD), not a list`}},
		{"overlay-invalid-list-as-dword", []string{`:4: changes[0].set.ClientAllowedNTLMServers: ClientAllowedNTLMServers is a list (REG_MULTI_SZ), not a number`}},
		{"overlay-invalid-value", []string{`:4: changes[0].set.RestrictReceivingNTLMTraffic: 3 is not a valid value for RestrictReceivingNTLMTraffic`}},
		{"overlay-invalid-value-quoted", []string{`:4: changes[0].set.RestrictReceivingNTLMTraffic: must be a whole number, not text`}},
		{"overlay-invalid-add-dword", []string{`:4: changes[0].add.RestrictSendingNTLMTraffic: RestrictSendingNTLMTraffic is a number (REG_DWORD); add works only on lists`}},
		{"overlay-invalid-unknown-host", []string{`:2: changes[0].hosts[0]: unknown host "CORE09"`}},
		{"overlay-invalid-unknown-tag", []string{`:2: changes[0].tags[0]: no host carries the tag "site-z"`}},
		{"overlay-invalid-unknown-role", []string{`:2: changes[0].roles[0]: unknown role "agents"`}},
		{"overlay-invalid-no-match", []string{`:2: changes[0]: the selector matches no host in ../examples/inventory.yaml`}},
		{"overlay-invalid-no-selector", []string{`:2: changes[0]: the change selects no hosts`}},
		{"overlay-invalid-no-action", []string{`:2: changes[0]: the change does nothing`}},
		{"overlay-invalid-dc-only", []string{`:4: changes[0].set.RestrictNTLMInDomain: RestrictNTLMInDomain is evaluated on domain controllers only, and the selector picks none`}},
		{"overlay-invalid-duplicate-setting", []string{`:6: changes[0].add.ClientAllowedNTLMServers: ClientAllowedNTLMServers is already changed on line 4 of this entry`}},
		{"overlay-invalid-unknown-key", []string{`:3: changes[0].sett: unknown key "sett"`}},
		{"overlay-invalid-no-changes", []string{`:1: the what-if file has no changes`}},
		{"overlay-invalid-empty-add", []string{`:4: changes[0].add.ClientAllowedNTLMServers: no entries to add`}},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		seen[tc.file] = true
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join("testdata", tc.file+".yaml")
			ov, err := LoadOverlay(path, inv)
			if err == nil || ov != nil {
				t.Fatalf("LoadOverlay(%s) = %v, %v; want only errors", path, ov, err)
			}
			checkProblems(t, err, path, tc.want)
		})
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "overlay-invalid-*.yaml"))
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".yaml"); !seen[name] {
			t.Errorf("%s has no entry in TestLoadBadOverlays", f)
		}
	}
}

func TestParseOverlayNeedsInventory(t *testing.T) {
	t.Parallel()
	_, err := ParseOverlay([]byte("changes: []\n"), "x.yaml", nil)
	if _, ok := AsValidationError(err); !ok {
		t.Fatalf("err = %v, want *ValidationError", err)
	}
}

func TestParseOverlayDefaultName(t *testing.T) {
	t.Parallel()
	ov, err := ParseOverlay([]byte("changes:\n  - hosts: CORE02\n    remove: [BlockNTLM]\n"), "/tmp/rollout-2026.yaml", demoInventory(t))
	if err != nil {
		t.Fatal(err)
	}
	if ov.Name != "rollout-2026" || ov.Changes[0].Setting != "BlockNTLM" || !ov.Changes[0].Remove {
		t.Errorf("overlay = %+v", ov)
	}
}

func TestSelectorMatches(t *testing.T) {
	t.Parallel()
	h := &Host{Name: "AGENT05", Role: RoleAgent, Tags: []string{"dmz"}}
	tests := []struct {
		name string
		sel  Selector
		want bool
	}{
		{"empty selects nothing", Selector{}, false},
		{"star", Selector{Hosts: []string{"*"}}, true},
		{"name case-insensitive", Selector{Hosts: []string{"agent05"}}, true},
		{"other name", Selector{Hosts: []string{"AGENT01"}}, false},
		{"tag", Selector{Tags: []string{"DMZ"}}, true},
		{"role", Selector{Roles: []Role{RoleAgent}}, true},
		{"and: role mismatch", Selector{Hosts: []string{"*"}, Roles: []Role{RoleCore}}, false},
		{"or within a list", Selector{Roles: []Role{RoleCore, RoleAgent}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.sel.Matches(h); got != tc.want {
				t.Errorf("Matches = %v, want %v", got, tc.want)
			}
		})
	}
}
