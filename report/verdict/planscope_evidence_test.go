package verdict

import (
	"slices"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// TestPlanScopeFollowsEvidence: issue 16's scope rule is "required, or
// the evidence shows using NTLM". AGENT01 is addressed by FQDN (Kerberos
// expected) behind a Core that denies outgoing NTLM: without evidence the
// plan only verifies Kerberos; with NTLM seen in CORE01's log (refused or
// audited) the path gets its one exact exception entry, the FQDN the Core
// uses, and no verify step.
func TestPlanScopeFollowsEvidence(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		setup     func(l *lab)
		state     EvidenceState
		exception bool
	}{
		{"no evidence", func(*lab) {}, EvidenceNone, false},
		{"auditing on, no NTLM seen", func(l *lab) { l.events("CORE01") }, EvidenceNone, false},
		{"blocked observed", func(l *lab) { l.events("CORE01", coreEvent(4001, agent01SPN)) }, EvidenceBlockedObserved, true},
		{"ntlm observed", func(l *lab) { l.events("CORE01", coreEvent(8001, agent01SPN)) }, EvidenceNTLMObserved, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t)
			l.set("CORE01", facts.RestrictSendingNTLMTraffic, 2)
			c.setup(l)
			m := l.eval(Options{})
			p := findPath(t, m, agent01ID)
			// Evidence of NTLM also makes the path required (evidence.go,
			// observedNTLM); the scope rule must not depend on that.
			if !c.exception && p.Need == NeedRequired {
				t.Fatalf("AGENT01 by FQDN is %s, want Kerberos-expected\n%s", p.Need, dumpPath(p))
			}
			if evidenceShowsNTLM(p) != c.exception {
				t.Errorf("evidenceShowsNTLM = %v, want %v", evidenceShowsNTLM(p), c.exception)
			}
			if got := p.Evidence; c.state != EvidenceNone && (got == nil || got.State != c.state) {
				t.Fatalf("evidence %+v, want %s", got, c.state)
			}
			if NeedsException(p) != c.exception {
				t.Errorf("NeedsException = %v, want %v", NeedsException(p), c.exception)
			}
			var adds []string
			verify := false
			for _, ch := range m.Plan {
				if !slices.Contains(ch.Paths, agent01ID) {
					continue
				}
				switch {
				case ch.Kind == ChangeVerifyKerberos:
					verify = true
				case ch.SettingID == facts.ClientAllowedNTLMServers:
					if ch.Host != "CORE01" {
						t.Errorf("exception on %s, want CORE01", ch.Host)
					}
					adds = append(adds, ch.Add...)
				case ch.Kind == ChangeDWORD && ch.SettingID == facts.RestrictSendingNTLMTraffic:
					t.Errorf("the plan loosens Deny all instead of scoping an exception: %+v", ch)
				}
			}
			// The list change also carries the other required paths' names;
			// of AGENT01's name forms only the one the Core uses is added.
			var mine []string
			for _, a := range adds {
				if strings.EqualFold(a, "AGENT01") || strings.HasPrefix(strings.ToLower(a), "agent01.") {
					mine = append(mine, a)
				}
			}
			want := []string(nil)
			if c.exception {
				want = []string{"agent01.corp.example"}
			}
			if !slices.Equal(mine, want) || verify == c.exception {
				t.Errorf("AGENT01 entries %q verify-kerberos %v, want %q and %v\nplan: %s", mine, verify, want, !c.exception, planIDs(m.Plan))
			}
		})
	}
}

func planIDs(plan []Change) string {
	var ids []string
	for _, c := range plan {
		ids = append(ids, string(c.Kind)+" "+c.ID)
	}
	return strings.Join(ids, ", ")
}
