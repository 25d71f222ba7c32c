package winrmtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// WithSharedListener serves the plain-HTTP WinRM of every host from one
// listener per idle timeout, on one port, dispatching each connection to
// the host whose address it was made to. A lab of 20,000 hosts then needs a
// few descriptors for its listeners instead of 20,000, and fits a
// machine's open-file limit. The listener is bound to all addresses (a
// socket bound to one loopback address only receives that address), and a
// connection to an address no lab host has, or that is not loopback, is
// closed at once. HTTPS listeners stay per host. Ports in the lab are
// replaced by the shared one, as with WithEphemeralPorts.
func WithSharedListener() Option { return func(c *config) { c.shared = true } }

type hostCtxKey struct{}

// sharedHTTP is one listener serving many hosts.
type sharedHTTP struct {
	byAddr map[string]*hostServer // "127.x.y.z"
	srv    *http.Server
	conns  sync.Map // net.Conn -> *hostServer
}

// listenShared starts the shared listeners: hosts serving HTTP, grouped by
// their idle timeout (an http.Server has one). It sets their endpoints.
func (s *Server) listenShared() error {
	groups := map[time.Duration]*sharedHTTP{}
	var order []time.Duration
	for _, hs := range s.hosts {
		if !hs.h.httpEnabled() || hs.h.Address == "" {
			continue
		}
		g := groups[hs.h.WinRM.IdleTimeout]
		if g == nil {
			g = &sharedHTTP{byAddr: map[string]*hostServer{}}
			groups[hs.h.WinRM.IdleTimeout] = g
			order = append(order, hs.h.WinRM.IdleTimeout)
		}
		g.byAddr[hs.h.Address] = hs
		hs.sharedHTTP = true
	}
	for _, idle := range order {
		g := groups[idle]
		ln, err := net.Listen("tcp4", "0.0.0.0:0")
		if err != nil {
			return fmt.Errorf("winrmtest: shared listener: %w", err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		for addr, hs := range g.byAddr {
			hs.endpoint.HTTPPort = port
			hs.endpoint.HTTPURL = fmt.Sprintf("http://%s/wsman", net.JoinHostPort(addr, strconv.Itoa(port)))
		}
		g.srv = s.newSharedHTTPServer(g, idle)
		s.shared = append(s.shared, g.srv)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := g.srv.Serve(&labOnlyListener{Listener: ln, g: g}); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("serve shared listener", "err", err)
			}
		}()
	}
	return nil
}

// newSharedHTTPServer is newHTTPServer for many hosts: the connection's
// host travels in its context.
func (s *Server) newSharedHTTPServer(g *sharedHTTP, idle time.Duration) *http.Server {
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Context().Value(hostCtxKey{}).(*hostServer).ServeHTTP(w, r)
		}),
		IdleTimeout:       idle,
		ReadHeaderTimeout: time.Minute,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			hs := g.host(c)
			cs := &connState{id: s.connSeq.Add(1), remote: c.RemoteAddr().String()}
			hs.conns.Store(c, cs)
			g.conns.Store(c, hs)
			return context.WithValue(context.WithValue(ctx, connKey{}, cs), hostCtxKey{}, hs)
		},
		ConnState: func(c net.Conn, st http.ConnState) {
			if st == http.StateClosed || st == http.StateHijacked {
				if hs, ok := g.conns.LoadAndDelete(c); ok {
					if v, ok := hs.(*hostServer).conns.LoadAndDelete(c); ok {
						v.(*connState).forget()
					}
				}
			}
		},
	}
	srv.ErrorLog = slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)
	return srv
}

func (g *sharedHTTP) host(c net.Conn) *hostServer {
	a, ok := c.LocalAddr().(*net.TCPAddr)
	if !ok {
		return nil
	}
	return g.byAddr[a.IP.String()]
}

// labOnlyListener hands the HTTP server only connections made to a lab
// host's loopback address.
type labOnlyListener struct {
	net.Listener
	g *sharedHTTP
}

func (l *labOnlyListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		a, ok := c.LocalAddr().(*net.TCPAddr)
		if ok && a.IP.IsLoopback() && l.g.host(c) != nil {
			return c, nil
		}
		c.Close()
	}
}
