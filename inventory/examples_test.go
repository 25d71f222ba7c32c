package inventory

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Every example file must load, so none rots.
func TestExamplesLoad(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"inventory.yaml", "estate.yaml"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			inv, err := Load(filepath.Join("..", "examples", name))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if len(inv.Cores) == 0 || len(inv.ScannedHosts()) == 0 {
				t.Errorf("example has no cores or no scanned hosts: %s", inv.Summary())
			}
		})
	}
}

// The demo inventory must describe the demo fleet of examples/lab.yaml
// exactly: the simulator lab and the inventory are two views of one estate.
func TestDemoInventoryMatchesFleet(t *testing.T) {
	t.Parallel()
	inv := demoInventory(t)
	type host struct {
		name, fqdn, address string
		role                Role
		domain, workgroup   string
		scan                bool
		credential          string
	}
	hosts := []host{
		{"DC01", "dc01.corp.example", "127.0.0.11", RoleDomainController, "corp.example", "", true, "scan"},
		{"DC02", "dc02.corp.example", "127.0.0.12", RoleDomainController, "corp.example", "", true, "scan"},
		{"CORE01", "core01.corp.example", "127.0.0.21", RoleCore, "corp.example", "", true, "scan"},
		{"CORE02", "core02.corp.example", "127.0.0.22", RoleCore, "corp.example", "", true, "scan"},
		{"CORE03", "", "127.0.0.23", RoleCore, "", "DR", true, "core03-local"},
		{"AGENT01", "agent01.corp.example", "127.0.0.31", RoleAgent, "corp.example", "", true, "scan"},
		{"AGENT02", "agent02.corp.example", "127.0.0.32", RoleAgent, "corp.example", "", true, "scan"},
		{"AGENT03", "agent03.corp.example", "127.0.0.33", RoleAgent, "corp.example", "", true, "agent03-local"},
		{"AGENT04", "agent04.corp.example", "127.0.0.34", RoleAgent, "corp.example", "", true, "scan"},
		{"AGENT05", "", "127.0.0.35", RoleAgent, "", "DMZ", true, "agent05-local"},
		{"AGENT06", "agent06.corp.example", "127.0.0.36", RoleAgent, "corp.example", "", true, "scan"},
		{"AGENT07", "agent07.corp.example", "127.0.0.37", RoleAgent, "corp.example", "", true, "scan"},
		{"FS01", "fs01.corp.example", "127.0.0.41", RoleRepositoryHost, "corp.example", "", true, "scan"},
		{"NAS01", "", "127.0.0.42", RoleRepositoryHost, "", "WORKGROUP", false, ""},
	}
	if len(inv.Hosts) != len(hosts) {
		t.Errorf("%d hosts, want %d", len(inv.Hosts), len(hosts))
	}
	for _, w := range hosts {
		h := inv.HostByName(w.name)
		if h == nil {
			t.Errorf("%s missing", w.name)
			continue
		}
		cred := ""
		if h.WinRM.Credential != nil {
			cred = h.WinRM.Credential.Name
		}
		got := host{h.Name, h.FQDN, h.Address, h.Role, h.Domain, h.Workgroup, h.Scan, cred}
		if got != w {
			t.Errorf("%s = %+v\nwant %+v", w.name, got, w)
		}
		if h.NetBIOS != w.name {
			t.Errorf("%s NetBIOS = %q", w.name, h.NetBIOS)
		}
		if h.Scan && (h.WinRM.Port != 5985 || h.WinRM.HTTPS || h.WinRM.Transport != TransportNTLM) {
			t.Errorf("%s WinRM = %+v, want ntlm over HTTP 5985", w.name, h.WinRM)
		}
	}
	creds := map[string][2]string{
		"scan":          {`CORP\svc-ntlmscan`, "NTLMSCAN_PASSWORD"},
		"agent03-local": {`AGENT03\ntlmscan-local`, "NTLMSCAN_AGENT03_PASSWORD"},
		"agent05-local": {`AGENT05\ntlmscan-local`, "NTLMSCAN_AGENT05_PASSWORD"},
		"core03-local":  {`CORE03\ntlmscan-local`, "NTLMSCAN_CORE03_PASSWORD"},
	}
	for name, w := range creds {
		c := inv.Credentials[name]
		if c == nil || c.Username != w[0] || c.PasswordEnv != w[1] || c.PasswordFile != "" {
			t.Errorf("credential %s = %+v", name, c)
		}
	}
	corp := inv.DomainByName("CORP")
	if corp == nil || corp.Name != "corp.example" || len(corp.Controllers) != 2 || corp.Controllers[0].Name != "DC01" || corp.Controllers[1].Name != "DC02" {
		t.Errorf("domain corp.example = %+v", corp)
	}
	if nas := inv.HostByName("NAS01"); nas.Described == nil || nas.Described.Platform != "nas" {
		t.Errorf("NAS01 described = %+v", nas.Described)
	}

	var links []string
	for _, c := range inv.Cores {
		links = append(links, fmt.Sprintf("%s account %s %s", c.Name, c.Account.Kind, c.Account.Name))
		for _, l := range c.Agents {
			links = append(links, fmt.Sprintf("%s -> %s as %s:%d (%s) account %s %s", c.Name, l.Agent.Name, l.NameUsed, l.Port, ClassifyName(l.Agent, l.NameUsed), l.Account.Kind, l.Account.Name))
		}
		for _, r := range c.Repositories {
			links = append(links, fmt.Sprintf("%s => %s %s on %s account %s %s", c.Name, r.Kind, r.UNC, r.Host.Name, r.Account.Kind, r.Account.Name))
		}
		for _, l := range c.Replication {
			links = append(links, fmt.Sprintf("%s ~> %s as %s:%d (%s) account %s %s", c.Name, l.Target.Name, l.NameUsed, l.Port, ClassifyName(l.Target.Host, l.NameUsed), l.Account.Kind, l.Account.Name))
		}
	}
	want := []string{
		`CORE01 account domain CORP\svc-rapidrecovery`,
		`CORE01 -> AGENT01 as agent01.corp.example:8006 (fqdn) account domain CORP\svc-rapidrecovery`,
		`CORE01 -> AGENT02 as 127.0.0.32:8006 (ip) account domain CORP\svc-rapidrecovery`,
		`CORE01 -> AGENT04 as agent04.corp.example:8006 (fqdn) account domain CORP\svc-rapidrecovery`,
		`CORE01 -> AGENT05 as 127.0.0.35:8006 (ip) account local AGENT05\rr-local`,
		`CORE01 => repository \\fs01.corp.example\RRRepo on FS01 account domain CORP\svc-rapidrecovery`,
		`CORE01 ~> CORE03 as 127.0.0.23:8006 (ip) account local CORE03\rr-replication`,
		`CORE02 account localsystem LocalSystem`,
		`CORE02 -> AGENT03 as 127.0.0.33:8006 (ip) account localsystem LocalSystem`,
		`CORE02 -> AGENT04 as 127.0.0.34:8006 (ip) account localsystem LocalSystem`,
		`CORE02 -> AGENT06 as agent06.corp.example:8006 (fqdn) account localsystem LocalSystem`,
		`CORE02 -> AGENT07 as agent07.corp.example:8006 (fqdn) account localsystem LocalSystem`,
		`CORE02 => repository \\fs01.corp.example\RRRepo2 on FS01 account localsystem LocalSystem`,
		`CORE02 => archive \\nas01\rr-archive on NAS01 account local NAS01\rrbackup`,
		`CORE03 account localsystem LocalSystem`,
	}
	if strings.Join(links, "\n") != strings.Join(want, "\n") {
		t.Errorf("paths:\n got: %s\nwant: %s", strings.Join(links, "\n      "), strings.Join(want, "\n      "))
	}
	if inv.Cores[1].Account.Domain != "corp.example" {
		t.Errorf("CORE02 LocalSystem domain = %q (it presents CORP\\CORE02$)", inv.Cores[1].Account.Domain)
	}
}

func TestEstateExample(t *testing.T) {
	t.Parallel()
	inv, err := Load(filepath.Join("..", "examples", "estate.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := inv.Summary()
	if s.Cores != 2 || s.Agents < 8 || s.Domains != 2 || s.DomainControllers != 4 || s.Described != 1 {
		t.Errorf("summary = %s", s)
	}
	// Site B uses HTTPS with the internal CA; site A plain HTTP.
	for _, h := range inv.Hosts {
		if !h.Scan {
			continue
		}
		switch {
		case h.HasTag("site-b"):
			if !h.WinRM.HTTPS || h.WinRM.Port != 5986 || h.WinRM.CAFile == "" || h.WinRM.InsecureSkipVerify {
				t.Errorf("%s (site-b) WinRM = %+v", h.Name, h.WinRM)
			}
		case h.HasTag("site-a"):
			if h.WinRM.HTTPS || h.WinRM.Port != 5985 {
				t.Errorf("%s (site-a) WinRM = %+v", h.Name, h.WinRM)
			}
		}
	}
	var ipLinks, localLinks int
	for _, c := range inv.Cores {
		for _, l := range c.Agents {
			if IsIPAddress(l.NameUsed) {
				ipLinks++
			}
			if l.Account.Kind == AccountLocal {
				localLinks++
			}
		}
	}
	if ipLinks < 2 || localLinks != 1 {
		t.Errorf("estate has %d agents by IP and %d local-account links", ipLinks, localLinks)
	}
	// The Virtual Standby and export targets, and the replication.
	var standbyLinks, exportShares int
	for _, c := range inv.Cores {
		for _, l := range c.Agents {
			if slices.Contains(l.Ops(), OpVirtualStandby) {
				standbyLinks++
			}
		}
		for _, r := range c.Repositories {
			if r.Kind == "export" && slices.Contains(r.Ops(), OpVirtualStandby) {
				exportShares++
			}
		}
	}
	if standbyLinks != 1 || exportShares != 1 || s.ReplicationPaths != 1 || inv.Cores[0].Replication[0].Target != inv.Cores[1] {
		t.Errorf("estate has %d Virtual Standby hosts, %d export shares, %d replications", standbyLinks, exportShares, s.ReplicationPaths)
	}
}

func ExampleParse() {
	const file = `defaults:
  domain: corp.example
  winrm: {credential: scan}
credentials:
  scan: {username: CORP\svc-ntlmscan, password_env: NTLMSCAN_PASSWORD}
domains:
  corp.example: {netbios: CORP}
cores:
  CORE01:
    account: CORP\svc-rapidrecovery
    agents:
      - {agent: AGENT01, name: 10.0.0.31}
agents:
  AGENT01: {address: 10.0.0.31}
`
	inv, err := Parse([]byte(file), "inventory.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(inv.Summary())
	link := inv.Cores[0].Agents[0]
	fmt.Println(link.Core.Name, "->", link.Agent.Name, "named", ClassifyName(link.Agent, link.NameUsed), "port", link.Port)
	// Output:
	// 1 core, 1 agent, 0 repository hosts, 0 domain controllers (1 domain); 0 repositories; 1 path (1 agent, 0 share); 2 hosts to scan
	// CORE01 -> AGENT01 named ip port 8006
}

func ExampleParse_errors() {
	const file = `cores:
  CORE01:
    adress: 10.0.0.21
    account: CORP\svc-rr
credentials:
  scan: {username: CORP\svc-ntlmscan, password: hunter2}
`
	_, err := Parse([]byte(file), "inventory.yaml")
	fmt.Println(err)
	// Output:
	// inventory.yaml:3: cores.CORE01.adress: unknown key "adress" (did you mean "address"?)
	// inventory.yaml:4: cores.CORE01.account: account "CORP\svc-rr": "CORP" is neither a listed domain nor the computer name of CORE01 (list the domain under domains: with netbios: CORP, write the account as user@dns.domain, or write CORE01\user for a local account on CORE01)
	// inventory.yaml:6: credentials.scan.password: key "password" is not allowed (never put secrets in the inventory: use password_env: VARIABLE or password_file: /path/to/file in a credential)
}

func demoInventory(t *testing.T) *Inventory {
	t.Helper()
	inv, err := Load(filepath.Join("..", "examples", "inventory.yaml"))
	if err != nil {
		t.Fatalf("load demo inventory: %v", err)
	}
	return inv
}
