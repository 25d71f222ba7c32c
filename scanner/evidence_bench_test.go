package scanner

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

// eventHeavyLab is one Core whose NTLM log holds n events in the window:
// 8001 audits toward 2,000 targets from 50 accounts and 10 processes, one
// a minute, newest first.
func eventHeavyLab(n int) *winrmtest.Lab {
	lab := generatedLab(1, 40, domainPass, winrmtest.Faults{})
	h := lab.Hosts[0]
	h.NTLMEvents = make([]winrmtest.NTLMEvent, n)
	for i := range n {
		h.NTLMEvents[i] = winrmtest.NTLMEvent{ID: 8001, Ago: time.Duration(i%(6*24*60)) * time.Minute, Fields: map[string]string{
			"TargetName": fmt.Sprintf("HTTP/srv%04d.corp.example", i%2000), "UserName": fmt.Sprintf("user%02d", i%50),
			"DomainName": "CORP", "ProcessName": fmt.Sprintf(`C:\Apps\app%d.exe`, i%10)}}
	}
	return lab
}

// BenchmarkEventRead100k: the cost of collecting a host whose NTLM log
// holds 100,000 events: time per host and the bytes its answer adds. The
// read is capped in the query (facts.DefaultMaxEvents) and aggregated on
// the host (facts.DefaultMaxGroups), so neither grows with the log.
func BenchmarkEventRead100k(b *testing.B) {
	b.Setenv(passwordEnvD, domainPass)
	srv, err := winrmtest.NewServer(eventHeavyLab(100_000), winrmtest.WithEphemeralPorts())
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	f := newFleet(b, srv, names(srv)...)
	opts := Options{Password: labPasswords, Retries: -1, NoKerberosVerify: true}
	var factsBytes, eventBytes int
	for b.Loop() {
		r := Run(context.Background(), f.inv, opts)[0]
		if !r.OK() || r.Facts.NTLMEvents == nil || !r.Facts.NTLMEvents.Capped {
			b.Fatalf("%+v", r.Error)
		}
		fb, _ := json.Marshal(r.Facts)
		eb, _ := json.Marshal(r.Facts.NTLMEvents)
		factsBytes, eventBytes = len(fb), len(eb)
	}
	b.ReportMetric(float64(factsBytes), "facts-bytes/host")
	b.ReportMetric(float64(eventBytes), "event-bytes/host")
}

// TestEventReadBounded: whatever the log holds, the event read returns at
// most facts.DefaultMaxEvents events in at most facts.DefaultMaxGroups
// groups, and says it was capped.
func TestEventReadBounded(t *testing.T) {
	t.Setenv(passwordEnvD, domainPass)
	srv, err := winrmtest.NewServer(eventHeavyLab(20_000), winrmtest.WithEphemeralPorts())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	f := newFleet(t, srv, names(srv)...)
	r := Run(context.Background(), f.inv, Options{Password: labPasswords, Retries: -1})[0]
	if !r.OK() {
		t.Fatal(r.Error)
	}
	ev := r.Facts.NTLMEvents
	if ev == nil || !ev.Capped || ev.Read != facts.DefaultMaxEvents || len(ev.Groups) != facts.DefaultMaxGroups || ev.Ungrouped == 0 {
		t.Fatalf("read %d capped %v groups %d ungrouped %d", ev.Read, ev.Capped, len(ev.Groups), ev.Ungrouped)
	}
	eb, _ := json.Marshal(ev)
	if len(eb) > 64<<10 {
		t.Errorf("the event read answers %d bytes", len(eb))
	}
	// --evidence-days 0: no event read at all.
	r = Run(context.Background(), f.inv, Options{Password: labPasswords, Retries: -1, EvidenceDays: -1})[0]
	if r.Facts.NTLMEvents != nil {
		t.Errorf("event read made with EvidenceDays -1")
	}
}
