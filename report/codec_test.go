package report_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/internal/reporttest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func encode(t *testing.T, r *report.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := report.Encode(&buf, r); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rep  *report.Report
	}{
		{"demo", reporttest.Demo()},
		{"demo with baseline and waivers", reporttest.DemoFull()},
		{"empty", &report.Report{Kind: report.Kind, Schema: report.SchemaVersion, RunID: "r0", GeneratedAt: reporttest.Now()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data := encode(t, tc.rep)
			got, err := report.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tc.rep) {
				t.Errorf("round trip changed the report\n got: %+v\nwant: %+v", got, tc.rep)
			}
			if again := encode(t, got); !bytes.Equal(again, data) {
				t.Errorf("re-encoding differs:\n%s\n----\n%s", again, data)
			}
		})
	}
}

func TestEncodeSetsVersionAndUTC(t *testing.T) {
	t.Parallel()
	r := reporttest.Demo()
	r.Kind, r.Schema = "", 0
	r.GeneratedAt = time.Date(2026, 11, 24, 3, 0, 0, 0, time.FixedZone("CET", 3600))
	data := encode(t, r)
	if r.Kind != "" || r.Schema != 0 {
		t.Error("Encode modified its argument")
	}
	for _, want := range []string{`"kind": "ntlmscan.report"`, `"schema": 3`, `"generatedAt": "2026-11-24T02:00:00Z"`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("encoded report lacks %s", want)
		}
	}
}

// TestGoldenJSON pins the JSON shape: a change here needs a SchemaVersion bump.
func TestGoldenJSON(t *testing.T) {
	t.Parallel()
	got := encode(t, reporttest.DemoFull())
	golden := filepath.Join("testdata", "demo-report.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("JSON differs from %s; if the shape changed on purpose, bump report.SchemaVersion and run -update", golden)
	}
}

func TestDecodeRefuses(t *testing.T) {
	t.Parallel()
	valid := string(encode(t, reporttest.Demo()))
	tests := []struct {
		name    string
		input   string
		wantErr string
		wantIs  error
		schema  *report.SchemaError
	}{
		{name: "future schema", input: strings.Replace(valid, `"schema": 3`, `"schema": 7`, 1),
			wantErr: "schema 7 is newer than this ntlmscan understands (schema 3): upgrade ntlmscan",
			schema:  &report.SchemaError{Kind: report.Kind, Got: 7, Want: 3}},
		{name: "future schema with new fields", input: `{"kind":"ntlmscan.report","schema":4,"shinyNewField":true}`,
			wantErr: "upgrade ntlmscan", schema: &report.SchemaError{Kind: report.Kind, Got: 4, Want: 3}},
		{name: "old schema", input: `{"kind":"ntlmscan.report","schema":0}`,
			wantErr: "schema 0 is not supported", schema: &report.SchemaError{Kind: report.Kind, Got: 0, Want: 3}},
		{name: "no schema", input: `{"kind":"ntlmscan.report"}`, wantErr: `no "schema"`, wantIs: report.ErrNotReport},
		{name: "not a report", input: `{"hosts":[]}`, wantErr: "ntlmscan scan --format json", wantIs: report.ErrNotReport},
		{name: "a diff", input: `{"kind":"ntlmscan.diff","schema":1}`, wantErr: `kind is "ntlmscan.diff"`, wantIs: report.ErrNotReport},
		{name: "facts document", input: `{"schema":1,"identity":{}}`, wantIs: report.ErrNotReport},
		{name: "array", input: `[1,2]`, wantIs: report.ErrNotReport},
		{name: "syntax error with position", input: "{\n  \"kind\": \"ntlmscan.report\",\n  \"schema\": 1,\n  oops\n}",
			wantErr: "line 4, column 3"},
		{name: "unknown field", input: strings.Replace(valid, `"runId"`, `"runID2": "x", "runId"`, 1), wantErr: `unknown field "runID2"`},
		{name: "trailing data", input: valid + `{"more":1}`, wantErr: "trailing data"},
		{name: "unknown verdict", input: strings.Replace(valid, `"verdict": "blocked"`, `"verdict": "fine"`, 1), wantErr: `unknown verdict "fine"`},
		{name: "duplicate path", input: strings.Replace(valid, `"id": "CORE01|agent|AGENT02|127.0.0.32"`, `"id": "CORE01|agent|AGENT01|agent01.corp.example"`, 1),
			wantErr: "appears twice"},
		{name: "empty input", input: " \n", wantErr: "empty", wantIs: report.ErrNotReport},
		{name: "wrong type", input: strings.Replace(valid, `"port": 8006`, `"port": "8006"`, 1), wantErr: "invalid report JSON at line"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := report.Decode(strings.NewReader(tc.input))
			if err == nil {
				t.Fatalf("Decode accepted it: %+v", r)
			}
			if tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not contain %q", err, tc.wantErr)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("error %v is not %v", err, tc.wantIs)
			}
			if tc.schema != nil {
				var se *report.SchemaError
				if !errors.As(err, &se) || *se != *tc.schema {
					t.Errorf("error %#v, want SchemaError %#v", err, tc.schema)
				}
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "demo-report.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"kind":"ntlmscan.report","schema":1,"matrix":{"paths":[{"id":"a","verdict":"ok"}]}}`))
	f.Add([]byte(`{"kind":"ntlmscan.report","schema":1,"hosts":[{"host":"x","facts":{"schema":1}}]}`))
	f.Add([]byte(`{"kind":"ntlmscan.report","schema":99}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := report.Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		// Whatever decodes must encode and decode to the same document.
		var first bytes.Buffer
		if err := report.Encode(&first, r); err != nil {
			t.Fatalf("Encode of a decoded report: %v", err)
		}
		r2, err := report.Decode(bytes.NewReader(first.Bytes()))
		if err != nil {
			t.Fatalf("re-decode: %v\n%s", err, first.Bytes())
		}
		var second bytes.Buffer
		if err := report.Encode(&second, r2); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Fatalf("encoding is not stable:\n%s\n----\n%s", first.Bytes(), second.Bytes())
		}
	})
}

// The streamed encoder writes exactly the document that indenting the
// whole report at once would, without building that copy.
func TestEncodeStreamsTheIndentedDocument(t *testing.T) {
	t.Parallel()
	for name, r := range map[string]*report.Report{"demo": reporttest.Demo(), "full": reporttest.DemoFull(), "empty": {}} {
		doc := *r
		doc.Kind, doc.Schema, doc.GeneratedAt = report.Kind, report.SchemaVersion, r.GeneratedAt.UTC()
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(&doc); err != nil {
			t.Fatal(err)
		}
		if got := encode(t, r); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s: streamed JSON differs from the indented document:\n%s", name, firstDiff(got, want.Bytes()))
		}
	}
}

func firstDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-80)
	return "got:  " + string(a[from:min(len(a), i+80)]) + "\nwant: " + string(b[from:min(len(b), i+80)])
}

// A schema 1 report (an older ntlmscan, e.g. last night's baseline) is
// read and marked as migrated, so report and diff keep working and say so.
func TestDecodeMigratesSchema1(t *testing.T) {
	t.Parallel()
	f, err := os.Open(filepath.Join("testdata", "demo-report-schema1.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := report.Decode(f)
	if err != nil {
		t.Fatalf("schema 1 report refused: %v", err)
	}
	if r.MigratedFrom != 1 || r.Schema != report.SchemaVersion || len(r.Matrix.Paths) == 0 {
		t.Errorf("migrated from %d, schema %d, %d paths", r.MigratedFrom, r.Schema, len(r.Matrix.Paths))
	}
	if note := r.MigrationNote(); !strings.Contains(note, "schema 1") || !strings.Contains(note, "re-run the scan") {
		t.Errorf("migration note = %q", note)
	}
	if (&report.Report{}).MigrationNote() != "" {
		t.Error("a current report has a migration note")
	}
}

// A schema 2 report (before the SMB probe, operations, replication paths
// and evidence) is read as a subset of schema 3: its paths have no
// operations and no evidence state, and the note says what it lacks.
func TestDecodeMigratesSchema2(t *testing.T) {
	t.Parallel()
	f, err := os.Open(filepath.Join("testdata", "demo-report-schema2.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := report.Decode(f)
	if err != nil {
		t.Fatalf("schema 2 report refused: %v", err)
	}
	if r.MigratedFrom != 2 || r.Schema != report.SchemaVersion || len(r.Matrix.Paths) == 0 || len(r.Matrix.Plan) == 0 {
		t.Fatalf("migrated from %d, schema %d, %d paths, %d plan changes", r.MigratedFrom, r.Schema, len(r.Matrix.Paths), len(r.Matrix.Plan))
	}
	for _, p := range r.Matrix.Paths {
		if len(p.Operations) != 0 || p.Impact != "" {
			t.Errorf("%s: operations %v impact %q invented for a schema 2 path", p.ID, p.Operations, p.Impact)
		}
		if p.Evidence != nil {
			t.Errorf("%s has evidence in a schema 2 report", p.ID)
		}
	}
	note := r.MigrationNote()
	for _, want := range []string{"schema 2", "SMB probe", "operations", "replication paths", "no NTLM event evidence"} {
		if !strings.Contains(note, want) {
			t.Errorf("migration note lacks %q: %q", want, note)
		}
	}
	if strings.Contains(note, "no change plan") {
		t.Errorf("migration note = %q", note)
	}
}
