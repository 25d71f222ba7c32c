package winrmtest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// queryFor is the request's "events" object as ConvertFrom-Json gives it.
func queryFor(t *testing.T, q *facts.EventQuery) any {
	t.Helper()
	b, err := json.Marshal(q)
	if err != nil {
		t.Fatal(err)
	}
	v, err := convertFromJSONUncached(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestReadNTLMEvents: the window, the ID filter and the cap are applied as
// Get-WinEvent would (newest first), and events aggregate per ID,
// counterpart, workstation, account and process.
func TestReadNTLMEvents(t *testing.T) {
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	core := map[string]string{"TargetName": "HTTP/agent01.corp.example", "UserName": "svc-rr", "DomainName": "CORP", "ProcessName": `C:\Program Files\AppRecovery\Core\CoreService\Core.Service.exe`}
	other := map[string]string{"TargetName": "cifs/nas01", "UserName": "svc-rr", "DomainName": "CORP", "ProcessName": "explorer.exe"}
	h := &Host{Name: "CORE01", NTLMEvents: []NTLMEvent{
		{ID: 8001, Ago: time.Hour, Fields: core},
		{ID: 8001, Ago: 3 * time.Hour, Count: 4, Fields: core},
		{ID: 8001, Ago: 2 * time.Hour, Fields: other},
		{ID: 8001, Ago: 30 * 24 * time.Hour, Fields: core}, // outside 7 days
		{ID: 4624, Ago: time.Hour},                         // not asked
		{ID: 4004, Ago: time.Hour, Fields: map[string]string{"SChannelName": "AGENT01", "WorkstationName": "CORE01", "UserName": "svc-rr", "DomainName": "CORP"}},
	}}
	t.Run("aggregated", func(t *testing.T) {
		got := mustRead(t, h, queryFor(t, facts.NewEventQuery(7)), now)
		if !got.Available || got.Read != 7 || got.Capped || len(got.Groups) != 3 {
			t.Fatalf("got %+v", got)
		}
		g := got.Groups[0] // newest first: the Core's 8001 group
		if g.ID != 8001 || g.Counterpart != "HTTP/agent01.corp.example" || g.Account != `CORP\svc-rr` || g.Count != 5 ||
			!g.First.Equal(now.Add(-3*time.Hour)) || !g.Last.Equal(now.Add(-time.Hour)) {
			t.Errorf("core group %+v", g)
		}
		if dc := got.Groups[1]; dc.ID != 4004 || dc.Counterpart != "AGENT01" || dc.Workstation != "CORE01" {
			t.Errorf("dc group %+v", dc)
		}
	})
	t.Run("capped", func(t *testing.T) {
		q := facts.NewEventQuery(7)
		q.MaxEvents = 3
		got := mustRead(t, h, queryFor(t, q), now)
		if got.Read != 3 || !got.Capped {
			t.Errorf("read %d capped %v", got.Read, got.Capped)
		}
	})
	t.Run("group cap", func(t *testing.T) {
		q := facts.NewEventQuery(7)
		q.MaxGroups = 1
		got := mustRead(t, h, queryFor(t, q), now)
		if len(got.Groups) != 1 || got.Groups[0].Count != 5 || got.Ungrouped != 2 {
			t.Errorf("got %+v", got)
		}
	})
	t.Run("window", func(t *testing.T) {
		got := mustRead(t, h, queryFor(t, facts.NewEventQuery(60)), now)
		if got.Read != 8 {
			t.Errorf("read %d, want 8 with a 60-day window", got.Read)
		}
	})
	t.Run("log unreadable", func(t *testing.T) {
		bad := &Host{NTLMLogError: "Attempted to perform an unauthorized operation."}
		got := mustRead(t, bad, queryFor(t, facts.NewEventQuery(7)), now)
		if got.Available || !strings.Contains(got.Error, "unauthorized") {
			t.Errorf("got %+v", got)
		}
	})
	t.Run("not asked", func(t *testing.T) {
		if got := mustRead(t, h, nil, now); got != nil {
			t.Errorf("got %+v", got)
		}
	})
	t.Run("days not a number fails the collector", func(t *testing.T) {
		q, _ := convertFromJSONUncached(`{"days":"a"}`)
		_, err := h.readNTLMEvents(q, now)
		var pf *psFailure
		if !errors.As(err, &pf) || pf.line == 0 {
			t.Errorf("err %v", err)
		}
	})
}

// TestCollectionNTLMEvents: the collection answers the event read and
// Credential Guard's state from the lab, through the real collector texts.
func TestCollectionNTLMEvents(t *testing.T) {
	lab := newLab(t, `
hosts:
  - name: CORE01
    address: 127.0.0.1
    os: {build: 26100}
    users: [{name: admin, password: pw}]
    credentialGuard: {running: true}
    ntlmEvents:
      - {id: 4001, ago: 1h, count: 3, fields: {TargetName: 'HTTP/10.0.0.5', UserName: svc, DomainName: CORP, ProcessName: Core.Service.exe}}
`)
	srv := startLab(t, lab)
	req := &facts.Request{Schema: facts.SchemaVersion, Events: facts.NewEventQuery(7), CredentialGuard: true}
	resp := collectFacts(t, srv, "CORE01", `CORE01\admin`, "pw", collectionStdin(t, facts.CollectorScript, req))
	ev := resp.NTLMEvents
	if ev == nil || !ev.Available || len(ev.Groups) != 1 || ev.Groups[0].Count != 3 || ev.Groups[0].Counterpart != "HTTP/10.0.0.5" {
		t.Fatalf("events %+v", ev)
	}
	if cg := resp.CredentialGuard; cg == nil || !cg.Running || !cg.Configured {
		t.Errorf("credential guard %+v", cg)
	}
}

func mustRead(t *testing.T, h *Host, q any, now time.Time) *facts.NTLMEvents {
	t.Helper()
	ev, err := h.readNTLMEvents(q, now)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestLabKDCMissingValidated: kdc.missing names only classes the KDC knows.
func TestLabKDCMissingValidated(t *testing.T) {
	_, err := ParseLab([]byte("hosts:\n  - name: A\n    address: 127.0.0.1\n    kdc: {missing: [ldap]}\n"), "kdc.yaml")
	if err == nil || !strings.Contains(err.Error(), `"ldap" is not a service class`) {
		t.Errorf("err = %v", err)
	}
}
