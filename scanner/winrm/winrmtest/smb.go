package winrmtest

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest/internal/ntlmserver"
)

// The simulated SMB service answers what ntlmscan's SMB probe asks: an SMB2
// NEGOTIATE ([MS-SMB2] 2.2.3, 2.2.4), an SMB1 multi-protocol NEGOTIATE
// ([MS-SMB] 2.2.4.5) and an NTLM SESSION_SETUP (2.2.5, 2.2.6) carrying
// raw NTLMSSP tokens, checked by the simulator's own NTLM acceptor. It
// shares no code with the probe (scanner/smbprobe): both follow the
// specification, so a bug in one cannot hide in the other. Anything else
// closes the connection.

const (
	smbMaxMessage   = 64 << 10
	smbIdleTimeout  = 30 * time.Second
	smbStatusMore   = 0xC0000016
	smbStatusLogon  = 0xC000006D
	smbStatusBlock  = 0xC0000418
	smbStatusNotSup = 0xC00000BB
	smbStatusParam  = 0xC000000D
)

var smbDialectCodes = map[string]uint16{"2.0.2": 0x0202, "2.1": 0x0210, "3.0": 0x0300, "3.0.2": 0x0302, "3.1.1": 0x0311}

// smbSPNEGO is the NegTokenInit2 a Windows server sends ([MS-SPNG]
// 2.2.1), DER-encoded by hand: with Kerberos it lists MS-KRB5, KRB5 and
// NTLMSSP, without it NTLMSSP only.
func smbSPNEGO(kerberos bool) []byte {
	oid := func(b ...byte) []byte { return append([]byte{0x06, byte(len(b))}, b...) }
	tlv := func(tag byte, body []byte) []byte {
		if len(body) < 0x80 {
			return append([]byte{tag, byte(len(body))}, body...)
		}
		return append([]byte{tag, 0x81, byte(len(body))}, body...)
	}
	ntlm := oid(0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a)
	var mechs []byte
	if kerberos {
		mechs = append(mechs, oid(0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02)...) // MS-KRB5
		mechs = append(mechs, oid(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02)...) // KRB5
	}
	mechs = append(mechs, ntlm...)
	hint := tlv(0xa3, tlv(0x30, tlv(0xa0, tlv(0x1b, []byte("not_defined_in_RFC4178@please_ignore")))))
	init := tlv(0x30, append(tlv(0xa0, tlv(0x30, mechs)), hint...))
	spnego := oid(0x2b, 0x06, 0x01, 0x05, 0x05, 0x02)
	return tlv(0x60, append(spnego, tlv(0xa0, init)...))
}

// listenSMB starts the host's SMB listener when the lab gives it one. A
// fixed port the process cannot bind (445 without privileges, or held by a
// real smbd) leaves the host without SMB, with a warning, rather than
// failing the whole lab.
func (hs *hostServer) listenSMB() {
	c := hs.h.SMBServer
	if c == nil {
		return
	}
	port := c.Port
	if hs.srv.cfg.ephemeral {
		port = 0
	}
	addr := net.JoinHostPort(hs.h.Address, strconv.Itoa(port))
	ln, err := net.Listen("tcp4", addr)
	if err != nil {
		// Port 445 needs privileges, and a real smbd may hold it: the lab
		// runs on without this host's SMB service.
		hint := "another process may hold it"
		if errors.Is(err, syscall.EACCES) {
			hint = "the port needs privileges"
		}
		hs.srv.log.Warn("no simulated SMB service ("+hint+"; use ephemeral ports)", "host", hs.h.Name, "addr", addr, "err", err)
		return
	}
	hs.endpoint.SMBPort = ln.Addr().(*net.TCPAddr).Port
	hs.smbLn = ln
	hs.srv.wg.Add(1)
	go func() {
		defer hs.srv.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			hs.srv.wg.Add(1)
			go func() {
				defer hs.srv.wg.Done()
				defer conn.Close()
				stop := make(chan struct{})
				defer close(stop)
				go func() {
					select {
					case <-hs.srv.closing:
						conn.Close()
					case <-stop:
					}
				}()
				hs.serveSMB(conn)
			}()
		}
	}()
}

func (hs *hostServer) smbSigningRequired() bool {
	if c := hs.h.SMBServer; c.SigningRequired != nil {
		return *c.SigningRequired
	}
	v, ok := hs.h.dword(`HKLM\SYSTEM\CurrentControlSet\Services\LanManServer\Parameters`, "RequireSecuritySignature")
	return ok && v == 1
}

func (hs *hostServer) smbKerberos() bool {
	if c := hs.h.SMBServer; c.Kerberos != nil {
		return *c.Kerberos
	}
	return hs.h.IsDomainMember()
}

// serveSMB answers one connection until the client stops or sends
// something the simulator does not serve.
func (hs *hostServer) serveSMB(conn net.Conn) {
	c := hs.h.SMBServer
	var handshake *ntlmserver.Handshake
	var matched account
	var sessionID uint64
	for {
		_ = conn.SetDeadline(time.Now().Add(smbIdleTimeout))
		msg, err := smbRead(conn)
		if err != nil {
			return
		}
		switch {
		case len(msg) >= 5 && bytes.Equal(msg[:4], []byte{0xFF, 'S', 'M', 'B'}) && msg[4] == 0x72:
			if !hs.smb1Negotiate(conn, msg) {
				return
			}
		case len(msg) >= 64 && bytes.Equal(msg[:4], []byte{0xFE, 'S', 'M', 'B'}) && !c.SMB1Only:
			cmd := binary.LittleEndian.Uint16(msg[12:])
			mid := binary.LittleEndian.Uint64(msg[24:])
			switch cmd {
			case 0: // NEGOTIATE
				if !hs.smb2Negotiate(conn, msg, mid) {
					return
				}
			case 1: // SESSION_SETUP
				tok, ok := smbSessionToken(msg)
				if !ok {
					_ = smbWrite(conn, smb2Reply(1, mid, 0, smbStatusParam, smb2ErrorBody()))
					return
				}
				t, err := ntlmserver.MessageType(tok)
				switch {
				case err != nil:
					// SPNEGO-wrapped or Kerberos tokens are not served here.
					_ = smbWrite(conn, smb2Reply(1, mid, 0, smbStatusNotSup, smb2ErrorBody()))
					return
				case t == 1:
					handshake = ntlmserver.NewHandshake(hs.ntlmConfig(&matched))
					challenge, err := handshake.Negotiate(tok)
					if err != nil {
						_ = smbWrite(conn, smb2Reply(1, mid, 0, smbStatusParam, smb2ErrorBody()))
						return
					}
					var sid [8]byte
					_, _ = rand.Read(sid[:])
					sessionID = binary.LittleEndian.Uint64(sid[:]) | 1
					_ = smbWrite(conn, smb2Reply(1, mid, sessionID, smbStatusMore, smbSessionBody(0, challenge)))
				case t == 3 && handshake != nil:
					status := uint32(0)
					if _, err := handshake.Authenticate(tok); err != nil {
						status = smbStatusLogon
					}
					if c.NTLM != nil && !*c.NTLM {
						status = smbStatusBlock
					}
					body := smbSessionBody(0, nil)
					if status != 0 {
						body = smb2ErrorBody()
					}
					_ = smbWrite(conn, smb2Reply(1, mid, sessionID, status, body))
					handshake = nil
				default:
					_ = smbWrite(conn, smb2Reply(1, mid, 0, smbStatusParam, smb2ErrorBody()))
					return
				}
			default:
				return
			}
		default:
			return // an SMB1-only host drops SMB2, as Samba does
		}
	}
}

// smb1Negotiate answers an SMB1 NEGOTIATE: an SMB1-only host picks NT LM
// 0.12; an SMB2 host answers in SMB2 (dialect 2.??? or 2.0.2).
func (hs *hostServer) smb1Negotiate(conn net.Conn, msg []byte) bool {
	if len(msg) < 35 || 35+2*int(msg[32]) > len(msg) {
		return false
	}
	n := int(binary.LittleEndian.Uint16(msg[33+2*int(msg[32]):]))
	start := 35 + 2*int(msg[32])
	if start > len(msg) || n > len(msg)-start {
		return false
	}
	var dialects []string
	for _, d := range bytes.Split(msg[start:start+n], []byte{0}) {
		if len(d) > 1 && d[0] == 0x02 {
			dialects = append(dialects, string(d[1:]))
		}
	}
	index := func(name string) int {
		for i, d := range dialects {
			if d == name {
				return i
			}
		}
		return -1
	}
	if !hs.h.SMBServer.SMB1Only {
		code := uint16(0)
		switch {
		case index("SMB 2.???") >= 0:
			code = 0x02FF
		case index("SMB 2.002") >= 0:
			code = 0x0202
		default:
			return false
		}
		return smbWrite(conn, smb2Reply(0, 0, 0, 0, hs.smb2NegotiateBody(code, false))) == nil
	}
	i := index("NT LM 0.12")
	if i < 0 {
		return false
	}
	r := make([]byte, 32, 128)
	copy(r, []byte{0xFF, 'S', 'M', 'B', 0x72})
	r[9] = 0x98
	binary.LittleEndian.PutUint16(r[10:], 0xC853)
	words := make([]byte, 34)
	binary.LittleEndian.PutUint16(words[0:], uint16(i))
	mode := byte(0x01 | 0x02 | 0x04) // user security, encrypt passwords, signatures enabled
	if hs.smbSigningRequired() {
		mode |= 0x08
	}
	words[2] = mode
	binary.LittleEndian.PutUint32(words[19:], 0x80000000|0x0000F3FD) // extended security + NT capabilities
	r = append(r, 17)
	r = append(r, words...)
	guid := make([]byte, 16)
	_, _ = rand.Read(guid)
	data := append(guid, smbSPNEGO(hs.smbKerberos())...)
	r = binary.LittleEndian.AppendUint16(r, uint16(len(data)))
	r = append(r, data...)
	return smbWrite(conn, r) == nil
}

// smb2Negotiate picks the highest dialect both sides speak.
func (hs *hostServer) smb2Negotiate(conn net.Conn, msg []byte, mid uint64) bool {
	if len(msg) < 64+36 {
		return false
	}
	body := msg[64:]
	count := int(binary.LittleEndian.Uint16(body[2:]))
	if 36+2*count > len(body) {
		return false
	}
	max := smbDialectCodes[hs.h.SMBServer.Dialect]
	var best uint16
	for i := 0; i < count; i++ {
		d := binary.LittleEndian.Uint16(body[36+2*i:])
		if d <= max && d > best {
			best = d
		}
	}
	if best == 0 {
		_ = smbWrite(conn, smb2Reply(0, mid, 0, smbStatusNotSup, smb2ErrorBody()))
		return false
	}
	return smbWrite(conn, smb2Reply(0, mid, 0, 0, hs.smb2NegotiateBody(best, best == 0x0311))) == nil
}

// smb2NegotiateBody is a NEGOTIATE response body for dialect, with the
// 3.1.1 preauth-integrity and encryption contexts when contexts is set.
func (hs *hostServer) smb2NegotiateBody(dialect uint16, contexts bool) []byte {
	le := binary.LittleEndian
	blob := smbSPNEGO(hs.smbKerberos())
	b := make([]byte, 64, 64+len(blob)+96)
	le.PutUint16(b[0:], 65)
	mode := uint16(0x0001)
	if hs.smbSigningRequired() {
		mode |= 0x0002
	}
	le.PutUint16(b[2:], mode)
	le.PutUint16(b[4:], dialect)
	_, _ = rand.Read(b[8:24]) // ServerGuid
	caps := uint32(0x01 | 0x02 | 0x04)
	if dialect >= 0x0300 {
		caps |= 0x40
	}
	le.PutUint32(b[24:], caps)
	le.PutUint32(b[28:], 8<<20)
	le.PutUint32(b[32:], 8<<20)
	le.PutUint32(b[36:], 8<<20)
	le.PutUint64(b[40:], uint64(time.Now().UnixNano()/100+116444736000000000))
	le.PutUint16(b[56:], 64+64)
	le.PutUint16(b[58:], uint16(len(blob)))
	b = append(b, blob...)
	if !contexts {
		return b
	}
	pad := func() {
		for (64+len(b))%8 != 0 {
			b = append(b, 0)
		}
	}
	pad()
	le.PutUint16(b[6:], 2)
	le.PutUint32(b[60:], uint32(64+len(b)))
	salt := make([]byte, 32)
	_, _ = rand.Read(salt)
	pre := append([]byte{1, 0, 32, 0, 1, 0}, salt...)
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, uint16(len(pre)))
	b = append(b, 0, 0, 0, 0)
	b = append(b, pre...)
	pad()
	b = le.AppendUint16(b, 2)
	b = le.AppendUint16(b, 4)
	b = append(b, 0, 0, 0, 0, 1, 0, 2, 0) // one cipher: AES-128-GCM
	return b
}

// smbSessionToken returns a SESSION_SETUP request's security buffer.
func smbSessionToken(msg []byte) ([]byte, bool) {
	if len(msg) < 64+24 {
		return nil, false
	}
	off := int(binary.LittleEndian.Uint16(msg[64+12:]))
	n := int(binary.LittleEndian.Uint16(msg[64+14:]))
	if off < 64+24 || n == 0 || off > len(msg) || n > len(msg)-off {
		return nil, false
	}
	return msg[off : off+n], true
}

func smbSessionBody(flags uint16, token []byte) []byte {
	b := make([]byte, 8, 8+len(token))
	binary.LittleEndian.PutUint16(b[0:], 9)
	binary.LittleEndian.PutUint16(b[2:], flags)
	if len(token) > 0 {
		binary.LittleEndian.PutUint16(b[4:], 64+8)
		binary.LittleEndian.PutUint16(b[6:], uint16(len(token)))
	}
	return append(b, token...)
}

func smb2ErrorBody() []byte { return []byte{9, 0, 0, 0, 0, 0, 0, 0, 0} }

func smb2Reply(cmd uint16, mid, session uint64, status uint32, body []byte) []byte {
	h := make([]byte, 64, 64+len(body))
	copy(h, []byte{0xFE, 'S', 'M', 'B'})
	le := binary.LittleEndian
	le.PutUint16(h[4:], 64)
	le.PutUint32(h[8:], status)
	le.PutUint16(h[12:], cmd)
	le.PutUint16(h[14:], 1) // credits granted
	le.PutUint32(h[16:], 1) // SERVER_TO_REDIR
	le.PutUint64(h[24:], mid)
	le.PutUint64(h[40:], session)
	return append(h, body...)
}

func smbRead(r io.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(hdr[:]) & 0xFFFFFF)
	if hdr[0] != 0 || n > smbMaxMessage || n < 4 {
		return nil, errors.New("bad SMB frame")
	}
	msg := make([]byte, n)
	_, err := io.ReadFull(r, msg)
	return msg, err
}

func smbWrite(w io.Writer, msg []byte) error {
	_, err := w.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(msg))), msg...))
	return err
}
