package scanner

import (
	"context"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

// failedLogons counts the logons the simulator refused, over all hosts.
func failedLogons(srv *winrmtest.Server) int {
	n := 0
	for _, c := range srv.Calls() {
		if c.AuthError != "" {
			n++
		}
	}
	return n
}

// TestWrongPasswordOneFailedLogon: a nightly run with a changed password
// costs one failed logon per credential, not one per host, so it cannot lock
// the account; the other hosts are not-attempted, naming the host that
// refused it. --continue-on-bad-credential tries every host.
func TestWrongPasswordOneFailedLogon(t *testing.T) {
	lab := generatedLab(6, 31, "Right-Password-1!", winrmtest.Faults{})
	srv := startLabValue(t, lab)
	for _, cont := range []bool{false, true} {
		srv.ResetCalls()
		f := newFleet(t, srv, names(srv)...)
		res := Run(context.Background(), f.inv, Options{Password: labPasswords, Concurrency: 6, ContinueOnBadCredential: cont})
		refused, notAttempted, refuser := 0, 0, ""
		for _, r := range res {
			switch {
			case r.Error == nil:
				t.Fatalf("%s collected with a wrong password", r.Host)
			case r.Error.Class == facts.ErrAuthCredentials:
				refused++
				refuser = r.Host
			case r.Error.Class == facts.ErrNotAttempted:
				notAttempted++
			default:
				t.Errorf("%s: %+v", r.Host, r.Error)
			}
		}
		if cont {
			if refused != 6 || failedLogons(srv) != 6 {
				t.Errorf("continue: %d refused, %d failed logons, want 6 and 6", refused, failedLogons(srv))
			}
			continue
		}
		if refused != 1 || notAttempted != 5 || failedLogons(srv) != 1 {
			t.Fatalf("%d refused, %d not attempted, %d failed logons; want 1, 5, 1", refused, notAttempted, failedLogons(srv))
		}
		for _, r := range res {
			if r.Error.Class != facts.ErrNotAttempted {
				continue
			}
			if !strings.Contains(r.Error.Message, refuser) || !strings.Contains(r.Error.Hint, "--continue-on-bad-credential") {
				t.Errorf("%s: %+v, want the refusing host %s named and the override in the hint", r.Host, r.Error, refuser)
			}
		}
	}
}

// TestRightPasswordRefusedByOneHost: once the credential has logged on
// somewhere, a 401 elsewhere is that host's policy, and the scan goes on.
func TestRightPasswordRefusedByOneHost(t *testing.T) {
	srv := startLab(t, "lab-authz.yaml")
	f := newFleet(t, srv, "UNFILTER01", "NORIGHTS01", "NOSHELL02")
	f.useLocal("UNFILTER01")
	f.host("NORIGHTS01").WinRM.Credential = f.domain
	// Serialised so that the domain credential proves itself first.
	f.inv.Hosts[0], f.inv.Hosts[2] = f.inv.Hosts[2], f.inv.Hosts[0]
	res := Run(context.Background(), f.inv, Options{Password: labPasswords, Concurrency: 1})
	if r := resultFor(t, res, "NORIGHTS01"); r.Error == nil || r.Error.Class != facts.ErrAuthNTLMPolicy {
		t.Fatalf("NORIGHTS01: %+v, want %s", r.Error, facts.ErrAuthNTLMPolicy)
	}
}

// TestPolicyHostDoesNotStopTheCredential: the credential is tried first on
// the first inventory host that uses it, so a host that refuses NTLM by
// policy elsewhere in the inventory cannot stop it, however the hosts are
// scheduled.
func TestPolicyHostDoesNotStopTheCredential(t *testing.T) {
	lab := generatedLab(6, 32, domainPass, winrmtest.Faults{})
	for _, i := range []int{1, 5} {
		lab.Hosts[i].Registry = []winrmtest.RegistryEntry{{Path: `HKLM\SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0\RestrictReceivingNTLMTraffic`, Type: "REG_DWORD", Value: 2}}
	}
	srv := startLabValue(t, lab)
	for range 3 {
		f := newFleet(t, srv, names(srv)...)
		res := Run(context.Background(), f.inv, Options{Password: labPasswords, Concurrency: 6})
		for _, r := range res {
			want := facts.ErrorClass("")
			if r.Host == "H002" || r.Host == "H006" {
				want = facts.ErrAuthNTLMPolicy
			}
			if (r.Error == nil && want != "") || (r.Error != nil && r.Error.Class != want) {
				t.Fatalf("%s: %+v, want class %q", r.Host, r.Error, want)
			}
		}
	}
}
