package winrm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/types"
)

func testKey(t testing.TB) types.EncryptionKey {
	t.Helper()
	et, _ := crypto.GetEtype(etypeID.AES256_CTS_HMAC_SHA1_96)
	k, err := types.GenerateEncryptionKey(et)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// windowsStyleWrap builds an acceptor token with a filler (EC) and rotates
// by RRC+EC, as MS-KILE 3.4.5.4.1 says Windows does.
// With copyRRC the encrypted header copy carries the RRC too, which RFC
// 4121 leaves to the sender's rotation (MIT ignores it when comparing).
func windowsStyleWrap(t *testing.T, key types.EncryptionKey, seq uint64, msg []byte, ec int, copyRRC ...bool) (hdr, data []byte) {
	t.Helper()
	et, _ := crypto.GetEtype(key.KeyType)
	h := []byte{5, 4, 1 | 2 | 4, 0xff, 0, byte(ec), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint64(h[8:], seq)
	if len(copyRRC) > 0 && copyRRC[0] {
		binary.BigEndian.PutUint16(h[6:8], 28)
	}
	pt := append(append(append([]byte{}, msg...), make([]byte, ec)...), h...)
	_, ct, err := et.EncryptMessage(key.KeyValue, pt, keyusage.GSSAPI_ACCEPTOR_SEAL)
	if err != nil {
		t.Fatal(err)
	}
	rrc := 28
	binary.BigEndian.PutUint16(h[6:8], uint16(rrc))
	r := rrc + ec
	rot := append(append([]byte{}, ct[len(ct)-r:]...), ct[:len(ct)-r]...)
	tok := append(h, rot...)
	return tok[:len(tok)-len(msg)], tok[len(tok)-len(msg):]
}

func TestUnwrapRFC4121(t *testing.T) {
	key := testKey(t)
	msg := []byte("<s:Envelope>some soap</s:Envelope>")
	good := func() ([]byte, []byte) {
		h, d, err := wrapRFC4121(key, true, true, 7, msg)
		if err != nil {
			t.Fatal(err)
		}
		return h, d
	}
	tests := []struct {
		name    string
		token   func() ([]byte, []byte)
		subkey  bool
		seq     uint64
		wantErr string
	}{
		{"round trip", good, true, 7, ""},
		{"windows EC 16, rotated by RRC+EC", func() ([]byte, []byte) { return windowsStyleWrap(t, key, 7, msg, 16) }, true, 7, ""},
		{"RRC in the encrypted header copy", func() ([]byte, []byte) { return windowsStyleWrap(t, key, 7, msg, 0, true) }, true, 7, ""},
		{"RRC in the copy, EC 16", func() ([]byte, []byte) { return windowsStyleWrap(t, key, 7, msg, 16, true) }, true, 7, ""},
		{"sequence number above 2^31", func() ([]byte, []byte) { return windowsStyleWrap(t, key, 0xfffffffe, msg, 0) }, true, 0xfffffffe, ""},
		{"32-bit sequence number wrapped to 0", func() ([]byte, []byte) { return windowsStyleWrap(t, key, 0, msg, 0) }, true, 1 << 32, ""},
		{"wrapped, but replayed", func() ([]byte, []byte) { return windowsStyleWrap(t, key, 0xffffffff, msg, 0) }, true, 1 << 32, "sequence number"},
		{"replayed sequence number", good, true, 8, "sequence number"},
		{"other key flag", good, false, 7, "another key"},
		{"tampered data", func() ([]byte, []byte) {
			h, d := good()
			d[3] ^= 1
			return h, d
		}, true, 7, "does not decrypt"},
		{"tampered header", func() ([]byte, []byte) {
			h, d := good()
			h[9] ^= 1
			return h, d
		}, true, 7, "does not match"},
		{"reflected initiator token", func() ([]byte, []byte) {
			h, d, _ := wrapRFC4121(key, true, false, 7, msg)
			return h, d
		}, true, 7, "wrong side"},
		{"unsealed", func() ([]byte, []byte) {
			h, d := good()
			h[2] &^= wrapSealed
			return h, d
		}, true, 7, "not encrypted"},
		{"not a token", func() ([]byte, []byte) { return []byte("NTLMSSP\x00aaaaaaaa"), msg }, true, 7, "not an RFC 4121"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, d := tt.token()
			got, err := unwrapRFC4121(key, tt.subkey, true, tt.seq, h, d)
			if tt.wantErr == "" {
				if err != nil || !bytes.Equal(got, msg) {
					t.Fatalf("got %q, %v", got, err)
				}
				if len(h) != 60 && tt.name == "round trip" {
					t.Errorf("header %d bytes, want 60 (AES, EC 0, RRC 28)", len(h))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestKrbSealerFraming: the sealer's body is pywinrm's framing, and a
// reply framed the same way from the acceptor opens.
func TestKrbSealerFraming(t *testing.T) {
	key := testKey(t)
	s := &krbSealer{protocol: krbKerberosProtocol, key: key, acceptorSubkey: true, sendSeq: 5, recvSeq: 9}
	body, h, err := s.Wrap([]byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if ct := h.Get("Content-Type"); ct != `multipart/encrypted;protocol="application/HTTP-Kerberos-session-encrypted";boundary="Encrypted Boundary"` {
		t.Errorf("Content-Type %q", ct)
	}
	prefix := "--Encrypted Boundary\r\n\tContent-Type: application/HTTP-Kerberos-session-encrypted\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=5\r\n--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n\x3c\x00\x00\x00"
	if !bytes.HasPrefix(body, []byte(prefix)) || !bytes.HasSuffix(body, []byte("--Encrypted Boundary--\r\n")) || s.sendSeq != 6 {
		t.Fatalf("framing %q (seq %d)", body, s.sendSeq)
	}
	hdr, data := windowsStyleWrap(t, key, 9, []byte("reply"), 0)
	var b bytes.Buffer
	b.WriteString(strings.TrimSuffix(prefix, "\x3c\x00\x00\x00"))
	b.Write([]byte{byte(len(hdr)), 0, 0, 0})
	b.Write(hdr)
	b.Write(data)
	b.WriteString("--Encrypted Boundary--\r\n")
	reply := &Response{Status: 200, Header: http.Header{"Content-Type": {h.Get("Content-Type")}}, Body: bytes.Replace(b.Bytes(), []byte("Length=5"), []byte("Length=5"), 1)}
	got, err := s.Unwrap(reply)
	if err != nil || string(got) != "reply" || s.recvSeq != 10 {
		t.Fatalf("unwrap %q, %v (seq %d)", got, err, s.recvSeq)
	}
	// A plaintext reply on a Kerberos-sealed connection fails closed.
	_, err = s.Unwrap(&Response{Status: 200, Header: http.Header{"Content-Type": {soapContentType}}, Body: []byte("<x/>")})
	var ie *InsecureError
	if !errors.As(err, &ie) {
		t.Fatalf("plaintext reply: %v, want InsecureError", err)
	}
}

func FuzzKrbSealerUnwrap(f *testing.F) {
	key := testKey(f)
	s := &krbSealer{protocol: krbSPNEGOProtocol, key: key, acceptorSubkey: true}
	body, _, _ := (&krbSealer{protocol: krbSPNEGOProtocol, key: key, acceptorSubkey: true}).Wrap([]byte("seed"))
	f.Add(body)
	f.Add([]byte("--Encrypted Boundary\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		resp := &Response{Status: 200, Header: http.Header{"Content-Type": {`multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"`}}, Body: b}
		_, _ = s.Unwrap(resp)
	})
}

func FuzzKerberosTokens(f *testing.F) {
	f.Add("YIIBAgYJKoZIhvcSAQICAwB+ggDy")
	f.Add("")
	f.Fuzz(func(t *testing.T, tok string) {
		_ = krbErrorFromToken(tok, "HTTP/x")
		_, _ = verifyAPRep(tok, types.EncryptionKey{KeyType: etypeID.AES256_CTS_HMAC_SHA1_96, KeyValue: make([]byte, 32)}, types.Authenticator{})
	})
}

// TestKrbInitialSequenceNumbers: Kerberos sequence numbers are UInt32
// (RFC 4120 5.5.2); some implementations encode those above 2^31 as
// negative INTEGERs, which must be read as their unsigned value.
func TestKrbInitialSequenceNumbers(t *testing.T) {
	tests := []struct {
		in   int64
		want uint64
	}{
		{0, 0},
		{12345, 12345},
		{0x7fffffff, 0x7fffffff},
		{0xfffffffe, 0xfffffffe},
		{-2, 0xfffffffe}, // the same number, encoded as a signed 32-bit value
		{-1, 0xffffffff},
	}
	for _, tc := range tests {
		if got := krbSeq(tc.in); got != tc.want {
			t.Errorf("krbSeq(%d) = %#x, want %#x", tc.in, got, tc.want)
		}
	}
}
