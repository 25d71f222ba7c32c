package discovery

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// TestMergeKeepsEditsAndAddsWhatCoresList: a merge keeps the file's
// comments and entries, adds the Core's agents, shares and DCs with a note,
// writes a replication target it cannot identify as a comment, and loads.
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
		`# Replication listed by CORE01 (Get-ReplicatedServers; shape UNCONFIRMED): "AGENT01" to "dr-core.corp.example"; the listing has no target host name`,
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
	if got := strings.Join(kinds, " "); got != "agent-missing share-missing share-missing replication-missing" {
		t.Errorf("drift kinds %q:\n%v", got, drift)
	}
}

const replInventory = `defaults: {domain: corp.example, winrm: {credential: scan}}
credentials: {scan: {username: CORP\svc, password_env: P}}
domains: {corp.example: {netbios: CORP}}
cores:
  CORE01:
    account: CORP\svc-rr
    agents:
      - {agent: AGENT01, name: agent01.corp.example}
      - {agent: HV01, name: hv01.corp.example}
  CORE02:
    fqdn: core02.corp.example
    account: LocalSystem
agents:
  AGENT01: {}
  HV01: {fqdn: hv01.corp.example}
`

// TestMergeReplicationAndExports: replication targets the Core lists become
// replication: entries (an unknown target Core is added), Virtual Standby
// targets become an export share or a virtual-standby link; what the
// listing does not identify stays a comment, and each is reported as drift.
func TestMergeReplicationAndExports(t *testing.T) {
	for _, tc := range []struct {
		name        string
		replicated  []facts.Bag
		virtualized []facts.Bag
		wantRepl    []string // source target name port account
		wantOther   string   // a resolved entry that must exist, by describe()
		wantText    string
		wantDrift   string
	}{
		{name: "target is an inventory Core",
			replicated: []facts.Bag{{"DisplayName": "AGENT01", "TargetCore": "CORE02", "TargetCoreHostName": "core02.corp.example", "TargetCorePort": "8006", "TargetCoreUserName": `CORP\rr`}},
			wantRepl:   []string{`CORE01 CORE02 core02.corp.example 8006 CORP\rr`}, wantDrift: "replication-missing"},
		{name: "unknown target Core from a URI is added",
			replicated: []facts.Bag{{"DisplayName": "AGENT01", "TargetCore": "DR", "TargetCoreUri": "https://10.9.9.9:8010/apprecovery/api", "TargetUserName": `DR\rr`}},
			wantRepl:   []string{`CORE01 DR 10.9.9.9 8010 DR\rr`}, wantOther: "core DR 10.9.9.9",
			wantText: "# replication target of CORE01 (ntlmscan discover)", wantDrift: "replication-missing"},
		{name: "one target Core by two names: one entry",
			replicated: []facts.Bag{
				{"DisplayName": "AGENT01", "TargetCore": "CORE02", "TargetCoreHostName": "core02.corp.example", "TargetCoreUserName": `CORP\rr`},
				{"DisplayName": "HV01", "TargetCore": "CORE02", "TargetCoreHostName": "CORE02", "TargetCoreUserName": `CORP\rr`}},
			wantRepl: []string{`CORE01 CORE02 core02.corp.example 8006 CORP\rr`}, wantText: `CORE02 is also listed by name "core02.corp.example"`,
			wantDrift: "replication-missing replication-missing"},
		{name: "target is the Core itself",
			replicated: []facts.Bag{{"DisplayName": "AGENT01", "TargetCore": "CORE01", "TargetCoreHostName": "core01", "TargetCoreUserName": `CORP\rr`}},
			wantText:   "not written: the target is this Core itself", wantDrift: "replication-missing"},
		{name: "no user name: comment only",
			replicated: []facts.Bag{{"DisplayName": "AGENT01", "TargetCore": "CORE02", "TargetCoreHostName": "core02.corp.example"}},
			wantText:   "not written: the listing has no user name", wantDrift: "replication-missing"},
		{name: "no target host: comment only",
			replicated: []facts.Bag{{"DisplayName": "AGENT01", "TargetCore": "CORE02"}},
			wantText:   "the listing has no target host name", wantDrift: "replication-missing"},
		{name: "Virtual Standby to a share",
			virtualized: []facts.Bag{{"DisplayName": "AGENT01", "Target": `\\fs02.corp.example\vs\AGENT01`, "Type": "HyperV"}},
			wantOther:   `share export FS02 \\fs02.corp.example\vs\AGENT01 virtual-standby`, wantDrift: "share-missing"},
		{name: "Virtual Standby to a linked Hyper-V agent host",
			virtualized: []facts.Bag{{"DisplayName": "AGENT01", "Target": "hv01.corp.example", "Type": "Hyper-V"}},
			wantOther:   "agent HV01 hv01.corp.example protection,live-recovery,virtual-standby", wantDrift: "operations"},
		{name: "Virtual Standby to an unknown Hyper-V host",
			virtualized: []facts.Bag{{"DisplayName": "AGENT01", "Target": "hv09.corp.example", "Type": "HyperV"}},
			wantText:    "if the Hyper-V host runs the Rapid Recovery Agent, list it under agents:"},
		{name: "Virtual Standby to ESXi",
			virtualized: []facts.Bag{{"DisplayName": "AGENT01", "Target": "esx01.corp.example", "Type": "ESXi"}},
			wantText:    "AGENT01 -> esx01.corp.example (ESXi); not mapped"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := inventory.Parse([]byte(replInventory), "repl.yaml")
			if err != nil {
				t.Fatal(err)
			}
			r := &facts.DiscoverResponse{Protected: []facts.Bag{{"DisplayName": "AGENT01", "HostName": "agent01.corp.example"}, {"DisplayName": "HV01", "HostName": "hv01.corp.example"}},
				Replicated: tc.replicated, Virtualized: tc.virtualized}
			out, drift, err := Merge([]byte(replInventory), inv, []*Core{Read("CORE01", r)})
			if err != nil {
				t.Fatal(err)
			}
			merged, err := inventory.Parse(out, "merged.yaml")
			if err != nil {
				t.Fatalf("merged inventory does not load: %v\n%s", err, out)
			}
			var repl, other []string
			for _, c := range merged.Cores {
				other = append(other, "core "+c.Name+" "+c.Address)
				for _, l := range c.Replication {
					repl = append(repl, fmt.Sprintf("%s %s %s %d %s", c.Name, l.Target.Name, l.NameUsed, l.Port, l.Account.Name))
				}
				for _, l := range c.Agents {
					other = append(other, fmt.Sprintf("agent %s %s %s", l.Agent.Name, l.NameUsed, joinOps(l.Operations)))
				}
				for _, s := range c.Repositories {
					other = append(other, fmt.Sprintf("share %s %s %s %s", s.Kind, s.Host.Name, s.UNC, joinOps(s.Operations)))
				}
			}
			if !slices.Equal(repl, tc.wantRepl) {
				t.Errorf("replication %q, want %q\n%s", repl, tc.wantRepl, out)
			}
			if tc.wantOther != "" && !slices.Contains(other, tc.wantOther) {
				t.Errorf("no %q among %q\n%s", tc.wantOther, other, out)
			}
			if !strings.Contains(string(out), tc.wantText) {
				t.Errorf("output lacks %q:\n%s", tc.wantText, out)
			}
			var kinds []string
			for _, d := range drift {
				kinds = append(kinds, d.Kind)
			}
			if got := strings.Join(kinds, " "); got != tc.wantDrift {
				t.Errorf("drift %q, want %q: %v", got, tc.wantDrift, drift)
			}
		})
	}
}

func joinOps(ops []inventory.Operation) string {
	var s []string
	for _, o := range ops {
		s = append(s, string(o))
	}
	return strings.Join(s, ",")
}

// TestCompareReplicationUnlisted: scan's drift check (Compare) reports a
// replication entry the Core does not list, and one it lists that the
// inventory lacks, without changing anything.
func TestCompareReplicationUnlisted(t *testing.T) {
	src := strings.Replace(replInventory, "      - {agent: HV01, name: hv01.corp.example}\n",
		"      - {agent: HV01, name: hv01.corp.example}\n    replication:\n      - {core: CORE02, name: core02.corp.example, account: CORP\\rr}\n", 1)
	inv, err := inventory.Parse([]byte(src), "repl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := &facts.DiscoverResponse{Protected: []facts.Bag{{"DisplayName": "AGENT01", "HostName": "agent01.corp.example"}, {"DisplayName": "HV01", "HostName": "hv01.corp.example"}},
		Replicated: []facts.Bag{{"DisplayName": "AGENT01", "TargetCore": "DR", "TargetCoreHostName": "10.9.9.9", "TargetCoreUserName": `DR\rr`}}}
	var got []string
	for _, d := range Compare(inv, []*Core{Read("CORE01", r)}) {
		got = append(got, d.String())
	}
	want := []string{
		`CORE01: replication-missing: the Core replicates "AGENT01" to "DR" (name "10.9.9.9"), the inventory has no replication entry for it; the target Core is not under cores: (ntlmscan discover -i adds it)`,
		`CORE01: replication-not-listed: the inventory says this Core replicates to CORE02 by name "core02.corp.example" (line 11); the Core lists no machine replicated there (remove the entry, or check the replication)`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("drift\n got %q\nwant %q", got, want)
	}
}

// TestMergeReplicationRename: an entry whose name is not the one the Core
// uses is corrected (the old name in a comment) and reported as name-form;
// a different user is reported as account drift.
func TestMergeReplicationRename(t *testing.T) {
	src := strings.Replace(replInventory, "      - {agent: HV01, name: hv01.corp.example}\n",
		"      - {agent: HV01, name: hv01.corp.example}\n    replication:\n      - {core: CORE02, name: core02.corp.example, account: CORP\\rr}\n", 1)
	inv, err := inventory.Parse([]byte(src), "repl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := &facts.DiscoverResponse{Protected: []facts.Bag{{"DisplayName": "AGENT01", "HostName": "agent01.corp.example"}, {"DisplayName": "HV01", "HostName": "hv01.corp.example"}},
		Replicated: []facts.Bag{{"DisplayName": "AGENT01", "TargetCore": "CORE02", "TargetCoreHostName": "CORE02", "TargetCoreUserName": `CORP\other`}}}
	out, drift, err := Merge([]byte(src), inv, []*Core{Read("CORE01", r)})
	if err != nil {
		t.Fatal(err)
	}
	merged, err := inventory.Parse(out, "merged.yaml")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if l := merged.Cores[0].Replication; len(l) != 1 || l[0].NameUsed != "CORE02" || !strings.Contains(string(out), "# was core02.corp.example") {
		t.Errorf("replication not renamed:\n%s", out)
	}
	var kinds []string
	for _, d := range drift {
		kinds = append(kinds, d.Kind)
	}
	if got := strings.Join(kinds, " "); got != "name-form account" {
		t.Errorf("drift %q: %v", got, drift)
	}
}
