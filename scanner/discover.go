package scanner

import (
	"context"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/collect"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
	"github.com/ntlmscan/ntlmscan/scanner/winrm"
)

// CoreDiscovery is what one Core's Rapid Recovery module listed, or why it
// could not be asked.
type CoreDiscovery struct {
	Core     *inventory.Core
	Response *facts.DiscoverResponse // nil on error
	// Error is a classified failure; ErrRRModuleMissing when the Core
	// answered but has no module (Response is then set too).
	Error *facts.HostError
}

// Discover runs the discovery script (facts.DiscoverScript) on each of
// cores, concurrently, over the same WinRM transport, credentials and
// timeouts as Run. One Core failing never stops the others; no retries
// (discovery is cheap to run again).
func Discover(ctx context.Context, inv *inventory.Inventory, cores []*inventory.Core, opts Options) []CoreDiscovery {
	opts.defaults()
	s := &scan{inv: inv, opts: opts, log: opts.Logger, passwords: newPasswords(opts.Password),
		authOK: map[*inventory.Credential]int{}, caFiles: map[string]caFile{}}
	defer s.krb.closeAll()
	out := make([]CoreDiscovery, len(cores))
	var g errgroup.Group
	g.SetLimit(opts.Concurrency)
	for i, c := range cores {
		out[i].Core = c
		g.Go(func() error {
			out[i].Response, out[i].Error = s.discover(ctx, c)
			return nil
		})
	}
	_ = g.Wait()
	return out
}

func (s *scan) discover(ctx context.Context, c *inventory.Core) (*facts.DiscoverResponse, *facts.HostError) {
	h := c.Host
	log := s.log.With("host", h.Name, "step", "discover")
	timeout := h.WinRM.Timeout
	if timeout <= 0 {
		timeout = s.opts.HostTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	p, err := s.prepare(ctx, h, log)
	if err != nil {
		return nil, classify(failure{err: err})
	}
	service := inventory.DefaultCoreService
	if len(c.ServiceNames) > 0 {
		service = c.ServiceNames[0]
	}
	stdin, err := collect.DiscoverStdin(facts.DiscoverRequest{Schema: facts.DiscoverSchema, Module: facts.DefaultRRModule, Service: service})
	if err != nil {
		return nil, classify(failure{err: err})
	}
	opTimeout := max(min(s.opts.OperationTimeout, timeout/2), time.Second)
	cfg := winrm.Config{Auth: p.auth, Logger: log, Dial: s.opts.Dial, ResponseTimeout: opTimeout + opTimeout/2 + 5*time.Second}
	fail := func(err error) *facts.HostError {
		return classify(failure{err: err, method: p.auth.Method(), username: p.username, local: !isDomainAccount(s.inv, h, p.username),
			hostTO: timeout.String(), addr: p.addr, hostCtxErr: expired(ctx)})
	}
	sess, err := winrm.NewSession(ctx, p.endpoint, cfg, opTimeout)
	if err != nil {
		return nil, fail(err)
	}
	defer sess.Close()
	res, err := sess.Run(ctx, collect.CommandLine(), stdin, s.opts.MaxOutputBytes)
	if err != nil {
		return nil, fail(err)
	}
	if res.ExitCode != 0 {
		msg := strings.TrimSpace(string(res.Stderr))
		if msg == "" {
			msg = fmt.Sprintf("exit code %d", res.ExitCode)
		}
		return nil, &facts.HostError{Class: facts.ErrRemoteScript, Message: "discovery script failed: " + clean(msg), Hint: facts.DefaultHint(facts.ErrRemoteScript)}
	}
	resp, err := facts.ParseDiscover(res.Stdout)
	if err != nil {
		return nil, &facts.HostError{Class: facts.ErrMalformedOutput, Message: clean(err.Error()), Hint: facts.DefaultHint(facts.ErrMalformedOutput)}
	}
	if !resp.Module.Found {
		why := resp.Module.Error
		if why == "" {
			why = "the module was not imported"
		}
		return resp, &facts.HostError{Class: facts.ErrRRModuleMissing,
			Message: fmt.Sprintf("Import-Module %s failed on the Core: %s", facts.DefaultRRModule, clean(why)),
			Hint:    facts.DefaultHint(facts.ErrRRModuleMissing)}
	}
	log.Info("core discovered", "protected", len(resp.Protected), "repositories", len(resp.Repositories), "archives", len(resp.Archives))
	return resp, nil
}
