package outdir

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

// The lock is an OS lock: the message never tells users to delete it.
func TestLockMessageDoesNotSayDelete(t *testing.T) {
	dir := t.TempDir()
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	_, err = Open(dir)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("got %v, want ErrLocked", err)
	}
	msg := err.Error()
	for _, bad := range []string{"remove", "delete", "stale"} {
		if strings.Contains(strings.ToLower(msg), bad) && !strings.Contains(msg, "do not delete") {
			t.Errorf("lock message suggests to %s the lock: %s", bad, msg)
		}
	}
	if !strings.Contains(msg, "pid ") {
		t.Errorf("lock message does not name the holder: %s", msg)
	}
}

// Deleting the lock file while a run holds it never lets two runs write:
// either the holder notices and re-takes the lock before the second run
// gets it, or the second run gets it and the first one stops writing.
func TestDeletedLockFileNeverAllowsTwoWriters(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows does not delete a file that is open")
	}
	t.Run("holder re-takes the lock", func(t *testing.T) {
		dir := t.TempDir()
		a, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		if err := os.Remove(filepath.Join(dir, lockName)); err != nil {
			t.Fatal(err)
		}
		if err := a.WriteAtomic("x.json", []byte("a")); err != nil {
			t.Fatalf("holder's write after the lock file was deleted: %v", err)
		}
		if b, err := Open(dir); !errors.Is(err, ErrLocked) {
			b.Close()
			t.Fatalf("second run got the directory while the first holds it: %v", err)
		}
	})
	t.Run("second run took it first", func(t *testing.T) {
		dir := t.TempDir()
		a, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		if err := os.Remove(filepath.Join(dir, lockName)); err != nil {
			t.Fatal(err)
		}
		b, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if err := a.WriteAtomic("x.json", []byte("a")); !errors.Is(err, ErrLockLost) {
			t.Fatalf("first run wrote after losing its lock: %v", err)
		}
		// The scan writes every run file through the streaming writer.
		if err := a.WriteAtomicFunc("y.json", func(w io.Writer) error { _, err := w.Write([]byte("a")); return err }); !errors.Is(err, ErrLockLost) {
			t.Fatalf("first run streamed a file after losing its lock: %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, "y.json")); !os.IsNotExist(err) {
			t.Fatalf("y.json written by the run that lost the lock: %v", err)
		}
		if _, err := a.Prune(1); !errors.Is(err, ErrLockLost) {
			t.Fatalf("first run pruned after losing its lock: %v", err)
		}
		if err := b.WriteAtomic("x.json", []byte("b")); err != nil {
			t.Fatal(err)
		}
	})
}

// A lock file replaced between open and lock (a holder that removed it on
// exit, a user) is not trusted: Open locks the file the path names.
func TestOpenRetriesWhenLockFileIsReplaced(t *testing.T) {
	dir := t.TempDir()
	replaced := 0
	afterLock = func(path string) {
		if replaced == 0 {
			replaced++
			os.Remove(path)
		}
	}
	defer func() { afterLock = nil }()
	a, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if replaced != 1 {
		t.Fatal("hook not called")
	}
	if b, err := Open(dir); !errors.Is(err, ErrLocked) {
		b.Close()
		t.Fatalf("the lock taken by Open is not the one the path names: second Open got %v", err)
	}
}

// Temporary files of killed runs are pruned under the lock: only ntlmscan's
// own names, only when old; anything else is left alone.
func TestPruneTempsRemovesOnlyOurOldTempFiles(t *testing.T) {
	dir := t.TempDir()
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	old := time.Now().Add(-3 * time.Hour)
	files := map[string]bool{ // name -> should be removed
		".latest.json.tmp-123456":                      true,
		".ntlmscan-20261101T020000Z.json.tmp-99":       true,
		".ntlmscan-20261101T020000Z.partial.csv.tmp-7": true,
		".report.json.tmp-123":                         false, // a --json file of another name: not ours to judge
		"notes.tmp-1":                                  false,
		".latest.json.tmp-":                            false,
		".latest.json.tmp-12x":                         false,
	}
	for name := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("half"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	// A fresh one may belong to a write in progress (an unlocked --json to
	// latest.json): left alone.
	fresh := filepath.Join(dir, ".latest.json.tmp-555")
	if err := os.WriteFile(fresh, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	files[".latest.json.tmp-555"] = false

	removed, err := d.PruneTemps(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for name, rm := range files {
		if rm {
			want = append(want, name)
		}
		_, statErr := os.Stat(filepath.Join(dir, name))
		if gone := os.IsNotExist(statErr); gone != rm {
			t.Errorf("%s: removed=%v, want %v", name, gone, rm)
		}
	}
	sort.Strings(want)
	sort.Strings(removed)
	if strings.Join(removed, " ") != strings.Join(want, " ") {
		t.Errorf("reported %v, want %v", removed, want)
	}
}
