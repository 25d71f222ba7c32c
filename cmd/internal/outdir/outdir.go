// Package outdir manages the --output-dir of nightly runs: one lock so two
// runs never overlap, atomic writes (temporary file + rename) so a reader
// never sees half a report, and retention of the last N runs.
package outdir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// LatestName is the file that always holds the newest complete scan.
const LatestName = "latest.json"

// RunPrefix starts every timestamped run file.
const RunPrefix = "ntlmscan-"

const lockName = ".ntlmscan.lock"

// ErrLocked means another run holds the directory.
var ErrLocked = errors.New("output directory is locked by another ntlmscan run")

// Dir is an output directory held under its lock.
type Dir struct {
	Path string
	lock *os.File
}

// Open creates dir if needed and takes its lock without waiting.
func Open(dir string) (*Dir, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create output directory %s: %w", dir, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open lock file in %s: %w", dir, err)
	}
	if err := lockFile(f); err != nil {
		holder, _ := os.ReadFile(f.Name())
		f.Close()
		msg := strings.TrimSpace(string(holder))
		if msg == "" {
			msg = "unknown holder"
		}
		return nil, fmt.Errorf("%w: %s (%s); wait for it to finish or remove a stale lock file %s", ErrLocked, dir, msg, filepath.Join(dir, lockName))
	}
	// Record the holder for the message a second run prints; the lock itself
	// is the OS lock, not this text.
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(fmt.Sprintf("pid %d since %s\n", os.Getpid(), time.Now().UTC().Format(time.RFC3339))), 0)
	return &Dir{Path: dir, lock: f}, nil
}

// Close releases the lock.
func (d *Dir) Close() error {
	if d == nil || d.lock == nil {
		return nil
	}
	_ = unlockFile(d.lock)
	err := d.lock.Close()
	d.lock = nil
	return err
}

// RunName returns the timestamped file name of a run's output.
func RunName(t time.Time, ext string) string {
	return RunPrefix + t.UTC().Format("20060102T150405Z") + "." + ext
}

// WriteAtomic writes data to name inside the directory so that readers see
// either the old file or the complete new one.
func (d *Dir) WriteAtomic(name string, data []byte) error {
	return WriteFileAtomic(filepath.Join(d.Path, name), data)
}

// WriteFileAtomic writes path via a temporary file in the same directory,
// synced before the rename.
func WriteFileAtomic(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Chmod(tmp.Name(), 0o640); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// runExts are the files one run writes (an interrupted run marks them
// partial); Prune removes nothing else, so files that merely share the
// prefix (a wrapper's ntlmscan-<time>.log, another tool's output) survive.
var runExts = map[string]bool{
	"json": true, "csv": true, "html": true,
	"partial.json": true, "partial.csv": true, "partial.html": true,
}

// Prune keeps the newest keep runs (a run is every file sharing one
// timestamp) and removes older ones. keep <= 0 keeps everything. The newest
// complete run (the one latest.json holds) is always kept, so a string of
// interrupted runs cannot leave only partial files behind.
func (d *Dir) Prune(keep int) ([]string, error) {
	if keep <= 0 {
		return nil, nil
	}
	entries, err := os.ReadDir(d.Path)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", d.Path, err)
	}
	runs := map[string][]string{}
	complete := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(name, RunPrefix) {
			continue
		}
		stamp, ext, ok := strings.Cut(strings.TrimPrefix(name, RunPrefix), ".")
		if !ok || !runExts[ext] {
			continue
		}
		if _, err := time.Parse("20060102T150405Z", stamp); err != nil {
			continue
		}
		runs[stamp] = append(runs[stamp], name)
		if !strings.HasPrefix(ext, "partial.") {
			complete[stamp] = true
		}
	}
	stamps := make([]string, 0, len(runs))
	for s := range runs {
		stamps = append(stamps, s)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(stamps)))
	newestComplete := ""
	for _, s := range stamps {
		if complete[s] {
			newestComplete = s
			break
		}
	}
	var removed []string
	for _, s := range stamps[min(keep, len(stamps)):] {
		if s == newestComplete {
			continue
		}
		names := runs[s]
		sort.Strings(names)
		for _, n := range names {
			if err := os.Remove(filepath.Join(d.Path, n)); err != nil && !os.IsNotExist(err) {
				return removed, fmt.Errorf("remove old run %s: %w", n, err)
			}
			removed = append(removed, n)
		}
	}
	return removed, nil
}
