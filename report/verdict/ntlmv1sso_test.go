package verdict

import (
	"testing"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// TestNTLMv1SSO: a Core that sends NTLMv1 is judged with Credential Guard's
// running state and BlockNtlmv1SSO (check #4 in path.go); a LocalSystem Core
// presents its own SSO identity, so a block applies to it, while for a
// stored account it is a risk (UNCONFIRMED whether it is SSO).
func TestNTLMv1SSO(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		level       any
		build       int
		cg          *facts.CredentialGuard
		block       any
		localSystem bool
		setting     string
		effect      Effect // "" = no such reason
	}{
		{"level 3 sends NTLMv2: nothing", 3, ws2025Build, &facts.CredentialGuard{Available: true, Running: true}, nil, true, SettingCredentialGuard, ""},
		{"Credential Guard running, LocalSystem", 2, ws2022Build, &facts.CredentialGuard{Available: true, Running: true}, nil, true, SettingCredentialGuard, EffectBlocks},
		{"Credential Guard running, stored account", 2, ws2022Build, &facts.CredentialGuard{Available: true, Running: true}, nil, false, SettingCredentialGuard, EffectRisk},
		{"Credential Guard configured, not running", 2, ws2022Build, &facts.CredentialGuard{Available: true, Configured: true}, nil, true, SettingCredentialGuard, ""},
		{"24H2 enforce", 1, ws2025Build, nil, 1, true, "BlockNtlmv1SSO", EffectBlocks},
		{"24H2 audit", 1, ws2025Build, nil, 0, true, "BlockNtlmv1SSO", EffectAudit},
		{"24H2 absent audits", 1, ws2025Build, nil, nil, false, "BlockNtlmv1SSO", EffectAudit},
		{"older build: no BlockNtlmv1SSO", 1, ws2022Build, nil, 1, true, "BlockNtlmv1SSO", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t)
			l.build("CORE01", c.build)
			l.set("CORE01", facts.LmCompatibilityLevel, c.level)
			l.set("CORE01", facts.BlockNtlmv1SSO, c.block)
			l.facts("CORE01").CredentialGuard = c.cg
			if c.localSystem {
				l.core("CORE01").Account = inventory.Account{Kind: inventory.AccountLocalSystem, Name: "LocalSystem"}
				for _, a := range l.core("CORE01").Agents {
					a.Account = inventory.Account{}
				}
			}
			p := findPath(t, l.eval(Options{}), agent01ID)
			got := Effect("")
			for _, r := range p.Reasons {
				if r.Host == "CORE01" && r.Setting == c.setting {
					got = r.Effect
				}
			}
			if got != c.effect {
				t.Errorf("reason %s effect %q, want %q\n%s", c.setting, got, c.effect, dumpPath(p))
			}
		})
	}
}
