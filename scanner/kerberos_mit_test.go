package scanner

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/internal/mitkdc"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

// TestScanKerberosMIT: Run collects a Kerberos-only host with tickets from
// a real MIT KDC, for each inventory credential source, with krb5.conf from
// KRB5_CONFIG as an admin would set it.
func TestScanKerberosMIT(t *testing.T) {
	kdc := mitkdc.Start(t, "MIT.TEST")
	kdc.AddUser("svc-scan", "Test-Only-Mit-1!")
	hostKT := kdc.AddService("HTTP/konly.mit.test")
	userKT := kdc.UserKeytab("svc-scan")
	cc := kdc.Kinit("svc-scan", userKT, "")
	lab, err := winrmtest.ParseLab([]byte(fmt.Sprintf(`
domains:
  - name: mit.test
    netbios: MIT
    users: [{name: svc-scan, password: Test-Only-Mit-1!}]
hosts:
  - name: KONLY
    fqdn: konly.mit.test
    address: 127.0.11.2
    domain: mit.test
    os: {caption: Windows Server 2022 Standard, build: 20348}
    winrm: {negotiate: false, kerberosKeytab: %q}
`, hostKT)), "mit-lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv := startLabValue(t, lab)
	t.Setenv("KRB5_CONFIG", kdc.Krb5Conf)
	t.Setenv("KRB5CCNAME", "FILE:"+cc)
	t.Setenv("NTLMSCAN_TEST_MIT_PW", "Test-Only-Mit-1!")
	creds := []*inventory.Credential{
		{Name: "password", Username: `MIT\svc-scan`, PasswordEnv: "NTLMSCAN_TEST_MIT_PW"},
		{Name: "keytab", Username: "svc-scan@MIT.TEST", Keytab: userKT},
		{Name: "ccache", Username: "svc-scan@MIT.TEST", KerberosCache: "KRB5CCNAME"},
	}
	for _, c := range creds {
		t.Run(c.Name, func(t *testing.T) {
			f := newFleet(t, srv, "KONLY")
			f.inv.Domains = []*inventory.Domain{{Name: "mit.test", NetBIOS: "MIT"}}
			h := f.host("KONLY")
			h.Domain, h.WinRM.Auth, h.WinRM.Credential = "mit.test", inventory.AuthKerberos, c
			r := Run(context.Background(), f.inv, Options{Retries: -1})[0]
			if r.Error != nil || r.Facts == nil || r.Auth != "kerberos" {
				t.Fatalf("auth %q, error %v", r.Auth, r.Error)
			}
		})
	}
	_ = os.Remove(cc)
}
