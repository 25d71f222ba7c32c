package winrmtest

import (
	"encoding/base64"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	ntlmssp "github.com/Azure/go-ntlmssp"
	"github.com/masterzen/winrm"
)

// rawPost sends one POST to a host's /wsman with the given Authorization.
func rawPost(t *testing.T, c *http.Client, url, authz, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", soapContentType)
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func singleConnClient(t *testing.T) *http.Client {
	tr := &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// TestUnauthorizedHeaders checks the exact 401 header sets of Windows (as a
// published 2012 R2 packet capture shows them, jborean93/github-misc
// packer/issue-6205): one WWW-Authenticate line per scheme, Negotiate
// first, then Kerberos, then Basic; Connection: close except on the
// challenge; the challenge carries a single Negotiate <token>.
func TestUnauthorizedHeaders(t *testing.T) {
	srv := startTestLab(t)
	tests := []struct {
		host  string
		want  []string
		https bool
	}{
		{"SECURE1", []string{"Negotiate", "Kerberos"}, false},
		{"PLAIN1", []string{"Negotiate", "Kerberos", `Basic realm="WSMAN"`}, false},
		{"TLS1", []string{"Negotiate", `Basic realm="WSMAN"`}, true}, // workgroup: no Kerberos
		{"KERBONLY", []string{"Kerberos"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			ep, _ := srv.Host(tc.host)
			url := ep.HTTPURL
			c := singleConnClient(t)
			if tc.https {
				url = ep.HTTPSURL
				c = tlsClient(t, srv)
			}
			resp := rawPost(t, c, url, "", "")
			if resp.StatusCode != 401 {
				t.Fatalf("status %d, want 401", resp.StatusCode)
			}
			if got := resp.Header.Values("Www-Authenticate"); !slices.Equal(got, tc.want) {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tc.want)
			}
			if !resp.Close {
				t.Error("anonymous 401 without Connection: close")
			}
			if got := resp.Header.Get("Server"); got != serverHeader {
				t.Errorf("Server = %q", got)
			}
		})
	}

	t.Run("challenge and failed final leg", func(t *testing.T) {
		ep, _ := srv.Host("SECURE1")
		c := singleConnClient(t)
		neg, err := ntlmssp.NewNegotiateMessage("LAB", "")
		if err != nil {
			t.Fatal(err)
		}
		resp := rawPost(t, c, ep.HTTPURL, "Negotiate "+base64.StdEncoding.EncodeToString(neg), "")
		vals := resp.Header.Values("Www-Authenticate")
		if resp.StatusCode != 401 || len(vals) != 1 || !strings.HasPrefix(vals[0], "Negotiate ") {
			t.Fatalf("challenge: status %d, WWW-Authenticate %q", resp.StatusCode, vals)
		}
		if resp.Close {
			t.Error("challenge 401 must keep the connection open")
		}
		challenge, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(vals[0], "Negotiate "))
		if err != nil {
			t.Fatal(err)
		}
		auth, err := ntlmssp.ProcessChallenge(challenge, "scanner", "wrong password", true)
		if err != nil {
			t.Fatal(err)
		}
		resp = rawPost(t, c, ep.HTTPURL, "Negotiate "+base64.StdEncoding.EncodeToString(auth), "")
		if resp.StatusCode != 401 || !resp.Close {
			t.Errorf("failed final leg: status %d close %v, want 401 with Connection: close", resp.StatusCode, resp.Close)
		}
		if got := resp.Header.Values("Www-Authenticate"); !slices.Equal(got, []string{"Negotiate", "Kerberos"}) {
			t.Errorf("failed final leg WWW-Authenticate = %q", got)
		}
		calls := srv.CallsFor("SECURE1")
		last := calls[len(calls)-1]
		if last.Auth != AuthNTLMAuthenticate || last.Status != 401 || !strings.Contains(last.AuthError, "logon failure") {
			t.Errorf("last call %+v, want a refused ntlm-authenticate", last)
		}
		if strings.Contains(last.AuthError, "wrong password") {
			t.Error("AuthError leaks the password")
		}
	})
}

// TestBlankPostOnAuthenticatedConnection: after a successful handshake the
// connection is authenticated (a request without Authorization is served),
// but a blank POST on it is re-challenged, which masterzen's Encryption
// relies on to start every message with a fresh NTLM context (it sends a
// blank POST before every message: masterzen's encryption.go).
func TestBlankPostOnAuthenticatedConnection(t *testing.T) {
	srv := startTestLab(t)
	ep, _ := srv.Host("PLAIN1")
	c := singleConnClient(t)
	neg, _ := ntlmssp.NewNegotiateMessage("LAB", "")
	resp := rawPost(t, c, ep.HTTPURL, "Negotiate "+base64.StdEncoding.EncodeToString(neg), "")
	challenge, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(resp.Header.Get("Www-Authenticate"), "Negotiate "))
	if err != nil {
		t.Fatal(err)
	}
	auth, err := ntlmssp.ProcessChallenge(challenge, "scanner", domPass, true)
	if err != nil {
		t.Fatal(err)
	}
	resp = rawPost(t, c, ep.HTTPURL, "Negotiate "+base64.StdEncoding.EncodeToString(auth), "")
	if resp.StatusCode != 200 || resp.ContentLength != 0 || resp.Header.Get("Content-Type") != "" || resp.Close {
		t.Fatalf("final leg with empty body: %d, length %d, type %q, close %v", resp.StatusCode, resp.ContentLength, resp.Header.Get("Content-Type"), resp.Close)
	}
	// A SOAP message without Authorization on the same connection is served.
	create := winrm.NewOpenShellRequest(ep.HTTPURL, winrm.DefaultParameters).String()
	resp = rawPost(t, c, ep.HTTPURL, "", create)
	if resp.StatusCode != 200 {
		t.Fatalf("Create on the authenticated connection: %d", resp.StatusCode)
	}
	// A blank POST is challenged again.
	resp = rawPost(t, c, ep.HTTPURL, "", "")
	if resp.StatusCode != 401 || !slices.Equal(resp.Header.Values("Www-Authenticate"), []string{"Negotiate", "Kerberos", `Basic realm="WSMAN"`}) {
		t.Errorf("blank POST: %d %q", resp.StatusCode, resp.Header.Values("Www-Authenticate"))
	}
	calls := srv.CallsFor("PLAIN1")
	conn := calls[0].ConnID
	for _, call := range calls {
		if call.ConnID != conn {
			t.Errorf("call on connection %d, want all on %d", call.ConnID, conn)
		}
	}
}

// TestAuthRefused runs real masterzen clients into every way Windows says no.
func TestAuthRefused(t *testing.T) {
	srv := startTestLab(t)
	tests := []struct {
		name       string
		host       string
		tr         transport
		https      bool
		user, pass string
		wantErr    string
		authError  string // expected in the refused call's AuthError ("" = not an auth refusal)
	}{
		{"ntlm wrong password", "PLAIN1", trNTLM, false, `LAB\scanner`, "nope", "401 - invalid content type", "logon failure"},
		{"ntlm unknown user", "PLAIN1", trNTLM, false, `LAB\nobody`, "Dom-Passw0rd!", "401 - invalid content type", "logon failure"},
		{"encryption wrong password", "SECURE1", trEncryption, false, `LAB\scanner`, "nope", "401 - invalid content type", "logon failure"},
		{"basic wrong password", "TLS1", trBasic, true, "localadmin", "nope", "401 - invalid content type", "logon failure"},
		{"basic refuses domain accounts", "PLAIN1", trBasic, false, `LAB\scanner`, "Dom-Passw0rd!", "401 - invalid content type", "local accounts only"},
		{"basic disabled", "SECURE1", trBasic, false, `SECURE1\localadmin`, "Local-Passw0rd!", "401 - invalid content type", "disabled"},
		{"plaintext refused 2016+ style (500)", "SECURE1", trNTLM, false, `LAB\scanner`, "Dom-Passw0rd!", "500 - invalid content type", ""},
		{"plaintext refused 2012 R2 style (401)", "OLD2012", trNTLM, false, `LAB\scanner`, "Dom-Passw0rd!", "401 - invalid content type", ""},
		{"policy denies domain accounts", "DENYDOM", trNTLM, false, `LAB\scanner`, "Dom-Passw0rd!", "401 - invalid content type", "RestrictReceivingNTLMTraffic=1"},
		// Azure/go-ntlmssp (ClientNTLM) sends the CHALLENGE's target (the
		// domain) as DomainName for DOMAIN\user, so a local account of a domain
		// member is named user@HOST.
		{"policy denies all accounts", "DENYALL", trNTLM, false, `localadmin@DENYALL`, "Local-Passw0rd!", "401 - invalid content type", "RestrictReceivingNTLMTraffic=2"},
		{"ClientNTLM local account as HOST\\user is sent as a domain account", "PLAIN1", trNTLM, false, `PLAIN1\localadmin`, "Local-Passw0rd!", "401 - invalid content type", "logon failure"},
		{"negotiate switched off", "KERBONLY", trNTLM, false, `LAB\scanner`, "Dom-Passw0rd!", "401 - invalid content type", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(srv.CallsFor(tc.host))
			c := newClient(t, srv, tc.host, tc.tr, tc.https, tc.user, tc.pass, "")
			_, _, _, err := run(t, c, "hostname")
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			calls := srv.CallsFor(tc.host)[before:]
			for _, c := range calls {
				if c.Status == 200 && c.Action != "" {
					t.Errorf("a SOAP message was answered: %+v", c)
				}
			}
			if tc.authError != "" {
				found := false
				for _, c := range calls {
					found = found || strings.Contains(c.AuthError, tc.authError)
				}
				if !found {
					t.Errorf("no call refused with %q: %+v", tc.authError, calls)
				}
			}
		})
	}

	t.Run("policy allows local accounts when only domain accounts are denied", func(t *testing.T) {
		for _, cl := range []struct {
			tr   transport
			user string
		}{{trNTLM, `localadmin@DENYDOM`}, {trEncryption, `DENYDOM\localadmin`}} {
			c := newClient(t, srv, "DENYDOM", cl.tr, false, cl.user, "Local-Passw0rd!", "")
			out, _, _, err := run(t, c, "whoami")
			if err != nil || out != "denydom\\localadmin\r\n" {
				t.Errorf("%s %s: whoami = %q, %v", cl.tr, cl.user, out, err)
			}
		}
	})
}

// TestHandshakesPerMessage measures what the scanner engineer needs:
// Encryption("ntlm") re-handshakes for every SOAP message, ClientNTLM only
// when it opens a connection.
func TestHandshakesPerMessage(t *testing.T) {
	srv := startTestLab(t)
	tests := []struct {
		host     string
		tr       transport
		user     string
		pass     string
		perMsgEq bool // handshakes == SOAP messages
	}{
		{"SECURE1", trEncryption, `LAB\scanner`, "Dom-Passw0rd!", true},
		{"PLAIN1", trNTLM, `LAB\scanner`, "Dom-Passw0rd!", false},
	}
	for _, tc := range tests {
		t.Run(string(tc.tr), func(t *testing.T) {
			srv.ResetCalls()
			c := newClient(t, srv, tc.host, tc.tr, false, tc.user, tc.pass, "")
			for i := 0; i < 3; i++ {
				if _, _, _, err := run(t, c, "hostname"); err != nil {
					t.Fatal(err)
				}
			}
			handshakes := countCalls(srv, tc.host, func(c Call) bool { return c.Auth == AuthNTLMNegotiate })
			messages := countCalls(srv, tc.host, func(c Call) bool { return c.Action != "" && c.Status < 400 })
			t.Logf("%s: %d SOAP messages, %d NTLM handshakes", tc.tr, messages, handshakes)
			if messages != 15 {
				t.Errorf("%d SOAP messages, want 15 (5 per command)", messages)
			}
			if tc.perMsgEq && handshakes != messages {
				t.Errorf("handshakes %d != messages %d", handshakes, messages)
			}
			if !tc.perMsgEq && handshakes >= messages {
				t.Errorf("ClientNTLM should reuse authenticated connections: %d handshakes for %d messages", handshakes, messages)
			}
		})
	}
}
