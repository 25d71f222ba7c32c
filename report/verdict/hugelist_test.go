package verdict

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// A Core with a huge ClientAllowedNTLMServers list (20,000 entries, about
// 0.7 MB) and 20 blocked paths: the matrix must not copy the list into
// every path (reasons, explanations, remediations). It references the
// host's facts instead, so the matrix stays small however long the list.
func TestHugeExceptionListIsNotCopiedPerPath(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	list := make([]string, 20000)
	listBytes := 0
	for i := range list {
		list[i] = fmt.Sprintf("server-%05d.branch-office.corp.example", i)
		listBytes += len(list[i])
	}
	l.set("CORE01", facts.RestrictSendingNTLMTraffic, 2)
	l.set("CORE01", facts.ClientAllowedNTLMServers, list)
	for i := range 20 {
		name := "BULK" + strconv.Itoa(i)
		l.addAgent(l.core("CORE01"), l.addHost(name, inventory.RoleAgent, "corp.example"), "10.9.0."+strconv.Itoa(i+1))
	}
	m := l.eval(Options{})
	blocked := 0
	for _, p := range m.Paths {
		if p.Verdict == Blocked && p.Deciding != nil && p.Deciding.Host == "CORE01" {
			blocked++
		}
	}
	if blocked < 20 {
		t.Fatalf("only %d paths blocked by CORE01", blocked)
	}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	// The plan holds the final list once (one change per host and
	// setting); everything else must be far below one copy per path.
	if limit := 2*listBytes + 200_000; len(data) > limit {
		t.Fatalf("matrix is %d bytes for a %d-byte list and %d paths: the list is copied per path (limit %d)", len(data), listBytes, blocked, limit)
	}
	var changes int
	for _, c := range m.Plan {
		if c.Setting == facts.ClientAllowedNTLMServers {
			changes++
			if c.Current != len(list) || len(c.Final) != len(list)+len(c.Add) {
				t.Errorf("plan change: current %d final %d add %d", c.Current, len(c.Final), len(c.Add))
			}
		}
	}
	if changes != 1 {
		t.Errorf("%d ClientAllowedNTLMServers changes in the plan, want 1", changes)
	}
}
