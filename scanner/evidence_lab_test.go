package scanner

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/report/verdict"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

// evidenceLab is a 300-host estate built for the evidence features: the
// domain corp.example with the simulated KDC, 3 DCs, 6 Cores with a file
// share each (FS1's account lacks its cifs/ SPN) and 285 agents, agent i
// protected by Core (i/10)%6. Every Core denies outgoing NTLM (Deny all, which
// also logs 4001), so every agent it names by FQDN is at-risk by the
// settings (a block that applies only if Negotiate falls back). Core C6's
// NTLM log is unreadable. Agents by i%10:
//
//	0: no SPN at all (setspn never run)        -> spn-missing
//	1: account with RC4 keys only              -> kerberos-rc4
//	2: the Core logged 4001 for it             -> blocked-observed
//	3: the Core logged 8001 for it last week   -> ntlm-observed
//	4: named by IP, on the Core's exceptions   -> no-ntlm-seen / no-evidence
//	5-9: SPN registered, AES keys              -> kerberos-verified
func evidenceLab() (*winrmtest.Lab, map[string]int) {
	lab := &winrmtest.Lab{Domains: []*winrmtest.Domain{{Name: "corp.example", NetBIOS: "CORP", KDC: true,
		Users: []winrmtest.User{{Name: "svc-scan", Password: domainPass}}}}}
	ws := winrmtest.OS{Caption: "Windows Server 2022 Standard", Build: 20348}
	n := 0
	add := func(name string) *winrmtest.Host {
		n++
		h := &winrmtest.Host{Name: name, FQDN: fmtLower(name) + ".corp.example", Address: fmt.Sprintf("127.0.%d.%d", 20+n/200, 1+n%200),
			Domain: "corp.example", OS: ws}
		lab.Hosts = append(lab.Hosts, h)
		return h
	}
	for i := 1; i <= 3; i++ {
		add(fmt.Sprintf("DC%d", i)).DomainController = true
	}
	cores := make([]*winrmtest.Host, 6)
	for i := range cores {
		c := add(fmt.Sprintf("C%d", i+1))
		c.Registry = append(c.Registry, winrmtest.RegistryEntry{Path: facts.KeyMSV10 + `\RestrictSendingNTLMTraffic`, Type: facts.RegDWORD, Value: 2})
		if i == 5 {
			c.NTLMLogError = "Attempted to perform an unauthorized operation."
		}
		cores[i] = c
		fs := add(fmt.Sprintf("FS%d", i+1))
		if i == 0 {
			fs.KDC = &winrmtest.HostKDC{Missing: []string{"cifs"}}
		}
	}
	byIP := map[string]int{} // agent -> category 4 (named by IP)
	exceptions := make([][]string, len(cores))
	for i := 0; i < 285; i++ {
		a := add(fmt.Sprintf("A%03d", i))
		c := cores[(i/10)%6]
		target := "HTTP/" + a.FQDN
		switch i % 10 {
		case 0:
			a.WinRM.NoSPN = true
			a.KDC = &winrmtest.HostKDC{Missing: []string{"HOST", "cifs"}}
		case 1:
			a.KDC = &winrmtest.HostKDC{RC4Only: true}
		case 2:
			c.NTLMEvents = append(c.NTLMEvents, winrmtest.NTLMEvent{ID: 4001, Ago: 3 * time.Hour, Count: 12,
				Fields: map[string]string{"TargetName": target, "UserName": "svc-rr", "DomainName": "CORP", "ProcessName": `C:\Program Files\AppRecovery\Core\CoreService\Core.Service.exe`}})
		case 3:
			c.NTLMEvents = append(c.NTLMEvents, winrmtest.NTLMEvent{ID: 8001, Ago: 5 * 24 * time.Hour, Count: 40,
				Fields: map[string]string{"TargetName": target, "UserName": "svc-rr", "DomainName": "CORP", "ProcessName": `C:\Program Files\AppRecovery\Core\CoreService\Core.Service.exe`}})
		case 4:
			byIP[a.Name] = (i / 10) % 6
			exceptions[(i/10)%6] = append(exceptions[(i/10)%6], a.Address)
		}
	}
	for i, c := range cores {
		if len(exceptions[i]) > 0 {
			c.Registry = append(c.Registry, winrmtest.RegistryEntry{Path: facts.KeyMSV10 + `\ClientAllowedNTLMServers`, Type: facts.RegMultiSZ, Value: toAny(exceptions[i])})
		}
		// Other processes' NTLM: listed as the Core's unmatched events.
		c.NTLMEvents = append(c.NTLMEvents, winrmtest.NTLMEvent{ID: 4001, Ago: time.Hour,
			Fields: map[string]string{"TargetName": "HTTP/intranet.corp.example", "UserName": "jdoe", "DomainName": "CORP", "ProcessName": `C:\Windows\explorer.exe`}})
	}
	return lab, byIP
}

func fmtLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// TestEvidenceLab300: on the 300-host lab, after a scan through the
// simulator with event reads and Kerberos verification, no at-risk path
// lacks an evidence state, the Kerberos-verified and NTLM-observed paths
// are no longer at-risk, and every state occurs.
func TestEvidenceLab300(t *testing.T) {
	if testing.Short() {
		t.Skip("300-host scan")
	}
	t.Setenv(passwordEnvD, domainPass)
	lab, byIP := evidenceLab()
	srv, err := winrmtest.NewServer(lab, winrmtest.WithEphemeralPorts())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	f := newFleet(t, srv, names(srv)...)
	corp := f.inv.Domains[0]
	for _, h := range f.inv.Hosts {
		h.Domain = "corp.example"
		if h.Name[:2] == "DC" {
			h.Role = inventory.RoleDomainController
			corp.Controllers = append(corp.Controllers, h)
		}
	}
	cores := map[int]*inventory.Core{}
	for i := range 6 {
		cores[i] = f.makeCore(fmt.Sprintf("C%d", i+1), nil, fmt.Sprintf("fs%d.corp.example", i+1))
		cores[i].Repositories[0].Host = f.host(fmt.Sprintf("FS%d", i+1))
		cores[i].ServiceNames = []string{"RapidRecoveryCore"}
	}
	for i := range 285 {
		name := fmt.Sprintf("A%03d", i)
		h := f.host(name)
		c := cores[(i/10)%6]
		used := h.FQDN
		if _, ok := byIP[name]; ok {
			used = h.Address
		}
		c.Agents = append(c.Agents, &inventory.AgentLink{Core: c, Agent: h, NameUsed: used, Port: 8006})
	}

	start := time.Now()
	res := Run(context.Background(), f.inv, Options{Krb5Conf: srv.Krb5Conf(), Password: labPasswords, Concurrency: 32, Retries: -1})
	scanned := time.Since(start)
	for _, r := range res {
		if !r.OK() {
			t.Fatalf("%s: %v", r.Host, r.Error)
		}
	}
	m := verdict.Evaluate(f.inv, res, nil, verdict.Options{})
	states := map[verdict.EvidenceState]int{}
	registryAtRisk, atRisk := 0, 0
	for i := range m.Paths {
		p := &m.Paths[i]
		reg := p.Verdict
		if p.Evidence != nil {
			states[p.Evidence.State]++
			if p.Evidence.RegistryVerdict != "" {
				reg = p.Evidence.RegistryVerdict
			}
		}
		if reg == verdict.AtRisk {
			registryAtRisk++
		}
		if p.Verdict != verdict.AtRisk {
			continue
		}
		atRisk++
		if p.Evidence == nil {
			t.Errorf("at-risk path %s has no evidence state", p.ID)
			continue
		}
		if s := p.Evidence.State; s == verdict.EvidenceKerberosVerified || s == verdict.EvidenceNTLMObserved {
			t.Errorf("%s is %s but still at-risk", p.ID, s)
		}
	}
	for _, s := range verdict.EvidenceStates() {
		if states[s] == 0 {
			t.Errorf("no path in state %s (states %v)", s, states)
		}
	}
	if len(m.UnmatchedEvents) != 5 { // the explorer.exe events on C1..C5 (C6's log is unreadable)
		t.Errorf("unmatched events on %d hosts, want 5: %+v", len(m.UnmatchedEvents), m.UnmatchedEvents)
	}
	t.Logf("%d hosts, %d paths scanned and judged in %s; at-risk by settings %d, after evidence %d; states %v; at-risk by evidence %v",
		len(res), len(m.Paths), scanned.Round(time.Millisecond), registryAtRisk, atRisk, states, m.AtRiskByEvidence())
}
