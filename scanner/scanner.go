// Package scanner collects every inventory host's effective NTLM and SMB
// facts concurrently over WinRM: one collector command per host, run through
// masterzen/winrm with ntlmscan's own transport (scanner/winrm), the request
// built and the answer parsed by scanner/collect. Each host ends with facts
// or with a classified error an admin can act on; one bad host never
// disturbs the others, and cancelling keeps what was gathered.
package scanner

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/collect"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
	"github.com/ntlmscan/ntlmscan/scanner/smbprobe"
	"github.com/ntlmscan/ntlmscan/scanner/winrm"
)

// Defaults for Options left zero.
const (
	DefaultConcurrency      = 32
	DefaultHostTimeout      = 60 * time.Second
	DefaultOperationTimeout = 20 * time.Second
	DefaultRetries          = 2
	DefaultMaxOutputBytes   = 4 << 20
	defaultHTTPPort         = 5985
	defaultHTTPSPort        = 5986
)

// Options tune a scan. The zero value is usable.
type Options struct {
	// Concurrency is how many hosts are collected at once (default 32).
	Concurrency int
	// HostTimeout bounds one host, retries included, when the inventory
	// sets no timeout for it (default 60s). A hung host costs at most this.
	HostTimeout time.Duration
	// Deadline bounds the whole scan (0: none). Hosts not started by then
	// end as canceled; hosts in progress end as timeouts.
	Deadline time.Duration
	// Retries is how many more attempts a host gets after a transient
	// failure (connection lost, a step timing out), with backoff. 0 means
	// the default (2); negative means none. Refused credentials, policy,
	// quota and bad output are never retried.
	Retries int
	// Logger receives the scan's logs, scoped with host=. Default: discard.
	Logger *slog.Logger
	// Progress, if set, is called once per scanned host when it is done,
	// serially, with the number of hosts done so far and the number to scan.
	// The result passed is preliminary for NTLM refusals, which Run
	// reclassifies once every host is done (see Run).
	Progress func(done, total int, r *facts.HostResult)
	// Password resolves a credential reference to its secret (default:
	// PasswordFrom(LookupEnv): environment variable, then password file).
	// The demo uses it to supply lab passwords without environment variables.
	Password func(*inventory.Credential) (string, error)
	// LookupEnv reads the environment: the variables credentials name,
	// KRB5CCNAME and KRB5_CONFIG (default os.LookupEnv). Commands pass
	// their own, so a test's environment never is the process's.
	LookupEnv func(string) (string, bool)
	// OperationTimeout is the WS-Management OperationTimeout: how long one
	// Receive long-polls (default 20s, and at most half the host timeout).
	OperationTimeout time.Duration
	// MaxOutputBytes caps the collector's stdout (default 4 MiB); a host
	// printing more is stopped and reported as malformed output.
	MaxOutputBytes int64
	// Krb5Conf is krb5.conf text for Kerberos hosts (auth: kerberos or
	// auto); empty: KRB5_CONFIG, else /etc/krb5.conf. The demo passes the
	// lab KDC's.
	Krb5Conf string
	// NoKerberosVerify skips asking the KDC for the tickets of the Cores'
	// paths (Kerberos verification, spncheck.go).
	NoKerberosVerify bool
	// EvidenceDays is the NTLM event read's window in days (0: the
	// default, facts.DefaultEvidenceDays; negative: no event read).
	EvidenceDays int
	// ContinueOnBadCredential tries a domain credential on every host even
	// after one refused it before it had worked anywhere (by default the
	// others end as not-attempted, so that a wrong password costs one
	// failed logon, not one per host).
	ContinueOnBadCredential bool
	// Dial replaces the TCP dialer (tests; e.g. a resolver that fails).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// SMBProbe probes every repository host's SMB service from this
	// machine (SMB2 NEGOTIATE), alongside the WinRM collection and within
	// the host's timeout; the result is HostResult.SMB.
	SMBProbe bool
	// SMBAuth adds one NTLM SESSION_SETUP per repository account and host
	// (with the credentials: entry naming that account), never more than
	// one per account and host in a run.
	SMBAuth bool
}

func (o *Options) defaults() {
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.HostTimeout <= 0 {
		o.HostTimeout = DefaultHostTimeout
	}
	if o.Retries == 0 {
		o.Retries = DefaultRetries
	} else if o.Retries < 0 {
		o.Retries = 0
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
	if o.Password == nil {
		o.Password = PasswordFrom(o.LookupEnv)
	}
	if o.OperationTimeout <= 0 {
		o.OperationTimeout = DefaultOperationTimeout
	}
	if o.MaxOutputBytes <= 0 {
		o.MaxOutputBytes = DefaultMaxOutputBytes
	}
}

// Run scans inv and returns one result per inventory host, in inventory
// order.
//
//   - Hosts with Scan=false (described only: NAS, Samba, appliances) are
//     never contacted; their result carries facts.ErrNotScanned.
//   - When ctx is cancelled (Ctrl-C) or the Deadline passes, no new host is
//     started; results gathered so far are kept, hosts in progress end as
//     canceled or timeout, hosts never started as canceled.
//   - An NTLM 401 for a domain credential that authenticated on another host
//     of this scan is reported as likely NTLM policy (auth-refused-ntlm-
//     policy); otherwise as credentials-or-policy (auth-refused-credentials).
//     This needs every host's outcome, so it is settled after the last host
//     and Progress may have shown the preliminary class.
func Run(ctx context.Context, inv *inventory.Inventory, opts Options) []facts.HostResult {
	opts.defaults()
	if inv == nil {
		return nil
	}
	scanCtx := ctx
	if opts.Deadline > 0 {
		var cancel context.CancelFunc
		scanCtx, cancel = context.WithTimeout(ctx, opts.Deadline)
		defer cancel()
	}
	s := &scan{
		inv:       inv,
		opts:      opts,
		log:       opts.Logger,
		passwords: newPasswords(opts.Password),
		authOK:    map[*inventory.Credential]int{},
		caFiles:   map[string]caFile{},
	}
	defer s.krb.closeAll()
	s.electLeaders()
	results := make([]facts.HostResult, len(inv.Hosts))
	started := make([]bool, len(inv.Hosts))
	total := 0
	for i, h := range inv.Hosts {
		results[i] = facts.HostResult{Host: h.Name, Address: h.Address}
		if !h.Scan {
			results[i].Error = notScanned(h)
			started[i] = true
			continue
		}
		total++
	}

	// SMB probes of repository hosts run beside the WinRM collection, each
	// within its host's timeout.
	smb := make([]*facts.SMBProbe, len(inv.Hosts))
	var sg errgroup.Group
	sg.SetLimit(opts.Concurrency)
	if opts.SMBProbe {
		for i, h := range inv.Hosts {
			if h.Role != inventory.RoleRepositoryHost {
				continue
			}
			sg.Go(func() error {
				if expired(scanCtx) != nil {
					return nil
				}
				timeout := h.WinRM.Timeout
				if timeout <= 0 {
					timeout = opts.HostTimeout
				}
				ctx, cancel := context.WithTimeout(scanCtx, timeout)
				defer cancel()
				smb[i] = s.smbProbe(ctx, h)
				return nil
			})
		}
	}

	var (
		g        errgroup.Group
		progress sync.Mutex
		done     int
	)
	g.SetLimit(opts.Concurrency)
	for i, h := range inv.Hosts {
		if !h.Scan {
			continue
		}
		if expired(scanCtx) != nil {
			break
		}
		g.Go(func() error {
			if expired(scanCtx) != nil {
				return nil // stopped before this host started
			}
			started[i] = true
			results[i] = s.host(scanCtx, h)
			s.hostDone(h)
			progress.Lock()
			done++
			if opts.Progress != nil {
				r := results[i]
				opts.Progress(done, total, &r)
			}
			progress.Unlock()
			return nil
		})
	}
	_ = g.Wait()
	_ = sg.Wait()

	for i, h := range inv.Hosts {
		if started[i] {
			continue
		}
		msg := "not scanned: the scan was canceled before this host was started"
		if errors.Is(expired(scanCtx), context.DeadlineExceeded) {
			msg = "not scanned: the scan deadline passed before this host was started"
		}
		results[i] = facts.HostResult{Host: h.Name, Address: h.Address,
			Error: &facts.HostError{Class: facts.ErrCanceled, Message: msg, Hint: "run the scan again, with a longer deadline or more concurrency"}}
	}
	for i := range results {
		results[i].SMB = smb[i]
	}
	s.settleRefusals(results)
	if !opts.NoKerberosVerify {
		s.verifySPNs(scanCtx, results)
	}
	// Warn only now: a refusal's class is settled once every host is done,
	// and the warning must say what the report says.
	for i := range results {
		r := &results[i]
		if started[i] && r.Error != nil && r.Error.Class != facts.ErrNotScanned {
			s.log.Warn("host not collected", "host", r.Host, "class", r.Error.Class, "error", r.Error.Message,
				"attempts", r.Attempts, "roundtrips", r.RoundTrips)
		}
	}
	return results
}

func notScanned(h *inventory.Host) *facts.HostError {
	what := "described in the inventory"
	if h.Described != nil && h.Described.Platform != "" {
		what += " (platform " + h.Described.Platform + ")"
	}
	return &facts.HostError{Class: facts.ErrNotScanned, Message: what + "; not contacted",
		Hint: "its properties come from the inventory's description"}
}

// scan is the state one Run shares between its workers.
type scan struct {
	inv       *inventory.Inventory
	opts      Options
	log       *slog.Logger
	passwords *passwords

	mu       sync.Mutex
	authOK   map[*inventory.Credential]int // hosts each credential authenticated on
	refusals []refusal                     // NTLM 401s to settle after the scan
	caFiles  map[string]caFile
	krb      krbClients // one Kerberos client per credential
	gates    map[*inventory.Credential]*credGate

	smbAttempts smbprobe.Attempts // one SMB logon per credential and host
}

type refusal struct {
	host     string
	cred     *inventory.Credential
	username string
	tls      *winrm.TLSBinding // over HTTPS: the channel binding sent
}

type caFile struct {
	pem []byte
	err error
}

// settleRefusals reclassifies NTLM 401s of domain credentials that worked
// elsewhere (see Run).
func (s *scan) settleRefusals(results []facts.HostResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.refusals {
		n := s.authOK[r.cred]
		if n == 0 {
			continue
		}
		for i := range results {
			if results[i].Host == r.host && results[i].Error != nil && results[i].Error.Class == facts.ErrAuthCredentials {
				results[i].Error = settledRefusal(r.username, n, r.tls)
				// Keep saying that auth: auto fell back to NTLM, and why.
				if note := results[i].AuthNote; note != "" {
					results[i].Error.Message += " [" + note + "]"
				}
			}
		}
	}
}

// expired is ctx.Err(), but also reports a deadline that has passed before
// the context's timer fired: network deadlines derive from the same instant,
// so a step can fail with its own timeout a moment before ctx.Err() turns
// non-nil, and the cause is still the deadline.
func expired(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return nil
}

// host collects one host within its timeout, retrying transient failures.
func (s *scan) host(scanCtx context.Context, h *inventory.Host) facts.HostResult {
	start := time.Now()
	res := facts.HostResult{Host: h.Name, Address: h.Address, StartedAt: start}
	log := s.log.With("host", h.Name)
	timeout := h.WinRM.Timeout
	if timeout <= 0 {
		timeout = s.opts.HostTimeout
	}
	hostCtx, cancel := context.WithTimeout(scanCtx, timeout)
	defer cancel()

	prep, err := s.prepare(hostCtx, h, log)
	if err != nil {
		res.Error = classify(failure{err: err})
		res.Duration = time.Since(start)
		log.Debug("host failed before connecting", "class", res.Error.Class, "error", res.Error.Message)
		return res
	}
	hostAuthed := false
	for attempt := 1; ; attempt++ {
		res.Attempts = attempt
		resp, stats, authenticated, err := s.attempt(hostCtx, h, prep, timeout, log)
		res.RoundTrips += stats.RoundTrips
		if authenticated && !hostAuthed {
			hostAuthed = true
			s.mu.Lock()
			s.authOK[prep.cred]++
			s.mu.Unlock()
			s.gateFor(prep.cred).markProven()
		}
		if err == nil {
			res.Facts = resp
			res.Error = nil
			break
		}
		f := failure{err: err, method: prep.auth.Method(), username: prep.username, local: !isDomainAccount(s.inv, h, prep.username), hostTO: timeout.String(),
			addr: prep.addr, scanCtxErr: expired(scanCtx), hostCtxErr: expired(hostCtx)}
		res.Error = classify(f)
		if f.scanCtxErr != nil || f.hostCtxErr != nil || attempt > s.opts.Retries || !transient(err) {
			var ae *winrm.AuthError
			if errors.As(err, &ae) && ae.Reason == winrm.AuthRejected && ae.Method == "ntlm" &&
				isDomainAccount(s.inv, h, prep.username) {
				s.mu.Lock()
				s.refusals = append(s.refusals, refusal{host: h.Name, cred: prep.cred, username: prep.username, tls: ae.TLS})
				s.mu.Unlock()
			}
			break
		}
		delay := backoff(attempt)
		log.Info("transient failure, retrying", "attempt", attempt, "class", res.Error.Class, "error", res.Error.Message, "retry_in", delay)
		select {
		case <-time.After(delay):
			continue
		case <-hostCtx.Done():
		}
		// Out of time while waiting to retry: no further attempt was made.
		// A stopped or expired scan says so (as for hosts in progress); the
		// host's own deadline keeps the real failure, which is what the
		// admin can act on.
		if err := expired(scanCtx); err != nil {
			f.scanCtxErr = err
			res.Error = classify(f)
		}
		break
	}
	res.Duration = time.Since(start)
	res.Auth, res.AuthNote = authUsed(prep.auth, hostAuthed)
	kerberosShown := false
	if ke := kerberosFailure(prep.auth); ke != nil && res.Error != nil && res.Error.Class == facts.ErrAuthMethod {
		// auth: auto fell back to NTLM, which the host does not offer: the
		// Kerberos failure is what the admin must fix.
		res.Error = classifyKerberos(ke, prep.username)
		res.Error.Message += "; the host does not offer NTLM either (auth: auto tried it next)"
		kerberosShown = true
	}
	if res.AuthNote != "" {
		log.Info("authentication", "method", res.Auth, "note", res.AuthNote)
		if res.Error != nil && !kerberosShown {
			res.Error.Message += " [" + res.AuthNote + "]"
		}
	}
	if res.Error != nil {
		// Run warns once every host is done, with the settled class.
		log.Debug("host failed", "class", res.Error.Class, "error", res.Error.Message, "attempts", res.Attempts, "roundtrips", res.RoundTrips)
	} else {
		log.Info("host collected", "ms", res.Duration.Milliseconds(), "attempts", res.Attempts, "roundtrips", res.RoundTrips)
		if tm := res.Facts.Timings; tm != nil {
			// Where the time went on the host (the rest is WinRM).
			log.Debug("collector phases", "identity_ms", tm.IdentityMS, "registry_ms", tm.RegistryMS, "services_ms", tm.ServicesMS,
				"smbclient_ms", tm.SMBClientMS, "rsop_ms", tm.RSoPMS, "probes_ms", tm.ProbesMS, "events_ms", tm.EventsMS, "collector_ms", tm.TotalMS)
		}
	}
	return res
}

// backoff is 250ms, 500ms, 1s … (capped at 4s) with ±25% jitter.
func backoff(attempt int) time.Duration {
	d := 250 * time.Millisecond << min(attempt-1, 4)
	return d*3/4 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// prepared is everything about a host that needs no network.
type prepared struct {
	endpoint winrm.Endpoint
	addr     string
	auth     winrm.Authenticator
	cred     *inventory.Credential
	username string
	request  facts.Request
	stdin    []byte
}

func (s *scan) prepare(ctx context.Context, h *inventory.Host, log *slog.Logger) (*prepared, error) {
	w := h.WinRM
	p := &prepared{cred: w.Credential}
	if w.Credential == nil {
		return nil, &credError{msg: "no credential is configured for this host", hint: "give the host (or its group, or the defaults) a credential in the inventory"}
	}
	p.username = w.Credential.Username
	switch w.Transport {
	case inventory.TransportKerberos:
		return nil, &credError{msg: "transport kerberos is not a transport", hint: "write auth: kerberos (or auto) with transport ntlm"}
	case inventory.TransportBasic:
		if !w.HTTPS {
			return nil, &winrm.InsecureError{Reason: "Basic authentication over plain HTTP would send the password in clear"}
		}
	}
	ntlm := func() (winrm.Authenticator, error) {
		pw, err := s.passwords.get(w.Credential)
		if err != nil {
			hint := "set the environment variable or password file the inventory names for this credential"
			if errors.Is(err, ErrKerberosUnsupported) {
				hint = "the credential holds only Kerberos keys: set auth: kerberos for this host"
			}
			return nil, &credError{msg: err.Error(), hint: hint}
		}
		if w.Transport == inventory.TransportBasic {
			return winrm.NewBasic(p.username, pw), nil
		}
		var a winrm.Authenticator = winrm.NewNTLM(p.username, pw)
		if !s.opts.ContinueOnBadCredential && isDomainAccount(s.inv, h, p.username) {
			a = &gatedAuth{Authenticator: a, ctx: ctx, gate: s.gateFor(w.Credential), host: h.Name, credName: w.Credential.Name, username: p.username}
		}
		return a, nil
	}
	var err error
	if w.Transport != inventory.TransportBasic && (w.Auth == inventory.AuthKerberos || w.Auth == inventory.AuthAuto) {
		p.auth, err = s.kerberosAuth(ctx, h, w.Credential, ntlm)
	} else {
		p.auth, err = ntlm()
	}
	if err != nil {
		return nil, err
	}

	host := h.Address
	if host == "" {
		host = firstNonEmpty(h.FQDN, h.Name)
	}
	port := w.Port
	if port == 0 {
		port = defaultHTTPPort
		if w.HTTPS {
			port = defaultHTTPSPort
		}
	}
	p.addr = net.JoinHostPort(host, strconv.Itoa(port))
	p.endpoint = winrm.Endpoint{Host: host, Port: port, HTTPS: w.HTTPS, TLSServerName: w.TLSServerName, InsecureSkipVerify: w.InsecureSkipVerify}
	if w.HTTPS {
		if w.InsecureSkipVerify {
			log.Warn("TLS certificate verification is DISABLED for this host (inventory insecure_skip_verify); its identity is not checked")
		}
		if w.CAFile != "" {
			pem, err := s.readCA(w.CAFile)
			if err != nil {
				return nil, &tlsConfigError{msg: err.Error(), hint: "set the host's winrm.ca_file in the inventory to a PEM file (-----BEGIN CERTIFICATE-----) holding the CA that issued " +
					"its WinRM certificate; a DER .cer file converts with: openssl x509 -inform der -in ca.cer -out ca.pem"}
			}
			p.endpoint.CACert = pem
		}
	}
	p.request = collect.BuildRequest(s.inv, h)
	switch d := s.opts.EvidenceDays; {
	case d < 0:
		p.request.Events = nil
	case d > 0:
		p.request.Events = facts.NewEventQuery(d)
	}
	p.stdin, err = collect.Stdin(p.request)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (s *scan) readCA(path string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.caFiles[path]; ok {
		return c.pem, c.err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		err = fmt.Errorf("CA file: %w", err)
	} else if !x509.NewCertPool().AppendCertsFromPEM(data) {
		err = fmt.Errorf("CA file %s holds no PEM certificate", path)
	}
	s.caFiles[path] = caFile{data, err}
	return data, err
}

// attempt runs the collector once on a fresh session.
func (s *scan) attempt(ctx context.Context, h *inventory.Host, p *prepared, hostTimeout time.Duration, log *slog.Logger) (*facts.Response, winrm.Stats, bool, error) {
	opTimeout := min(s.opts.OperationTimeout, hostTimeout/2)
	opTimeout = max(opTimeout, time.Second)
	cfg := winrm.Config{
		Auth:            p.auth,
		Logger:          log,
		Dial:            s.opts.Dial,
		ResponseTimeout: opTimeout + opTimeout/2 + 5*time.Second,
	}
	sess, err := winrm.NewSession(ctx, p.endpoint, cfg, opTimeout)
	if err != nil {
		return nil, winrm.Stats{}, false, err
	}
	defer sess.Close()
	out, err := sess.Run(ctx, collect.CommandLine(), p.stdin, s.opts.MaxOutputBytes)
	stats, authed := sess.Transport().Stats(), sess.Transport().Authenticated()
	if err != nil {
		return nil, stats, authed, err
	}
	if out.StderrTruncated {
		log.Debug("collector stderr was truncated")
	}
	resp, err := collect.Parse(p.request, out.Stdout, out.Stderr, out.ExitCode)
	return resp, stats, authed, err
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
