package verdict

import (
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// TestReachabilityPerAddress: a target whose name resolves to an IPv4 and
// an IPv6 address is noted when only one answers, and an unreachable target
// lists what every address answered.
func TestReachabilityPerAddress(t *testing.T) {
	t.Parallel()
	const port = 8006
	setAddrs := func(l *lab, v4Open, v6Open bool) {
		l.probe("CORE01", "agent01.corp.example", port, v4Open || v6Open, map[bool]string{true: "", false: "timeout"}[v4Open || v6Open])
		pr := l.facts("CORE01").Probe("agent01.corp.example")
		pr.Addresses = []string{"127.0.0.31", "::1"}
		res := func(open bool) []facts.PortResult {
			if open {
				return []facts.PortResult{{Port: port, Open: true, ElapsedMS: 1}}
			}
			return []facts.PortResult{{Port: port, Error: "timeout", ElapsedMS: 3000}}
		}
		pr.ByAddress = []facts.AddressResult{{Address: "127.0.0.31", Ports: res(v4Open)}, {Address: "::1", Ports: res(v6Open)}}
	}
	t.Run("IPv4 only", func(t *testing.T) {
		l := newLab(t)
		setAddrs(l, true, false)
		p := findPath(t, l.eval(Options{}), pA1)
		if p.Reachable != ReachYes || p.Verdict != OK {
			t.Fatalf("reachable %v verdict %s\n%s", p.Reachable, p.Verdict, dumpPath(p))
		}
		var note *Reason
		for i := range p.Reasons {
			if p.Reasons[i].Setting == SettingReachability && p.Reasons[i].Effect == EffectInfo {
				note = &p.Reasons[i]
			}
		}
		if note == nil || !strings.Contains(note.Explanation, "IPv4 127.0.0.31: open") || !strings.Contains(note.Explanation, "IPv6 ::1: timeout") {
			t.Fatalf("no per-address note\n%s", dumpPath(p))
		}
	})
	t.Run("all addresses agree", func(t *testing.T) {
		l := newLab(t)
		setAddrs(l, true, true)
		p := findPath(t, l.eval(Options{}), pA1)
		for _, r := range p.Reasons {
			if r.Setting == SettingReachability {
				t.Errorf("note where nothing differs: %s", r.Explanation)
			}
		}
	})
	t.Run("none answers", func(t *testing.T) {
		l := newLab(t)
		setAddrs(l, false, false)
		p := findPath(t, l.eval(Options{}), pA1)
		if p.Reachable != ReachNo || p.Deciding == nil || !strings.Contains(p.Deciding.Explanation, "IPv6 ::1: timeout") {
			t.Fatalf("unreachable path does not list every address\n%s", dumpPath(p))
		}
	})
}
