package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/report"
)

// TestReportRefusesOversizedFile: a report file over the size limit (here
// a sparse file: no disk used) is refused by name and size, without being
// read.
func TestReportRefusesOversizedFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "huge.json")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := fh.Truncate(report.MaxDocumentBytes + 1); err != nil {
		t.Skipf("cannot make a sparse file here: %v", err)
	}
	fh.Close()
	for _, args := range [][]string{{"report", path, "--format", "csv"}, {"diff", path, path}, {"plan", path}} {
		r := run(t, nil, args...)
		if r.code != ExitError || !strings.Contains(r.stderr, path) || !strings.Contains(r.stderr, "268435457 bytes") {
			t.Errorf("%v: exit %d, stderr %q; want exit %d naming the file and its size", args, r.code, r.stderr, ExitError)
		}
	}
}
