package render_test

import (
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/report/internal/reporttest"
	"github.com/ntlmscan/ntlmscan/report/render"
	"github.com/ntlmscan/ntlmscan/report/verdict"
)

// TestAuthMethodShown: every text report says which hosts were scanned
// over Kerberos, and where auth: auto used NTLM, why (a host whose policy
// refuses NTLM must not pass as scanned over NTLM without a word).
func TestAuthMethodShown(t *testing.T) {
	t.Parallel()
	r := reporttest.DemoFull()
	n := 0
	for i := range r.Hosts {
		h := &r.Hosts[i]
		if h.Facts == nil {
			continue
		}
		switch n {
		case 0:
			h.Auth = "kerberos"
			h.Host = "KRBHOST"
		case 1:
			h.Auth, h.AuthNote = "ntlm", "auto: NTLM because the host is not in a domain"
			h.Host = "FALLBACKHOST"
		default:
			h.Auth = "ntlm"
		}
		n++
	}
	for _, f := range []string{"table", "markdown", "html"} {
		out := string(render1(t, f, r, render.Options{}))
		for _, want := range []string{"Kerberos", "KRBHOST", "FALLBACKHOST", "auto: NTLM because the host is not in a domain"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s report lacks %q", f, want)
			}
		}
	}
}

// TestListValueNotRepeated: a list setting cited by its size reads
// "Setting=[7 entries]", not "Setting=[7 entries] (7 entries)".
func TestListValueNotRepeated(t *testing.T) {
	t.Parallel()
	r := reporttest.DemoFull()
	p := &r.Matrix.Paths[0]
	p.Deciding = &verdict.Reason{Host: "CORE01", Setting: "ClientAllowedNTLMServers", RawValue: "[7 entries]", ValueLabel: "7 entries", Effect: verdict.EffectRisk}
	// Paths[0] is ok: --all lists it.
	out := string(render1(t, "table", r, render.Options{All: true}))
	if !strings.Contains(out, "ClientAllowedNTLMServers=[7 entries]") || strings.Contains(out, "[7 entries] (7 entries)") {
		t.Errorf("want ClientAllowedNTLMServers=[7 entries] once:\n%s", out)
	}
}
