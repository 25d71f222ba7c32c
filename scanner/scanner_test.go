package scanner

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

func resultFor(t *testing.T, res []facts.HostResult, name string) facts.HostResult {
	t.Helper()
	for _, r := range res {
		if r.Host == name {
			return r
		}
	}
	t.Fatalf("no result for %s", name)
	return facts.HostResult{}
}

// labValue renders a lab registry value the way the facts carry it.
func labValue(v any) (dword *uint64, strs []string, str *string) {
	switch x := v.(type) {
	case int:
		u := uint64(x)
		return &u, nil, nil
	case uint64:
		return &x, nil, nil
	case string:
		return nil, nil, &x
	case []any:
		for _, e := range x {
			strs = append(strs, fmt.Sprint(e))
		}
		return nil, strs, nil
	}
	return nil, nil, nil
}

// checkAgainstLab compares a host's facts with the lab model it was
// computed from: identity, every catalogue value (absent stays absent),
// and the requested services.
func checkAgainstLab(t *testing.T, lab *winrmtest.Lab, r facts.HostResult) {
	t.Helper()
	if !r.OK() {
		t.Fatalf("%s: no facts: %+v", r.Host, r.Error)
	}
	h := lab.HostByName(r.Host)
	id := r.Facts.Identity
	wantDomain, member := h.Domain, h.Domain != ""
	if !member {
		wantDomain = h.Workgroup
	}
	if !strings.EqualFold(id.NetBIOSName, h.Name) || !strings.EqualFold(id.Domain, wantDomain) || id.PartOfDomain != member ||
		id.IsDomainController() != h.DomainController || id.OSCaption != h.OS.Caption || id.OSBuild != h.OS.Build {
		t.Errorf("%s: identity %+v does not match the lab", r.Host, id)
	}
	for _, s := range facts.Settings {
		got := s.Lookup(r.Facts)
		if got == nil {
			t.Errorf("%s: %s not collected", r.Host, s.ID)
			continue
		}
		var want *winrmtest.RegistryEntry
		for i := range h.Registry {
			if strings.EqualFold(h.Registry[i].Path, s.Key+`\`+s.Name) {
				want = &h.Registry[i]
			}
		}
		switch {
		case want == nil:
			if got.Present || got.Error != "" {
				t.Errorf("%s: %s should be absent, got %+v", r.Host, s.ID, got)
			}
		case want.Error != "":
			if got.Present || got.Error != want.Error {
				t.Errorf("%s: %s should be unreadable (%q), got %+v", r.Host, s.ID, want.Error, got)
			}
		default:
			dw, strs, str := labValue(want.Value)
			ok := got.Present && got.Type == want.Type
			switch {
			case dw != nil:
				ok = ok && got.DWORD != nil && *got.DWORD == *dw
			case strs != nil:
				ok = ok && fmt.Sprint(got.Strings) == fmt.Sprint(strs)
			case str != nil:
				ok = ok && got.String != nil && *got.String == *str
			}
			if !ok {
				t.Errorf("%s: %s = %+v, lab has %v (%s)", r.Host, s.ID, got, want.Value, want.Type)
			}
		}
	}
	for _, svc := range r.Facts.Services {
		var want *winrmtest.Service
		for i := range h.Services {
			if strings.EqualFold(h.Services[i].Name, svc.Name) {
				want = &h.Services[i]
			}
		}
		if (want != nil) != svc.Present || want != nil && (svc.State != want.State || svc.LogonAs != want.LogonAs) {
			t.Errorf("%s: service %+v, lab %+v", r.Host, svc, want)
		}
	}
}

// TestMixedFleet: domain members, a DC, a Core and a workgroup host; the
// collected facts equal the lab's registry, services and identities.
func TestMixedFleet(t *testing.T) {
	srv := startLab(t, "lab-mixed.yaml")
	f := newFleet(t, srv, "DC01", "CORE01", "AGENT01", "AGENT03", "WG01")
	f.useLocal("AGENT03") // it refuses NTLM for domain accounts
	f.useLocal("WG01")
	f.host("DC01").Role = inventory.RoleDomainController
	f.makeCore("CORE01", map[string]string{"AGENT01": "AGENT01", "AGENT03": "127.0.3.33"}, "fs01.corp.example")
	nas := &inventory.Host{Name: "NAS01", Role: inventory.RoleRepositoryHost, Address: "127.0.3.99", Scan: false,
		Described: &inventory.Described{Platform: "nas"}}
	f.inv.Hosts = append(f.inv.Hosts, nas)

	var progress []int
	res := Run(context.Background(), f.inv, Options{Password: labPasswords, Concurrency: 3,
		Progress: func(done, total int, r *facts.HostResult) {
			if total != 5 || r == nil {
				t.Errorf("progress total %d, result %v", total, r)
			}
			progress = append(progress, done)
		}})
	if len(res) != len(f.inv.Hosts) {
		t.Fatalf("%d results for %d hosts", len(res), len(f.inv.Hosts))
	}
	for i, h := range f.inv.Hosts {
		if res[i].Host != h.Name {
			t.Fatalf("result %d is %s, want inventory order (%s)", i, res[i].Host, h.Name)
		}
	}
	if fmt.Sprint(progress) != "[1 2 3 4 5]" {
		t.Errorf("progress calls %v", progress)
	}
	for _, name := range []string{"DC01", "CORE01", "AGENT01", "AGENT03", "WG01"} {
		r := resultFor(t, res, name)
		checkAgainstLab(t, srv.Lab(), r)
		if r.Attempts != 1 || r.RoundTrips == 0 || r.StartedAt.IsZero() || r.Duration <= 0 {
			t.Errorf("%s: attempts %d, round trips %d, started %v, took %v", name, r.Attempts, r.RoundTrips, r.StartedAt, r.Duration)
		}
	}
	core := resultFor(t, res, "CORE01").Facts
	if core.SMBClient == nil || !core.SMBClient.Available || core.SMBClient.BlockNTLM == nil || !*core.SMBClient.BlockNTLM {
		t.Errorf("CORE01 SMB client config %+v", core.SMBClient)
	}
	if s := core.Service("RapidRecoveryCore"); s == nil || !s.Present || s.LogonAs != `CORP\svc-rr` {
		t.Errorf("Core service %+v", s)
	}
	probes := []struct {
		target        string
		port          int
		open, dnsFail bool
	}{
		{"AGENT01", 445, true, false}, {"AGENT01", 8006, true, false},
		{"127.0.3.33", 8006, true, false},
		{"fs01.corp.example", 445, false, true}, // no such host in this lab
	}
	for _, p := range probes {
		pr := core.Probe(p.target)
		if pr == nil {
			t.Errorf("no probe for %s", p.target)
			continue
		}
		port := pr.Port(p.port)
		if port == nil || port.Open != p.open || (pr.DNSError != "") != p.dnsFail {
			t.Errorf("probe %s:%d = %+v (dns %q)", p.target, p.port, port, pr.DNSError)
		}
	}
	if agent := resultFor(t, res, "AGENT01").Facts; len(agent.Probes) != 0 || len(agent.Services) != 0 {
		t.Errorf("an agent was asked Core questions: %+v %+v", agent.Probes, agent.Services)
	}
	nasRes := resultFor(t, res, "NAS01")
	if nasRes.Error == nil || nasRes.Error.Class != facts.ErrNotScanned || nasRes.Attempts != 0 {
		t.Errorf("described host: %+v", nasRes)
	}
	// NTLM with sealing, one handshake per TCP connection.
	handshakes := map[uint64]int{}
	for _, c := range srv.Calls() {
		if c.Action != "" && !c.Sealed {
			t.Errorf("unsealed %s to %s", c.Action, c.Host)
		}
		if c.Auth == winrmtest.AuthNTLMNegotiate {
			handshakes[c.ConnID]++
		}
		if c.Host == "NAS01" {
			t.Errorf("the described host was contacted: %+v", c)
		}
	}
	for conn, n := range handshakes {
		if n != 1 {
			t.Errorf("connection %d: %d NTLM handshakes", conn, n)
		}
	}
}

// failDNS resolves nothing: names fail like an NXDOMAIN, addresses dial.
func failDNS(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if net.ParseIP(host) == nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// TestErrorClasses: every failure class, each produced by a simulator fault
// knob (or an inventory/environment condition), all in one scan next to
// healthy hosts that must not be disturbed.
func TestErrorClasses(t *testing.T) {
	srv := startLab(t, "lab-mixed.yaml")
	f := newFleet(t, srv, "AGENT01", "WG01", "DC01", "QUOTA01", "QUOTA02", "HANG01", "DROP01", "E500", "XML01", "NOISE01",
		"SCRIPT01", "SCRIPT02", "SCHEMA01", "JSON01", "SLOW01", "KERB01", "AGENT03", "BASIC01")
	f.useLocal("WG01")
	f.host("HANG01").WinRM.Timeout = 2 * time.Second
	// AGENT03 refuses NTLM for domain accounts; scanned with the domain
	// credential that works everywhere else, the 401 is the policy.
	// DC01 gets a wrong password of a credential that works nowhere.
	bad := &inventory.Credential{Name: "bad", Username: `CORP\svc-rr`, PasswordEnv: "NTLMSCAN_TEST_BAD_PW"}
	f.host("DC01").WinRM.Credential = bad
	// BASIC01 only takes plaintext Basic over HTTP: ntlmscan refuses.
	basicCred := &inventory.Credential{Name: "basic", Username: `scan-local`, PasswordEnv: "NTLMSCAN_TEST_LOCAL_PW"}
	f.host("BASIC01").WinRM.Transport = inventory.TransportBasic
	f.host("BASIC01").WinRM.Credential = basicCred
	tlsEP, _ := srv.Host("TLS01")
	extra := []*inventory.Host{
		{Name: "TLS01", Address: tlsEP.Address, Scan: true, WinRM: inventory.WinRM{HTTPS: true, Port: tlsEP.HTTPSPort, Timeout: 10 * time.Second, Credential: f.domain}},
		{Name: "NODNS", Address: "nohost.corp.example", Scan: true, WinRM: inventory.WinRM{Port: 5985, Timeout: 10 * time.Second, Credential: f.domain}},
		{Name: "CLOSED", Address: "127.0.3.98", Scan: true, WinRM: inventory.WinRM{Port: 1, Timeout: 10 * time.Second, Credential: f.domain}},
		{Name: "NOPW", Address: "127.0.3.97", Scan: true, WinRM: inventory.WinRM{Port: 1, Credential: &inventory.Credential{Name: "nopw", Username: "x", PasswordEnv: "NTLMSCAN_TEST_UNSET_VARIABLE"}}},
		{Name: "KRB5", Address: "127.0.3.96", Scan: true, WinRM: inventory.WinRM{Port: 1, Credential: &inventory.Credential{Name: "krb", Username: `CORP\x`, KerberosCache: "/tmp/krb5cc_test"}}},
	}
	f.inv.Hosts = append(f.inv.Hosts, extra...)

	pw := func(c *inventory.Credential) (string, error) {
		if c.PasswordEnv == "NTLMSCAN_TEST_BAD_PW" {
			return "Wrong-Password-1!", nil
		}
		return labPasswords(c)
	}
	// Each host's own class is the point: AGENT03's policy 401 must not stop
	// the domain credential for the rest when it happens to come first.
	res := Run(context.Background(), f.inv, Options{Password: pw, Dial: failDNS, OperationTimeout: 500 * time.Millisecond, MaxOutputBytes: 1 << 20,
		ContinueOnBadCredential: true})

	want := map[string]facts.ErrorClass{
		"QUOTA01":  facts.ErrQuota,
		"QUOTA02":  facts.ErrQuota,
		"HANG01":   facts.ErrTimeout,
		"DROP01":   facts.ErrUnreachableTCP,
		"E500":     facts.ErrWinRMService,
		"XML01":    facts.ErrMalformedOutput,
		"NOISE01":  facts.ErrMalformedOutput,
		"SCRIPT01": facts.ErrRemoteScript,
		"SCRIPT02": facts.ErrRemoteScript,
		"SCHEMA01": facts.ErrSchemaMismatch,
		"JSON01":   facts.ErrMalformedOutput,
		"KERB01":   facts.ErrAuthMethod,
		"AGENT03":  facts.ErrAuthNTLMPolicy,
		"DC01":     facts.ErrAuthCredentials,
		"BASIC01":  facts.ErrEncryptionNeeded,
		"TLS01":    facts.ErrTLSTrust,
		"NODNS":    facts.ErrUnreachableDNS,
		"CLOSED":   facts.ErrUnreachableTCP,
		"NOPW":     facts.ErrCredentials,
		"KRB5":     facts.ErrCredentials,
	}
	contains := map[string]string{
		"SCRIPT01": "Access is denied.",
		"SCRIPT02": "Get-Foo is not recognized",
		"KERB01":   "Kerberos",
		"AGENT03":  "incoming NTLM policy",
		"DC01":     `CORP\svc-rr`,
		"NOISE01":  "more than",
		"SCHEMA01": "speaks schema " + strconv.Itoa(facts.SchemaVersion),
		"KRB5":     "which NTLM and Basic logons cannot use",
		"NOPW":     "NTLMSCAN_TEST_UNSET_VARIABLE",
		"NODNS":    "nohost.corp.example",
		"CLOSED":   "refused",
		"TLS01":    "not trusted",
		"E500":     "HTTP 500",
		"HANG01":   "per-host timeout",
	}
	for _, r := range res {
		t.Run(r.Host, func(t *testing.T) {
			class, bad := want[r.Host]
			if !bad {
				if !r.OK() {
					t.Fatalf("healthy host disturbed: %+v", r.Error)
				}
				return
			}
			if r.Error == nil {
				t.Fatalf("want %s, got facts", class)
			}
			if r.Error.Class != class {
				t.Fatalf("class %s (%s), want %s", r.Error.Class, r.Error.Message, class)
			}
			if r.Error.Message == "" || r.Error.Hint == "" {
				t.Errorf("message %q hint %q: both are needed", r.Error.Message, r.Error.Hint)
			}
			if s := contains[r.Host]; s != "" && !strings.Contains(r.Error.Message, s) {
				t.Errorf("message %q does not mention %q", r.Error.Message, s)
			}
			for _, raw := range []string{"http response error", "invalid content type", "unknown error"} {
				if strings.Contains(r.Error.Message, raw) {
					t.Errorf("raw library text in %q", r.Error.Message)
				}
			}
		})
	}
	if r := resultFor(t, res, "DROP01"); r.Attempts != 1+DefaultRetries {
		t.Errorf("DROP01: %d attempts, a lost connection is retried %d times", r.Attempts, DefaultRetries)
	}
	for _, name := range []string{"DC01", "AGENT03", "QUOTA01", "SCRIPT01", "KERB01"} {
		if r := resultFor(t, res, name); r.Attempts != 1 {
			t.Errorf("%s: %d attempts; refusals and bad output are never retried", name, r.Attempts)
		}
	}
	if r := resultFor(t, res, "SLOW01"); !r.OK() {
		t.Errorf("SLOW01 (output after several Receive timeouts) failed: %+v", r.Error)
	}
	for _, c := range srv.CallsFor("BASIC01") {
		t.Errorf("BASIC01 was contacted: %+v", c)
	}
}

// TestAuthRefusalWithoutEvidence: when no host accepted the domain
// credential, a 401 cannot be pinned on policy.
func TestAuthRefusalWithoutEvidence(t *testing.T) {
	srv := startLab(t, "lab-mixed.yaml")
	f := newFleet(t, srv, "AGENT03")
	res := Run(context.Background(), f.inv, Options{Password: labPasswords})
	e := res[0].Error
	if e == nil || e.Class != facts.ErrAuthCredentials || !strings.Contains(e.Hint, "password") || !strings.Contains(e.Hint, "4002") {
		t.Fatalf("want credentials-or-policy with a hint naming both, got %+v", e)
	}
}
