package collect

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

func sampleRequest() facts.Request {
	return facts.Request{
		Schema: facts.SchemaVersion,
		Registry: []facts.RegistryKey{
			{Key: facts.KeyMSV10, Name: "RestrictSendingNTLMTraffic"},
			{Key: facts.KeyMSV10, Name: "ClientAllowedNTLMServers"},
		},
		Services:        []string{"RapidRecoveryCore"},
		SMBClientConfig: true,
		Probes:          []facts.Probe{{Target: "agent01.corp.example", Ports: []int{445, 8006}}},
		ProbeTimeoutMS:  3000,
	}
}

const sampleJSON = `{"schema":3,"identity":{"netbiosName":"CORE01","dnsHostName":"core01","domain":"corp.example","partOfDomain":true,"domainRole":3,"osCaption":"Windows Server 2022 Standard","osVersion":"10.0.20348","osBuild":20348},` +
	`"registry":[{"key":"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\MSV1_0","name":"RestrictSendingNTLMTraffic","present":true,"type":"REG_DWORD","dword":2},` +
	`{"key":"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\MSV1_0","name":"ClientAllowedNTLMServers","present":false}],` +
	`"services":[{"name":"RapidRecoveryCore","present":true,"state":"Running","startMode":"Auto","logonAs":"CORP\\svc-rr"}],` +
	`"smbClient":{"available":true,"requireSecuritySignature":false},` +
	`"probes":[{"target":"agent01.corp.example","addresses":["10.0.0.31"],"ports":[{"port":445,"open":true,"elapsedMs":1},{"port":8006,"open":false,"error":"refused","elapsedMs":2}],` +
	`"byAddress":[{"address":"10.0.0.31","ports":[{"port":445,"open":true,"elapsedMs":1},{"port":8006,"open":false,"error":"refused","elapsedMs":2}]}]}],"errors":[]}`

func wrap(doc string) string {
	return "\r\n" + facts.BeginMarker + "\r\n" + doc + "\r\n" + facts.EndMarker + "\r\n"
}

func TestParse(t *testing.T) {
	req := sampleRequest()
	clixmlErr := "#< CLIXML\r\n<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">" +
		"<Obj S=\"progress\" RefId=\"0\"><TN RefId=\"0\"><T>System.Management.Automation.PSCustomObject</T></TN><MS><I64 N=\"SourceId\">1</I64><PR N=\"Record\"><AV>Preparing modules for first use.</AV></PR></MS></Obj>" +
		"<S S=\"Error\">ntlmscan collector failed at line 3: Access is denied_x000D__x000A_</S></Objs>"
	tests := []struct {
		name     string
		stdout   string
		stderr   string
		exit     int
		wantErr  any // nil, *ScriptError, *MalformedError, *facts.SchemaError
		contains string
	}{
		{name: "clean", stdout: wrap(sampleJSON)},
		{name: "noise and progress around the markers", stdout: "WinRM banner\r\n" + wrap(sampleJSON) + "trailing noise\r\n",
			stderr: "#< CLIXML\r\n<Objs Version=\"1.1.0.1\"><Obj S=\"progress\" RefId=\"0\"></Obj></Objs>"},
		{name: "LF line endings", stdout: "\n" + facts.BeginMarker + "\n" + sampleJSON + "\n" + facts.EndMarker + "\n"},
		{name: "script failed with CLIXML", stdout: "", stderr: clixmlErr, exit: 1, wantErr: &ScriptError{}, contains: "Access is denied"},
		{name: "script failed plain text", stderr: "powershell.exe : The term 'x' is not recognized\r\n", exit: 1, wantErr: &ScriptError{}, contains: "not recognized"},
		{name: "non-zero exit even with facts", stdout: wrap(sampleJSON), exit: 2, wantErr: &ScriptError{}},
		{name: "no markers", stdout: "hello\r\n", wantErr: &MalformedError{}, contains: "no facts between markers"},
		{name: "empty stdout", stdout: "", wantErr: &MalformedError{}, contains: "stdout was empty"},
		{name: "truncated", stdout: "\r\n" + facts.BeginMarker + "\r\n" + sampleJSON[:100], wantErr: &MalformedError{}, contains: "truncated"},
		{name: "two begin markers", stdout: wrap(sampleJSON) + wrap(sampleJSON), wantErr: &MalformedError{}, contains: "more than once"},
		{name: "end before begin", stdout: facts.EndMarker + "\r\n" + wrap(sampleJSON), wantErr: &MalformedError{}},
		{name: "nothing between", stdout: wrap(""), wantErr: &MalformedError{}, contains: "nothing between"},
		{name: "broken JSON", stdout: wrap(sampleJSON[:len(sampleJSON)/2]), wantErr: &MalformedError{}, contains: "not valid JSON"},
		{name: "unknown field", stdout: wrap(strings.Replace(sampleJSON, `"errors":[]`, `"errors":[],"surprise":1`, 1)), wantErr: &MalformedError{}, contains: "surprise"},
		{name: "trailing document", stdout: wrap(sampleJSON + "{}"), wantErr: &MalformedError{}},
		{name: "other schema", stdout: wrap(strings.Replace(sampleJSON, `"schema":3`, `"schema":1`, 1)), wantErr: &facts.SchemaError{}, contains: "schema 1"},
		{name: "other schema with new fields", stdout: wrap(strings.Replace(sampleJSON, `"schema":3,`, `"schema":7,"newThing":{},`, 1)), wantErr: &facts.SchemaError{}},
		{name: "no schema", stdout: wrap(strings.Replace(sampleJSON, `"schema":3,`, ``, 1)), wantErr: &MalformedError{}, contains: "no schema"},
		{name: "registry entry missing", stdout: wrap(strings.Replace(sampleJSON, `,{"key":"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\MSV1_0","name":"ClientAllowedNTLMServers","present":false}`, ``, 1)),
			wantErr: &MalformedError{}, contains: "1 registry values for 2"},
		{name: "registry order", stdout: wrap(strings.Replace(sampleJSON, `"ClientAllowedNTLMServers"`, `"Other"`, 1)), wantErr: &MalformedError{}, contains: "asked"},
		{name: "present without type", stdout: wrap(strings.Replace(sampleJSON, `"present":true,"type":"REG_DWORD",`, `"present":true,`, 1)), wantErr: &MalformedError{}, contains: "without a type"},
		{name: "service missing", stdout: wrap(strings.Replace(sampleJSON, `"services":[{"name":"RapidRecoveryCore","present":true,"state":"Running","startMode":"Auto","logonAs":"CORP\\svc-rr"}],`, ``, 1)), wantErr: &MalformedError{}, contains: "services"},
		{name: "smb client missing", stdout: wrap(strings.Replace(sampleJSON, `"smbClient":{"available":true,"requireSecuritySignature":false},`, ``, 1)), wantErr: &MalformedError{}, contains: "SMB"},
		{name: "probe port order", stdout: wrap(strings.Replace(sampleJSON, `"port":8006`, `"port":8007`, 1)), wantErr: &MalformedError{}, contains: "port"},
		{name: "per-address result missing", stdout: wrap(strings.Replace(sampleJSON, `"addresses":["10.0.0.31"]`, `"addresses":["10.0.0.31","::1"]`, 1)), wantErr: &MalformedError{}, contains: "per-address"},
		{name: "per-address port order", stdout: wrap(strings.Replace(sampleJSON, `"byAddress":[{"address":"10.0.0.31","ports":[{"port":445`, `"byAddress":[{"address":"10.0.0.31","ports":[{"port":446`, 1)), wantErr: &MalformedError{}, contains: "via 10.0.0.31"},
		{name: "probe target", stdout: wrap(strings.Replace(sampleJSON, `"target":"agent01.corp.example"`, `"target":"agent02"`, 1)), wantErr: &MalformedError{}, contains: "probe"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := Parse(req, []byte(tc.stdout), []byte(tc.stderr), tc.exit)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if v := resp.Value(facts.KeyMSV10, "RestrictSendingNTLMTraffic"); v == nil || !v.Present || *v.DWORD != 2 {
					t.Fatalf("wrong facts: %+v", v)
				}
				if v := resp.Value(facts.KeyMSV10, "ClientAllowedNTLMServers"); v == nil || v.Present {
					t.Fatalf("absent value must stay absent: %+v", v)
				}
				return
			}
			if err == nil {
				t.Fatalf("want %T, got facts", tc.wantErr)
			}
			switch tc.wantErr.(type) {
			case *ScriptError:
				var e *ScriptError
				if !errors.As(err, &e) {
					t.Fatalf("want *ScriptError, got %T: %v", err, err)
				}
			case *MalformedError:
				var e *MalformedError
				if !errors.As(err, &e) {
					t.Fatalf("want *MalformedError, got %T: %v", err, err)
				}
			case *facts.SchemaError:
				var e *facts.SchemaError
				if !errors.As(err, &e) {
					t.Fatalf("want *facts.SchemaError, got %T: %v", err, err)
				}
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q does not mention %q", err, tc.contains)
			}
			if strings.ContainsAny(err.Error(), "\r\n\x00") {
				t.Errorf("error carries control characters: %q", err)
			}
		})
	}
}

func TestStderrText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "line one\r\nline two\r\n", "line one line two"},
		{"clixml error", "#< CLIXML\r\n<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\"><S S=\"Error\">boom_x000D__x000A_</S><S S=\"Error\">at line 1_x000D__x000A_</S></Objs>", "boom at line 1"},
		{"progress only", "#< CLIXML\r\n<Objs Version=\"1.1.0.1\"><Obj S=\"progress\" RefId=\"0\"><MS><AV>Preparing</AV></MS></Obj></Objs>", ""},
		{"text around clixml", "before\r\n#< CLIXML\r\n<Objs><S S=\"Error\">inside</S></Objs>after", "before inside after"},
		{"broken clixml", "#< CLIXML\r\n<Objs><S S=\"Error\">cut", ""},
		{"control chars", "bell\x07 and \x1b[31mred", `bell\x07 and \x1b[31mred`},
		{"escape in clixml", "#< CLIXML\r\n<Objs><S S=\"Error\">_x001B_[31mred_x001B_[0m_x000D__x000A_</S></Objs>", `\x1b[31mred\x1b[0m`},
		{"bidi override in clixml", "#< CLIXML\r\n<Objs><S S=\"Error\">file_x202E_txt.exe</S></Objs>", `file\u202etxt.exe`},
		{"two blocks", "#< CLIXML\r\n<Objs><S S=\"Error\">a</S></Objs>#< CLIXML\r\n<Objs><S S=\"Error\">b</S></Objs>", "a b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := StderrText([]byte(tc.in), 200); got != tc.want {
				t.Errorf("StderrText = %q, want %q", got, tc.want)
			}
		})
	}
	long := strings.Repeat("x", 5000)
	if got := StderrText([]byte(long), 100); len(got) > 110 {
		t.Errorf("not bounded: %d bytes", len(got))
	}
}

// FuzzExtract: marker extraction never panics, and what it returns lies
// strictly between one begin and one end marker line.
func FuzzExtract(f *testing.F) {
	f.Add([]byte(wrap(sampleJSON)))
	f.Add([]byte("noise\r\n" + wrap("{}") + "noise"))
	f.Add([]byte(facts.BeginMarker + "\n" + facts.BeginMarker + "\n" + facts.EndMarker))
	f.Add([]byte(facts.EndMarker + facts.BeginMarker))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, stdout []byte) {
		doc, err := Extract(stdout)
		if err != nil {
			var me *MalformedError
			if !errors.As(err, &me) {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		if len(doc) == 0 {
			t.Fatal("empty document without an error")
		}
		if strings.Contains(string(doc), facts.BeginMarker+"\n") || strings.Contains(string(doc), "\n"+facts.EndMarker) {
			t.Fatalf("document contains a marker line: %q", doc)
		}
	})
}

// FuzzDecodeFacts: decoding the collector's JSON never panics, returns only
// the documented error types, and accepted facts re-encode and decode to
// the same value.
func FuzzDecodeFacts(f *testing.F) {
	f.Add([]byte(sampleJSON))
	f.Add([]byte(`{"schema":3}`))
	f.Add([]byte(`{"schema":1,"identity":{},"registry":[]}`))
	f.Add([]byte(`{"schema":1,"registry":[{"key":"","name":"x"}]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"schema":1e400}`))
	req := sampleRequest()
	empty := facts.Request{Schema: facts.SchemaVersion}
	f.Fuzz(func(t *testing.T, doc []byte) {
		for _, r := range []facts.Request{req, empty} {
			resp, err := Decode(r, doc)
			if err != nil {
				var (
					me *MalformedError
					se *facts.SchemaError
				)
				if !errors.As(err, &me) && !errors.As(err, &se) {
					t.Fatalf("error of type %T: %v", err, err)
				}
				continue
			}
			again, err := json.Marshal(resp)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Decode(r, again); err != nil {
				t.Fatalf("accepted facts do not round-trip: %v", err)
			}
		}
	})
}
