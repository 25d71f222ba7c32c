package smbprobe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"
)

// DefaultTimeout bounds one probe when ctx has no earlier deadline.
const DefaultTimeout = 15 * time.Second

// Result is what one probe of one SMB server found.
type Result struct {
	Address string // host:port probed
	// SMB1Only: the server answered only the SMB1 NEGOTIATE and picked
	// NT LM 0.12; Dialect is 0 then.
	SMB1Only        bool
	Dialect         uint16
	SigningEnabled  bool
	SigningRequired bool
	Capabilities    uint32
	// Mechanisms are the SPNEGO mechanisms the server advertised, in its
	// order; nil when it advertised none (an empty security buffer).
	Mechanisms []string
	// MechanismsError says why the advertised list could not be read.
	MechanismsError string
	// Session is the optional NTLM SESSION_SETUP's outcome (nil: not run).
	Session *Session
	// SessionError says why the SESSION_SETUP did not reach an answer.
	SessionError string
}

// Options tune Probe.
type Options struct {
	// Dial replaces the TCP dialer (nil: net.Dialer).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Credential, when set, runs one NTLM SESSION_SETUP after NEGOTIATE
	// (subject to Attempts).
	Credential *Credential
	// Attempts, when set, enforces one SESSION_SETUP per credential and
	// server across the probes sharing it (a scan): a second request for
	// the same pair is not sent and SessionError says so.
	Attempts *Attempts
}

// Attempts records which (credential, server) pairs a run has already tried,
// so a wrong password costs at most one failed logon per server (an account
// lockout policy counts every one). The zero value is ready; it is safe for
// concurrent use.
type Attempts struct {
	mu   sync.Mutex
	seen map[[2]string]bool
}

// take reports whether the pair may be tried, and marks it tried.
func (a *Attempts) take(cred, server string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.seen == nil {
		a.seen = map[[2]string]bool{}
	}
	k := [2]string{cred, server}
	if a.seen[k] {
		return false
	}
	a.seen[k] = true
	return true
}

// Probe connects to addr (host:port) and negotiates. The error is set when
// no SMB answer was obtained (connection refused, timeout, not SMB); a
// refused or failed SESSION_SETUP is part of the Result, not an error.
func Probe(ctx context.Context, addr string, opts Options) (*Result, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	res := &Result{Address: addr}
	c, err := dial(ctx, addr, opts)
	if err != nil {
		return nil, err
	}
	defer c.Close()

	neg, err := exchange(c, negotiateRequest(), ParseNegotiateResponse)
	if err != nil && fallbackToSMB1(err) {
		c.Close()
		return probeSMB1(ctx, addr, opts, res, err)
	}
	if err != nil {
		return nil, fmt.Errorf("SMB2 NEGOTIATE with %s: %w", addr, err)
	}
	res.Dialect = neg.Dialect
	res.SigningEnabled = neg.SigningEnabled
	res.SigningRequired = neg.SigningRequired
	res.Capabilities = neg.Capabilities
	res.setMechanisms(neg.SecurityBlob)

	if opts.Credential != nil {
		if opts.Attempts != nil && !opts.Attempts.take(opts.Credential.Key(), addr) {
			res.SessionError = "not attempted: this credential was already tried on this server in this run"
			return res, nil
		}
		s, err := sessionSetup(c, *opts.Credential)
		if err != nil {
			res.SessionError = err.Error()
		} else {
			res.Session = s
		}
	}
	return res, nil
}

func (r *Result) setMechanisms(blob []byte) {
	if len(blob) == 0 {
		return
	}
	m, err := ParseNegTokenInit(blob)
	if err != nil {
		r.MechanismsError = err.Error()
		return
	}
	r.Mechanisms = m
}

// probeSMB1 retries with the SMB1 multi-protocol NEGOTIATE on a fresh
// connection after the SMB2 NEGOTIATE got no SMB2 answer.
func probeSMB1(ctx context.Context, addr string, opts Options, res *Result, smb2Err error) (*Result, error) {
	c, err := dial(ctx, addr, opts)
	if err != nil {
		return nil, fmt.Errorf("SMB2 NEGOTIATE with %s failed (%v), and reconnecting for SMB1 failed: %w", addr, smb2Err, err)
	}
	defer c.Close()
	if err := writeFrame(c, smb1NegotiateRequest()); err != nil {
		return nil, fmt.Errorf("SMB1 NEGOTIATE with %s: %w", addr, err)
	}
	msg, err := readFrame(c)
	if err != nil {
		return nil, fmt.Errorf("SMB2 NEGOTIATE with %s failed (%v), and SMB1 NEGOTIATE too: %w", addr, smb2Err, err)
	}
	if len(msg) >= 4 && [4]byte(msg[:4]) == smb2Magic {
		// It speaks SMB2 after all, but did not take our direct SMB2
		// NEGOTIATE: report what it answered to the multi-protocol one.
		neg, err := ParseNegotiateResponse(msg)
		if err != nil {
			return nil, fmt.Errorf("SMB1 NEGOTIATE with %s answered in SMB2: %w", addr, err)
		}
		res.Dialect = neg.Dialect
		res.SigningEnabled, res.SigningRequired = neg.SigningEnabled, neg.SigningRequired
		res.Capabilities = neg.Capabilities
		res.setMechanisms(neg.SecurityBlob)
		return res, nil
	}
	n, err := ParseSMB1NegotiateResponse(msg)
	if err != nil {
		return nil, fmt.Errorf("SMB1 NEGOTIATE with %s: %w", addr, err)
	}
	if n.Dialect != smb1Dialects[0] {
		return nil, fmt.Errorf("SMB1 NEGOTIATE with %s: the server chose %q in SMB1 framing", addr, n.Dialect)
	}
	res.SMB1Only = true
	res.SigningEnabled, res.SigningRequired = n.SigningEnabled, n.SigningRequired
	res.setMechanisms(n.SecurityBlob)
	if opts.Credential != nil {
		res.SessionError = "not attempted: the server speaks only SMB1, which this probe does not log on to"
	}
	return res, nil
}

// fallbackToSMB1 reports whether an SMB2 NEGOTIATE failure looks like an
// SMB1-only server: an SMB1 reply, or the connection dropped without one.
func fallbackToSMB1(err error) bool {
	return errors.Is(err, errSMB1Reply) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET)
}

func dial(ctx context.Context, addr string, opts Options) (net.Conn, error) {
	d := opts.Dial
	if d == nil {
		d = (&net.Dialer{}).DialContext
	}
	c, err := d(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", addr, err)
	}
	// Every read and write is bounded by ctx: its deadline on the socket,
	// and closing the socket when ctx is canceled early.
	dl, _ := ctx.Deadline()
	if err := c.SetDeadline(dl); err != nil {
		c.Close()
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	return &stopConn{Conn: c, stop: stop}, nil
}

type stopConn struct {
	net.Conn
	stop func() bool
}

func (c *stopConn) Close() error {
	c.stop()
	return c.Conn.Close()
}

func exchange[T any](c net.Conn, req []byte, parse func([]byte) (T, error)) (T, error) {
	var zero T
	if err := writeFrame(c, req); err != nil {
		return zero, err
	}
	msg, err := readFrame(c)
	if err != nil {
		return zero, err
	}
	return parse(msg)
}
