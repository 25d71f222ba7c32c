package outdir

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestLockExcludesSecondRun(t *testing.T) {
	dir := t.TempDir()
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: got %v, want ErrLocked", err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d2, err := Open(dir)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	d2.Close()
}

func TestWriteAtomicReplacesWholeFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, LatestName)
	for _, content := range []string{"first version, long text", "second"} {
		if err := WriteFileAtomic(p, []byte(content)); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != content {
			t.Fatalf("got %q, want %q", got, content)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func TestWriteAtomicFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.json")
	if err := WriteFileAtomic(p, []byte("old")); err != nil {
		t.Fatal(err)
	}
	// A directory in the way of the rename makes the write fail.
	bad := filepath.Join(dir, "sub")
	if err := os.Mkdir(bad, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "keep"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(bad, []byte("new")); err == nil {
		t.Fatal("rename over a non-empty directory succeeded")
	}
	if got, _ := os.ReadFile(p); string(got) != "old" {
		t.Fatalf("old file changed: %q", got)
	}
}

func TestPruneKeepsNewestRuns(t *testing.T) {
	dir := t.TempDir()
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	base := time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)
	for i := 0; i < 5; i++ {
		ts := base.Add(time.Duration(i) * 24 * time.Hour)
		for _, ext := range []string{"json", "csv"} {
			if err := d.WriteAtomic(RunName(ts, ext), []byte("x")); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := d.WriteAtomic(LatestName, []byte("x")); err != nil {
		t.Fatal(err)
	}
	removed, err := d.Prune(2)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 6 {
		t.Fatalf("removed %d files, want 6: %v", len(removed), removed)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	want := []string{".ntlmscan.lock", "latest.json", "ntlmscan-20261104T020000Z.csv", "ntlmscan-20261104T020000Z.json", "ntlmscan-20261105T020000Z.csv", "ntlmscan-20261105T020000Z.json"}
	if len(names) != len(want) {
		t.Fatalf("left %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("left %v, want %v", names, want)
		}
	}
}

// Retention removes only the files ntlmscan writes for a run, and never the
// newest complete run, whatever interrupted runs came after it.
func TestPruneSparesForeignFilesAndNewestCompleteRun(t *testing.T) {
	day := func(i int) time.Time { return time.Date(2026, 11, 1+i, 2, 0, 0, 0, time.UTC) }
	tests := []struct {
		name  string
		files []string
		keep  int
		want  []string // left besides the lock
	}{
		{
			name: "foreign files sharing the prefix",
			files: []string{RunName(day(0), "json"), RunName(day(0), "log"), RunName(day(0), "json.sig"),
				RunName(day(1), "json"), RunName(day(1), "csv")},
			keep: 1,
			want: []string{RunName(day(0), "json.sig"), RunName(day(0), "log"), RunName(day(1), "csv"), RunName(day(1), "json")},
		},
		{
			name: "interrupted runs after the last complete one",
			files: []string{RunName(day(0), "json"), RunName(day(1), "json"), RunName(day(1), "html"),
				RunName(day(2), "partial.json"), RunName(day(3), "partial.json")},
			keep: 1,
			want: []string{RunName(day(1), "html"), RunName(day(1), "json"), RunName(day(3), "partial.json")},
		},
		{
			name: "Markdown summaries go with their run",
			files: []string{RunName(day(0), "json"), RunName(day(0), "summary.md"), RunName(day(1), "partial.summary.md"),
				RunName(day(2), "json"), RunName(day(2), "summary.md"), RunName(day(2), "notes.md")},
			keep: 1,
			want: []string{RunName(day(2), "json"), RunName(day(2), "summary.md"), RunName(day(2), "notes.md")},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			d, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			for _, n := range tc.files {
				if err := d.WriteAtomic(n, []byte("x")); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := d.Prune(tc.keep); err != nil {
				t.Fatal(err)
			}
			entries, _ := os.ReadDir(dir)
			var names []string
			for _, e := range entries {
				if e.Name() != lockName {
					names = append(names, e.Name())
				}
			}
			sort.Strings(names)
			want := append([]string(nil), tc.want...)
			sort.Strings(want)
			if strings.Join(names, " ") != strings.Join(want, " ") {
				t.Fatalf("left %v, want %v", names, want)
			}
		})
	}
}
