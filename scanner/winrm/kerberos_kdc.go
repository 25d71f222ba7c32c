package winrm

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// kdcPool keeps TCP connections to the KDCs open between TGS exchanges.
// gokrb5 dials a new connection for every request, which on a scan of
// thousands of hosts (one service ticket each) was a fifth of the
// controller's Kerberos CPU, and as much again at the KDC. RFC 4120 7.2.2
// lets a KDC keep the stream open for a follow-up request, and lets it
// close it: MIT's krb5kdc does close it after one reply. A kept connection
// that fails is therefore never an error: the request goes again on a new
// one, and a KDC seen closing kept connections is not kept again.
type kdcPool struct {
	mu   sync.Mutex
	idle map[string][]net.Conn // by KDC address
	kdcs map[string]*kdcState
	// dials counts the connections opened (for tests).
	dials atomic.Int64
}

type kdcState struct {
	reused  bool // a kept connection answered once: the KDC keeps them
	oneShot bool // kept connections failed and none ever answered
	failed  int
}

const (
	// kdcIdleMax bounds the idle connections kept per KDC.
	kdcIdleMax = 64
	// kdcIOTimeout is gokrb5's per-KDC dial and exchange timeout.
	kdcIOTimeout = 5 * time.Second
	// kdcMaxReply bounds a reply's declared length (a ticket with a large
	// PAC is tens of KB).
	kdcMaxReply = 16 << 20
)

func newKDCPool() *kdcPool {
	return &kdcPool{idle: map[string][]net.Conn{}, kdcs: map[string]*kdcState{}}
}

func (p *kdcPool) state(addr string) *kdcState {
	s := p.kdcs[addr]
	if s == nil {
		s = &kdcState{}
		p.kdcs[addr] = s
	}
	return s
}

// get returns a kept connection to addr, or nil.
func (p *kdcPool) get(addr string) net.Conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.idle[addr]
	if len(l) == 0 {
		return nil
	}
	c := l[len(l)-1]
	p.idle[addr] = l[:len(l)-1]
	return c
}

// put keeps c for the next request unless the KDC does not keep
// connections or enough are kept already.
func (p *kdcPool) put(addr string, c net.Conn, wasKept bool) {
	p.mu.Lock()
	s := p.state(addr)
	if wasKept {
		s.reused = true
	}
	keep := !s.oneShot && len(p.idle[addr]) < kdcIdleMax
	if keep {
		p.idle[addr] = append(p.idle[addr], c)
	}
	p.mu.Unlock()
	if !keep {
		_ = c.Close()
	}
}

// lost records that a kept connection to addr failed: the KDC closed it
// (idle timeout, restart, or it closes after every reply). The other kept
// connections to it are closed as well; after two such failures with no
// kept connection ever answering, connections to addr are not kept.
func (p *kdcPool) lost(addr string) {
	p.mu.Lock()
	s := p.state(addr)
	s.failed++
	if !s.reused && s.failed >= 2 {
		s.oneShot = true
	}
	l := p.idle[addr]
	delete(p.idle, addr)
	p.mu.Unlock()
	for _, c := range l {
		_ = c.Close()
	}
}

// close closes every kept connection.
func (p *kdcPool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle = map[string][]net.Conn{}
	p.mu.Unlock()
	for _, l := range idle {
		for _, c := range l {
			_ = c.Close()
		}
	}
}

// exchange sends req to the first KDC of kdcs (in krb5.conf order) that
// answers, as gokrb5 does, and returns the reply. Errors read like
// gokrb5's, which kdcError maps.
func (p *kdcPool) exchange(ctx context.Context, kdcs []string, req []byte) ([]byte, error) {
	var errs []string
	for _, addr := range kdcs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r, err := p.exchangeWith(ctx, addr, req)
		if err == nil {
			return r, nil
		}
		errs = append(errs, fmt.Sprintf("%s: %v", addr, err))
	}
	return nil, fmt.Errorf("communication error with KDC via TCP: error sending to a KDC: %s", strings.Join(errs, "; "))
}

func (p *kdcPool) exchangeWith(ctx context.Context, addr string, req []byte) ([]byte, error) {
	if c := p.get(addr); c != nil {
		r, err := kdcRoundTrip(ctx, c, req)
		if err == nil {
			p.put(addr, c, true)
			return r, nil
		}
		_ = c.Close()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, err // the KDC is slow, not gone: no second wait
		}
		p.lost(addr)
	}
	d := net.Dialer{Timeout: kdcIOTimeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	p.dials.Add(1)
	r, err := kdcRoundTrip(ctx, c, req)
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	p.put(addr, c, false)
	return r, nil
}

// kdcRoundTrip sends one request and reads its reply, each framed by a
// 4-byte big-endian length (RFC 4120 7.2.2), within gokrb5's timeout and
// ctx.
func kdcRoundTrip(ctx context.Context, c net.Conn, req []byte) ([]byte, error) {
	dl := time.Now().Add(kdcIOTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	if err := c.SetDeadline(dl); err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Now()) })
	defer stop()
	msg := make([]byte, 4+len(req))
	binary.BigEndian.PutUint32(msg, uint32(len(req)))
	copy(msg[4:], req)
	if _, err := c.Write(msg); err != nil {
		return nil, err
	}
	var l [4]byte
	if _, err := io.ReadFull(c, l[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(l[:])
	if n == 0 || n > kdcMaxReply {
		return nil, fmt.Errorf("KDC reply length %d out of range", n)
	}
	r := make([]byte, n)
	if _, err := io.ReadFull(c, r); err != nil {
		return nil, err
	}
	return r, nil
}
