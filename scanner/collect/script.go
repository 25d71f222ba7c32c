package collect

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf16"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// Script is the collector that runs on every host (facts.CollectorScript,
// scanner/facts/collect.ps1): fixed, reviewable text that interprets the
// JSON request it is given. It lives in the contract package because the
// simulator must receive exactly these bytes.
var Script = facts.CollectorScript

// ScriptHeader is the first line of Script; the simulator checks it.
const ScriptHeader = "# NTLMSCAN-COLLECTOR schema "

// bootstrap is the only code on the command line (facts.Bootstrap). cmd.exe
// refuses command lines over 8191 characters and the collector is far
// longer, so the collector and the request travel on stdin (rsp:Send), the
// way Ansible's WinRM bootstrap does it. Nothing from the inventory is ever
// spliced into this text or into the script.
var bootstrap = facts.Bootstrap

// MaxCommandLine is cmd.exe's limit on a command line.
const MaxCommandLine = 8191

// CommandLine is the WinRM command that runs the bootstrap:
// powershell.exe -EncodedCommand base64(UTF-16LE(bootstrap)). There is no
// -ExecutionPolicy Bypass: execution policy applies to script files, not to
// -EncodedCommand or a ScriptBlock, and EDR rules flag the switch.
func CommandLine() string {
	return "powershell.exe -NoProfile -NonInteractive -EncodedCommand " + EncodePowerShell(bootstrap)
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
