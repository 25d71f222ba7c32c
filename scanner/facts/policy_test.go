package facts

import (
	"fmt"
	"testing"
)

// rsopResponse is a host whose RSoP has n GPOs, each setting every
// catalogue value (the last GPO listed wins nothing: precedence grows).
func rsopResponse(n int) *Response {
	p := &PolicySources{Method: "rsop-wmi", Status: PolicyOK}
	for g := range n {
		id := fmt.Sprintf("CN={%08d-0000-0000-0000-000000000000},CN=Policies,CN=System,DC=corp,DC=example", g)
		p.GPOs = append(p.GPOs, GPO{ID: id, Name: fmt.Sprintf("GPO %d", g), GUID: fmt.Sprintf("{%08d-0000-0000-0000-000000000000}", g)})
		for _, s := range Settings {
			path := `MACHINE\` + s.Key[len(`HKLM\`):] + `\` + s.Name
			p.Settings = append(p.Settings, PolicySetting{Path: path, GPOID: id, Precedence: g + 1})
		}
	}
	return &Response{PolicySources: p}
}

func TestSourceOf(t *testing.T) {
	r := rsopResponse(2)
	k := SettingByID(RestrictSendingNTLMTraffic).RegistryKey()
	if s := r.SourceOf(k); s.Kind != SourceGPO || s.GPOName != "GPO 0" || s.Precedence != 1 || len(s.Also) != 1 {
		t.Errorf("source = %+v", s)
	}
	for _, tc := range []struct {
		p    *PolicySources
		want string
	}{
		{nil, "unknown (policy sources not collected)"},
		{&PolicySources{Status: PolicyError, Error: "timeout"}, "unknown (RSoP error: timeout)"},
		{&PolicySources{Status: PolicyUnavailable}, "unknown (RSoP unavailable)"},
		{&PolicySources{Status: PolicyOK}, "local policy or registry (no GPO sets it)"},
	} {
		if got := (&Response{PolicySources: tc.p}).SourceOf(k).Text(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.p, got, tc.want)
		}
	}
}

// BenchmarkSourceOf: the engine asks once per deciding reason; a host
// with 10 GPOs that each set every catalogue value is the heavy case.
func BenchmarkSourceOf(b *testing.B) {
	r := rsopResponse(10)
	k := SettingByID(ClientAllowedNTLMServers).RegistryKey()
	b.ReportAllocs()
	for b.Loop() {
		_ = r.SourceOf(k)
	}
}
