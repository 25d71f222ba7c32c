package scanner

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

// Lab-only passwords of testdata/lab-mixed.yaml.
const (
	domainUser   = `CORP\svc-scan`
	domainPass   = "Test-Only-Scan-1!"
	localPass    = "Test-Only-Local-1!"
	passwordEnvD = "NTLMSCAN_TEST_DOMAIN_PW"
)

// startLab starts the simulator on a lab file from testdata.
func startLab(t *testing.T, file string) *winrmtest.Server {
	t.Helper()
	lab, err := winrmtest.LoadLab(filepath.Join("testdata", file))
	if err != nil {
		t.Fatalf("load lab: %v", err)
	}
	return startLabValue(t, lab)
}

func startLabValue(t *testing.T, lab *winrmtest.Lab) *winrmtest.Server {
	t.Helper()
	srv, err := winrmtest.NewServer(lab, winrmtest.WithEphemeralPorts())
	if err != nil {
		t.Fatalf("start simulator: %v", err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// fleet builds an inventory whose hosts point at the simulator's endpoints.
type fleet struct {
	inv    *inventory.Inventory
	domain *inventory.Credential
	local  map[string]*inventory.Credential
}

func newFleet(t testing.TB, srv *winrmtest.Server, names ...string) *fleet {
	t.Helper()
	f := &fleet{
		inv: &inventory.Inventory{
			File:        "test-inventory.yaml",
			Credentials: map[string]*inventory.Credential{},
			Domains:     []*inventory.Domain{{Name: "corp.example", NetBIOS: "CORP"}},
		},
		domain: &inventory.Credential{Name: "scan", Username: domainUser, PasswordEnv: passwordEnvD},
		local:  map[string]*inventory.Credential{},
	}
	f.inv.Credentials["scan"] = f.domain
	for _, n := range names {
		ep, ok := srv.Host(n)
		if !ok {
			t.Fatalf("lab has no host %s", n)
		}
		h := &inventory.Host{
			Name: n, Role: inventory.RoleAgent, Address: ep.Address, NetBIOS: n, Scan: true,
			WinRM: inventory.WinRM{Transport: inventory.TransportNTLM, Port: ep.HTTPPort, Timeout: 20 * time.Second, Credential: f.domain},
		}
		if ep.FQDN != "" {
			h.FQDN = ep.FQDN
		}
		f.inv.Hosts = append(f.inv.Hosts, h)
	}
	return f
}

func (f *fleet) host(name string) *inventory.Host { return f.inv.HostByName(name) }

// useLocal scans host with its local account scan-local.
func (f *fleet) useLocal(name string) {
	c := &inventory.Credential{Name: "local-" + name, Username: name + `\scan-local`, PasswordEnv: "NTLMSCAN_TEST_LOCAL_PW"}
	f.inv.Credentials[c.Name] = c
	f.local[name] = c
	f.host(name).WinRM.Credential = c
}

// makeCore turns host into a Core protecting agents (by the names given).
func (f *fleet) makeCore(name string, agents map[string]string, shares ...string) *inventory.Core {
	h := f.host(name)
	h.Role = inventory.RoleCore
	c := &inventory.Core{Host: h, Account: inventory.Account{Kind: inventory.AccountDomain, Name: `CORP\svc-rr`, Domain: "corp.example"}}
	for agent, nameUsed := range agents {
		c.Agents = append(c.Agents, &inventory.AgentLink{Core: c, Agent: f.host(agent), NameUsed: nameUsed, Port: 8006})
	}
	for _, s := range shares {
		r := &inventory.Repository{Name: s, UNC: `\\` + s + `\Repo`, Server: s, Cores: []*inventory.Core{c}}
		c.Repositories = append(c.Repositories, r)
		f.inv.Repositories = append(f.inv.Repositories, r)
	}
	f.inv.Cores = append(f.inv.Cores, c)
	return c
}

// labPasswords is the lab's resolver: no environment variables needed.
func labPasswords(c *inventory.Credential) (string, error) {
	switch c.PasswordEnv {
	case passwordEnvD:
		return domainPass, nil
	case "NTLMSCAN_TEST_LOCAL_PW":
		return localPass, nil
	}
	return DefaultPassword(c)
}
