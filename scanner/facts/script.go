package facts

import _ "embed" // collect.ps1, bootstrap.ps1

// The two PowerShell texts are part of the contract, like the JSON shapes:
// the scanner sends them and the simulator accepts exactly these bytes and
// nothing else (a changed copy fails there as it would be a different
// program on Windows). Change them here, with the JSON shapes, and review
// the simulator's emulation (winrmtest/collector.go) in the same change.

// CollectorScript is collect.ps1: the fixed collector that runs on every
// host and interprets the JSON Request it is given.
//
//go:embed collect.ps1
var CollectorScript string

// Bootstrap is bootstrap.ps1: the only code on the command line
// (powershell.exe -EncodedCommand). It reads stdin (the collector script,
// StdinSeparator, the base64 UTF-8 JSON request), runs the script with the
// decoded request as its only argument, and on failure prints one line
// "ntlmscan collector failed at line N: message" on stderr and exits 1.
//
//go:embed bootstrap.ps1
var Bootstrap string

// BootstrapFailurePrefix starts the bootstrap's one-line error on stderr.
const BootstrapFailurePrefix = "ntlmscan collector failed at line "
