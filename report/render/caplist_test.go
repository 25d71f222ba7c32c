package render_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/report/internal/reporttest"
	"github.com/ntlmscan/ntlmscan/report/render"
	"github.com/ntlmscan/ntlmscan/report/verdict"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// A reason that refers to a 5,000-entry list in the host's facts shows ten
// entries and a count in every text format, once per path (the HTML page:
// once per Core section), never the list.
func TestLongListsAreCappedWithACount(t *testing.T) {
	t.Parallel()
	r := reporttest.Demo()
	list := make([]string, 5000)
	for i := range list {
		list[i] = fmt.Sprintf("srv%04d.corp.example", i)
	}
	s := facts.SettingByID(facts.ClientAllowedNTLMServers)
	for i := range r.Hosts {
		if h := &r.Hosts[i]; h.Host == "CORE01" && h.Facts != nil {
			*s.Lookup(h.Facts) = facts.RegistryValue{RegistryKey: s.RegistryKey(), Present: true, Type: facts.RegMultiSZ, Strings: list}
		}
	}
	reason := verdict.Reason{Host: "CORE01", Role: verdict.RoleClient, Setting: s.Name, RawValue: "[5000 entries]", ValueLabel: "5000 entries",
		Effect: verdict.EffectBlocks, Explanation: "CORE01 denies outgoing NTLM and its list has no entry matching the name used.", ValueInFacts: true}
	paths := 0 // Markdown details only list paths that are not ok
	for i := range r.Matrix.Paths {
		if p := &r.Matrix.Paths[i]; p.Core == "CORE01" && p.Verdict != verdict.OK {
			p.Reasons = append(p.Reasons, reason)
			paths++
		}
	}
	for _, format := range []string{render.FormatCSV, render.FormatMarkdown, render.FormatHTML} {
		out := string(render1(t, format, r, render.Options{}))
		want := paths
		if format == render.FormatHTML {
			// The page lists a host's list once per Core section, and
			// each path's reason points there.
			want = 1
		}
		if n := strings.Count(out, "… and 4,990 more"); n < want {
			t.Errorf("%s: %d capped lists for %d paths", format, n, paths)
		}
		if strings.Contains(out, "srv0010.corp.example") {
			t.Errorf("%s shows entries beyond the cap", format)
		}
		if len(out) > 200_000 {
			t.Errorf("%s output is %d bytes", format, len(out))
		}
	}
}

// A coverage gap (a domain without DCs in the inventory) is in the summary
// of every text format.
func TestCoverageInSummary(t *testing.T) {
	t.Parallel()
	r := reporttest.Demo()
	r.Matrix.Coverage = []verdict.Coverage{{Domain: "branch.example", Paths: 3,
		Note: "Pass-through on DCs of branch.example not checked: add them to the inventory (domains: branch.example: controllers:)."}}
	for _, format := range []string{render.FormatTable, render.FormatMarkdown, render.FormatHTML} {
		if out := string(render1(t, format, r, render.Options{})); !strings.Contains(out, "Pass-through on DCs of branch.example not checked: add them") {
			t.Errorf("%s lacks the coverage note", format)
		}
	}
}

// BlockNTLMServerExceptionList exists under the policy key and in the SMB
// client's local configuration. A reason citing the local list (no policy
// list) previews the local entries, not the absent policy value.
func TestListPreviewOfLocalSMBExceptionList(t *testing.T) {
	t.Parallel()
	r := reporttest.Demo()
	pol := facts.SettingByID(facts.SMBBlockNTLMServerExceptionList)
	loc := facts.SettingByID(facts.SMBBlockNTLMServerExceptionListLocal)
	set := func(resp *facts.Response, s *facts.Setting, v facts.RegistryValue) {
		t.Helper()
		if p := s.Lookup(resp); p != nil {
			*p = v
			return
		}
		resp.Registry = append(resp.Registry, v)
	}
	for i := range r.Hosts {
		if h := &r.Hosts[i]; h.Host == "CORE01" && h.Facts != nil {
			set(h.Facts, pol, facts.RegistryValue{RegistryKey: pol.RegistryKey(), Present: false})
			set(h.Facts, loc, facts.RegistryValue{RegistryKey: loc.RegistryKey(), Present: true, Type: facts.RegMultiSZ,
				Strings: []string{"localentry1.corp.example", "localentry2"}})
		}
	}
	reason := verdict.Reason{Host: "CORE01", Role: verdict.RoleClient, Setting: loc.Name, RawValue: "[2 entries]",
		Effect: verdict.EffectAllows, Explanation: "CORE01's SMB client blocks NTLM, but an exception entry matches.", ValueInFacts: true}
	for i := range r.Matrix.Paths {
		if p := &r.Matrix.Paths[i]; p.Core == "CORE01" && p.Verdict != verdict.OK {
			p.Reasons = append(p.Reasons, reason)
		}
	}
	for _, format := range []string{render.FormatCSV, render.FormatMarkdown} {
		if out := string(render1(t, format, r, render.Options{})); !strings.Contains(out, "localentry1.corp.example, localentry2") {
			t.Errorf("%s does not preview the local list the reason cites", format)
		}
	}
}
