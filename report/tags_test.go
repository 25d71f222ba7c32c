package report_test

import (
	"slices"
	"testing"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// TestHostTags: the inventory's host tags reach the report's hosts, from a
// scan (SetHostTags) and from a merge (the merge inventory's tags win over
// a shard's), so `report --tag` works on a saved report.
func TestHostTags(t *testing.T) {
	t.Parallel()
	inv := &inventory.Inventory{Hosts: []*inventory.Host{
		{Name: "AGENT01", Tags: []string{"dmz", "sql"}},
		{Name: "AGENT02"},
		{Name: "AGENT03", Tags: []string{"site-b"}},
	}}
	t.Run("scan", func(t *testing.T) {
		hosts := []facts.HostResult{{Host: "agent01"}, {Host: "AGENT02", Tags: []string{"stale"}}, {Host: "OTHER"}}
		report.SetHostTags(hosts, inv)
		want := [][]string{{"dmz", "sql"}, nil, nil}
		for i, h := range hosts {
			if !slices.Equal(h.Tags, want[i]) {
				t.Errorf("%s tags = %q, want %q", h.Host, h.Tags, want[i])
			}
		}
		inv.Hosts[0].Tags[0] = "changed"
		if hosts[0].Tags[0] != "dmz" {
			t.Error("the report's tags share the inventory's slice")
		}
		inv.Hosts[0].Tags[0] = "dmz"
	})
	t.Run("merge", func(t *testing.T) {
		shard := &report.Report{Hosts: []facts.HostResult{
			{Host: "AGENT01", Facts: &facts.Response{}, Tags: []string{"old"}},
			{Host: "AGENT02", Facts: &facts.Response{}},
		}}
		hosts, _ := report.MergeHosts(inv, []report.Shard{{File: "a.json", Report: shard}})
		want := map[string][]string{"AGENT01": {"dmz", "sql"}, "AGENT02": nil, "AGENT03": {"site-b"}}
		for _, h := range hosts {
			if !slices.Equal(h.Tags, want[h.Host]) {
				t.Errorf("merged %s tags = %q, want %q", h.Host, h.Tags, want[h.Host])
			}
		}
		if len(hosts) != 3 {
			t.Errorf("%d merged hosts, want 3", len(hosts))
		}
	})
}
