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
// The lab YAML is described by `ntlmscan help lab` (its page is
// cmd/internal/helptopics/lab.md, which a test keeps listing every key of
// Lab) and by the Lab type; examples/lab.yaml is the demo fleet.
//
// # What hosts answer
//
//   - ntlmscan's collection, and only the exact contract texts
//     (scanner/facts/bootstrap.ps1 as -EncodedCommand,
//     scanner/facts/collect.ps1 on stdin): a copy that differs by one byte
//     fails with the bootstrap's error line instead of being answered. The
//     simulator then does what the script does with the JSON request it
//     received, with PowerShell's loose typing: it looks up exactly the
//     registry values, services, SMB client configuration and probes the
//     request names (nothing else), and a garbled request fails as the
//     script would (ConvertFrom-Json's "Invalid JSON primitive", the schema
//     check, [int] conversions), on the script's line;
//   - ntlmscan's Core discovery (scanner/facts/discover.ps1 through the same
//     bootstrap), byte-exact like the collector, answered from the host's
//     rapidRecovery section, its services (the Core service's logonAs) and
//     the lab's DCs of its domain;
//   - hostname, whoami (corp\svc-ntlmscan, lower case), echo, exit, ver and
//     cmd /c ... with &&, ||, & and >&2 / >nul redirections,
//     %COMPUTERNAME%-style variables; powershell.exe -EncodedCommand for
//     hostname, whoami, $env:COMPUTERNAME, Write-Output, Write-Host,
//     Start-Sleep and exit;
//   - a WS-Transfer Get of the WinRM configuration
//     (http://schemas.microsoft.com/wbem/wsman/1/config): a cfg:Config with
//     the host's MaxEnvelopeSizekb, MaxTimeoutms,
//     MaxConcurrentOperationsPerUser, AllowUnencrypted, Winrs IdleTimeout
//     and MaxShellsPerUser, as Windows answers it (pypsrp reads the envelope
//     size there);
//   - anything else: cmd's "'X' is not recognized as an internal or external
//     command, operable program or batch file." on stderr with exit code 1
//     (or PowerShell's CommandNotFound error). Command lines over 8191
//     characters get "The command line is too long." and exit code 1.
//
// Like Windows, a command sent with console-mode stdin
// (WINRS_CONSOLEMODE_STDIN=TRUE, masterzen's and pywinrm's default) whose
// PowerShell script reads $input never sees the end of its input: it never
// finishes, and Receive answers TimedOut until the client gives up. Send
// such commands in pipe mode (FALSE), as ntlmscan, Ansible and pypsrp do.
//
// # Kerberos
//
// A host accepts Kerberos (Authorization: Negotiate|Kerberos <AP-REQ>, raw
// Kerberos GSS tokens) when it has keys: winrm.kerberosKeytab (a keytab
// from a real KDC, as the MIT KDC tests use) or, for members of a domain
// with kdc: true, keys of the lab's simulated KDC. The acceptor
// (kerberos.go) decrypts the ticket, checks the authenticator against the
// host's clock (clockOffset) and a replay cache, maps user@REALM to the
// domain account, answers the AP-REP with an acceptor subkey (mutual
// authentication) and seals replies with RFC 4121 wrap tokens (EC 0, RRC 28
// for AES, a 60-byte header before the data, as MIT's gss_wrap_iov
// produces); refusals carry a KRB-ERROR token (e.g. KRB_AP_ERR_SKEW). The
// AES keys of RFC 3961 are derived once per context (kerberoskeys.go), not
// per message.
//
// The simulated KDC (kdc.go: AS and TGS over TCP on the first DC's loopback
// address, ephemeral port, AES256 only, no pre-authentication; users' keys
// from their lab passwords, random krbtgt and host keys per run) exists only
// for `ntlmscan demo` and `simulate`: (*Server).Krb5Conf gives the matching
// krb5.conf. Real clients are kept honest by the MIT KDC tests, not by it.
// It counts the AS and TGS requests it answers (the bench reports them).
//
// # Clients
//
// masterzen's plaintext ClientNTLM (Azure/go-ntlmssp) replaces the domain
// of HOST\user by the domain the server names in its challenge, so against
// a domain member it presents a local account as a domain account and the
// logon fails, as it would on Windows. Use user@HOST with that client, or
// the Encryption("ntlm") transport, which sends the domain you give.
//
// Tests change faults on a running simulator with (*Server).SetFaults.
// WithSharedListener serves every host from one listener (one socket, each
// connection dispatched to the host whose loopback address it was made
// to), so a 20,000-host fleet fits a machine whose open-file limit is
// 20,000.
package winrmtest
