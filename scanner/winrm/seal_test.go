package winrm

import (
	"bytes"
	"strings"
	"testing"
)

func TestFrameAndParseSealed(t *testing.T) {
	sig := bytes.Repeat([]byte{0xAB}, 16)
	// Ciphertext may contain the boundary text itself: the parser must rely
	// on Length, not on searching for the boundary.
	sealed := []byte("abc--Encrypted Boundary\r\nxyz--Encrypted Boundary--\r\n\x00\x01")
	body := frameSealed(sig, sealed)
	if !bytes.HasPrefix(body, []byte("--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=")) {
		t.Fatalf("framing does not follow MS-WSMV: %q", body[:80])
	}
	if !bytes.HasSuffix(body, []byte("--Encrypted Boundary--\r\n")) {
		t.Fatal("missing closing boundary")
	}
	parts, err := parseSealed(body, encryptedBoundary)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 1 || !bytes.Equal(parts[0].Signature, sig) || !bytes.Equal(parts[0].Sealed, sealed) {
		t.Fatalf("round trip failed: %+v", parts)
	}
}

func TestParseSealedRejects(t *testing.T) {
	good := string(frameSealed(bytes.Repeat([]byte{1}, 16), []byte("0123456789")))
	tests := []struct{ name, body string }{
		{"empty", ""},
		{"no boundary", "hello"},
		{"no second boundary", "--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"},
		{"no length", strings.Replace(good, "Length=10", "Len=10", 1)},
		{"bad length", strings.Replace(good, "Length=10", "Length=1x", 1)},
		{"huge length", strings.Replace(good, "Length=10", "Length=999999999", 1)},
		{"negative length", strings.Replace(good, "Length=10", "Length=-1", 1)},
		{"length too long for data", strings.Replace(good, "Length=10", "Length=40", 1)},
		{"wrong protocol", strings.Replace(good, "HTTP-SPNEGO-session-encrypted", "HTTP-CredSSP-session-encrypted", 1)},
		{"no octet header", strings.Replace(good, "\tContent-Type: application/octet-stream\r\n", "", 1)},
		{"signature length", strings.Replace(good, "\r\n\x10\x00\x00\x00", "\r\n\x08\x00\x00\x00", 1)},
		{"garbage after closing", good + "more"},
		{"truncated", good[:len(good)-30]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if parts, err := parseSealed([]byte(tc.body), encryptedBoundary); err == nil {
				t.Fatalf("accepted: %+v", parts)
			}
		})
	}
}

func TestIsEncryptedContentType(t *testing.T) {
	tests := []struct {
		ct string
		ok bool
	}{
		{`multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"`, true},
		{`multipart/encrypted; protocol="application/HTTP-SPNEGO-session-encrypted"; boundary="Encrypted Boundary"`, true},
		{`application/soap+xml;charset=UTF-8`, false},
		{`multipart/encrypted;protocol="application/HTTP-CredSSP-session-encrypted";boundary="Encrypted Boundary"`, false},
		{``, false},
		{`multipart/encrypted;protocol=`, false},
	}
	for _, tc := range tests {
		if _, ok := isEncryptedContentType(tc.ct); ok != tc.ok {
			t.Errorf("%q: got %v", tc.ct, ok)
		}
	}
}

func FuzzParseSealed(f *testing.F) {
	f.Add(frameSealed(bytes.Repeat([]byte{1}, 16), []byte("hello world")))
	f.Add(append(frameSealed(bytes.Repeat([]byte{1}, 16), []byte("a")), frameSealed(bytes.Repeat([]byte{2}, 16), []byte("b"))...))
	f.Add([]byte("--Encrypted Boundary\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		parts, err := parseSealed(body, encryptedBoundary)
		if err != nil {
			return
		}
		total := 0
		for _, p := range parts {
			if len(p.Signature) != ntlmSignatureLen {
				t.Fatalf("signature of %d bytes accepted", len(p.Signature))
			}
			total += len(p.Sealed)
		}
		if total > len(body) {
			t.Fatal("parts larger than the body")
		}
	})
}
