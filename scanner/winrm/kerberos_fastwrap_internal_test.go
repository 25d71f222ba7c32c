package winrm

import (
	"bytes"
	"testing"

	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
)

// TestWrapWithCachedKeys: the sealer derives the usage keys once per
// context (RFC 3961 Ke and Ki) instead of for every message; its tokens
// open with gokrb5's own decryption (unwrapRFC4121), for messages of every
// size around the AES block, and stay the same length as before.
func TestWrapWithCachedKeys(t *testing.T) {
	key := testKey(t)
	uk, err := newUsageKeys(key, keyusage.GSSAPI_ACCEPTOR_SEAL)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 15, 16, 17, 31, 32, 33, 1000, 14 << 10} {
		msg := bytes.Repeat([]byte{'x'}, n)
		for i := range msg {
			msg[i] = byte(i * 7)
		}
		h, d, err := wrapRFC4121Keys(key, uk, true, true, 9, msg)
		if err != nil {
			t.Fatal(err)
		}
		got, err := unwrapRFC4121(key, true, true, 9, h, d)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("%d bytes: unwrap = %v", n, err)
		}
		h0, d0, _ := wrapRFC4121(key, true, true, 9, msg)
		if len(h) != len(h0) || len(d) != len(d0) {
			t.Errorf("%d bytes: token %d+%d, gokrb5's %d+%d", n, len(h), len(d), len(h0), len(d0))
		}
	}
	// Keys derived for another usage do not open as this one.
	other, _ := newUsageKeys(key, keyusage.GSSAPI_INITIATOR_SEAL)
	h, d, _ := wrapRFC4121Keys(key, other, true, true, 9, []byte("msg"))
	if _, err := unwrapRFC4121(key, true, true, 9, h, d); err == nil {
		t.Error("a token sealed with the initiator's keys opened as the acceptor's")
	}
}

func BenchmarkWrap14K(b *testing.B) {
	key := testKey(b)
	msg := bytes.Repeat([]byte("<s:Envelope/>"), 14<<10/13)
	uk, _ := newUsageKeys(key, keyusage.GSSAPI_INITIATOR_SEAL)
	b.Run("derive-per-message", func(b *testing.B) {
		for b.Loop() {
			_, _, _ = wrapRFC4121(key, true, false, 1, msg)
		}
	})
	b.Run("cached-keys", func(b *testing.B) {
		for b.Loop() {
			_, _, _ = wrapRFC4121Keys(key, uk, true, false, 1, msg)
		}
	})
}

// TestUnwrapWithCachedKeys: tokens sealed by gokrb5 (per-message keys) and
// in Windows' layout open with the cached keys; a tampered one does not.
func TestUnwrapWithCachedKeys(t *testing.T) {
	key := testKey(t)
	uk, err := newUsageKeys(key, keyusage.GSSAPI_ACCEPTOR_SEAL)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 16, 17, 1000, 14 << 10} {
		msg := bytes.Repeat([]byte{'y'}, n)
		h, d, err := wrapRFC4121(key, true, true, 3, msg)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := unwrapRFC4121Keys(key, uk, true, true, 3, h, d); err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("%d bytes: %v", n, err)
		}
		wh, wd := windowsStyleWrap(t, key, 3, msg, 16)
		if got, err := unwrapRFC4121Keys(key, uk, true, true, 3, wh, wd); err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("%d bytes, Windows layout: %v", n, err)
		}
		if n > 0 {
			d[len(d)-1] ^= 1
			if _, err := unwrapRFC4121Keys(key, uk, true, true, 3, h, d); err == nil {
				t.Fatalf("%d bytes: a tampered token opened", n)
			}
		}
	}
}
