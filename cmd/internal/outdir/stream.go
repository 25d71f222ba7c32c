package outdir

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteAtomicFunc is WriteAtomic for output produced by write: it streams
// into the temporary file, so a large report is never held in memory whole.
// Like every change to the directory, it first checks the run still holds
// the lock.
func (d *Dir) WriteAtomicFunc(name string, write func(io.Writer) error) error {
	if err := d.held(); err != nil {
		return err
	}
	return WriteFileAtomicFunc(filepath.Join(d.Path, name), write)
}

// WriteFileAtomicFunc is WriteFileAtomic for output produced by write:
// readers see the old file or the complete new one, never a partial file,
// and an error from write leaves the old file in place.
func WriteFileAtomicFunc(path string, write func(io.Writer) error) (err error) {
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
	bw := bufio.NewWriterSize(tmp, 256<<10)
	if err = write(bw); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
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
