package winrmtest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/masterzen/winrm"
)

// testLab is a small lab used by most tests: a domain member with
// Encryption-only WinRM, a plaintext-friendly host, a workgroup host with
// Basic over HTTPS, and hosts with NTLM policies.
const testLab = `
domains:
  - name: lab.example
    netbios: LAB
    users:
      - {name: scanner, password: Dom-Passw0rd!}
hosts:
  - name: SECURE1
    address: 127.0.0.1
    domain: lab.example
    os: {caption: Microsoft Windows Server 2022 Standard, build: 20348}
    users:
      - {name: localadmin, password: Local-Passw0rd!}
  - name: PLAIN1
    address: 127.0.0.2
    domain: lab.example
    os: {caption: Microsoft Windows Server 2019 Standard, build: 17763}
    winrm: {allowUnencrypted: true, basic: true}
    users:
      - {name: localadmin, password: Local-Passw0rd!}
  - name: TLS1
    address: 127.0.0.3
    workgroup: DMZ
    os: {caption: Microsoft Windows Server 2016 Standard, build: 14393}
    winrm: {https: true, basic: true}
    users:
      - {name: localadmin, password: Local-Passw0rd!}
  - name: OLD2012
    address: 127.0.0.4
    domain: lab.example
    os: {caption: Microsoft Windows Server 2012 R2 Standard, build: 9600}
  - name: DENYDOM
    address: 127.0.0.5
    domain: lab.example
    os: {caption: Microsoft Windows Server 2022 Standard, build: 20348}
    winrm: {allowUnencrypted: true}
    users:
      - {name: localadmin, password: Local-Passw0rd!}
    registry:
      - {path: 'HKLM\SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0\RestrictReceivingNTLMTraffic', type: REG_DWORD, value: 1}
  - name: DENYALL
    address: 127.0.0.6
    domain: lab.example
    os: {caption: Microsoft Windows Server 2022 Standard, build: 20348}
    winrm: {allowUnencrypted: true}
    users:
      - {name: localadmin, password: Local-Passw0rd!}
    registry:
      - {path: 'HKLM\SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0\RestrictReceivingNTLMTraffic', type: REG_DWORD, value: 2}
  - name: KERBONLY
    address: 127.0.0.7
    domain: lab.example
    os: {caption: Microsoft Windows Server 2022 Standard, build: 20348}
    winrm: {negotiate: false, allowUnencrypted: true}
`

// addrBlock hands out the second octet of a /16 per test (relocate takes
// one and gives it back at cleanup), so every host of a lab gets its own
// address in a block that belongs to the test, and tests (and packages)
// running in parallel never share a listener.
var addrBlock = func() chan int {
	ch := make(chan int, 200)
	for i := 0; i < 200; i++ {
		ch <- 40 + i
	}
	return ch
}()

// newLab parses YAML and moves every host to 127.<block>.0.<n>.
func newLab(t testing.TB, yamlText string) *Lab {
	t.Helper()
	lab, err := ParseLab([]byte(yamlText), "test.yaml")
	if err != nil {
		t.Fatalf("ParseLab: %v", err)
	}
	return relocate(t, lab)
}

func relocate(t testing.TB, lab *Lab) *Lab {
	t.Helper()
	block := <-addrBlock
	t.Cleanup(func() { addrBlock <- block })
	for i, h := range lab.Hosts {
		h.Address = "127." + strconv.Itoa(block) + ".0." + strconv.Itoa(i+1)
	}
	return lab
}

func startLab(t testing.TB, lab *Lab, opts ...Option) *Server {
	t.Helper()
	opts = append([]Option{WithEphemeralPorts(), WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	srv, err := NewServer(lab, opts...)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func startTestLab(t testing.TB) *Server {
	t.Helper()
	return startLab(t, newLab(t, testLab))
}

type transport string

const (
	trBasic      transport = "basic"
	trNTLM       transport = "ntlm"       // masterzen ClientNTLM (plaintext body)
	trEncryption transport = "encryption" // masterzen Encryption("ntlm")
)

func endpointFor(t testing.TB, srv *Server, host string, https bool) *winrm.Endpoint {
	t.Helper()
	ep, ok := srv.Host(host)
	if !ok {
		t.Fatalf("no host %s", host)
	}
	raw := ep.HTTPURL
	if https {
		raw = ep.HTTPSURL
	}
	u, err := url.Parse(raw)
	if err != nil || raw == "" {
		t.Fatalf("host %s has no %v endpoint (%q)", host, https, raw)
	}
	port, _ := strconv.Atoi(u.Port())
	var ca []byte
	if https {
		ca = srv.CACertPEM()
	}
	return winrm.NewEndpoint(u.Hostname(), port, https, false, ca, nil, nil, 30*time.Second)
}

// newClient builds a masterzen client exactly as the scanner would.
func newClient(t testing.TB, srv *Server, host string, tr transport, https bool, user, password, opTimeout string) *winrm.Client {
	t.Helper()
	if opTimeout == "" {
		opTimeout = "PT60S"
	}
	params := winrm.NewParameters(opTimeout, "en-US", 153600)
	switch tr {
	case trNTLM:
		params.TransportDecorator = func() winrm.Transporter { return &winrm.ClientNTLM{} }
	case trEncryption:
		params.TransportDecorator = func() winrm.Transporter {
			e, err := winrm.NewEncryption("ntlm")
			if err != nil {
				t.Fatalf("NewEncryption: %v", err)
			}
			return e
		}
	}
	c, err := winrm.NewClientWithParameters(endpointFor(t, srv, host, https), user, password, params)
	if err != nil {
		t.Fatalf("NewClientWithParameters: %v", err)
	}
	return c
}

func run(t testing.TB, c *winrm.Client, command string) (stdout, stderr string, exit int, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return c.RunCmdWithContext(ctx, command)
}

// countCalls counts a host's calls matching pred.
func countCalls(srv *Server, host string, pred func(Call) bool) int {
	n := 0
	for _, c := range srv.CallsFor(host) {
		if pred(c) {
			n++
		}
	}
	return n
}

// tlsClient trusts only the server's CA: certificates are always verified.
func tlsClient(t testing.TB, srv *Server) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(srv.CACertPEM()) {
		t.Fatal("CACertPEM is not a PEM certificate")
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, MaxConnsPerHost: 1}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}
