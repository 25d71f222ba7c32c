package render_test

import (
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/report/render"
)

// Zero-width and other invisible format characters in names are shown as
// escapes too: AGENT01 and AGENT0<ZWJ>1 must not look alike in a report.
func TestInvisibleCharactersShown(t *testing.T) {
	t.Parallel()
	r := hostile([]string{"AGENT0\u200d1", "x\u200by", "\ufeffBOM", "a\u2028b", "soft\u00adhyphen"})
	for _, format := range []string{"table", "markdown"} {
		out := string(render1(t, format, r, render.Options{}))
		if format == "markdown" {
			out = withoutCodeBlocks(t, out)
		}
		for _, bad := range []string{"\u200d", "\u200b", "\ufeff", "\u2028", "\u00ad"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s output contains raw %U", format, []rune(bad)[0])
			}
		}
		if !strings.Contains(out, `AGENT0\u200d1`) {
			t.Errorf("%s output lacks the visible form of AGENT0<ZWJ>1", format)
		}
	}
}
