package winrmtest

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// execResult is what a simulated process printed and its exit code.
type execResult struct {
	stdout, stderr string
	exit           int
	// phases is output printed later (after Start-Sleep in a script).
	phases []execPhase
}

// execPhase is output that appears delay after the previous output.
type execPhase struct {
	delay          time.Duration
	stdout, stderr string
}

// flatten drops the timing of phases (for compound cmd lines).
func (r execResult) flatten() execResult {
	for _, p := range r.phases {
		r.stdout += p.stdout
		r.stderr += p.stderr
	}
	r.phases = nil
	return r
}

// executor runs command lines the way the host would: through cmd.exe
// (unless WINRS_SKIP_CMD_SHELL), with a handful of programs answered
// honestly from the lab and everything else "not recognized".
type executor struct {
	hs     *hostServer
	acct   account
	faults *Faults
}

// psProgressPrefix is what masterzen's Powershell() prepends to every script.
const psProgressPrefix = "$ProgressPreference = 'SilentlyContinue';"

// bootstrapToken marks a script meant to be ntlmscan's bootstrap.
const bootstrapToken = "NTLMSCAN-BOOTSTRAP"

// start runs a command line. A program that reads stdin before it can
// answer returns a non-nil onStdin, called with all of stdin once the
// client closes it.
func (x *executor) start(line string, skipCmd bool) (execResult, func([]byte) execResult) {
	if skipCmd {
		return x.program(strings.TrimSpace(line), true)
	}
	return x.cmd(line)
}

// cmdSegment is one command of a cmd.exe line and the operator before it.
type cmdSegment struct {
	op   string // "", "&", "&&", "||"
	text string
}

// splitCmd splits at &, && and || outside double quotes (cmd.exe keeps the
// spaces around them as part of the commands: "echo out && ..." prints "out ").
func splitCmd(line string) []cmdSegment {
	var segs []cmdSegment
	op, start, quoted := "", 0, false
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '^' && i+1 < len(line):
			i++ // escaped character
		case c == '&' && i > 0 && (line[i-1] == '>' || line[i-1] == '<'):
			// the & of a handle redirection (>&2, 2>&1)
		case c == '&' || (c == '|' && i+1 < len(line) && line[i+1] == '|'):
			segs = append(segs, cmdSegment{op, line[start:i]})
			if i+1 < len(line) && line[i+1] == c {
				op = string([]byte{c, c})
				i++
			} else {
				op = "&"
			}
			start = i + 1
		}
	}
	return append(segs, cmdSegment{op, line[start:]})
}

// redirection matches the redirections handled: >&2, 1>&2, 2>&1, >nul, 2>nul.
var redirection = regexp.MustCompile(`(?i)([12]?)>(&[12]|nul\b)`)

func (x *executor) cmd(line string) (execResult, func([]byte) execResult) {
	line = x.expandEnv(line)
	segs := splitCmd(line)
	var out, errOut strings.Builder
	exit := 0
	for _, seg := range segs {
		switch seg.op {
		case "&&":
			if exit != 0 {
				continue
			}
		case "||":
			if exit == 0 {
				continue
			}
		}
		text := seg.text
		toOut, toErr := "out", "err"
		if strings.IndexByte(text, '>') >= 0 { // no regexp over a long line without redirections
			for _, m := range redirection.FindAllStringSubmatch(text, -1) {
				src, dst := m[1], strings.ToLower(m[2])
				target := map[string]string{"&1": "out", "&2": "err", "nul": "nul"}[dst]
				if src == "2" {
					toErr = target
				} else {
					toOut = target
				}
			}
			text = redirection.ReplaceAllString(text, "")
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		res, onStdin, stop := x.builtin(text, exit)
		if len(segs) == 1 && toOut == "out" && toErr == "err" {
			return res, onStdin
		}
		if onStdin != nil {
			res = onStdin(nil) // stdin of a compound line is not the client's
		}
		res = res.flatten()
		for _, o := range []struct{ s, to string }{{res.stdout, toOut}, {res.stderr, toErr}} {
			switch o.to {
			case "out":
				out.WriteString(o.s)
			case "err":
				errOut.WriteString(o.s)
			}
		}
		exit = res.exit
		if stop {
			break
		}
	}
	return execResult{stdout: out.String(), stderr: errOut.String(), exit: exit}, nil
}

// firstToken splits a command into its name (quotes removed) and the rest.
func firstToken(s string) (name, rest string) {
	s = strings.TrimLeft(s, " \t@")
	if strings.HasPrefix(s, `"`) {
		if end := strings.IndexByte(s[1:], '"'); end >= 0 {
			return s[1 : end+1], s[end+2:]
		}
		return s[1:], ""
	}
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i:]
}

// programName reduces C:\Windows\System32\HOSTNAME.EXE to hostname.
func programName(tok string) string {
	if i := strings.LastIndexAny(tok, `\/`); i >= 0 {
		tok = tok[i+1:]
	}
	tok = strings.ToLower(tok)
	return strings.TrimSuffix(tok, ".exe")
}

// builtin runs one cmd.exe command; stop is true after exit.
func (x *executor) builtin(text string, lastExit int) (res execResult, onStdin func([]byte) execResult, stop bool) {
	trimmed := strings.TrimLeft(text, " \t@")
	lower := strings.ToLower(trimmed)
	// echo is special: "echo." and "echo:" print an empty line, and the
	// text after the first delimiter is printed verbatim.
	if strings.HasPrefix(lower, "echo") && (len(lower) == 4 || strings.ContainsRune(" \t.:;,=(/+[]", rune(lower[4]))) {
		return echo(trimmed[4:]), nil, false
	}
	name, rest := firstToken(trimmed)
	switch prog := programName(name); prog {
	case "exit":
		args := strings.Fields(rest)
		if len(args) > 0 && strings.EqualFold(args[0], "/b") {
			args = args[1:]
		}
		code := lastExit
		if len(args) > 0 {
			if n, err := strconv.Atoi(args[0]); err == nil {
				code = n
			}
		}
		return execResult{exit: code}, nil, true
	case "rem":
		return execResult{exit: lastExit}, nil, false
	case "ver":
		return execResult{stdout: fmt.Sprintf("\r\nMicrosoft Windows [Version %s.0]\r\n", x.hs.h.osVersion())}, nil, false
	case "cmd":
		// Trailing spaces belong to the command: "cmd /c echo out && ..." prints "out ".
		args := strings.TrimLeft(rest, " \t")
		for strings.HasPrefix(args, "/") {
			flag, after := firstToken(args)
			args = strings.TrimLeft(after, " \t")
			if f := strings.ToLower(flag); f == "/c" || f == "/k" {
				break
			}
		}
		r, in := x.cmd(args)
		return r, in, false
	}
	r, in := x.program(trimmed, false)
	return r, in, false
}

func echo(arg string) execResult {
	if arg == "" || strings.TrimSpace(arg) == "" && !strings.ContainsAny(arg[:1], ".:;,=(/+[]") {
		return execResult{stdout: "ECHO is on.\r\n"}
	}
	text := arg[1:] // the delimiter after "echo" is not printed
	switch strings.ToLower(strings.TrimSpace(text)) {
	case "on", "off":
		if arg[0] == ' ' || arg[0] == '\t' {
			return execResult{}
		}
	}
	return execResult{stdout: text + "\r\n"}
}

// program runs an external program (or reports that it does not exist).
func (x *executor) program(text string, skipCmd bool) (execResult, func([]byte) execResult) {
	name, rest := firstToken(text)
	h := x.hs.h
	switch programName(name) {
	case "hostname":
		if strings.TrimSpace(rest) != "" {
			return execResult{stderr: "sethostname: Use the Network Control Panel Applet to set hostname.\r\n", exit: 1}, nil
		}
		return execResult{stdout: h.Name + "\r\n"}, nil
	case "whoami":
		if a := strings.TrimSpace(rest); a != "" {
			return execResult{stderr: fmt.Sprintf("ERROR: Invalid argument/option - '%s'.\r\nType \"WHOAMI /?\" for usage.\r\n", strings.Fields(a)[0]), exit: 1}, nil
		}
		return execResult{stdout: x.acct.whoami() + "\r\n"}, nil
	case "powershell", "pwsh":
		return x.powershell(rest)
	}
	if skipCmd {
		// CreateProcess itself fails; without cmd.exe there is no friendly text.
		return execResult{stderr: "The system cannot find the file specified.\r\n", exit: 2}, nil
	}
	return execResult{stderr: fmt.Sprintf("'%s' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", name), exit: 1}, nil
}

var envVar = regexp.MustCompile(`%([A-Za-z_][A-Za-z0-9_()]*)%`)

// expandEnv expands the environment variables a shell of the host has;
// unknown ones stay as typed, as cmd /c leaves them.
func (x *executor) expandEnv(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s // nothing to expand (and no regexp run over a long line)
	}
	h := x.hs.h
	return envVar.ReplaceAllStringFunc(s, func(m string) string {
		switch strings.ToUpper(m[1 : len(m)-1]) {
		case "COMPUTERNAME":
			return h.Name
		case "USERNAME":
			return x.acct.user.Name
		case "USERDOMAIN":
			return x.acct.netbiosDomain()
		case "USERDNSDOMAIN":
			if x.acct.domain != nil {
				return strings.ToUpper(x.acct.domain.Name)
			}
		case "OS":
			return "Windows_NT"
		case "SYSTEMROOT", "WINDIR":
			return `C:\Windows`
		case "PROCESSOR_ARCHITECTURE":
			return "AMD64"
		}
		return m
	})
}

// psTokens splits a PowerShell command line into arguments with their
// offsets (double quotes group).
func psTokens(s string) (toks []string, offs []int) {
	i := 0
	for i < len(s) {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			break
		}
		start := i
		var b strings.Builder
		quoted := false
		for i < len(s) && (quoted || (s[i] != ' ' && s[i] != '\t')) {
			if s[i] == '"' {
				quoted = !quoted
			} else {
				b.WriteByte(s[i])
			}
			i++
		}
		toks = append(toks, b.String())
		offs = append(offs, start)
	}
	return toks, offs
}

func isPrefixOf(abbrev, full string, minLen int) bool {
	return len(abbrev) >= minLen && strings.HasPrefix(full, abbrev)
}

// powershell runs powershell.exe with its command-line parameters.
func (x *executor) powershell(args string) (execResult, func([]byte) execResult) {
	toks, offs := psTokens(args)
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t == "-" {
			// Read the script from stdin.
			return execResult{}, func(stdin []byte) execResult { return x.runPS(string(stdin), nil) }
		}
		if !strings.HasPrefix(t, "-") && !strings.HasPrefix(t, "/") {
			return x.psScript(args[offs[i]:])
		}
		name := strings.ToLower(t[1:])
		switch {
		case name == "ec" || isPrefixOf(name, "encodedcommand", 1) && !isPrefixOf(name, "executionpolicy", 2):
			if i+1 >= len(toks) {
				return x.psFail("Missing the argument to -EncodedCommand.", -196608), nil
			}
			raw, err := base64.StdEncoding.DecodeString(toks[i+1])
			if err != nil || len(raw) < 2 {
				return x.psFail("Cannot process the command because the value specified with -EncodedCommand is not properly encoded. The value must be Base64 encoded.", -196608), nil
			}
			return x.psScript(decodeUTF16LE(raw))
		case isPrefixOf(name, "command", 1):
			if i+1 >= len(toks) {
				return execResult{}, nil
			}
			if toks[i+1] == "-" {
				return execResult{}, func(stdin []byte) execResult { return x.runPS(string(stdin), nil) }
			}
			return x.psScript(args[offs[i+1]:])
		case isPrefixOf(name, "file", 1):
			file := ""
			if i+1 < len(toks) {
				file = toks[i+1]
			}
			return x.psFail(fmt.Sprintf("The argument '%s' to the -File parameter does not exist. Provide the path to an existing '.ps1' file as an argument to the -File parameter.", file), -196608), nil
		case name == "ep" || isPrefixOf(name, "executionpolicy", 2), isPrefixOf(name, "inputformat", 2),
			isPrefixOf(name, "outputformat", 1), isPrefixOf(name, "windowstyle", 1), isPrefixOf(name, "version", 1),
			isPrefixOf(name, "configurationname", 4), isPrefixOf(name, "psconsolefile", 3):
			i++ // takes a value
		}
	}
	return execResult{}, nil
}

func decodeUTF16LE(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	return string(utf16.Decode(u))
}

// psScript runs a script given on the command line.
func (x *executor) psScript(script string) (execResult, func([]byte) execResult) {
	script = strings.TrimPrefix(strings.TrimLeft(script, "\ufeff"), psProgressPrefix)
	if script == facts.Bootstrap {
		return execResult{}, func(stdin []byte) execResult {
			if body, _, _ := strings.Cut(string(stdin), facts.StdinSeparator); isDiscoverScript(body) {
				return x.discover(stdin)
			}
			return x.collect(stdin)
		}
	}
	if strings.Contains(script, bootstrapToken) {
		// Not the contract's bootstrap: the simulator cannot run it and
		// says so rather than answering as if it had.
		return x.psFail(fmt.Sprintf("winrmtest runs only the contract's ntlmscan bootstrap (scanner/facts/bootstrap.ps1); the -EncodedCommand script differs from it at line %d",
			firstDifference(script, facts.Bootstrap)), 1), nil
	}
	return x.runPS(script, nil), nil
}

var psStatementSep = regexp.MustCompile(`[;\r\n]+`)

// runPS interprets the few statements the simulator knows; anything else is
// CommandNotFound, as PowerShell would report for a missing command.
// Start-Sleep splits the output into phases released over time.
func (x *executor) runPS(script string, _ []byte) execResult {
	h := x.hs.h
	var res execResult
	var out strings.Builder
	var errs []string
	var total time.Duration
	flush := func() {
		stderr := x.psErrors(errs)
		if len(res.phases) == 0 {
			res.stdout, res.stderr = out.String(), stderr
		} else {
			p := &res.phases[len(res.phases)-1]
			p.stdout, p.stderr = out.String(), stderr
		}
		out.Reset()
		errs = nil
	}
	for _, st := range psStatementSep.Split(script, -1) {
		st = strings.TrimSpace(st)
		lower := strings.ToLower(st)
		switch {
		case st == "" || strings.HasPrefix(st, "#"):
		case strings.HasPrefix(st, "$") && strings.Contains(st, "=") && !strings.Contains(st, "=="):
			// assignment: no output
		case lower == "hostname" || lower == "hostname.exe":
			out.WriteString(h.Name + "\r\n") // a native program: CRLF
		case lower == "whoami" || lower == "whoami.exe":
			out.WriteString(x.acct.whoami() + "\r\n")
		case lower == "$env:computername" || lower == "[environment]::machinename" || lower == "[system.environment]::machinename":
			out.WriteString(h.Name + "\r\n")
		case lower == "$env:username":
			out.WriteString(x.acct.user.Name + "\r\n")
		case lower == "$env:userdomain":
			out.WriteString(x.acct.netbiosDomain() + "\r\n")
		case strings.HasPrefix(lower, "exit"):
			if n, err := strconv.Atoi(strings.TrimSpace(st[4:])); err == nil {
				res.exit = n
			}
			flush()
			return res
		case strings.HasPrefix(lower, "start-sleep"):
			d := parseStartSleep(st)
			if total+d > maxScriptSleep {
				d = maxScriptSleep - total
			}
			total += d
			flush()
			res.phases = append(res.phases, execPhase{delay: d})
		case strings.HasPrefix(lower, "write-host "):
			// The console host ends Write-Host lines with LF (pypsrp recordings).
			_, arg := firstToken(st)
			out.WriteString(unquotePS(strings.TrimSpace(arg)) + "\n")
		case strings.HasPrefix(lower, "write-output ") || strings.HasPrefix(lower, "echo "):
			_, arg := firstToken(st)
			out.WriteString(unquotePS(strings.TrimSpace(arg)) + "\r\n")
		case (strings.HasPrefix(st, "'") && strings.HasSuffix(st, "'") || strings.HasPrefix(st, `"`) && strings.HasSuffix(st, `"`)) && len(st) >= 2:
			out.WriteString(unquotePS(st) + "\r\n")
		default:
			cmd, _ := firstToken(st)
			errs = append(errs, psNotRecognized(cmd, st))
			res.exit = 1
		}
	}
	flush()
	return res
}

// maxScriptSleep bounds Start-Sleep in simulated scripts.
const maxScriptSleep = time.Hour

// parseStartSleep reads Start-Sleep N, -Seconds N, -s N, -Milliseconds N, -m N.
func parseStartSleep(st string) time.Duration {
	f := strings.Fields(st)[1:]
	unit := time.Second
	for _, a := range f {
		la := strings.ToLower(a)
		switch {
		case strings.HasPrefix(la, "-m"):
			unit = time.Millisecond
		case strings.HasPrefix(la, "-s"):
			unit = time.Second
		default:
			if v, err := strconv.ParseFloat(a, 64); err == nil && v > 0 {
				return time.Duration(v * float64(unit))
			}
		}
	}
	return 0
}

func unquotePS(s string) string {
	if len(s) >= 2 && (s[0] == '\'' && s[len(s)-1] == '\'' || s[0] == '"' && s[len(s)-1] == '"') {
		return s[1 : len(s)-1]
	}
	return s
}

func psNotRecognized(cmd, statement string) string {
	return fmt.Sprintf("%[1]s : The term '%[1]s' is not recognized as the name of a cmdlet, function, script file, or operable program. "+
		"Check the spelling of the name, or if a path was included, verify that the path is correct and try again.\r\n"+
		"At line:1 char:1\r\n+ %[2]s\r\n+ %[3]s\r\n"+
		"    + CategoryInfo          : ObjectNotFound: (%[1]s:String) [], CommandNotFoundException\r\n"+
		"    + FullyQualifiedErrorId : CommandNotFoundException\r\n \r\n", cmd, statement, strings.Repeat("~", len(cmd)))
}

func (x *executor) psFail(msg string, exit int) execResult {
	return execResult{stderr: msg + "\r\n", exit: exit}
}

// psErrors renders PowerShell errors as plain text or as CLIXML (what newer
// hosts emit for powershell -EncodedCommand).
func (x *executor) psErrors(errs []string) string {
	if len(errs) == 0 {
		return ""
	}
	text := strings.Join(errs, "")
	if x.faults.CLIXMLErrors {
		return clixml(text)
	}
	return text
}

// clixml wraps error text the way PowerShell serialises its error stream.
func clixml(text string) string {
	var b strings.Builder
	b.WriteString("#< CLIXML\r\n<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">")
	for _, line := range strings.SplitAfter(text, "\r\n") {
		if line == "" {
			continue
		}
		line = strings.TrimSuffix(line, "\r\n")
		b.WriteString(`<S S="Error">`)
		r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
		b.WriteString(r.Replace(line))
		b.WriteString("_x000D__x000A_</S>")
	}
	b.WriteString("</Objs>")
	return b.String()
}
