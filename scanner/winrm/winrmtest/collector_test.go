package winrmtest

import (
	"encoding/base64"
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

// The collection exchange as COLLECTION.md specifies it, built here the way
// the scanner builds it (the simulator must not depend on scanner code).
const testBootstrap = "# NTLMSCAN-BOOTSTRAP (test copy)\r\n" +
	"$stdin = $input | Out-String\r\n" +
	"$parts = $stdin -split \"`0`0`0`0\", 2\r\n" +
	"$request = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($parts[1].Trim()))\r\n" +
	"& ([scriptblock]::Create($parts[0])) $request\r\n"

const testCollector = "# NTLMSCAN-COLLECTOR schema 1\r\nparam($request)\r\n# (the real collector lives in scanner/collect)\r\n"

func collectionCommand(bootstrap string) string {
	u := utf16.Encode([]rune(bootstrap))
	b := make([]byte, 2*len(u))
	for i, v := range u {
		b[2*i], b[2*i+1] = byte(v), byte(v>>8)
	}
	return "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand " + base64.StdEncoding.EncodeToString(b)
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
// on shared state (Encryption); COLLECTION.md allows the equivalent
// sequence, which is what this is.
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
		return "", "", 0, fmt.Errorf("create shell: %v in %.300s", err, resp)
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
			case "AGENT03", "AGENT05": // as the demo inventory scans them
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
		req := &facts.Request{Schema: 1, Registry: []facts.RegistryKey{set.RegistryKey()}}
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
			facts.ProbeResult{Target: "ghost.corp.example", DNSError: "ghost.corp.example: No such host is known", Ports: []facts.PortResult{
				{Port: 8006, Error: "dns"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.from+"->"+tc.probe.Target, func(t *testing.T) {
			req := &facts.Request{Schema: 1, Probes: []facts.Probe{tc.probe}, ProbeTimeoutMS: 1500}
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
	good := collectionStdin(t, testCollector, &facts.Request{Schema: 1})
	tests := []struct {
		name       string
		faults     Faults
		stdin      string
		wantExit   int
		wantStderr string
		check      func(t *testing.T, stdout string)
	}{
		{"script failure", Faults{ScriptFailure: "Access is denied to HKLM"}, good, 1, "Access is denied to HKLM", nil},
		{"script failure as CLIXML", Faults{ScriptFailure: "boom", CLIXMLErrors: true}, good, 1, "#< CLIXML\r\n", nil},
		{"not a collector", Faults{}, "Write-Host hi" + facts.StdinSeparator + "e30=\r\n", 1, "not an ntlmscan collector", nil},
		{"no separator", Faults{}, testCollector, 1, "separator missing", nil},
		{"bad base64", Faults{}, testCollector + facts.StdinSeparator + "!!!\r\n", 1, "FromBase64String", nil},
		{"bad json", Faults{}, testCollector + facts.StdinSeparator + base64.StdEncoding.EncodeToString([]byte("{nope")) + "\r\n", 1, "ConvertFrom-Json", nil},
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
