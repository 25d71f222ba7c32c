package smbprobe

import (
	"encoding/binary"
	"encoding/hex"
	"net"
	"testing"
	"time"
)

var seedNegTokenInit, _ = hex.DecodeString("607606062b0601050502a06c306aa03c303a060a2b06010401823702021e" +
	"06092a864882f71201020206092a864886f712010202060a2a864886f71201020203060a2b06010401823702020a" +
	"a32a3028a0261b24" + "6e6f745f646566696e65645f696e5f5246433431373840706c656173655f69676e6f7265")

func seedNegotiateResponse(blob []byte) []byte {
	msg := make([]byte, 128)
	copy(msg, smb2Magic[:])
	binary.LittleEndian.PutUint16(msg[4:], 64)
	binary.LittleEndian.PutUint32(msg[16:], smb2FlagResponse)
	binary.LittleEndian.PutUint16(msg[64:], 65)
	binary.LittleEndian.PutUint16(msg[66:], 1)
	binary.LittleEndian.PutUint16(msg[68:], Dialect311)
	binary.LittleEndian.PutUint16(msg[64+56:], 128)
	binary.LittleEndian.PutUint16(msg[64+58:], uint16(len(blob)))
	return append(msg, blob...)
}

func FuzzParseNegTokenInit(f *testing.F) {
	f.Add(seedNegTokenInit)
	f.Add([]byte{0x60, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseNegTokenInit(b)
		if err == nil && len(m) > maxMechs {
			t.Fatalf("%d mechanisms kept", len(m))
		}
	})
}

func FuzzParseNegotiateResponse(f *testing.F) {
	f.Add(seedNegotiateResponse(seedNegTokenInit))
	f.Add(seedNegotiateResponse(nil))
	f.Add(smb1NegotiateRequest())
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := ParseNegotiateResponse(b)
		if err == nil && len(n.SecurityBlob) > len(b) {
			t.Fatal("security blob longer than the message")
		}
		_, _ = ParseSMB1NegotiateResponse(b)
		_, _, _, _ = parseSessionSetupResponse(b)
	})
}

// FuzzSessionSetup runs the NTLM exchange against a server whose CHALLENGE
// answer is the fuzz input: the probe must end with a result or an error,
// never a panic or a hang.
func FuzzSessionSetup(f *testing.F) {
	f.Add([]byte("NTLMSSP\x00\x02\x00\x00\x00"), uint32(StatusMoreProcessingRequired))
	f.Add([]byte{}, uint32(StatusLogonFailure))
	f.Fuzz(func(t *testing.T, token []byte, status uint32) {
		if len(token) > 4096 {
			return
		}
		client, server := net.Pipe()
		defer client.Close()
		_ = client.SetDeadline(time.Now().Add(2 * time.Second))
		go func() {
			defer server.Close()
			_ = server.SetDeadline(time.Now().Add(2 * time.Second))
			if _, err := readFrame(server); err != nil {
				return
			}
			body := make([]byte, 8)
			binary.LittleEndian.PutUint16(body, 9)
			binary.LittleEndian.PutUint16(body[4:], 72)
			binary.LittleEndian.PutUint16(body[6:], uint16(len(token)))
			msg := smb2Request(cmdSessionSetup, 1, 7, append(body, token...))
			binary.LittleEndian.PutUint32(msg[8:], status)
			binary.LittleEndian.PutUint32(msg[16:], smb2FlagResponse)
			_ = writeFrame(server, msg)
			if _, err := readFrame(server); err != nil {
				return
			}
			msg = smb2Request(cmdSessionSetup, 2, 7, body[:8])
			binary.LittleEndian.PutUint32(msg[8:], StatusLogonFailure)
			binary.LittleEndian.PutUint32(msg[16:], smb2FlagResponse)
			_ = writeFrame(server, msg)
		}()
		s, err := sessionSetup(client, Credential{Username: `LAB\u`, Password: "p"})
		if err == nil && s == nil {
			t.Fatal("no result and no error")
		}
	})
}
