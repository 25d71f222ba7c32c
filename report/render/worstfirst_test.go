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
