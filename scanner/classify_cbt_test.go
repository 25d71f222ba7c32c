package scanner

import (
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
	"github.com/ntlmscan/ntlmscan/scanner/winrm"
)

// TestClassifyChannelBinding: NTLM 401s over HTTPS say what the channel
// binding was; without one (a certificate RFC 5929 cannot hash) the refusal
// is pinned on channel binding at once.
func TestClassifyChannelBinding(t *testing.T) {
	refused := func(tb *winrm.TLSBinding) failure {
		return failure{err: &winrm.AuthError{Method: "ntlm", Reason: winrm.AuthRejected, Status: 401, Offered: []string{"Negotiate"}, TLS: tb},
			method: "ntlm", username: `CORP\svc`}
	}
	tests := []struct {
		name              string
		f                 failure
		class             facts.ErrorClass
		inMessage, inHint string
	}{
		{"no binding could be sent", refused(&winrm.TLSBinding{NoBinding: "signed with Ed25519", Thumbprint: "AB12"}),
			facts.ErrAuthChannelBinding, "signed with Ed25519", "CbtHardeningLevel"},
		{"binding sent", refused(&winrm.TLSBinding{BindingSent: true, Thumbprint: "AB12"}),
			facts.ErrAuthCredentials, "AB12", "TLS-inspecting proxy"},
		{"plain HTTP is unchanged", refused(nil), facts.ErrAuthCredentials, `CORP\svc`, "4002"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			he := classify(tc.f)
			if he.Class != tc.class || !strings.Contains(he.Message, tc.inMessage) || !strings.Contains(he.Hint, tc.inHint) {
				t.Errorf("got %s: %q / %q; want %s mentioning %q / %q", he.Class, he.Message, he.Hint, tc.class, tc.inMessage, tc.inHint)
			}
		})
	}
	// Known-good credential, binding sent: the policy class (its paths are
	// blocked-suspected), with the channel binding named as the other cause.
	he := settledRefusal(`CORP\svc`, 3, &winrm.TLSBinding{BindingSent: true, Thumbprint: "AB12"})
	if he.Class != facts.ErrAuthNTLMPolicy || !strings.Contains(he.Message, "AB12") || !strings.Contains(he.Message, "3 other host") ||
		!strings.Contains(he.Hint, "TLS inspection proxy") || !strings.Contains(he.Message, "channel binding") || !strings.Contains(he.Hint, "4002") {
		t.Errorf("settled over HTTPS: %+v", he)
	}
	if he := settledRefusal(`CORP\svc`, 3, nil); he.Class != facts.ErrAuthNTLMPolicy {
		t.Errorf("settled over HTTP: %+v, want the policy class", he)
	}
}

// TestPolicyRefusalHintNamesKerberos: a host that refuses NTLM by policy
// can still be scanned over Kerberos; the hint says how.
func TestPolicyRefusalHintNamesKerberos(t *testing.T) {
	for _, tb := range []*winrm.TLSBinding{nil, {BindingSent: true, Thumbprint: "AB12"}} {
		if he := settledRefusal(`CORP\svc`, 1, tb); !strings.Contains(he.Hint, "auth: kerberos") {
			t.Errorf("hint %q does not name auth: kerberos", he.Hint)
		}
	}
}
