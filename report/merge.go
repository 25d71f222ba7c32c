package report

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// MergeInfo records that a report was merged from shard reports (`ntlmscan
// merge`): one per site, scanned on each site's own jump host.
type MergeInfo struct {
	Shards []ShardRef `json:"shards"`
	// Notes say which shard's facts were used for a host more than one
	// shard had, and which shard hosts the inventory lacks.
	Notes []string `json:"notes,omitempty"`
}

// ShardRef names one shard report of a merge.
type ShardRef struct {
	File        string    `json:"file"`
	RunID       string    `json:"runId"`
	GeneratedAt time.Time `json:"generatedAt"`
}

// Shard is one shard report with the file it was read from.
type Shard struct {
	File   string
	Report *Report
}

// MergeHosts returns one host result per inventory host, in inventory
// order, from the union of the shards' facts: for each host, the newest
// result with facts; without any, the newest real failure; else (described
// only, or outside every shard) the newest result at all. A host with facts
// in two shards gets a note naming both and the one used. SMB probe facts
// come from the chosen result, or else from the newest shard that has
// them. It is pure: the shards are not modified.
func MergeHosts(inv *inventory.Inventory, shards []Shard) (hosts []facts.HostResult, info *MergeInfo) {
	info = &MergeInfo{Shards: make([]ShardRef, 0, len(shards))}
	type cand struct {
		res   *facts.HostResult
		shard string
		at    time.Time
	}
	byHost := map[string][]cand{}
	for _, s := range shards {
		info.Shards = append(info.Shards, ShardRef{File: s.File, RunID: s.Report.RunID, GeneratedAt: s.Report.GeneratedAt.UTC()})
		for i := range s.Report.Hosts {
			h := &s.Report.Hosts[i]
			at := h.StartedAt
			if at.IsZero() {
				at = s.Report.GeneratedAt
			}
			key := strings.ToLower(h.Host)
			byHost[key] = append(byHost[key], cand{h, s.File, at.UTC()})
		}
	}
	rank := func(c cand) int {
		switch {
		case c.res.OK():
			return 2
		case c.res.Error != nil && c.res.Error.Class != facts.ErrNotScanned:
			return 1
		}
		return 0
	}
	for _, h := range inv.Hosts {
		key := strings.ToLower(h.Name)
		cs := byHost[key]
		delete(byHost, key)
		var best *cand
		var withFacts []cand
		for i := range cs {
			c := cs[i]
			if c.res.OK() {
				withFacts = append(withFacts, c)
			}
			if best == nil || rank(c) > rank(*best) || (rank(c) == rank(*best) && c.at.After(best.at)) {
				best = &cs[i]
			}
		}
		if best == nil {
			hosts = append(hosts, facts.HostResult{Host: h.Name, Address: h.Address, Tags: slices.Clone(h.Tags), Error: &facts.HostError{
				Class: facts.ErrNotScanned, Message: "in no shard report",
				Hint: "scan it in one of the shards (its site's jump host), then merge again"}})
			continue
		}
		r := *best.res
		r.Host = h.Name
		// The merge inventory's tags win over the shards' (it is the one
		// the merged report is judged with).
		r.Tags = slices.Clone(h.Tags)
		if r.SMB == nil {
			var smbAt time.Time
			for _, c := range cs {
				if c.res.SMB != nil && (r.SMB == nil || c.at.After(smbAt)) {
					r.SMB, smbAt = c.res.SMB, c.at
				}
			}
		}
		hosts = append(hosts, r)
		if len(withFacts) > 1 {
			var where []string
			for _, c := range withFacts {
				where = append(where, fmt.Sprintf("%s (%s)", c.shard, c.at.Format(time.RFC3339)))
			}
			info.Notes = append(info.Notes, fmt.Sprintf("%s has facts in %d shards: %s; the newest, from %s, are used",
				h.Name, len(withFacts), strings.Join(where, ", "), best.shard))
		}
	}
	for _, s := range shards {
		for i := range s.Report.Hosts {
			key := strings.ToLower(s.Report.Hosts[i].Host)
			if _, left := byHost[key]; left {
				delete(byHost, key)
				info.Notes = append(info.Notes, fmt.Sprintf("%s (in %s) is not in the inventory; its facts are left out", s.Report.Hosts[i].Host, s.File))
			}
		}
	}
	return hosts, info
}

// SetHostTags copies each host's inventory tags into its result (matched by
// name, case-insensitive), so a saved report can be filtered by tag.
func SetHostTags(hosts []facts.HostResult, inv *inventory.Inventory) {
	if inv == nil {
		return
	}
	tags := make(map[string][]string, len(inv.Hosts))
	for _, h := range inv.Hosts {
		if h != nil && len(h.Tags) > 0 {
			tags[strings.ToLower(h.Name)] = h.Tags
		}
	}
	for i := range hosts {
		hosts[i].Tags = slices.Clone(tags[strings.ToLower(hosts[i].Host)])
	}
}
