package winrmtest

import (
	"encoding/base64"
	"regexp"
	"strings"
)

// Console-mode stdin (WINRS_CONSOLEMODE_STDIN=TRUE, masterzen's and
// pywinrm's default) gives the process a console as its input, not a pipe:
// PowerShell's $input enumerates pipeline input that never ends, so a
// script that reads $input never sees the end of what the client sent, even
// after the client's End="true". Ansible and pypsrp send FALSE (pipe mode)
// for that reason. The simulator reproduces the failure: such a command
// never finishes and Receive long-polls until the client gives up.
//
// UNCONFIRMED: the option's default when a client omits it; the simulator
// treats only an explicit TRUE as console mode.

// consoleModeStdin reports whether a Command asked for console-mode stdin.
func consoleModeStdin(options map[string]string) bool {
	return strings.EqualFold(strings.TrimSpace(options["WINRS_CONSOLEMODE_STDIN"]), "TRUE")
}

var psInputVariable = regexp.MustCompile(`(?i)\$input\b`)

// readsPipelineInput reports whether a command line runs PowerShell with a
// script (-EncodedCommand or -Command) that reads $input.
func readsPipelineInput(line string) bool {
	lower := strings.ToLower(line)
	i := strings.Index(lower, "powershell")
	if i < 0 {
		return false
	}
	toks, _ := psTokens(line[i:])
	for k := 1; k+1 < len(toks); k++ {
		name := strings.ToLower(strings.TrimLeft(toks[k], "-/"))
		if !strings.HasPrefix(toks[k], "-") && !strings.HasPrefix(toks[k], "/") {
			return psInputVariable.MatchString(strings.Join(toks[k:], " "))
		}
		switch {
		case name == "ec" || strings.HasPrefix("encodedcommand", name) && len(name) >= 2 && name != "ex" && name != "exe":
			raw, err := base64.StdEncoding.DecodeString(toks[k+1])
			if err != nil {
				return false
			}
			return psInputVariable.MatchString(decodeUTF16LE(raw))
		case len(name) >= 1 && strings.HasPrefix("command", name):
			return psInputVariable.MatchString(strings.Join(toks[k+1:], " "))
		case takesValue(name):
			k++
		}
	}
	return false
}

// takesValue: powershell.exe parameters followed by a value.
func takesValue(name string) bool {
	for _, p := range []struct {
		full string
		min  int
	}{{"executionpolicy", 2}, {"inputformat", 2}, {"outputformat", 1}, {"windowstyle", 1}, {"version", 1},
		{"configurationname", 4}, {"psconsolefile", 3}, {"file", 1}} {
		if len(name) >= p.min && strings.HasPrefix(p.full, name) {
			return true
		}
	}
	return name == "ep"
}
