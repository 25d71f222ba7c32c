package safetext

import "testing"

func TestEscape(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want, wantLines string }{
		{"AGENT01", "AGENT01", "AGENT01"},
		{"caf\u00e9 \u4e2d CORP\\svc", "caf\u00e9 \u4e2d CORP\\svc", "caf\u00e9 \u4e2d CORP\\svc"},
		{"AGENT\u202eexe.txt", `AGENT\u202eexe.txt`, `AGENT\u202eexe.txt`},
		{"a\u200db\u200bc\u200cd\u2060e\ufefff", `a\u200db\u200bc\u200cd\u2060e\ufefff`, `a\u200db\u200bc\u200cd\u2060e\ufefff`},
		{"\u2066x\u2069\u200e\u200f\u061c", `\u2066x\u2069\u200e\u200f\u061c`, `\u2066x\u2069\u200e\u200f\u061c`},
		{"esc\x1b[2J bel\x07 nul\x00 del\x7f c1\u0085", `esc\x1b[2J bel\x07 nul\x00 del\x7f c1\x85`, `esc\x1b[2J bel\x07 nul\x00 del\x7f c1\x85`},
		{"line1\nline2\r\tx\u2028y", `line1\x0aline2\x0d\x09x\u2028y`, "line1\nline2\\x0d\\x09x\\u2028y"},
		{"bad\xffutf8 \ufffd", `bad\xffutf8 \ufffd`, `bad\xffutf8 \ufffd`},
	}
	for _, tc := range tests {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := EscapeLines(tc.in); got != tc.wantLines {
			t.Errorf("EscapeLines(%q) = %q, want %q", tc.in, got, tc.wantLines)
		}
	}
}
