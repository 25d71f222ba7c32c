package report

import (
	"strings"
	"testing"
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
