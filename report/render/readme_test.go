package render_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/report/internal/reporttest"
	"github.com/ntlmscan/ntlmscan/report/render"
	"github.com/ntlmscan/ntlmscan/report/verdict"
)

// The README's verdict legend lists the verdicts in the engine's order and
// explains each one; the renderers' legends use the same order.
func TestREADMELegendMatchesEngine(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	_, rest, ok := strings.Cut(readme, "The verdicts, worst first: ")
	if !ok {
		t.Fatal(`README lacks "The verdicts, worst first: "`)
	}
	line, _, _ := strings.Cut(rest, "\n")
	var got []verdict.Verdict
	for _, m := range regexp.MustCompile(`\*\*([a-z-]+)\*\*`).FindAllStringSubmatch(line, -1) {
		got = append(got, verdict.Verdict(m[1]))
	}
	if !slices.Equal(got, verdict.Order()) {
		t.Errorf("README order %v, engine order %v", got, verdict.Order())
	}
	for _, v := range verdict.Order() {
		if !strings.Contains(readme, "| `"+string(v)+"` | ") {
			t.Errorf("README legend table has no row for %s", v)
		}
		if render.VerdictMeaning(v) == "" {
			t.Errorf("no legend text for %s", v)
		}
	}
}

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
