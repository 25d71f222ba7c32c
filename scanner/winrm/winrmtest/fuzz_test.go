package winrmtest

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/masterzen/winrm"
	"gopkg.in/yaml.v3"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// envelopeSeeds are real requests: pypsrp's recorded ones and masterzen's own.
func envelopeSeeds(f *testing.F) []string {
	files, _ := filepath.Glob("testdata/windows-wsman/*.yml")
	var seeds []string
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		var rec recording
		if err := yaml.Unmarshal(data, &rec); err != nil {
			f.Fatal(err)
		}
		for _, m := range rec.Messages {
			seeds = append(seeds, m.Request)
		}
	}
	params := winrm.DefaultParameters
	url := "http://127.0.0.1:5985/wsman"
	for _, m := range []interface{ String() string }{
		winrm.NewOpenShellRequest(url, params),
		winrm.NewExecuteCommandRequest(url, "SHELL", "hostname", []string{"a", "b"}, params),
		winrm.NewGetOutputRequest(url, "SHELL", "CMD", "stdout stderr", params),
		winrm.NewSendInputRequest(url, "SHELL", "CMD", []byte("input"), true, params),
		winrm.NewSignalRequest(url, "SHELL", "CMD", params),
		winrm.NewDeleteShellRequest(url, "SHELL", params),
	} {
		seeds = append(seeds, m.String())
	}
	return seeds
}

// FuzzEnvelope: the SOAP request parser never panics, decodes exactly as
// encoding/xml's reflection would, and what it accepts has an action.
func FuzzEnvelope(f *testing.F) {
	for _, s := range envelopeSeeds(f) {
		f.Add([]byte(s))
	}
	f.Add([]byte(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header/><s:Body/></s:Envelope>`))
	f.Add([]byte(`<?xml version="1.0" encoding="iso-8859-1"?><x/>`))
	f.Add([]byte("\x00\xff<"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSameDecode(t, data)
		env, err := parseEnvelope(data)
		if err != nil {
			return
		}
		if env.Action == "" || env.Options == nil {
			t.Fatalf("accepted envelope without action/options: %+v", env)
		}
		if env.OperationTimeout < 0 || env.MaxEnvelopeSize < 0 {
			t.Fatalf("negative limits: %+v", env)
		}
	})
}

func TestEnvelopeParsesClients(t *testing.T) {
	seeds := envelopeSeedsT(t)
	for _, s := range seeds {
		env, err := parseEnvelope([]byte(s))
		if err != nil {
			t.Errorf("%v\n%.300s", err, s)
			continue
		}
		if env.ResourceURI != shellURI {
			t.Errorf("ResourceURI %q", env.ResourceURI)
		}
		switch env.Action {
		case actionCommand:
			if env.CommandLine == nil || env.CommandLine.Command == "" {
				t.Errorf("Command without command line: %.300s", s)
			}
		case actionReceive:
			if env.Receive == nil || env.Receive.DesiredStream.CommandID == "" {
				t.Errorf("Receive without CommandId: %.300s", s)
			}
		case actionCreate:
		default:
			if !env.HasShellSelector {
				t.Errorf("%s without ShellId selector", env.Action)
			}
		}
	}
}

func envelopeSeedsT(t *testing.T) []string {
	var seeds []string
	files, _ := filepath.Glob("testdata/windows-wsman/*.yml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var rec recording
		if err := yaml.Unmarshal(data, &rec); err != nil {
			t.Fatal(err)
		}
		for _, m := range rec.Messages {
			seeds = append(seeds, m.Request)
		}
	}
	if len(seeds) == 0 {
		t.Fatal("no seeds")
	}
	return seeds
}

func TestParseXSDuration(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"PT60S", "1m0s", true},
		{"PT0.5S", "500ms", true},
		{"PT30M", "30m0s", true},
		{"P0DT0H0M20S", "20s", true},
		{"PT1H", "1h0m0s", true},
		{"P1D", "24h0m0s", true},
		{"60", "", false},
		{"PT", "0s", true},
		{"PTS", "", false},
		{"PT5X", "", false},
		{"P400D", "", false},
	}
	for _, tc := range tests {
		d, err := parseXSDuration(tc.in)
		if (err == nil) != tc.ok || (tc.ok && d.String() != tc.want) {
			t.Errorf("parseXSDuration(%q) = %v, %v; want %s ok=%v", tc.in, d, err, tc.want, tc.ok)
		}
	}
}

// FuzzCommandLine: the cmd.exe / powershell.exe emulation never panics.
func FuzzCommandLine(f *testing.F) {
	for _, s := range []string{
		"hostname", "echo out && echo err>&2 && exit 1", `cmd /c "echo x"`, "echo.", "echo", "^&", `"unterminated`,
		winrm.Powershell("hostname; Start-Sleep -m 10; Write-Host 'x'"), "powershell -EncodedCommand !!", "powershell -e",
		"powershell -Command -", "exit /b", "a || b & c && d", "%COMPUTERNAME%%", "whoami /all",
	} {
		f.Add(s)
	}
	lab := &Lab{Domains: []*Domain{{Name: "lab.example", Users: []User{{Name: "u", Password: "p"}}}},
		Hosts: []*Host{{Name: "FUZZ", Address: "127.0.0.1", Domain: "lab.example", OS: OS{Build: 20348}}}}
	if err := lab.Validate(); err != nil {
		f.Fatal(err)
	}
	h := lab.Hosts[0]
	hs := &hostServer{h: h, srv: &Server{lab: lab}}
	acct, _ := h.resolveAccount("u", "LAB")
	f.Fuzz(func(t *testing.T, line string) {
		for _, skip := range []bool{false, true} {
			x := &executor{hs: hs, acct: acct, faults: &Faults{}}
			res, onStdin := x.start(line, skip)
			if onStdin != nil {
				res = onStdin([]byte(line))
			}
			_ = strings.ToValidUTF8(res.stdout+res.stderr, "")
		}
	})
}

// FuzzCollectorRequest: whatever request text the collector receives, the
// simulator either answers a document the scanner's contract decodes, or
// fails the way the script does: a message and a line of collect.ps1.
func FuzzCollectorRequest(f *testing.F) {
	lab, err := LoadLab("../../../examples/lab.yaml")
	if err != nil {
		f.Fatal(err)
	}
	h := lab.HostByName("CORE01")
	hs := &hostServer{h: h, srv: &Server{lab: lab}}
	for _, seed := range []string{
		`{"schema":3}`,
		`{"schema":3,"registry":[{"key":"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa","name":"LmCompatibilityLevel"}],"services":["RapidRecoveryCore"],"smbClientConfig":true,"probes":[{"target":"agent01.corp.example","ports":[445,8006]}],"probeTimeoutMs":100}`,
		`{"schema":"3","registry":{"key":1,"name":[1,2]},"services":[null,{"a":1}],"probes":[{"target":null,"ports":["7", 1e3, -1, 99999, true]}]}`,
		`[]`, `null`, `{registry:`, `{"schema":3,"probes":[{"target":"x","ports":[[1]]}]}`, `{"SCHEMA":2.0}`,
		`{"schema":3,"credentialGuard":true,"events":{"logName":"Microsoft-Windows-NTLM/Operational","days":7,"maxEvents":5,"maxGroups":1,"fields":[{"id":4001,"counterpart":["TargetName"],"user":["UserName"],"domain":["DomainName"],"process":["ProcessName"]}]}}`,
		`{"schema":3,"events":{"logName":"x","days":"a","maxEvents":0,"fields":[null,{"id":"z"},{"id":4001,"counterpart":[1,null]}]}}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, req string) {
		resp, err := hs.runCollector(req, true)
		if err != nil {
			var pf *psFailure
			if !errors.As(err, &pf) || pf.line <= 0 || pf.msg == "" {
				t.Fatalf("failure without a script line: %#v", err)
			}
			return
		}
		body, err := json.Marshal(resp)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := facts.DecodeResponse(body); err != nil {
			// Only an entry without key or name may fail the contract:
			// the script echoes what it was asked.
			if !strings.Contains(err.Error(), "no key or name") {
				t.Fatalf("answer does not decode: %v\n%s", err, body)
			}
		}
	})
}
