package winrmtest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest/internal/ntlmserver"
)

// MS-WSMV 2.2.9.1.1.2 framing of an NTLM-sealed SOAP message. Parts start
// with a TAB; there is no CRLF between the sealed bytes and the closing
// boundary.
const (
	boundaryLine   = "--Encrypted Boundary\r\n"
	boundaryEnd    = "--Encrypted Boundary--\r\n"
	encHeaderLine  = "\tContent-Type: " + sealedProtocol + "\r\n"
	origContentPfx = "\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length="
	octetLine      = "\tContent-Type: application/octet-stream\r\n"
	ntlmSigLen     = 16
)

var errFraming = errors.New("multipart/encrypted body is malformed")

// unsealBody parses one encrypted part and verifies and decrypts it with
// the connection's NTLM session. The length from OriginalContent is used to
// find the end of the sealed bytes, so boundary-like bytes inside them do
// not matter.
func unsealBody(sess *ntlmserver.Session, body []byte) ([]byte, error) {
	part, err := splitSealedBody(body, encHeaderLine, func(n int) bool { return n == ntlmSigLen })
	if err != nil {
		return nil, err
	}
	return sess.Unseal(part.sealed, part.sig)
}

// sealedBody is the one part of a sealed request: the declared plaintext
// length, the signature (NTLM) or wrap token header (Kerberos), the sealed
// bytes, and token: the two together as they stand (a Kerberos wrap token).
type sealedBody struct {
	length             int
	sig, sealed, token []byte
}

// splitSealedBody parses Windows' single-part multipart/encrypted framing:
// headerLine names the protocol; sigLenOK vets the declared signature
// length. CredSSP's multipart/x-multi-encrypted and multi-part bodies are
// not spoken by NTLM or Kerberos clients, so anything after the sealed
// bytes but the closing boundary is refused.
func splitSealedBody(body []byte, headerLine string, sigLenOK func(int) bool) (sealedBody, error) {
	rest, ok := bytes.CutPrefix(body, []byte(boundaryLine))
	if !ok {
		return sealedBody{}, fmt.Errorf("%w: no opening boundary", errFraming)
	}
	rest, ok = bytes.CutPrefix(rest, []byte(headerLine))
	if !ok {
		return sealedBody{}, fmt.Errorf("%w: first part is not %s", errFraming, strings.TrimSpace(strings.TrimPrefix(headerLine, "\tContent-Type: ")))
	}
	rest, ok = bytes.CutPrefix(rest, []byte(origContentPfx))
	if !ok {
		return sealedBody{}, fmt.Errorf("%w: no OriginalContent header", errFraming)
	}
	eol := bytes.Index(rest, []byte("\r\n"))
	if eol < 0 {
		return sealedBody{}, fmt.Errorf("%w: unterminated OriginalContent", errFraming)
	}
	n, err := strconv.Atoi(string(bytes.TrimSpace(rest[:eol])))
	if err != nil || n < 0 || n > len(body) {
		return sealedBody{}, fmt.Errorf("%w: bad Length", errFraming)
	}
	rest = rest[eol+2:]
	if rest, ok = bytes.CutPrefix(rest, []byte(boundaryLine)); !ok {
		return sealedBody{}, fmt.Errorf("%w: no second part", errFraming)
	}
	if rest, ok = bytes.CutPrefix(rest, []byte(octetLine)); !ok {
		return sealedBody{}, fmt.Errorf("%w: second part is not application/octet-stream", errFraming)
	}
	if len(rest) < 4 {
		return sealedBody{}, fmt.Errorf("%w: truncated", errFraming)
	}
	sigLen := int(binary.LittleEndian.Uint32(rest[:4]))
	if !sigLenOK(sigLen) || len(rest) < 4+sigLen+n {
		return sealedBody{}, fmt.Errorf("%w: truncated sealed data", errFraming)
	}
	if !bytes.Equal(rest[4+sigLen+n:], []byte(boundaryEnd)) {
		return sealedBody{}, fmt.Errorf("%w: expected the closing boundary after %d sealed bytes", errFraming, n)
	}
	token := rest[4 : 4+sigLen+n]
	return sealedBody{length: n, sig: token[:sigLen], sealed: token[sigLen:], token: token}, nil
}

// sealBody encrypts a response the way Windows frames it.
func sealBody(sess *ntlmserver.Session, plain []byte) []byte {
	sealed, sig := sess.Seal(plain)
	var b bytes.Buffer
	b.Grow(len(sealed) + 300)
	b.WriteString(boundaryLine)
	b.WriteString(encHeaderLine)
	b.WriteString(origContentPfx)
	b.WriteString(strconv.Itoa(len(plain)))
	b.WriteString("\r\n")
	b.WriteString(boundaryLine)
	b.WriteString(octetLine)
	var l [4]byte
	binary.LittleEndian.PutUint32(l[:], uint32(len(sig)))
	b.Write(l[:])
	b.Write(sig)
	b.Write(sealed)
	b.WriteString(boundaryEnd)
	return b.Bytes()
}
