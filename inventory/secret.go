package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// redacted is what every printable form of a Secret shows.
const redacted = "[redacted]"

// maxPasswordFile bounds how much of a password file is read.
const maxPasswordFile = 64 << 10

// ErrNoSecret is returned (wrapped) when a credential's secret source is
// missing or empty.
var ErrNoSecret = errors.New("secret not available")

// Secret holds a resolved password. It prints, logs and marshals as
// "[redacted]"; only Reveal returns the value, so a secret cannot reach a
// log line, an error message or a report by accident.
//
// The value sits behind a pointer so that even reflection-based printing of
// a struct holding a Secret in an unexported field (where fmt cannot call
// the methods below) shows an address, not the password.
type Secret struct {
	value *string
}

// NewSecret wraps a value (for tests and for callers that obtain secrets
// elsewhere).
func NewSecret(v string) Secret { return Secret{value: &v} }

// Reveal returns the secret for the one place that needs it: the
// authentication call.
func (s Secret) Reveal() string {
	if s.value == nil {
		return ""
	}
	return *s.value
}

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.Reveal() == "" }

func (Secret) String() string                { return redacted }
func (Secret) GoString() string              { return redacted }
func (Secret) MarshalJSON() ([]byte, error)  { return []byte(`"` + redacted + `"`), nil }
func (Secret) MarshalText() ([]byte, error)  { return []byte(redacted), nil }
func (Secret) MarshalYAML() (any, error)     { return redacted, nil }
func (Secret) LogValue() slog.Value          { return slog.StringValue(redacted) }
func (Secret) Format(f fmt.State, verb rune) { _, _ = io.WriteString(f, redacted) }
func (s *Secret) UnmarshalJSON([]byte) error {
	return errors.New("inventory.Secret cannot be unmarshalled")
}
func (s *Secret) UnmarshalText(_ []byte) error {
	return errors.New("inventory.Secret cannot be unmarshalled")
}

// Resolve reads the credential's secret from its environment variable or
// password file, at the moment the scanner needs it (never at load time).
// It is the one reader of secrets: the scan path uses it too. Both sources
// follow the same rules: a leading UTF-8 byte order mark (Notepad) and a
// trailing line break (LF, CRLF or CR, as `echo` or an editor leaves it) are
// not part of the password; of a file only the first line counts. Anything
// else, spaces included, is the password. Errors name the variable or
// file, never the secret.
func (c *Credential) Resolve() (Secret, error) { return c.ResolveEnv(os.LookupEnv) }

// ResolveEnv is Resolve with the environment read through lookupEnv (an
// os.LookupEnv), so a command can hand its own environment to the scan and
// tests can run side by side without touching the process's.
func (c *Credential) ResolveEnv(lookupEnv func(string) (string, bool)) (Secret, error) {
	switch {
	case c == nil:
		return Secret{}, fmt.Errorf("no credential: %w", ErrNoSecret)
	case c.PasswordEnv != "":
		v, ok := lookupEnv(c.PasswordEnv)
		if !ok {
			return Secret{}, fmt.Errorf("credential %q: environment variable %s is not set (export it before running ntlmscan): %w", c.Name, c.PasswordEnv, ErrNoSecret)
		}
		v = normalizeSecret(v)
		if v == "" {
			return Secret{}, fmt.Errorf("credential %q: environment variable %s is empty: %w", c.Name, c.PasswordEnv, ErrNoSecret)
		}
		return NewSecret(v), nil
	case c.PasswordFile != "":
		return readPasswordFile(c)
	case c.KerberosCache != "" || c.Keytab != "":
		return Secret{}, fmt.Errorf("credential %q holds Kerberos keys (kerberos_cache or keytab), not a password; only auth: kerberos can use it: %w", c.Name, ErrNoSecret)
	}
	return Secret{}, fmt.Errorf("credential %q has no password source: %w", c.Name, ErrNoSecret)
}

func readPasswordFile(c *Credential) (Secret, error) {
	f, err := os.Open(c.PasswordFile)
	if err != nil {
		// *PathError names the file and the cause, never content.
		return Secret{}, fmt.Errorf("credential %q: open password file: %w", c.Name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPasswordFile+1))
	if err != nil {
		return Secret{}, fmt.Errorf("credential %q: read password file %s: %w", c.Name, c.PasswordFile, err)
	}
	if len(data) > maxPasswordFile {
		return Secret{}, fmt.Errorf("credential %q: password file %s is larger than %d bytes; it should hold only the password", c.Name, c.PasswordFile, maxPasswordFile)
	}
	if bytes.HasPrefix(data, []byte("\xff\xfe")) || bytes.HasPrefix(data, []byte("\xfe\xff")) {
		clear(data)
		return Secret{}, fmt.Errorf("credential %q: password file %s is UTF-16 (Notepad's \"Unicode\"); save it as UTF-8: %w", c.Name, c.PasswordFile, ErrNoSecret)
	}
	line, _, _ := bytes.Cut(data, []byte("\n"))
	password := normalizeSecret(string(line))
	clear(data)
	if password == "" {
		return Secret{}, fmt.Errorf("credential %q: the first line of password file %s is empty: %w", c.Name, c.PasswordFile, ErrNoSecret)
	}
	return NewSecret(password), nil
}

// normalizeSecret strips what editors and shells add around a password: a
// UTF-8 BOM in front and one line break (LF, CRLF or CR) at the end.
func normalizeSecret(v string) string {
	v = strings.TrimPrefix(v, "\ufeff")
	v = strings.TrimSuffix(v, "\n")
	return strings.TrimSuffix(v, "\r")
}
