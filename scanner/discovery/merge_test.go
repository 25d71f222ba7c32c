package discovery

import (
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// TestMergeKeepsEditsAndAddsWhatCoresList: a merge keeps the file's
// comments and entries, adds the Core's agents, shares and DCs with a note,
// writes replication as a comment, and loads.
func TestMergeKeepsEditsAndAddsWhatCoresList(t *testing.T) {
	r, err := facts.ParseDiscover(readTestdata(t, "core01.out"))
	if err != nil {
		t.Fatal(err)
	}
	c := Read("CORE01", r)
	src := "# my estate, keep this\n" + tinyInventory
	inv, err := inventory.Parse([]byte(src), "tiny.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, drift, err := Merge([]byte(src), inv, []*Core{c})
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	for _, want := range []string{
		"# my estate, keep this",
		"# Replication listed by CORE01 (Get-ReplicatedServers; shape UNCONFIRMED):",
		"AGENT01 -> dr-core.corp.example",
		"# Virtual Standby listed by CORE01 (Get-VirtualizedServers; shape UNCONFIRMED):",
		"AGENT02 -> hv01.corp.example (HyperV)",
		"# protected by CORE01 (ntlmscan discover)",
		"# UNCONFIRMED: the Core did not report the share's account",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	merged, err := inventory.Parse(out, "merged.yaml")
	if err != nil {
		t.Fatalf("merged inventory does not load: %v\n%s", err, text)
	}
	core := merged.Cores[0]
	if len(core.Agents) != 2 || core.Agents[1].Agent.Name != "AGENT02" || core.Agents[1].NameUsed != "10.0.0.32" || core.Agents[1].Agent.Address != "10.0.0.32" {
		t.Errorf("links %+v", core.Agents)
	}
	if len(core.Repositories) != 2 || core.Repositories[1].Kind != "archive" || core.Repositories[1].Host.Name != "NAS01" {
		t.Errorf("repositories %+v", core.Repositories)
	}
	if dc := merged.HostByName("DC01"); dc == nil || dc.Role != inventory.RoleDomainController || dc.FQDN != "dc01.corp.example" {
		t.Errorf("DC01 %+v", dc)
	}
	var kinds []string
	for _, d := range drift {
		kinds = append(kinds, d.Kind)
	}
	if got := strings.Join(kinds, " "); got != "agent-missing share-missing share-missing" {
		t.Errorf("drift kinds %q:\n%v", got, drift)
	}
}
