package discovery

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReadTolerant: other spellings of a field are read, unknown fields
// ignored, and entries that cannot be used are left out with a note.
func TestReadTolerant(t *testing.T) {
	r, err := facts.ParseDiscover(readTestdata(t, "core01.out"))
	if err != nil {
		t.Fatal(err)
	}
	c := Read("CORE01", r)
	var used []string
	for _, a := range c.Agents {
		used = append(used, a.DisplayName+"="+a.NameUsed)
	}
	if want := []string{"AGENT01=agent01.corp.example", "AGENT02=10.0.0.32"}; !slices.Equal(used, want) {
		t.Errorf("agents %q, want %q", used, want)
	}
	if c.Agents[0].Port != 8006 || c.Agents[1].Port != 0 {
		t.Errorf("ports %d %d", c.Agents[0].Port, c.Agents[1].Port)
	}
	if len(c.Shares) != 2 || c.Shares[0].UNC != `\\fs01.corp.example\RRRepo` || c.Shares[1].Kind != "archive" {
		t.Errorf("shares %+v", c.Shares)
	}
	notes := strings.Join(c.Notes, "\n")
	for _, want := range []string{
		`port "x" is not a TCP port`,
		`host name "bad name;rm" is neither an IP address nor a DNS or NetBIOS name; left out`,
		`has no host name among its properties (Version)`,
		`"Local" is at "D:\Repo", not on a CIFS share`,
		"Get-ScheduledArchives failed on the Core: boom",
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	if len(c.Replicated) != 1 || c.Replicated[0].TargetCore != "dr-core.corp.example" {
		t.Errorf("replicated %+v", c.Replicated)
	}
}

func TestParseDiscoverRejects(t *testing.T) {
	for name, out := range map[string]string{
		"no markers": "hello",
		"no end":     facts.BeginMarker + "{}",
		"bad json":   facts.BeginMarker + "{" + facts.EndMarker,
		"schema":     facts.BeginMarker + `{"schema":7}` + facts.EndMarker,
	} {
		if _, err := facts.ParseDiscover([]byte(out)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

const tinyInventory = `defaults: {domain: corp.example, winrm: {credential: scan}}
credentials: {scan: {username: CORP\svc, password_env: P}}
domains: {corp.example: {netbios: CORP}}
cores:
  CORE01:
    account: CORP\svc-rr
    agents:
      - {agent: AGENT01, name: agent01.corp.example}
agents:
  AGENT01: {}
`

// FuzzDiscover: any discovery output is read, compared and merged without
// a panic, and a merge that succeeds yields YAML that loads or says why.
func FuzzDiscover(f *testing.F) {
	f.Add(readTestdata(f, "core01.out"))
	f.Add([]byte(facts.BeginMarker + `{"schema":1,"protected":[{"HostName":"[::1]"}]}` + facts.EndMarker))
	inv, err := inventory.Parse([]byte(tinyInventory), "tiny.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, out []byte) {
		r, err := facts.ParseDiscover(out)
		if err != nil {
			return
		}
		c := Read("CORE01", r)
		_ = Compare(inv, []*Core{c})
		if _, _, err := Merge([]byte(tinyInventory), inv, []*Core{c}); err != nil {
			t.Fatalf("merge: %v", err)
		}
	})
}
