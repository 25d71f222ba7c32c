package scanner

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// TestCAFileWithoutCertificate: an inventory ca_file that holds no PEM
// certificate is an inventory problem named as such, not an internal error
// carrying the WinRM library's wording.
func TestCAFileWithoutCertificate(t *testing.T) {
	ca := writeFile(t, "ca.pem", "this is not a certificate\n")
	inv := &inventory.Inventory{Hosts: []*inventory.Host{{Name: "TLSX", Address: "127.0.0.1", Scan: true,
		WinRM: inventory.WinRM{Transport: inventory.TransportNTLM, HTTPS: true, Port: 1, CAFile: ca, Timeout: 5 * time.Second,
			Credential: &inventory.Credential{Name: "c", Username: `CORP\x`, PasswordEnv: "X"}}}}}
	res := Run(context.Background(), inv, Options{Password: func(*inventory.Credential) (string, error) { return "pw", nil }})
	e := res[0].Error
	if e == nil || e.Class == facts.ErrInternal || !strings.Contains(e.Message, ca) || !strings.Contains(e.Hint, "ca_file") {
		t.Fatalf("want an inventory error naming %s and ca_file, got %+v", ca, e)
	}
	if strings.Contains(e.Message, "can't parse") {
		t.Errorf("library wording in %q", e.Message)
	}
}
