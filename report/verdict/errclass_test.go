package verdict

import (
	"testing"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// TestHostErrorClassVerdicts: a target that could not be scanned makes
// its paths blocked-suspected only when it refused ntlmscan's NTLM logon
// by policy; every other class (the newer ones included) leaves them
// unknown. A Core that could not be scanned never makes a path
// blocked-suspected: its incoming policy does not govern its outgoing
// logons.
func TestHostErrorClassVerdicts(t *testing.T) {
	t.Parallel()
	classes := []facts.ErrorClass{
		facts.ErrUnreachableDNS, facts.ErrUnreachableTCP, facts.ErrTLSTrust, facts.ErrTLSConfig, facts.ErrNotWinRM,
		facts.ErrAuthCredentials, facts.ErrAuthLocalAccount, facts.ErrAuthNTLMPolicy, facts.ErrAuthChannelBinding,
		facts.ErrWinRMAccessDenied, facts.ErrRemoteShellDisabled, facts.ErrAuthMethod, facts.ErrEncryptionNeeded,
		facts.ErrQuota, facts.ErrTimeout, facts.ErrRemoteScript, facts.ErrMalformedOutput, facts.ErrSchemaMismatch,
		facts.ErrWinRMService, facts.ErrCredentials, facts.ErrCanceled, facts.ErrInternal, facts.ErrNotAttempted,
		facts.ErrKerberosClockSkew, facts.ErrKerberosSPN, facts.ErrKerberosNoTGT, facts.ErrKerberosKDC,
		facts.ErrKerberosCredentials, facts.ErrKerberosConfig, facts.ErrKerberosRefused, facts.ErrKerberosTokenTooLarge,
	}
	for _, class := range classes {
		for _, who := range []string{"AGENT02", "CORE01"} {
			t.Run(string(class)+"/"+who, func(t *testing.T) {
				t.Parallel()
				l := newLab(t)
				l.results[who] = &facts.HostResult{Host: who, Error: &facts.HostError{Class: class, Message: "refused"}}
				p := findPath(t, l.eval(Options{}), pA2)
				want := Unknown
				if class == facts.ErrAuthNTLMPolicy && who == "AGENT02" {
					want = BlockedSuspected
				}
				if p.Verdict != want {
					t.Errorf("%s failing with %s: path %s, want %s\n%s", who, class, p.Verdict, want, dumpPath(p))
				}
			})
		}
	}
}
