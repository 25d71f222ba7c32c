package inventory

import (
	"slices"
	"testing"
)

// A Core lists its replication targets; the link points at the target's
// resolved Core, keeps the name the source uses, defaults the port, and
// reads the account relative to the target (a local account of the
// target). Operations default by path kind unless listed.
func TestReplicationAndOperations(t *testing.T) {
	t.Parallel()
	inv, err := Load("testdata/valid-replication.yaml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	var core01, core03 *Core
	for _, c := range inv.Cores {
		switch c.Name {
		case "CORE01":
			core01 = c
		case "CORE03":
			core03 = c
		}
	}
	if core01 == nil || core03 == nil {
		t.Fatalf("cores = %+v", inv.Cores)
	}
	if len(core01.Replication) != 1 {
		t.Fatalf("CORE01 replication = %+v", core01.Replication)
	}
	l := core01.Replication[0]
	if l.Source != core01 || l.Target != core03 {
		t.Errorf("link source %v target %v, want CORE01 -> the resolved CORE03", l.Source.Name, l.Target.Name)
	}
	if l.Target.Account.Kind != AccountLocalSystem {
		t.Errorf("target Core's own account not resolved: %+v", l.Target.Account)
	}
	if l.NameUsed != "10.0.0.23" || l.Port != DefaultCorePort || l.Line != 28 {
		t.Errorf("link = name %q port %d line %d", l.NameUsed, l.Port, l.Line)
	}
	if l.Account.Kind != AccountLocal || l.Account.Name != `CORE03\rr-repl` {
		t.Errorf("account = %+v, want the local account of CORE03", l.Account)
	}
	if got := core01.Agents[0].Ops(); !slices.Equal(got, []Operation{OpVirtualStandby}) {
		t.Errorf("agent link ops = %v", got)
	}
	if got := core01.Repositories[0].Ops(); !slices.Equal(got, []Operation{OpExport, OpVirtualStandby}) {
		t.Errorf("share ops = %v", got)
	}
	if s := inv.Summary(); s.ReplicationPaths != 1 || s.Paths() != 3 {
		t.Errorf("summary = %+v", s)
	}

	// Defaults when nothing is listed.
	if got := (&AgentLink{}).Ops(); !slices.Equal(got, []Operation{OpProtection, OpLiveRecovery}) {
		t.Errorf("default agent ops = %v", got)
	}
	for kind, want := range map[string][]Operation{
		"repository": {OpRepository, OpMountabilityCheck},
		"archive":    {OpArchive},
		"export":     {OpExport},
	} {
		if got := (&Repository{Kind: kind}).Ops(); !slices.Equal(got, want) {
			t.Errorf("default %s ops = %v, want %v", kind, got, want)
		}
	}
}
