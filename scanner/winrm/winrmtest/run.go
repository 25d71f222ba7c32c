package winrmtest

import (
	"context"
	"fmt"
	"io"
)

// Run serves a lab until ctx is done: it starts the server, calls the
// WithStarted function if one is given, writes one line per host ("NAME URL
// [URL]", or "NAME (no WinRM listener)") and then a line "ready", and closes
// the server when ctx ends. It is what `ntlmscan simulate --lab FILE` runs.
func Run(ctx context.Context, lab *Lab, out io.Writer, opts ...Option) error {
	srv, err := NewServer(lab, opts...)
	if err != nil {
		return err
	}
	defer srv.Close()
	if srv.cfg.started != nil {
		if err := srv.cfg.started(srv); err != nil {
			return err
		}
	}
	if err := srv.WriteEndpoints(out); err != nil {
		return err
	}
	if _, err := fmt.Fprintln(out, "ready"); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

// WithStarted has Run call fn once the server listens, before it announces
// the endpoints: the place to write what clients need (a CA file, a
// krb5.conf, an inventory pointed at the lab). An error from fn ends Run.
func WithStarted(fn func(*Server) error) Option { return func(c *config) { c.started = fn } }

// WriteEndpoints writes one line per host, sorted by name: the NetBIOS name
// and its WinRM URLs (HTTP first), or "(no WinRM listener)".
func (s *Server) WriteEndpoints(out io.Writer) error {
	for _, ep := range s.Hosts() {
		line := ep.Name
		switch {
		case ep.HTTPURL != "" && ep.HTTPSURL != "":
			line += " " + ep.HTTPURL + " " + ep.HTTPSURL
		case ep.HTTPURL != "":
			line += " " + ep.HTTPURL
		case ep.HTTPSURL != "":
			line += " " + ep.HTTPSURL
		default:
			line += " (no WinRM listener)"
		}
		if _, err := fmt.Fprintln(out, line); err != nil {
			return err
		}
	}
	return nil
}
