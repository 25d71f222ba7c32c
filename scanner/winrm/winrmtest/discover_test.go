package winrmtest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// reviewedDiscoverSHA256 is the discover.ps1 that discover.go's emulation
// was last reviewed against. When discover.ps1 changes, review discover()
// against it, then update this hash.
const reviewedDiscoverSHA256 = "4598b4a3d2cf0aa57cbe0c10a4183f2a1a7b826c3fe8e96407feb8124210696d"

func TestDiscoverEmulationReviewed(t *testing.T) {
	sum := sha256.Sum256([]byte(facts.DiscoverScript))
	if got := hex.EncodeToString(sum[:]); got != reviewedDiscoverSHA256 {
		t.Fatalf("scanner/facts/discover.ps1 changed (sha256 %s): review discover() in discover.go against it, then set reviewedDiscoverSHA256", got)
	}
}

func discoverStdin(t *testing.T, script string, req any) string {
	t.Helper()
	j, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return script + facts.StdinSeparator + base64.StdEncoding.EncodeToString(j) + "\r\n"
}

func TestDiscoverAnsweredFromLab(t *testing.T) {
	srv := startLab(t, demoLab(t))
	user, pass := `CORP\svc-ntlmscan`, "Lab-Only-Passw0rd!"
	req := facts.DiscoverRequest{Schema: facts.DiscoverSchema, Module: facts.DefaultRRModule, Service: "RapidRecoveryCore"}
	decode := func(t *testing.T, host string, req any, script string) (*facts.DiscoverResponse, string, int) {
		stdout, stderr, exit := collect(t, srv, host, user, pass, discoverStdin(t, script, req))
		if exit != 0 {
			return nil, stderr, exit
		}
		r, err := facts.ParseDiscover([]byte(stdout))
		if err != nil {
			t.Fatal(err)
		}
		return r, stderr, exit
	}
	t.Run("core", func(t *testing.T) {
		r, stderr, exit := decode(t, "CORE01", req, facts.DiscoverScript)
		if exit != 0 {
			t.Fatalf("exit %d: %s", exit, stderr)
		}
		if !r.Module.Found || r.ComputerName != "CORE01" || r.CoreAccount != `CORP\svc-rapidrecovery` || r.Domain != "corp.example" {
			t.Fatalf("%+v", r)
		}
		if !slices.Equal(r.DomainControllers, []string{"dc01.corp.example", "dc02.corp.example"}) {
			t.Errorf("DCs %q", r.DomainControllers)
		}
		var used []string
		for _, b := range r.Protected {
			used = append(used, b.Field("HostName"))
		}
		if want := []string{"agent01.corp.example", "127.0.0.32", "agent04.corp.example", "127.0.0.35"}; !slices.Equal(used, want) {
			t.Errorf("protected %q, want %q", used, want)
		}
		if len(r.Repositories) != 1 || r.Repositories[0].Field("Path") != `\\fs01.corp.example\RRRepo` {
			t.Errorf("repositories %v", r.Repositories)
		}
	})
	t.Run("virtual standby", func(t *testing.T) {
		r, stderr, exit := decode(t, "CORE02", req, facts.DiscoverScript)
		if exit != 0 {
			t.Fatalf("exit %d: %s", exit, stderr)
		}
		if len(r.Virtualized) != 1 || r.Virtualized[0].Field("Target") != "hv01.corp.example" || len(r.Archives) != 1 {
			t.Errorf("virtualized %v archives %v", r.Virtualized, r.Archives)
		}
	})
	t.Run("no module", func(t *testing.T) {
		r, stderr, exit := decode(t, "AGENT01", req, facts.DiscoverScript)
		if exit != 0 {
			t.Fatalf("exit %d: %s", exit, stderr)
		}
		if r.Module.Found || !strings.Contains(r.Module.Error, "no valid module file") || len(r.Protected) != 0 {
			t.Errorf("%+v", r)
		}
	})
	t.Run("another module name", func(t *testing.T) {
		other := req
		other.Module = "SomethingElse"
		r, _, _ := decode(t, "CORE01", other, facts.DiscoverScript)
		if r == nil || r.Module.Found {
			t.Errorf("a module the Core lacks was imported: %+v", r)
		}
	})
	t.Run("schema", func(t *testing.T) {
		bad := req
		bad.Schema = 99
		_, stderr, exit := decode(t, "CORE01", bad, facts.DiscoverScript)
		if exit != 1 || !strings.Contains(stderr, "ntlmscan discovery speaks schema 1, the request is schema 99") {
			t.Errorf("exit %d stderr %q", exit, stderr)
		}
	})
	t.Run("changed script", func(t *testing.T) {
		changed := strings.Replace(facts.DiscoverScript, "$SchemaVersion = 1", "$SchemaVersion =  1", 1)
		_, stderr, exit := decode(t, "CORE01", req, changed)
		if exit != 1 || !strings.Contains(stderr, "differs from it at line") || !strings.Contains(stderr, "discover.ps1") {
			t.Errorf("exit %d stderr %q: a changed discovery script must not be answered", exit, stderr)
		}
	})
}
