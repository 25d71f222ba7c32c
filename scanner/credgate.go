package scanner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/winrm"
)

// A domain credential with a wrong password is refused by every host, and
// each refusal is a failed logon counted by the domain's lockout policy: a
// nightly run after a password change would lock the account. So a domain
// credential's NTLM logon is tried first on one host, the first host of the
// inventory scanned with it (its leader: usually a Core, which must accept
// the account), then, if that host decided nothing (unreachable, or not
// done within leaderWait), on one host at a time until it has worked once.
// The first refusal (HTTP 401 to the final leg) stops it for the rest of
// the run; the hosts not yet tried end as not-attempted, naming the host
// that refused it. One 401 cannot tell a wrong password from that host's
// NTLM policy or missing rights: Options.ContinueOnBadCredential
// (--continue-on-bad-credential) tries every host regardless.

// leaderWait bounds how long the other hosts wait for the leader's logon
// (at most a quarter of their own deadline): a leader that does not answer
// must not cost them their deadline.
const leaderWait = 10 * time.Second

// credGate is the state of one credential in a run.
type credGate struct {
	leader     string        // host tried first ("" if none)
	leaderDone chan struct{} // closed when the leader's host is done

	mu        sync.Mutex
	proven    bool          // logged on somewhere: later 401s are host policy
	refusedBy string        // host that refused it first ("" if none)
	decided   chan struct{} // closed once proven or refused
	busy      chan struct{} // a logon in progress; closed when it ends
}

func newCredGate() *credGate {
	return &credGate{leaderDone: make(chan struct{}), decided: make(chan struct{})}
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
		g = newCredGate()
		s.gates[c] = g
	}
	return g
}

// electLeaders makes the first scanned host of each domain credential its
// leader (before any host starts: Run starts hosts in inventory order, so
// the leader is among the first to run).
func (s *scan) electLeaders() {
	if s.opts.ContinueOnBadCredential {
		return
	}
	for _, h := range s.inv.Hosts {
		c := h.WinRM.Credential
		if !h.Scan || c == nil || !isDomainAccount(s.inv, h, c.Username) {
			continue
		}
		if g := s.gateFor(c); g.leader == "" {
			g.leader = h.Name
		}
	}
}

// hostDone tells the gates that host is done (whatever happened to it).
func (s *scan) hostDone(h *inventory.Host) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.gates {
		if g.leader == h.Name {
			select {
			case <-g.leaderDone:
			default:
				close(g.leaderDone)
			}
		}
	}
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
	if err := a.waitForLeader(); err != nil {
		return nil, err
	}
	for {
		a.gate.mu.Lock()
		switch {
		case a.gate.proven:
			a.gate.mu.Unlock()
			return a.Authenticator.Authenticate(x, secure)
		case a.gate.refusedBy != "":
			a.gate.mu.Unlock()
			return nil, a.stopped()
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

		var ae *winrm.AuthError
		switch {
		case err == nil:
			a.gate.markProven()
		case errors.As(err, &ae) && ae.Reason == winrm.AuthRejected && ae.Method == "ntlm":
			a.gate.markRefused(a.host)
		}
		a.gate.mu.Lock()
		a.gate.busy = nil
		close(done)
		a.gate.mu.Unlock()
		return p, err
	}
}

// waitForLeader holds a host other than the leader until the credential is
// decided, the leader is done, leaderWait passes, or the host's own time
// is a quarter gone.
func (a *gatedAuth) waitForLeader() error {
	g := a.gate
	if g.leader == "" || g.leader == a.host {
		return nil
	}
	wait := leaderWait
	if dl, ok := a.ctx.Deadline(); ok {
		wait = min(wait, time.Until(dl)/4)
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-g.decided:
	case <-g.leaderDone:
	case <-t.C:
	case <-a.ctx.Done():
		return fmt.Errorf("waiting for %s's logon with the same credential: %w", g.leader, context.Cause(a.ctx))
	}
	return nil
}

func (a *gatedAuth) stopped() error {
	a.gate.mu.Lock()
	defer a.gate.mu.Unlock()
	return &credentialStoppedError{credential: a.credName, username: a.username, refusedBy: a.gate.refusedBy}
}

// markProven records a logon that worked (by NTLM, or Kerberos under auth:
// auto): the credential's password is right.
func (g *credGate) markProven() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.proven && g.refusedBy == "" {
		close(g.decided)
	}
	g.proven = true
}

func (g *credGate) markRefused(host string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.proven || g.refusedBy != "" {
		return
	}
	g.refusedBy = host
	close(g.decided)
}
