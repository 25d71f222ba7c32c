package verdict

import (
	"fmt"
	"testing"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/report/whatif"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// BenchmarkEvaluate: 4 Cores x 500 agents, 4 DCs, with a what-if overlay
// (so every path is evaluated twice).
func BenchmarkEvaluate(b *testing.B) {
	l := newLab(b)
	for i := 3; i <= 4; i++ {
		dc := l.addHost(fmt.Sprintf("DC%02d", i), inventory.RoleDomainController, "corp.example")
		l.inv.Domains[0].Controllers = append(l.inv.Domains[0].Controllers, dc)
	}
	l.set("DC02", facts.RestrictNTLMInDomain, 1)
	acct := inventory.Account{Kind: inventory.AccountDomain, Name: `CORP\svc-rr`, Domain: "corp.example"}
	for c := 2; c <= 4; c++ {
		l.addCore(fmt.Sprintf("CORE%02d", c), "corp.example", acct)
	}
	for i := 0; i < 2000; i++ {
		core := l.inv.Cores[i%4]
		h := l.addHost(fmt.Sprintf("AG%04d", i), inventory.RoleAgent, "corp.example")
		name := h.FQDN
		if i%3 == 0 {
			name = fmt.Sprintf("10.1.%d.%d", i/250, i%250)
		}
		l.addAgent(core, h, name)
	}
	results := l.resultList()
	two := uint64(2)
	ov := &whatif.Overlay{Name: "bench", Changes: []whatif.Change{{
		Select: whatif.Selector{Roles: []inventory.Role{inventory.RoleAgent}}, Setting: facts.RestrictReceivingNTLMTraffic,
		Set: &whatif.Value{DWORD: &two},
	}}}
	b.ReportAllocs()
	for b.Loop() {
		m := Evaluate(l.inv, results, ov, Options{})
		if len(m.Paths) < 2000 {
			b.Fatalf("%d paths", len(m.Paths))
		}
	}
}
