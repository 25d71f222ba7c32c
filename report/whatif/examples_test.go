package whatif

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/inventory"
)

// The demo what-if file must load against the demo inventory, so it never
// rots.
func TestExampleLoads(t *testing.T) {
	t.Parallel()
	ov, err := Load(filepath.Join("..", "..", "examples", "assume.yaml"), demoInventory(t))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	// The demo overlay must change verdicts: deny incoming NTLM on every
	// agent, and add the IP CORE01 uses for AGENT02 to its exceptions.
	var sawDeny, sawException bool
	for _, c := range ov.Changes {
		switch {
		case c.Setting == "RestrictReceivingNTLMTraffic" && c.Set != nil && *c.Set.DWORD == 2 && len(c.Select.Roles) == 1 && c.Select.Roles[0] == inventory.RoleAgent:
			sawDeny = true
		case c.Setting == "ClientAllowedNTLMServers" && strings.Join(c.Add, ",") == "127.0.0.32" && strings.Join(c.Select.Hosts, ",") == "CORE01":
			sawException = true
		}
	}
	if !sawDeny || !sawException {
		t.Errorf("assume.yaml changes = %+v", ov.Changes)
	}
}
