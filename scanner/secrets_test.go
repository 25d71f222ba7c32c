package scanner

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ntlmscan/ntlmscan/inventory"
)

// Password files and variables as admins really write them (Notepad's
// UTF-8 BOM, CRLF, a trailing newline from `echo`) log on in a real scan:
// the scan path reads secrets with the one reader the inventory documents.
func TestScanReadsSecretsLikeTheInventoryDocuments(t *testing.T) {
	srv := startLab(t, "lab-mixed.yaml")
	dir := t.TempDir()
	tests := []struct {
		name string
		file string // password file content; "" = use the environment
		env  string
	}{
		{name: "file with BOM and CRLF", file: "\xef\xbb\xbf" + domainPass + "\r\n"},
		{name: "file with BOM, no newline", file: "\xef\xbb\xbf" + domainPass},
		{name: "file with LF and a second line", file: domainPass + "\nnot the password\n"},
		{name: "environment with trailing newline", env: domainPass + "\n"},
		{name: "environment with BOM and CRLF", env: "\xef\xbb\xbf" + domainPass + "\r\n"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFleet(t, srv, "AGENT01")
			c := f.domain
			if tc.file != "" {
				path := filepath.Join(dir, "pw"+itoa(i))
				if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
					t.Fatal(err)
				}
				c.PasswordEnv, c.PasswordFile = "", path
			} else {
				env := "NTLMSCAN_TEST_SECRET_" + itoa(i)
				t.Setenv(env, tc.env)
				c.PasswordEnv = env
			}
			res := Run(context.Background(), f.inv, Options{Retries: -1})
			if !res[0].OK() {
				t.Fatalf("scan refused the password: %+v", res[0].Error)
			}
		})
	}
}

// DefaultPassword is the inventory's reader, not a second one with other
// rules.
func TestDefaultPasswordIsTheInventoryReader(t *testing.T) {
	dir := t.TempDir()
	for i, content := range []string{"\xef\xbb\xbfpw\r\n", "pw\n", "pw", "\n", "\xff\xfep\x00w\x00", ""} {
		path := filepath.Join(dir, "f"+itoa(i))
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		c := &inventory.Credential{Name: "c", PasswordFile: path}
		want, wantErr := c.Resolve()
		got, err := DefaultPassword(c)
		if (err == nil) != (wantErr == nil) || got != want.Reveal() {
			t.Errorf("%q: DefaultPassword = %q, %v; Resolve = %v", content, got, err, wantErr)
		}
	}
}

func itoa(i int) string { return string(rune('a' + i)) }
