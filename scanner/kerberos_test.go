package scanner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
	"github.com/ntlmscan/ntlmscan/scanner/winrm"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

// TestKerberosAuthModes scans the Kerberos lab (simulated KDC) with each
// auth mode and checks the method actually used, the fallback rule of
// auth: auto and the error classes.
func TestKerberosAuthModes(t *testing.T) {
	t.Setenv(passwordEnvD, domainPass)
	t.Setenv("NTLMSCAN_TEST_LOCAL_PW", localPass)
	leaks := goleak.IgnoreCurrent()
	lab, err := winrmtest.LoadLab(filepath.Join("testdata", "lab-kerberos.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := winrmtest.NewServer(lab, winrmtest.WithEphemeralPorts())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		// No gokrb5 TGT-renewal goroutine or connection outlives a scan.
		srv.Close()
		goleak.VerifyNone(t, leaks)
	}()
	tests := []struct {
		host      string
		mode      inventory.AuthMode
		wantAuth  string
		wantClass facts.ErrorClass
		wantNote  string
		wantHint  string
	}{
		{"KONLY", inventory.AuthKerberos, "kerberos", "", "", ""},
		{"KONLY", inventory.AuthAuto, "kerberos", "", "", ""},
		{"KONLY", inventory.AuthNTLM, "", facts.ErrAuthMethod, "", "auth: kerberos"},
		{"HARDENED", inventory.AuthAuto, "kerberos", "", "", ""},
		{"HARDENED", inventory.AuthNTLM, "", facts.ErrAuthCredentials, "", ""},
		{"NOSPN", inventory.AuthKerberos, "", facts.ErrKerberosSPN, "", "setspn -S HTTP/nospn.corp.example"},
		{"NOSPN", inventory.AuthAuto, "ntlm", "", "spn-unknown", ""},
		{"SKEWED", inventory.AuthAuto, "", facts.ErrKerberosClockSkew, "", "NTP"},
		{"SKEWED", inventory.AuthKerberos, "", facts.ErrKerberosClockSkew, "", "NTP"},
		{"WG", inventory.AuthAuto, "ntlm", "", "not in a domain", ""},
		{"BIGTOKEN", inventory.AuthKerberos, "", facts.ErrKerberosTokenTooLarge, "", "MaxFieldLength and MaxRequestBytes"},
		// A local account has no Kerberos identity: auto uses NTLM at once
		// and says why, instead of asking the domain's KDC.
		{"LOCAL", inventory.AuthAuto, "ntlm", "", "auto: NTLM because the credential is the local account LOCAL\\scan-local", ""},
	}
	for _, tt := range tests {
		t.Run(tt.host+"/"+string(tt.mode), func(t *testing.T) {
			f := newFleet(t, srv, tt.host)
			h := f.host(tt.host)
			h.WinRM.Auth = tt.mode
			if tt.host != "WG" {
				h.Domain = "corp.example"
			}
			if tt.host == "WG" || tt.host == "LOCAL" {
				f.useLocal(tt.host)
			}
			res := Run(context.Background(), f.inv, Options{Krb5Conf: srv.Krb5Conf(), Retries: -1})
			r := res[0]
			if tt.wantClass == "" && r.Error != nil {
				t.Fatalf("error: %v", r.Error)
			}
			if tt.wantClass != "" && (r.Error == nil || r.Error.Class != tt.wantClass) {
				t.Fatalf("got %+v, want class %s", r.Error, tt.wantClass)
			}
			if r.Auth != tt.wantAuth || !strings.Contains(r.AuthNote, tt.wantNote) {
				t.Errorf("auth %q note %q, want %q note containing %q", r.Auth, r.AuthNote, tt.wantAuth, tt.wantNote)
			}
			if tt.wantHint != "" && !strings.Contains(r.Error.Hint, tt.wantHint) {
				t.Errorf("hint %q, want it to mention %q", r.Error.Hint, tt.wantHint)
			}
			if r.Error != nil && strings.Contains(r.Error.Message+r.Error.Hint, domainPass) {
				t.Fatal("the password leaked into the error")
			}
		})
	}
}

func TestInventoryKrb5Conf(t *testing.T) {
	dc := &inventory.Host{Name: "DC01", FQDN: "dc01.corp.example", Address: "10.0.0.11"}
	dc2 := &inventory.Host{Name: "DC02", FQDN: "dc02.corp.example", Address: "fd00::12"}
	inv := &inventory.Inventory{Domains: []*inventory.Domain{
		{Name: "corp.example", Controllers: []*inventory.Host{dc, dc2}},
		{Name: "other.example"},
	}}
	got := inventoryKrb5Conf(inv)
	for _, want := range []string{"default_realm = CORP.EXAMPLE", "kdc = 10.0.0.11:88", "kdc = [fd00::12]:88", ".corp.example = CORP.EXAMPLE"} {
		if !strings.Contains(got, want) {
			t.Errorf("krb5.conf lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "OTHER.EXAMPLE") {
		t.Error("a domain without controllers became a realm")
	}
	if inventoryKrb5Conf(&inventory.Inventory{}) != "" {
		t.Error("no domains, yet a krb5.conf")
	}
	// gokrb5 must accept what we generate.
	if _, err := winrm.NewKerberosClient(winrm.KerberosCredentials{Username: "a@CORP.EXAMPLE", Password: "x", Config: got}); err != nil {
		t.Fatal(err)
	}
}

// TestKerberosConcurrentHosts: hosts sharing one credential log on in
// parallel with one TGT (race detector).
func TestKerberosConcurrentHosts(t *testing.T) {
	t.Setenv(passwordEnvD, domainPass)
	srv := startLab(t, "lab-kerberos.yaml")
	f := newFleet(t, srv, "DC1", "KONLY", "HARDENED")
	for _, h := range f.inv.Hosts {
		h.Domain, h.WinRM.Auth = "corp.example", inventory.AuthKerberos
		if h.FQDN == "" {
			h.FQDN = strings.ToLower(h.Name) + ".corp.example"
		}
	}
	for _, r := range Run(context.Background(), f.inv, Options{Krb5Conf: srv.Krb5Conf(), Concurrency: 3}) {
		if r.Error != nil || r.Auth != "kerberos" {
			t.Errorf("%s: auth %q error %v", r.Host, r.Auth, r.Error)
		}
	}
}

// TestAutoFallbackRefusedByPolicySaysSo: auth: auto on a host that refuses
// NTLM by policy, where Kerberos could not start (the KDC does not know
// the SPN), falls back to NTLM and is refused. Once the refusal is settled
// as the NTLM-policy class (the credential worked on another host), the
// error still says that auto used NTLM, and why.
func TestAutoFallbackRefusedByPolicySaysSo(t *testing.T) {
	t.Setenv(passwordEnvD, domainPass)
	srv := startLab(t, "lab-kerberos.yaml")
	f := newFleet(t, srv, "DC1", "HARDENED")
	h := f.host("HARDENED")
	h.Domain, h.WinRM.Auth, h.WinRM.SPN = "corp.example", inventory.AuthAuto, "HTTP/not-registered.corp.example"
	var got *facts.HostResult
	for _, r := range Run(context.Background(), f.inv, Options{Krb5Conf: srv.Krb5Conf(), Retries: -1}) {
		if r.Host == "DC1" && r.Error != nil {
			t.Fatalf("DC1: %v", r.Error)
		}
		if r.Host == "HARDENED" {
			got = &r
		}
	}
	if got == nil || got.Error == nil || got.Error.Class != facts.ErrAuthNTLMPolicy {
		t.Fatalf("HARDENED: %+v, want class %s", got, facts.ErrAuthNTLMPolicy)
	}
	if !strings.Contains(got.Error.Message, "auto: NTLM because") || !strings.Contains(got.AuthNote, "auto: NTLM because") {
		t.Errorf("the refusal does not say auth: auto fell back to NTLM:\nmessage %q\nauthNote %q", got.Error.Message, got.AuthNote)
	}
}

// TestAutoKerberosOnlyHostReportsKerberosFailure: auth: auto on a host
// that offers only Kerberos, when Kerberos fails before the host judged a
// ticket (no KDC answers): auto tries NTLM, which the host does not offer.
// The error is the Kerberos failure (what the admin must fix), saying NTLM
// was not offered either, not "use auth: kerberos (or auto)".
func TestAutoKerberosOnlyHostReportsKerberosFailure(t *testing.T) {
	t.Setenv(passwordEnvD, domainPass)
	srv := startLab(t, "lab-kerberos.yaml")
	f := newFleet(t, srv, "KONLY")
	h := f.host("KONLY")
	h.Domain, h.WinRM.Auth = "corp.example", inventory.AuthAuto
	deadKDC := "[libdefaults]\n  default_realm = CORP.EXAMPLE\n[realms]\n  CORP.EXAMPLE = {\n    kdc = 127.0.0.1:1\n  }\n"
	r := Run(context.Background(), f.inv, Options{Krb5Conf: deadKDC, Retries: -1})[0]
	if r.Error == nil || r.Error.Class != facts.ErrKerberosKDC {
		t.Fatalf("KONLY: %+v, want class %s", r.Error, facts.ErrKerberosKDC)
	}
	if !strings.Contains(r.Error.Message, "does not offer NTLM") || !strings.Contains(r.Error.Hint, "krb5.conf") {
		t.Errorf("error %+v: want the message to say NTLM is not offered either, and the KDC hint", r.Error)
	}
}

// TestRunReadsOnlyTheEnvironmentGiven: with Options.LookupEnv, the
// password variable and KRB5_CONFIG come from it, not from the process, so
// a command (and its tests) can hand the scan an environment of its own.
func TestRunReadsOnlyTheEnvironmentGiven(t *testing.T) {
	t.Parallel()
	srv := startLab(t, "lab-kerberos.yaml")
	krb5 := filepath.Join(t.TempDir(), "krb5.conf")
	if err := os.WriteFile(krb5, []byte(srv.Krb5Conf()), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		env       map[string]string
		wantClass facts.ErrorClass
	}{
		{"password and krb5.conf given", map[string]string{passwordEnvD: domainPass, "KRB5_CONFIG": krb5}, ""},
		{"no password", map[string]string{"KRB5_CONFIG": krb5}, facts.ErrCredentials},
		{"no krb5.conf", map[string]string{passwordEnvD: domainPass, "KRB5_CONFIG": krb5 + ".missing"}, facts.ErrKerberosConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFleet(t, srv, "KONLY")
			h := f.host("KONLY")
			h.Domain, h.WinRM.Auth = "corp.example", inventory.AuthKerberos
			lookup := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
			r := Run(context.Background(), f.inv, Options{Retries: -1, LookupEnv: lookup})[0]
			switch {
			case tc.wantClass == "" && (r.Error != nil || r.Auth != "kerberos"):
				t.Fatalf("auth %q error %+v, want a Kerberos logon", r.Auth, r.Error)
			case tc.wantClass != "" && (r.Error == nil || r.Error.Class != tc.wantClass):
				t.Fatalf("error %+v, want class %s", r.Error, tc.wantClass)
			}
		})
	}
}
