package ntlmserver

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rc4"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/crc32"
	"sync"
)

type role int

const (
	roleServer role = iota
	// roleClient mirrors the directions; used only by tests to play a
	// client from the specification's test vectors.
	roleClient
)

// Session is an established NTLM security context: the identity that
// authenticated and the connection-oriented sealing state ([MS-NLMP] 3.4).
// Each direction has its own RC4 handle and sequence number, initialised
// once and carried across messages. Safe for concurrent use.
type Session struct {
	mu                    sync.Mutex
	user, domain          string
	workstation           string
	flags                 uint32
	exportedSessionKey    []byte
	inSignKey, outSignKey []byte
	in, out               *rc4.Cipher
	inMAC, outMAC         hash.Hash // HMAC-MD5 keyed once per direction, Reset per message
	inSeq, outSeq         uint32
	broken                bool // an incoming message failed verification
	binding               BindingResult
}

func newSession(flags uint32, esk []byte, r role) *Session {
	s := &Session{flags: flags, exportedSessionKey: esk}
	inSign, outSign := clientSignMagic, serverSignMagic
	inSeal, outSeal := clientSealMagic, serverSealMagic
	if r == roleClient {
		inSign, outSign = outSign, inSign
		inSeal, outSeal = outSeal, inSeal
	}
	s.inSignKey = signKey(flags, esk, inSign)
	s.outSignKey = signKey(flags, esk, outSign)
	var err error
	if s.in, err = rc4.NewCipher(sealKey(flags, esk, inSeal)); err != nil {
		panic(err) // keys are 16 bytes
	}
	if s.out, err = rc4.NewCipher(sealKey(flags, esk, outSeal)); err != nil {
		panic(err)
	}
	return s
}

// User returns UserName as sent in AUTHENTICATE.
func (s *Session) User() string { return s.user }

// Domain returns DomainName as sent in AUTHENTICATE.
func (s *Session) Domain() string { return s.domain }

// Workstation returns Workstation as sent in AUTHENTICATE.
func (s *Session) Workstation() string { return s.workstation }

// ChannelBinding says how the logon's channel binding was judged.
func (s *Session) ChannelBinding() BindingResult { return s.binding }

// Flags returns the negotiated flags: the CHALLENGE flags minus any
// session-security bit the client dropped in AUTHENTICATE.
func (s *Session) Flags() uint32 { return s.flags }

// Unseal decrypts a client->server sealed message given its 16-byte
// signature, checking checksum and sequence number (connection-oriented:
// RC4 state and seq persist across calls). After a failed check the RC4
// stream can no longer be trusted to be in step with the client's, so every
// later Unseal fails too, as the connection must be dropped anyway.
func (s *Session) Unseal(sealed, signature []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken {
		return nil, fmt.Errorf("%w: session already failed", ErrIntegrity)
	}
	if s.flags&FlagSeal == 0 {
		return nil, fmt.Errorf("%w: sealing was not negotiated", ErrIntegrity)
	}
	if len(signature) != 16 {
		return nil, fmt.Errorf("%w: signature of %d bytes", ErrMalformed, len(signature))
	}
	// Decrypt first, then compute the MAC over the plaintext with the same
	// handle: the order bodgit's Wrap and Windows use.
	plain := make([]byte, len(sealed))
	s.in.XORKeyStream(plain, sealed)
	want := s.mac(s.in, &s.inMAC, s.inSignKey, s.inSeq, plain)
	var ok bool
	if s.flags&FlagExtendedSessionSecurity != 0 {
		ok = subtle.ConstantTimeCompare(want, signature) == 1
	} else {
		// Without ESS the RandomPad field (4..8) carries nothing checkable.
		ok = subtle.ConstantTimeCompare(want[:4], signature[:4])&
			subtle.ConstantTimeCompare(want[8:], signature[8:]) == 1
	}
	if !ok {
		s.broken = true
		return nil, fmt.Errorf("%w: message %d", ErrIntegrity, s.inSeq)
	}
	s.inSeq++
	return plain, nil
}

// Seal encrypts a server->client message, returning sealed bytes and the
// 16-byte signature. It seals regardless of the negotiated SEAL flag: the
// caller only seals replies to messages Unseal accepted.
func (s *Session) Seal(plain []byte) (sealed, signature []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sealed = make([]byte, len(plain))
	s.out.XORKeyStream(sealed, plain)
	signature = s.mac(s.out, &s.outMAC, s.outSignKey, s.outSeq, plain)
	s.outSeq++
	return sealed, signature
}

// mac is [MS-NLMP] 3.4.4 MAC for connection-oriented sessions; it advances h.
func (s *Session) mac(h *rc4.Cipher, hm *hash.Hash, key []byte, seq uint32, msg []byte) []byte {
	sig := make([]byte, 16)
	binary.LittleEndian.PutUint32(sig[0:], 1) // Version
	if s.flags&FlagExtendedSessionSecurity != 0 {
		// The signing key is fixed per direction for the session, so one
		// keyed HMAC is reset per message instead of rebuilt.
		if *hm == nil {
			*hm = hmac.New(md5.New, key)
		}
		m := *hm
		m.Reset()
		binary.LittleEndian.PutUint32(sig[12:], seq)
		m.Write(sig[12:16])
		m.Write(msg)
		var sum [md5.Size]byte
		copy(sig[4:12], m.Sum(sum[:0])[:8])
		if s.flags&FlagKeyExch != 0 {
			h.XORKeyStream(sig[4:12], sig[4:12])
		}
		return sig
	}
	// 3.4.4.1: RandomPad consumes keystream but is sent as zero (as the
	// specification's examples and bodgit do), then CRC32 and the sequence
	// number XORed with keystream.
	var pad [4]byte
	h.XORKeyStream(pad[:], pad[:])
	binary.LittleEndian.PutUint32(sig[8:], crc32.ChecksumIEEE(msg))
	h.XORKeyStream(sig[8:12], sig[8:12])
	h.XORKeyStream(sig[12:16], sig[12:16])
	var sq [4]byte
	binary.LittleEndian.PutUint32(sq[:], seq)
	for i := range sq {
		sig[12+i] ^= sq[i]
	}
	return sig
}
