package scanner

import (
	"context"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/collect"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
	"github.com/ntlmscan/ntlmscan/scanner/winrm"
)

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestClassify(t *testing.T) {
	dial := func(err error) error { return &winrm.ConnectError{Addr: "h:5985", Stage: "dial", Err: err} }
	tlsErr := func(err error) error { return &winrm.ConnectError{Addr: "h:5986", Stage: "tls", Err: err} }
	tests := []struct {
		name     string
		f        failure
		class    facts.ErrorClass
		contains string
	}{
		{"dns", failure{err: dial(&net.OpError{Op: "dial", Err: &net.DNSError{Name: "x.corp", Err: "no such host"}})}, facts.ErrUnreachableDNS, "x.corp"},
		{"refused", failure{err: dial(&net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), addr: "h:5985"}, facts.ErrUnreachableTCP, "refused"},
		{"connect timeout", failure{err: dial(timeoutErr{})}, facts.ErrUnreachableTCP, "timed out"},
		{"unknown CA", failure{err: tlsErr(&tlsVerifyErr{x509.UnknownAuthorityError{}})}, facts.ErrTLSTrust, "authority"},
		{"wrong name", failure{err: tlsErr(x509.HostnameError{Certificate: &x509.Certificate{}, Host: "agent01"})}, facts.ErrTLSTrust, "agent01"},
		{"not TLS", failure{err: tlsErr(errors.New("tls: first record does not look like a TLS handshake"))}, facts.ErrTLSTrust, "handshake"},
		{"kerberos only", failure{err: &winrm.AuthError{Method: "ntlm", Reason: winrm.AuthMethodNotOffered, Status: 401, Offered: []string{"Kerberos"}}}, facts.ErrAuthMethod, "offers Kerberos"},
		{"basic off", failure{err: &winrm.AuthError{Method: "basic", Reason: winrm.AuthMethodNotOffered, Status: 401, Offered: []string{"Negotiate"}}}, facts.ErrAuthMethod, "Basic"},
		{"ntlm 401", failure{err: &winrm.AuthError{Method: "ntlm", Reason: winrm.AuthRejected, Status: 401}, username: `CORP\svc`}, facts.ErrAuthCredentials, `CORP\svc`},
		{"basic 401", failure{err: &winrm.AuthError{Method: "basic", Reason: winrm.AuthRejected, Status: 401}, username: "admin"}, facts.ErrAuthCredentials, "Basic"},
		{"ntlm 401 local account", failure{err: &winrm.AuthError{Method: "ntlm", Reason: winrm.AuthRejected, Status: 401}, username: `AGENT03\scan`, local: true}, facts.ErrAuthLocalAccount, `local account AGENT03\scan`},
		{"remote shell disabled", failure{err: &winrm.FaultError{Action: "Create", Subcode: "AccessDenied", WSManCode: "2150859180", Message: "The WS-Management service cannot process the request. The service is configured to not accept any remote shell requests. "}}, facts.ErrRemoteShellDisabled, "refuses every remote shell"},
		{"shell access denied", failure{err: &winrm.FaultError{Action: "Create", Subcode: "AccessDenied", Message: "Access is denied. "}}, facts.ErrWinRMAccessDenied, "denied Create"},
		{"bad challenge", failure{err: &winrm.AuthError{Method: "ntlm", Reason: winrm.AuthBadChallenge, Detail: "not NTLM"}}, facts.ErrAuthMethod, "not NTLM"},
		{"plaintext", failure{err: &winrm.InsecureError{Reason: "the host answered HTTP 200 without encryption"}}, facts.ErrEncryptionNeeded, "without encryption"},
		{"quota", failure{err: &winrm.FaultError{Action: "Create", WSManCode: winrm.FaultCodeMaxShells, Message: "maximum number of 30 concurrent shells"}}, facts.ErrQuota, "30 concurrent shells"},
		{"fault timed out", failure{err: &winrm.FaultError{Action: "Receive", Subcode: "TimedOut"}}, facts.ErrTimeout, "Receive"},
		{"other fault", failure{err: &winrm.FaultError{Action: "Command", Subcode: "InvalidSelectors", WSManCode: "2150858843", Message: "shell not found"}}, facts.ErrWinRMService, "shell not found"},
		{"500 empty", failure{err: &winrm.HTTPError{Action: "Create", Status: 500}}, facts.ErrWinRMService, "HTTP 500"},
		{"protocol", failure{err: &winrm.ProtocolError{Action: "Receive", Err: errors.New("checksum does not match")}}, facts.ErrMalformedOutput, "checksum"},
		{"connection lost", failure{err: &winrm.ExchangeError{Action: "Receive", Sent: true, Err: io.EOF}, addr: "h:5985"}, facts.ErrUnreachableTCP, "closed the connection"},
		{"exchange timeout", failure{err: &url.Error{Op: "Post", URL: "http://h/wsman", Err: &winrm.ExchangeError{Action: "Create", Sent: true, Err: timeoutErr{}}}}, facts.ErrTimeout, "Create"},
		{"script", failure{err: &collect.ScriptError{ExitCode: 1, Stderr: "Access is denied."}}, facts.ErrRemoteScript, "Access is denied."},
		{"schema", failure{err: &facts.SchemaError{Got: 2, Want: 1}}, facts.ErrSchemaMismatch, "schema 2"},
		{"malformed", failure{err: &collect.MalformedError{Reason: "no facts between markers"}}, facts.ErrMalformedOutput, "markers"},
		{"too much output", failure{err: &winrm.OutputLimitError{Stream: "stdout", Limit: 100}}, facts.ErrMalformedOutput, "100 bytes"},
		{"xml", failure{err: fmt.Errorf("parse: %w", &xml.SyntaxError{Msg: "unexpected EOF", Line: 1})}, facts.ErrMalformedOutput, "unexpected EOF"},
		{"credentials", failure{err: &credError{msg: "environment variable X is not set", hint: "set it"}}, facts.ErrCredentials, "X is not set"},
		{"user canceled", failure{err: context.Canceled, scanCtxErr: context.Canceled}, facts.ErrCanceled, "canceled"},
		{"scan deadline", failure{err: io.EOF, scanCtxErr: context.DeadlineExceeded}, facts.ErrTimeout, "overall deadline"},
		{"host deadline", failure{err: io.EOF, hostCtxErr: context.DeadlineExceeded, hostTO: "30s"}, facts.ErrTimeout, "30s"},
		{"unknown", failure{err: errors.New("weird\x1b[31m")}, facts.ErrInternal, `weird\x1b[31m`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			he := classify(tc.f)
			if he.Class != tc.class {
				t.Fatalf("class %s (%s), want %s", he.Class, he.Message, tc.class)
			}
			if !strings.Contains(he.Message, tc.contains) {
				t.Errorf("message %q lacks %q", he.Message, tc.contains)
			}
			if he.Hint == "" {
				t.Error("no hint")
			}
		})
	}
}

// tlsVerifyErr wraps a verification error the way crypto/tls does.
type tlsVerifyErr struct{ err error }

func (e *tlsVerifyErr) Error() string { return "tls: " + e.err.Error() }
func (e *tlsVerifyErr) Unwrap() error { return e.err }

func TestTransient(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"connection reset", &winrm.ExchangeError{Action: "Receive", Err: syscall.ECONNRESET}, true},
		{"EOF mid-command", &winrm.ExchangeError{Action: "Receive", Sent: true, Err: io.EOF}, true},
		{"step deadline", &url.Error{Op: "Post", Err: &winrm.ExchangeError{Err: timeoutErr{}}}, true},
		{"dial timeout", &winrm.ConnectError{Stage: "dial", Err: timeoutErr{}}, true},
		{"refused", &winrm.ConnectError{Stage: "dial", Err: syscall.ECONNREFUSED}, false},
		{"dns", &winrm.ConnectError{Stage: "dial", Err: &net.DNSError{}}, false},
		{"tls", &winrm.ConnectError{Stage: "tls", Err: timeoutErr{}}, false},
		{"credentials refused", &winrm.AuthError{Reason: winrm.AuthRejected}, false},
		{"quota", &winrm.FaultError{WSManCode: winrm.FaultCodeMaxShells}, false},
		{"bad output", &collect.MalformedError{}, false},
	}
	for _, tc := range tests {
		if got := transient(tc.err); got != tc.want {
			t.Errorf("%s: transient = %v", tc.name, got)
		}
	}
}

func TestIsDomainAccount(t *testing.T) {
	inv := &inventory.Inventory{Domains: []*inventory.Domain{{Name: "corp.example", NetBIOS: "CORP"}}}
	h := &inventory.Host{Name: "AGENT03", NetBIOS: "AGENT03", FQDN: "agent03.corp.example"}
	tests := []struct {
		inv  *inventory.Inventory
		user string
		want bool
	}{
		{inv, `CORP\svc`, true},
		{inv, `corp.example\svc`, true},
		{inv, `svc@corp.example`, true},
		{inv, `AGENT03\local`, false},
		{inv, `.\local`, false},
		{inv, `local`, false},
		{inv, `OTHER\svc`, false}, // not a domain the inventory knows
		{&inventory.Inventory{}, `OTHER\svc`, true},
	}
	for _, tc := range tests {
		if got := isDomainAccount(tc.inv, h, tc.user); got != tc.want {
			t.Errorf("%q: %v", tc.user, got)
		}
	}
}

func TestDefaultPassword(t *testing.T) {
	file := writeFile(t, "pw", "from-file\r\nsecond line\n")
	empty := writeFile(t, "empty", "\n")
	t.Setenv("NTLMSCAN_TEST_PW_SET", "from-env")
	tests := []struct {
		name    string
		c       *inventory.Credential
		want    string
		errPart string
	}{
		{"env", &inventory.Credential{Name: "a", PasswordEnv: "NTLMSCAN_TEST_PW_SET"}, "from-env", ""},
		{"env unset", &inventory.Credential{Name: "a", PasswordEnv: "NTLMSCAN_TEST_PW_UNSET"}, "", "NTLMSCAN_TEST_PW_UNSET is not set"},
		{"file first line", &inventory.Credential{Name: "a", PasswordFile: file}, "from-file", ""},
		{"file empty", &inventory.Credential{Name: "a", PasswordFile: empty}, "", "first line of password file"},
		{"file missing", &inventory.Credential{Name: "a", PasswordFile: file + ".nope"}, "", "password file"},
		{"kerberos", &inventory.Credential{Name: "k", KerberosCache: "/tmp/cc"}, "", "which NTLM and Basic logons cannot use"},
		{"nothing", &inventory.Credential{Name: "n"}, "", "no password source"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DefaultPassword(tc.c)
			if tc.errPart != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errPart) {
					t.Fatalf("err %v, want %q", err, tc.errPart)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v", got, err)
			}
		})
	}
}
