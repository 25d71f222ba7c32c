package winrm

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"
)

func mustDuration(s string) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return d
}

// fakeChallenge builds an NTLM CHALLENGE with the given flags and a minimal
// TargetInfo (no Timestamp, so the client sends no MIC).
func fakeChallenge(flags uint32) []byte {
	av := func(id uint16, s string) []byte {
		u := utf16.Encode([]rune(s))
		b := make([]byte, 4+2*len(u))
		binary.LittleEndian.PutUint16(b, id)
		binary.LittleEndian.PutUint16(b[2:], uint16(2*len(u)))
		for i, c := range u {
			binary.LittleEndian.PutUint16(b[4+2*i:], c)
		}
		return b
	}
	ti := append(append(av(2, "FAKE"), av(1, "FAKE")...), 0, 0, 0, 0)
	m := make([]byte, 48)
	copy(m, "NTLMSSP\x00")
	binary.LittleEndian.PutUint32(m[8:], 2)
	binary.LittleEndian.PutUint16(m[12:], 0)
	binary.LittleEndian.PutUint16(m[14:], 0)
	binary.LittleEndian.PutUint32(m[16:], 48)
	binary.LittleEndian.PutUint32(m[20:], flags|0x00800000) // TARGET_INFO
	copy(m[24:32], "\x01\x23\x45\x67\x89\xab\xcd\xef")
	binary.LittleEndian.PutUint16(m[40:], uint16(len(ti)))
	binary.LittleEndian.PutUint16(m[42:], uint16(len(ti)))
	binary.LittleEndian.PutUint32(m[44:], 48)
	return append(m, ti...)
}

// fakeHost is a hostile or broken WinRM endpoint: it completes a fake NTLM
// handshake (it cannot verify the response, and does not need to) and then
// answers however the test wants. It records every request body.
type fakeHost struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	heads  []http.Header
}

func newFakeHost(t *testing.T, challengeFlags uint32, negotiateStatus int, answer func(w http.ResponseWriter, body []byte)) *fakeHost {
	t.Helper()
	f := &fakeHost{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.bodies = append(f.bodies, body)
		f.heads = append(f.heads, r.Header.Clone())
		f.mu.Unlock()
		auth := r.Header.Get("Authorization")
		switch {
		case strings.HasPrefix(auth, "Negotiate "):
			tok, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(auth, "Negotiate "))
			if len(tok) > 12 && tok[8] == 1 {
				if negotiateStatus == http.StatusOK {
					w.WriteHeader(http.StatusOK)
					return
				}
				w.Header().Set("WWW-Authenticate", "Negotiate "+base64.StdEncoding.EncodeToString(fakeChallenge(challengeFlags)))
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.WriteHeader(http.StatusOK) // AUTHENTICATE accepted without checking
		case auth == "":
			answer(w, body)
		default:
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeHost) endpoint(t *testing.T) Endpoint {
	host, port, err := net.SplitHostPort(strings.TrimPrefix(f.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	return Endpoint{Host: host, Port: p}
}

// plaintextSOAP reports whether any request carried a SOAP envelope in clear.
func (f *fakeHost) plaintextSOAP() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, b := range f.bodies {
		if bytes.Contains(b, []byte("Envelope")) {
			return true
		}
	}
	return false
}

const sealFlags = 0xE28A8235 // what Windows answers bodgit (see ntlmserver.ChallengeFlags)

func TestFailClosed(t *testing.T) {
	plainSOAP := func(w http.ResponseWriter, _ []byte) {
		w.Header().Set("Content-Type", "application/soap+xml;charset=UTF-8")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>`)
	}
	tests := []struct {
		name      string
		flags     uint32
		negStatus int
		answer    func(http.ResponseWriter, []byte)
		auth      Authenticator
		wantSent  bool // a (sealed) SOAP message reaches the host
	}{
		{name: "host answers unsealed", flags: sealFlags, answer: plainSOAP, wantSent: true},
		{name: "challenge without sealing", flags: sealFlags &^ (ntlmFlagSeal | ntlmFlagSign), answer: plainSOAP},
		{name: "challenge without sign", flags: sealFlags &^ ntlmFlagSign, answer: plainSOAP},
		{name: "host skips authentication", flags: sealFlags, negStatus: http.StatusOK, answer: plainSOAP},
		{name: "basic over http", flags: sealFlags, answer: plainSOAP, auth: NewBasic("admin", "secret")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFakeHost(t, tc.flags, tc.negStatus, tc.answer)
			auth := tc.auth
			if auth == nil {
				auth = NewNTLM(`CORP\user`, "secret")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			sess, err := NewSession(ctx, fake.endpoint(t), Config{Auth: auth}, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer sess.Close()
			_, err = sess.Client().CreateShell()
			var ie *InsecureError
			if !errors.As(err, &ie) {
				t.Fatalf("want *InsecureError, got %T: %v", err, err)
			}
			if fake.plaintextSOAP() {
				t.Fatal("a SOAP message went to the host in clear")
			}
			fake.mu.Lock()
			sent := false
			for i, h := range fake.heads {
				if h.Get("Content-Type") == EncryptedContentType && len(fake.bodies[i]) > 0 {
					sent = true
				}
			}
			fake.mu.Unlock()
			if sent != tc.wantSent {
				t.Errorf("sealed message sent = %v, want %v", sent, tc.wantSent)
			}
		})
	}
}

// TestGarbledSealedAnswer: a reply that claims to be sealed but does not
// verify is a protocol error, never accepted as SOAP.
func TestGarbledSealedAnswer(t *testing.T) {
	fake := newFakeHost(t, sealFlags, 0, func(w http.ResponseWriter, body []byte) {
		w.Header().Set("Content-Type", EncryptedContentType)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(frameSealed(bytes.Repeat([]byte{1}, 16), []byte("<s:Envelope>forged</s:Envelope>")))
	})
	sess, err := NewSession(context.Background(), fake.endpoint(t), Config{Auth: NewNTLM("user", "pw")}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	_, err = sess.Client().CreateShell()
	var pe *ProtocolError
	if !errors.As(err, &pe) {
		t.Fatalf("want *ProtocolError, got %T: %v", err, err)
	}
}
