package render

import (
	"slices"
	"testing"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/verdict"
)

func TestWorstFirst(t *testing.T) {
	t.Parallel()
	type in struct {
		id, core, target string
		v                verdict.Verdict
		isNew            bool
		waiver           *report.AppliedWaiver
	}
	active, expired := &report.AppliedWaiver{}, &report.AppliedWaiver{Expired: true}
	tests := []struct {
		name string
		rows []in
		want []string
	}{
		{"severity, worst first", []in{
			{id: "ok", v: verdict.OK}, {id: "unreach", v: verdict.Unreachable}, {id: "risk", v: verdict.AtRisk},
			{id: "unknown", v: verdict.Unknown}, {id: "suspected", v: verdict.BlockedSuspected}, {id: "blocked", v: verdict.Blocked},
		}, []string{"blocked", "suspected", "unknown", "risk", "unreach", "ok"}},
		{"an unrecognised verdict before all", []in{
			{id: "blocked", v: verdict.Blocked}, {id: "odd", v: "from-the-future"},
		}, []string{"odd", "blocked"}},
		{"newly blocked first within blocked", []in{
			{id: "a", core: "A", v: verdict.Blocked}, {id: "z-new", core: "Z", v: verdict.Blocked, isNew: true},
		}, []string{"z-new", "a"}},
		{"active waivers last within a verdict, expired count as none", []in{
			{id: "waived", core: "A", v: verdict.Blocked, waiver: active},
			{id: "expired", core: "B", v: verdict.Blocked, waiver: expired},
			{id: "plain", core: "C", v: verdict.Blocked},
			{id: "risk", core: "A", v: verdict.AtRisk},
		}, []string{"expired", "plain", "waived", "risk"}},
		{"then Core and target case-insensitively, then ID", []in{
			{id: "z", core: "CORE02", target: "a", v: verdict.AtRisk},
			{id: "x", core: "core01", target: "B", v: verdict.AtRisk},
			{id: "w1", core: "core01", target: "c", v: verdict.AtRisk},
			{id: "w0", core: "core01", target: "c", v: verdict.AtRisk},
			{id: "y", core: "core01", target: "a", v: verdict.AtRisk},
		}, []string{"y", "x", "w0", "w1", "z"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := &view{}
			for _, r := range tc.rows {
				v.Rows = append(v.Rows, row{P: &verdict.Path{ID: r.id, Core: r.core, Target: r.target, Verdict: r.v}, New: r.isNew, Waiver: r.waiver})
			}
			before := slices.Clone(v.Rows)
			var got []string
			for _, r := range v.worstFirst() {
				got = append(got, r.P.ID)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("worstFirst = %q, want %q", got, tc.want)
			}
			if !slices.EqualFunc(v.Rows, before, func(a, b row) bool { return a.P == b.P }) {
				t.Error("worstFirst reordered v.Rows")
			}
		})
	}
}
func TestWorstFirstNewlyBlockedLeads(t *testing.T) {
	p := func(core, target string, vd verdict.Verdict) *verdict.Path {
		return &verdict.Path{ID: core + "|" + target, Core: core, Target: target, Verdict: vd}
	}
	tests := []struct {
		name string
		rows []row
		want []string // path IDs
	}{
		{"severity before names", []row{
			{P: p("A", "T1", verdict.OK)}, {P: p("A", "T2", verdict.AtRisk)}, {P: p("B", "T1", verdict.Blocked)},
			{P: p("A", "T3", verdict.Unknown)}, {P: p("A", "T4", verdict.Unreachable)}, {P: p("A", "T5", verdict.BlockedSuspected)},
		}, []string{"B|T1", "A|T5", "A|T3", "A|T2", "A|T4", "A|T1"}},
		{"newly blocked first", []row{
			{P: p("A", "T1", verdict.Blocked)}, {P: p("B", "T2", verdict.BlockedSuspected), New: true}, {P: p("C", "T1", verdict.Blocked), New: true},
		}, []string{"C|T1", "B|T2", "A|T1"}},
		{"then Core then target, case-insensitive", []row{
			{P: p("core02", "b", verdict.AtRisk)}, {P: p("Core01", "B", verdict.AtRisk)}, {P: p("Core01", "a", verdict.AtRisk)},
		}, []string{"Core01|a", "Core01|B", "core02|b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &view{Rows: tt.rows}
			got := v.worstFirst()
			if len(got) != len(tt.want) {
				t.Fatalf("got %d rows, want %d", len(got), len(tt.want))
			}
			for i, rw := range got {
				if rw.P.ID != tt.want[i] {
					t.Errorf("row %d = %s, want %s (order %v)", i, rw.P.ID, tt.want[i], tt.want)
				}
			}
			if tt.rows[0].P.ID != v.Rows[0].P.ID {
				t.Error("worstFirst reordered v.Rows; it must return a copy")
			}
		})
	}
}
func TestWithoutHostName(t *testing.T) {
	tests := []struct{ text, host, want string }{
		{"X=1 is in CORE01's registry.", "CORE01", "X=1 is in each host's registry."},
		{"AGENT07 could not be scanned (AGENT07: refused)", "AGENT07", "the host could not be scanned (the host: refused)"},
		{"DCs and DC-2 differ from DC", "DC", "DCs and DC-2 differ from the host"},
		{"CORE010 is not CORE01", "CORE01", "CORE010 is not the host"},
	}
	for _, tt := range tests {
		if got := withoutHostName(tt.text, tt.host); got != tt.want {
			t.Errorf("withoutHostName(%q, %q) = %q, want %q", tt.text, tt.host, got, tt.want)
		}
	}
}
