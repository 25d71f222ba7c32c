package winrm

import (
	"bytes"
	"context"
	"fmt"
	"time"

	mzwinrm "github.com/masterzen/winrm"
)

// Endpoint says where a host's WinRM service is.
type Endpoint struct {
	Host          string
	Port          int
	HTTPS         bool
	CACert        []byte // PEM; nil = system roots
	TLSServerName string
	// InsecureSkipVerify disables certificate checks; the caller logs it.
	InsecureSkipVerify bool
}

// Session runs commands on one host: our shell driver (driver.go) over our
// Transport, configured through a masterzen Endpoint and Parameters. The
// masterzen client built on the same transport stays available (Client) for
// callers that drive it directly.
type Session struct {
	client    *mzwinrm.Client
	transport *Transport
	params    *mzwinrm.Parameters
	// EmptyReceives counts Receive answers with neither output nor Done
	// (each was followed by a backoff pause).
	EmptyReceives int
}

// DefaultEnvelopeSize is the MaxEnvelopeSize ntlmscan announces (masterzen's
// and Windows 2008 R2's default).
const DefaultEnvelopeSize = 153600

// NewSession builds the client; it does not touch the network. ctx bounds
// everything the session will ever do. operationTimeout is the WS-Management
// OperationTimeout (how long one Receive may long-poll); it must be shorter
// than the time left in ctx so that a quiet command costs Receives, not the
// host.
func NewSession(ctx context.Context, ep Endpoint, cfg Config, operationTimeout time.Duration) (*Session, error) {
	if operationTimeout <= 0 {
		operationTimeout = 20 * time.Second
	}
	if cfg.ResponseTimeout <= 0 {
		cfg.ResponseTimeout = operationTimeout + 15*time.Second
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 1 // the driver never has two messages in flight
	}
	// Parameters per client, never the shared DefaultParameters: the
	// decorator below captures this host's transport.
	params := mzwinrm.NewParameters(ISODuration(operationTimeout), "en-US", DefaultEnvelopeSize)
	var tr *Transport
	params.TransportDecorator = func() mzwinrm.Transporter {
		tr = NewTransport(ctx, cfg) // a new transporter on every call
		return tr
	}
	endpoint := &mzwinrm.Endpoint{
		Host:          ep.Host,
		Port:          ep.Port,
		HTTPS:         ep.HTTPS,
		Insecure:      ep.InsecureSkipVerify,
		TLSServerName: ep.TLSServerName,
		CACert:        ep.CACert,
		Timeout:       cfg.ResponseTimeout,
	}
	// The credentials live in the Authenticator only; masterzen never sees them.
	client, err := mzwinrm.NewClientWithParameters(endpoint, "", "", params)
	if err != nil {
		if tr != nil {
			_ = tr.Close()
		}
		return nil, fmt.Errorf("winrm client for %s: %w", ep.Host, err)
	}
	return &Session{client: client, transport: tr, params: params}, nil
}

// Client returns the masterzen client (for callers that drive it directly).
func (s *Session) Client() *mzwinrm.Client { return s.client }

// Transport returns the session's transport.
func (s *Session) Transport() *Transport { return s.transport }

// Close releases every connection.
func (s *Session) Close() error { return s.transport.Close() }

// ISODuration renders d as an xs:duration for OperationTimeout (PT20S,
// PT2.500S).
func ISODuration(d time.Duration) string {
	ms := d.Milliseconds()
	if ms%1000 == 0 {
		return fmt.Sprintf("PT%dS", ms/1000)
	}
	return fmt.Sprintf("PT%d.%03dS", ms/1000, ms%1000)
}

// Output is what a command printed.
type Output struct {
	Stdout   []byte
	Stderr   []byte
	ExitCode int
	// StderrTruncated is set when stderr exceeded its cap (kept: the start).
	StderrTruncated bool
}

// stderrCap bounds the stderr kept for error messages; stderr beyond it is
// read and dropped (PowerShell progress noise can be long).
const stderrCap = 256 << 10

// Run runs one command in a new shell, feeds it stdin (nil: none; empty:
// just end-of-input) in pipe mode, and collects its output. stdout beyond
// maxStdout stops the command (Signal terminate) and fails with
// *OutputLimitError: the cap holds while reading, nothing past it is
// buffered. One message at a time on one connection: Create, Command, Send
// (all stdin and its end where it fits one envelope), Receive until Done,
// Delete (see driver.go).
func (s *Session) Run(ctx context.Context, command string, stdin []byte, maxStdout int64) (*Output, error) {
	d := newShellDriver(s.transport, s.params)
	out, err := d.run(ctx, command, stdin, maxStdout)
	s.EmptyReceives += d.emptyReceives
	return out, err
}

// capWriter keeps at most limit bytes and then discards the rest while
// still draining the pipe (masterzen's output pipes block the Receive loop
// until read). The buffer is a named field, not embedded: an embedded
// bytes.Buffer would make io.Copy use its ReadFrom and bypass the cap.
type capWriter struct {
	buf        bytes.Buffer
	limit      int64
	overflow   bool
	onOverflow func()
}

func (w *capWriter) Write(p []byte) (int, error) {
	if w.overflow {
		return len(p), nil
	}
	room := w.limit - int64(w.buf.Len())
	if int64(len(p)) > room {
		if room > 0 {
			w.buf.Write(p[:room])
		}
		w.overflow = true
		if w.onOverflow != nil {
			w.onOverflow()
		}
		return len(p), nil
	}
	return w.buf.Write(p)
}

// Bytes returns what was kept.
func (w *capWriter) Bytes() []byte { return w.buf.Bytes() }
