package render_test

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/report/internal/reporttest"
	"github.com/ntlmscan/ntlmscan/report/render"
	"github.com/ntlmscan/ntlmscan/report/verdict"
)

// TestPlanCSVLists: the plan CSV's add and final_list cells hold one entry
// per line (a multi-line cell a spreadsheet shows as a list), every other
// cell and a hostile first entry are protected against formula injection,
// and a line break inside an entry cannot fake a second entry.
func TestPlanCSVLists(t *testing.T) {
	t.Parallel()
	r := reporttest.DemoFull()
	var list *verdict.Change
	for i := range r.Matrix.Plan {
		if r.Matrix.Plan[i].Kind == verdict.ChangeList {
			list = &r.Matrix.Plan[i]
			break
		}
	}
	if list == nil {
		t.Fatal("the demo plan has no list change")
	}
	list.Add = []string{`=HYPERLINK("http://evil.example")`, "two\nlines", "agent05"}
	list.Final = append([]string{"+cmd|' /C calc'!A0", "legacy01"}, list.Add...)
	list.Notes = []string{"@SUM(1+1)"}
	var out bytes.Buffer
	if err := render.RenderPlan(&out, r, render.PlanCSV); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := func(name string) int { return slices.Index(render.PlanCSVColumns(), name) }
	var row []string
	for _, rw := range rows[1:] {
		if rw[col("change_id")] == list.ID {
			row = rw
		}
	}
	if row == nil {
		t.Fatalf("no row for %s", list.ID)
	}
	wantAdd := []string{`'=HYPERLINK("http://evil.example")`, `two\x0alines`, "agent05"}
	if got := strings.Split(row[col("add")], "\n"); !slices.Equal(got, wantAdd) {
		t.Errorf("add cell lines %q, want %q", got, wantAdd)
	}
	if got := strings.Split(row[col("final_list")], "\n"); len(got) != len(list.Final) || got[0] != "'+cmd|' /C calc'!A0" || got[1] != "legacy01" {
		t.Errorf("final_list cell lines %q, want %d entries, the first quoted", got, len(list.Final))
	}
	if got := row[col("notes")]; got != "'@SUM(1+1)" {
		t.Errorf("notes cell %q, want it quoted", got)
	}
	for _, rw := range rows[1:] {
		for j, cell := range rw {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("row %s column %s starts with %q", rw[0], rows[0][j], cell[0])
			}
		}
	}
}
