// Package outdir manages the --output-dir of nightly runs: one lock so two
// runs never overlap, atomic writes (temporary file + rename) so a reader
// never sees half a report, and retention of the last N runs.
package outdir

import (
	"errors"
	"fmt"
	"io"
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

// ErrLockLost means this run no longer holds the directory: its lock file
// was deleted and another run took the directory over. Nothing more is
// written.
var ErrLockLost = errors.New("this run lost the output directory's lock")

// StaleTempAge is how old a temporary file of ntlmscan's must be before
// PruneTemps takes it for the leftover of a killed run. An atomic write
// lasts seconds; an hour leaves any write in progress alone.
const StaleTempAge = time.Hour

// lockAttempts bounds how often Open retries when the lock file is replaced
// between opening and locking it.
const lockAttempts = 10

// afterLock, when set (tests), runs between taking the OS lock and checking
// that the path still names the locked file.
var afterLock func(path string)

// Dir is an output directory held under its lock.
type Dir struct {
	Path string
	lock *os.File
	lost error // set once the directory was taken over; every change fails
}

// Open creates dir if needed and takes its lock without waiting.
func Open(dir string) (*Dir, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create output directory %s: %w", dir, err)
	}
	d := &Dir{Path: dir}
	if err := d.acquire(); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *Dir) lockPath() string { return filepath.Join(d.Path, lockName) }

// acquire takes the OS lock on the file the lock path names. The lock
// belongs to the open file, not to the name: if the file was deleted or
// replaced between opening and locking, the lock guards nothing another run
// would see, so acquire checks that the path still names the locked file
// and tries again otherwise.
func (d *Dir) acquire() error {
	path := d.lockPath()
	for range lockAttempts {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
		if err != nil {
			return fmt.Errorf("open lock file in %s: %w", d.Path, err)
		}
		if err := lockFile(f); err != nil {
			holder, _ := os.ReadFile(path)
			f.Close()
			msg := strings.TrimSpace(string(holder))
			if msg == "" {
				msg = "holder unknown"
			}
			return fmt.Errorf("%w: %s (%s); wait for that run to finish, or stop it. "+
				"The lock is held by the operating system only while that process runs and is released when it ends, even if it is killed, "+
				"so it is never stale: do not delete %s (that would not stop the other run)", ErrLocked, d.Path, msg, path)
		}
		if afterLock != nil {
			afterLock(path)
		}
		if sameFile(f, path) {
			// Record the holder for the message a second run prints; the
			// lock itself is the OS lock, not this text.
			_ = f.Truncate(0)
			_, _ = f.WriteAt([]byte(fmt.Sprintf("pid %d since %s\n", os.Getpid(), time.Now().UTC().Format(time.RFC3339))), 0)
			d.lock = f
			return nil
		}
		_ = unlockFile(f)
		f.Close()
	}
	return fmt.Errorf("lock %s: the lock file was replaced %d times while ntlmscan took it; is another program deleting it?", path, lockAttempts)
}

// sameFile reports whether path still names the open file f.
func sameFile(f *os.File, path string) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	pi, err := os.Stat(path)
	return err == nil && os.SameFile(fi, pi)
}

// held checks, before every change to the directory, that this run still
// holds it. Someone may have deleted the lock file despite the message: the
// OS lock then sits on a file no other run can see. held takes the lock
// again on what the path names now; if another run got there first, that
// run owns the directory and this one stops writing, so two runs never
// write at once.
func (d *Dir) held() error {
	if d.lost != nil {
		return d.lost
	}
	if d.lock == nil {
		return fmt.Errorf("%w: %s was closed", ErrLockLost, d.Path)
	}
	if sameFile(d.lock, d.lockPath()) {
		return nil
	}
	old := d.lock
	if err := d.acquire(); err != nil {
		d.lost = fmt.Errorf("%w: the lock file %s was deleted while this run held %s, and it could not be taken again (%v); this run writes nothing more there",
			ErrLockLost, d.lockPath(), d.Path, err)
		return d.lost
	}
	_ = unlockFile(old)
	old.Close()
	return nil
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
	return d.WriteAtomicFunc(name, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteFileAtomic writes path via a temporary file in the same directory,
// synced before the rename.
func WriteFileAtomic(path string, data []byte) error {
	return WriteFileAtomicFunc(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// runExts are the files one run writes (an interrupted run marks them
// partial); Prune removes nothing else, so files that merely share the
// prefix (a wrapper's ntlmscan-<time>.log, another tool's output) survive.
var runExts = map[string]bool{
	"json": true, "csv": true, "html": true, "summary.md": true,
	"partial.json": true, "partial.csv": true, "partial.html": true, "partial.summary.md": true,
}

// Prune keeps the newest keep runs (a run is every file sharing one
// timestamp) and removes older ones. keep <= 0 keeps everything. The newest
// complete run (the one latest.json holds) is always kept, so a string of
// interrupted runs cannot leave only partial files behind.
func (d *Dir) Prune(keep int) ([]string, error) {
	if keep <= 0 {
		return nil, nil
	}
	if err := d.held(); err != nil {
		return nil, err
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
		stamp, ext, ok := runFile(name)
		if !ok {
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

// runFile splits the name of a file a run writes into its time stamp and
// extension.
func runFile(name string) (stamp, ext string, ok bool) {
	rest, ok := strings.CutPrefix(name, RunPrefix)
	if !ok {
		return "", "", false
	}
	stamp, ext, ok = strings.Cut(rest, ".")
	if !ok || !runExts[ext] {
		return "", "", false
	}
	if _, err := time.Parse("20060102T150405Z", stamp); err != nil {
		return "", "", false
	}
	return stamp, ext, true
}

// PruneTemps removes temporary files that killed runs left behind. It runs
// under the lock and removes only ntlmscan's own names (".latest.json.tmp-N",
// ".ntlmscan-<time>.<ext>.tmp-N", as WriteFileAtomic makes them) older than
// maxAge: a fresh one may be a write in progress (a --json written to this
// directory without the lock). Everything else is left alone.
func (d *Dir) PruneTemps(maxAge time.Duration) ([]string, error) {
	if err := d.held(); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(d.Path)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", d.Path, err)
	}
	cutoff := time.Now().Add(-maxAge)
	var removed []string
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !isOurTemp(name) {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			continue
		}
		if err := os.Remove(filepath.Join(d.Path, name)); err != nil && !os.IsNotExist(err) {
			return removed, fmt.Errorf("remove leftover temporary file %s: %w", name, err)
		}
		removed = append(removed, name)
	}
	return removed, nil
}

// isOurTemp reports whether name is a temporary file WriteFileAtomic makes
// for latest.json or a run file.
func isOurTemp(name string) bool {
	rest, ok := strings.CutPrefix(name, ".")
	if !ok {
		return false
	}
	i := strings.LastIndex(rest, ".tmp-")
	if i < 0 {
		return false
	}
	base, digits := rest[:i], rest[i+len(".tmp-"):]
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return false
	}
	if base == LatestName {
		return true
	}
	_, _, ok = runFile(base)
	return ok
}
