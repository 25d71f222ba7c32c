package winrmtest

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/jcmturner/gokrb5/v8/client"
	krbconfig "github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"
)

const krbLab = `
domains:
  - name: corp.example
    netbios: CORP
    kdc: true
    users: [{name: svc-scan, password: Test-Only-Scan-1!}]
hosts:
  - name: DC1
    address: 127.0.10.1
    domain: corp.example
    domainController: true
    os: {caption: Windows Server 2022 Standard, build: 20348}
  - name: KONLY
    address: 127.0.10.2
    domain: corp.example
    os: {caption: Windows Server 2022 Standard, build: 20348}
    winrm: {negotiate: false}
  - name: NOKEYS
    address: 127.0.10.3
    domain: corp.example
    os: {caption: Windows Server 2022 Standard, build: 20348}
    winrm: {kerberos: false}
  - name: NORIGHTS
    address: 127.0.10.4
    domain: corp.example
    os: {caption: Windows Server 2022 Standard, build: 20348}
    winrm: {negotiate: false}
    administrators: [CORP\someone-else]
`

// apReqHeader builds "Negotiate <AP-REQ>" with gokrb5 (not the scanner's
// client) for spn, from the lab KDC.
func apReqHeader(t *testing.T, srv *Server, scheme, spn string) string {
	t.Helper()
	cfg, err := krbconfig.NewFromString(srv.Krb5Conf())
	if err != nil {
		t.Fatal(err)
	}
	cl := client.NewWithPassword("svc-scan", "CORP.EXAMPLE", "Test-Only-Scan-1!", cfg, client.DisablePAFXFAST(true))
	if err := cl.Login(); err != nil {
		t.Fatal(err)
	}
	defer cl.Destroy() // stops gokrb5's TGT renewal goroutine
	tkt, key, err := cl.GetServiceTicket(spn)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := spnego.NewKRB5TokenAPREQ(cl, tkt, key, []int{gssapi.ContextFlagMutual, gssapi.ContextFlagConf, gssapi.ContextFlagInteg}, []int{flags.APOptionMutualRequired})
	if err != nil {
		t.Fatal(err)
	}
	b, err := tok.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return scheme + " " + base64.StdEncoding.EncodeToString(b)
}

func krbPost(t *testing.T, url, auth string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, nil)
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Type", soapContentType)
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestKerberosAcceptor: the simulator accepts a ticket once (AP-REP for
// mutual authentication), refuses its replay and a host without Kerberos
// refuses any ticket.
func TestKerberosAcceptor(t *testing.T) {
	lab, err := ParseLab([]byte(krbLab), "krb-lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(lab, WithEphemeralPorts())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	konly, _ := srv.Host("KONLY")
	h := apReqHeader(t, srv, "Kerberos", "HTTP/konly.corp.example")

	resp := krbPost(t, konly.HTTPURL, h)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Kerberos YI") {
		t.Fatalf("first use: %d %q, want 200 with an AP-REP", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	var rep spnego.KRB5Token
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(resp.Header.Get("WWW-Authenticate"), "Kerberos "))
	if err := rep.Unmarshal(raw); err != nil || !rep.IsAPRep() {
		t.Fatalf("not an AP-REP token: %v", err)
	}

	resp = krbPost(t, konly.HTTPURL, h)
	if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Kerberos YI") {
		t.Fatalf("replay: %d %q, want 401 with a KRB-ERROR", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	calls := srv.CallsFor("KONLY")
	if last := calls[len(calls)-1]; last.Auth != AuthKerberos || !strings.Contains(last.AuthError, "replayed") {
		t.Errorf("replay recorded as %+v", last)
	}

	nokeys, _ := srv.Host("NOKEYS")
	resp = krbPost(t, nokeys.HTTPURL, apReqHeader(t, srv, "Negotiate", "HTTP/konly.corp.example"))
	if resp.StatusCode != 401 {
		t.Fatalf("host without Kerberos keys: %d, want 401", resp.StatusCode)
	}
	if got := resp.Header.Values("WWW-Authenticate"); len(got) != 1 || got[0] != "Negotiate" {
		t.Errorf("host without Kerberos advertises %q", got)
	}
}

// TestKerberosSPNEGO: a SPNEGO NegTokenInit carrying the AP-REQ (what
// Windows and pyspnego send) is accepted and answered with a NegTokenResp.
func TestKerberosSPNEGO(t *testing.T) {
	lab, err := ParseLab([]byte(krbLab), "krb-lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(lab, WithEphemeralPorts())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	cfg, _ := krbconfig.NewFromString(srv.Krb5Conf())
	cl := client.NewWithPassword("svc-scan", "CORP.EXAMPLE", "Test-Only-Scan-1!", cfg, client.DisablePAFXFAST(true))
	defer cl.Destroy()
	if err := cl.Login(); err != nil {
		t.Fatal(err)
	}
	tkt, key, err := cl.GetServiceTicket("HTTP/dc1.corp.example")
	if err != nil {
		t.Fatal(err)
	}
	init, err := spnego.NewNegTokenInitKRB5(cl, tkt, key)
	if err != nil {
		t.Fatal(err)
	}
	b, err := (&spnego.SPNEGOToken{Init: true, NegTokenInit: init}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	dc, _ := srv.Host("DC1")
	resp := krbPost(t, dc.HTTPURL, "Negotiate "+base64.StdEncoding.EncodeToString(b))
	if resp.StatusCode != 200 {
		t.Fatalf("SPNEGO logon: %d", resp.StatusCode)
	}
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(resp.Header.Get("WWW-Authenticate"), "Negotiate "))
	var st spnego.SPNEGOToken
	if err := st.Unmarshal(raw); err != nil || !st.Resp || st.NegTokenResp.State() != spnego.NegStateAcceptCompleted {
		t.Fatalf("answer is not an accept-completed NegTokenResp: %v %+v", err, st)
	}
}

func FuzzKerberosUnseal(f *testing.F) {
	k := &krbContext{protocol: spnegoKrbProtocol, key: types.EncryptionKey{KeyType: 18, KeyValue: make([]byte, 32)}}
	f.Add([]byte(boundaryLine + "\tContent-Type: " + spnegoKrbProtocol + "\r\n" + origContentPfx + "4\r\n" + boundaryLine + octetLine + "\x3c\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = k.unseal(b)
		_, _ = parseAPReq(b)
		_, _, _ = unwrapSPNEGO(b)
	})
}

// TestKerberosLogonWithoutWinRMRights: WinRM authorizes a Kerberos logon as
// it does an NTLM one: an account in neither Administrators nor Remote
// Management Users gets the same 401.
func TestKerberosLogonWithoutWinRMRights(t *testing.T) {
	lab, err := ParseLab([]byte(krbLab), "krb-lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(lab, WithEphemeralPorts())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	h, _ := srv.Host("NORIGHTS")
	resp := krbPost(t, h.HTTPURL, apReqHeader(t, srv, "Kerberos", "HTTP/norights.corp.example"))
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("Kerberos logon without WinRM rights: %d, want 401", resp.StatusCode)
	}
	calls := srv.CallsFor("NORIGHTS")
	if last := calls[len(calls)-1]; !strings.Contains(last.AuthError, "neither Administrators nor Remote Management Users") {
		t.Errorf("refusal recorded as %q", last.AuthError)
	}
}
