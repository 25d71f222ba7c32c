package report

import (
	"io"
	"slices"
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
	if baseline != nil {
		c.BaselineRunID = baseline.RunID
		c.BaselineGeneratedAt = baseline.GeneratedAt.UTC()
		for i := range baseline.Matrix.Paths {
			p := &baseline.Matrix.Paths[i]
			basePaths[pathKey(p.ID)] = p
		}
		if baseline.Baseline != nil {
			for _, h := range baseline.Baseline.History {
				baseFirst[pathKey(h.PathID)] = h.FirstSeen.UTC()
			}
		}
	}
	waivers := current.WaiverIndex()

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
		if b != nil {
			change.Before = b.Verdict
		}
		nowBlocked := p.Verdict.Blocking()
		wasBlocked := b != nil && b.Verdict.Blocking()
		switch {
		case nowBlocked && !wasBlocked:
			c.New = append(c.New, change)
		case wasBlocked && !nowBlocked:
			c.Fixed = append(c.Fixed, change)
		}
		switch {
		case b == nil:
			c.Added = append(c.Added, change)
		case b.Verdict != p.Verdict:
			c.Changed = append(c.Changed, change)
		}
	}
	if baseline != nil {
		for i := range baseline.Matrix.Paths {
			b := &baseline.Matrix.Paths[i]
			if inCurrent[pathKey(b.ID)] {
				continue
			}
			gone := PathChange{
				PathID: b.ID, Core: b.Core, Target: b.Target, Kind: b.Kind, NameUsed: b.NameUsed,
				Before: b.Verdict, Deciding: b.Deciding,
			}
			c.Removed = append(c.Removed, gone)
			if b.Verdict.Blocking() {
				c.Fixed = append(c.Fixed, gone)
			}
		}
	}
	for _, list := range [][]PathChange{c.New, c.Fixed, c.Changed, c.Added, c.Removed} {
		slices.SortStableFunc(list, comparePathChange)
	}
	return c
}

func pathKey(id string) string { return strings.ToLower(id) }

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
