package winrm

import (
	"bytes"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/chksumtype"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// TestDERMatchesGokrb5: the direct DER encoding of the authenticator,
// the ticket and the AP-REQ is byte for byte what gokrb5's Marshal gives,
// for values around every length and integer boundary.
func TestDERMatchesGokrb5(t *testing.T) {
	key := testKey(t)
	cname := types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, "svc-scan")
	base := time.Date(2026, 12, 5, 5, 4, 3, 987654321, time.UTC)
	auths := map[string]types.Authenticator{
		"minimal":    {AVNO: 5, CRealm: "CORP.EXAMPLE", CName: cname, Cusec: 0, CTime: base},
		"gss":        {AVNO: 5, CRealm: "CORP.EXAMPLE", CName: cname, Cksum: types.Checksum{CksumType: chksumtype.GSSAPI, Checksum: gssChecksum(krbContextFlags, bytes.Repeat([]byte{7}, 16))}, Cusec: 987654, CTime: base, SubKey: key, SeqNumber: 0x3fffffff},
		"seq 128":    {AVNO: 5, CRealm: "R", CName: types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, "a/b/c"), Cusec: 128, CTime: base, SeqNumber: 128},
		"seq -1":     {AVNO: 5, CRealm: "R", CName: cname, Cusec: 127, CTime: base, SeqNumber: -1},
		"seq 2^31":   {AVNO: 5, CRealm: "R", CName: cname, Cusec: 255, CTime: base, SeqNumber: 1 << 31},
		"long realm": {AVNO: 5, CRealm: string(bytes.Repeat([]byte{'R'}, 300)), CName: cname, CTime: base.Add(-time.Hour * 24 * 400), SeqNumber: 1},
	}
	for name, a := range auths {
		want, err := a.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		got, ok := derAuthenticator(a)
		if !ok || !bytes.Equal(got, want) {
			t.Errorf("authenticator %s:\n got %x\nwant %x", name, got, want)
		}
	}
	if _, ok := derAuthenticator(types.Authenticator{CTime: base.In(time.FixedZone("x", 3600))}); ok {
		t.Error("a time outside UTC was encoded here")
	}
	for _, n := range []int{0, 100, 127, 128, 255, 256, 1000, 70000} {
		tkt := messages.Ticket{TktVNO: 5, Realm: "CORP.EXAMPLE", SName: types.NewPrincipalName(nametype.KRB_NT_SRV_INST, "HTTP/konly.corp.example"),
			EncPart: types.EncryptedData{EType: key.KeyType, KVNO: n % 300, Cipher: bytes.Repeat([]byte{0xab}, n)}}
		want, err := tkt.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		got, ok := derTicket(tkt)
		if !ok || !bytes.Equal(got, want) {
			t.Fatalf("ticket with a %d-byte cipher:\n got %x\nwant %x", n, got, want)
		}
		a := auths["gss"]
		apReq, err := messages.NewAPReq(tkt, key, a)
		if err != nil {
			t.Fatal(err)
		}
		types.SetFlag(&apReq.APOptions, flags.APOptionMutualRequired)
		want, err = apReq.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if got := derAPReq(apReq.APOptions, got, apReq.EncryptedAuthenticator); !bytes.Equal(got, want) {
			t.Fatalf("AP-REQ with a %d-byte ticket cipher:\n got %x\nwant %x", n, got, want)
		}
		// What marshalAPReq sends parses back as gokrb5 reads an AP-REQ,
		// and its authenticator decrypts (usage 11) to the one given.
		raw, err := marshalAPReq(tkt, key, a, apReq.APOptions)
		if err != nil {
			t.Fatal(err)
		}
		var back messages.APReq
		if err := back.Unmarshal(raw); err != nil {
			t.Fatal(err)
		}
		plain, err := crypto.DecryptEncPart(back.EncryptedAuthenticator, key, keyusage.AP_REQ_AUTHENTICATOR)
		if err != nil {
			t.Fatal(err)
		}
		if wantAuth, _ := a.Marshal(); !bytes.Equal(plain, wantAuth) || back.EncryptedAuthenticator.KVNO != tkt.EncPart.KVNO {
			t.Fatalf("authenticator in the AP-REQ: %x (kvno %d)", plain, back.EncryptedAuthenticator.KVNO)
		}
	}
}

// BenchmarkAPReq: building a host's AP-REQ, directly and with gokrb5.
func BenchmarkAPReq(b *testing.B) {
	key := testKey(b)
	tkt := messages.Ticket{TktVNO: 5, Realm: "CORP.EXAMPLE", SName: types.NewPrincipalName(nametype.KRB_NT_SRV_INST, "HTTP/konly.corp.example"),
		EncPart: types.EncryptedData{EType: key.KeyType, KVNO: 1, Cipher: bytes.Repeat([]byte{0xab}, 1200)}}
	a, _ := types.NewAuthenticator("CORP.EXAMPLE", types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, "svc-scan"))
	a.Cksum = types.Checksum{CksumType: chksumtype.GSSAPI, Checksum: gssChecksum(krbContextFlags, nil)}
	a.SubKey = key
	opts := types.NewKrbFlags()
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = marshalAPReq(tkt, key, a, opts)
		}
	})
	b.Run("gokrb5", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r, _ := messages.NewAPReq(tkt, key, a)
			_, _ = r.Marshal()
		}
	})
}

// TestTGSReqDERMatchesGokrb5: the TGS-REQ built and encoded directly is
// byte for byte what gokrb5's TGSReq.Marshal gives for the same request,
// with the krb5.conf options that change its body; its authenticator
// decrypts with gokrb5 (key usage 7) and carries the body's checksum
// (usage 6), as gokrb5's NewTGSReq makes it.
func TestTGSReqDERMatchesGokrb5(t *testing.T) {
	for name, libdefaults := range map[string]string{
		"plain":      "",
		"options":    "  forwardable = true\n  proxiable = true\n  canonicalize = true\n  renew_lifetime = 7d\n  ticket_lifetime = 10h\n",
		"addresses":  "  noaddresses = false\n",
		"two etypes": "  default_tgs_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96\n",
	} {
		t.Run(name, func(t *testing.T) {
			conf := "[libdefaults]\n  default_realm = CORP.EXAMPLE\n" + libdefaults + "[realms]\n  CORP.EXAMPLE = {\n    kdc = 127.0.0.1:88\n  }\n"
			kc, err := NewKerberosClient(KerberosCredentials{Username: "svc-scan@CORP.EXAMPLE", Password: "x", Config: conf})
			if err != nil {
				t.Fatal(err)
			}
			defer kc.Close()
			key := testKey(t)
			tgtTkt := messages.Ticket{TktVNO: 5, Realm: "CORP.EXAMPLE", SName: types.NewPrincipalName(nametype.KRB_NT_SRV_INST, "krbtgt/CORP.EXAMPLE"),
				EncPart: types.EncryptedData{EType: key.KeyType, KVNO: 2, Cipher: bytes.Repeat([]byte{0xcd}, 300)}}
			now := time.Now().UTC()
			tgt := newTGTSession(tgtTkt, key, "CORP.EXAMPLE", now, now.Add(10*time.Hour))
			sname := types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, "HTTP/konly.corp.example")
			req, raw, err := kc.newTGSReq(tgt, "CORP.EXAMPLE", sname)
			if err != nil {
				t.Fatal(err)
			}
			want, err := req.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(raw, want) {
				t.Fatalf("TGS-REQ:\n got %x\nwant %x", raw, want)
			}
			var apReq messages.APReq
			if err := apReq.Unmarshal(req.PAData[0].PADataValue); err != nil {
				t.Fatal(err)
			}
			if err := apReq.DecryptAuthenticator(key); err != nil {
				t.Fatalf("the authenticator does not decrypt with gokrb5: %v", err)
			}
			body, err := req.ReqBody.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			et, _ := crypto.GetEtype(key.KeyType)
			if ok := et.VerifyChecksum(key.KeyValue, body, apReq.Authenticator.Cksum.Checksum, keyusage.TGS_REQ_PA_TGS_REQ_AP_REQ_AUTHENTICATOR_CHKSUM); !ok || apReq.Authenticator.Cksum.CksumType != et.GetHashID() {
				t.Fatalf("the body's checksum does not verify with gokrb5 (type %d)", apReq.Authenticator.Cksum.CksumType)
			}
			if !apReq.Ticket.SName.Equal(tgtTkt.SName) || !bytes.Equal(apReq.Ticket.EncPart.Cipher, tgtTkt.EncPart.Cipher) {
				t.Fatal("the PA-TGS-REQ does not carry the TGT")
			}
		})
	}
}
