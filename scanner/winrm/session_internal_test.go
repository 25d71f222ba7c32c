package winrm

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestCapWriterHoldsUnderIOCopy(t *testing.T) {
	stopped := 0
	w := &capWriter{limit: 10, onOverflow: func() { stopped++ }}
	n, err := io.Copy(w, strings.NewReader(strings.Repeat("x", 1000)))
	if err != nil || n != 1000 {
		t.Fatalf("copy drained %d bytes, err %v (it must keep draining)", n, err)
	}
	if !w.overflow || stopped != 1 || !bytes.Equal(w.Bytes(), bytes.Repeat([]byte("x"), 10)) {
		t.Fatalf("overflow=%v stopped=%d kept=%q", w.overflow, stopped, w.Bytes())
	}
	if _, ok := any(w).(io.ReaderFrom); ok {
		t.Fatal("capWriter must not implement io.ReaderFrom: io.Copy would bypass the cap")
	}
}
