package report_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/internal/reporttest"
	"github.com/ntlmscan/ntlmscan/report/verdict"
)

var (
	t0 = time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)
	t1 = t0.Add(24 * time.Hour)
	t2 = t1.Add(24 * time.Hour)
)

func path(id string, v verdict.Verdict) verdict.Path {
	return verdict.Path{ID: id, Core: "CORE01", Target: id, Kind: verdict.KindAgent, NameUsed: id, Verdict: v}
}

func rep(runID string, at time.Time, paths ...verdict.Path) *report.Report {
	return &report.Report{RunID: runID, GeneratedAt: at, Matrix: verdict.Matrix{Paths: paths}}
}

func ids(list []report.PathChange) []string {
	out := []string{}
	for _, c := range list {
		out = append(out, c.PathID+":"+string(c.Before)+">"+string(c.After))
	}
	return out
}

func TestCompare(t *testing.T) {
	t.Parallel()
	withHistory := rep("base", t1, path("A", verdict.Blocked), path("B", verdict.OK))
	withHistory.Baseline = &report.Comparison{History: []report.PathHistory{{PathID: "a", FirstSeen: t0, LastSeen: t1}}}

	tests := []struct {
		name                            string
		base, cur                       *report.Report
		wantNew, wantFixed, wantChanged []string
		wantAdded, wantRemoved          []string
		wantFirstSeen                   map[string]time.Time
		wantBaselineRunID               string
	}{
		{
			name:    "ok becomes blocked is new",
			base:    rep("b", t1, path("A", verdict.OK)),
			cur:     rep("c", t2, path("A", verdict.Blocked)),
			wantNew: []string{"A:ok>blocked"}, wantFixed: []string{}, wantChanged: []string{"A:ok>blocked"},
			wantAdded: []string{}, wantRemoved: []string{},
			wantFirstSeen: map[string]time.Time{"A": t1},
		},
		{
			name:    "at-risk becomes blocked is new, blocked becomes at-risk is fixed",
			base:    rep("b", t1, path("A", verdict.AtRisk), path("B", verdict.Blocked)),
			cur:     rep("c", t2, path("A", verdict.Blocked), path("B", verdict.AtRisk)),
			wantNew: []string{"A:at-risk>blocked"}, wantFixed: []string{"B:blocked>at-risk"},
			wantChanged: []string{"A:at-risk>blocked", "B:blocked>at-risk"}, wantAdded: []string{}, wantRemoved: []string{},
		},
		{
			name:    "a path that did not exist and is blocked is new and added",
			base:    rep("b", t1, path("A", verdict.OK)),
			cur:     rep("c", t2, path("A", verdict.OK), path("N", verdict.Blocked), path("M", verdict.AtRisk)),
			wantNew: []string{"N:>blocked"}, wantFixed: []string{}, wantChanged: []string{},
			wantAdded: []string{"M:>at-risk", "N:>blocked"}, wantRemoved: []string{},
			wantFirstSeen: map[string]time.Time{"A": t1, "N": t2, "M": t2},
		},
		{
			name:    "a blocked path that is gone is fixed and removed",
			base:    rep("b", t1, path("A", verdict.Blocked), path("G", verdict.OK)),
			cur:     rep("c", t2),
			wantNew: []string{}, wantFixed: []string{"A:blocked>"}, wantChanged: []string{},
			wantAdded: []string{}, wantRemoved: []string{"A:blocked>", "G:ok>"},
		},
		{
			name:    "still blocked is neither new nor fixed",
			base:    rep("b", t1, path("A", verdict.Blocked)),
			cur:     rep("c", t2, path("A", verdict.Blocked)),
			wantNew: []string{}, wantFixed: []string{}, wantChanged: []string{}, wantAdded: []string{}, wantRemoved: []string{},
		},
		{
			name:    "unreachable to unknown is a change only",
			base:    rep("b", t1, path("A", verdict.Unreachable)),
			cur:     rep("c", t2, path("A", verdict.Unknown)),
			wantNew: []string{}, wantFixed: []string{}, wantChanged: []string{"A:unreachable>unknown"}, wantAdded: []string{}, wantRemoved: []string{},
		},
		{
			name:    "first seen carried from the baseline's history, matched ignoring case",
			base:    withHistory,
			cur:     rep("c", t2, path("A", verdict.Blocked), path("B", verdict.OK)),
			wantNew: []string{}, wantFixed: []string{}, wantChanged: []string{}, wantAdded: []string{}, wantRemoved: []string{},
			wantFirstSeen:     map[string]time.Time{"A": t0, "B": t1},
			wantBaselineRunID: "base",
		},
		{
			name:    "no baseline: everything added, blocked is new",
			base:    nil,
			cur:     rep("c", t2, path("A", verdict.Blocked), path("B", verdict.OK)),
			wantNew: []string{"A:>blocked"}, wantFixed: []string{}, wantChanged: []string{},
			wantAdded: []string{"A:>blocked", "B:>ok"}, wantRemoved: []string{},
			wantFirstSeen: map[string]time.Time{"A": t2, "B": t2},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := report.Compare(tc.base, tc.cur)
			for _, check := range []struct {
				what      string
				got, want []string
			}{
				{"New", ids(c.New), tc.wantNew}, {"Fixed", ids(c.Fixed), tc.wantFixed},
				{"Changed", ids(c.Changed), tc.wantChanged}, {"Added", ids(c.Added), tc.wantAdded},
				{"Removed", ids(c.Removed), tc.wantRemoved},
			} {
				if !reflect.DeepEqual(check.got, check.want) {
					t.Errorf("%s = %q, want %q", check.what, check.got, check.want)
				}
			}
			if len(c.History) != len(tc.cur.Matrix.Paths) {
				t.Fatalf("History has %d entries for %d paths", len(c.History), len(tc.cur.Matrix.Paths))
			}
			for i, h := range c.History {
				if h.PathID != tc.cur.Matrix.Paths[i].ID {
					t.Errorf("History[%d] is %s, want matrix order", i, h.PathID)
				}
				if !h.LastSeen.Equal(tc.cur.GeneratedAt) {
					t.Errorf("%s last seen %v, want %v", h.PathID, h.LastSeen, tc.cur.GeneratedAt)
				}
				if want, ok := tc.wantFirstSeen[h.PathID]; ok && !h.FirstSeen.Equal(want) {
					t.Errorf("%s first seen %v, want %v", h.PathID, h.FirstSeen, want)
				}
			}
			if tc.wantBaselineRunID != "" && c.BaselineRunID != tc.wantBaselineRunID {
				t.Errorf("BaselineRunID = %q", c.BaselineRunID)
			}
			if c.CurrentRunID != tc.cur.RunID {
				t.Errorf("CurrentRunID = %q", c.CurrentRunID)
			}
		})
	}
}

func TestCompareDemo(t *testing.T) {
	t.Parallel()
	cur := reporttest.DemoFull()
	before, _ := json.Marshal(reporttest.DemoFull().Matrix)
	c := cur.Baseline
	if got, want := ids(c.New), []string{"CORE02|share|NAS01|nas01:ok>blocked"}; !reflect.DeepEqual(got, want) {
		t.Errorf("New = %q, want %q", got, want)
	}
	if !c.New[0].Waived || c.New[0].Deciding == nil || c.New[0].Deciding.Setting != "BlockNTLM" {
		t.Errorf("new NAS01 path should be waived with its deciding reason: %+v", c.New[0])
	}
	wantFixed := []string{"CORE01|agent|AGENT04|agent04.corp.example:blocked>at-risk", "CORE01|agent|AGENT09|127.0.0.39:blocked>"}
	if got := ids(c.Fixed); !reflect.DeepEqual(got, wantFixed) {
		t.Errorf("Fixed = %q, want %q", got, wantFixed)
	}
	first := cur.HistoryIndex()["CORE01|agent|AGENT02|127.0.0.32"].FirstSeen
	if want := time.Date(2026, 10, 1, 2, 0, 0, 0, time.UTC); !first.Equal(want) {
		t.Errorf("AGENT02 first seen %v, want %v (carried from the baseline)", first, want)
	}
	after, _ := json.Marshal(cur.Matrix)
	if !bytes.Equal(before, after) {
		t.Error("Compare modified the current matrix")
	}
}

func TestEncodeDiff(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := report.EncodeDiff(&buf, reporttest.DemoFull().Baseline); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["kind"] != report.DiffKind || doc["schema"] != float64(report.SchemaVersion) || doc["new"] == nil {
		t.Errorf("diff document head: kind=%v schema=%v new=%v", doc["kind"], doc["schema"], doc["new"])
	}
}
