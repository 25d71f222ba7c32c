package scanner

import (
	"context"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

// TestRefusalCauses: each way WinRM refuses the scanning account after
// (or at) the logon gets its own class and a hint that names the cause.
func TestRefusalCauses(t *testing.T) {
	srv := startLab(t, "lab-authz.yaml")
	f := newFleet(t, srv, "FILTER01", "UNFILTER01", "NORIGHTS01", "RMU01", "RMUSDDL01", "NOSHELL01", "NOSHELL02", "SDDL01")
	f.useLocal("FILTER01")
	f.useLocal("UNFILTER01")
	// Every host's own answer is the point here: NORIGHTS01's 401 must not
	// stop the domain credential for the others (the default when it comes
	// first, see TestWrongPasswordOneFailedLogon).
	res := Run(context.Background(), f.inv, Options{Password: labPasswords, ContinueOnBadCredential: true})
	tests := []struct {
		host  string
		class facts.ErrorClass // "" = facts collected
		hint  []string
	}{
		{"FILTER01", facts.ErrAuthLocalAccount, []string{"LocalAccountTokenFilterPolicy = 1", "filtered token", "Remote Management Users"}},
		{"UNFILTER01", "", nil},
		// The same 401 as an NTLM policy refusal: with the credential proven
		// on other hosts the policy class stays, naming both causes.
		{"NORIGHTS01", facts.ErrAuthNTLMPolicy, []string{"Administrators or Remote Management Users", "event 4002"}},
		// Remote Management Users alone: logon fine, shell denied (the
		// cmd shell admits only Administrators by default).
		{"RMU01", facts.ErrWinRMAccessDenied, []string{"local Administrators", "winrm configSDDL default", "Read and Execute", "registry"}},
		{"RMUSDDL01", "", nil},
		{"NOSHELL01", facts.ErrRemoteShellDisabled, []string{"Allow Remote Shell Access", "AllowRemoteShellAccess = 0"}},
		{"NOSHELL02", facts.ErrRemoteShellDisabled, []string{"Allow Remote Shell Access"}},
		{"SDDL01", facts.ErrWinRMAccessDenied, []string{"Remote Management Users", "RootSDDL"}},
	}
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			r := resultFor(t, res, tc.host)
			if tc.class == "" {
				if !r.OK() {
					t.Fatalf("not collected: %+v", r.Error)
				}
				return
			}
			if r.Error == nil || r.Error.Class != tc.class {
				t.Fatalf("error %+v, want class %s", r.Error, tc.class)
			}
			for _, h := range tc.hint {
				if !strings.Contains(r.Error.Hint, h) {
					t.Errorf("hint lacks %q: %s", h, r.Error.Hint)
				}
			}
		})
	}
}

// TestNoRightsWithoutEvidence: alone, a domain account without WinRM
// rights is a plain refused logon whose hint names the missing rights.
func TestNoRightsWithoutEvidence(t *testing.T) {
	srv := startLab(t, "lab-authz.yaml")
	f := newFleet(t, srv, "NORIGHTS01")
	res := Run(context.Background(), f.inv, Options{Password: labPasswords})
	r := resultFor(t, res, "NORIGHTS01")
	if r.Error == nil || r.Error.Class != facts.ErrAuthCredentials {
		t.Fatalf("error %+v, want %s", r.Error, facts.ErrAuthCredentials)
	}
	for _, h := range []string{"no WinRM rights", "Administrators or Remote Management Users", "password", "Incoming NTLM traffic"} {
		if !strings.Contains(r.Error.Hint, h) {
			t.Errorf("hint lacks %q: %s", h, r.Error.Hint)
		}
	}
}

// TestProbesEveryAddressEndToEnd: the Core's probe of an agent whose name
// resolves to an IPv6 and an IPv4 address reports both, through the real
// client and the collector's parse.
func TestProbesEveryAddressEndToEnd(t *testing.T) {
	lab := generatedLab(2, 12, domainPass, winrmtest.Faults{})
	lab.Hosts[1].DNSAddresses = []string{"::1", lab.Hosts[1].Address}
	lab.Hosts[1].Listens = []int{445, 8006}
	lab.Network.Cuts = []winrmtest.Cut{{From: "H001", To: "H002", Addresses: []string{"::1"}}}
	srv := startLabValue(t, lab)
	f := newFleet(t, srv, "H001", "H002")
	f.makeCore("H001", map[string]string{"H002": "h002.corp.example"})
	res := Run(context.Background(), f.inv, Options{Password: labPasswords})
	r := resultFor(t, res, "H001")
	if !r.OK() {
		t.Fatalf("Core not collected: %+v", r.Error)
	}
	pr := r.Facts.Probe("h002.corp.example")
	if pr == nil || len(pr.ByAddress) != 2 || pr.ByAddress[0].Address != "::1" || pr.ByAddress[1].Address != "127.0.12.2" {
		t.Fatalf("probe %+v, want both addresses", pr)
	}
	if p := pr.Port(8006); p == nil || !p.Open {
		t.Errorf("by name 8006 = %+v, want open (the IPv4 address answers)", p)
	}
	if v6 := pr.ByAddress[0].Ports; len(v6) == 0 || v6[0].Open || v6[0].Error != "timeout" {
		t.Errorf("IPv6 ports %+v, want timeouts", v6)
	}
}

// TestServicesUnknownWithoutAdminRights: an account admitted to the shell
// without being an administrator cannot list services over its network
// logon; the host is still collected and the services are unknown with
// that reason, not absent.
func TestServicesUnknownWithoutAdminRights(t *testing.T) {
	srv := startLab(t, "lab-authz.yaml")
	f := newFleet(t, srv, "RMUSDDL01")
	f.makeCore("RMUSDDL01", nil)
	res := Run(context.Background(), f.inv, Options{Password: labPasswords})
	r := resultFor(t, res, "RMUSDDL01")
	if !r.OK() {
		t.Fatalf("not collected: %+v", r.Error)
	}
	reason, unknown := r.Facts.ServicesUnknown()
	if !unknown || !strings.Contains(reason, "Service Control Manager") {
		t.Fatalf("services unknown=%v reason %q, want unknown naming the Service Control Manager; errors %+v", unknown, reason, r.Facts.Errors)
	}
}

// TestCollectorPhaseTimings: the facts say where the collector's time went,
// phase by phase, so the first real hosts show what is slow.
func TestCollectorPhaseTimings(t *testing.T) {
	lab := generatedLab(2, 13, domainPass, winrmtest.Faults{})
	lab.Hosts[1].Listens = []int{445, 8006}
	lab.Network.Cuts = []winrmtest.Cut{{From: "H001", To: "H002", Ports: []int{8006}}}
	srv := startLabValue(t, lab)
	f := newFleet(t, srv, "H001", "H002")
	f.makeCore("H001", map[string]string{"H002": "h002.corp.example"})
	res := Run(context.Background(), f.inv, Options{Password: labPasswords})
	r := resultFor(t, res, "H001")
	if !r.OK() {
		t.Fatalf("Core not collected: %+v", r.Error)
	}
	tm := r.Facts.Timings
	if tm == nil {
		t.Fatal("no collector timings in the facts")
	}
	// The cut port times out: the probe phase lasts the probe timeout.
	if tm.ProbesMS < 1000 || tm.TotalMS < tm.ProbesMS {
		t.Errorf("timings %+v: want the probe phase to carry the timeout and the total to cover it", *tm)
	}
}
