package collect

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

func decodePowerShell(t *testing.T, enc string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(raw)%2 != 0 {
		t.Fatalf("bad -EncodedCommand payload: %v", err)
	}
	u := make([]uint16, len(raw)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(raw[2*i:])
	}
	return string(utf16.Decode(u))
}

func TestCommandLine(t *testing.T) {
	line := CommandLine()
	if len(line) > MaxCommandLine {
		t.Fatalf("command line is %d chars, cmd.exe refuses more than %d", len(line), MaxCommandLine)
	}
	// No -ExecutionPolicy Bypass: it has no effect on -EncodedCommand
	// (execution policy governs script files), and EDR rules flag it.
	const prefix = "powershell.exe -NoProfile -NonInteractive -EncodedCommand "
	if !strings.HasPrefix(line, prefix) {
		t.Fatalf("command line %q does not start with %q", line[:60], prefix)
	}
	if strings.Contains(strings.ToLower(line), "executionpolicy") || strings.Contains(strings.ToLower(line), "bypass") {
		t.Errorf("command line %q names an execution policy", line[:60])
	}
	boot := decodePowerShell(t, strings.TrimPrefix(line, prefix))
	for _, want := range []string{"NTLMSCAN-BOOTSTRAP", "$input | Out-String", "`0`0`0`0", "[ScriptBlock]::Create($parts[0])", "FromBase64String"} {
		if !strings.Contains(boot, want) {
			t.Errorf("bootstrap lacks %q", want)
		}
	}
	// Only the bootstrap is on the command line: never the collector.
	if strings.Contains(boot, "NTLMSCAN-COLLECTOR") {
		t.Error("the collector script leaked onto the command line")
	}
}

func TestScriptIsFixedASCIIAndHasHeader(t *testing.T) {
	first, _, _ := strings.Cut(Script, "\n")
	if want := ScriptHeader + strconv.Itoa(facts.SchemaVersion); strings.TrimSpace(first) != want {
		t.Fatalf("first line %q, want %q (schema %d)", first, want, facts.SchemaVersion)
	}
	for i, r := range Script {
		if r > 0x7e || (r < 0x20 && r != '\n' && r != '\r' && r != '\t') {
			t.Fatalf("collect.ps1 has a non-ASCII or control character %U at byte %d: the console code page could garble it", r, i)
		}
	}
	if strings.Contains(Script, facts.StdinSeparator) {
		t.Fatal("collect.ps1 contains the stdin separator")
	}
	for _, m := range []string{facts.BeginMarker, facts.EndMarker} {
		if !strings.Contains(Script, "'"+m+"'") {
			t.Errorf("collect.ps1 does not print marker %s", m)
		}
	}
	// response > probes > probe > byAddress > address > ports > port: 7
	// levels; ConvertTo-Json turns anything deeper than -Depth into text.
	if !strings.Contains(Script, "-Depth 8 -Compress") {
		t.Error("collect.ps1 must serialise with ConvertTo-Json -Depth 8 -Compress")
	}
}

// jsonTags lists the JSON field names of a struct type, recursively.
func jsonTags(t reflect.Type, into map[string]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			jsonTags(f.Type, into)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			into[name] = true
		}
		jsonTags(f.Type, into)
	}
}

// scriptKeyProblems checks, without PowerShell, that every key a collector
// script puts in its answer is a field of facts.Response (the scanner
// decodes strictly), that the essential keys are written, and that the
// request fields it reads exist.
func scriptKeyProblems(script string) []string {
	respKeys := map[string]bool{}
	jsonTags(reflect.TypeOf(facts.Response{}), respKeys)
	reqKeys := map[string]bool{}
	jsonTags(reflect.TypeOf(facts.Request{}), reqKeys)

	// Keys of [ordered]@{ ... } literals and $x.key = assignments on them.
	literal := regexp.MustCompile(`\[ordered\]@\{([^}]*)\}`)
	key := regexp.MustCompile(`(?:^|;|\s)([A-Za-z][A-Za-z0-9]*)\s*=`)
	assign := regexp.MustCompile(`\$(?:entry|svc|smbClient|identity|result|pr|response|job\.result|a\.port)\.([A-Za-z][A-Za-z0-9]*)\s*=[^=]`)
	seen := map[string]bool{}
	for _, m := range literal.FindAllStringSubmatch(script, -1) {
		for _, k := range key.FindAllStringSubmatch(m[1], -1) {
			seen[k[1]] = true
		}
	}
	for _, m := range assign.FindAllStringSubmatch(script, -1) {
		seen[m[1]] = true
	}
	var problems []string
	for k := range seen {
		if !respKeys[k] {
			problems = append(problems, "writes unknown key "+k)
		}
	}
	for _, want := range []string{"schema", "identity", "registry", "services", "probes", "errors", "smbClient",
		"netbiosName", "dnsHostName", "domain", "partOfDomain", "domainRole", "osCaption", "osVersion", "osBuild",
		"key", "name", "present", "type", "dword", "string", "strings", "error",
		"displayName", "state", "startMode", "logonAs", "available", "blockNTLM",
		"requireSecuritySignature", "enableSecuritySignature",
		"target", "addresses", "dnsError", "ports", "port", "open", "elapsedMs", "step", "message"} {
		if !seen[want] {
			problems = append(problems, "never writes "+want)
		}
	}
	read := regexp.MustCompile(`\$(?:request|p|item)\.([A-Za-z][A-Za-z0-9]*)`)
	for _, m := range read.FindAllStringSubmatch(script, -1) {
		if !reqKeys[m[1]] {
			problems = append(problems, "reads unknown request field "+m[1])
		}
	}
	return problems
}

func TestScriptKeysMatchContract(t *testing.T) {
	if p := scriptKeyProblems(Script); len(p) > 0 {
		t.Fatalf("collect.ps1 and scanner/facts disagree: %v", p)
	}
	// The check itself must catch drift.
	broken := strings.Replace(Script, "logonAs", "logonAccount", 1)
	broken = strings.Replace(broken, "$request.probeTimeoutMs", "$request.probeTimeout", 1)
	if p := scriptKeyProblems(broken); len(p) < 3 {
		t.Fatalf("drifted script not caught, problems: %v", p)
	}
}

func TestStdinLayout(t *testing.T) {
	req := facts.Request{Schema: facts.SchemaVersion, Registry: []facts.RegistryKey{{Key: facts.KeyLsa, Name: "LmCompatibilityLevel"}},
		Services: []string{"Evil'; Remove-Item C:\\ -Recurse #"}, Probes: []facts.Probe{{Target: "$(calc)", Ports: []int{445}}}}
	in, err := Stdin(req)
	if err != nil {
		t.Fatal(err)
	}
	script, rest, ok := bytes.Cut(in, []byte(facts.StdinSeparator))
	if !ok || string(script) != Script {
		t.Fatal("stdin must be the collector script, then the separator")
	}
	if !bytes.HasSuffix(rest, []byte("\r\n")) {
		t.Fatal("stdin must end with CRLF")
	}
	raw, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(rest)))
	if err != nil {
		t.Fatalf("request is not base64: %v", err)
	}
	var back facts.Request
	if err := json.Unmarshal(raw, &back); err != nil || !reflect.DeepEqual(back, req) {
		t.Fatalf("request did not survive the trip: %v %+v", err, back)
	}
	// Inventory data is only ever data: it appears nowhere in clear.
	for _, hostile := range []string{"Remove-Item", "$(calc)"} {
		if bytes.Contains(in, []byte(hostile)) {
			t.Errorf("inventory text %q appears in clear on stdin", hostile)
		}
	}
}

// TestCollectorReadsSMBClientThroughCIM: the SMB client configuration comes
// from its CIM class directly: Get-Command's module discovery costs seconds
// per host under -NoProfile.
func TestCollectorReadsSMBClientThroughCIM(t *testing.T) {
	if strings.Contains(Script, "Get-Command") {
		t.Error("collect.ps1 uses Get-Command")
	}
	for _, want := range []string{"-Namespace 'ROOT/Microsoft/Windows/SMB'", "-ClassName 'MSFT_SmbClientConfiguration'", "-MethodName 'GetConfiguration'"} {
		if !strings.Contains(Script, want) {
			t.Errorf("collect.ps1 lacks %q", want)
		}
	}
}
