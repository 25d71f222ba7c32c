package winrmtest

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// The "NTLM events" section of collect.ps1: Get-WinEvent over the host's
// lab events (ntlmEvents) with the IDs, the window and the cap of the
// request, newest first, aggregated as the script does; and Win32_DeviceGuard
// from the host's credentialGuard.

// CredentialGuardLab is what Win32_DeviceGuard reports on a host; nil: the
// class answers with neither configured nor running.
type CredentialGuardLab struct {
	Configured bool   `yaml:"configured"`
	Running    bool   `yaml:"running"`
	Error      string `yaml:"error"` // the class cannot be read
}

// expand is the lab event as Get-WinEvent sees it: its time (Time, or Ago
// before now) and how many identical records it stands for.
func (e *NTLMEvent) expand(now time.Time) (time.Time, int) {
	t := e.Time
	if t.IsZero() {
		t = now.Add(-e.Ago)
	}
	n := e.Count
	if n <= 0 {
		n = 1
	}
	return t.UTC(), n
}

// readNTLMEvents is the script's event read for the request's "events"
// object q (nil when the request has none). [int]$q.days is converted
// outside the script's try, so a bad value fails the collector there; the
// other conversions fail inside it and become the read's error.
func (h *Host) readNTLMEvents(q any, now time.Time) (*facts.NTLMEvents, error) {
	if q == nil {
		return nil, nil
	}
	days, err := psInt(psProperty(q, "days"))
	if err != nil {
		return nil, collectorFailure("days = [int]$q.days", 1, err.Error())
	}
	out := &facts.NTLMEvents{Days: days}
	maxEvents, err := psInt(psProperty(q, "maxEvents"))
	if err != nil {
		out.Error = err.Error()
		return out, nil
	}
	maxGroups, err := psInt(psProperty(q, "maxGroups"))
	if err != nil {
		out.Error = err.Error()
		return out, nil
	}
	fields := map[int]*facts.EventField{}
	for _, f := range psPipeline(psProperty(q, "fields")) {
		id, err := psInt(psProperty(f, "id"))
		if err != nil {
			continue
		}
		fields[id] = &facts.EventField{ID: id,
			Counterpart: psStrings(psProperty(f, "counterpart")), Workstation: psStrings(psProperty(f, "workstation")),
			User: psStrings(psProperty(f, "user")), Domain: psStrings(psProperty(f, "domain")),
			Process: psStrings(psProperty(f, "process"))}
	}
	switch {
	case !strings.EqualFold(psString(psProperty(q, "logName")), facts.NTLMLog):
		out.Error = fmt.Sprintf("There is not an event log on the localhost computer that matches \"%s\".", psString(psProperty(q, "logName")))
	case h.NTLMLogError != "":
		out.Error = h.NTLMLogError
	case maxEvents < 1:
		out.Error = fmt.Sprintf("Cannot validate argument on parameter 'MaxEvents'. The %d argument is less than the minimum allowed range of 1. Supply an argument that is greater than or equal to 1 and then try the command again.", maxEvents)
	}
	if out.Error != "" {
		out.Capped = out.Read >= maxEvents
		return out, nil
	}
	out.Available = true
	since := now.AddDate(0, 0, -days)
	type rec struct {
		e *NTLMEvent
		t time.Time
		n int
	}
	var recs []rec
	for i := range h.NTLMEvents {
		e := &h.NTLMEvents[i]
		t, n := e.expand(now)
		if fields[e.ID] == nil || t.Before(since) || t.After(now) {
			continue
		}
		recs = append(recs, rec{e, t, n})
	}
	// Get-WinEvent reads newest first; -MaxEvents keeps the first ones.
	slices.SortStableFunc(recs, func(a, b rec) int { return b.t.Compare(a.t) })
	index := map[string]int{}
	for _, r := range recs {
		if out.Read >= maxEvents {
			break
		}
		n := min(r.n, maxEvents-out.Read)
		out.Read += n
		c, w, a, p := fields[r.e.ID].Key(r.e.Fields)
		key := fmt.Sprintf("%d|%s|%s|%s|%s", r.e.ID, c, w, a, p)
		if i, ok := index[key]; ok {
			g := &out.Groups[i]
			g.Count += n
			if r.t.Before(g.First) {
				g.First = r.t
			}
			if r.t.After(g.Last) {
				g.Last = r.t
			}
			continue
		}
		if len(out.Groups) >= maxGroups {
			out.Ungrouped += n
			continue
		}
		index[key] = len(out.Groups)
		out.Groups = append(out.Groups, facts.EventGroup{ID: r.e.ID, Counterpart: c, Workstation: w, Account: a, Process: p,
			Count: n, First: r.t, Last: r.t})
	}
	out.Capped = out.Read >= maxEvents
	return out, nil
}

// credentialGuard is the script's Win32_DeviceGuard read.
func (h *Host) credentialGuard() *facts.CredentialGuard {
	c := h.CredentialGuard
	switch {
	case c == nil:
		return &facts.CredentialGuard{Available: true}
	case c.Error != "":
		return &facts.CredentialGuard{Error: c.Error}
	}
	return &facts.CredentialGuard{Available: true, Configured: c.Configured || c.Running, Running: c.Running}
}

// psStrings is @(value) as strings, $null entries dropped.
func psStrings(v any) []string {
	var out []string
	for _, x := range psPipeline(v) {
		out = append(out, psString(x))
	}
	return out
}
