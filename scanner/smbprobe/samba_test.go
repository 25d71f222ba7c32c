package smbprobe_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/scanner/internal/samba"
	"github.com/ntlmscan/ntlmscan/scanner/smbprobe"
)

func probe(t *testing.T, addr string, opts smbprobe.Options) *smbprobe.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := smbprobe.Probe(ctx, addr, opts)
	if err != nil {
		t.Fatalf("Probe(%s): %v", addr, err)
	}
	return r
}

// TestSamba probes a real smbd per configuration variant, with the right
// password and then a wrong one, and checks what the probe reports.
func TestSamba(t *testing.T) {
	type want struct {
		dialect         uint16
		smb1Only        bool
		signingRequired bool
		right, wrong    string // session outcomes; "" = not attempted
		rightStatus     uint32
	}
	tests := []struct {
		name string
		conf []string
		want want
	}{
		{"default", nil, want{dialect: smbprobe.Dialect311, right: smbprobe.AuthAccepted, wrong: smbprobe.AuthWrongCredential}},
		{"signing mandatory", []string{"server signing = mandatory"},
			want{dialect: smbprobe.Dialect311, signingRequired: true, right: smbprobe.AuthAccepted, wrong: smbprobe.AuthWrongCredential}},
		{"min protocol SMB3", []string{"server min protocol = SMB3"},
			want{dialect: smbprobe.Dialect311, right: smbprobe.AuthAccepted, wrong: smbprobe.AuthWrongCredential}},
		{"min protocol SMB3_11", []string{"server min protocol = SMB3_11"},
			want{dialect: smbprobe.Dialect311, right: smbprobe.AuthAccepted, wrong: smbprobe.AuthWrongCredential}},
		{"max protocol SMB2_10", []string{"server max protocol = SMB2_10"},
			want{dialect: smbprobe.Dialect210, right: smbprobe.AuthAccepted, wrong: smbprobe.AuthWrongCredential}},
		{"only SMB2_02", []string{"server min protocol = SMB2_02", "server max protocol = SMB2_02"},
			want{dialect: smbprobe.Dialect202, right: smbprobe.AuthAccepted, wrong: smbprobe.AuthWrongCredential}},
		{"SMB1 only", []string{"server min protocol = NT1", "server max protocol = NT1"},
			want{smb1Only: true}},
		{"NTLM disabled", []string{"ntlm auth = disabled"},
			want{dialect: smbprobe.Dialect311, right: smbprobe.AuthRefusedPolicy, wrong: smbprobe.AuthRefusedPolicy, rightStatus: smbprobe.StatusNTLMBlocked}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := samba.Start(t, "127.0.0.1", tt.conf...)
			for _, pw := range []struct {
				password, outcome string
				status            uint32
			}{{s.Password, tt.want.right, tt.want.rightStatus}, {"Wrong-" + s.Password, tt.want.wrong, 0}} {
				r := probe(t, s.Addr, smbprobe.Options{Credential: &smbprobe.Credential{Username: s.User, Password: pw.password}})
				if r.Dialect != tt.want.dialect || r.SMB1Only != tt.want.smb1Only || r.SigningRequired != tt.want.signingRequired {
					t.Errorf("dialect %s smb1Only %v signingRequired %v, want %s %v %v",
						smbprobe.DialectName(r.Dialect), r.SMB1Only, r.SigningRequired,
						smbprobe.DialectName(tt.want.dialect), tt.want.smb1Only, tt.want.signingRequired)
				}
				if !r.SMB1Only && !r.SigningEnabled {
					t.Error("SMB2 signing not enabled: SMB2 servers always enable it")
				}
				if !slices.Equal(r.Mechanisms, []string{smbprobe.MechNTLMSSP}) || r.MechanismsError != "" {
					t.Errorf("mechanisms %v (%s), want [ntlmssp] (a standalone Samba offers no Kerberos)", r.Mechanisms, r.MechanismsError)
				}
				got := ""
				if r.Session != nil {
					got = r.Session.Outcome
					if pw.status != 0 && r.Session.Status != pw.status {
						t.Errorf("status %s, want %s", smbprobe.StatusName(r.Session.Status), smbprobe.StatusName(pw.status))
					}
				}
				if got != pw.outcome {
					t.Errorf("session outcome %q (error %q), want %q\n%s", got, r.SessionError, pw.outcome, s.Log())
				}
				if pw.outcome == "" && !strings.Contains(r.SessionError, "SMB1") {
					t.Errorf("session error %q should say the SMB1-only server was not logged on to", r.SessionError)
				}
			}
		})
	}
}

// TestSambaOneAttempt: a shared Attempts lets one credential try one server
// once per run, however many probes ask; another server or credential is
// still tried.
func TestSambaOneAttempt(t *testing.T) {
	s := samba.Start(t, "127.0.0.1")
	var att smbprobe.Attempts
	wrong := &smbprobe.Credential{Username: s.User, Password: "Wrong-" + s.Password}
	first := probe(t, s.Addr, smbprobe.Options{Credential: wrong, Attempts: &att})
	if first.Session == nil || first.Session.Outcome != smbprobe.AuthWrongCredential {
		t.Fatalf("first attempt: %+v (%s)", first.Session, first.SessionError)
	}
	again := probe(t, s.Addr, smbprobe.Options{Credential: &smbprobe.Credential{Username: strings.ToUpper(s.User), Password: s.Password}, Attempts: &att})
	if again.Session != nil || !strings.Contains(again.SessionError, "already tried") {
		t.Fatalf("second attempt with the same user was sent: %+v (%s)", again.Session, again.SessionError)
	}
	if again.Dialect != smbprobe.Dialect311 {
		t.Errorf("the negotiate facts are still reported: dialect %s", smbprobe.DialectName(again.Dialect))
	}
	other := samba.Start(t, "127.0.0.1")
	r := probe(t, other.Addr, smbprobe.Options{Credential: &smbprobe.Credential{Username: other.User, Password: other.Password}, Attempts: &att})
	if r.Session == nil || r.Session.Outcome != smbprobe.AuthAccepted {
		t.Errorf("another server: %+v (%s)", r.Session, r.SessionError)
	}
}

// TestSambaGuest: with "map to guest = bad user" an unknown account gets a
// guest session, which the probe reports as such, not as accepted.
func TestSambaGuest(t *testing.T) {
	t.Parallel()
	s := samba.Start(t, "127.0.0.1", "map to guest = bad user", "guest account = nobody")
	r := probe(t, s.Addr, smbprobe.Options{Credential: &smbprobe.Credential{Username: "no-such-user", Password: "x"}})
	if r.Session == nil || r.Session.Outcome != smbprobe.AuthGuest {
		t.Fatalf("session %+v (%s)\n%s", r.Session, r.SessionError, s.Log())
	}
}
