package winrmtest

import (
	"sync"
	"time"
)

// AuthStep says what authentication an HTTP request carried.
type AuthStep string

const (
	// AuthAnonymous: no credentials on a connection that is not
	// authenticated (answered 401).
	AuthAnonymous AuthStep = "anonymous"
	// AuthNTLMNegotiate: Authorization: Negotiate <NTLM NEGOTIATE>; one
	// per NTLM handshake, so counting these counts handshakes.
	AuthNTLMNegotiate AuthStep = "ntlm-negotiate"
	// AuthNTLMAuthenticate: the final NTLM leg (Status 401 if refused).
	AuthNTLMAuthenticate AuthStep = "ntlm-authenticate"
	// AuthConnection: no Authorization header on a connection an earlier
	// NTLM handshake authenticated (sealed or plaintext, see Call.Sealed).
	AuthConnection AuthStep = "connection"
	// AuthBasic: Authorization: Basic.
	AuthBasic AuthStep = "basic"
	// AuthKerberos: Authorization: Negotiate|Kerberos <Kerberos AP-REQ>;
	// one per Kerberos logon (Status 401 if refused).
	AuthKerberos AuthStep = "kerberos"
	// AuthOther: SPNEGO-wrapped tokens or unknown schemes (always refused).
	AuthOther AuthStep = "other"
)

// Call is one HTTP request a simulated host answered.
type Call struct {
	Seq    uint64    // order of completion across the server, from 1
	Time   time.Time // when the request arrived
	Host   string    // NetBIOS name
	ConnID uint64    // TCP connection (unique per server)
	TLS    bool
	Auth   AuthStep
	// User is DOMAIN\user the request ran as ("" if unauthenticated).
	User string
	// AuthError says why a logon was refused (wrong password, NTLM
	// policy, ...); never contains secrets.
	AuthError string
	// ChannelBinding is how the host judged the tls-server-end-point
	// binding of a successful NTLM logon over HTTPS: "matched", "absent"
	// (accepted by CbtHardeningLevel=Relaxed) or "ignored" ("" on other calls).
	ChannelBinding string
	// Sealed: the SOAP body was MS-WSMV encrypted (multipart/encrypted).
	Sealed bool
	// Action is the WS-Man operation: Create, Command, Receive, Send,
	// Signal, Delete, another action URI, or "" for requests without a
	// SOAP message (auth legs, rejected requests).
	Action    string
	ShellID   string
	CommandID string
	// CommandLine is the command of a Command request (truncated to 512 chars).
	CommandLine string
	// Options are the wsman:OptionSet of a Create or Command request
	// (names upper-cased), e.g. WINRS_CONSOLEMODE_STDIN, WINRS_NOPROFILE.
	Options map[string]string
	Status  int    // HTTP status sent (0 if the connection was dropped)
	Fault   string // WSManFault code, or a simulator fault name (e.g. "dropped")
	// RequestBytes / ResponseBytes are the HTTP body sizes.
	RequestBytes, ResponseBytes int
	Duration                    time.Duration
}

// callLog keeps the most recent calls, bounded so a long-running simulate
// does not grow without limit.
type callLog struct {
	mu       sync.Mutex
	max      int
	seq      uint64
	calls    []Call
	dropped  uint64
	counters Counters
}

// Counters are running totals over every request the server answered,
// kept even when the call log is bounded (WithMaxCalls).
type Counters struct {
	Requests   uint64 // HTTP requests answered
	Handshakes uint64 // NTLM NEGOTIATE legs (one per handshake)
	SOAP       uint64 // requests that carried a WS-Man message
	KDCAS      uint64 // AS-REQs the lab KDC answered (TGTs)
	KDCTGS     uint64 // TGS-REQs the lab KDC answered (service tickets)
	KDCConns   uint64 // TCP connections the lab KDC accepted
}

// Counters returns the running totals.
func (s *Server) Counters() Counters {
	s.calls.mu.Lock()
	c := s.calls.counters
	s.calls.mu.Unlock()
	if s.kdc != nil {
		c.KDCAS, c.KDCTGS, c.KDCConns = s.kdc.asReqs.Load(), s.kdc.tgsReqs.Load(), s.kdc.conns.Load()
	}
	return c
}

func (l *callLog) add(c Call) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.counters.Requests++
	if c.Auth == AuthNTLMNegotiate {
		l.counters.Handshakes++
	}
	if c.Action != "" {
		l.counters.SOAP++
	}
	l.seq++
	c.Seq = l.seq
	if l.max > 0 && len(l.calls) >= l.max {
		// Drop the oldest half at once so trimming stays amortised O(1).
		n := len(l.calls) / 2
		l.dropped += uint64(n)
		l.calls = append(l.calls[:0], l.calls[n:]...)
	}
	l.calls = append(l.calls, c)
}

func (l *callLog) snapshot() []Call {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Call(nil), l.calls...)
}

func (l *callLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = nil
}

// Calls returns the recorded requests in completion order (the most recent
// ones if more than the WithMaxCalls limit were made).
func (s *Server) Calls() []Call { return s.calls.snapshot() }

// CallsFor returns the recorded requests of one host (NetBIOS name).
func (s *Server) CallsFor(host string) []Call {
	var out []Call
	for _, c := range s.calls.snapshot() {
		if equalFoldASCII(c.Host, host) {
			out = append(out, c)
		}
	}
	return out
}

// ResetCalls forgets the recorded requests.
func (s *Server) ResetCalls() { s.calls.reset() }

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'a' <= x && x <= 'z' {
			x -= 'a' - 'A'
		}
		if 'a' <= y && y <= 'z' {
			y -= 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
