package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const testPassword = "Lab-Only-Passw0rd!"

// TestSecretRedacted proves a Secret never prints, logs or marshals its
// value, however it is reached.
func TestSecretRedacted(t *testing.T) {
	t.Parallel()
	s := NewSecret(testPassword)
	if s.Reveal() != testPassword {
		t.Fatalf("Reveal() lost the value")
	}
	type exported struct {
		User     string
		Password Secret
	}
	type unexported struct {
		user     string
		password Secret
	}
	values := map[string]any{
		"value":            s,
		"pointer":          &s,
		"exported field":   exported{"u", s},
		"unexported field": unexported{"u", s},
		"slice":            []Secret{s},
		"map":              map[string]Secret{"p": s},
	}
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var outputs []string
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%T", "%d"} {
				outputs = append(outputs, fmt.Sprintf(verb, v))
			}
			outputs = append(outputs, fmt.Sprint(v), fmt.Sprintln(v))
			if j, err := json.Marshal(v); err == nil {
				outputs = append(outputs, string(j))
			}
			if y, err := yaml.Marshal(v); err == nil {
				outputs = append(outputs, string(y))
			}
			var logs bytes.Buffer
			slog.New(slog.NewJSONHandler(&logs, nil)).Info("creds", "secret", v)
			slog.New(slog.NewTextHandler(&logs, nil)).Info("creds", "secret", v)
			outputs = append(outputs, logs.String())
			outputs = append(outputs, fmt.Errorf("wrapped: %v", v).Error())
			for _, out := range outputs {
				if strings.Contains(out, testPassword) || strings.Contains(out, fmt.Sprintf("%x", testPassword)) {
					t.Errorf("secret leaked: %s", out)
				}
			}
		})
	}
	// The common forms say [redacted] explicitly.
	for _, out := range []string{s.String(), s.GoString(), fmt.Sprintf("%v", s)} {
		if out != "[redacted]" {
			t.Errorf("got %q, want [redacted]", out)
		}
	}
	if j, _ := json.Marshal(s); string(j) != `"[redacted]"` {
		t.Errorf("MarshalJSON = %s", j)
	}
	if v := s.LogValue(); v.String() != "[redacted]" {
		t.Errorf("LogValue = %v", v)
	}
	if err := json.Unmarshal([]byte(`"x"`), &s); err == nil {
		t.Errorf("Secret must not be unmarshalled from JSON")
	}
}

func TestCredentialResolve(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	big := write("big.pw", strings.Repeat("x", maxPasswordFile+10))
	tests := []struct {
		name    string
		cred    *Credential
		env     map[string]string
		want    string
		wantErr string // substring; the error must also never contain the secret
	}{
		{name: "env", cred: &Credential{Name: "scan", PasswordEnv: "NTLMSCAN_TEST_PW"}, env: map[string]string{"NTLMSCAN_TEST_PW": testPassword}, want: testPassword},
		{name: "env unset", cred: &Credential{Name: "scan", PasswordEnv: "NTLMSCAN_TEST_UNSET"}, wantErr: `credential "scan": environment variable NTLMSCAN_TEST_UNSET is not set`},
		{name: "env empty", cred: &Credential{Name: "scan", PasswordEnv: "NTLMSCAN_TEST_EMPTY"}, env: map[string]string{"NTLMSCAN_TEST_EMPTY": ""}, wantErr: "NTLMSCAN_TEST_EMPTY is empty"},
		{name: "env trailing newline and BOM", cred: &Credential{Name: "scan", PasswordEnv: "NTLMSCAN_TEST_PW_NL"}, env: map[string]string{"NTLMSCAN_TEST_PW_NL": "\ufeff" + testPassword + "\r\n"}, want: testPassword},
		{name: "env keeps inner spaces", cred: &Credential{Name: "scan", PasswordEnv: "NTLMSCAN_TEST_PW_SP"}, env: map[string]string{"NTLMSCAN_TEST_PW_SP": " a b "}, want: " a b "},
		{name: "env only a newline", cred: &Credential{Name: "scan", PasswordEnv: "NTLMSCAN_TEST_PW_ONLYNL"}, env: map[string]string{"NTLMSCAN_TEST_PW_ONLYNL": "\n"}, wantErr: "is empty"},
		{name: "file UTF-16", cred: &Credential{Name: "f", PasswordFile: write("u.pw", "\xff\xfep\x00w\x00")}, wantErr: "save it as UTF-8"},
		{name: "file first line", cred: &Credential{Name: "f", PasswordFile: write("a.pw", testPassword+"\nsecond line\n")}, want: testPassword},
		{name: "file crlf and bom", cred: &Credential{Name: "f", PasswordFile: write("b.pw", "\xef\xbb\xbf"+testPassword+"\r\n")}, want: testPassword},
		{name: "file without newline", cred: &Credential{Name: "f", PasswordFile: write("c.pw", testPassword)}, want: testPassword},
		{name: "file empty", cred: &Credential{Name: "f", PasswordFile: write("d.pw", "\n"+testPassword)}, wantErr: "first line of password file " + filepath.Join(dir, "d.pw") + " is empty"},
		{name: "file missing", cred: &Credential{Name: "f", PasswordFile: filepath.Join(dir, "missing.pw")}, wantErr: filepath.Join(dir, "missing.pw")},
		{name: "file too big", cred: &Credential{Name: "f", PasswordFile: big}, wantErr: "is larger than"},
		{name: "kerberos cache", cred: &Credential{Name: "k", KerberosCache: "/tmp/krb5cc"}, wantErr: "only auth: kerberos"},
		{name: "keytab", cred: &Credential{Name: "k", Keytab: "/tmp/svc.keytab"}, wantErr: "only auth: kerberos"},
		{name: "no source", cred: &Credential{Name: "n"}, wantErr: "no password source"},
		{name: "nil", cred: nil, wantErr: "no credential"},
	}
	for _, tc := range tests {
		// Resolve reads the process environment; ResolveEnv only the lookup
		// it is given (the process's must not leak in).
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			checkResolved(t, tc.want, tc.wantErr, tc.cred.Resolve)
		})
		t.Run(tc.name+"/ResolveEnv", func(t *testing.T) {
			t.Setenv("NTLMSCAN_TEST_UNSET", "from the process")
			lookup := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
			checkResolved(t, tc.want, tc.wantErr, func() (Secret, error) { return tc.cred.ResolveEnv(lookup) })
		})
	}
}

// checkResolved compares what resolve returns with want or wantErr; an
// error never holds the secret and never comes with one.
func checkResolved(t *testing.T, want, wantErr string, resolve func() (Secret, error)) {
	t.Helper()
	got, err := resolve()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("err = %v, want %q", err, wantErr)
		}
		if strings.Contains(err.Error(), testPassword) {
			t.Errorf("error contains the secret: %v", err)
		}
		if !got.IsZero() {
			t.Errorf("secret returned with an error")
		}
		return
	}
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if got.Reveal() != want {
		t.Errorf("Reveal() = %q, want %q", got.Reveal(), want)
	}
}

func TestResolveErrorsAreClassified(t *testing.T) {
	t.Parallel()
	_, err := (&Credential{Name: "x", PasswordEnv: "NTLMSCAN_TEST_NEVER_SET_4711"}).Resolve()
	if !errors.Is(err, ErrNoSecret) {
		t.Errorf("err = %v, want ErrNoSecret", err)
	}
	_, err = (&Credential{Name: "x", PasswordFile: filepath.Join(t.TempDir(), "nope")}).Resolve()
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want os.ErrNotExist", err)
	}
}

// Loading never reads password files or environment variables.
func TestLoadDoesNotReadSecrets(t *testing.T) {
	doc := strings.Replace(mustRead(t, "testdata/valid-minimal.yaml"), "password_env: NTLMSCAN_PASSWORD", "password_file: /nonexistent/dir/scan.pw", 1)
	t.Setenv("NTLMSCAN_PASSWORD", "")
	inv, err := Parse([]byte(doc), "x.yaml")
	if err != nil {
		t.Fatalf("Parse must not need the password file: %v", err)
	}
	if inv.Credentials["scan"].PasswordFile != "/nonexistent/dir/scan.pw" {
		t.Errorf("PasswordFile = %q", inv.Credentials["scan"].PasswordFile)
	}
}
