package collect

import (
	_ "embed" // collect.ps1
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf16"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// Script is the collector that runs on every host (collect.ps1): fixed,
// reviewable text that interprets the JSON request it is given.
//
//go:embed collect.ps1
var Script string

// ScriptHeader is the first line of Script; the simulator checks it.
const ScriptHeader = "# NTLMSCAN-COLLECTOR schema "

// bootstrap is the only code on the command line. cmd.exe refuses command
// lines over 8191 characters and the collector is far longer, so the
// collector and the request travel on stdin (rsp:Send), the way Ansible's
// WinRM bootstrap does it: read all of stdin, split it at four NULs into the
// script and the base64 request, run the script as a scriptblock with the
// decoded request JSON as its only argument. Nothing from the inventory is
// ever spliced into this text or into the script.
const bootstrap = `# NTLMSCAN-BOOTSTRAP: stdin = ntlmscan collector script, 4 NULs, base64 UTF-8 JSON request.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
try {
    $stdin = $input | Out-String
    $parts = $stdin.Split([string[]]@("` + "`0`0`0`0" + `"), 2, [StringSplitOptions]::None)
    if ($parts.Count -ne 2) { throw 'stdin does not hold the collector script and its request' }
    $request = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($parts[1].Trim()))
    & ([ScriptBlock]::Create($parts[0])) $request
} catch {
    [Console]::Error.WriteLine('ntlmscan collector failed at line ' + $_.InvocationInfo.ScriptLineNumber + ': ' + $_.Exception.Message)
    exit 1
}
exit 0
`

// MaxCommandLine is cmd.exe's limit on a command line.
const MaxCommandLine = 8191

// CommandLine is the WinRM command that runs the bootstrap:
// powershell.exe -EncodedCommand base64(UTF-16LE(bootstrap)).
func CommandLine() string {
	return "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand " + EncodePowerShell(bootstrap)
}

// EncodePowerShell encodes a script for -EncodedCommand.
func EncodePowerShell(script string) string {
	units := utf16.Encode([]rune(script))
	b := make([]byte, 2*len(units))
	for i, u := range units {
		binary.LittleEndian.PutUint16(b[2*i:], u)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// ErrRequest reports a request that cannot be encoded (an ntlmscan bug).
var ErrRequest = errors.New("cannot encode the collector request")

// Stdin is what the command reads: the collector script, the separator, the
// base64 of the request JSON and a line end.
func Stdin(req facts.Request) ([]byte, error) {
	data, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRequest, err)
	}
	enc := base64.StdEncoding.EncodeToString(data)
	out := make([]byte, 0, len(Script)+len(facts.StdinSeparator)+len(enc)+2)
	out = append(out, Script...)
	out = append(out, facts.StdinSeparator...)
	out = append(out, enc...)
	out = append(out, "\r\n"...)
	return out, nil
}
