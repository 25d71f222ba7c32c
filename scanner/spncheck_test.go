package scanner

import (
	"context"
	"testing"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

// spnLab: corp.example with the simulated KDC; one agent whose account has
// every SPN, one without any (setspn never run), one with only RC4 keys,
// and a file server without a cifs/ SPN.
const spnLab = `
domains:
  - name: corp.example
    netbios: CORP
    kdc: true
    users: [{name: svc-scan, password: Test-Only-Scan-1!}]
hosts:
  - {name: CORE1, fqdn: core1.corp.example, address: 127.0.9.1, domain: corp.example, os: {build: 20348}}
  - {name: AGOK, fqdn: agok.corp.example, address: 127.0.9.2, domain: corp.example, os: {build: 20348}}
  - {name: AGMISS, fqdn: agmiss.corp.example, address: 127.0.9.3, domain: corp.example, os: {build: 20348}, winrm: {noSPN: true}, kdc: {missing: [HOST, cifs]}}
  - {name: AGRC4, fqdn: agrc4.corp.example, address: 127.0.9.4, domain: corp.example, os: {build: 20348}, kdc: {rc4Only: true}}
  - {name: FS1, fqdn: fs1.corp.example, address: 127.0.9.5, domain: corp.example, os: {build: 20348}, kdc: {missing: [cifs]}}
`

// TestKerberosVerification: each Kerberos-expected path's SPN is asked of
// the KDC with the Core's scan credential and classified.
func TestKerberosVerification(t *testing.T) {
	t.Setenv(passwordEnvD, domainPass)
	lab, err := winrmtest.ParseLab([]byte(spnLab), "spn.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := winrmtest.NewServer(lab, winrmtest.WithEphemeralPorts())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	f := newFleet(t, srv, "CORE1", "AGOK", "AGMISS", "AGRC4", "FS1")
	f.makeCore("CORE1", map[string]string{"AGOK": "agok.corp.example", "AGMISS": "agmiss.corp.example", "AGRC4": "AGRC4"}, "fs1.corp.example", "10.0.0.9")
	f.host("CORE1").Domain = "corp.example"

	want := map[string]facts.SPNResult{
		"HTTP/agok.corp.example":   facts.SPNIssuedAES,
		"HTTP/agmiss.corp.example": facts.SPNUnknown,
		"HTTP/agrc4":               facts.SPNRC4Only,
		"cifs/fs1.corp.example":    facts.SPNUnknown,
	}
	res := Run(context.Background(), f.inv, Options{Krb5Conf: srv.Krb5Conf(), Retries: -1, Password: labPasswords})
	core := res[0]
	if len(core.SPNChecks) != len(want) {
		t.Fatalf("checks %+v, want %d (none for the share named by IP)", core.SPNChecks, len(want))
	}
	for spn, w := range want {
		c := core.SPNCheck(spn)
		if c == nil || c.Result != w {
			t.Errorf("%s: %+v, want %s", spn, c, w)
		}
	}
	if c := core.SPNCheck("HTTP/agok.corp.example"); c != nil && c.EType != 18 {
		t.Errorf("etype %d, want 18 (AES256)", c.EType)
	}
	for _, r := range res[1:] {
		if len(r.SPNChecks) != 0 {
			t.Errorf("%s is no Core but has checks %+v", r.Host, r.SPNChecks)
		}
	}

	// Without a Kerberos-capable credential, and with no KDC answering.
	local := &inventory.Credential{Name: "local", Username: `CORE1\admin`, PasswordEnv: passwordEnvD}
	f.host("CORE1").WinRM.Credential = local
	res = Run(context.Background(), f.inv, Options{Krb5Conf: srv.Krb5Conf(), Retries: -1, Password: labPasswords})
	if c := res[0].SPNCheck("HTTP/agok.corp.example"); c == nil || c.Result != facts.SPNNoCredential {
		t.Errorf("local credential: %+v", c)
	}
	f.host("CORE1").WinRM.Credential = f.domain
	dead := "[libdefaults]\n default_realm = CORP.EXAMPLE\n udp_preference_limit = 1\n[realms]\n CORP.EXAMPLE = {\n  kdc = 127.0.9.250:1\n }\n"
	res = Run(context.Background(), f.inv, Options{Krb5Conf: dead, Retries: -1, Password: labPasswords})
	if c := res[0].SPNCheck("HTTP/agok.corp.example"); c == nil || c.Result != facts.SPNKDCUnreachable {
		t.Errorf("dead KDC: %+v", c)
	}
	res = Run(context.Background(), f.inv, Options{Krb5Conf: srv.Krb5Conf(), Retries: -1, Password: labPasswords, NoKerberosVerify: true})
	if len(res[0].SPNChecks) != 0 {
		t.Errorf("NoKerberosVerify: %+v", res[0].SPNChecks)
	}
}
