package verdict

import (
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// reviewCase is a rule-book review finding: the verdict and deciding reason
// of a path, and optionally the verdict once the deciding remediation's
// PowerShell list is applied as an admin would paste it.
type reviewCase struct {
	name          string
	rule          string
	mut           func(l *lab)
	path          string
	want          Verdict
	host, setting string // deciding reason
	check         func(t *testing.T, p *Path)
	// applyFix applies the REG_MULTI_SZ list the deciding remediation's
	// PowerShell writes, then the path must be afterFix with no deciding
	// reason.
	applyFix bool
	afterFix Verdict
}

func reviewCases() []reviewCase {
	smbBlock := func(l *lab) {
		l.build("CORE01", ws2025Build)
		l.set("CORE01", facts.SMBBlockNTLM, 1)
		l.smbCmdlet("CORE01", boolPtr(true))
	}
	psHas := func(subs ...string) func(*testing.T, *Path) {
		return func(t *testing.T, p *Path) {
			rem := p.Deciding.Remediation
			if rem == nil {
				t.Fatal("deciding reason has no remediation")
			}
			for _, s := range subs {
				if !strings.Contains(rem.PowerShell, s) {
					t.Errorf("PowerShell lacks %q:\n%s", s, rem.PowerShell)
				}
			}
		}
	}
	const lanmanPol = `'HKLM:\SOFTWARE\Policies\Microsoft\Windows\LanmanWorkstation'`
	return []reviewCase{
		// remediation.go: New-Item -Force on an existing registry key deletes
		// the key with all its values (BlockNTLM and every other Lanman
		// Workstation policy value); the key must be created only if missing.
		{name: "SMB exception fix does not recreate the existing policy key", rule: "SMB Block NTLM remediation",
			mut: func(l *lab) {
				smbBlock(l)
				l.set("CORE01", facts.SMBBlockNTLMServerExceptionList, []string{"other01"})
			},
			path: pNAS, want: Blocked, host: "CORE01", setting: "BlockNTLM",
			check: func(t *testing.T, p *Path) {
				psHas("$k = "+lanmanPol+"; if (-not (Test-Path -Path $k)) { New-Item -Path $k -Force | Out-Null }; ",
					"foreach ($e in @('nas01'))")(t, p)
				if strings.HasPrefix(p.Deciding.Remediation.PowerShell, "New-Item") {
					t.Errorf("unguarded New-Item -Force wipes the key: %s", p.Deciding.Remediation.PowerShell)
				}
			},
			applyFix: true, afterFix: OK},

		// smbclient.go: an unreported OS build (0) is not "older than 26100".
		{name: "SMB BlockNTLM with an unreported OS build is unknown", rule: "SMB Block NTLM OS build",
			mut: func(l *lab) {
				l.build("CORE01", 0)
				l.set("CORE01", facts.SMBBlockNTLM, 1)
			},
			path: pNAS, want: Unknown, host: "CORE01", setting: "BlockNTLM"},
		{name: "SMB BlockNTLM reported by the cmdlet with an unreported OS build blocks", rule: "SMB Block NTLM OS build",
			mut: func(l *lab) {
				l.build("CORE01", 0)
				l.set("CORE01", facts.SMBBlockNTLM, 1)
				l.smbCmdlet("CORE01", boolPtr(true))
			},
			path: pNAS, want: Blocked, host: "CORE01", setting: "BlockNTLM"},
		{name: "SMB BlockNTLM before build 26100 still has no effect", rule: "SMB Block NTLM OS build",
			mut:  func(l *lab) { l.set("CORE01", facts.SMBBlockNTLM, 1) },
			path: pNAS, want: OK},

		// outgoing.go: the exception fix must list the name exactly as the
		// Core spells it; a case-only match is UNCONFIRMED, so
		// adding only the inventory spelling leaves the path at-risk.
		{name: "client exception fix adds the name as the Core spells it", rule: "exception match case, remediation",
			mut: func(l *lab) {
				// A local account: NTLM required, so the plan adds an entry
				// (a Kerberos-expected path would get a verify step).
				l.addAgent(l.core("CORE01"), l.addHost("AGENT04", inventory.RoleAgent, "corp.example"), "Agent04").Account =
					inventory.Account{Kind: inventory.AccountLocal, Name: `AGENT04\rr`}
				l.set("CORE01", facts.RestrictSendingNTLMTraffic, 2)
			},
			path: "CORE01|agent|AGENT04|Agent04", want: Blocked, host: "CORE01", setting: "RestrictSendingNTLMTraffic",
			check:    psHas("foreach ($e in @('Agent04'))"),
			applyFix: true, afterFix: OK},
		{name: "client exception fix for an FQDN keeps existing entries", rule: "exception match, remediation",
			mut: func(l *lab) {
				l.set("CORE01", facts.RestrictSendingNTLMTraffic, 2)
				l.set("CORE01", facts.ClientAllowedNTLMServers, []string{"fs01.corp.example", "o'brien"})
			},
			path: pA2, want: Blocked, host: "CORE01", setting: "RestrictSendingNTLMTraffic",
			check: func(t *testing.T, p *Path) {
				psHas(`$k = 'HKLM:\SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0'; $l = @((Get-ItemProperty -Path $k -ErrorAction SilentlyContinue).ClientAllowedNTLMServers | Where-Object { $_ }); foreach ($e in @('10.0.0.32'))`)(t, p)
				if strings.Contains(p.Deciding.Remediation.PowerShell, "-Value @(") {
					t.Error("the fix writes a fixed list: it would drop entries added by another line")
				}
			}},
		// Value 5: under 3 and 7 the exception alone leaves the path
		// at-risk (issue23_test.go).
		{name: "DC exception fix keeps existing entries and clears the block", rule: "DC restriction, remediation",
			mut: func(l *lab) {
				l.set("DC01", facts.RestrictNTLMInDomain, 5)
				l.set("DC01", facts.DCAllowedNTLMServers, []string{"FS01"})
				l.set("DC02", facts.RestrictNTLMInDomain, 5)
				l.set("DC02", facts.DCAllowedNTLMServers, []string{"FS01", "AGENT02"})
			},
			path: pA2, want: AtRisk, host: "DC01", setting: "RestrictNTLMInDomain",
			check:    psHas(`foreach ($e in @('AGENT02'))`),
			applyFix: true, afterFix: OK},

		// LocalSystem presents CORE$, a domain account of the Core's
		// domain, so every non-zero RestrictNTLMInDomain value applies.
		{name: "LocalSystem (CORE$) is a same-domain domain account for the DC", rule: "who validates, DC restriction 3",
			mut: func(l *lab) {
				l.core("CORE01").Account = inventory.Account{Kind: inventory.AccountLocalSystem, Name: "LocalSystem", Domain: "corp.example"}
				l.set("DC01", facts.RestrictNTLMInDomain, 3)
				l.set("DC02", facts.RestrictNTLMInDomain, 3)
			},
			path: pA2, want: Blocked, host: "DC01", setting: "RestrictNTLMInDomain"},

		// path.go: the DC refuses a Protected Users member (#9) before it
		// validates the response against its LM level (#11; [MS-APDS]
		// §3.1.5), so Protected Users decides.
		{name: "Protected Users decides before the DC's LM level", rule: "#9 before #11",
			mut: func(l *lab) {
				l.core("CORE01").Account.ProtectedUsers = true
				l.set("CORE01", facts.LmCompatibilityLevel, 2)
				l.set("DC01", facts.LmCompatibilityLevel, 5)
				l.set("DC02", facts.LmCompatibilityLevel, 5)
			},
			path: pA2, want: Blocked, host: "corp.example", setting: SettingProtectedUsers,
			check: func(t *testing.T, p *Path) {
				if !hasReason(p, "DC01", "LmCompatibilityLevel", EffectBlocks) {
					t.Error("the LM level block is no longer listed")
				}
			}},
	}
}

func TestReviewFindings(t *testing.T) {
	t.Parallel()
	for _, tc := range reviewCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t)
			if tc.mut != nil {
				tc.mut(l)
			}
			p := findPath(t, l.eval(Options{}), tc.path)
			assertDeciding(t, p, tc.want, tc.host, tc.setting)
			if tc.check != nil {
				tc.check(t, p)
			}
			if !tc.applyFix {
				return
			}
			rem := p.Deciding.Remediation
			if rem == nil {
				t.Fatal("no remediation to apply")
			}
			add, ok := psAddedEntries(rem.PowerShell)
			if !ok {
				t.Fatalf("no add-only list in %s", rem.PowerShell)
			}
			id := settingIDByName(t, rem.Setting)
			l.set(rem.Host, id, psApplyAdd(l.list(rem.Host, id), add))
			after := findPath(t, l.eval(Options{}), tc.path)
			assertDeciding(t, after, tc.afterFix, "", "")
		})
	}
}

func assertDeciding(t *testing.T, p *Path, want Verdict, host, setting string) {
	t.Helper()
	if p.Verdict != want {
		t.Fatalf("verdict = %s, want %s\n%s", p.Verdict, want, dumpPath(p))
	}
	switch {
	case host == "" && p.Deciding != nil:
		t.Fatalf("deciding = %s/%s, want none\n%s", p.Deciding.Host, p.Deciding.Setting, dumpPath(p))
	case host != "" && p.Deciding == nil:
		t.Fatalf("no deciding reason, want %s/%s\n%s", host, setting, dumpPath(p))
	case host != "" && (p.Deciding.Host != host || p.Deciding.Setting != setting):
		t.Fatalf("deciding = %s/%s, want %s/%s\n%s", p.Deciding.Host, p.Deciding.Setting, host, setting, dumpPath(p))
	}
}

// psAddedEntries reads back the entries an add-only line
// ("foreach ($e in @('a','b')) { if ($l -notcontains $e) ...") adds,
// undoing PSQuote's doubled quotes.
func psAddedEntries(ps string) ([]string, bool) {
	_, rest, ok := strings.Cut(ps, "foreach ($e in @(")
	if !ok || !strings.Contains(ps, "if ($l -notcontains $e) { $l += $e }") {
		return nil, false
	}
	var out []string
	for len(rest) > 0 && rest[0] == '\'' {
		var b strings.Builder
		i := 1
		for ; i < len(rest); i++ {
			if rest[i] == '\'' {
				if i+1 < len(rest) && rest[i+1] == '\'' {
					b.WriteByte('\'')
					i++
					continue
				}
				break
			}
			b.WriteByte(rest[i])
		}
		out = append(out, b.String())
		rest = strings.TrimPrefix(rest[i+1:], ",")
	}
	return out, strings.HasPrefix(rest, ")")
}

// psApplyAdd does what the add-only line does to a list: append each entry
// the list does not hold (-notcontains compares case-insensitively).
func psApplyAdd(list, add []string) []string {
	out := append([]string(nil), list...)
	for _, a := range add {
		if !containsFold(out, a) {
			out = append(out, a)
		}
	}
	return out
}

func settingIDByName(t *testing.T, name string) string {
	t.Helper()
	for _, s := range facts.Settings {
		if s.Name == name {
			return s.ID
		}
	}
	t.Fatalf("no setting named %s", name)
	return ""
}
