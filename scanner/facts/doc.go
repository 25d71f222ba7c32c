// Package facts is the contract between the scanner, the WinRM simulator and
// the report: what ntlmscan asks a host (Request), what the host answers
// (Response), and what the scanner records per host (HostResult). It also
// holds the settings table (Settings) and the error-class table (Classes)
// that the collector, the what-if check, the verdict engine, the classifier
// and the help pages read (Default returns both as a Catalogue).
//
// It depends only on the standard library so that report/... can read facts
// without pulling in any transport code.
//
// # The settings table
//
// What ntlmscan knows about each NTLM and SMB setting is one row of one
// table, Settings in settings.go: the registry key and value name, the type,
// the Group Policy path and display name, the documented values with their
// labels (or the documented bits of a bit mask, or what one entry of a list
// is), what Windows does when the value is absent, whether only domain
// controllers read it, and the rule family that judges it. Everything else
// reads the row:
//
//   - the collector's request (scanner/collect) asks every host for every
//     row's registry value;
//   - the what-if check (--assume, report/whatif) accepts a row's ID
//     (case-insensitive), its type, and only its documented values (any
//     32-bit value for a bit mask), and refuses a DC-only setting aimed at
//     no DC;
//   - the verdict engine (report/verdict) labels each value from the row
//     ("Deny all", "Not defined (Allow all)") and runs the rules of the
//     row's family;
//   - the help pages `ntlmscan help settings`, `ntlmscan help errors` and
//     `ntlmscan help kerberos` (cmd/internal/helptopics) and the list below
//     are generated from the rows: go test ./cmd/internal/readmecheck
//     -update rewrites them, and the test fails while they differ.
//
// The error classes work the same way: Classes in errclass.go holds one row
// {Class, Meaning, Fix, Hint} per class; the classifier gives a host the
// row's hint unless it knows a more specific one. Tests keep it honest:
// every setting and class constant has a row and every row a constant; no
// Go file names a setting or a class the table lacks; a row's family file
// reads the setting.
//
// Adding a setting is one row in Settings (with its constant) and one rule:
// a check... method in report/verdict/<family>.go, registered in pathRules
// (report/verdict/rules.go), the one list of rules in the order Windows
// applies them. A setting that is only collected and shown takes FamilyNone
// and no rule. report/verdict/newsetting_test.go adds a made-up setting this
// way and shows it requested, validated, labelled and judged.
//
// The rule families and the settings each judges:
//
// generated: settings-by-family (from scanner/facts; go test ./cmd/internal/readmecheck -update)
//   - need (report/verdict/need.go): TryIPSPN
//   - outgoing (report/verdict/outgoing.go): RestrictSendingNTLMTraffic,
//     ClientAllowedNTLMServers
//   - smbclient (report/verdict/smbclient.go): BlockNTLM,
//     BlockNTLMServerExceptionList, BlockNTLMLocal,
//     BlockNTLMServerExceptionListLocal
//   - incoming (report/verdict/incoming.go): RestrictReceivingNTLMTraffic,
//     AuditReceivingNTLMTraffic, ForceGuest, SmbServerNameHardeningLevel
//   - domain (report/verdict/domain.go): RestrictNTLMInDomain,
//     AuditNTLMInDomain, DCAllowedNTLMServers
//   - account (report/verdict/account.go): UseMachineId,
//     allownullsessionfallback
//   - lmcompat (report/verdict/lmcompat.go): LmCompatibilityLevel,
//     NtlmMinClientSec, NtlmMinServerSec, BlockNtlmv1SSO
//   - none (no rule yet; collected, in the JSON report's host facts):
//     SMBClientRequireSecuritySignature, SMBClientEnableSecuritySignature,
//     SMBServerRequireSecuritySignature, SMBServerEnableSecuritySignature
//
// end generated: settings-by-family
package facts
