package render_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/report/internal/reporttest"
	"github.com/ntlmscan/ntlmscan/report/render"
)

// Nothing a renderer adds (legends, headings, plan text) cites a file
// users do not have; the engine's own text is checked in report/verdict.
func TestRenderedTextCitesNothingUsersLack(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`NTLM-RULES|§|\[S\d+\]|DEMO-FLEET|/work/`)
	r := reporttest.DemoFull()
	for _, f := range render.Formats() {
		if loc := re.FindIndex(render1(t, f, r, render.Options{})); loc != nil {
			t.Errorf("%s output cites a file users do not have", f)
		}
	}
	for _, f := range render.PlanFormats() {
		var b strings.Builder
		if err := render.RenderPlan(&b, r, f); err != nil {
			t.Fatal(err)
		}
		if re.MatchString(b.String()) {
			t.Errorf("plan %s output cites a file users do not have", f)
		}
	}
}
