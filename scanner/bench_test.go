package scanner

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

// benchLab is n domain members on 127.30.x.y (250 per /24), so that a lab
// of any size has one loopback address per host, as real fleets do.
func benchLab(n int) *winrmtest.Lab {
	lab := generatedLab(0, 0, domainPass, winrmtest.Faults{})
	for i := range n {
		lab.Hosts = append(lab.Hosts, &winrmtest.Host{
			Name: fmt.Sprintf("B%04d", i), Address: fmt.Sprintf("127.30.%d.%d", i/250, i%250+1), Domain: "corp.example",
			OS: winrmtest.OS{Caption: "Windows Server 2022 Standard", Build: 20348},
		})
	}
	return lab
}

// BenchmarkScan scans a synthetic fleet with Run at concurrency 32: every
// host does the full exchange (NTLM handshake per connection, sealing,
// Create/Command/Send/Receive/Signal/Delete, collector request and parse).
// One op is one scan of the whole fleet. Benchmarks run only with -bench:
//
//	go test -run '^$' -bench BenchmarkScan -benchtime 3x ./scanner/
func BenchmarkScan(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			srv, err := winrmtest.NewServer(benchLab(n), winrmtest.WithEphemeralPorts(), winrmtest.WithMaxCalls(1))
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			f := newFleet(b, srv, names(srv)...)
			opts := Options{Password: labPasswords, Concurrency: 32}
			b.ReportAllocs()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			b.ResetTimer()
			scans := 0
			for b.Loop() {
				scans++
				res := Run(context.Background(), f.inv, opts)
				for _, r := range res {
					if !r.OK() {
						b.Fatalf("%s: %+v", r.Host, r.Error)
					}
				}
			}
			b.StopTimer()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(n*scans)/b.Elapsed().Seconds(), "hosts/s")
			// Client and simulator share the process: this is both sides.
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(n*scans), "B/host")
		})
	}
}
