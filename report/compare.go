package report

import (
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ntlmscan/ntlmscan/report/verdict"
)

// Compare compares the current report with a baseline (usually last night's
// report) and returns what changed. It is pure: current is not modified (the
// caller sets current.Baseline to the result).
//
// Paths are matched by Path.ID, ignoring case (inventory names are
// case-insensitive). For every current path, FirstSeen is carried over from
// the baseline's history; a path the baseline had without history was first
// seen at the baseline's GeneratedAt; a path the baseline did not have is
// first seen now. LastSeen is always current.GeneratedAt. A nil baseline
// compares against an empty scan: every path is added and every blocked path
// is new. current must not be nil.
func Compare(baseline, current *Report) *Comparison {
	now := current.GeneratedAt.UTC()
	c := &Comparison{
		CurrentRunID:       current.RunID,
		CurrentGeneratedAt: now,
		New:                []PathChange{},
		Fixed:              []PathChange{},
		Changed:            []PathChange{},
		Added:              []PathChange{},
		Removed:            []PathChange{},
		History:            make([]PathHistory, 0, len(current.Matrix.Paths)),
	}
	basePaths := map[string]*verdict.Path{}
	baseFirst := map[string]time.Time{}
	// baseGood is the baseline's last good verdict of each path: its own,
	// or the one it carried forward because its hosts had failed.
	baseGood := map[string]goodVerdict{}
	if baseline != nil {
		c.BaselineRunID = baseline.RunID
		c.BaselineGeneratedAt = baseline.GeneratedAt.UTC()
		for i := range baseline.Matrix.Paths {
			p := &baseline.Matrix.Paths[i]
			basePaths[pathKey(p.ID)] = p
			baseGood[pathKey(p.ID)] = goodVerdict{p.Verdict, c.BaselineGeneratedAt}
		}
		if baseline.Baseline != nil {
			for _, h := range baseline.Baseline.History {
				baseFirst[pathKey(h.PathID)] = h.FirstSeen.UTC()
			}
			for _, nc := range baseline.Baseline.NotComparable {
				baseGood[pathKey(nc.PathID)] = goodVerdict{nc.Carried, nc.FactsAt.UTC()}
			}
		}
	}
	waivers := current.WaiverIndex()
	failed := failedHostSet(current)

	inCurrent := make(map[string]bool, len(current.Matrix.Paths))
	for i := range current.Matrix.Paths {
		p := &current.Matrix.Paths[i]
		key := pathKey(p.ID)
		inCurrent[key] = true
		b := basePaths[key]

		first, known := baseFirst[key]
		switch {
		case known:
		case b != nil:
			first = c.BaselineGeneratedAt
		default:
			first = now
		}
		c.History = append(c.History, PathHistory{PathID: p.ID, FirstSeen: first, LastSeen: now})

		change := PathChange{
			PathID: p.ID, Core: p.Core, Target: p.Target, Kind: p.Kind, NameUsed: p.NameUsed,
			After: p.Verdict, Deciding: p.Deciding, Waived: waivers[p.ID].Active(),
		}
		good, hadGood := baseGood[key]
		if b != nil {
			change.Before = good.verdict
		}
		if hosts := unjudgedBy(p, failed); len(hosts) > 0 {
			// Tonight says nothing about this path: keep the last good
			// verdict, so neither "fixed" tonight nor "new" tomorrow.
			nc := CarriedPath{
				PathID: p.ID, Core: p.Core, Target: p.Target, Kind: p.Kind, NameUsed: p.NameUsed,
				After: p.Verdict, FailedHosts: hosts,
			}
			if hadGood && good.verdict != "" {
				nc.Carried, nc.FactsAt, nc.Age = good.verdict, good.at, age(now.Sub(good.at))
			}
			c.NotComparable = append(c.NotComparable, nc)
			if b == nil {
				c.Added = append(c.Added, change)
			}
			continue
		}
		if b != nil && good.verdict == "" {
			// The baseline never judged it: compare as a path first seen now.
			change.Before = ""
		}
		nowBlocked := p.Verdict.Blocking()
		wasBlocked := b != nil && good.verdict.Blocking()
		switch {
		case nowBlocked && !wasBlocked:
			c.New = append(c.New, change)
		case wasBlocked && !nowBlocked:
			c.Fixed = append(c.Fixed, change)
		}
		switch {
		case b == nil:
			c.Added = append(c.Added, change)
		case change.Before != p.Verdict:
			c.Changed = append(c.Changed, change)
		}
	}
	if baseline != nil {
		for i := range baseline.Matrix.Paths {
			b := &baseline.Matrix.Paths[i]
			if inCurrent[pathKey(b.ID)] {
				continue
			}
			// A path the baseline could not judge is gone with its last
			// good verdict.
			before := b.Verdict
			if good := baseGood[pathKey(b.ID)]; good.verdict != "" {
				before = good.verdict
			}
			gone := PathChange{
				PathID: b.ID, Core: b.Core, Target: b.Target, Kind: b.Kind, NameUsed: b.NameUsed,
				Before: before, Deciding: b.Deciding,
			}
			c.Removed = append(c.Removed, gone)
			if before.Blocking() {
				c.Fixed = append(c.Fixed, gone)
			}
		}
	}
	for _, list := range [][]PathChange{c.New, c.Fixed, c.Changed, c.Added, c.Removed} {
		slices.SortStableFunc(list, comparePathChange)
	}
	slices.SortStableFunc(c.NotComparable, func(a, b CarriedPath) int {
		return comparePathChange(PathChange{PathID: a.PathID, Core: a.Core, Kind: a.Kind, Target: a.Target, NameUsed: a.NameUsed},
			PathChange{PathID: b.PathID, Core: b.Core, Kind: b.Kind, Target: b.Target, NameUsed: b.NameUsed})
	})
	return c
}

func pathKey(id string) string { return strings.ToLower(id) }

type goodVerdict struct {
	verdict verdict.Verdict
	at      time.Time
}

// failedHostSet holds the hosts of r that failed (lower-cased); hosts only
// described in the inventory (not-scanned) did not fail.
func failedHostSet(r *Report) map[string]bool {
	out := map[string]bool{}
	for _, h := range r.FailedHosts() {
		out[strings.ToLower(h.Host)] = true
	}
	return out
}

// unjudgedBy returns the failed hosts that left p unjudged: the hosts of its
// "could not be scanned" reasons, unless p is blocking anyway (a refusal by
// policy is itself a finding).
func unjudgedBy(p *verdict.Path, failed map[string]bool) []string {
	if len(failed) == 0 || p.Verdict.Blocking() {
		return nil
	}
	var hosts []string
	for _, r := range p.Reasons {
		if r.Setting == verdict.SettingScan && failed[strings.ToLower(r.Host)] && !slices.Contains(hosts, r.Host) {
			hosts = append(hosts, r.Host)
		}
	}
	return hosts
}

// age renders how old carried facts are: whole days, or hours below a day.
func age(d time.Duration) string {
	if d >= 24*time.Hour {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	return strconv.Itoa(int(d/time.Hour)) + "h"
}

// comparePathChange orders like the matrix: Core, kind, target, name used.
func comparePathChange(a, b PathChange) int {
	if c := compareFold(a.Core, b.Core); c != 0 {
		return c
	}
	if c := strings.Compare(string(a.Kind), string(b.Kind)); c != 0 {
		return c
	}
	if c := compareFold(a.Target, b.Target); c != 0 {
		return c
	}
	if c := compareFold(a.NameUsed, b.NameUsed); c != 0 {
		return c
	}
	return strings.Compare(a.PathID, b.PathID)
}

// DiffKind identifies the JSON form of a Comparison (`ntlmscan diff --format json`).
const DiffKind = "ntlmscan.diff"

// DiffDocument is the JSON form of a Comparison.
type DiffDocument struct {
	Kind   string `json:"kind"`
	Schema int    `json:"schema"` // SchemaVersion of the reports compared
	*Comparison
}

// EncodeDiff writes c as a versioned JSON document.
func EncodeDiff(w io.Writer, c *Comparison) error {
	return encodeJSON(w, DiffDocument{Kind: DiffKind, Schema: SchemaVersion, Comparison: c})
}
