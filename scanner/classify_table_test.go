package scanner

import (
	"context"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"net"
	"net/url"
	"testing"

	"github.com/ntlmscan/ntlmscan/scanner/collect"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
	"github.com/ntlmscan/ntlmscan/scanner/winrm"
)

// TestClassifierDefaultHints: where the classifier has nothing more
// specific to say, the hint a host gets is its class's row in the
// error-class table (scanner/facts), word for word, and every class it
// gives has a row.
func TestClassifierDefaultHints(t *testing.T) {
	t.Parallel()
	dial := func(err error) error { return &winrm.ConnectError{Addr: "h:5985", Stage: "dial", Err: err} }
	tests := []struct {
		name string
		he   *facts.HostError
	}{
		{"dns", classify(failure{err: dial(&net.OpError{Op: "dial", Err: &net.DNSError{Name: "x.corp", Err: "no such host"}})})},
		{"tcp", classify(failure{err: dial(timeoutErr{})})},
		{"tls trust", classify(failure{err: &winrm.ConnectError{Addr: "h:5986", Stage: "tls", Err: &tlsVerifyErr{x509.UnknownAuthorityError{}}}})},
		{"not winrm", classify(failure{err: &winrm.HTTPError{Action: "Create", Status: 502, ContentType: "text/html", Snippet: "Bad gateway"}})},
		{"no negotiate", classify(failure{err: &winrm.AuthError{Method: "ntlm", Reason: winrm.AuthMethodNotOffered, Status: 401, Offered: []string{"Kerberos"}}})},
		{"shell disabled", classify(failure{err: &winrm.FaultError{Action: "Create", Message: "The service is configured to not accept any remote shell requests."}})},
		{"plaintext", classify(failure{err: &winrm.InsecureError{Reason: "plain"}})},
		{"quota", classify(failure{err: &winrm.FaultError{Action: "Create", WSManCode: winrm.FaultCodeMaxShells, Message: "max shells"}})},
		{"fault", classify(failure{err: &winrm.FaultError{Action: "Command", Subcode: "InvalidSelectors", Message: "shell not found"}})},
		{"protocol", classify(failure{err: &winrm.ProtocolError{Action: "Receive", Err: errors.New("bad")}})},
		{"script", classify(failure{err: &collect.ScriptError{ExitCode: 1}})},
		{"schema", classify(failure{err: &facts.SchemaError{Got: 2, Want: 1}})},
		{"xml", classify(failure{err: fmt.Errorf("parse: %w", &xml.SyntaxError{Msg: "unexpected EOF", Line: 1})})},
		{"url timeout", classify(failure{err: &url.Error{Op: "Post", URL: "http://h/wsman", Err: timeoutErr{}}})},
		{"canceled", classify(failure{err: context.Canceled, scanCtxErr: context.Canceled})},
		{"internal", classify(failure{err: errors.New("weird")})},
		{"ntlm policy", policyRefusal(`CORP\svc`, 2)},
	}
	for _, tc := range tests {
		row := facts.ClassByName(tc.he.Class)
		if row == nil {
			t.Errorf("%s: class %q has no row in the error-class table", tc.name, tc.he.Class)
			continue
		}
		if tc.he.Hint != row.Hint {
			t.Errorf("%s (%s): hint\n %q\nwant the table's\n %q", tc.name, tc.he.Class, tc.he.Hint, row.Hint)
		}
	}
}
