package winrmtest

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// TestDemoLab checks that examples/lab.yaml is the demo fleet: the hosts the
// README lists ("Try it in one command"), with the settings that give each
// path the verdict it is designed to get (demoDesign in report/verdict).
func TestDemoLab(t *testing.T) {
	lab, err := LoadLab("../../../examples/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, h := range lab.Hosts {
		names = append(names, h.Name)
	}
	wantNames := []string{"DC01", "DC02", "CORE01", "CORE02", "CORE03", "AGENT01", "AGENT02", "AGENT03", "AGENT04", "AGENT05", "AGENT06", "AGENT07", "FS01", "NAS01"}
	if !reflect.DeepEqual(names, wantNames) {
		t.Fatalf("hosts %v, want %v", names, wantNames)
	}
	host := func(name string) *Host { return lab.HostByName(name) }

	core01 := host("CORE01")
	r := core01.registryValue(facts.KeyMSV10, "ClientAllowedNTLMServers")
	want := []string{"agent01.corp.example", "AGENT01", "fs01.corp.example", "FS01", "agent04.corp.example", "AGENT04", "127.0.0.35"}
	if r == nil || r.Type != facts.RegMultiSZ || !reflect.DeepEqual(r.strs, want) {
		t.Errorf("CORE01 ClientAllowedNTLMServers = %+v", r)
	}
	if v, ok := core01.dword(facts.KeyMSV10, "RestrictSendingNTLMTraffic"); !ok || v != 2 {
		t.Errorf("CORE01 RestrictSendingNTLMTraffic = %d, %v", v, ok)
	}
	if v, ok := core01.dword(facts.KeyLsa, "LmCompatibilityLevel"); !ok || v != 5 {
		t.Errorf("CORE01 LmCompatibilityLevel = %d, %v", v, ok)
	}
	if _, ok := host("AGENT01").dword(facts.KeyLsa, "LmCompatibilityLevel"); ok {
		t.Error("AGENT01 LmCompatibilityLevel must be absent, not 0")
	}
	if s := core01.service("RapidRecoveryCore"); !s.Present || s.LogonAs != `CORP\svc-rapidrecovery` || s.State != "Running" {
		t.Errorf("CORE01 service %+v", s)
	}
	core02 := host("CORE02")
	if smb := core02.smbClientConfig(); smb.BlockNTLM == nil || !*smb.BlockNTLM {
		t.Errorf("CORE02 SMB BlockNTLM %+v", smb)
	}
	if v, ok := host("AGENT03").dword(facts.KeyMSV10, "RestrictReceivingNTLMTraffic"); !ok || v != 1 {
		t.Error("AGENT03 must deny domain accounts")
	}
	if a := host("AGENT05"); a.IsDomainMember() || a.Workgroup != "DMZ" || a.kerberosAdvertised() {
		t.Errorf("AGENT05 must be in workgroup DMZ without Kerberos: %+v", a)
	}
	if host("AGENT07").negotiateEnabled() || !host("AGENT07").kerberosAdvertised() {
		t.Error("AGENT07 must offer Kerberos only")
	}
	// The second-site Core: a workgroup host reached by address, with the
	// local account CORE01's replication uses and the Core service port open.
	if c3 := host("CORE03"); c3.IsDomainMember() || c3.Workgroup != "DR" || c3.Address != "127.0.0.23" || !c3.listensOn(8006) ||
		c3.service("RapidRecoveryCore").State != "Running" || lab.cut(core01, c3, c3.Address, 8006) {
		t.Errorf("CORE03 must be a reachable workgroup Core: %+v", c3)
	}
	if _, ok := lab.Password("CORE03", "rr-replication"); !ok {
		t.Error("CORE03 lacks the local account rr-replication")
	}
	if nas := host("NAS01"); nas.ServesWinRM() || !nas.listensOn(445) || nas.listensOn(5985) {
		t.Error("NAS01 must have no WinRM and listen on 445 only")
	}
	if !lab.cut(core02, host("AGENT06"), host("AGENT06").Address, 8006) || lab.cut(core01, host("AGENT06"), host("AGENT06").Address, 8006) {
		t.Error("network cut CORE02 -> AGENT06 missing or too wide")
	}
	if dc := host("DC01"); dc.role != facts.RolePrimaryDC || host("DC02").role != facts.RoleBackupDC {
		t.Errorf("DC roles %d/%d", dc.role, host("DC02").role)
	}
	for _, h := range lab.Hosts {
		if !h.ServesWinRM() {
			continue
		}
		if h.WinRM.AllowUnencrypted || h.WinRM.Basic || h.WinRM.HTTPPort != 5985 || h.WinRM.HTTPS {
			t.Errorf("%s WinRM %+v, want HTTP 5985, Basic off, AllowUnencrypted false", h.Name, h.WinRM)
		}
	}

	passwords := []struct {
		host, user, want string
		ok               bool
	}{
		{"CORE01", `CORP\svc-ntlmscan`, "Lab-Only-Passw0rd!", true},
		{"agent01.corp.example", "svc-ntlmscan@corp.example", "Lab-Only-Passw0rd!", true},
		{"127.0.0.21", `CORP\svc-rapidrecovery`, "Lab-Only-RR-2026!", true},
		{"AGENT03", `AGENT03\ntlmscan-local`, "Lab-Only-Local1!", true},
		{"AGENT03", `.\ntlmscan-local`, "Lab-Only-Local1!", true},
		{"AGENT05", `rr-local`, "Lab-Only-RR-Local1!", true},
		{"AGENT05", `CORP\svc-ntlmscan`, "", false}, // workgroup host: no domain accounts
		{"CORE01", `ntlmscan-local`, "", false},
		{"NOSUCH", `CORP\svc-ntlmscan`, "", false},
	}
	for _, p := range passwords {
		got, ok := lab.Password(p.host, p.user)
		if got != p.want || ok != p.ok {
			t.Errorf("Password(%s, %s) = %q, %v; want %q, %v", p.host, p.user, got, ok, p.want, p.ok)
		}
	}
}

// TestParseLabErrors: one bad lab per rule, each error naming file and line.
func TestParseLabErrors(t *testing.T) {
	const base = "domains:\n  - name: corp.example\n    users: [{name: u, password: p}]\nhosts:\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"empty", "", "the lab is empty"},
		{"no hosts", "domains: []\n", "has no hosts"},
		{"unknown key", base + "  - name: A\n    adress: 127.0.0.1\n", `test.yaml:6: hosts[0].adress: unknown key "adress" (did you mean "address"?)`},
		{"unknown nested key", base + "  - name: A\n    address: 127.0.0.1\n    os: {build: 1, kernel: x}\n", `test.yaml:7: hosts[0].os.kernel: unknown key "kernel" (valid keys here: caption, build, version)`},
		{"repeated key", base + "  - name: A\n    address: 127.0.0.1\n    address: 127.0.0.2\n", `test.yaml:7: hosts[0].address: duplicate key "address" (first defined on line 6)`},
		{"list where a mapping belongs", "hosts:\n  - [A]\n", "test.yaml:2: hosts[0]: must be a mapping (key: value pairs), not a list"},
		{"number out of range", base + "  - {name: A, address: 127.0.0.1, os: {build: 99999999999999999999}}\n", "test.yaml:5: hosts[0].os.build: 99999999999999999999 is out of range"},
		{"every problem at once", base + "  - name: A\n    adress: 127.0.0.1\n    os: {biuld: 1}\n", "test.yaml:6: hosts[0].adress: unknown key \"adress\" (did you mean \"address\"?)\ntest.yaml:7: hosts[0].os.biuld: unknown key \"biuld\" (did you mean \"build\"?)"},
		{"wrong type", base + "  - name: A\n    address: 127.0.0.1\n    listens: nope\n", "test.yaml:7: hosts[0].listens: must be a list, not text"},
		{"missing address", base + "  - name: A\n    os: {build: 20348}\n", "test.yaml:5: host \"A\": address is required"},
		{"address outside loopback", base + "  - name: A\n    address: 10.0.0.1\n    os: {build: 20348}\n", "outside 127.0.0.0/8"},
		{"address not IPv4", base + "  - name: A\n    address: ::1\n    os: {build: 20348}\n", "not an IPv4 address"},
		{"duplicate name", base + "  - {name: A, address: 127.0.0.1, os: {build: 1}}\n  - {name: a, address: 127.0.0.2, os: {build: 1}}\n", "test.yaml:6: host \"a\": duplicate host name (first defined at line 5)"},
		{"duplicate address", base + "  - {name: A, address: 127.0.0.1, os: {build: 1}}\n  - {name: B, address: 127.0.0.1, os: {build: 1}}\n", "address 127.0.0.1 is already used by host A"},
		{"bad netbios name", base + "  - {name: WAY-TOO-LONG-NAME-X, address: 127.0.0.1, os: {build: 1}}\n", "must be a NetBIOS computer name"},
		{"unknown domain", base + "  - {name: A, address: 127.0.0.1, domain: other.example, os: {build: 1}}\n", "domain \"other.example\" is not defined"},
		{"domain and workgroup", base + "  - {name: A, address: 127.0.0.1, domain: corp.example, workgroup: W, os: {build: 1}}\n", "either domain or workgroup"},
		{"dc without domain", base + "  - {name: A, address: 127.0.0.1, domainController: true, os: {build: 1}}\n", "domain controller needs a domain"},
		{"no build", base + "  - {name: A, address: 127.0.0.1}\n", "os.build is required"},
		{"blockNTLM before 26100", base + "  - {name: A, address: 127.0.0.1, os: {build: 20348}, smbClient: {blockNTLM: true}}\n", "build 26100"},
		{"registry bad path", base + "  - {name: A, address: 127.0.0.1, os: {build: 1}, registry: [{path: RestrictSendingNTLMTraffic, type: REG_DWORD, value: 1}]}\n", "must be a full value path"},
		{"registry bad type", base + "  - {name: A, address: 127.0.0.1, os: {build: 1}, registry: [{path: 'HKLM\\X\\Y', type: REG_BINARY, value: 1}]}\n", "REG_BINARY\" is not supported"},
		{"registry dword not a number", base + "  - {name: A, address: 127.0.0.1, os: {build: 1}, registry: [{path: 'HKLM\\X\\Y', type: REG_DWORD, value: two}]}\n", "REG_DWORD needs a number"},
		{"registry dword too big", base + "  - {name: A, address: 127.0.0.1, os: {build: 1}, registry: [{path: 'HKLM\\X\\Y', type: REG_DWORD, value: 4294967296}]}\n", "does not fit"},
		{"registry multi_sz not a list", base + "  - {name: A, address: 127.0.0.1, os: {build: 1}, registry: [{path: 'HKLM\\X\\Y', type: REG_MULTI_SZ, value: a}]}\n", "list of strings"},
		{"registry duplicate", base + "  - {name: A, address: 127.0.0.1, os: {build: 1}, registry: [{path: 'HKLM\\X\\Y', type: REG_SZ, value: a}, {path: 'HKEY_LOCAL_MACHINE\\x\\y', type: REG_SZ, value: b}]}\n", "listed twice"},
		{"service state", base + "  - {name: A, address: 127.0.0.1, os: {build: 1}, services: [{name: S, state: Sleeping}]}\n", "state \"Sleeping\""},
		{"port range", base + "  - {name: A, address: 127.0.0.1, os: {build: 1}, listens: [0]}\n", "not a TCP port"},
		{"same http and https port", base + "  - {name: A, address: 127.0.0.1, os: {build: 1}, winrm: {https: true, httpsPort: 5985}}\n", "both 5985"},
		{"reject style", base + "  - {name: A, address: 127.0.0.1, os: {build: 1}, winrm: {rejectUnencrypted: 403}}\n", "rejectUnencrypted must be 401"},
		{"user without password", base + "  - {name: A, address: 127.0.0.1, os: {build: 1}, users: [{name: x}]}\n", "has no password"},
		{"cut to unknown host", base + "  - {name: A, address: 127.0.0.1, os: {build: 1}}\nnetwork:\n  cuts:\n    - {from: A, to: B}\n", "test.yaml:8: network cut 1: to \"B\" is not a lab host"},
		{"fault value", base + "  - {name: A, address: 127.0.0.1, os: {build: 1}, faults: {malformedXML: Signal}}\n", "malformedXML must be"},
		{"bad duration", base + "  - {name: A, address: 127.0.0.1, os: {build: 1}, faults: {latency: soon}}\n", `test.yaml:5: hosts[0].faults.latency: must be a duration such as 60s or 1m30s, not "soon"`},
		{"domain name", "domains: [{name: corp}]\nhosts: [{name: A, address: 127.0.0.1, os: {build: 1}}]\n", "DNS domain name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseLab([]byte(tc.yaml), "test.yaml")
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\nwant it to contain %q", err, tc.want)
			}
			var le *LabError
			if !errors.As(err, &le) {
				t.Errorf("error %T is not a *LabError", err)
			}
			if strings.Contains(err.Error(), "winrmtest.") {
				t.Errorf("error leaks Go type names: %q", err)
			}
		})
	}
}

func TestLoadLabFileErrors(t *testing.T) {
	if _, err := LoadLab(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
	path := filepath.Join(t.TempDir(), "lab.yaml")
	if err := os.WriteFile(path, []byte("hosts:\n  - name: A\n    address: 127.0.0.1\n    bogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadLab(path); err == nil || !strings.Contains(err.Error(), path+":4:") {
		t.Errorf("err = %v, want %s:4", err, path)
	}
}

// TestNTLMEventsStored: operational events are kept in the model as written.
func TestNTLMEventsStored(t *testing.T) {
	lab, err := ParseLab([]byte(`
hosts:
  - name: A
    address: 127.0.0.1
    os: {build: 20348}
    ntlmEvents:
      - id: 4001
        time: 2026-03-01T10:00:00Z
        fields: {TargetName: 'cifs/127.0.0.32', ProcessName: 'Core.Service.exe'}
`), "events.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ev := lab.Hosts[0].NTLMEvents
	want := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	if len(ev) != 1 || ev[0].ID != 4001 || !ev[0].Time.Equal(want) || ev[0].Fields["TargetName"] != "cifs/127.0.0.32" {
		t.Errorf("events %+v", ev)
	}
}

// TestValidateProgrammaticLab: a Lab built in code gets the same defaults.
func TestValidateProgrammaticLab(t *testing.T) {
	lab := &Lab{Hosts: []*Host{{Name: "web1", Address: "127.0.0.9", OS: OS{Build: 17763},
		Registry: []RegistryEntry{{Path: `HKEY_LOCAL_MACHINE\SOFTWARE\X\Y`, Type: "reg_dword", Value: "0x10"}}}}}
	if err := lab.Validate(); err != nil {
		t.Fatal(err)
	}
	h := lab.Hosts[0]
	if h.Name != "WEB1" || h.FQDN != "web1" || h.Workgroup != "WORKGROUP" || h.WinRM.HTTPPort != 5985 ||
		h.WinRM.RejectUnencrypted != 500 || h.WinRM.IdleTimeout != 120*time.Second || h.osVersion() != "10.0.17763" {
		t.Errorf("defaults not applied: %+v", h)
	}
	if v, ok := h.dword(`HKLM\SOFTWARE\X`, "y"); !ok || v != 16 {
		t.Errorf("registry = %d, %v", v, ok)
	}
	if err := lab.Validate(); err != nil {
		t.Errorf("Validate is not idempotent: %v", err)
	}
}
