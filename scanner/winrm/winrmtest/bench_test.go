package winrmtest

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// syntheticLab builds n domain members on 127.<200+k>.x.y, every tenth with
// an HTTPS listener too, each with a little registry, a service and a local user.
func syntheticLab(tb testing.TB, n int) *Lab {
	tb.Helper()
	var b strings.Builder
	b.WriteString("domains:\n  - {name: bench.example, netbios: BENCH, users: [{name: scanner, password: Bench-Passw0rd!}]}\nhosts:\n")
	for i := 0; i < n; i++ {
		https := i%10 == 0
		fmt.Fprintf(&b, "  - name: H%05d\n    address: 127.%d.%d.%d\n    domain: bench.example\n", i, 200+i/62500, i/250%250, i%250+1)
		fmt.Fprintf(&b, "    os: {caption: Microsoft Windows Server 2022 Standard, build: 20348}\n    winrm: {https: %v}\n", https)
		b.WriteString("    users: [{name: local, password: Local-Passw0rd!}]\n    listens: [445, 5985, 8006]\n")
		b.WriteString("    services: [{name: RapidRecoveryAgent, state: Running}]\n")
		fmt.Fprintf(&b, "    registry:\n      - {path: 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\LmCompatibilityLevel', type: REG_DWORD, value: %d}\n", i%6)
	}
	lab, err := ParseLab([]byte(b.String()), "synthetic.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return lab
}

// BenchmarkStart1000Hosts measures NewServer+Close for a 1,000-host lab
// (1,100 listeners on 1,000 addresses) and reports the heap the running
// server holds (heap, and goroutine stacks of its listeners).
func BenchmarkStart1000Hosts(b *testing.B) {
	lab := syntheticLab(b, 1000)
	b.ReportAllocs()
	var heapMB, stackMB float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		srv, err := NewServer(lab, WithEphemeralPorts())
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		heapMB = float64(int64(after.HeapInuse)-int64(before.HeapInuse)) / (1 << 20)
		stackMB = float64(int64(after.StackInuse)-int64(before.StackInuse)) / (1 << 20)
		if n := len(srv.Hosts()); n != 1000 {
			b.Fatalf("%d hosts", n)
		}
		srv.Close()
	}
	b.ReportMetric(heapMB, "heap-MB")
	b.ReportMetric(stackMB, "stack-MB")
}

// TestThousandHostsAnswer starts the synthetic 1,000-host lab once and scans
// a sample of hosts through the real client (correctness, not speed).
func TestThousandHostsAnswer(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	srv := startLab(t, syntheticLab(t, 1000))
	for _, name := range []string{"H00000", "H00499", "H00999"} {
		c := newClient(t, srv, name, trEncryption, false, `BENCH\scanner`, "Bench-Passw0rd!", "")
		out, _, _, err := run(t, c, "hostname")
		if err != nil || out != name+"\r\n" {
			t.Errorf("%s: hostname = %q, %v", name, out, err)
		}
	}
	c := newClient(t, srv, "H00010", trBasic, true, "local", "Local-Passw0rd!", "")
	if _, _, _, err := run(t, c, "whoami"); err == nil {
		t.Error("Basic accepted on a host with Basic disabled")
	}
}
