package winrmtest

import (
	"testing"

	"github.com/jcmturner/gokrb5/v8/client"
	krbconfig "github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// TestKDCSeenTGT: the lab KDC keeps the TGTs it decrypted, but only a
// TGT identical to one of them is taken from there: a tampered copy of a
// TGT it has seen is refused, and so is an authenticator under another
// key than the TGT's session key; TGS-REPs decrypt with the session key.
func TestKDCSeenTGT(t *testing.T) {
	lab, err := ParseLab([]byte(krbLab), "krb-lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv := startLab(t, lab, WithEphemeralPorts())
	cfg, err := krbconfig.NewFromString(srv.Krb5Conf())
	if err != nil {
		t.Fatal(err)
	}
	cl := client.NewWithPassword("svc-scan", "CORP.EXAMPLE", "Test-Only-Scan-1!", cfg, client.DisablePAFXFAST(true))
	defer cl.Destroy()
	asReq, err := messages.NewASReqForTGT("CORP.EXAMPLE", cfg, cl.Credentials.CName())
	if err != nil {
		t.Fatal(err)
	}
	asRep, err := cl.ASExchange("CORP.EXAMPLE", asReq, 0)
	if err != nil {
		t.Fatal(err)
	}
	tgt, key := asRep.Ticket, asRep.DecryptedEncPart.Key
	spn := types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, "HTTP/konly.corp.example")
	tgs := func(tgt messages.Ticket, key types.EncryptionKey) []byte {
		req, err := messages.NewTGSReq(cl.Credentials.CName(), "CORP.EXAMPLE", cfg, tgt, key, spn, false)
		if err != nil {
			t.Fatal(err)
		}
		b, err := req.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return srv.kdc.handle(b)
	}
	for i := range 3 {
		var rep messages.TGSRep
		if err := rep.Unmarshal(tgs(tgt, key)); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if err := rep.DecryptEncPart(key); err != nil {
			t.Fatalf("request %d: the reply does not decrypt with the session key: %v", i, err)
		}
	}
	if n := len(srv.kdc.tgts); n != 1 {
		t.Errorf("%d TGTs kept, want 1", n)
	}
	tampered := tgt
	tampered.EncPart.Cipher = append([]byte{}, tgt.EncPart.Cipher...)
	tampered.EncPart.Cipher[20] ^= 1
	other := types.EncryptionKey{KeyType: key.KeyType, KeyValue: make([]byte, len(key.KeyValue))}
	for name, b := range map[string][]byte{
		"tampered TGT":             tgs(tampered, key),
		"authenticator, other key": tgs(tgt, other),
	} {
		var ke messages.KRBError
		if err := ke.Unmarshal(b); err != nil || ke.ErrorCode != errorcode.KRB_AP_ERR_BAD_INTEGRITY {
			t.Errorf("%s: %v (code %d), want KRB_AP_ERR_BAD_INTEGRITY", name, err, ke.ErrorCode)
		}
	}
}
