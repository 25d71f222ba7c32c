// Package smbprobe asks an SMB server what it offers, from the machine
// ntlmscan runs on: one SMB2 NEGOTIATE (dialects 2.0.2 to 3.1.1, with the
// 3.1.1 negotiate contexts) records the dialect, signing, capabilities and
// the SPNEGO mechanisms the server advertises; an SMB1-only server is
// recognised by an SMB1 multi-protocol NEGOTIATE. Optionally, one NTLM
// SESSION_SETUP tells whether the server accepts a credential.
//
// The probe is small on purpose ([MS-SMB2] 2.2.3/2.2.4/2.2.5/2.2.6, [MS-SMB]
// 2.2.4.5, RFC 4178): it never opens a tree, a file or a pipe. Every read has
// a deadline and every length read from the wire is bounded before use.
package smbprobe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
)

// maxFrame bounds one NetBIOS session message read from the server. A
// NEGOTIATE or SESSION_SETUP response is a few hundred bytes; 64 KiB leaves
// room for a large Kerberos hint without trusting a 16 MiB length.
const maxFrame = 64 << 10

// SMB2 commands and header size ([MS-SMB2] 2.2.1).
const (
	smb2HeaderSize      = 64
	cmdNegotiate        = 0x0000
	cmdSessionSetup     = 0x0001
	smb2FlagResponse    = 0x00000001
	negotiateSigningEn  = 0x0001
	negotiateSigningReq = 0x0002
)

var (
	smb2Magic = [4]byte{0xFE, 'S', 'M', 'B'}
	smb1Magic = [4]byte{0xFF, 'S', 'M', 'B'}
)

// errSMB1Reply marks an answer in SMB1 framing where SMB2 was expected.
var errSMB1Reply = errors.New("the server answered in SMB1")

// writeFrame sends one direct-TCP message: a zero byte, a 24-bit length,
// then the SMB message ([MS-SMB2] 2.1).
func writeFrame(c net.Conn, msg []byte) error {
	buf := make([]byte, 4+len(msg))
	binary.BigEndian.PutUint32(buf, uint32(len(msg)))
	copy(buf[4:], msg)
	_, err := c.Write(buf)
	return err
}

// readFrame reads one direct-TCP message, refusing lengths over maxFrame.
func readFrame(r io.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	if hdr[0] != 0 {
		return nil, fmt.Errorf("not an SMB server: the answer starts with byte 0x%02x, not a direct-TCP header", hdr[0])
	}
	n := int(hdr[1])<<16 | int(hdr[2])<<8 | int(hdr[3])
	if n > maxFrame {
		return nil, fmt.Errorf("the server announced a %d-byte message (more than the %d a probe answer can need)", n, maxFrame)
	}
	if n < 4 {
		return nil, fmt.Errorf("the server sent a %d-byte message, too short for SMB", n)
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(r, msg); err != nil {
		return nil, err
	}
	return msg, nil
}

// smb2Header is the part of an SMB2 response header the probe uses.
type smb2Header struct {
	Status    uint32
	Command   uint16
	Flags     uint32
	MessageID uint64
	SessionID uint64
}

// parseSMB2Header checks the protocol id and returns the header and body.
func parseSMB2Header(msg []byte) (smb2Header, []byte, error) {
	var h smb2Header
	if len(msg) >= 4 && [4]byte(msg[:4]) == smb1Magic {
		return h, nil, errSMB1Reply
	}
	if len(msg) < smb2HeaderSize {
		return h, nil, fmt.Errorf("SMB2 header truncated (%d bytes)", len(msg))
	}
	if [4]byte(msg[:4]) != smb2Magic {
		return h, nil, fmt.Errorf("not an SMB answer (protocol id % x)", msg[:4])
	}
	if binary.LittleEndian.Uint16(msg[4:]) != smb2HeaderSize {
		return h, nil, fmt.Errorf("SMB2 header has structure size %d, not 64", binary.LittleEndian.Uint16(msg[4:]))
	}
	h.Status = binary.LittleEndian.Uint32(msg[8:])
	h.Command = binary.LittleEndian.Uint16(msg[12:])
	h.Flags = binary.LittleEndian.Uint32(msg[16:])
	h.MessageID = binary.LittleEndian.Uint64(msg[24:])
	h.SessionID = binary.LittleEndian.Uint64(msg[40:])
	if h.Flags&smb2FlagResponse == 0 {
		return h, nil, errors.New("the server sent an SMB2 request, not a response")
	}
	return h, msg, nil
}

// smb2Request builds a header for command with messageID and sessionID.
func smb2Request(command uint16, messageID, sessionID uint64, body []byte) []byte {
	b := make([]byte, smb2HeaderSize, smb2HeaderSize+len(body))
	copy(b, smb2Magic[:])
	binary.LittleEndian.PutUint16(b[4:], smb2HeaderSize)
	binary.LittleEndian.PutUint16(b[6:], 1) // CreditCharge
	binary.LittleEndian.PutUint16(b[12:], command)
	binary.LittleEndian.PutUint16(b[14:], 1) // CreditRequest
	binary.LittleEndian.PutUint64(b[24:], messageID)
	binary.LittleEndian.PutUint64(b[40:], sessionID)
	return append(b, body...)
}

// slice returns msg[off:off+n] when it lies inside msg.
func slice(msg []byte, off, n int) ([]byte, bool) {
	if off < 0 || n < 0 || off > len(msg) || n > len(msg)-off {
		return nil, false
	}
	return msg[off : off+n], true
}
