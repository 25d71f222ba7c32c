package winrmtest

import (
	"net"
	"os"
	"strconv"
	"testing"
	"time"
)

func openFiles(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(ents)
}

// TestSharedListener: WithSharedListener serves every host's WinRM over
// HTTP from one listener, dispatching each connection by the address it was
// made to, so a 20,000-host lab fits an open-file limit of 20,000. Each host
// still answers as itself; HTTPS listeners stay per host; a connection to
// an address no host has is closed.
func TestSharedListener(t *testing.T) {
	lab := syntheticLab(t, 60)
	before := openFiles(t)
	srv, err := NewServer(lab, WithEphemeralPorts(), WithSharedListener())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	// 54 HTTP hosts, 6 with HTTPS too: one shared listener, six own, the KDC.
	if opened := openFiles(t) - before; opened > 12 {
		t.Errorf("the server opened %d files for 60 hosts, want about 8", opened)
	}
	eps := srv.Hosts()
	port := eps[0].HTTPPort
	for _, ep := range eps {
		if ep.HTTPPort != port || ep.HTTPPort == 0 {
			t.Fatalf("%s serves HTTP on %d, want the shared %d", ep.Name, ep.HTTPPort, port)
		}
	}
	for _, name := range []string{"H00000", "H00031", "H00059"} {
		c := newClient(t, srv, name, trEncryption, false, `BENCH\scanner`, "Bench-Passw0rd!", "")
		out, _, _, err := run(t, c, "hostname")
		if err != nil || out != name+"\r\n" {
			t.Errorf("%s: hostname = %q, %v", name, out, err)
		}
		if n := len(srv.CallsFor(name)); n == 0 {
			t.Errorf("%s: no calls recorded", name)
		}
	}
	c := newClient(t, srv, "H00010", trEncryption, true, `BENCH\scanner`, "Bench-Passw0rd!", "")
	if out, _, _, err := run(t, c, "hostname"); err != nil || out != "H00010\r\n" {
		t.Errorf("HTTPS H00010: hostname = %q, %v", out, err)
	}
	if n := len(srv.CallsFor("H00001")); n != 0 {
		t.Errorf("H00001 got %d calls meant for others", n)
	}
	// An address no lab host has: accepted by the kernel, closed by the lab.
	conn, err := net.DialTimeout("tcp4", net.JoinHostPort("127.251.0.1", strconv.Itoa(port)), 5*time.Second)
	if err == nil {
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		conn.Write([]byte("POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"))
		if n, err := conn.Read(make([]byte, 64)); err == nil {
			t.Errorf("an address outside the lab was answered (%d bytes)", n)
		}
	}
}
