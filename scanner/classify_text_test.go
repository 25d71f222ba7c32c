package scanner

import (
	"strings"
	"testing"
)

// Host error messages quote what hosts and files said; invisible and
// control characters in them are shown as escapes, not acted on.
func TestClassifiedMessagesEscapeInvisibleCharacters(t *testing.T) {
	t.Parallel()
	he := classify(failure{err: &credError{msg: "file AGENT\u202eexe.txt\u200d\x1b[2J", hint: "h"}})
	for _, bad := range []string{"\u202e", "\u200d", "\x1b"} {
		if strings.Contains(he.Message, bad) {
			t.Errorf("message contains raw %q: %q", bad, he.Message)
		}
	}
	if !strings.Contains(he.Message, `AGENT\u202eexe.txt\u200d\x1b[2J`) {
		t.Errorf("message = %q, want the characters shown as escapes", he.Message)
	}
}
