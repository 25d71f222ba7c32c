package smbprobe_test

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/scanner/smbprobe"
)

// windowsNegTokenInit2 is the security buffer Windows Server sends in its
// NEGOTIATE response on a domain member: NEGOEX, MS-KRB5, KRB5, KRB5-U2U,
// NTLMSSP, and the [MS-SPNG] negHints.
var windowsNegTokenInit2 = mustHex("607606062b0601050502a06c306aa03c303a060a2b06010401823702021e" +
	"06092a864882f71201020206092a864886f712010202060a2a864886f71201020203060a2b06010401823702020a" +
	"a32a3028a0261b24" + "6e6f745f646566696e65645f696e5f5246433431373840706c656173655f69676e6f7265")

// sambaNegTokenInit is a standalone Samba's: NTLMSSP only, with negHints.
var sambaNegTokenInit = mustHex("604806062b0601050502a03e303ca00e300c060a2b06010401823702020aa32a3028a0261b24" +
	"6e6f745f646566696e65645f696e5f5246433431373840706c656173655f69676e6f7265")

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestParseNegTokenInit(t *testing.T) {
	tests := []struct {
		name    string
		blob    []byte
		want    []string
		wantErr string
	}{
		{"windows", windowsNegTokenInit2, []string{"negoex", "ms-kerberos", "kerberos", "kerberos-u2u", "ntlmssp"}, ""},
		{"samba", sambaNegTokenInit, []string{"ntlmssp"}, ""},
		{"truncated", windowsNegTokenInit2[:40], nil, "SPNEGO token"},
		{"not spnego", mustHex("600806062a864886f712"), nil, ""},
		{"trailing", append(slices.Clone(sambaNegTokenInit), 0), nil, "trailing"},
		{"empty", nil, nil, "SPNEGO token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := smbprobe.ParseNegTokenInit(tt.blob)
			if tt.want != nil {
				if err != nil || !slices.Equal(got, tt.want) {
					t.Fatalf("got %v, %v; want %v", got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error for %x (got %v)", tt.blob, got)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not mention %q", err, tt.wantErr)
			}
		})
	}
}

// negotiateResponse builds an SMB2 NEGOTIATE response.
func negotiateResponse(dialect, mode uint16, caps uint32, blob []byte) []byte {
	msg := make([]byte, 64+64)
	copy(msg, "\xfeSMB")
	binary.LittleEndian.PutUint16(msg[4:], 64)
	binary.LittleEndian.PutUint32(msg[16:], 1) // response
	b := msg[64:]
	binary.LittleEndian.PutUint16(b[0:], 65)
	binary.LittleEndian.PutUint16(b[2:], mode)
	binary.LittleEndian.PutUint16(b[4:], dialect)
	binary.LittleEndian.PutUint32(b[24:], caps)
	binary.LittleEndian.PutUint16(b[56:], 128)
	binary.LittleEndian.PutUint16(b[58:], uint16(len(blob)))
	return append(msg, blob...)
}

func TestParseNegotiateResponse(t *testing.T) {
	n, err := smbprobe.ParseNegotiateResponse(negotiateResponse(0x0311, 3, 0x47, windowsNegTokenInit2))
	if err != nil {
		t.Fatal(err)
	}
	if n.Dialect != 0x0311 || !n.SigningEnabled || !n.SigningRequired || n.Capabilities != 0x47 || len(n.SecurityBlob) != len(windowsNegTokenInit2) {
		t.Errorf("got %+v", n)
	}
	if got := smbprobe.CapabilityNames(n.Capabilities); !slices.Equal(got, []string{"dfs", "leasing", "large-mtu", "encryption"}) {
		t.Errorf("capabilities %v", got)
	}
	bad := negotiateResponse(0x0311, 1, 0, windowsNegTokenInit2)
	binary.LittleEndian.PutUint16(bad[64+58:], 0xffff)
	if _, err := smbprobe.ParseNegotiateResponse(bad); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Errorf("security buffer past the end: %v", err)
	}
	if _, err := smbprobe.ParseNegotiateResponse(negotiateResponse(0x0311, 1, 0, nil)[:100]); err == nil {
		t.Error("truncated body accepted")
	}
}

// fakeServer answers each connection with handle.
func fakeServer(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); handle(c) }()
		}
	}()
	return l.Addr().String()
}

func frame(msg []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(msg))), msg...)
}

func readRequest(c net.Conn) []byte {
	var hdr [4]byte
	if _, err := c.Read(hdr[:]); err != nil {
		return nil
	}
	b := make([]byte, binary.BigEndian.Uint32(hdr[:]))
	_, _ = c.Read(b)
	return b
}

func TestProbeFakeServers(t *testing.T) {
	tests := []struct {
		name    string
		handle  func(net.Conn)
		wantErr string
		check   func(*testing.T, *smbprobe.Result)
	}{
		{"kerberos offered", func(c net.Conn) {
			readRequest(c)
			_, _ = c.Write(frame(negotiateResponse(0x0311, 1, 0x2f, windowsNegTokenInit2)))
		}, "", func(t *testing.T, r *smbprobe.Result) {
			if !slices.Contains(r.Mechanisms, "kerberos") || !slices.Contains(r.Mechanisms, "ms-kerberos") {
				t.Errorf("mechanisms %v", r.Mechanisms)
			}
		}},
		{"no security buffer", func(c net.Conn) {
			readRequest(c)
			_, _ = c.Write(frame(negotiateResponse(0x0302, 1, 0, nil)))
		}, "", func(t *testing.T, r *smbprobe.Result) {
			if r.Mechanisms != nil || r.MechanismsError != "" || r.Dialect != 0x0302 {
				t.Errorf("got %+v", r)
			}
		}},
		{"garbage blob", func(c net.Conn) {
			readRequest(c)
			_, _ = c.Write(frame(negotiateResponse(0x0311, 1, 0, []byte("hello"))))
		}, "", func(t *testing.T, r *smbprobe.Result) {
			if r.MechanismsError == "" {
				t.Errorf("no mechanisms error: %+v", r)
			}
		}},
		{"huge length", func(c net.Conn) {
			readRequest(c)
			_, _ = c.Write([]byte{0, 0xff, 0xff, 0xff})
		}, "more than", nil},
		{"not smb", func(c net.Conn) {
			readRequest(c)
			_, _ = c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
		}, "not an SMB server", nil},
		{"silent", func(c net.Conn) {
			readRequest(c)
			time.Sleep(3 * time.Second)
		}, "timeout", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := fakeServer(t, tt.handle)
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			start := time.Now()
			r, err := smbprobe.Probe(ctx, addr, smbprobe.Options{})
			if time.Since(start) > 2*time.Second {
				t.Errorf("probe took %v with a 500ms deadline", time.Since(start))
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want it to mention %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, r)
		})
	}
}

func TestProbeCanceled(t *testing.T) {
	addr := fakeServer(t, func(c net.Conn) { readRequest(c); time.Sleep(5 * time.Second) })
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := smbprobe.Probe(ctx, addr, smbprobe.Options{})
	if err == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("canceled probe: %v after %v", err, time.Since(start))
	}
}
