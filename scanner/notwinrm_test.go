package scanner

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

const proxyErrorPage = `<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head>` +
	`<body><h1>Proxy Error</h1><p>The proxy server could not handle the request.</p></body></html>`

// A proxy, load balancer or other web server that answers in WinRM's place
// is named as such, with a hint about proxies; a real WinRM reply that is
// not encrypted stays encryption-required.
func TestNonWinRMAnswerIsItsOwnClass(t *testing.T) {
	srv := startLab(t, "lab-mixed.yaml")
	ep, _ := srv.Host("AGENT01")
	target, err := url.Parse(ep.HTTPURL)
	if err != nil {
		t.Fatal(err)
	}
	html500 := func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, proxyErrorPage)
	}
	html200 := func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, `<!DOCTYPE html><html><head><title>IIS Windows Server</title></head><body><img src="iisstart.png"></body></html>`)
	}
	redirect302 := func(w http.ResponseWriter) {
		w.Header().Set("Location", "https://portal.corp.example/login?next=/wsman")
		w.WriteHeader(http.StatusFound)
	}
	plainSOAP := func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/soap+xml;charset=UTF-8")
		_, _ = io.WriteString(w, `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>`)
	}
	tests := []struct {
		name string
		// sealed answers requests that carry encrypted WS-Man messages
		// (after the NTLM handshake); nil passes them on to the host.
		sealed  func(http.ResponseWriter)
		always  bool // answer every request (no WinRM behind it at all)
		want    facts.ErrorClass
		message string
		hint    string
	}{
		{name: "proxy error page after the handshake", sealed: html500, want: facts.ErrNotWinRM, message: "text/html", hint: "NO_PROXY"},
		{name: "web server instead of WinRM", sealed: html500, always: true, want: facts.ErrNotWinRM, message: "Proxy Error", hint: "HTTP_PROXY"},
		{name: "web server answering 200 text/html", sealed: html200, always: true, want: facts.ErrNotWinRM, message: "IIS Windows Server", hint: "HTTP_PROXY"},
		{name: "web server answering 200 text/html after the handshake", sealed: html200, want: facts.ErrNotWinRM, message: "text/html", hint: "NO_PROXY"},
		{name: "redirect", sealed: redirect302, always: true, want: facts.ErrNotWinRM, message: "https://portal.corp.example/login", hint: "redirect"},
		{name: "redirect after the handshake", sealed: redirect302, want: facts.ErrNotWinRM, message: "https://portal.corp.example/login", hint: "redirect"},
		{name: "WinRM answering without encryption", sealed: plainSOAP, want: facts.ErrEncryptionNeeded, message: "without encryption"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: target.Scheme, Host: target.Host})
			rp.Transport = &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1, DisableCompression: true}
			front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.always || strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/encrypted") {
					_, _ = io.Copy(io.Discard, r.Body)
					tc.sealed(w)
					return
				}
				rp.ServeHTTP(w, r)
			}))
			defer front.Close()
			_, port, _ := net.SplitHostPort(front.Listener.Addr().String())
			p, _ := strconv.Atoi(port)
			f := newFleet(t, srv)
			f.inv.Hosts = append(f.inv.Hosts, &inventory.Host{Name: "BEHINDPROXY", Address: "127.0.0.1", Scan: true,
				WinRM: inventory.WinRM{Transport: inventory.TransportNTLM, Port: p, Timeout: 10 * time.Second, Credential: f.domain}})
			res := Run(context.Background(), f.inv, Options{Password: labPasswords, Retries: -1})
			e := res[0].Error
			if e == nil || e.Class != tc.want || !strings.Contains(e.Message, tc.message) || !strings.Contains(e.Hint, tc.hint) {
				t.Fatalf("want %s with %q in the message and %q in the hint, got %+v", tc.want, tc.message, tc.hint, e)
			}
		})
	}
}

// A CA file without certificates is a TLS configuration problem that names
// the file, not a missing credential.
func TestCAFileWithoutCertificateIsTLSConfig(t *testing.T) {
	ca := writeFile(t, "ca.cer", "\x30\x82\x01\x0a not PEM\n")
	inv := &inventory.Inventory{Hosts: []*inventory.Host{{Name: "TLSX", Address: "127.0.0.1", Scan: true,
		WinRM: inventory.WinRM{Transport: inventory.TransportNTLM, HTTPS: true, Port: 1, CAFile: ca, Timeout: 5 * time.Second,
			Credential: &inventory.Credential{Name: "c", Username: `CORP\x`, PasswordEnv: "X"}}}}}
	res := Run(context.Background(), inv, Options{Password: func(*inventory.Credential) (string, error) { return "pw", nil }})
	e := res[0].Error
	if e == nil || e.Class != facts.ErrTLSConfig || !strings.Contains(e.Message, ca) || !strings.Contains(e.Hint, "ca_file") {
		t.Fatalf("want tls-config naming %s with a ca_file hint, got %+v", ca, e)
	}
}

// The not-winrm hint says ntlmscan connects directly: proxy variables
// pointing nowhere do not stop a scan.
func TestScanIgnoresProxyVariables(t *testing.T) {
	srv := startLab(t, "lab-mixed.yaml")
	for _, v := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"} {
		t.Setenv(v, "http://127.0.0.1:1")
	}
	t.Setenv("NO_PROXY", "")
	f := newFleet(t, srv, "AGENT01")
	if res := Run(context.Background(), f.inv, Options{Password: labPasswords, Retries: -1}); !res[0].OK() {
		t.Fatalf("scan went through the proxy variables: %+v", res[0].Error)
	}
}
