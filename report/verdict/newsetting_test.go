package verdict

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/report/whatif"
	"github.com/ntlmscan/ntlmscan/scanner/collect"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// contosoGate is a made-up setting: one row of the settings table.
var contosoGate = facts.Setting{
	ID: "ContosoNTLMGate", Key: `HKLM\SOFTWARE\Policies\Contoso\NTLM`, Name: "Gate", Type: facts.RegDWORD,
	GPOName: "Contoso: gate incoming NTLM", GPOPath: `Computer Configuration\Administrative Templates\Contoso`,
	Family: facts.FamilyIncoming, Absent: "Not defined (open)",
	Values: []facts.ValueLabel{{Value: 0, Label: "Open"}, {Value: 1, Label: "Closed to NTLM"}},
}

// checkContosoGate is its rule: a target whose gate is closed refuses NTLM.
func (pe *pathEval) checkContosoGate() {
	v := pe.tv.get(contosoGate.ID)
	if v.known && v.present && v.n == 1 {
		pe.add(pe.settingReason(pe.tv, RoleServer, v, EffectBlocks,
			fmt.Sprintf("%s closes its gate to NTLM.", pe.tv.name())))
	}
}

// TestNewSettingIsOneRowAndOneRule: adding a setting takes one table row
// and one rule, and nothing else: the collector asks hosts for it, the
// what-if check accepts its documented values and refuses others, the
// engine labels it and the rule judges it (before and after a what-if).
func TestNewSettingIsOneRowAndOneRule(t *testing.T) {
	t.Parallel()
	cat, err := facts.Default().With(contosoGate)
	if err != nil {
		t.Fatal(err)
	}
	l := newLab(t)
	agent := l.host("AGENT02")
	key := contosoGate.RegistryKey()

	// The collector's request.
	req := collect.BuildRequestWith(cat, l.inv, agent)
	if !slices.Contains(req.Registry, key) {
		t.Fatalf("the request does not ask for %s: %v", key, req.Registry)
	}
	if slices.Contains(collect.BuildRequest(l.inv, agent).Registry, key) {
		t.Fatal("the default request asks for a setting the default table lacks")
	}
	// The host answers what it was asked: the gate is closed.
	one := uint64(1)
	f := l.facts("AGENT02")
	f.Registry = append(f.Registry, facts.RegistryValue{RegistryKey: key, Present: true, Type: facts.RegDWORD, DWORD: &one})

	// The what-if check.
	whatIf := func(c *facts.Catalogue, v int) (*whatif.Overlay, error) {
		doc := fmt.Sprintf("changes:\n  - hosts: [AGENT02]\n    set: {contosontlmgate: %d}\n", v)
		return whatif.ParseWith([]byte(doc), "gate.yaml", l.inv, c)
	}
	ov, err := whatIf(cat, 0)
	if err != nil {
		t.Fatalf("what-if with a documented value: %v", err)
	}
	if _, err := whatIf(cat, 2); err == nil || !strings.Contains(err.Error(), "2 is not a valid value for ContosoNTLMGate") || !strings.Contains(err.Error(), "documented values: 0, 1") {
		t.Errorf("what-if with an undocumented value: %v", err)
	}
	if _, err := whatIf(facts.Default(), 0); err == nil || !strings.Contains(err.Error(), `unknown setting "contosontlmgate"`) {
		t.Errorf("the default table accepts the made-up setting: %v", err)
	}

	// The rule and the labels.
	id := PathID("CORE01", KindAgent, "AGENT02", "10.0.0.32")
	opts := Options{Catalogue: cat, rules: append(slices.Clone(pathRules), rule{facts.FamilyIncoming, (*pathEval).checkContosoGate})}
	p := findPath(t, Evaluate(l.inv, l.resultList(), nil, opts), id)
	if p.Verdict != Blocked || p.Deciding == nil || p.Deciding.Setting != "Gate" || p.Deciding.ValueLabel != "Closed to NTLM" ||
		p.Deciding.RawValue != "1" || p.Deciding.GPOName != contosoGate.GPOName {
		t.Fatalf("with the rule the path is not blocked by the gate:\n%s", dumpPath(p))
	}
	if p := findPath(t, Evaluate(l.inv, l.resultList(), nil, Options{Catalogue: cat}), id); p.Verdict == Blocked {
		t.Fatalf("without the rule the gate blocks anyway:\n%s", dumpPath(p))
	}
	// The what-if opens the gate: blocked before, not after.
	p = findPath(t, Evaluate(l.inv, l.resultList(), ov, opts), id)
	if p.Verdict == Blocked || p.Before == nil || p.Before.Verdict != Blocked {
		t.Fatalf("the what-if does not open the gate:\n%s", dumpPath(p))
	}
}
