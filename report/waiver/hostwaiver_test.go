package waiver_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/waiver"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

const hostWaivers = `waivers:
  - host: agent07
    owner: ops@corp.example
    reason: AGENT07 is decommissioned in CHG-2310; WinRM is disabled there
    expires: 2027-03-31
  - host: AGENT09
    owner: ops@corp.example
    reason: scanned fine, so this waiver is unused
    expires: 2027-03-31
  - host: AGENT08
    owner: ops@corp.example
    reason: old
    expires: 2026-01-31
`

// A host waiver accepts a host that cannot be scanned: the report records
// it against the failed host (active or expired), and a waiver for a host
// that was scanned is unused.
func TestHostWaivers(t *testing.T) {
	t.Parallel()
	f, err := waiver.Parse(strings.NewReader(hostWaivers), "w.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Waivers[0]; got.Host != "agent07" || got.Line != 2 || got.Selector() != "host=agent07" {
		t.Fatalf("waiver 0 = %+v", got)
	}
	r := &report.Report{Hosts: []facts.HostResult{
		{Host: "AGENT07", Error: &facts.HostError{Class: facts.ErrRemoteShellDisabled}},
		{Host: "AGENT08", Error: &facts.HostError{Class: facts.ErrTimeout}},
		{Host: "AGENT09", Facts: &facts.Response{}},
		{Host: "AGENT10", Error: &facts.HostError{Class: facts.ErrTimeout}},
	}}
	now := time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)
	waiver.Apply(r, f, now)
	idx := r.HostWaiverIndex()
	if w := idx["agent07"]; !w.Active() || w.Host != "AGENT07" || w.Owner != "ops@corp.example" {
		t.Errorf("AGENT07 waiver = %+v, want active", w)
	}
	if w := idx["agent08"]; w == nil || w.Active() {
		t.Errorf("AGENT08 waiver = %+v, want expired", w)
	}
	if w := idx["agent10"]; w != nil {
		t.Errorf("AGENT10 has waiver %+v", w)
	}
	if len(r.Waivers.Unused) != 1 || r.Waivers.Unused[0].Match != "host=AGENT09" {
		t.Errorf("unused = %+v, want the AGENT09 waiver", r.Waivers.Unused)
	}
	if got := r.UnwaivedFailedHosts(); len(got) != 2 || got[0].Host != "AGENT08" || got[1].Host != "AGENT10" {
		t.Errorf("unwaived failed hosts = %+v, want AGENT08 (expired) and AGENT10", got)
	}
}

func TestHostWaiverProblems(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"waivers:\n  - host: A\n    core: C\n    target: T\n    owner: o\n    reason: r\n    expires: 2027-01-01\n",
			"w.yaml:2: waivers[0].host: give host alone"},
		{"waivers:\n  - host: A\n    owner: o\n    reason: r\n    expires: 2027-01-01\n  - host: a\n    owner: o\n    reason: r\n    expires: 2027-01-01\n",
			"w.yaml:6: waivers: waives host=a again (first at line 2)"},
	} {
		_, err := waiver.Parse(strings.NewReader(tc.in), "w.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
}

// Expired lists the waivers no longer in force, for validate --waivers.
func TestFileExpired(t *testing.T) {
	t.Parallel()
	f, err := waiver.Parse(strings.NewReader(hostWaivers), "w.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got := f.Expired(time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC))
	if len(got) != 1 || got[0].Host != "AGENT08" {
		t.Errorf("Expired = %+v, want the AGENT08 waiver", got)
	}
}
