// Package winrmtest serves simulated Windows hosts over real WinRM
// (WS-Management over HTTP/HTTPS), the way net/http/httptest serves a
// handler: load a lab, start a Server, point clients at its endpoints,
// trust its CA for HTTPS, and Close it.
//
//	lab, err := winrmtest.LoadLab("examples/lab.yaml")
//	srv, err := winrmtest.NewServer(lab, winrmtest.WithEphemeralPorts())
//	defer srv.Close()
//	ep, _ := srv.Host("CORE01") // ep.HTTPURL = "http://127.0.0.21:40123/wsman"
//
// StartFleet does that and also points an ntlmscan inventory at the lab:
// each scanned host's address and port, the CA file for HTTPS hosts, and
// the lab passwords as an environment (Fleet.Env) to hand to the scan. The
// demo and the command tests use it; NewFleet does the same for a server
// already running, such as the one Run serves.
//
// Every lab host listens on its own loopback address (127.x.y.z) and
// answers as Windows does ([MS-WSMV], [MS-NLMP], and Windows' recorded
// answers in testdata/windows-wsman):
//
//   - the WinRS shell protocol: Create, Command, Receive (a long poll that
//     answers the TimedOut fault 2150858793 after OperationTimeout), Send,
//     Signal and Delete, with Windows' namespaces, header order, fault
//     catalogue, per-user quotas and output split under the client's
//     MaxEnvelopeSize;
//   - authentication: NTLM bound to the TCP connection (via the internal
//     ntlmserver package), MS-WSMV message encryption for clients that seal
//     (masterzen Encryption("ntlm"), pywinrm), Basic for local accounts where
//     enabled, Windows' exact 401 header sets, the host's own
//     "Restrict NTLM: Incoming NTLM traffic" policy, and over HTTPS the
//     tls-server-end-point channel binding per CbtHardeningLevel (with an
//     optional TLS-inspecting proxy in front);
//   - commands answered from the lab: hostname, whoami, echo, exit, ver and
//     cmd /c through a small cmd.exe emulation (8191-character limit
//     included), powershell.exe -EncodedCommand for a few statements, and
//     ntlmscan's collection request (scanner/facts) computed from the host's
//     registry, services, SMB client configuration and the lab network.
//
// Faults (latency, remote runtime, hangs, dropped connections, empty 500s,
// malformed XML, oversized output, quota faults, script failures, schema
// version) are lab settings and can be changed on a running server with
// SetFaults. Calls records every request (action, auth step, user,
// connection) so tests can count round trips and NTLM handshakes.
//
// The lab YAML is described in the README ("The simulator lab file") and
// by the Lab type; examples/lab.yaml is the demo fleet.
package winrmtest
