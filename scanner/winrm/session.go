package winrm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
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

// Session is a masterzen client for one host wired to its own Transport.
type Session struct {
	client    *mzwinrm.Client
	transport *Transport
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
	return &Session{client: client, transport: tr}, nil
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
// just end-of-input), and collects its output. stdout beyond maxStdout stops the command (Signal terminate) and
// fails with *OutputLimitError: the cap holds while reading, nothing past it
// is buffered. It is masterzen's RunWithContextWithInput with that cap and
// with errors kept typed.
func (s *Session) Run(ctx context.Context, command string, stdin []byte, maxStdout int64) (*Output, error) {
	shell, err := s.client.CreateShell()
	if err != nil {
		return nil, err
	}
	defer func() { _ = shell.Close() }() // Delete; a failure only leaks a shell until its idle timeout

	cmdCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd, err := shell.ExecuteWithContext(cmdCtx, command)
	if err != nil {
		return nil, err
	}
	stdout := &capWriter{limit: maxStdout, onOverflow: cancel}
	stderr := &capWriter{limit: stderrCap}
	var (
		wg                     sync.WaitGroup
		outErr, errErr, sendEr error
	)
	wg.Add(3)
	go func() {
		defer wg.Done()
		_, outErr = io.Copy(stdout, cmd.Stdout)
	}()
	go func() {
		defer wg.Done()
		_, errErr = io.Copy(stderr, cmd.Stderr)
	}()
	go func() {
		defer wg.Done()
		if stdin == nil {
			return // no input: like masterzen, send no Send at all
		}
		if len(stdin) > 0 {
			if _, err := cmd.Stdin.Write(stdin); err != nil {
				sendEr = err
				cancel() // the command would wait for input forever
				return
			}
		}
		if err := cmd.Stdin.Close(); err != nil {
			sendEr = err
			cancel()
		}
	}()
	cmd.Wait()
	wg.Wait()
	_ = cmd.Close() // Signal terminate, as masterzen does after every command

	switch {
	case stdout.overflow:
		return nil, &OutputLimitError{Stream: "stdout", Limit: maxStdout}
	case ctx.Err() != nil:
		return nil, fmt.Errorf("run command: %w", context.Cause(ctx))
	case sendEr != nil:
		if last := s.transport.lastError(); last != nil && errors.Is(sendEr, io.ErrShortWrite) {
			// masterzen's stdin writer drops the transport's error and
			// reports a short write; the transport kept the real one.
			return nil, fmt.Errorf("send stdin: %w", last)
		}
		return nil, fmt.Errorf("send stdin: %w", sendEr)
	case outErr != nil:
		return nil, outErr
	case errErr != nil:
		return nil, errErr
	}
	return &Output{Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), ExitCode: cmd.ExitCode(), StderrTruncated: stderr.overflow}, nil
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
