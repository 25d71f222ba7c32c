package render

import (
	"testing"

	"github.com/ntlmscan/ntlmscan/report/verdict"
)

func TestWorstFirst(t *testing.T) {
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
