package winrmtest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// The collection exchange uses the contract's own texts: the simulator runs
// nothing else (collector.go).
var (
	testBootstrap = facts.Bootstrap
	testCollector = facts.CollectorScript
)

// reviewedCollectorSHA256 is the collect.ps1 that collector.go's emulation
// was last reviewed against. When collect.ps1 changes, review runCollector
// step by step against it, then update this hash.
const reviewedCollectorSHA256 = "6c3863ab4a44ad98071bd3c3794fa4a389dadadaf110c2145b6f51cb2a114d8d"

func collectionCommand(bootstrap string) string {
	u := utf16.Encode([]rune(bootstrap))
	b := make([]byte, 2*len(u))
	for i, v := range u {
		b[2*i], b[2*i+1] = byte(v), byte(v>>8)
	}
	return "powershell.exe -NoProfile -NonInteractive -EncodedCommand " + base64.StdEncoding.EncodeToString(b)
}

func collectionStdin(t testing.TB, script string, req *facts.Request) string {
	t.Helper()
	j, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return script + facts.StdinSeparator + base64.StdEncoding.EncodeToString(j) + "\r\n"
}

// extractFacts returns the JSON between the markers.
func extractFacts(stdout string) (string, error) {
	_, after, ok := strings.Cut(stdout, facts.BeginMarker+"\r\n")
	if !ok {
		return "", errors.New("no begin marker")
	}
	body, _, ok := strings.Cut(after, "\r\n"+facts.EndMarker+"\r\n")
	if !ok {
		return "", errors.New("no end marker")
	}
	return body, nil
}

// demoLab loads the demo fleet exactly as shipped (AllowUnencrypted=false
// everywhere, so clients must seal).
func demoLab(t *testing.T) *Lab {
	t.Helper()
	lab, err := LoadLab("../../../examples/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return lab
}

// runSequential drives Create, Command, Send..., Receive..., Signal, Delete
// one message at a time through a masterzen Transporter. masterzen's
// RunWithContextWithString sends stdin while its Receive loop runs, which
// races with connection-bound NTLM on pooled connections (ClientNTLM) and
// on shared state (Encryption); ntlmscan's own driver sends the same
// sequence one message at a time (go doc ./scanner/winrm, "The WinRM command driver"), which
// is what this is.
func runSequential(t *testing.T, srv *Server, host string, tr transport, user, pass, command, stdin string) (stdout, stderr string, exit int, err error) {
	t.Helper()
	params := winrm.NewParameters("PT60S", "en-US", 153600)
	var tp winrm.Transporter
	switch tr {
	case trNTLM:
		tp = &winrm.ClientNTLM{}
	case trEncryption:
		e, err := winrm.NewEncryption("ntlm")
		if err != nil {
			t.Fatal(err)
		}
		tp = e
	default:
		t.Fatalf("transport %s", tr)
	}
	params.TransportDecorator = func() winrm.Transporter { return tp }
	ep := endpointFor(t, srv, host, false)
	client, err := winrm.NewClientWithParameters(ep, user, pass, params)
	if err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("http://%s:%d/wsman", ep.Host, ep.Port)
	post := func(m *soap.SoapMessage) (string, error) {
		defer m.Free()
		return tp.Post(client, m)
	}
	resp, err := post(winrm.NewOpenShellRequest(url, params))
	if err != nil {
		return "", "", 0, err
	}
	shellID, err := winrm.ParseOpenShellResponse(resp)
	if err != nil || shellID == "" {
		return "", "", 0, fmt.Errorf("create shell: %v in %.3000s", err, resp)
	}
	defer post(winrm.NewDeleteShellRequest(url, shellID, params))
	resp, err = post(newPipeCommandRequest(url, shellID, command, params)) // pipe-mode stdin
	if err != nil {
		return "", "", 0, err
	}
	cmdID, err := winrm.ParseExecuteCommandResponse(resp)
	if err != nil {
		return "", "", 0, err
	}
	defer post(winrm.NewSignalRequest(url, shellID, cmdID, params))
	data := []byte(stdin)
	for len(data) > 0 {
		n := min(len(data), params.EnvelopeSize-1000)
		if _, err := post(winrm.NewSendInputRequest(url, shellID, cmdID, data[:n], false, params)); err != nil {
			return "", "", 0, err
		}
		data = data[n:]
	}
	if _, err := post(winrm.NewSendInputRequest(url, shellID, cmdID, nil, true, params)); err != nil {
		return "", "", 0, err
	}
	var out, errb strings.Builder
	for i := 0; i < 1000; i++ {
		resp, err := post(winrm.NewGetOutputRequest(url, shellID, cmdID, "stdout stderr", params))
		if err != nil {
			return "", "", 0, err
		}
		done, code, err := winrm.ParseSlurpOutputErrResponse(resp, &out, &errb)
		if err != nil {
			return "", "", 0, err
		}
		if done {
			return out.String(), errb.String(), code, nil
		}
	}
	return "", "", 0, errors.New("command never finished")
}

// collectFacts runs a collection that must succeed and returns the facts
// it printed.
func collectFacts(t *testing.T, srv *Server, host, user, pass string, stdin string) *facts.Response {
	t.Helper()
	stdout, stderr, exit := collect(t, srv, host, user, pass, stdin)
	if exit != 0 {
		t.Fatalf("exit %d: %s", exit, stderr)
	}
	body, err := extractFacts(stdout)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := facts.DecodeResponse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func collect(t *testing.T, srv *Server, host, user, pass string, stdin string) (stdout, stderr string, exit int) {
	t.Helper()
	stdout, stderr, exit, err := runSequential(t, srv, host, trEncryption, user, pass, collectionCommand(testBootstrap), stdin)
	if err != nil {
		t.Fatalf("collection on %s: %v", host, err)
	}
	return stdout, stderr, exit
}

// TestCollectionAnsweredFromLab sends the collection request and compares
// every answer with the lab model it must come from.
func TestCollectionAnsweredFromLab(t *testing.T) {
	lab := demoLab(t)
	srv := startLab(t, lab)
	user, pass := `CORP\svc-ntlmscan`, "Lab-Only-Passw0rd!"
	absent := facts.RegistryKey{Key: facts.KeyMSV10, Name: "NoSuchValue"}

	for _, h := range lab.Hosts {
		if !h.ServesWinRM() || !h.negotiateEnabled() {
			continue
		}
		t.Run(h.Name, func(t *testing.T) {
			u, p := user, pass
			switch h.Name {
			case "AGENT03", "AGENT05", "CORE03": // as the demo inventory scans them
				u, p = h.Name+`\ntlmscan-local`, "Lab-Only-Local1!"
			}
			req := &facts.Request{Schema: facts.SchemaVersion, Services: []string{"RapidRecoveryCore", "RapidRecoveryAgent"}, SMBClientConfig: true}
			for _, r := range h.Registry {
				req.Registry = append(req.Registry, facts.RegistryKey{Key: r.key, Name: r.name})
			}
			req.Registry = append(req.Registry, absent)
			stdout, stderr, exit := collect(t, srv, h.Name, u, p, collectionStdin(t, testCollector, req))
			if exit != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q", exit, stderr)
			}
			body, err := extractFacts(stdout)
			if err != nil {
				t.Fatalf("%v in %q", err, stdout)
			}
			resp, err := facts.DecodeResponse([]byte(body))
			if err != nil {
				t.Fatalf("DecodeResponse: %v", err)
			}
			id := resp.Identity
			if id.NetBIOSName != h.Name || id.FQDN() != h.FQDN || id.OSBuild != h.OS.Build || id.OSCaption != h.OS.Caption ||
				id.PartOfDomain != h.IsDomainMember() || id.IsDomainController() != h.DomainController {
				t.Errorf("identity %+v does not match lab host %s", id, h.Name)
			}
			if len(resp.Registry) != len(req.Registry) {
				t.Fatalf("%d registry answers for %d requested", len(resp.Registry), len(req.Registry))
			}
			for i, r := range h.Registry {
				got := resp.Registry[i]
				if !got.Present || got.Type != r.Type || got.Key != r.key || got.Name != r.name {
					t.Errorf("%s: got %+v", r.Path, got)
					continue
				}
				switch r.Type {
				case facts.RegDWORD:
					if want := uint64(r.Value.(int)); got.DWORD == nil || *got.DWORD != want {
						t.Errorf("%s = %v, want %d", r.Path, got.DWORD, want)
					}
				case facts.RegMultiSZ:
					var want []string
					for _, v := range r.Value.([]any) {
						want = append(want, v.(string))
					}
					if !reflect.DeepEqual(got.Strings, want) {
						t.Errorf("%s = %q, want %q", r.Path, got.Strings, want)
					}
				}
			}
			if last := resp.Registry[len(resp.Registry)-1]; last.Present || last.RegistryKey != absent {
				t.Errorf("absent value reported as %+v", last)
			}
			for _, name := range req.Services {
				got := resp.Service(name)
				var want *Service
				for i := range h.Services {
					if h.Services[i].Name == name {
						want = &h.Services[i]
					}
				}
				switch {
				case got == nil:
					t.Errorf("service %s not answered", name)
				case want == nil && got.Present:
					t.Errorf("service %s reported present", name)
				case want != nil && (!got.Present || got.State != want.State || got.LogonAs != want.LogonAs):
					t.Errorf("service %s = %+v, want %+v", name, got, want)
				}
			}
			smb := resp.SMBClient
			if smb == nil || !smb.Available {
				t.Fatalf("SMB client config %+v", smb)
			}
			if hasBlock := smb.BlockNTLM != nil; hasBlock != (h.OS.Build >= 26100) {
				t.Errorf("BlockNTLM present=%v on build %d", hasBlock, h.OS.Build)
			}
			if h.SMBClient != nil && h.SMBClient.BlockNTLM != nil && (smb.BlockNTLM == nil || *smb.BlockNTLM != *h.SMBClient.BlockNTLM) {
				t.Errorf("BlockNTLM = %v, lab says %v", smb.BlockNTLM, *h.SMBClient.BlockNTLM)
			}
		})
	}

	t.Run("CORE01 ClientAllowedNTLMServers", func(t *testing.T) {
		set := facts.SettingByID(facts.ClientAllowedNTLMServers)
		req := &facts.Request{Schema: facts.SchemaVersion, Registry: []facts.RegistryKey{set.RegistryKey()}}
		stdout, _, _ := collect(t, srv, "CORE01", user, pass, collectionStdin(t, testCollector, req))
		body, err := extractFacts(stdout)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := facts.DecodeResponse([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		list, ok := set.Lookup(resp).List()
		want := []string{"agent01.corp.example", "AGENT01", "fs01.corp.example", "FS01", "agent04.corp.example", "AGENT04", "127.0.0.35"}
		if !ok || !reflect.DeepEqual(list, want) {
			t.Errorf("ClientAllowedNTLMServers = %q, want %q", list, want)
		}
	})
}

// TestCollectionProbes: probes are resolved against the lab's hosts,
// listening ports and network cuts.
func TestCollectionProbes(t *testing.T) {
	srv := startLab(t, demoLab(t))
	tests := []struct {
		from  string
		probe facts.Probe
		want  facts.ProbeResult
	}{
		{"CORE01", facts.Probe{Target: "agent01.corp.example", Ports: []int{8006, 445, 5985}},
			facts.ProbeResult{Target: "agent01.corp.example", Addresses: []string{"127.0.0.31"}, Ports: []facts.PortResult{
				{Port: 8006, Open: true, ElapsedMS: 1}, {Port: 445, Open: true, ElapsedMS: 1}, {Port: 5985, Open: true, ElapsedMS: 1}}}},
		{"CORE01", facts.Probe{Target: "127.0.0.32", Ports: []int{8006, 9999}},
			facts.ProbeResult{Target: "127.0.0.32", Addresses: []string{"127.0.0.32"}, Ports: []facts.PortResult{
				{Port: 8006, Open: true, ElapsedMS: 1}, {Port: 9999, Error: "refused", ElapsedMS: 1}}}},
		{"CORE02", facts.Probe{Target: "agent06.corp.example", Ports: []int{8006}},
			facts.ProbeResult{Target: "agent06.corp.example", Addresses: []string{"127.0.0.36"}, Ports: []facts.PortResult{
				{Port: 8006, Error: "timeout", ElapsedMS: 1500}}}},
		{"CORE01", facts.Probe{Target: "agent06.corp.example", Ports: []int{8006}}, // the cut is one-way: CORE02 only
			facts.ProbeResult{Target: "agent06.corp.example", Addresses: []string{"127.0.0.36"}, Ports: []facts.PortResult{
				{Port: 8006, Open: true, ElapsedMS: 1}}}},
		{"CORE02", facts.Probe{Target: "nas01", Ports: []int{445, 5985}},
			facts.ProbeResult{Target: "nas01", Addresses: []string{"127.0.0.42"}, Ports: []facts.PortResult{
				{Port: 445, Open: true, ElapsedMS: 1}, {Port: 5985, Error: "refused", ElapsedMS: 1}}}},
		{"CORE01", facts.Probe{Target: "ghost.corp.example", Ports: []int{8006}},
			facts.ProbeResult{Target: "ghost.corp.example", DNSError: "No such host is known", Ports: []facts.PortResult{
				{Port: 8006, Error: "dns"}}}},
	}
	for _, tc := range tests {
		// One resolved address: it is tried on its own with the same result.
		for _, a := range tc.want.Addresses {
			tc.want.ByAddress = append(tc.want.ByAddress, facts.AddressResult{Address: a, Ports: tc.want.Ports})
		}
		t.Run(tc.from+"->"+tc.probe.Target, func(t *testing.T) {
			req := &facts.Request{Schema: facts.SchemaVersion, Probes: []facts.Probe{tc.probe}, ProbeTimeoutMS: 1500}
			stdout, _, _ := collect(t, srv, tc.from, `CORP\svc-ntlmscan`, "Lab-Only-Passw0rd!", collectionStdin(t, testCollector, req))
			body, err := extractFacts(stdout)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := facts.DecodeResponse([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Probes) != 1 || !reflect.DeepEqual(resp.Probes[0], tc.want) {
				t.Errorf("got %+v\nwant %+v", resp.Probes, tc.want)
			}
		})
	}
}

// TestCollectionFaults: the collector-level fault knobs and bad input.
func TestCollectionFaults(t *testing.T) {
	srv := startLab(t, demoLab(t))
	user, pass := `CORP\svc-ntlmscan`, "Lab-Only-Passw0rd!"
	good := collectionStdin(t, testCollector, &facts.Request{Schema: facts.SchemaVersion})
	tests := []struct {
		name       string
		faults     Faults
		stdin      string
		wantExit   int
		wantStderr string
		check      func(t *testing.T, stdout string)
	}{
		{"script failure", Faults{ScriptFailure: "Access is denied to HKLM"}, good, 1, "Access is denied to HKLM", nil},
		// The bootstrap catches every error and prints one plain line with
		// [Console]::Error: no CLIXML error record reaches stderr.
		{"script failure, CLIXML host", Faults{ScriptFailure: "boom", CLIXMLErrors: true}, good, 1, facts.BootstrapFailurePrefix, nil},
		{"not the contract's collector", Faults{}, "Write-Host hi" + facts.StdinSeparator + "e30=\r\n", 1, "differs from it at line 1", nil},
		{"no separator", Faults{}, testCollector, 1, "stdin does not hold the collector script and its request", nil},
		{"bad base64", Faults{}, testCollector + facts.StdinSeparator + "!!!\r\n", 1, "FromBase64String", nil},
		{"bad json", Faults{}, testCollector + facts.StdinSeparator + base64.StdEncoding.EncodeToString([]byte("{nope")) + "\r\n", 1, "Invalid JSON primitive", nil},
		{"schema override", Faults{CollectorSchema: 7}, good, 0, "", func(t *testing.T, stdout string) {
			body, _ := extractFacts(stdout)
			var se *facts.SchemaError
			if _, err := facts.DecodeResponse([]byte(body)); !errors.As(err, &se) || se.Got != 7 {
				t.Errorf("DecodeResponse err = %v, want schema 7 mismatch", err)
			}
		}},
		{"malformed output", Faults{MalformedOutput: true}, good, 0, "", func(t *testing.T, stdout string) {
			body, err := extractFacts(stdout)
			if err != nil {
				t.Fatalf("markers must still be there: %v", err)
			}
			if _, err := facts.DecodeResponse([]byte(body)); err == nil {
				t.Error("malformed output decoded fine")
			}
		}},
		{"oversized output", Faults{OversizedOutput: 300_000}, good, 0, "", func(t *testing.T, stdout string) {
			if len(stdout) < 300_000 {
				t.Errorf("stdout only %d bytes", len(stdout))
			}
			body, err := extractFacts(stdout)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := facts.DecodeResponse([]byte(body)); err != nil {
				t.Errorf("facts after the noise: %v", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := srv.SetFaults("AGENT01", tc.faults); err != nil {
				t.Fatal(err)
			}
			stdout, stderr, exit := collect(t, srv, "AGENT01", user, pass, tc.stdin)
			if exit != tc.wantExit || !strings.Contains(stderr, tc.wantStderr) || (tc.wantStderr == "" && stderr != "") {
				t.Fatalf("exit %d stderr %q; want exit %d, stderr with %q", exit, stderr, tc.wantExit, tc.wantStderr)
			}
			if tc.check != nil {
				tc.check(t, stdout)
			}
		})
	}
}

// TestCollectorEmulationReviewed fails when collect.ps1 changes without the
// simulator's emulation being reviewed against it.
func TestCollectorEmulationReviewed(t *testing.T) {
	sum := sha256.Sum256([]byte(facts.CollectorScript))
	if got := hex.EncodeToString(sum[:]); got != reviewedCollectorSHA256 {
		t.Fatalf("scanner/facts/collect.ps1 changed (sha256 %s): review runCollector in collector.go against it step by step, then set reviewedCollectorSHA256", got)
	}
}

// TestCollectionRunsOnlyTheContractTexts: a collector or bootstrap that
// differs by one byte from the contract's is never answered.
func TestCollectionRunsOnlyTheContractTexts(t *testing.T) {
	srv := startLab(t, demoLab(t))
	user, pass := `CORP\svc-ntlmscan`, "Lab-Only-Passw0rd!"
	req := &facts.Request{Schema: facts.SchemaVersion, Registry: []facts.RegistryKey{{Key: facts.KeyLsa, Name: "LmCompatibilityLevel"}}}
	line := scriptLine(facts.CollectorScript, "$SchemaVersion = ", 1)
	changed := strings.Replace(testCollector, "$SchemaVersion = ", "$SchemaVersion =  ", 1)
	crlf := strings.ReplaceAll(testCollector, "\n", "\r\n")
	bom := "\ufeff" + testCollector
	for name, script := range map[string]string{"one byte changed": changed, "CRLF line ends": crlf, "UTF-8 BOM": bom} {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, exit := collect(t, srv, "AGENT01", user, pass, collectionStdin(t, script, req))
			if exit != 1 || !strings.HasPrefix(stderr, facts.BootstrapFailurePrefix) || !strings.Contains(stderr, "differs from it") {
				t.Fatalf("exit %d, stderr %q: a changed collector must fail", exit, stderr)
			}
			if strings.Contains(stdout, facts.BeginMarker) {
				t.Fatalf("a changed collector was answered: %q", stdout)
			}
			if name == "one byte changed" && !strings.Contains(stderr, fmt.Sprintf("at line %d", line)) {
				t.Errorf("stderr %q does not name line %d", stderr, line)
			}
		})
	}
	t.Run("changed bootstrap", func(t *testing.T) {
		boot := strings.Replace(testBootstrap, "exit 1", "exit 2", 1)
		stdout, stderr, exit, err := runSequential(t, srv, "AGENT01", trEncryption, user, pass, collectionCommand(boot), collectionStdin(t, testCollector, req))
		if err != nil {
			t.Fatal(err)
		}
		if exit == 0 || !strings.Contains(stderr, "bootstrap") || strings.Contains(stdout, facts.BeginMarker) {
			t.Fatalf("exit %d, stderr %q, stdout %q: a changed bootstrap must fail", exit, stderr, stdout)
		}
	})
}

// TestCollectionAnswersOnlyWhatIsAsked: a request for a subset gets exactly
// that subset, in request order, names as asked.
func TestCollectionAnswersOnlyWhatIsAsked(t *testing.T) {
	srv := startLab(t, demoLab(t))
	req := &facts.Request{Schema: facts.SchemaVersion,
		Registry: []facts.RegistryKey{{Key: `HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0`, Name: "RestrictSendingNTLMTraffic"}, {Key: facts.KeyLsa, Name: "NoSuchValue"}},
		Services: []string{"rapidrecoverycore"},
		Probes:   []facts.Probe{{Target: "AGENT02", Ports: []int{8006}}},
	}
	resp := collectFacts(t, srv, "CORE01", `CORP\svc-ntlmscan`, "Lab-Only-Passw0rd!", collectionStdin(t, testCollector, req))
	if len(resp.Registry) != 2 || resp.Registry[0].Key != req.Registry[0].Key || !resp.Registry[0].Present || resp.Registry[1].Present {
		t.Errorf("registry %+v, want exactly the two asked (first present, under the key as asked)", resp.Registry)
	}
	if len(resp.Services) != 1 || resp.Services[0].Name != "rapidrecoverycore" || !resp.Services[0].Present {
		t.Errorf("services %+v, want only rapidrecoverycore, present, named as asked", resp.Services)
	}
	if resp.SMBClient != nil {
		t.Errorf("SMB client configuration answered without being asked: %+v", resp.SMBClient)
	}
	if len(resp.Probes) != 1 || resp.Probes[0].Target != "AGENT02" || len(resp.Probes[0].Ports) != 1 {
		t.Errorf("probes %+v, want only AGENT02:8006", resp.Probes)
	}
}

// TestCollectionGarbledRequests: a request the collector cannot use fails
// the way collect.ps1 would, on the line it would, or is read with
// PowerShell's loose typing where the script accepts it.
func TestCollectionGarbledRequests(t *testing.T) {
	srv := startLab(t, demoLab(t))
	line := func(text string, nth int) string {
		return fmt.Sprintf("%s%d: ", facts.BootstrapFailurePrefix, scriptLine(facts.CollectorScript, text, nth))
	}
	schemaLine := line(`throw "ntlmscan collector speaks schema`, 1)
	tests := []struct {
		name       string
		json       string
		wantStderr string                                   // prefix+line of a failure; "" = success
		check      func(t *testing.T, resp *facts.Response) // on success
	}{
		{"not JSON", `{registry:`, line("ConvertFrom-Json -InputObject", 1) + "Invalid JSON primitive", nil},
		{"no schema", `{"registry":[]}`, schemaLine + "ntlmscan collector speaks schema 3, the request is schema \r\n", nil},
		{"other schema", `{"schema":99}`, schemaLine + "ntlmscan collector speaks schema 3, the request is schema 99\r\n", nil},
		{"an array", `[1,2]`, schemaLine, nil},
		{"schema as text", `{"schema":"3"}`, "", nil},
		{"keys differing in case", `{"schema":3,"Registry":[],"registry":[]}`, line("ConvertFrom-Json -InputObject", 1) + "Cannot convert the JSON string because a dictionary that was converted from the string contains the duplicated keys 'Registry' and 'registry'.", nil},
		{"bad port", `{"schema":3,"probes":[{"target":"AGENT01","ports":["abc"]}]}`, line("port = [int]$port", 1) + `Cannot convert value "abc" to type "System.Int32".`, nil},
		{"bad port, target unknown", `{"schema":3,"probes":[{"target":"ghost","ports":[{"x":1}]}]}`, line("port = [int]$port", 2) + "Cannot convert the", nil},
		{"bad timeout", `{"schema":3,"probeTimeoutMs":"9x","probes":[{"target":"AGENT01","ports":[445]}]}`, "", func(t *testing.T, r *facts.Response) {
			if len(r.Probes) != 1 || !r.Probes[0].Ports[0].Open {
				t.Errorf("probes %+v", r.Probes)
			}
		}},
		{"not HKLM", `{"schema":3,"registry":[{"key":"HKCU\\Software","name":"x"}]}`, "", func(t *testing.T, r *facts.Response) {
			if len(r.Registry) != 1 || r.Registry[0].Error != `only HKLM keys can be read: HKCU\Software` || r.Registry[0].Present {
				t.Errorf("registry %+v", r.Registry)
			}
		}},
		{"single objects and nulls", `{"schema":3,"registry":{"KEY":"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\MSV1_0","Name":"RestrictSendingNTLMTraffic"},"services":"RapidRecoveryAgent","probes":[null],"smbClientConfig":"yes"}`, "", func(t *testing.T, r *facts.Response) {
			if len(r.Registry) != 1 || r.Registry[0].Name != "RestrictSendingNTLMTraffic" || r.Registry[0].Error != "" || len(r.Services) != 1 || !r.Services[0].Present || r.SMBClient == nil || len(r.Probes) != 0 {
				t.Errorf("response %+v", r)
			}
		}},
		{"port out of range, null ports", `{"schema":3,"probes":[{"target":"AGENT01","ports":[70000]},{"target":"AGENT01"}]}`, "", func(t *testing.T, r *facts.Response) {
			if len(r.Probes) != 2 || !strings.Contains(r.Probes[0].Ports[0].Error, "out of the range") || r.Probes[1].Ports[0].Port != 0 {
				t.Errorf("probes %+v", r.Probes)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdin := testCollector + facts.StdinSeparator + base64.StdEncoding.EncodeToString([]byte(tc.json)) + "\r\n"
			stdout, stderr, exit := collect(t, srv, "AGENT01", `CORP\svc-ntlmscan`, "Lab-Only-Passw0rd!", stdin)
			if tc.wantStderr != "" {
				if exit != 1 || !strings.HasPrefix(stderr, tc.wantStderr) || strings.Contains(stdout, facts.BeginMarker) {
					t.Fatalf("exit %d, stderr %q, want exit 1 and stderr starting %q", exit, stderr, tc.wantStderr)
				}
				return
			}
			if exit != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q", exit, stderr)
			}
			body, err := extractFacts(stdout)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := facts.DecodeResponse([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.check != nil {
				tc.check(t, resp)
			}
		})
	}
	t.Run("empty request", func(t *testing.T) {
		_, stderr, exit := collect(t, srv, "AGENT01", `CORP\svc-ntlmscan`, "Lab-Only-Passw0rd!", testCollector+facts.StdinSeparator+"\r\n")
		if exit != 1 || !strings.Contains(stderr, "Cannot bind argument to parameter 'RequestJson' because it is an empty string.") {
			t.Fatalf("exit %d, stderr %q", exit, stderr)
		}
	})
}

// TestCollectionSMBBlockNTLMSources: the collector reads BlockNTLM and its
// exception list under both keys and the cmdlet's properties; the lab
// answers each from its own source.
func TestCollectionSMBBlockNTLMSources(t *testing.T) {
	lab, err := ParseLab([]byte(`
domains: [{name: corp.example, netbios: CORP, users: [{name: svc, password: pw-Lab-1}]}]
hosts:
  - name: DC01
    address: 127.0.9.10
    domain: corp.example
    domainController: true
    os: {caption: Windows Server 2022 Standard, build: 20348}
  - name: CORE09
    address: 127.0.9.11
    domain: corp.example
    os: {caption: Windows Server 2025 Standard, build: 26100}
    smbClient: {blockNTLMServerExceptionList: [fs01]}
    registry:
      - {path: 'HKLM\SYSTEM\CurrentControlSet\Services\LanmanWorkstation\Parameters\BlockNTLM', type: REG_DWORD, value: 1}
      - {path: 'HKLM\SYSTEM\CurrentControlSet\Services\LanmanWorkstation\Parameters\BlockNTLMServerExceptionList', type: REG_MULTI_SZ, value: [nas01]}
`), "smb.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv := startLab(t, lab)
	var req facts.Request
	req.Schema, req.SMBClientConfig = facts.SchemaVersion, true
	for _, id := range []string{facts.SMBBlockNTLM, facts.SMBBlockNTLMServerExceptionList, facts.SMBBlockNTLMLocal, facts.SMBBlockNTLMServerExceptionListLocal} {
		req.Registry = append(req.Registry, facts.SettingByID(id).RegistryKey())
	}
	resp := collectFacts(t, srv, "CORE09", `CORP\svc`, "pw-Lab-1", collectionStdin(t, testCollector, &req))
	if v := facts.SettingByID(facts.SMBBlockNTLM).Lookup(resp); v == nil || v.Present {
		t.Errorf("policy BlockNTLM %+v, want absent", v)
	}
	if n, ok := facts.SettingByID(facts.SMBBlockNTLMLocal).Lookup(resp).Uint(); !ok || n != 1 {
		t.Errorf("local BlockNTLM = %d %v, want 1", n, ok)
	}
	if l, ok := facts.SettingByID(facts.SMBBlockNTLMServerExceptionListLocal).Lookup(resp).List(); !ok || !reflect.DeepEqual(l, []string{"nas01"}) {
		t.Errorf("local exception list = %q %v", l, ok)
	}
	smb := resp.SMBClient
	if smb == nil || smb.BlockNTLM == nil || !*smb.BlockNTLM || !reflect.DeepEqual(smb.BlockNTLMServerExceptionList, []string{"fs01"}) {
		t.Errorf("Get-SmbClientConfiguration = %+v, want BlockNTLM true (local configuration) and its own list", smb)
	}
}

// TestCollectionProbesEveryAddress: a name with an IPv4 and an IPv6
// address is probed on both; a cut of one address shows on that address
// only, and the by-name result is what the Core gets trying them in order.
func TestCollectionProbesEveryAddress(t *testing.T) {
	lab, err := ParseLab([]byte(`
domains: [{name: corp.example, netbios: CORP, users: [{name: svc, password: pw-Lab-1}]}]
hosts:
  - {name: DC01, address: 127.0.9.10, domain: corp.example, domainController: true, os: {build: 20348}}
  - {name: CORE09, address: 127.0.9.11, domain: corp.example, os: {build: 20348}}
  - {name: AGENT09, address: 127.0.9.12, domain: corp.example, os: {build: 20348}, listens: [8006], dnsAddresses: ['::1', 127.0.9.12]}
network:
  cuts:
    - {from: CORE09, to: AGENT09, addresses: ['::1']}
`), "v6.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv := startLab(t, lab)
	req := &facts.Request{Schema: facts.SchemaVersion, ProbeTimeoutMS: 1500,
		Probes: []facts.Probe{{Target: "agent09.corp.example", Ports: []int{8006, 9}}}}
	resp := collectFacts(t, srv, "CORE09", `CORP\svc`, "pw-Lab-1", collectionStdin(t, testCollector, req))
	want := facts.ProbeResult{Target: "agent09.corp.example", Addresses: []string{"::1", "127.0.9.12"},
		Ports: []facts.PortResult{{Port: 8006, Open: true, ElapsedMS: 1}, {Port: 9, Error: "timeout", ElapsedMS: 1500}},
		ByAddress: []facts.AddressResult{
			{Address: "::1", Ports: []facts.PortResult{{Port: 8006, Error: "timeout", ElapsedMS: 1500}, {Port: 9, Error: "timeout", ElapsedMS: 1500}}},
			{Address: "127.0.9.12", Ports: []facts.PortResult{{Port: 8006, Open: true, ElapsedMS: 1}, {Port: 9, Error: "refused", ElapsedMS: 1}}},
		}}
	if len(resp.Probes) != 1 || !reflect.DeepEqual(resp.Probes[0], want) {
		t.Fatalf("got  %+v\nwant %+v", resp.Probes, want)
	}
	// A cut of an address the host does not have is a lab error.
	_, err = ParseLab([]byte(`
hosts:
  - {name: A, address: 127.0.9.20, os: {build: 20348}}
  - {name: B, address: 127.0.9.21, os: {build: 20348}, dnsAddresses: [127.0.9.21, 'fd00::21']}
network:
  cuts: [{from: A, to: B, addresses: ['::1']}]
`), "bad.yaml")
	if err == nil || !strings.Contains(err.Error(), `address "::1" is not one of B's addresses`) {
		t.Errorf("bad cut address: %v", err)
	}
}

// TestWinRMAuthorizationRefusals: WinRM's refusals after a successful
// logon. A filtered local admin or an account outside Administrators and
// Remote Management Users gets the 401 of a bad password; a disabled remote
// shell or a shell SDDL refuses Create with a fault.
func TestWinRMAuthorizationRefusals(t *testing.T) {
	lab, err := ParseLab([]byte(`
domains: [{name: corp.example, netbios: CORP, users: [{name: svc, password: pw-Lab-1}, {name: other, password: pw-Lab-2}]}]
hosts:
  - {name: DC01, address: 127.0.9.10, domain: corp.example, domainController: true, os: {build: 20348}}
  - name: H1
    address: 127.0.9.11
    domain: corp.example
    os: {build: 20348}
    users: [{name: admin2, password: pw-Loc-1}, {name: Administrator, password: pw-Loc-2}]
    administrators: [admin2, Administrator, CORP\svc]
  - name: H2
    address: 127.0.9.12
    domain: corp.example
    os: {build: 20348}
    administrators: [CORP\svc]
    winrm: {allowRemoteShellAccess: false}
`), "authz.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv := startLab(t, lab)
	run := func(host, user, pass string) error {
		_, _, _, err := runSequential(t, srv, host, trEncryption, user, pass, "hostname", "")
		return err
	}
	badPassword := run("H1", `CORP\svc`, "wrong")
	if badPassword == nil || !strings.Contains(badPassword.Error(), "401") {
		t.Fatalf("bad password: %v", badPassword)
	}
	for _, c := range []struct{ name, host, user, pass string }{
		{"filtered local admin", "H1", `H1\admin2`, "pw-Loc-1"},
		{"domain account without rights", "H1", `CORP\other`, "pw-Lab-2"},
	} {
		if err := run(c.host, c.user, c.pass); err == nil || err.Error() != badPassword.Error() {
			t.Errorf("%s: %v, want the bad-password answer %v", c.name, err, badPassword)
		}
	}
	if err := run("H1", `H1\Administrator`, "pw-Loc-2"); err != nil {
		t.Errorf("the built-in Administrator is not filtered: %v", err)
	}
	if err := run("H1", `CORP\svc`, "pw-Lab-1"); err != nil {
		t.Errorf("a domain admin is not filtered: %v", err)
	}
	err = run("H2", `CORP\svc`, "pw-Lab-1")
	if err == nil || !strings.Contains(err.Error(), "configured to not accept any remote shell requests. </f:Message>") || !strings.Contains(err.Error(), "w:AccessDenied") {
		t.Errorf("disabled remote shell: %v", err)
	}
	if c := srv.Calls(); len(c) == 0 {
		t.Error("no calls recorded")
	}
}

// TestLabAuthorizationListsValidated: a malformed account in the
// authorization lists is a lab error naming the host.
func TestLabAuthorizationListsValidated(t *testing.T) {
	for _, bad := range []string{`administrators: ['']`, `remoteManagementUsers: ['A\B\C']`, `winrm: {shellDeniedTo: ['CORP\']}`, `winrm: {configSDDL: ['A\B\C']}`} {
		_, err := ParseLab([]byte("hosts:\n  - {name: H1, address: 127.0.9.30, os: {build: 20348}, "+bad+"}\n"), "lab.yaml")
		if err == nil || !strings.Contains(err.Error(), `host "H1"`) || !strings.Contains(err.Error(), "is not an account") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}
