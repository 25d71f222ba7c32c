package verdict

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// lab is a small estate built as Go values for rule tests: inventory and the
// facts the scanner would collect (every catalogue value reported, absent
// unless a test sets it; every Core probe open unless a test says so).
type lab struct {
	t       testing.TB
	inv     *inventory.Inventory
	results map[string]*facts.HostResult // by host name
}

const (
	ws2022Build = 20348
	ws2025Build = 26100
)

// newLab returns the base estate:
//
//	corp.example (CORP): DC01, DC02 (scanned, nothing set)
//	CORE01 (WS2022, account CORP\svc-rr) ->
//	  AGENT01 by FQDN agent01.corp.example
//	  AGENT02 by IP 10.0.0.32
//	  AGENT03 by NetBIOS name AGENT03
//	  WG01 (workgroup) by wg01 with local account WG01\rr
//	  \\fs01.corp.example\Repo (FS01, CORP\svc-rr)
//	  \\nas01\archive (NAS01, described NAS, local account NAS01\rr)
func newLab(t testing.TB) *lab {
	l := newEmptyLab(t)
	corp := &inventory.Domain{Name: "corp.example", NetBIOS: "CORP"}
	l.inv.Domains = append(l.inv.Domains, corp)
	for _, dc := range []string{"DC01", "DC02"} {
		h := l.addHost(dc, inventory.RoleDomainController, "corp.example")
		corp.Controllers = append(corp.Controllers, h)
	}
	core := l.addCore("CORE01", "corp.example", inventory.Account{Kind: inventory.AccountDomain, Name: `CORP\svc-rr`, Domain: "corp.example"})
	l.addAgent(core, l.addHost("AGENT01", inventory.RoleAgent, "corp.example"), "agent01.corp.example")
	l.addAgent(core, l.addHost("AGENT02", inventory.RoleAgent, "corp.example"), "10.0.0.32")
	l.addAgent(core, l.addHost("AGENT03", inventory.RoleAgent, "corp.example"), "AGENT03")
	wg := l.addHost("WG01", inventory.RoleAgent, "")
	l.addAgent(core, wg, "wg01").Account = inventory.Account{Kind: inventory.AccountLocal, Name: `WG01\rr`}
	l.addRepo(core, l.addHost("FS01", inventory.RoleRepositoryHost, "corp.example"), `\\fs01.corp.example\Repo`,
		inventory.Account{Kind: inventory.AccountDomain, Name: `CORP\svc-rr`, Domain: "corp.example"})
	nas := l.addDescribed("NAS01", "", &inventory.Described{Platform: "nas"})
	l.addRepo(core, nas, `\\nas01\archive`, inventory.Account{Kind: inventory.AccountLocal, Name: `NAS01\rr`})
	return l
}

// list is a REG_MULTI_SZ setting's entries on host (nil when absent).
func (l *lab) list(host, id string) []string {
	rv := facts.SettingByID(id).Lookup(l.facts(host))
	if rv == nil || !rv.Present {
		return nil
	}
	out, _ := rv.List()
	return out
}

func newEmptyLab(t testing.TB) *lab {
	return &lab{t: t, inv: &inventory.Inventory{File: "lab.yaml"}, results: map[string]*facts.HostResult{}}
}

func (l *lab) addHost(name string, role inventory.Role, domain string) *inventory.Host {
	h := &inventory.Host{Name: name, Role: role, NetBIOS: strings.ToUpper(name), Domain: domain, Scan: true, Address: "127.0.0.1"}
	if domain != "" {
		h.FQDN = strings.ToLower(name) + "." + domain
	} else {
		h.FQDN = strings.ToLower(name)
	}
	l.inv.Hosts = append(l.inv.Hosts, h)
	build := ws2022Build
	domainRole := facts.RoleMemberServer
	switch {
	case role == inventory.RoleDomainController:
		domainRole = facts.RoleBackupDC
	case domain == "":
		domainRole = facts.RoleStandaloneServer
	}
	id := facts.Identity{
		NetBIOSName: h.NetBIOS, DNSHostName: strings.ToLower(name), Domain: domain, PartOfDomain: domain != "",
		DomainRole: domainRole, OSCaption: "Microsoft Windows Server 2022 Standard", OSVersion: "10.0." + strconv.Itoa(build), OSBuild: build,
	}
	if domain == "" {
		id.Domain = "WORKGROUP"
	}
	resp := &facts.Response{Schema: facts.SchemaVersion, Identity: id}
	for _, s := range facts.Settings {
		resp.Registry = append(resp.Registry, facts.RegistryValue{RegistryKey: s.RegistryKey()})
	}
	l.results[name] = &facts.HostResult{Host: name, Address: h.Address, Facts: resp, Attempts: 1}
	return h
}

func (l *lab) addDescribed(name, domain string, d *inventory.Described) *inventory.Host {
	h := &inventory.Host{Name: name, Role: inventory.RoleRepositoryHost, NetBIOS: strings.ToUpper(name), FQDN: strings.ToLower(name), Domain: domain, Described: d}
	l.inv.Hosts = append(l.inv.Hosts, h)
	l.results[name] = &facts.HostResult{Host: name, Error: &facts.HostError{Class: facts.ErrNotScanned, Message: "described in the inventory; not scanned"}}
	return h
}

func (l *lab) addCore(name, domain string, acct inventory.Account) *inventory.Core {
	h := l.addHost(name, inventory.RoleCore, domain)
	c := &inventory.Core{Host: h, Account: acct}
	l.inv.Cores = append(l.inv.Cores, c)
	l.service(name, "Running", acct.Name)
	return c
}

func (l *lab) addAgent(core *inventory.Core, h *inventory.Host, nameUsed string) *inventory.AgentLink {
	link := &inventory.AgentLink{Core: core, Agent: h, NameUsed: nameUsed, Port: 8006}
	core.Agents = append(core.Agents, link)
	l.probe(core.Host.Name, nameUsed, 8006, true, "")
	return link
}

func (l *lab) addRepo(core *inventory.Core, h *inventory.Host, unc string, acct inventory.Account) *inventory.Repository {
	r := &inventory.Repository{Name: h.Name, UNC: unc, Host: h, Account: acct, Cores: []*inventory.Core{core}}
	core.Repositories = append(core.Repositories, r)
	l.inv.Repositories = append(l.inv.Repositories, r)
	l.probe(core.Host.Name, r.ServerName(), 445, true, "")
	return r
}

func (l *lab) core(name string) *inventory.Core {
	for _, c := range l.inv.Cores {
		if c.Host.Name == name {
			return c
		}
	}
	l.t.Fatalf("no core %s", name)
	return nil
}

func (l *lab) facts(host string) *facts.Response {
	r := l.results[host]
	if r == nil || r.Facts == nil {
		l.t.Fatalf("host %s has no facts", host)
	}
	return r.Facts
}

// set changes a registry value: a number, a []string, nil for absent, or an
// error string via setError.
func (l *lab) set(host, id string, v any) {
	s := facts.SettingByID(id)
	if s == nil {
		l.t.Fatalf("unknown setting %s", id)
	}
	rv := s.Lookup(l.facts(host))
	*rv = facts.RegistryValue{RegistryKey: rv.RegistryKey}
	switch x := v.(type) {
	case nil:
	case int:
		n := uint64(x)
		rv.Present, rv.Type, rv.DWORD = true, facts.RegDWORD, &n
	case []string:
		rv.Present, rv.Type, rv.Strings = true, facts.RegMultiSZ, x
	default:
		l.t.Fatalf("set %s: unsupported %T", id, v)
	}
}

func (l *lab) setError(host, id, msg string) {
	rv := facts.SettingByID(id).Lookup(l.facts(host))
	*rv = facts.RegistryValue{RegistryKey: rv.RegistryKey, Error: msg}
}

func (l *lab) build(host string, build int) {
	f := l.facts(host)
	f.Identity.OSBuild = build
	f.Identity.OSVersion = "10.0." + strconv.Itoa(build)
	if build >= ws2025Build {
		f.Identity.OSCaption = "Microsoft Windows Server 2025 Standard"
		if f.SMBClient == nil {
			f.SMBClient = &facts.SMBClientConfig{Available: true, BlockNTLM: new(bool)}
		}
	}
}

func (l *lab) smbCmdlet(host string, block *bool) {
	f := l.facts(host)
	if f.SMBClient == nil {
		f.SMBClient = &facts.SMBClientConfig{Available: true}
	}
	f.SMBClient.BlockNTLM = block
}

func (l *lab) service(host, state, logon string) {
	f := l.facts(host)
	f.Services = []facts.Service{{Name: defaultCoreService, Present: true, State: state, StartMode: "Auto", LogonAs: logon}}
}

// probe records the Core's TCP probe of target:port.
func (l *lab) probe(core, target string, port int, open bool, errText string) {
	f := l.facts(core)
	pr := f.Probe(target)
	if pr == nil {
		f.Probes = append(f.Probes, facts.ProbeResult{Target: target, Addresses: []string{"127.0.0.1"}})
		pr = &f.Probes[len(f.Probes)-1]
	}
	for i := range pr.Ports {
		if pr.Ports[i].Port == port {
			pr.Ports[i] = facts.PortResult{Port: port, Open: open, Error: errText}
			return
		}
	}
	pr.Ports = append(pr.Ports, facts.PortResult{Port: port, Open: open, Error: errText})
}

func (l *lab) dnsFail(core, target, msg string) {
	pr := l.facts(core).Probe(target)
	pr.DNSError, pr.Addresses, pr.Ports = msg, nil, nil
}

// unscan turns a host's result into a classified scan failure.
func (l *lab) unscan(host string) {
	l.results[host] = &facts.HostResult{Host: host, Error: &facts.HostError{
		Class: facts.ErrAuthMethod, Message: "WinRM offers only Kerberos", Hint: "enable Negotiate on its WinRM service",
	}}
}

func (l *lab) host(name string) *inventory.Host {
	h := l.inv.HostByName(name)
	if h == nil {
		l.t.Fatalf("no host %s", name)
	}
	return h
}

// resultList returns the results in name order, as a scanner might.
func (l *lab) resultList() []facts.HostResult {
	names := make([]string, 0, len(l.results))
	for n := range l.results {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]facts.HostResult, 0, len(names))
	for _, n := range names {
		out = append(out, *l.results[n])
	}
	return out
}

func (l *lab) eval(opts Options) *Matrix {
	return Evaluate(l.inv, l.resultList(), nil, opts)
}

func findPath(t testing.TB, m *Matrix, id string) *Path {
	t.Helper()
	for i := range m.Paths {
		if m.Paths[i].ID == id {
			return &m.Paths[i]
		}
	}
	ids := make([]string, len(m.Paths))
	for i, p := range m.Paths {
		ids[i] = p.ID
	}
	t.Fatalf("no path %s; have %s", id, strings.Join(ids, ", "))
	return nil
}

func hasReason(p *Path, host, setting string, effect Effect) bool {
	for _, r := range p.Reasons {
		if r.Host == host && r.Setting == setting && r.Effect == effect {
			return true
		}
	}
	return false
}

func dumpPath(p *Path) string {
	var b strings.Builder
	b.WriteString(p.ID + " verdict=" + string(p.Verdict) + " need=" + string(p.Need) + " reach=" + p.Reachable + "\n")
	for _, r := range p.Reasons {
		b.WriteString("  - [" + string(r.Effect) + "] " + r.Host + " " + r.Setting + "=" + r.RawValue + " (" + r.ValueLabel + "): " + r.Explanation + "\n")
	}
	return b.String()
}
