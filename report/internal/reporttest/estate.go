package reporttest

import (
	"fmt"
	"strings"
	"time"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/verdict"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// Estate returns the report of a generated estate of about hosts hosts,
// judged by the real verdict engine, for tests that need a big realistic
// report (size bounds, the browser test, per-Core summaries). The mix is
// what a hardened estate in the middle of a rollout looks like:
//   - two Cores in three deny outgoing NTLM with an exception list that
//     names most of their agents named by IP address (so those named by
//     FQDN are at risk if Kerberos falls back), the third audits;
//   - one agent in 37 denies incoming NTLM (blocked when NTLM is needed);
//   - agents are named by IP address (NTLM required) one in three, else by
//     FQDN (Kerberos expected);
//   - one agent in 23 fails the Core's TCP probe (unreachable), one in 41
//     could not be scanned (a host error);
//   - one repository host per 50 hosts, a share on it for each Core, one in
//     four repository hosts requiring SMB signing with NTLM audited;
//   - agents carry a site tag (site-a, site-b, dmz) and Cores an NTLM
//     event or two so evidence states vary.
//
// The output is deterministic for a given hosts.
func Estate(hosts int) *report.Report {
	inv, results := estateFacts(hosts)
	m := verdict.Evaluate(inv, results, nil, verdict.Options{})
	return &report.Report{
		Kind:        report.Kind,
		Schema:      report.SchemaVersion,
		RunID:       fmt.Sprintf("20261124T020000Z-e%d", hosts),
		GeneratedAt: Now(),
		ToolVersion: "0.1.0-test",
		Inventory:   inv.File,
		Options:     report.Options{FailOn: report.FailOnBlocked},
		Hosts:       results,
		Matrix:      *m,
	}
}

// EstateInventory returns the inventory and facts behind Estate, for tests
// that judge or filter themselves.
func EstateInventory(hosts int) (*inventory.Inventory, []facts.HostResult) {
	return estateFacts(hosts)
}

func estateFacts(hosts int) (*inventory.Inventory, []facts.HostResult) {
	inv := &inventory.Inventory{File: fmt.Sprintf("estate-%d.yaml", hosts)}
	dom := &inventory.Domain{Name: "corp.example", NetBIOS: "CORP", Line: 1}
	inv.Domains = append(inv.Domains, dom)
	var results []facts.HostResult
	started := Now().Add(-10 * time.Minute)
	line := 2
	add := func(name string, role inventory.Role, domainRole int, tags ...string) (*inventory.Host, *facts.HostResult) {
		lower := strings.ToLower(name)
		h := &inventory.Host{Name: name, Role: role, NetBIOS: name, FQDN: lower + ".corp.example", Domain: "corp.example",
			Scan: true, Address: lower + ".corp.example", Tags: tags, Line: line}
		line++
		inv.Hosts = append(inv.Hosts, h)
		id := facts.Identity{NetBIOSName: name, DNSHostName: lower, Domain: "corp.example", PartOfDomain: true,
			DomainRole: domainRole, OSBuild: 20348}
		resp := &facts.Response{Schema: facts.SchemaVersion, Identity: id}
		for _, s := range facts.Settings {
			resp.Registry = append(resp.Registry, facts.RegistryValue{RegistryKey: s.RegistryKey()})
		}
		results = append(results, facts.HostResult{Host: name, Address: h.Address, Facts: resp, Attempts: 1,
			StartedAt: started, Duration: 1200 * time.Millisecond, RoundTrips: 7, Auth: "ntlm", Tags: tags})
		return h, &results[len(results)-1]
	}
	// results grows while hosts are added: set values through the index.
	set := func(i int, id string, v facts.RegistryValue) {
		rv := facts.SettingByID(id).Lookup(results[i].Facts)
		v.RegistryKey = rv.RegistryKey
		*rv = v
	}
	dword := func(n uint64) facts.RegistryValue {
		return facts.RegistryValue{Present: true, Type: facts.RegDWORD, DWORD: &n}
	}

	for i := range 2 {
		h, _ := add(fmt.Sprintf("DC%02d", i+1), inventory.RoleDomainController, facts.RoleBackupDC)
		dom.Controllers = append(dom.Controllers, h)
	}

	cores := max(2, hosts/100)
	repos := max(1, hosts/50)
	type coreAt struct {
		core *inventory.Core
		idx  int // index in results
		deny bool
	}
	var coreList []coreAt
	for c := range cores {
		h, _ := add(fmt.Sprintf("CORE%02d", c+1), inventory.RoleCore, facts.RoleMemberServer)
		core := &inventory.Core{Host: h, Account: inventory.Account{Kind: inventory.AccountDomain, Name: `CORP\svc-rr`, Domain: "corp.example"}}
		inv.Cores = append(inv.Cores, core)
		idx := len(results) - 1
		switch c % 3 {
		case 0, 1:
			set(idx, facts.RestrictSendingNTLMTraffic, dword(2))
		case 2:
			set(idx, facts.RestrictSendingNTLMTraffic, dword(1))
		}
		if c%2 == 0 {
			results[idx].Facts.NTLMEvents = &facts.NTLMEvents{Available: true, Days: 7, Read: 12, Groups: []facts.EventGroup{{
				ID: 8001, Counterpart: "HTTP/intranet.corp.example", Account: `CORP\svc-rr`, Process: `C:\Windows\System32\svchost.exe`,
				Count: 12, First: Now().Add(-72 * time.Hour), Last: Now().Add(-2 * time.Hour)}}}
		}
		coreList = append(coreList, coreAt{core: core, idx: idx, deny: c%3 != 2})
	}

	for r := range repos {
		h, _ := add(fmt.Sprintf("FS%03d", r+1), inventory.RoleRepositoryHost, facts.RoleMemberServer, "storage")
		idx := len(results) - 1
		if r%4 == 0 {
			set(idx, facts.RestrictReceivingNTLMTraffic, dword(1))
		}
		repo := &inventory.Repository{Name: fmt.Sprintf("repo%03d", r+1), UNC: fmt.Sprintf(`\\%s\rr$`, h.FQDN), Server: h.FQDN,
			Host: h, Account: inventory.Account{Kind: inventory.AccountDomain, Name: `CORP\svc-rr`, Domain: "corp.example"}, Line: h.Line}
		c := coreList[r%len(coreList)]
		repo.Cores = []*inventory.Core{c.core}
		c.core.Repositories = append(c.core.Repositories, repo)
		inv.Repositories = append(inv.Repositories, repo)
		results[c.idx].Facts.Probes = append(results[c.idx].Facts.Probes, facts.ProbeResult{Target: h.FQDN,
			Addresses: []string{fmt.Sprintf("10.9.%d.%d", r/250, r%250+1)}, Ports: []facts.PortResult{{Port: 445, Open: true, ElapsedMS: 1}}})
	}

	sites := []string{"site-a", "site-b", "dmz"}
	var exceptions = make([][]string, len(coreList))
	for a := 0; len(inv.Hosts) < hosts; a++ {
		h, _ := add(fmt.Sprintf("AGENT%04d", a+1), inventory.RoleAgent, facts.RoleMemberServer, sites[a%len(sites)])
		idx := len(results) - 1
		name := h.FQDN
		addr := fmt.Sprintf("10.%d.%d.%d", 1+a/65536, a/256%256, a%256)
		if a%3 == 0 {
			name = addr
		}
		if a%37 == 0 {
			set(idx, facts.RestrictReceivingNTLMTraffic, dword(2))
		}
		c := coreList[a%len(coreList)]
		if c.deny && a%3 == 0 && a%5 != 0 {
			exceptions[a%len(coreList)] = append(exceptions[a%len(coreList)], name)
		}
		c.core.Agents = append(c.core.Agents, &inventory.AgentLink{Core: c.core, Agent: h, NameUsed: name,
			Port: inventory.DefaultAgentPort, Line: h.Line})
		port := facts.PortResult{Port: inventory.DefaultAgentPort, Open: true, ElapsedMS: 2}
		if a%23 == 0 {
			port = facts.PortResult{Port: inventory.DefaultAgentPort, Error: "timeout", ElapsedMS: 3000}
		}
		results[c.idx].Facts.Probes = append(results[c.idx].Facts.Probes, facts.ProbeResult{Target: name,
			Addresses: []string{addr}, Ports: []facts.PortResult{port}})
		if a%41 == 40 {
			results[idx].Facts = nil
			results[idx].Error = &facts.HostError{Class: facts.ErrAuthCredentials,
				Message: "the host refused the credentials (HTTP 401 after the NTLM handshake)"}
			results[idx].RoundTrips = 3
		}
	}
	for i, c := range coreList {
		if c.deny {
			set(c.idx, facts.ClientAllowedNTLMServers, facts.RegistryValue{Present: true, Type: facts.RegMultiSZ, Strings: exceptions[i]})
		}
	}
	return inv, results
}
