package report

import (
	"bytes"
	"io/fs"
	"strings"
	"testing"
	"time"
)

func TestDecodeTooLarge(t *testing.T) {
	t.Parallel()
	const limit = 1 << 10
	doc := `{"kind":"ntlmscan.report","schema":1,"runId":"` + strings.Repeat("x", limit) + `"}`
	if _, err := decode(strings.NewReader(doc), limit); err == nil || !strings.Contains(err.Error(), "larger than 1024 bytes") {
		t.Errorf("decode of an oversized document: %v", err)
	}
	if _, err := decode(strings.NewReader(doc), 2*limit); err != nil {
		t.Errorf("decode within the limit: %v", err)
	}
}

// sizedReader is a file whose Stat reports size; it counts what is read.
type sizedReader struct {
	size int64
	read int
}

func (r *sizedReader) Read(p []byte) (int, error) {
	n := copy(p, bytes.Repeat([]byte(" "), len(p)))
	r.read += n
	return n, nil
}

func (r *sizedReader) Stat() (fs.FileInfo, error) { return sizedInfo{r.size}, nil }

type sizedInfo struct{ size int64 }

func (i sizedInfo) Name() string       { return "scan.json" }
func (i sizedInfo) Size() int64        { return i.size }
func (i sizedInfo) Mode() fs.FileMode  { return 0o644 }
func (i sizedInfo) ModTime() time.Time { return time.Time{} }
func (i sizedInfo) IsDir() bool        { return false }
func (i sizedInfo) Sys() any           { return nil }

// TestDecodeRefusesOversizedFileUnread: a file larger than the limit is
// refused from its size, before a byte of it is read into memory.
func TestDecodeRefusesOversizedFileUnread(t *testing.T) {
	r := &sizedReader{size: 1<<30 + 1}
	_, err := decode(r, 1<<20)
	if err == nil || !strings.Contains(err.Error(), "1073741825 bytes") {
		t.Fatalf("error %v, want the file's size named", err)
	}
	if r.read != 0 {
		t.Errorf("read %d bytes of an oversized file before refusing it", r.read)
	}
}
