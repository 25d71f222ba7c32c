package collect

import (
	"reflect"
	"testing"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

func TestBuildRequest(t *testing.T) {
	core := &inventory.Host{Name: "CORE01", Role: inventory.RoleCore, Scan: true}
	core2 := &inventory.Host{Name: "CORE02", Role: inventory.RoleCore, Scan: true}
	a1 := &inventory.Host{Name: "AGENT01", FQDN: "agent01.corp.example", Address: "10.0.0.31"}
	a2 := &inventory.Host{Name: "AGENT02", Address: "10.0.0.32"}
	fs := &inventory.Host{Name: "FS01"}
	inv := &inventory.Inventory{Hosts: []*inventory.Host{core, core2, a1, a2, fs}}
	c1 := &inventory.Core{Host: core}
	c1.Agents = []*inventory.AgentLink{
		{Core: c1, Agent: a1, NameUsed: "agent01.corp.example", Port: 8006},
		{Core: c1, Agent: a2, NameUsed: "10.0.0.32", Port: 9006},
		{Core: c1, Agent: a1, NameUsed: "AGENT01.corp.example"}, // same name twice: one probe, default port
		{Core: c1, Agent: a2}, // no name used: the agent's FQDN/address
	}
	c1.Repositories = []*inventory.Repository{
		{Name: "repo", UNC: `\\fs01.corp.example\RRRepo`, Server: "fs01.corp.example", Host: fs},
		{Name: "archive", UNC: `\\agent01.corp.example\arch`}, // server from the UNC path; merges with the agent probe
	}
	c2 := &inventory.Core{Host: core2, ServiceNames: []string{"AppAssureCore", " ", "appassurecore", "RapidRecoveryCore"}}
	inv.Cores = []*inventory.Core{c1, c2}
	// Replication targets are probed from the source Core on the target
	// Core's port; a name the Core also uses for an agent merges.
	c1.Replication = []*inventory.ReplicationLink{
		{Source: c1, Target: c2, NameUsed: "10.0.0.23", Port: 8006},
		{Source: c1, Target: c2, NameUsed: "10.0.0.32", Port: 8007},
	}
	c2.Replication = []*inventory.ReplicationLink{{Source: c2, Target: c1, NameUsed: "core01.corp.example"}}

	catalogue := make([]facts.RegistryKey, len(facts.Settings))
	for i := range facts.Settings {
		catalogue[i] = facts.Settings[i].RegistryKey()
	}
	tests := []struct {
		name         string
		host         *inventory.Host
		wantServices []string
		wantProbes   []facts.Probe
	}{
		{name: "agent: settings and SMB only", host: a1},
		{name: "core: service and probes", host: core, wantServices: []string{"RapidRecoveryCore"},
			wantProbes: []facts.Probe{
				{Target: "agent01.corp.example", Ports: []int{445, 8006}},
				{Target: "10.0.0.32", Ports: []int{445, 9006, 8006, 8007}},
				{Target: "fs01.corp.example", Ports: []int{445}},
				{Target: "10.0.0.23", Ports: []int{8006}},
			}},
		{name: "core replicating only: custom services deduplicated", host: core2, wantServices: []string{"AppAssureCore", "RapidRecoveryCore"},
			wantProbes: []facts.Probe{{Target: "core01.corp.example", Ports: []int{8006}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := BuildRequest(inv, tc.host)
			if req.Schema != facts.SchemaVersion || !req.SMBClientConfig {
				t.Fatalf("schema %d, smb %v", req.Schema, req.SMBClientConfig)
			}
			if !reflect.DeepEqual(req.Registry, catalogue) {
				t.Fatalf("registry keys differ from the catalogue:\n%v\n%v", req.Registry, catalogue)
			}
			if !reflect.DeepEqual(req.Services, tc.wantServices) {
				t.Errorf("services %q, want %q", req.Services, tc.wantServices)
			}
			// In the Core case: a2 without NameUsed falls back to its
			// address and merges; the archive on agent01 merges too.
			if !reflect.DeepEqual(req.Probes, tc.wantProbes) {
				t.Errorf("probes %+v, want %+v", req.Probes, tc.wantProbes)
			}
			if (len(req.Probes) > 0) != (req.ProbeTimeoutMS > 0) {
				t.Errorf("probe timeout %d with %d probes", req.ProbeTimeoutMS, len(req.Probes))
			}
		})
	}
}
