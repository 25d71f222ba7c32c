package winrmtest

import (
	"context"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/scanner/smbprobe"
)

const smbLab = `
domains:
  - name: corp.example
    users: [{name: svc, password: Lab-Only-Passw0rd!}]
hosts:
  - name: FS01
    address: 127.0.0.41
    domain: corp.example
    os: {build: 20348}
    registry:
      - path: HKLM\SYSTEM\CurrentControlSet\Services\LanManServer\Parameters\RequireSecuritySignature
        type: REG_DWORD
        value: 1
    smbServer: {}
  - name: NAS01
    address: 127.0.0.42
    users: [{name: rr, password: Lab-Only-NAS1!}]
    winrm: {http: false}
    smbServer: {dialect: "3.0.2"}
  - name: OLDNAS
    address: 127.0.0.43
    users: [{name: rr, password: Lab-Only-NAS1!}]
    winrm: {http: false}
    smbServer: {smb1Only: true, signingRequired: false}
  - name: LOCKED
    address: 127.0.0.44
    users: [{name: rr, password: Lab-Only-NAS1!}]
    winrm: {http: false}
    smbServer: {dialect: "2.1", ntlm: false}
  - name: NOSMB
    address: 127.0.0.45
    os: {build: 20348}
`

// TestSimulatedSMB: the lab's share hosts answer ntlmscan's SMB probe (the
// reference client here) as their knobs say; a host without smbServer
// serves no SMB.
func TestSimulatedSMB(t *testing.T) {
	t.Parallel()
	srv := startLab(t, newLab(t, smbLab))
	tests := []struct {
		host            string
		cred            *smbprobe.Credential
		dialect         uint16
		smb1Only        bool
		signingRequired bool
		mechs           []string
		outcome         string
	}{
		{"FS01", &smbprobe.Credential{Username: `CORP\svc`, Password: "Lab-Only-Passw0rd!"}, smbprobe.Dialect311, false, true,
			[]string{"ms-kerberos", "kerberos", "ntlmssp"}, smbprobe.AuthAccepted},
		{"NAS01", &smbprobe.Credential{Username: `NAS01\rr`, Password: "Lab-Only-NAS1!"}, smbprobe.Dialect302, false, false,
			[]string{"ntlmssp"}, smbprobe.AuthAccepted},
		{"NAS01", &smbprobe.Credential{Username: `NAS01\rr`, Password: "wrong"}, smbprobe.Dialect302, false, false,
			[]string{"ntlmssp"}, smbprobe.AuthWrongCredential},
		{"OLDNAS", &smbprobe.Credential{Username: `OLDNAS\rr`, Password: "Lab-Only-NAS1!"}, 0, true, false,
			[]string{"ntlmssp"}, ""},
		{"LOCKED", &smbprobe.Credential{Username: `LOCKED\rr`, Password: "Lab-Only-NAS1!"}, smbprobe.Dialect210, false, false,
			[]string{"ntlmssp"}, smbprobe.AuthRefusedPolicy},
	}
	for _, tc := range tests {
		ep, _ := srv.Host(tc.host)
		if ep.SMBPort == 0 {
			t.Fatalf("%s has no SMB port", tc.host)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		r, err := smbprobe.Probe(ctx, net.JoinHostPort(ep.Address, strconv.Itoa(ep.SMBPort)), smbprobe.Options{Credential: tc.cred})
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", tc.host, err)
		}
		if r.Dialect != tc.dialect || r.SMB1Only != tc.smb1Only || r.SigningRequired != tc.signingRequired || !slices.Equal(r.Mechanisms, tc.mechs) {
			t.Errorf("%s: %+v", tc.host, r)
		}
		got := ""
		if r.Session != nil {
			got = r.Session.Outcome
		}
		if got != tc.outcome {
			t.Errorf("%s as %s: outcome %q (%s), want %q", tc.host, tc.cred.Username, got, r.SessionError, tc.outcome)
		}
	}
	if ep, _ := srv.Host("NOSMB"); ep.SMBPort != 0 {
		t.Errorf("NOSMB serves SMB on %d", ep.SMBPort)
	}
}

func TestSMBServerValidation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ knobs, want string }{
		{`{dialect: "4.0"}`, `smbServer.dialect "4.0" is not one of`},
		{`{smb1Only: true, dialect: "2.1"}`, "smb1Only and dialect exclude each other"},
		{`{port: 70000}`, "not a TCP port"},
		{`{port: 5985}`, "also a WinRM port"},
		{`{dialekt: "2.1"}`, "dialekt"},
	} {
		_, err := ParseLab([]byte("hosts:\n  - name: H1\n    address: 127.0.0.51\n    os: {build: 20348}\n    smbServer: "+tc.knobs+"\n"), "lab.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.knobs, err, tc.want)
		}
	}
}

// FuzzSMBServer feeds the simulated SMB service arbitrary frames: it must
// answer or hang up, never panic or hang.
func FuzzSMBServer(f *testing.F) {
	lab, err := ParseLab([]byte(smbLab), "smb.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte("\xfeSMB@\x00\x00\x00\x00\x00\x00\x00\x00\x00"), false)
	f.Add([]byte("\xffSMBr\x00\x00\x00\x00\x18S\xc8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x0c\x00\x02NT LM 0.12\x00"), true)
	f.Fuzz(func(t *testing.T, msg []byte, smb1 bool) {
		h := lab.HostByName("NAS01")
		if smb1 {
			h = lab.HostByName("OLDNAS")
		}
		hs := &hostServer{srv: &Server{lab: lab}, h: h}
		client, server := net.Pipe()
		done := make(chan struct{})
		go func() { defer close(done); defer server.Close(); hs.serveSMB(server) }()
		_ = client.SetDeadline(time.Now().Add(time.Second))
		_ = smbWrite(client, msg)
		_, _ = smbRead(client)
		client.Close()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			t.Fatal("serveSMB did not return after the client hung up")
		}
	})
}

// A fixed SMB port the lab cannot bind (held by another process, or 445
// without privileges) leaves that host without SMB; the lab still starts.
func TestSMBPortTaken(t *testing.T) {
	t.Parallel()
	lab := newLab(t, "hosts:\n  - name: NAS09\n    address: 127.0.0.49\n    winrm: {http: false}\n    smbServer: {}\n")
	held, err := net.Listen("tcp4", lab.Hosts[0].Address+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	lab.Hosts[0].SMBServer.Port = held.Addr().(*net.TCPAddr).Port
	srv, err := NewServer(lab)
	if err != nil {
		t.Fatalf("the lab failed over an SMB port: %v", err)
	}
	defer srv.Close()
	if ep, _ := srv.Host("NAS09"); ep.SMBPort != 0 {
		t.Errorf("SMBPort %d, want 0 (not served)", ep.SMBPort)
	}
}
