package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/examples"
	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

// discoverSeed is an inventory with only what discover needs to reach the
// demo's Cores: the credential, the domain's NetBIOS name and the Cores.
const discoverSeed = `version: 1
defaults:
  domain: corp.example
  winrm:
    credential: scan
credentials:
  scan:
    username: CORP\svc-ntlmscan
    password_env: NTLMSCAN_PASSWORD
domains:
  corp.example:
    netbios: CORP
cores:
  CORE01:
    fqdn: core01.corp.example
    address: 127.0.0.21
    account: CORP\svc-rapidrecovery
  CORE02:
    fqdn: core02.corp.example
    address: 127.0.0.22
    account: LocalSystem
`

// linkKey is what a Core->agent or Core->share link must reproduce.
func links(inv *inventory.Inventory) []string {
	var out []string
	for _, c := range inv.Cores {
		for _, l := range c.Agents {
			acct := ""
			if l.AccountOverride {
				acct = l.Account.Name
			}
			out = append(out, strings.Join([]string{c.Name, "agent", l.Agent.Name, l.NameUsed, acct}, " "))
		}
		for _, r := range c.Repositories {
			out = append(out, strings.Join([]string{c.Name, r.Kind, r.Name, r.UNC, r.Host.Name, r.Account.Name}, " "))
		}
	}
	slices.Sort(out)
	return out
}

func hostNames(inv *inventory.Inventory) []string {
	var out []string
	for _, h := range inv.Hosts {
		out = append(out, string(h.Role)+" "+h.Name)
	}
	slices.Sort(out)
	return out
}

func discoverLab(t *testing.T, seed string, edit func(*winrmtest.Lab)) (invPath string, env map[string]string) {
	t.Helper()
	lab, err := winrmtest.ParseLab(examples.DemoLab, "lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(lab)
	}
	invPath, _, env = labFleet(t, lab, []byte(seed))
	return invPath, env
}

// TestDiscoverReproducesDemoInventory: discover against the demo lab, from
// an inventory holding only the Cores, gives examples/inventory.yaml's hosts
// and Core->agent and Core->share links with the names the Cores use.
func TestDiscoverReproducesDemoInventory(t *testing.T) {
	t.Parallel()
	seedPath, env := discoverLab(t, discoverSeed, nil)
	out := filepath.Join(t.TempDir(), "discovered.yaml")
	r := run(t, env, "discover", "-i", seedPath, "-o", out)
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	got, err := inventory.Load(out)
	if err != nil {
		t.Fatalf("discovered inventory does not validate: %v", err)
	}
	want, err := inventory.Parse(examples.DemoInventory, "examples/inventory.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if g, w := hostNames(got), hostNames(want); !slices.Equal(g, w) {
		t.Errorf("hosts:\n got %q\nwant %q", g, w)
	}
	if g, w := links(got), links(want); !slices.Equal(g, w) {
		t.Errorf("links:\n got %q\nwant %q", strings.Join(g, "\n     "), strings.Join(w, "\n     "))
	}
	// Every link is new to the seed: drift says so.
	if !strings.Contains(r.stderr, "drift: CORE01: agent-missing") {
		t.Errorf("no drift reported for the seed's missing agents:\n%s", r.stderr)
	}
	data, _ := os.ReadFile(out)
	if !strings.Contains(string(data), "(ntlmscan discover)") {
		t.Errorf("added entries carry no comment:\n%s", data)
	}
}

// TestDiscoverDrift: a stale inventory (a link the Core lacks, an agent by
// the wrong name form, an agent missing) is reported, its edits are kept,
// and the output uses the Core's names.
func TestDiscoverDrift(t *testing.T) {
	t.Parallel()
	stale := string(examples.DemoInventory)
	for _, e := range [][2]string{
		{"      - agent: AGENT02\n        name: 127.0.0.32          # added by IP address: NTLM is required\n",
			"      - agent: AGENT02\n        name: agent02.corp.example\n      - agent: AGENT06\n        name: agent06.corp.example\n"},
		{"      - agent: AGENT07\n        name: agent07.corp.example\n", ""},
	} {
		if !strings.Contains(stale, e[0]) {
			t.Fatalf("examples/inventory.yaml changed: %q not found", e[0])
		}
		stale = strings.Replace(stale, e[0], e[1], 1)
	}
	seedPath, env := discoverLab(t, stale, nil)
	out := filepath.Join(t.TempDir(), "merged.yaml")
	r := run(t, env, "discover", "-i", seedPath, "-o", out)
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	for _, want := range []string{
		`drift: CORE01: name-form: agent AGENT02: the inventory has name "agent02.corp.example" (fqdn), the Core connects to "127.0.0.32" (IP address: NTLM only)`,
		`drift: CORE01: agent-not-protected: the inventory says this Core protects AGENT06 by name "agent06.corp.example"`,
		`drift: CORE02: agent-missing: the Core protects "AGENT07" (name "agent07.corp.example")`,
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	merged, err := inventory.Parse(data, "merged.yaml")
	if err != nil {
		t.Fatalf("merged inventory does not validate: %v\n%s", err, data)
	}
	for _, want := range []string{"agent03-local:", "tags:\n      - dmz", "# was agent02.corp.example"} {
		if !strings.Contains(string(data), want) && !strings.Contains(string(data), strings.ReplaceAll(want, "\n      - dmz", " [dmz]")) {
			t.Errorf("merged inventory lost %q:\n%s", want, data)
		}
	}
	core02 := merged.Cores[1]
	if !slices.ContainsFunc(core02.Agents, func(l *inventory.AgentLink) bool { return l.Agent.Name == "AGENT07" }) {
		t.Errorf("AGENT07 not linked to CORE02 in the merge")
	}
}

// TestDiscoverModuleMissing: a Core without the module gets its class and
// hint; the other Core is still used and the run says some failed.
func TestDiscoverModuleMissing(t *testing.T) {
	t.Parallel()
	seedPath, env := discoverLab(t, discoverSeed, func(l *winrmtest.Lab) {
		for _, h := range l.Hosts {
			if h.Name == "CORE02" {
				h.RapidRecovery.ModuleAbsent = true
			}
		}
	})
	out := filepath.Join(t.TempDir(), "discovered.yaml")
	r := run(t, env, "discover", "-i", seedPath, "-o", out)
	if r.code != ExitHostsFailed {
		t.Fatalf("exit %d, want %d\nstderr:\n%s", r.code, ExitHostsFailed, r.stderr)
	}
	if !strings.Contains(r.stderr, "CORE02: rr-module-missing: Import-Module RapidRecoveryPowerShellModule failed on the Core") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	got, err := inventory.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if got.HostByName("AGENT01") == nil || got.HostByName("AGENT07") != nil {
		t.Errorf("want CORE01's agents only: %q", hostNames(got))
	}
}

// TestDiscoverWithoutInventory: from a Core's address and an account alone,
// discover writes an inventory that validates, with the Core's name, its
// domain and DCs, agents and shares.
func TestDiscoverWithoutInventory(t *testing.T) {
	t.Parallel()
	lab, err := winrmtest.ParseLab(examples.DemoLab, "lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, srv, env := labFleet(t, lab, []byte(discoverSeed))
	ep, _ := srv.Host("CORE01")
	out := filepath.Join(t.TempDir(), "fresh.yaml")
	r := run(t, env, "discover", "--core", ep.Address, "--winrm-port", strconv.Itoa(ep.HTTPPort),
		"--username", `CORP\svc-ntlmscan`, "-o", out, "--log-level", "debug")
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	got, err := inventory.Load(out)
	if err != nil {
		data, _ := os.ReadFile(out)
		t.Fatalf("%v\n%s", err, data)
	}
	want := []string{"agent AGENT01", "agent AGENT02", "agent AGENT04", "agent AGENT05", "core CORE01",
		"domain-controller DC01", "domain-controller DC02", "repository-host FS01"}
	if g := hostNames(got); !slices.Equal(g, want) {
		t.Errorf("hosts %q, want %q", g, want)
	}
	if c := got.Cores[0]; c.Account.Name != `CORP\svc-rapidrecovery` || c.Address != ep.Address {
		t.Errorf("core %s account %q address %q", c.Name, c.Account.Name, c.Address)
	}
	if strings.Contains(r.stderr, "drift:") {
		t.Errorf("a new inventory has no drift to report:\n%s", r.stderr)
	}
	// The debug log shows the module's property names (never values).
	if !strings.Contains(r.stderr, "cmdlet=Get-ProtectedServers objects=4 properties=DisplayName,HostName,Port,UserName") {
		t.Errorf("debug log lacks the property names:\n%s", r.stderr)
	}
}

// TestValidateWarnings: validate prints lint warnings and stale waivers on
// stderr with file:line, and still exits 0.
func TestValidateWarnings(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	inv := filepath.Join(dir, "inv.yaml")
	// AGENT08 lands under agents:, before repository_hosts:.
	text := strings.Replace(string(examples.DemoInventory), "\n# Machines behind the repository and archive shares.\n",
		"  AGENT08:\n    address: 127.0.0.38\n\n# Machines behind the repository and archive shares.\n", 1)
	if err := os.WriteFile(inv, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	waivers := filepath.Join(dir, "waivers.yaml")
	os.WriteFile(waivers, []byte("waivers:\n  - {core: CORE09, target: AGENT01, owner: a, reason: r, expires: 2027-01-01}\n"), 0o600)
	r := run(t, nil, "validate", "-i", inv, "--waivers", waivers)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"inv.yaml:", ": warning: agents.AGENT08: agent AGENT08 is protected by no Core", `waivers.yaml:2: warning: waiver core=CORE09 target=AGENT01: the inventory has no Core "CORE09"`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}
