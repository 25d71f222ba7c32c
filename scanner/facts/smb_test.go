package facts

import "testing"

func TestSMBProbeHelpers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		p              *SMBProbe
		answered, kerb bool
		onlyNTLM       bool
	}{
		{"nil", nil, false, false, false},
		{"no answer", &SMBProbe{Error: "refused", Mechanisms: []string{MechNTLMSSP}}, false, false, false},
		{"ntlm only", &SMBProbe{Mechanisms: []string{MechNTLMSSP}}, true, false, true},
		{"windows", &SMBProbe{Mechanisms: []string{"negoex", MechMSKerberos, MechKerberos, MechNTLMSSP}}, true, true, false},
		{"kerberos only", &SMBProbe{Mechanisms: []string{MechKerberos}}, true, true, false},
		{"no list", &SMBProbe{}, true, false, false},
	}
	for _, tc := range tests {
		if got := tc.p.Answered(); got != tc.answered {
			t.Errorf("%s: Answered %v", tc.name, got)
		}
		if got := tc.p.OffersKerberos(); got != tc.kerb {
			t.Errorf("%s: OffersKerberos %v", tc.name, got)
		}
		if got := tc.p.OnlyNTLM(); got != tc.onlyNTLM {
			t.Errorf("%s: OnlyNTLM %v", tc.name, got)
		}
	}
	p := &SMBProbe{Auth: []SMBAuth{{Account: `NAS01\rr`, Outcome: SMBAuthAccepted}}}
	if a := p.AuthFor(`nas01\RR`); a == nil || a.Outcome != SMBAuthAccepted {
		t.Errorf("AuthFor is not case-insensitive: %+v", a)
	}
	if p.AuthFor(`NAS01\other`) != nil || (*SMBProbe)(nil).AuthFor("x") != nil {
		t.Error("AuthFor found an account that was not tried")
	}
}
