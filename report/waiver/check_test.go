package waiver

import (
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/examples"
	"github.com/ntlmscan/ntlmscan/inventory"
)

// TestCheckAgainstInventory: waivers naming an unknown Core, host or path
// are warned about with their line; the others are not.
func TestCheckAgainstInventory(t *testing.T) {
	inv, err := inventory.Parse(examples.DemoInventory, "inventory.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(strings.NewReader(`waivers:
  - {path: "CORE02|share|NAS01|nas01", owner: a, reason: r, expires: 2027-12-31}
  - {core: CORE01, target: AGENT02, owner: a, reason: r, expires: 2027-12-31}
  - {core: CORE09, target: AGENT02, owner: a, reason: r, expires: 2027-12-31}
  - {core: CORE01, target: AGENT99, owner: a, reason: r, expires: 2027-12-31}
  - {path: "CORE01|agent|AGENT02|agent02.corp.example", owner: a, reason: r, expires: 2027-12-31}
`), "waivers.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got := Check(f, inv)
	want := []string{
		`waivers.yaml:4: warning: waiver core=CORE09 target=AGENT02: the inventory has no Core "CORE09"`,
		`waivers.yaml:5: warning: waiver core=CORE01 target=AGENT99: the inventory has no host "AGENT99"`,
		`waivers.yaml:6: warning: waiver CORE01|agent|AGENT02|agent02.corp.example: CORE01 has no such path`,
	}
	if len(got) != len(want) {
		t.Fatalf("got %d warnings, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("warning %d:\n got %s\nwant %s...", i, got[i], want[i])
		}
	}
}
