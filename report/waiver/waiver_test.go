package waiver_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/internal/reporttest"
	"github.com/ntlmscan/ntlmscan/report/verdict"
	"github.com/ntlmscan/ntlmscan/report/waiver"
)

func parseFile(t *testing.T, path string) (*waiver.File, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return waiver.Parse(f, path)
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestParseValid(t *testing.T) {
	t.Parallel()
	f, err := parseFile(t, filepath.Join("testdata", "valid.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := []waiver.Waiver{
		{PathID: "CORE02|share|NAS01|nas01", Owner: "storage-team@corp.example", Reason: "NAS01 is replaced by FS02",
			Expires: date(2027, 12, 31), Line: 3},
		{Core: "core01", Target: "AGENT02", Kind: verdict.KindAgent, Owner: "j.doe@corp.example",
			Reason: "re-registration by FQDN: CHG-2291", Expires: date(2026, 9, 30), Line: 7},
	}
	if !reflect.DeepEqual(f.Waivers, want) {
		t.Errorf("Parse =\n%+v\nwant\n%+v", f.Waivers, want)
	}
	if f.Name != filepath.Join("testdata", "valid.yaml") {
		t.Errorf("Name = %q", f.Name)
	}
}

func TestParseEmpty(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "# nothing waived\n", "waivers:\n", "waivers: []\n", "---\n"} {
		f, err := waiver.Parse(strings.NewReader(in), "w.yaml")
		if err != nil || len(f.Waivers) != 0 {
			t.Errorf("Parse(%q) = %+v, %v; want no waivers", in, f, err)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	t.Parallel()
	type problem struct {
		line  int
		field string
		msg   string
	}
	tests := []struct {
		file string
		want []problem
	}{
		{"invalid-unknown-key.yaml", []problem{
			{2, "waivers[0].expires", "missing"},
			{5, "waivers[0].expiry", `unknown key "expiry"`},
		}},
		{"invalid-missing-owner.yaml", []problem{{7, "waivers[1].owner", "missing"}}},
		{"invalid-bad-date.yaml", []problem{{5, "waivers[0].expires", `"31/12/2027" is not a date; write it as YYYY-MM-DD`}}},
		{"invalid-bad-path-id.yaml", []problem{{2, "waivers[0].path", "not a path id"}}},
		{"invalid-path-and-core.yaml", []problem{{2, "waivers[0].path", "either path or core/target/kind"}}},
		{"invalid-no-selector.yaml", []problem{{2, "waivers[0]", "say which path is waived"}}},
		{"invalid-bad-kind.yaml", []problem{{4, "waivers[0].kind", `"smb" is not a path kind`}}},
		{"invalid-duplicate-waiver.yaml", []problem{{6, "waivers", "again (first at line 2)"}}},
		{"invalid-duplicate-key.yaml", []problem{{4, "waivers[0].owner", `duplicate key "owner" (first defined on line 3)`}}},
		{"invalid-syntax.yaml", []problem{{4, "", "invalid YAML: did not find expected '-' indicator (in the block that starts at line 1)"}}},
		{"invalid-unclosed-quote.yaml", []problem{{3, "", "invalid YAML"}}},
		{"invalid-not-a-list.yaml", []problem{{2, "waivers", "must be a list, not a mapping"}}},
		{"invalid-top-level-key.yaml", []problem{{1, "version", `unknown key "version"`}}},
		{"invalid-empty-reason.yaml", []problem{{4, "waivers[0].reason", "is empty"}}},
		{"invalid-alias.yaml", []problem{{7, "waivers[1]", "aliases are not supported"}}},
		{"invalid-two-documents.yaml", []problem{{2, "", "second YAML document"}}},
		{"invalid-list-value.yaml", []problem{{3, "waivers[0].owner", "must be text, not a list"}}},
		{"invalid-many.yaml", []problem{
			{2, "waivers[0]", "say which path is waived"},
			{2, "waivers[0].owner", "missing"},
			{4, "waivers[0].expires", "not a date"},
			{7, "waivers[1].kind", "not a path kind"},
			{10, "waivers[1].expires", "not a date"},
			{11, "waivers[2]", "must be a mapping (key: value pairs), not text"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join("testdata", tc.file)
			f, err := parseFile(t, path)
			if err == nil {
				t.Fatalf("Parse accepted it: %+v", f)
			}
			var ve *waiver.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %T %v is not a *ValidationError", err, err)
			}
			if len(ve.Problems) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(ve.Problems), len(tc.want), err)
			}
			for i, want := range tc.want {
				got := ve.Problems[i]
				if got.File != path || got.Line != want.line || got.Field != want.field || !strings.Contains(got.Message, want.msg) {
					t.Errorf("problem %d: got %s\nwant line %d field %q message containing %q", i, got, want.line, want.field, want.msg)
				}
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, path+":") {
					t.Errorf("error line %q does not start with the file name", line)
				}
			}
		})
	}
}

func TestParseTooLarge(t *testing.T) {
	t.Parallel()
	big := strings.NewReader("# " + strings.Repeat("x", waiver.MaxFileBytes))
	if _, err := waiver.Parse(big, "big.yaml"); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("Parse of a huge file: %v", err)
	}
}

func TestExpired(t *testing.T) {
	t.Parallel()
	w := waiver.Waiver{Expires: date(2027, 1, 31)}
	tests := []struct {
		now  time.Time
		want bool
	}{
		{date(2027, 1, 30), false},
		{date(2027, 1, 31), false},
		{date(2027, 1, 31).Add(23*time.Hour + 59*time.Minute), false},
		{date(2027, 2, 1), true},
		{date(2028, 1, 1), true},
		// 00:30 on Feb 1 in UTC+1 is still Jan 31 in UTC.
		{time.Date(2027, 2, 1, 0, 30, 0, 0, time.FixedZone("CET", 3600)), false},
	}
	for _, tc := range tests {
		t.Run(tc.now.String(), func(t *testing.T) {
			t.Parallel()
			if got := w.Expired(tc.now); got != tc.want {
				t.Errorf("Expired(%v) = %v, want %v", tc.now, got, tc.want)
			}
		})
	}
}

func TestMatches(t *testing.T) {
	t.Parallel()
	p := verdict.Path{ID: "CORE01|agent|AGENT02|127.0.0.32", Core: "CORE01", Target: "AGENT02", Kind: verdict.KindAgent}
	tests := []struct {
		name string
		w    waiver.Waiver
		want bool
	}{
		{"path id", waiver.Waiver{PathID: "CORE01|agent|AGENT02|127.0.0.32"}, true},
		{"path id ignores case", waiver.Waiver{PathID: "core01|AGENT|agent02|127.0.0.32"}, true},
		{"other path id", waiver.Waiver{PathID: "CORE01|agent|AGENT02|agent02.corp.example"}, false},
		{"core and target", waiver.Waiver{Core: "core01", Target: "agent02"}, true},
		{"core, target and kind", waiver.Waiver{Core: "CORE01", Target: "AGENT02", Kind: verdict.KindAgent}, true},
		{"other kind", waiver.Waiver{Core: "CORE01", Target: "AGENT02", Kind: verdict.KindShare}, false},
		{"other core", waiver.Waiver{Core: "CORE02", Target: "AGENT02"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.w.Matches(&p); got != tc.want {
				t.Errorf("Matches = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestApplyExample applies examples/waivers.yaml to the demo fleet: one
// active waiver and one expired, exactly as the render fixtures assume.
func TestApplyExample(t *testing.T) {
	t.Parallel()
	const example = "../../examples/waivers.yaml"
	f, err := parseFile(t, example)
	if err != nil {
		t.Fatal(err)
	}
	r := reporttest.Demo()
	waiver.Apply(r, f, reporttest.Now())
	want := reporttest.DemoFull().Waivers
	want.File = example
	if !reflect.DeepEqual(r.Waivers.Applied, want.Applied) {
		t.Errorf("Applied =\n%+v\nwant\n%+v", r.Waivers.Applied, want.Applied)
	}
	if len(r.Waivers.Unused) != 0 {
		t.Errorf("Unused = %+v, want none", r.Waivers.Unused)
	}
	if got := report.Findings(r, report.FailOnBlocked); got != 4 {
		t.Errorf("Findings(blocked) = %d, want 4 (5 blocked, NAS01 waived)", got)
	}
}

func TestApply(t *testing.T) {
	t.Parallel()
	now := date(2027, 6, 1)
	active := func(line int, sel waiver.Waiver) waiver.Waiver {
		sel.Owner, sel.Reason, sel.Expires, sel.Line = "o", "r", date(2027, 12, 31), line
		return sel
	}
	expired := func(line int, sel waiver.Waiver) waiver.Waiver {
		w := active(line, sel)
		w.Expires = date(2027, 1, 31)
		return w
	}
	tests := []struct {
		name        string
		waivers     []waiver.Waiver
		wantApplied []string // pathID@line[!expired]
		wantUnused  []int
	}{
		{"none", nil, []string{}, nil},
		{"core/target waives every path between them",
			[]waiver.Waiver{active(1, waiver.Waiver{Core: "CORE02", Target: "FS01"})},
			[]string{"CORE02|share|FS01|fs01.corp.example@1"}, nil},
		{"active wins over an earlier expired one",
			[]waiver.Waiver{
				expired(1, waiver.Waiver{PathID: "CORE02|share|NAS01|nas01"}),
				active(2, waiver.Waiver{Core: "CORE02", Target: "NAS01"}),
			},
			[]string{"CORE02|share|NAS01|nas01@2"}, nil},
		{"first active wins",
			[]waiver.Waiver{
				active(1, waiver.Waiver{Core: "CORE02", Target: "NAS01", Kind: verdict.KindShare}),
				active(2, waiver.Waiver{Core: "CORE02", Target: "NAS01"}),
			},
			[]string{"CORE02|share|NAS01|nas01@1"}, nil},
		{"only expired: reported as expired",
			[]waiver.Waiver{expired(4, waiver.Waiver{Core: "CORE01", Target: "AGENT02"})},
			[]string{"CORE01|agent|AGENT02|127.0.0.32@4!expired"}, nil},
		{"unused waivers are listed",
			[]waiver.Waiver{
				active(1, waiver.Waiver{Core: "CORE09", Target: "AGENT02"}),
				expired(2, waiver.Waiver{PathID: "CORE01|agent|AGENT02|agent02"}),
			},
			[]string{}, []int{1, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := reporttest.Demo()
			waiver.Apply(r, &waiver.File{Name: "w.yaml", Waivers: tc.waivers}, now)
			got := []string{}
			for _, a := range r.Waivers.Applied {
				s := a.PathID + "@" + strconv.Itoa(a.Line)
				if a.Expired {
					s += "!expired"
				}
				got = append(got, s)
			}
			if !reflect.DeepEqual(got, tc.wantApplied) {
				t.Errorf("Applied = %q, want %q", got, tc.wantApplied)
			}
			var unused []int
			for _, u := range r.Waivers.Unused {
				unused = append(unused, u.Line)
			}
			if !reflect.DeepEqual(unused, tc.wantUnused) {
				t.Errorf("Unused lines = %v, want %v", unused, tc.wantUnused)
			}
		})
	}
}

func TestApplyNilClears(t *testing.T) {
	t.Parallel()
	r := reporttest.DemoFull()
	waiver.Apply(r, nil, reporttest.Now())
	if r.Waivers != nil {
		t.Errorf("Waivers = %+v, want nil", r.Waivers)
	}
}

func FuzzParse(f *testing.F) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if data, err := os.ReadFile(filepath.Join("testdata", e.Name())); err == nil && strings.HasSuffix(e.Name(), ".yaml") {
			f.Add(data)
		}
	}
	f.Add([]byte("waivers:\n  - path: a|agent|b|c\n    owner: o\n    reason: r\n    expires: 2027-01-01\n"))
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := waiver.Parse(strings.NewReader(string(data)), "fuzz.yaml")
		if err != nil {
			var ve *waiver.ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("error %T is not a *ValidationError with problems: %v", err, err)
			}
			return
		}
		for _, w := range file.Waivers {
			if w.Owner == "" || w.Reason == "" || w.Expires.IsZero() || (w.PathID == "" && (w.Core == "" || w.Target == "")) {
				t.Fatalf("accepted an incomplete waiver: %+v", w)
			}
		}
		r := reporttest.Demo()
		waiver.Apply(r, file, reporttest.Now())
	})
}

// A replication path can be waived by its id or by core, target and kind.
func TestParseReplicationKind(t *testing.T) {
	t.Parallel()
	const doc = `waivers:
  - path: CORE01|replication|CORE03|127.0.0.23
    owner: dr-team@corp.example
    reason: second site moves to Kerberos in CHG-3001
    expires: 2027-06-30
  - core: CORE01
    target: CORE03
    kind: replication
    owner: dr-team@corp.example
    reason: same
    expires: 2027-06-30
`
	f, err := waiver.Parse(strings.NewReader(doc), "waivers.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Waivers) != 2 || f.Waivers[1].Kind != verdict.KindReplication {
		t.Fatalf("waivers = %+v", f.Waivers)
	}
	p := verdict.Path{ID: "CORE01|replication|CORE03|127.0.0.23", Core: "CORE01", Target: "CORE03", Kind: verdict.KindReplication}
	for i := range f.Waivers {
		if !f.Waivers[i].Matches(&p) {
			t.Errorf("waiver %d does not match %s", i, p.ID)
		}
	}
}
