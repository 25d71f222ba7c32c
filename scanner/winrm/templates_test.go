package winrm

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	mzwinrm "github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"
)

var msgIDRE = regexp.MustCompile(`uuid:[0-9a-f-]{36}`)

// TestTemplatesMatchMasterzen: every request the driver sends is what
// masterzen's own request builder produces (MessageID aside), except the
// two options the driver changes on purpose.
func TestTemplatesMatchMasterzen(t *testing.T) {
	const url, shell, cmd = "http://127.0.0.1:5985/wsman", "SHELL-1", "CMD-1"
	params := mzwinrm.NewParameters("PT20S", "en-US", DefaultEnvelopeSize)
	d := &shellDriver{url: url, params: params}
	render := func(k templateKind, v *values) string {
		var b bytes.Buffer
		templateFor(k).render(&b, v, nil)
		return b.String()
	}
	norm := func(s string) string { return msgIDRE.ReplaceAllString(s, "uuid:ID") }
	withPayload := func(v *values, p string) *values { v[slotPayload] = p; return v }
	tests := []struct {
		name       string
		ours       string
		masterzen  *soap.SoapMessage
		changedOpt [2]string // masterzen's option text, ours
	}{
		{"Create", render(tmplCreate, d.values("", "")), mzwinrm.NewOpenShellRequest(url, params),
			[2]string{`Name="WINRS_NOPROFILE">FALSE`, `Name="WINRS_NOPROFILE">TRUE`}},
		{"Command", render(tmplCommand, withPayload(d.values(shell, ""), "echo a&b")), mzwinrm.NewExecuteCommandRequest(url, shell, "echo a&b", nil, params),
			[2]string{`Name="WINRS_CONSOLEMODE_STDIN">TRUE`, `Name="WINRS_CONSOLEMODE_STDIN">FALSE`}},
		{"Send", render(tmplSendEnd, withPayload(d.values(shell, cmd), "aGk=")), mzwinrm.NewSendInputRequest(url, shell, cmd, []byte("hi"), true, params), [2]string{}},
		{"SendMore", render(tmplSendMore, withPayload(d.values(shell, cmd), "aGk=")), mzwinrm.NewSendInputRequest(url, shell, cmd, []byte("hi"), false, params), [2]string{}},
		{"Receive", render(tmplReceive, d.values(shell, cmd)), mzwinrm.NewGetOutputRequest(url, shell, cmd, "stdout stderr", params), [2]string{}},
		{"Signal", render(tmplSignal, d.values(shell, cmd)), mzwinrm.NewSignalRequest(url, shell, cmd, params), [2]string{}},
		{"Delete", render(tmplDelete, d.values(shell, "")), mzwinrm.NewDeleteShellRequest(url, shell, params), [2]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := norm(tc.masterzen.String())
			if tc.changedOpt[0] != "" {
				if !strings.Contains(want, tc.changedOpt[0]) {
					t.Fatalf("masterzen no longer sends %s", tc.changedOpt[0])
				}
				want = strings.Replace(want, tc.changedOpt[0], tc.changedOpt[1], 1)
			}
			if got := norm(tc.ours); got != want {
				t.Errorf("request differs from masterzen's:\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestSafeID(t *testing.T) {
	for id, want := range map[string]bool{
		"5C1B3E0E-6A86-4D8B-9C7A-2F1E0D3C4B5A": true, "{A-1}": true, "": false,
		`x</w:Selector><evil/>`: false, "a b": false, strings.Repeat("A", 101): false,
	} {
		if got := safeID(id); got != want {
			t.Errorf("safeID(%q) = %v", id, got)
		}
	}
}
