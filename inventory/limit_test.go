package inventory

import (
	"slices"
	"strings"
	"testing"
)

func limitInventory(t *testing.T) *Inventory {
	t.Helper()
	inv, err := Load("../examples/inventory.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// TestLimitPatterns: the documented subset of Ansible's patterns.
func TestLimitPatterns(t *testing.T) {
	t.Parallel()
	inv := limitInventory(t)
	tests := []struct{ pattern, want string }{
		{"AGENT01", "AGENT01"},
		{"agent01.corp.example", "AGENT01"},    // by FQDN
		{"127.0.0.32", "AGENT02"},              // by address
		{"agent0[12]", "AGENT01 AGENT02"},      // glob
		{"AGENT01:CORE02", "CORE02 AGENT01"},   // union
		{"AGENT01,AGENT02", "AGENT01 AGENT02"}, // comma union
		{"agent*:&tag:dmz", "AGENT05"},         // intersection with a tag
		{"agent0*:!AGENT0[2-7]", "AGENT01"},    // exclusion
		{"!agent*:!dc*:!core*", "FS01 NAS01"},  // only exclusions: from all
		{"all:!*0[1-9]", ""},
		{"tag:dmz", "AGENT05"},
		{"!tag:dmz:&agent*", "AGENT01 AGENT02 AGENT03 AGENT04 AGENT06 AGENT07"},
	}
	for _, tt := range tests {
		l, err := ParseLimit(tt.pattern)
		if err != nil {
			t.Fatalf("%s: %v", tt.pattern, err)
		}
		var got []string
		for _, h := range inv.Hosts {
			if l.Match(HostSubject(h)) {
				got = append(got, h.Name)
			}
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("%s: got %q, want %q", tt.pattern, strings.Join(got, " "), tt.want)
		}
	}
	for _, bad := range []string{"", ":", "AGENT01:!", "agent[", "&"} {
		if _, err := ParseLimit(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestRestrict: the limited paths keep their Cores, targets and every DC;
// the rest is left out and counted.
func TestRestrict(t *testing.T) {
	t.Parallel()
	inv := limitInventory(t)
	l, _ := ParseLimit("AGENT04")
	out, leftOut, err := inv.Restrict(l)
	if err != nil {
		t.Fatal(err)
	}
	var hosts []string
	for _, h := range out.Hosts {
		hosts = append(hosts, h.Name)
	}
	if want := []string{"DC01", "DC02", "CORE01", "CORE02", "AGENT04"}; !slices.Equal(hosts, want) {
		t.Errorf("hosts %q, want %q", hosts, want)
	}
	if len(out.Cores) != 2 || len(out.Cores[0].Agents) != 1 || len(out.Cores[0].Repositories) != 0 || out.Cores[0].Agents[0].Core != out.Cores[0] {
		t.Errorf("cores %+v", out.Cores)
	}
	if got := strings.Join(leftOut, " and "); got != "10 of 12 paths and 9 hosts (CORE03, AGENT01, AGENT02, AGENT03, AGENT05, AGENT06, AGENT07, FS01, NAS01)" {
		t.Errorf("left out %q", got)
	}
	if len(inv.Cores[0].Agents) != 4 {
		t.Error("Restrict changed the inventory it was given")
	}
	// A replication path is kept by its target Core, with its source.
	repl, _, err := inv.Restrict(mustLimit(t, "CORE03"))
	if err != nil {
		t.Fatal(err)
	}
	if len(repl.Cores) < 1 || repl.Cores[0].Host.Name != "CORE01" || len(repl.Cores[0].Replication) != 1 ||
		len(repl.Cores[0].Agents)+len(repl.Cores[0].Repositories) != 0 || repl.Cores[0].Replication[0].Source != repl.Cores[0] {
		t.Errorf("--limit CORE03 cores %+v, want CORE01 with only its replication to CORE03", repl.Cores)
	}
	if _, _, err := inv.Restrict(mustLimit(t, "nothing*")); err == nil || !strings.Contains(err.Error(), "matches no host") {
		t.Errorf("err %v", err)
	}
}

func mustLimit(t *testing.T, s string) *Limit {
	l, err := ParseLimit(s)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// FuzzLimit: any pattern parses or is refused, never panics, and a parsed
// pattern matches deterministically.
func FuzzLimit(f *testing.F) {
	for _, s := range []string{"AGENT01", "agent0*:&tag:dmz", "!tag:dmz:&agent*", "a,b:!c", "[", "tag:", "&", "all:!*0[1-9]"} {
		f.Add(s)
	}
	subjects := []Subject{{Name: "AGENT01", Aliases: []string{"agent01.corp.example", "10.0.0.31"}, Tags: []string{"dmz", "site-b"}}, {Name: "CORE01"}}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLimit(s)
		if err != nil {
			return
		}
		again, err := ParseLimit(s)
		if err != nil {
			t.Fatalf("ParseLimit(%q) accepted once, then: %v", s, err)
		}
		for _, sub := range subjects {
			if l.Match(sub) != again.Match(sub) {
				t.Fatal("nondeterministic")
			}
		}
	})
}
