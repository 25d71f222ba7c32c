package winrmtest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jcmturner/gokrb5/v8/keytab"
)

// Option configures NewServer.
type Option func(*config)

type config struct {
	ephemeral bool
	shared    bool // WithSharedListener
	logger    *slog.Logger
	maxCalls  int
	fleetDir  string              // StartFleet only
	started   func(*Server) error // Run only
}

// WithEphemeralPorts replaces every WinRM port of the lab by an ephemeral
// one (port 0): each host still binds its own 127.x.y.z address, so parallel
// tests and the demo never collide. Endpoints report the ports chosen.
func WithEphemeralPorts() Option { return func(c *config) { c.ephemeral = true } }

// WithLogger sets where the server logs (default: discarded).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.logger = l
		}
	}
}

// WithMaxCalls bounds how many calls Calls keeps (default 100000; the
// oldest are forgotten first).
func WithMaxCalls(n int) Option { return func(c *config) { c.maxCalls = n } }

// Endpoint is where a simulated host serves WinRM. Ports are 0 and URLs ""
// for a listener the host does not have.
type Endpoint struct {
	Name      string // NetBIOS name
	FQDN      string
	Address   string // 127.x.y.z
	HTTPPort  int
	HTTPSPort int
	HTTPURL   string // http://127.0.0.21:5985/wsman
	HTTPSURL  string
	SMBPort   int // the simulated SMB service (smbServer); 0 = none
}

// Server serves every host of a lab, like net/http/httptest.Server serves
// one handler: create it with NewServer, point clients at Hosts(), trust
// CACertPEM() for HTTPS, and Close it.
type Server struct {
	lab     *Lab
	cfg     config
	log     *slog.Logger
	ca      *authority
	hosts   []*hostServer // sorted by name
	byName  map[string]*hostServer
	calls   callLog
	connSeq atomic.Uint64
	kdc     *labKDC // the lab's simulated KDC (domains with kdc: true), or nil

	shared    []*http.Server // WithSharedListener's listeners
	closing   chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup // Serve goroutines
}

// hostServer is one simulated host: its listeners, faults and shells.
type hostServer struct {
	srv      *Server
	h        *Host
	endpoint Endpoint
	faults   atomic.Pointer[Faults]
	https    []*http.Server
	cert     lazyCert
	smbLn    net.Listener // nil without smbServer
	// sharedHTTP: its HTTP listener is the server's shared one.
	sharedHTTP bool

	proxyCert   lazyCert // tlsInterceptingProxy: what clients see instead
	bindingOnce sync.Once
	binding     bindingState

	conns sync.Map // net.Conn -> *connState, for ConnState bookkeeping

	mu     sync.Mutex
	shells map[string]*shell
	replay map[string]time.Time // Kerberos authenticators seen (under mu)

	krbOnce sync.Once // loads krbKeys
	krbKeys *keytab.Keytab
	krbErr  error
}

// NewServer validates the lab and starts every host's listeners. The Server
// owns the lab from then on: change faults with SetFaults, not by editing it.
func NewServer(lab *Lab, opts ...Option) (*Server, error) {
	if lab == nil {
		return nil, errors.New("winrmtest: nil lab")
	}
	cfg := config{logger: slog.New(slog.DiscardHandler), maxCalls: 100000}
	for _, o := range opts {
		o(&cfg)
	}
	if err := lab.Validate(); err != nil {
		return nil, err
	}
	ca, err := newAuthority(time.Now())
	if err != nil {
		return nil, err
	}
	s := &Server{
		lab:     lab,
		cfg:     cfg,
		log:     cfg.logger,
		ca:      ca,
		byName:  make(map[string]*hostServer, len(lab.Hosts)),
		closing: make(chan struct{}),
	}
	s.calls.max = cfg.maxCalls
	for _, h := range lab.Hosts {
		hs := &hostServer{srv: s, h: h, shells: map[string]*shell{}}
		f := h.Faults
		hs.faults.Store(&f)
		hs.endpoint = Endpoint{Name: h.Name, FQDN: h.FQDN, Address: h.Address}
		s.hosts = append(s.hosts, hs)
		s.byName[h.Name] = hs
	}
	sort.Slice(s.hosts, func(i, j int) bool { return s.hosts[i].h.Name < s.hosts[j].h.Name })

	kdcAddr := "127.0.0.1:0"
	for _, h := range lab.Hosts {
		if h.DomainController && h.domain != nil && h.domain.KDC && h.Address != "" {
			kdcAddr = net.JoinHostPort(h.Address, "0")
			break
		}
	}
	if s.kdc, err = startKDC(lab, kdcAddr); err != nil {
		return nil, err
	}
	if cfg.shared {
		if err := s.listenShared(); err != nil {
			s.Close()
			return nil, err
		}
	}
	for _, hs := range s.hosts {
		if err := hs.listen(); err != nil {
			s.Close()
			return nil, err
		}
		hs.listenSMB()
	}
	return s, nil
}

// listen opens the host's listeners and starts serving them.
func (hs *hostServer) listen() error {
	h := hs.h
	type listener struct {
		port  int
		https bool
	}
	var ls []listener
	if h.httpEnabled() && !hs.sharedHTTP {
		ls = append(ls, listener{h.WinRM.HTTPPort, false})
	}
	if h.WinRM.HTTPS {
		ls = append(ls, listener{h.WinRM.HTTPSPort, true})
	}
	for _, l := range ls {
		port := l.port
		if hs.srv.cfg.ephemeral {
			port = 0
		}
		addr := net.JoinHostPort(h.Address, strconv.Itoa(port))
		ln, err := net.Listen("tcp4", addr)
		if err != nil {
			hint := ""
			if !hs.srv.cfg.ephemeral {
				hint = " (another process may hold the port: use ephemeral ports, or change the ports in the lab)"
			}
			return fmt.Errorf("winrmtest: host %s: listen on %s: %w%s", h.Name, addr, err, hint)
		}
		port = ln.Addr().(*net.TCPAddr).Port
		hsrv := hs.newHTTPServer(l.https)
		scheme := "http"
		if l.https {
			scheme = "https"
			ln = tls.NewListener(ln, hsrv.TLSConfig)
			hs.endpoint.HTTPSPort = port
		} else {
			hs.endpoint.HTTPPort = port
		}
		url := fmt.Sprintf("%s://%s/wsman", scheme, net.JoinHostPort(h.Address, strconv.Itoa(port)))
		if l.https {
			hs.endpoint.HTTPSURL = url
		} else {
			hs.endpoint.HTTPURL = url
		}
		hs.https = append(hs.https, hsrv)
		hs.srv.wg.Add(1)
		go func() {
			defer hs.srv.wg.Done()
			if err := hsrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				hs.srv.log.Error("serve", "host", h.Name, "err", err)
			}
		}()
	}
	return nil
}

type connKey struct{}

func (hs *hostServer) newHTTPServer(isTLS bool) *http.Server {
	srv := &http.Server{
		Handler:           hs,
		IdleTimeout:       hs.h.WinRM.IdleTimeout,
		ReadHeaderTimeout: time.Minute,
		ErrorLog:          slog.NewLogLogger(hs.srv.log.Handler(), slog.LevelDebug),
		// WinRM speaks HTTP/1.1 only; an empty map disables HTTP/2.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			cs := &connState{id: hs.srv.connSeq.Add(1), tls: isTLS, remote: c.RemoteAddr().String()}
			hs.conns.Store(c, cs)
			return context.WithValue(ctx, connKey{}, cs)
		},
		// NTLM state lives as long as its TCP connection, as on Windows.
		ConnState: func(c net.Conn, st http.ConnState) {
			if st == http.StateClosed || st == http.StateHijacked {
				if v, ok := hs.conns.LoadAndDelete(c); ok {
					v.(*connState).forget()
				}
			}
		},
	}
	if isTLS {
		srv.TLSConfig = &tls.Config{
			MinVersion:     tls.VersionTLS12,
			GetCertificate: hs.servedCertificate,
		}
	}
	return srv
}

// Close stops every listener, wakes pending Receive long polls and blocks
// until in-flight requests have finished.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closing)
		var wg sync.WaitGroup
		// shutdown lets hsrv finish its requests for 5s, then closes them.
		shutdown := func(hsrv *http.Server, logArgs ...any) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if err := hsrv.Shutdown(ctx); err != nil {
					s.log.Warn("requests still running after 5s, closing their connections", logArgs...)
					hsrv.Close()
				}
			}()
		}
		for _, hsrv := range s.shared {
			shutdown(hsrv, "listener", "shared")
		}
		for _, hs := range s.hosts {
			for _, hsrv := range hs.https {
				shutdown(hsrv, "host", hs.h.Name)
			}
		}
		for _, hs := range s.hosts {
			if hs.smbLn != nil {
				hs.smbLn.Close()
			}
		}
		wg.Wait()
		s.wg.Wait()
		if s.kdc != nil {
			s.kdc.close()
		}
		for _, hs := range s.hosts {
			hs.mu.Lock()
			for id, sh := range hs.shells {
				sh.terminateAll()
				delete(hs.shells, id)
			}
			hs.mu.Unlock()
		}
	})
}

// Hosts returns every lab host's endpoint, sorted by name.
func (s *Server) Hosts() []Endpoint {
	out := make([]Endpoint, len(s.hosts))
	for i, hs := range s.hosts {
		out[i] = hs.endpoint
	}
	return out
}

// Host returns one host's endpoint by NetBIOS name (case-insensitive).
func (s *Server) Host(name string) (Endpoint, bool) {
	hs := s.host(name)
	if hs == nil {
		return Endpoint{}, false
	}
	return hs.endpoint, true
}

func (s *Server) host(name string) *hostServer {
	if hs, ok := s.byName[name]; ok {
		return hs
	}
	for _, hs := range s.hosts {
		if equalFoldASCII(hs.h.Name, name) {
			return hs
		}
	}
	return nil
}

// CACertPEM returns the PEM certificate of this run's CA, which signed every
// host's HTTPS certificate.
func (s *Server) CACertPEM() []byte { return append([]byte(nil), s.ca.certPEM...) }

// Lab returns the lab the server runs (read-only).
func (s *Server) Lab() *Lab { return s.lab }

// Faults returns a host's current fault knobs.
func (s *Server) Faults(host string) (Faults, bool) {
	hs := s.host(host)
	if hs == nil {
		return Faults{}, false
	}
	return *hs.faults.Load(), true
}

// SetFaults replaces a host's fault knobs while the server runs; requests
// that arrive afterwards see them.
func (s *Server) SetFaults(host string, f Faults) error {
	hs := s.host(host)
	if hs == nil {
		return fmt.Errorf("winrmtest: no host %q in the lab", host)
	}
	v := &validator{lab: s.lab}
	v.faults(0, "host "+hs.h.Name, &f)
	if len(v.errs) > 0 {
		return v.errs[0]
	}
	hs.faults.Store(&f)
	return nil
}

// OpenConnections returns how many TCP connections a host has open.
func (s *Server) OpenConnections(host string) int {
	hs := s.host(host)
	if hs == nil {
		return 0
	}
	n := 0
	hs.conns.Range(func(any, any) bool { n++; return true })
	return n
}

// OpenShells returns how many shells a host currently holds (all users).
func (s *Server) OpenShells(host string) int {
	hs := s.host(host)
	if hs == nil {
		return 0
	}
	hs.mu.Lock()
	defer hs.mu.Unlock()
	return len(hs.shells)
}
