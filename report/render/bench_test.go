package render_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/internal/reporttest"
	"github.com/ntlmscan/ntlmscan/report/render"
	"github.com/ntlmscan/ntlmscan/report/verdict"
)

// bigReport is the demo fleet scaled to n Cores with 50 agents each.
func bigReport(n int) *report.Report {
	r := reporttest.Demo()
	base := r.Matrix.Paths
	var paths []verdict.Path
	for c := 0; c < n; c++ {
		for a := 0; a < 50; a++ {
			p := base[a%len(base)]
			p.Core = "CORE" + itoa(c)
			p.Target = "AGENT" + itoa(a)
			p.ID = p.Core + "|" + string(p.Kind) + "|" + p.Target + "|" + p.NameUsed
			paths = append(paths, p)
		}
	}
	r.Matrix.Paths = paths
	return r
}

func itoa(n int) string { return string(rune('A'+n/26)) + string(rune('A'+n%26)) }

// BenchmarkRender measures each format on 20 Cores x 50 agents (1000 paths).
func BenchmarkRender(b *testing.B) {
	r := bigReport(20)
	for _, f := range render.Formats() {
		rd, _ := render.New(f)
		b.Run(f, func(b *testing.B) {
			for b.Loop() {
				if err := rd.Render(io.Discard, r, render.Options{Width: 160}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	var buf bytes.Buffer
	if err := report.Encode(&buf, bigReport(20)); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		if _, err := report.Decode(bytes.NewReader(buf.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
}
