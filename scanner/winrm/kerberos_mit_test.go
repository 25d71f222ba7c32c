package winrm_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/scanner/internal/mitkdc"
	"github.com/ntlmscan/ntlmscan/scanner/winrm"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

const mitPass = "Test-Only-Mit-1!"

// mitLab starts a real MIT KDC (realm MIT.TEST) and a simulator whose
// hosts hold keytabs made by kadmin.local.
func mitLab(t *testing.T) (*mitkdc.KDC, *winrmtest.Server) {
	t.Helper()
	kdc := mitkdc.Start(t, "MIT.TEST")
	kdc.AddUser("svc-scan", mitPass)
	konly := kdc.AddService("HTTP/konly.mit.test")
	skewed := kdc.AddService("HTTP/skewed.mit.test")
	lab, err := winrmtest.ParseLab([]byte(fmt.Sprintf(`
domains:
  - name: mit.test
    netbios: MIT
    users:
      - {name: svc-scan, password: %q}
hosts:
  - name: KONLY
    fqdn: konly.mit.test
    address: 127.0.8.2
    domain: mit.test
    os: {caption: Windows Server 2022 Standard, build: 20348}
    winrm: {negotiate: false, kerberosKeytab: %q}
  - name: SKEWED
    fqdn: skewed.mit.test
    address: 127.0.8.3
    domain: mit.test
    os: {caption: Windows Server 2022 Standard, build: 20348}
    winrm: {kerberosKeytab: %q, clockOffset: -7m}
  - name: NOSPN
    fqdn: nospn.mit.test
    address: 127.0.8.4
    domain: mit.test
    os: {caption: Windows Server 2022 Standard, build: 20348}
`, mitPass, konly, skewed)), "mit-lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := winrmtest.NewServer(lab, winrmtest.WithEphemeralPorts())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return kdc, srv
}

func mitRun(t *testing.T, srv *winrmtest.Server, kc *winrm.KerberosClient, host string) error {
	t.Helper()
	ctx := context.Background()
	sess := newSession(t, ctx, endpoint(t, srv, host, false), winrm.NewKerberos(kc, "HTTP/"+strings.ToLower(host)+".mit.test"), 5*time.Second)
	for range 2 {
		out, err := sess.Run(ctx, "whoami", nil, 1<<20)
		if err != nil {
			return err
		}
		if got := strings.TrimSpace(string(out.Stdout)); got != `mit\svc-scan` {
			t.Fatalf("whoami %q", got)
		}
	}
	return nil
}

// TestKerberosMITKDC scans the simulator over Kerberos with tickets from a
// real MIT KDC, with each credential source.
func TestKerberosMITKDC(t *testing.T) {
	kdc, srv := mitLab(t)
	userKT := kdc.UserKeytab("svc-scan")
	cc := kdc.Kinit("svc-scan", userKT, "")
	sources := []struct {
		name string
		cred winrm.KerberosCredentials
	}{
		{"password", winrm.KerberosCredentials{Username: "svc-scan@MIT.TEST", Password: mitPass}},
		{"keytab", winrm.KerberosCredentials{Username: `MIT\svc-scan`, Realm: "MIT.TEST", Keytab: userKT}},
		{"ccache", winrm.KerberosCredentials{CCache: "FILE:" + cc}},
	}
	for _, src := range sources {
		t.Run(src.name, func(t *testing.T) {
			src.cred.Config = kdc.Conf()
			kc, err := winrm.NewKerberosClient(src.cred)
			if err != nil {
				t.Fatal(err)
			}
			defer kc.Close()
			if err := mitRun(t, srv, kc, "KONLY"); err != nil {
				t.Fatal(err)
			}
		})
	}
	// krb5.conf from KRB5_CONFIG, as an admin's shell would have it.
	t.Run("KRB5_CONFIG", func(t *testing.T) {
		t.Setenv("KRB5_CONFIG", kdc.Krb5Conf)
		kc, err := winrm.NewKerberosClient(winrm.KerberosCredentials{Username: "svc-scan", Password: mitPass})
		if err != nil {
			t.Fatal(err)
		}
		defer kc.Close()
		if err := mitRun(t, srv, kc, "KONLY"); err != nil {
			t.Fatal(err)
		}
	})
}

// TestKerberosMITErrors: skew at the host, unknown SPN, no or expired TGT
// and a wrong password, each as its own KerberosError kind.
func TestKerberosMITErrors(t *testing.T) {
	kdc, srv := mitLab(t)
	userKT := kdc.UserKeytab("svc-scan")
	short := kdc.Kinit("svc-scan", userKT, "2s")
	missing := kdc.Dir + "/no-such.cc"
	tests := []struct {
		name string
		cred winrm.KerberosCredentials
		host string
		kind winrm.KerberosErrorKind
		wait time.Duration
	}{
		{"host clock skew", winrm.KerberosCredentials{Username: "svc-scan@MIT.TEST", Password: mitPass}, "SKEWED", winrm.KrbClockSkew, 0},
		{"unknown SPN", winrm.KerberosCredentials{Username: "svc-scan@MIT.TEST", Password: mitPass}, "NOSPN", winrm.KrbSPNUnknown, 0},
		{"wrong password", winrm.KerberosCredentials{Username: "svc-scan@MIT.TEST", Password: "Test-Only-wrong"}, "KONLY", winrm.KrbBadCredentials, 0},
		{"unknown user", winrm.KerberosCredentials{Username: "nobody@MIT.TEST", Password: mitPass}, "KONLY", winrm.KrbBadCredentials, 0},
		{"no ccache", winrm.KerberosCredentials{CCache: missing}, "KONLY", winrm.KrbNoTGT, 0},
		{"expired TGT", winrm.KerberosCredentials{CCache: short}, "KONLY", winrm.KrbNoTGT, 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			time.Sleep(tt.wait)
			tt.cred.Config = kdc.Conf()
			kc, err := winrm.NewKerberosClient(tt.cred)
			if err == nil {
				defer kc.Close()
				err = mitRun(t, srv, kc, tt.host)
			}
			var ke *winrm.KerberosError
			if !errors.As(err, &ke) || ke.Kind != tt.kind {
				t.Fatalf("got %v, want kind %s", err, tt.kind)
			}
			if strings.Contains(err.Error(), mitPass) {
				t.Fatal("password in the error")
			}
			t.Log(err)
		})
	}
	_ = os.Remove(missing)

	// A keytab exported before a password change is stale.
	t.Run("stale keytab", func(t *testing.T) {
		kdc.ChangePassword("svc-scan", "Test-Only-Mit-2!")
		kc, err := winrm.NewKerberosClient(winrm.KerberosCredentials{Username: "svc-scan@MIT.TEST", Keytab: userKT, Config: kdc.Conf()})
		if err != nil {
			t.Fatal(err)
		}
		defer kc.Close()
		err = mitRun(t, srv, kc, "KONLY")
		var ke *winrm.KerberosError
		if !errors.As(err, &ke) || ke.Kind != winrm.KrbBadCredentials {
			t.Fatalf("got %v, want bad-credentials", err)
		}
		t.Log(err)
	})
}

// TestKerberosMITKeptConnection: service tickets one after another from
// MIT's krb5kdc, which closes a TCP connection after its reply: the
// client's kept connection fails and the request goes again on a new one,
// never as an error.
func TestKerberosMITKeptConnection(t *testing.T) {
	kdc, _ := mitLab(t)
	kc, err := winrm.NewKerberosClient(winrm.KerberosCredentials{Username: "svc-scan@MIT.TEST", Password: mitPass, Config: kdc.Conf()})
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	for range 2 {
		for _, spn := range []string{"HTTP/konly.mit.test", "HTTP/skewed.mit.test"} {
			tkt, _, err := kc.ServiceTicket(context.Background(), spn)
			if err != nil {
				t.Fatalf("%s: %v", spn, err)
			}
			if got := tkt.SName.PrincipalNameString(); got != spn {
				t.Fatalf("%s: ticket for %s", spn, got)
			}
		}
	}
	// An unknown SPN is still the KDC's error, not a connection failure.
	_, _, err = kc.ServiceTicket(context.Background(), "HTTP/nospn.mit.test")
	var ke *winrm.KerberosError
	if !errors.As(err, &ke) || ke.Kind != winrm.KrbSPNUnknown {
		t.Fatalf("unknown SPN: %v", err)
	}
}
