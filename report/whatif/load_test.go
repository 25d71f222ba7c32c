package whatif

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/inventory"
)

// demoInventoryPath is the inventory the what-if files here are checked
// against (their selectors name its hosts, tags and roles).
var demoInventoryPath = filepath.Join("..", "..", "examples", "inventory.yaml")

func demoInventory(t testing.TB) *inventory.Inventory {
	t.Helper()
	inv, err := inventory.Load(demoInventoryPath)
	if err != nil {
		t.Fatalf("load demo inventory: %v", err)
	}
	return inv
}

func u64(v uint64) *uint64 { return &v }

func TestParseValid(t *testing.T) {
	t.Parallel()
	inv := demoInventory(t)
	ov, err := Load("testdata/valid.yaml", inv)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := &Overlay{Name: "baseline", File: "testdata/valid.yaml", Changes: []Change{
		{Select: Selector{Roles: []inventory.Role{inventory.RoleAgent}}, Setting: "RestrictReceivingNTLMTraffic", Set: &Value{DWORD: u64(2)}, Line: 5},
		{Select: Selector{Roles: []inventory.Role{inventory.RoleAgent}}, Setting: "AuditReceivingNTLMTraffic", Set: &Value{DWORD: u64(2)}, Line: 6},
		{Select: Selector{Hosts: []string{"CORE01"}}, Setting: "ClientAllowedNTLMServers", Add: []string{"127.0.0.32", "AGENT02"}, Line: 9},
		{Select: Selector{Hosts: []string{"CORE01"}}, Setting: "ClientAllowedNTLMServers", Delete: []string{"127.0.0.35"}, Line: 11},
		{Select: Selector{Hosts: []string{"*"}, Tags: []string{"dmz"}}, Setting: "LmCompatibilityLevel", Remove: true, Line: 14},
		{Select: Selector{Roles: []inventory.Role{inventory.RoleDomainController}}, Setting: "RestrictNTLMInDomain", Set: &Value{DWORD: u64(7)}, Line: 17},
		{Select: Selector{Roles: []inventory.Role{inventory.RoleDomainController}}, Setting: "DCAllowedNTLMServers", Set: &Value{Strings: []string{}}, Line: 18},
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

func TestLoadInvalid(t *testing.T) {
	t.Parallel()
	inv := demoInventory(t)
	tests := []struct {
		file string
		want []string
	}{
		{"invalid-unknown-setting", []string{`:4: changes[0].set.RestrictRecievingNTLMTraffic: unknown setting "RestrictRecievingNTLMTraffic"`}},
		{"invalid-dword-as-list", []string{`:4: changes[0].set.RestrictReceivingNTLMTraffic: RestrictReceivingNTLMTraffic is a number (REG_DWORD), not a list`}},
		{"invalid-list-as-dword", []string{`:4: changes[0].set.ClientAllowedNTLMServers: ClientAllowedNTLMServers is a list (REG_MULTI_SZ), not a number`}},
		{"invalid-value", []string{`:4: changes[0].set.RestrictReceivingNTLMTraffic: 3 is not a valid value for RestrictReceivingNTLMTraffic`}},
		{"invalid-value-quoted", []string{`:4: changes[0].set.RestrictReceivingNTLMTraffic: must be a whole number, not text`}},
		{"invalid-add-dword", []string{`:4: changes[0].add.RestrictSendingNTLMTraffic: RestrictSendingNTLMTraffic is a number (REG_DWORD); add works only on lists`}},
		{"invalid-unknown-host", []string{`:2: changes[0].hosts[0]: unknown host "CORE09"`}},
		{"invalid-unknown-tag", []string{`:2: changes[0].tags[0]: no host carries the tag "site-z"`}},
		{"invalid-unknown-role", []string{`:2: changes[0].roles[0]: unknown role "agents"`}},
		{"invalid-no-match", []string{`:2: changes[0]: the selector matches no host in ../../examples/inventory.yaml`}},
		{"invalid-no-selector", []string{`:2: changes[0]: the change selects no hosts`}},
		{"invalid-no-action", []string{`:2: changes[0]: the change does nothing`}},
		{"invalid-dc-only", []string{`:4: changes[0].set.RestrictNTLMInDomain: RestrictNTLMInDomain is evaluated on domain controllers only, and the selector picks none`}},
		{"invalid-duplicate-setting", []string{`:6: changes[0].add.ClientAllowedNTLMServers: ClientAllowedNTLMServers is already changed on line 4 of this entry`}},
		{"invalid-unknown-key", []string{`:3: changes[0].sett: unknown key "sett"`}},
		{"invalid-no-changes", []string{`:1: the what-if file has no changes`}},
		{"invalid-empty-add", []string{`:4: changes[0].add.ClientAllowedNTLMServers: no entries to add`}},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		seen[tc.file] = true
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join("testdata", tc.file+".yaml")
			ov, err := Load(path, inv)
			if err == nil || ov != nil {
				t.Fatalf("Load(%s) = %v, %v; want only errors", path, ov, err)
			}
			checkProblems(t, err, path, tc.want)
		})
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "invalid-*.yaml"))
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".yaml"); !seen[name] {
			t.Errorf("%s has no entry in TestLoadInvalid", f)
		}
	}
}

func TestParseNeedsInventory(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte("changes: []\n"), "x.yaml", nil)
	if _, ok := inventory.AsValidationError(err); !ok {
		t.Fatalf("err = %v, want *ValidationError", err)
	}
}

func TestParseDefaultName(t *testing.T) {
	t.Parallel()
	ov, err := Parse([]byte("changes:\n  - hosts: CORE02\n    remove: [BlockNTLM]\n"), "/tmp/rollout-2026.yaml", demoInventory(t))
	if err != nil {
		t.Fatal(err)
	}
	if ov.Name != "rollout-2026" || ov.Changes[0].Setting != "BlockNTLM" || !ov.Changes[0].Remove {
		t.Errorf("overlay = %+v", ov)
	}
}

func TestSelectorMatches(t *testing.T) {
	t.Parallel()
	h := &inventory.Host{Name: "AGENT05", Role: inventory.RoleAgent, Tags: []string{"dmz"}}
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
		{"role", Selector{Roles: []inventory.Role{inventory.RoleAgent}}, true},
		{"and: role mismatch", Selector{Hosts: []string{"*"}, Roles: []inventory.Role{inventory.RoleCore}}, false},
		{"or within a list", Selector{Roles: []inventory.Role{inventory.RoleCore, inventory.RoleAgent}}, true},
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

// checkProblems compares a file's problems, rendered without their hints,
// with want (each prefixed with the file's path) and requires a hint on
// every one.
func checkProblems(t *testing.T, err error, path string, want []string) {
	t.Helper()
	var ve *inventory.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error is %T, want *inventory.ValidationError: %v", err, err)
	}
	var got []string
	for _, p := range ve.Problems {
		s := fmt.Sprintf("%s:%d: ", p.File, p.Line)
		if p.Field != "" {
			s += p.Field + ": "
		}
		got = append(got, s+p.Message)
		if p.Hint == "" {
			t.Errorf("problem without a hint: %s", p.Error())
		}
	}
	full := make([]string, len(want))
	for i, w := range want {
		full[i] = path + w
	}
	if strings.Join(got, "\n") != strings.Join(full, "\n") {
		t.Errorf("problems:\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(full, "\n      "))
	}
}
