package scanner

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/winrm"
)

// A domain credential with a wrong password is refused by every host, and
// each refusal is a failed logon counted by the domain's lockout policy: a
// nightly run after a password change would lock the account. So a domain
// credential's NTLM logon is tried on one host at a time until it has worked
// once; the first refusal (HTTP 401 to the final leg) stops it for the rest
// of the run, and the hosts not yet tried end as not-attempted, naming the
// host that refused it. One 401 cannot tell a wrong password from that
// host's NTLM policy or missing rights: Options.ContinueOnBadCredential
// (--continue-on-bad-credential) tries every host regardless.

// credGate is the state of one credential in a run.
type credGate struct {
	mu        sync.Mutex
	proven    bool          // logged on somewhere: later 401s are host policy
	refusedBy string        // host that refused it first ("" if none)
	busy      chan struct{} // a logon in progress; closed when it ends
}

// gateFor returns the credential's gate.
func (s *scan) gateFor(c *inventory.Credential) *credGate {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gates == nil {
		s.gates = map[*inventory.Credential]*credGate{}
	}
	g := s.gates[c]
	if g == nil {
		g = &credGate{}
		s.gates[c] = g
	}
	return g
}

// credentialStoppedError: the credential was refused by another host of this
// run and was not tried here.
type credentialStoppedError struct {
	credential, username, refusedBy string
}

func (e *credentialStoppedError) Error() string {
	return fmt.Sprintf("not attempted: credential %q (%s) was refused by %s earlier in this run", e.credential, e.username, e.refusedBy)
}

// gatedAuth runs the logon of a domain credential through its gate.
type gatedAuth struct {
	winrm.Authenticator
	ctx      context.Context // the host's deadline bounds the wait
	gate     *credGate
	host     string
	credName string
	username string
}

func (a *gatedAuth) Authenticate(x winrm.Exchanger, secure bool) (winrm.Protector, error) {
	for {
		a.gate.mu.Lock()
		switch {
		case a.gate.proven:
			a.gate.mu.Unlock()
			return a.Authenticator.Authenticate(x, secure)
		case a.gate.refusedBy != "":
			by := a.gate.refusedBy
			a.gate.mu.Unlock()
			return nil, &credentialStoppedError{credential: a.credName, username: a.username, refusedBy: by}
		case a.gate.busy != nil:
			wait := a.gate.busy
			a.gate.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-a.ctx.Done():
				return nil, fmt.Errorf("waiting for another host's logon with the same credential: %w", context.Cause(a.ctx))
			}
		}
		done := make(chan struct{})
		a.gate.busy = done
		a.gate.mu.Unlock()

		p, err := a.Authenticator.Authenticate(x, secure)

		a.gate.mu.Lock()
		a.gate.busy = nil
		close(done)
		var ae *winrm.AuthError
		switch {
		case err == nil:
			a.gate.proven = true
		case errors.As(err, &ae) && ae.Reason == winrm.AuthRejected && ae.Method == "ntlm":
			a.gate.refusedBy = a.host
		}
		a.gate.mu.Unlock()
		return p, err
	}
}

// proven records a logon that worked by another path (Kerberos under auth:
// auto): the credential's password is right.
func (g *credGate) markProven() {
	g.mu.Lock()
	g.proven = true
	g.mu.Unlock()
}
