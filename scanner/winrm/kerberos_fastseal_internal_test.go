package winrm

import (
	"bytes"
	"errors"
	"net/http"
	"runtime"
	"testing"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/crypto/common"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/types"
)

// fastSizes straddle the AES block and the ciphertext-stealing cases.
var fastSizes = []int{0, 1, 15, 16, 17, 31, 32, 33, 47, 48, 49, 1000, 14 << 10}

func fastMsg(n int) []byte {
	msg := make([]byte, n)
	for i := range msg {
		msg[i] = byte(i*7 + 3)
	}
	return msg
}

// TestKrbSealerWrapInPlace: what the sealer sends (sealed in place into
// the request body) opens with gokrb5's own AES-CTS decryption
// (unwrapRFC4121, no cached keys), in the layout gokrb5's wrap gives:
// a 60-byte head and data as long as the message.
func TestKrbSealerWrapInPlace(t *testing.T) {
	key := testKey(t)
	for _, subkey := range []bool{true, false} {
		s := &krbSealer{protocol: krbSPNEGOProtocol, key: key, acceptorSubkey: subkey, sendSeq: 41}
		for i, n := range fastSizes {
			msg := fastMsg(n)
			body, _, err := s.Wrap(msg)
			if err != nil {
				t.Fatal(err)
			}
			if s.sendFast == nil {
				t.Fatal("an AES context does not seal in place")
			}
			parts, err := splitKrbSealed(body, encryptedBoundary, krbSPNEGOProtocol)
			if err != nil || len(parts) != 1 {
				t.Fatalf("%d bytes: framing %v", n, err)
			}
			p := parts[0]
			if len(p.Signature) != 60 || len(p.Sealed) != n || p.Length != n {
				t.Errorf("%d bytes: head %d, data %d, Length %d", n, len(p.Signature), len(p.Sealed), p.Length)
			}
			got, err := unwrapRFC4121(key, subkey, false, 41+uint64(i), p.Signature, p.Sealed)
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("%d bytes (subkey %v): gokrb5 opens it as %v", n, subkey, err)
			}
			releaseBody(body)
		}
	}
}

// TestFastAESOpen: tokens sealed by gokrb5 open in place; other layouts
// (Windows' filler) are left to the general path; a tampered token, a
// wrong sequence number or a reflected token are refused as there.
func TestFastAESOpen(t *testing.T) {
	key := testKey(t)
	uk, err := newUsageKeys(key, keyusage.GSSAPI_ACCEPTOR_SEAL)
	if err != nil {
		t.Fatal(err)
	}
	f := newFastAES(uk)
	if f == nil {
		t.Fatal("no in-place path for AES256")
	}
	for _, n := range fastSizes {
		msg := fastMsg(n)
		h, d, err := wrapRFC4121(key, true, true, 7, msg)
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.open(true, true, 7, h, d)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("%d bytes: %v", n, err)
		}
		wh, wd := windowsStyleWrap(t, key, 7, msg, 16)
		if _, err := f.open(true, true, 7, wh, wd); err != errNotFastLayout {
			t.Fatalf("%d bytes, Windows filler: %v, want the general path", n, err)
		}
		bad := []struct {
			name   string
			h, d   []byte
			seq    uint64
			subkey bool
		}{
			{"tampered data", h, flip(d, len(d)-1), 7, true},
			{"tampered MAC", flip(h, 40), d, 7, true},
			{"tampered header", flip(h, 9), d, 7, true},
			{"wrong sequence", h, d, 8, true},
			{"other key", h, d, 7, false},
		}
		for _, b := range bad {
			if n == 0 && b.name == "tampered data" {
				continue
			}
			want, errGeneral := unwrapRFC4121Keys(key, uk, b.subkey, true, b.seq, b.h, b.d)
			got, err := f.open(b.subkey, true, b.seq, b.h, b.d)
			if err == nil || errGeneral == nil {
				t.Fatalf("%d bytes, %s: opened (%q, general path %q)", n, b.name, got, want)
			}
			if err.Error() != errGeneral.Error() {
				t.Errorf("%d bytes, %s: %q, the general path says %q", n, b.name, err, errGeneral)
			}
		}
		// A token of ours reflected back is refused.
		ih, id, _ := wrapRFC4121(key, true, false, 7, msg)
		var ie *InsecureError
		if _, err := f.open(true, true, 7, ih, id); err == nil || errors.As(err, &ie) {
			t.Fatalf("%d bytes: reflected token: %v", n, err)
		}
	}
}

// flip returns b with byte i changed (b itself when i is out of range).
func flip(b []byte, i int) []byte {
	if i < 0 || i >= len(b) {
		return b
	}
	c := append([]byte{}, b...)
	c[i] ^= 0x40
	return c
}

// TestKrbSealerUnwrapInPlace: a reply the general path opens opens the
// same through the sealer (in place), over several messages.
func TestKrbSealerUnwrapInPlace(t *testing.T) {
	key := testKey(t)
	s := &krbSealer{protocol: krbSPNEGOProtocol, key: key, acceptorSubkey: true, recvSeq: 3}
	for i, n := range fastSizes {
		msg := fastMsg(n)
		h, d, err := wrapRFC4121(key, true, true, 3+uint64(i), msg)
		if err != nil {
			t.Fatal(err)
		}
		body := frameEncrypted(krbSPNEGOProtocol, h, d)
		resp := &Response{Status: 200, Header: http.Header{"Content-Type": {EncryptedContentType}}, Body: body}
		got, err := s.Unwrap(resp)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("%d bytes: %v", n, err)
		}
	}
	if s.recvFast == nil {
		t.Fatal("an AES context does not open in place")
	}
}

// TestKrbSealerAllocs: sealing a 14 KB message into the pooled body
// allocates a few small objects, and opening a reply little more than the
// plaintext; gokrb5's AES-CTS with the rotation and framing copies made
// about 120 KB of garbage per message each way.
func TestKrbSealerAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts under the race detector are not the program's")
	}
	key := testKey(t)
	s := &krbSealer{protocol: krbSPNEGOProtocol, key: key, acceptorSubkey: true}
	msg := fastMsg(14 << 10)
	wrap := func() {
		body, _, err := s.Wrap(msg)
		if err != nil {
			t.Fatal(err)
		}
		releaseBody(body)
	}
	wrap()
	if n := bytesPerRun(50, wrap); n > 2<<10 {
		t.Errorf("Wrap of 14 KB: %d bytes allocated", n)
	}
	r := &krbSealer{protocol: krbSPNEGOProtocol, key: key, acceptorSubkey: true}
	h, d, _ := wrapRFC4121(key, true, true, 0, msg)
	resp := &Response{Status: 200, Header: http.Header{"Content-Type": {EncryptedContentType}}, Body: frameEncrypted(krbSPNEGOProtocol, h, d)}
	unwrap := func() {
		r.recvSeq = 0
		if _, err := r.Unwrap(resp); err != nil {
			t.Fatal(err)
		}
	}
	unwrap()
	if n := bytesPerRun(50, unwrap); n > uint64(len(msg))+4<<10 {
		t.Errorf("Unwrap of 14 KB: %d bytes allocated", n)
	}
}

// bytesPerRun is testing.AllocsPerRun for bytes.
func bytesPerRun(runs int, f func()) uint64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}

func BenchmarkKrbSealer14K(b *testing.B) {
	key := testKey(b)
	msg := bytes.Repeat([]byte("<s:Envelope/>"), 14<<10/13)
	b.Run("wrap", func(b *testing.B) {
		s := &krbSealer{protocol: krbSPNEGOProtocol, key: key, acceptorSubkey: true}
		b.ReportAllocs()
		for b.Loop() {
			body, _, _ := s.Wrap(msg)
			releaseBody(body)
		}
	})
	b.Run("unwrap", func(b *testing.B) {
		s := &krbSealer{protocol: krbSPNEGOProtocol, key: key, acceptorSubkey: true}
		h, d, _ := wrapRFC4121(key, true, true, 0, msg)
		resp := &Response{Status: 200, Header: http.Header{"Content-Type": {EncryptedContentType}}, Body: frameEncrypted(krbSPNEGOProtocol, h, d)}
		b.ReportAllocs()
		for b.Loop() {
			s.recvSeq = 0
			_, _ = s.Unwrap(resp)
		}
	})
}

// TestDeriveAESKeyMatchesGokrb5: the AES key derivation with the cached
// n-fold gives gokrb5's DeriveKey keys, for every usage's Ke, Ki and Kc,
// with AES128 and AES256.
func TestDeriveAESKeyMatchesGokrb5(t *testing.T) {
	for _, etID := range []int32{etypeID.AES128_CTS_HMAC_SHA1_96, etypeID.AES256_CTS_HMAC_SHA1_96} {
		et, err := crypto.GetEtype(etID)
		if err != nil {
			t.Fatal(err)
		}
		key, err := types.GenerateEncryptionKey(et)
		if err != nil {
			t.Fatal(err)
		}
		for usage := uint32(1); usage <= 30; usage++ {
			for _, c := range [][]byte{common.GetUsageKe(usage), common.GetUsageKi(usage), common.GetUsageKc(usage)} {
				want, err := et.DeriveKey(key.KeyValue, c)
				if err != nil {
					t.Fatal(err)
				}
				for range 2 { // the n-fold computed, then cached
					if got, err := deriveAESKey(key.KeyValue, c); err != nil || !bytes.Equal(got, want) {
						t.Fatalf("etype %d, constant %x: %x, gokrb5 %x (%v)", etID, c, got, want, err)
					}
				}
			}
		}
	}
}
