package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/cmd/internal/iostreams"
	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner"
)

// scanShard scans only the hosts named in shard, through the scan
// pipeline, and writes its JSON report: every other host stays in the
// inventory (so its Core still probes it) but is not contacted, as a
// site's jump host would scan its own site. It stands in for --limit.
func scanShard(t *testing.T, invPath string, env map[string]string, at time.Time, jsonPath string, shard ...string) {
	t.Helper()
	inv, err := inventory.Load(invPath)
	if err != nil {
		t.Fatal(err)
	}
	keep := map[string]bool{}
	for _, h := range shard {
		keep[strings.ToLower(h)] = true
	}
	for _, h := range inv.Hosts {
		h.Scan = h.Scan && keep[strings.ToLower(h.Name)]
	}
	io, _, _, errOut := iostreams.Test()
	f := &Factory{IO: io, Now: func() time.Time { return at }, Version: "test", LookupEnv: lookup(env)}
	// The options come from the scan command's own flags, so the shard
	// scans with every default the single scan has (evidence days, SMB
	// probe, Kerberos retries...).
	var o scanOptions
	cmd := newScanCmd(f, func(got *scanOptions) error { o = *got; return nil })
	cmd.SetArgs([]string{"-i", invPath, "--quiet", "--json", jsonPath, "--fail-on", "none"})
	cmd.SetOut(io.Out)
	cmd.SetErr(io.ErrOut)
	if err := cmd.Execute(); err != nil {
		t.Fatalf("shard %v: flags: %v", shard, err)
	}
	if _, err := runScan(context.Background(), &o, scanInputs{InventoryPath: invPath, Inventory: inv, Password: scanner.PasswordFrom(lookup(env))}); err != nil {
		t.Fatalf("shard %v: %v\n%s", shard, err, errOut)
	}
}

// TestMergeThreeShardsEqualsOneScan: the demo estate scanned as three
// shards, with each Core, its DCs and its targets in different shards, and
// one host in two shards, merges into the same verdicts, path for path, as
// one scan of the whole lab. The host scanned twice is taken from the newer
// shard, with a note.
func TestMergeThreeShardsEqualsOneScan(t *testing.T) {
	t.Parallel()
	invPath, _, env := demoFleet(t)
	dir := t.TempDir()
	single := filepath.Join(dir, "single.json")
	if r := run(t, env, "scan", "-i", invPath, "--quiet", "--json", single, "--fail-on", "none"); r.code == ExitError {
		t.Fatal(r.stderr)
	}
	inv, err := inventory.Load(invPath)
	if err != nil {
		t.Fatal(err)
	}
	var shards [3][]string
	agents := 0
	for _, h := range inv.Hosts {
		switch h.Role {
		case inventory.RoleCore:
			shards[0] = append(shards[0], h.Name)
		case inventory.RoleDomainController:
			shards[1] = append(shards[1], h.Name)
		default:
			shards[1+agents%2] = append(shards[1+agents%2], h.Name)
			agents++
		}
	}
	twice := shards[2][0]
	shards[1] = append(shards[1], twice)
	files := make([]string, 3)
	for i, s := range shards {
		files[i] = filepath.Join(dir, "shard"+string(rune('a'+i))+".json")
		scanShard(t, invPath, env, fixedNow.Add(time.Duration(i)*time.Minute), files[i], s...)
	}

	fleet := filepath.Join(dir, "fleet.json")
	r := run(t, env, append([]string{"merge", "-i", invPath, "-o", fleet}, files...)...)
	if r.code != ExitOK {
		t.Fatalf("merge: exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, twice) || !strings.Contains(r.stderr, "shardc.json") {
		t.Errorf("merge does not note that %s is in two shards and the newer (shardc.json) wins:\n%s", twice, r.stderr)
	}
	want, err := loadReport(single)
	if err != nil {
		t.Fatal(err)
	}
	got, err := loadReport(fleet)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Matrix.Paths) != len(want.Matrix.Paths) || len(want.Matrix.Paths) == 0 {
		t.Fatalf("merged %d paths, single scan %d", len(got.Matrix.Paths), len(want.Matrix.Paths))
	}
	withEvents := 0
	for i := range want.Matrix.Paths {
		w, g := want.Matrix.Paths[i], got.Matrix.Paths[i]
		wj, _ := json.Marshal(w)
		gj, _ := json.Marshal(g)
		if w.Evidence != nil && len(w.Evidence.Events) > 0 {
			withEvents++
		}
		if eventTimes(wj) != eventTimes(gj) {
			t.Errorf("path %s differs:\nsingle %s\nmerged %s", w.ID, wj, gj)
		}
	}
	// The rest of the matrix is recomputed from the union of facts too:
	// the plan (with its audit phase), unmatched events, evidence counts.
	for _, part := range []struct {
		name      string
		want, got any
	}{
		{"plan", want.Matrix.Plan, got.Matrix.Plan},
		{"unmatched events", want.Matrix.UnmatchedEvents, got.Matrix.UnmatchedEvents},
		{"at-risk by evidence", want.Matrix.AtRiskEvidence, got.Matrix.AtRiskEvidence},
		{"host notes", want.Matrix.HostNotes, got.Matrix.HostNotes},
	} {
		wj, _ := json.Marshal(part.want)
		gj, _ := json.Marshal(part.got)
		if eventTimes(wj) != eventTimes(gj) {
			t.Errorf("%s differ:\nsingle %s\nmerged %s", part.name, wj, gj)
		}
	}
	if withEvents == 0 {
		t.Error("no path of the single scan has NTLM events: the test does not show the merge keeps evidence")
	}
	if len(got.Merge.Shards) != 3 || len(got.Merge.Notes) != 1 {
		t.Errorf("merge record = %+v, want 3 shards and 1 note", got.Merge)
	}
	// Each shard alone cannot judge the estate: most of its paths are unknown.
	shardA, err := loadReport(files[0])
	if err != nil {
		t.Fatal(err)
	}
	same := 0
	for i := range shardA.Matrix.Paths {
		if shardA.Matrix.Paths[i].Verdict == want.Matrix.Paths[i].Verdict {
			same++
		}
	}
	if same == len(want.Matrix.Paths) {
		t.Error("shard a alone already gives every verdict: the test does not exercise the merge")
	}
	// The merged report renders like any other.
	if r := run(t, nil, "report", fleet, "--format", "csv"); r.code != ExitOK || !strings.Contains(r.stdout, want.Matrix.Paths[0].ID) {
		t.Errorf("report of the merged file: exit %d: %s", r.code, r.stderr)
	}
}

func TestMergeErrors(t *testing.T) {
	t.Parallel()
	invPath, _, env := demoFleet(t)
	dir := t.TempDir()
	a := filepath.Join(dir, "a.json")
	if r := run(t, env, "scan", "-i", invPath, "--quiet", "--json", a, "--fail-on", "none"); r.code == ExitError {
		t.Fatal(r.stderr)
	}
	b := filepath.Join(dir, "b.json")
	if r := run(t, env, "scan", "-i", invPath, "--quiet", "--json", b, "--fail-on", "none", "--strict"); r.code == ExitError {
		t.Fatal(r.stderr)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"merge", a, "-o", filepath.Join(dir, "x.json")}, "--inventory"},
		{[]string{"merge", "-i", invPath}, "at least one"},
		{[]string{"merge", "-i", invPath, a, b}, "--strict"},
		{[]string{"merge", "-i", invPath, a, filepath.Join(dir, "missing.json")}, "missing.json"},
	} {
		r := run(t, env, tc.args...)
		if r.code != ExitError || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 1 naming %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

// eventTimeRE matches the times of NTLM event groups as the report writes
// them (JSON and in sentences).
var eventTimeRE = regexp.MustCompile(`\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?Z?`)

// eventTimes blanks the times in a path's JSON: the simulator stamps its
// NTLM events relative to the wall clock when the log is read, so two scans
// seconds apart see the same events at slightly different times; every
// other byte must be equal.
func eventTimes(j []byte) string {
	return eventTimeRE.ReplaceAllString(string(j), "TIME")
}
