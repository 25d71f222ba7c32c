package winrm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"mime"
	"strconv"
	"strings"
	"sync"
)

// MS-WSMV 2.2.9.1.1.2 message framing for NTLM-sealed bodies (as Windows
// and pywinrm's winrm/encryption.py write it):
//
//	--Encrypted Boundary\r\n
//	\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n
//	\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=<N>\r\n
//	--Encrypted Boundary\r\n
//	\tContent-Type: application/octet-stream\r\n
//	<uint32 LE signature length = 16><signature><N sealed bytes>--Encrypted Boundary--\r\n
const (
	spnegoProtocol     = "application/HTTP-SPNEGO-session-encrypted"
	encryptedBoundary  = "Encrypted Boundary"
	encryptedMediaType = "multipart/encrypted"
	// EncryptedContentType is the request Content-Type of a sealed message.
	EncryptedContentType = encryptedMediaType + `;protocol="` + spnegoProtocol + `";boundary="` + encryptedBoundary + `"`
	soapContentType      = "application/soap+xml;charset=UTF-8"
	ntlmSignatureLen     = 16
)

// frameSealed builds a multipart/encrypted body around one sealed message.
// The buffer comes from the transport's pool and goes back to it once the
// request is written (releaseBody): a sealed copy of every message is most
// of what sealing allocates.
func frameSealed(signature, sealed []byte) []byte {
	return frameEncrypted(spnegoProtocol, signature, sealed)
}

// frameEncrypted is frameSealed for any protocol (NTLM's SPNEGO, Kerberos):
// the layout is the same, only the part header's protocol differs, and the
// sealed bytes have the plaintext's length.
func frameEncrypted(protocol string, signature, sealed []byte) []byte {
	b := getBuffer()
	b.Grow(len(signature) + len(sealed) + 300)
	b.WriteString("--" + encryptedBoundary + "\r\n")
	b.WriteString("\tContent-Type: " + protocol + "\r\n")
	b.WriteString("\tOriginalContent: type=" + soapContentType + ";Length=" + strconv.Itoa(len(sealed)) + "\r\n")
	b.WriteString("--" + encryptedBoundary + "\r\n")
	b.WriteString("\tContent-Type: application/octet-stream\r\n")
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(signature)))
	b.Write(n[:])
	b.Write(signature)
	b.Write(sealed)
	b.WriteString("--" + encryptedBoundary + "--\r\n")
	out := b.Bytes()
	lentBodies.Store(&out[0], b)
	return out
}

// lentBodies maps the first byte of a framed body to the pooled buffer
// holding it.
var lentBodies sync.Map

// releaseBody returns a request body framed by frameSealed to the pool;
// other bodies are left alone. body must not be used afterwards.
func releaseBody(body []byte) {
	if len(body) == 0 {
		return
	}
	if v, ok := lentBodies.LoadAndDelete(&body[0]); ok {
		putBuffer(v.(*bytes.Buffer))
	}
}

// sealedPart is one signature plus sealed payload from a response.
type sealedPart struct {
	Signature []byte // NTLM signature, or the RFC 4121 wrap token header
	Sealed    []byte
	Length    int // the plaintext length the part header declares
}

// isEncryptedContentType reports whether a response Content-Type announces
// an HTTP-SPNEGO-session-encrypted body, and returns its boundary.
func isEncryptedContentType(ct string) (boundary string, ok bool) {
	return encryptedContentType(ct, spnegoProtocol)
}

// encryptedContentType is isEncryptedContentType for any protocol.
func encryptedContentType(ct, protocol string) (boundary string, ok bool) {
	media, params, err := mime.ParseMediaType(ct)
	if err != nil || media != encryptedMediaType {
		return "", false
	}
	if !strings.EqualFold(params["protocol"], protocol) {
		return "", false
	}
	b := params["boundary"]
	if b == "" {
		b = encryptedBoundary
	}
	return b, true
}

// parseSealed splits an HTTP-SPNEGO-session-encrypted (NTLM) body into
// its parts; every signature is an NTLM signature.
func parseSealed(body []byte, boundary string) ([]sealedPart, error) {
	return splitEncrypted(body, boundary, spnegoProtocol, func(n uint32) error {
		if n != ntlmSignatureLen {
			return fmt.Errorf("signature length %d, want %d", n, ntlmSignatureLen)
		}
		return nil
	})
}

// splitEncrypted splits a multipart/encrypted body (MS-WSMV: a part header
// announcing protocol and Length, then an octet-stream part holding a
// 4-byte signature length, the signature and the sealed bytes) into its
// parts. It relies on the declared Length to find the end of the sealed
// bytes rather than on searching for the boundary, which could occur
// inside ciphertext. checkSigLen vets each declared signature length.
func splitEncrypted(body []byte, boundary, protocol string, checkSigLen func(uint32) error) ([]sealedPart, error) {
	delim := []byte("--" + boundary + "\r\n")
	closing := []byte("--" + boundary + "--")
	var parts []sealedPart
	rest := body
	for {
		if !bytes.HasPrefix(rest, delim) {
			if len(parts) > 0 && bytes.HasPrefix(rest, closing) {
				tail := bytes.TrimSpace(rest[len(closing):])
				if len(tail) != 0 {
					return nil, errors.New("data after the closing boundary")
				}
				return parts, nil
			}
			return nil, errors.New("missing MIME boundary")
		}
		rest = rest[len(delim):]
		end := bytes.Index(rest, delim)
		if end < 0 {
			return nil, errors.New("missing second MIME boundary")
		}
		header := rest[:end]
		rest = rest[end+len(delim):]
		length, err := originalLength(header, protocol)
		if err != nil {
			return nil, err
		}
		const octet = "\tContent-Type: application/octet-stream\r\n"
		if !bytes.HasPrefix(rest, []byte(octet)) {
			return nil, errors.New("payload part lacks its octet-stream header")
		}
		rest = rest[len(octet):]
		if len(rest) < 4 {
			return nil, errors.New("payload shorter than its signature length")
		}
		sigLen := binary.LittleEndian.Uint32(rest[:4])
		if err := checkSigLen(sigLen); err != nil {
			return nil, err
		}
		rest = rest[4:]
		if uint64(len(rest)) < uint64(sigLen)+uint64(length) {
			return nil, fmt.Errorf("payload shorter than its declared length %d", length)
		}
		parts = append(parts, sealedPart{Signature: rest[:sigLen], Sealed: rest[sigLen : int(sigLen)+length], Length: length})
		rest = rest[int(sigLen)+length:]
	}
}

// originalLength reads Length=N from the part header and checks the protocol.
func originalLength(header []byte, protocol string) (int, error) {
	h := string(header)
	if !strings.Contains(h, protocol) {
		return 0, errors.New("part header does not announce " + protocol)
	}
	i := strings.Index(h, "Length=")
	if i < 0 {
		return 0, errors.New("part header has no Length")
	}
	digits := h[i+len("Length="):]
	j := 0
	for j < len(digits) && digits[j] >= '0' && digits[j] <= '9' {
		j++
	}
	if j == 0 || j > 9 {
		return 0, errors.New("part header has a bad Length")
	}
	if strings.TrimSpace(digits[j:]) != "" && !strings.HasPrefix(digits[j:], ";") {
		return 0, errors.New("part header has a bad Length")
	}
	return strconv.Atoi(digits[:j])
}
