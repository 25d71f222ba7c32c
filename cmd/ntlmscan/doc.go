// Command ntlmscan finds which NTLM restriction breaks Quest Rapid Recovery,
// on which host, and what change fixes it.
//
// The README is the user's guide and `ntlmscan help` lists the reference
// pages. This comment is for developers: how the program is built, how to
// test and fuzz it. Performance: go doc ./cmd/ntlmscan-bench. The
// simulator: go doc ./scanner/winrm/winrmtest. The WinRM command driver: go
// doc ./scanner/winrm. The settings and error-class tables: go doc
// ./scanner/facts.
//
// # How it is built
//
//	cmd/ntlmscan                 main: os.Exit(cli.Main())
//	cmd/internal/cli             commands (scan, demo, simulate, validate, discover, report, diff, merge, plan, version), settings, exit codes;
//	                             each command an Options struct and a run function; streams, clock and environment come
//	                             from the Factory, never the process, so command tests run in parallel
//	cmd/internal/helptopics      the reference pages of `ntlmscan help <topic>`, embedded; tests keep them true to the code
//	cmd/internal/outdir          --output-dir: lock, atomic writes, retention
//	cmd/internal/readmecheck     test: the fuzz commands below run as written and list every target; the help pages' error-class,
//	                             settings and CSV column tables match the code; consumers name only settings and classes
//	                             the tables have; comments cite only repository files or published documents
//	cmd/ntlmscan-bench           dev tool: fleet + simulator process + scan + pywinrm, prints the performance ratios
//	cmd/release                  release build: static binaries per platform, version stamp, SHA256SUMS
//	inventory                    strict inventory loader (file:line errors), the model (inventory/replication.go: replication targets
//	                             and the operations a path serves); imports nothing from scanner or report
//	inventory/safetext           shows invisible and control characters (bidi, zero-width) escaped in every message that quotes input
//	scanner                      concurrent collection (errgroup), retries, error classification
//	scanner/collect              request building, command line and stdin, strict output parsing
//	scanner/winrm                WinRM transport: NTLM sealing bound to the TCP connection, Basic/HTTPS, typed errors;
//	                             the shell driver (pipe-mode stdin, one connection, one bounded XML pass per reply);
//	                             kerberos*.go: gokrb5 client, AP-REP check, RFC 4121 sealing (scanner/kerberos.go: auth modes)
//	scanner/internal/mitkdc      test helper: a real MIT KDC realm on a loopback port
//	scanner/facts                the contract: request/response JSON, the settings and error-class tables, collect.ps1 and its
//	                             bootstrap, discover.ps1 and its request/response (stdlib only)
//	scanner/discovery            reads the Cores' discovery answers tolerantly, merges them into an inventory, reports drift
//	.ci/pscheck                  PowerShell parse check (tree-sitter-powershell, CI) of collect.ps1, the bootstrap, and the
//	                             PowerShell of reports and plans (--shape: syntax trees, to prove names stay data)
//	scanner/facts/pscheck        test support: runs .ci/pscheck from Go tests (collector, report and plan tests share it)
//	scanner/winrm/winrmtest      the WinRM simulator (httptest-style) with its own server-side NTLM and Kerberos
//	                             acceptor (winrmtest/kerberos.go), a small simulated KDC for the demo (kdc.go), and StartFleet
//	                             (fleet.go): a running lab plus an inventory pointed at it and its passwords as an environment
//	report/verdict               the pure verdict engine: facts in, matrix out, no I/O (one path per agent link, share and
//	                             replication target; report/verdict/replication.go: replication paths and each path's operations and impact)
//	report, report/render        the report document (versioned JSON), table/CSV/JSON/HTML/Markdown renderers
//	report/waiver                waivers
//	report/whatif                what-if files (--assume): checked against the inventory and the settings table
//	examples                     demo lab and inventory (embedded in the binary), estate, overlay, waivers, schedulers
//	```
//
// Data flows one way: inventory -> scanner (facts per host) -> verdict
// engine -> renderers. The simulator shares only the request/response
// contract with the scanner, never NTLM or transport code, so one bug cannot
// hide on both sides; pywinrm (an independent client) and recorded Windows
// exchanges keep it honest. cmd/internal/readmecheck (TestLayering) keeps
// the layers apart.
//
// # Development
//
//	go test -race ./...     # everything (about a minute)
//	go test -short ./...    # skips the slow tests (the release build, round-trip counts)
//	bash .ci/run            # what CI runs: installs the integration packages, gofmt, vet, tests
//	go test ./report/render -update              # rewrite golden files (review the diff)
//	go test ./cmd/internal/readmecheck -update   # regenerate the help pages' tables
//	go test -race ./report/...                   # golden files, CSV injection, HTML escaping, JSON round trip
//	go test -run '^$' -bench . ./scanner/winrm ./scanner/winrm/winrmtest ./report/verdict
//	go test -run '^$' -bench Report5000Hosts -benchtime 3x ./report   # 5,000-host report: allocations, peak heap
//
// NTLMSCAN_REQUIRE_INTEGRATION=1 turns every skipped integration test
// (pywinrm, the MIT KDC, Samba, promtool, systemd-analyze, Chromium, tmux,
// the PowerShell parse check) into a failure; CI sets it, and .ci/run
// installs what they need. The pywinrm cross-check needs Debian's python3-winrm; the Kerberos
// tests start a real MIT KDC in a temporary directory on a loopback port
// (krb5-kdc, krb5-admin-server, krb5-user, python3-gssapi); the SMB probe
// tests start a real Samba smbd (samba); the metrics test runs promtool
// check metrics (prometheus) and the scheduler test systemd-analyze security
// --offline=true (systemd). The HTML report's browser test opens it in
// headless Chromium (chromium: sorting, filtering, CSP, no console errors)
// and writes a screenshot to $NTLMSCAN_TEST_ARTIFACTS (.ci/run sets it to
// .ci/artifacts; without it, ntlmscan-artifacts under the temporary
// directory); the terminal layout test renders a 300-host report inside
// tmux at 80 and 120 columns (tmux). The PowerShell parse checks (tree-sitter-powershell's
// wasm grammar) of the collector and of every PowerShell line a report or
// plan gives an admin need node and npm ci --prefix .ci/pscheck
// --ignore-scripts.
//
// # Fuzzing
//
// Fuzz one target at a time, changing the target and the package:
//
//	go test -run '^$' -fuzz '^FuzzParse$' -fuzztime 50000x -fuzzminimizetime 200x ./inventory
//	go test -run '^$' -fuzz '^FuzzParse$' -fuzztime 50000x -fuzzminimizetime 200x ./report/waiver
//	go test -run '^$' -fuzz '^FuzzDecode$' -fuzztime 50000x -fuzzminimizetime 200x ./report
//	go test -run '^$' -fuzz '^FuzzParseFailOn$' -fuzztime 50000x -fuzzminimizetime 200x ./report
//	go test -run '^$' -fuzz '^FuzzRender$' -fuzztime 50000x -fuzzminimizetime 200x ./report/render
//
// The fuzz targets, by package:
//
//	./cmd/internal/cli                              FuzzParseSettings
//	./inventory                                     FuzzParse, FuzzLimit
//	./inventory/yamlcheck                           FuzzParse, FuzzWalker
//	./report                                        FuzzDecode, FuzzParseFailOn
//	./report/render                                 FuzzRender, FuzzParseVerdicts
//	./report/verdict                                FuzzMatchException, FuzzAdviceCommand, FuzzManualScript
//	./report/waiver                                 FuzzParse
//	./report/whatif                                 FuzzParse
//	./scanner/collect                               FuzzExtract, FuzzDecodeFacts
//	./scanner/discovery                             FuzzDiscover
//	./scanner/smbprobe                              FuzzParseNegTokenInit, FuzzParseNegotiateResponse, FuzzSessionSetup
//	./scanner/winrm                                 FuzzParseFault, FuzzNTLMChallenge, FuzzParseSealed, FuzzParseReply, FuzzKrbSealerUnwrap, FuzzKerberosTokens
//	./scanner/winrm/winrmtest                       FuzzEnvelope, FuzzCommandLine, FuzzCollectorRequest, FuzzKerberosUnseal, FuzzSMBServer
//	./scanner/winrm/winrmtest/internal/ntlmserver   FuzzNTLM
//
// -fuzzminimizetime 200x matters: by default Go spends up to 60s minimizing
// every new interesting input, and on targets with large inputs (a whole
// report, a SOAP envelope) that is the entire run — FuzzRender executed 9
// inputs in 15s without it and 33,000 with it. -fuzztime is a count
// (50000x, 5–50s per target here) because a duration-bounded run can fail
// with a bare "context deadline exceeded" when time runs out (a race in Go
// 1.26's fuzzing coordinator, golang/go#75804). -run '^$' skips the unit
// tests, and the anchored -fuzz pattern picks exactly one target (go test
// -fuzz refuses to run several). A test (TestFuzzCommands in
// cmd/internal/readmecheck) checks that every fuzz command here has these
// flags and names a target that exists, and that the list above names every
// fuzz target in the code.
package main
