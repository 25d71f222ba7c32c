package verdict

import (
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/report/whatif"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// TestSMBBlockNTLMEffectiveSource: BlockNTLM and its exception list come
// from the policy key when present, else from LanmanWorkstation\Parameters,
// else from Get-SmbClientConfiguration; the deciding reason and the fix
// name the source that decided.
func TestSMBBlockNTLMEffectiveSource(t *testing.T) {
	t.Parallel()
	const (
		polKey = `HKLM\SOFTWARE\Policies\Microsoft\Windows\LanmanWorkstation`
		parKey = `HKLM\SYSTEM\CurrentControlSet\Services\LanmanWorkstation\Parameters`
	)
	ws2025 := func(l *lab) { l.build("CORE01", ws2025Build); l.smbCmdlet("CORE01", boolPtr(false)) }
	tests := []struct {
		name        string
		mut         func(l *lab)
		want        Verdict
		setting     string   // deciding setting ID
		explains    []string // in the deciding reason's explanation
		fixKey      string   // the key the fix writes
		fixList     []string // the full list it writes
		applyFixSet string   // setting ID the fix writes; applied, the path must be OK
	}{
		{name: "local configuration blocks when no policy is set",
			mut: func(l *lab) {
				ws2025(l)
				l.set("CORE01", facts.SMBBlockNTLMLocal, 1)
				l.smbCmdlet("CORE01", boolPtr(true))
			},
			// No list anywhere: the fix writes the documented policy list.
			want: Blocked, setting: facts.SMBBlockNTLMLocal, explains: []string{parKey},
			fixKey: polKey, fixList: []string{"nas01", "NAS01"}, applyFixSet: facts.SMBBlockNTLMServerExceptionList},
		{name: "local exception list in effect gets the fix",
			mut: func(l *lab) {
				ws2025(l)
				l.set("CORE01", facts.SMBBlockNTLMLocal, 1)
				l.smbCmdlet("CORE01", boolPtr(true))
				l.set("CORE01", facts.SMBBlockNTLMServerExceptionListLocal, []string{"other01"})
			},
			want: Blocked, setting: facts.SMBBlockNTLMLocal, explains: []string{parKey},
			fixKey: parKey, fixList: []string{"other01", "nas01", "NAS01"}, applyFixSet: facts.SMBBlockNTLMServerExceptionListLocal},
		{name: "policy disabled wins over local configuration",
			mut: func(l *lab) {
				ws2025(l)
				l.set("CORE01", facts.SMBBlockNTLM, 0)
				l.set("CORE01", facts.SMBBlockNTLMLocal, 1)
			},
			want: OK},
		{name: "policy enabled wins over local configuration disabled",
			mut: func(l *lab) {
				ws2025(l)
				l.set("CORE01", facts.SMBBlockNTLM, 1)
				l.set("CORE01", facts.SMBBlockNTLMLocal, 0)
				l.smbCmdlet("CORE01", boolPtr(true))
			},
			want: Blocked, setting: facts.SMBBlockNTLM, explains: []string{polKey},
			fixKey: polKey, fixList: []string{"nas01", "NAS01"}, applyFixSet: facts.SMBBlockNTLMServerExceptionList},
		{name: "local exception list applies when the policy has none",
			mut: func(l *lab) {
				ws2025(l)
				l.set("CORE01", facts.SMBBlockNTLM, 1)
				l.smbCmdlet("CORE01", boolPtr(true))
				l.set("CORE01", facts.SMBBlockNTLMServerExceptionListLocal, []string{"nas01"})
			},
			want: OK},
		{name: "policy exception list overrides the local one",
			mut: func(l *lab) {
				ws2025(l)
				l.set("CORE01", facts.SMBBlockNTLMLocal, 1)
				l.smbCmdlet("CORE01", boolPtr(true))
				l.set("CORE01", facts.SMBBlockNTLMServerExceptionList, []string{"other01"})
				l.set("CORE01", facts.SMBBlockNTLMServerExceptionListLocal, []string{"nas01"})
			},
			want: Blocked, setting: facts.SMBBlockNTLMLocal, explains: []string{parKey, polKey},
			fixKey: polKey, fixList: []string{"other01", "nas01", "NAS01"}, applyFixSet: facts.SMBBlockNTLMServerExceptionList},
		{name: "cmdlet alone reports the block and its list",
			mut: func(l *lab) {
				ws2025(l)
				l.smbCmdlet("CORE01", boolPtr(true))
				l.facts("CORE01").SMBClient.BlockNTLMServerExceptionList = []string{"other01"}
			},
			want: Blocked, setting: "Get-SmbClientConfiguration", explains: []string{"Get-SmbClientConfiguration"},
			fixKey: polKey, fixList: []string{"other01", "nas01", "NAS01"}},
		{name: "cmdlet list holding the name exempts the path",
			mut: func(l *lab) {
				ws2025(l)
				l.smbCmdlet("CORE01", boolPtr(true))
				l.facts("CORE01").SMBClient.BlockNTLMServerExceptionList = []string{"nas01"}
			},
			want: OK},
		{name: "unreadable local value with no policy is unknown",
			mut: func(l *lab) {
				ws2025(l)
				l.facts("CORE01").SMBClient = nil
				l.setError("CORE01", facts.SMBBlockNTLMLocal, "Access is denied.")
			},
			want: Unknown, setting: facts.SMBBlockNTLMLocal},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t)
			tc.mut(l)
			p := findPath(t, l.eval(Options{}), pNAS)
			if p.Verdict != tc.want {
				t.Fatalf("verdict %s, want %s\n%s", p.Verdict, tc.want, dumpPath(p))
			}
			if tc.setting == "" {
				return
			}
			d := p.Deciding
			if d == nil {
				t.Fatalf("no deciding reason\n%s", dumpPath(p))
			}
			if s := facts.SettingByID(tc.setting); s != nil && d.GPOName != s.GPOName || s == nil && !strings.Contains(d.GPOName, tc.setting) {
				t.Errorf("deciding reason %q (%s), want setting %s", d.GPOName, d.Explanation, tc.setting)
			}
			for _, e := range tc.explains {
				if !strings.Contains(d.Explanation, e) {
					t.Errorf("explanation lacks %q: %s", e, d.Explanation)
				}
			}
			if tc.fixKey == "" {
				return
			}
			rem := d.Remediation
			if rem == nil {
				t.Fatal("no remediation")
			}
			if !strings.Contains(rem.PowerShell, psRegPath(tc.fixKey)) {
				t.Errorf("fix writes elsewhere than %s: %s", tc.fixKey, rem.PowerShell)
			}
			listID := facts.SMBBlockNTLMServerExceptionList
			if tc.fixKey == parKey {
				listID = facts.SMBBlockNTLMServerExceptionListLocal
			}
			add, ok := psAddedEntries(rem.PowerShell)
			list := psApplyAdd(l.list("CORE01", listID), add)
			if want := psApplyAdd(nil, tc.fixList); !ok || strings.Join(list, "|") != strings.Join(want, "|") {
				t.Errorf("fix leaves %q, want %q", list, want)
			}
			if !strings.Contains(rem.Note, "BlockNTLM") {
				t.Errorf("fix note does not say where the block comes from: %s", rem.Note)
			}
			if tc.applyFixSet != "" {
				l.set("CORE01", tc.applyFixSet, list)
				if after := findPath(t, l.eval(Options{}), pNAS); after.Verdict != OK {
					t.Errorf("after the fix: %s\n%s", after.Verdict, dumpPath(after))
				}
			}
		})
	}
}

// TestWhatIfLocalBlockNTLM: disabling the local BlockNTLM in a what-if
// (no policy value) assumes the cmdlet follows, as for the policy value.
func TestWhatIfLocalBlockNTLM(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.build("CORE01", ws2025Build)
	l.set("CORE01", facts.SMBBlockNTLMLocal, 1)
	l.smbCmdlet("CORE01", boolPtr(true))
	ov := &whatif.Overlay{Name: "what-if", File: "assume.yaml", Changes: []whatif.Change{
		{Select: whatif.Selector{Hosts: []string{"CORE01"}}, Setting: facts.SMBBlockNTLMLocal, Set: &whatif.Value{DWORD: u64p(0)}}}}
	m := Evaluate(l.inv, l.resultList(), ov, Options{})
	p := findPath(t, m, pNAS)
	if p.Before.Verdict != Blocked || p.Verdict != OK {
		t.Fatalf("before %s after %s, want blocked -> ok\n%s", p.Before.Verdict, p.Verdict, dumpPath(p))
	}
}
