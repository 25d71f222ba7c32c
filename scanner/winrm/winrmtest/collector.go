//lint:file-ignore ST1005 the simulator returns PowerShell's own error messages verbatim (capitals and full stops included): the scanner matches that text, as it does on Windows

package winrmtest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// The simulator runs ntlmscan's collection the way the host would run it,
// within one limit: it can only execute the exact bootstrap and collector
// of the contract (facts.Bootstrap, facts.CollectorScript). Any other text,
// even one changed byte, fails instead of being answered, so a changed
// script cannot pass the tests with answers it would never produce.
//
// Given those exact texts, the code below does what they do, step by step
// and with PowerShell's loose typing: it decodes the request it received,
// looks up in the lab exactly the registry values, services, SMB client
// properties and probes named there (nothing else), and fails where the
// script would fail, with the bootstrap's one-line error on stderr.
// Keep it in step with collect.ps1: reviewedCollectorSHA256 (collector_test.go)
// pins the version it was reviewed against.

// defaultProbeTimeoutMS is collect.ps1's $timeoutMs default.
const defaultProbeTimeoutMS = 3000

// scriptLine returns the 1-based line of the nth (from 1) line of script
// that contains text, or 0: the ScriptLineNumber PowerShell reports for an
// error raised on that line.
func scriptLine(script, text string, nth int) int {
	for i, line := range strings.Split(script, "\n") {
		if strings.Contains(line, text) {
			if nth--; nth == 0 {
				return i + 1
			}
		}
	}
	return 0
}

// bootstrapFailure is what the bootstrap's catch block prints: one line on
// stderr ([Console]::Error.WriteLine ends it with CRLF) and exit code 1.
func bootstrapFailure(line int, msg string) execResult {
	return execResult{stderr: facts.BootstrapFailurePrefix + strconv.Itoa(line) + ": " + msg + "\r\n", exit: 1}
}

// psFailure is a terminating error inside the collector: the line of the
// collector where it was raised and the exception's message.
type psFailure struct {
	line int
	msg  string
}

func (f *psFailure) Error() string { return f.msg }

func collectorFailure(text string, nth int, msg string) *psFailure {
	return &psFailure{line: scriptLine(facts.CollectorScript, text, nth), msg: msg}
}

// firstDifference is the 1-based line where got first differs from want.
func firstDifference(got, want string) int {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return i + 1
		}
	}
	return min(len(g), len(w)) + 1
}

// collect runs the bootstrap with the client's stdin.
func (x *executor) collect(stdin []byte) execResult {
	boot := facts.Bootstrap
	// $parts = ($input | Out-String).Split(separator, 2)
	script, reqPart, ok := strings.Cut(string(stdin), facts.StdinSeparator)
	if !ok {
		return bootstrapFailure(scriptLine(boot, "throw 'stdin does not hold", 1), "stdin does not hold the collector script and its request")
	}
	// [Convert]::FromBase64String($parts[1].Trim())
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(reqPart))
	if err != nil {
		return bootstrapFailure(scriptLine(boot, "FromBase64String", 1),
			`Exception calling "FromBase64String" with "1" argument(s): "The input is not a valid Base-64 string as it contains a non-base 64 character, more than two padding characters, or an illegal character among the padding characters. "`)
	}
	runLine := scriptLine(boot, "[ScriptBlock]::Create", 1)
	if script != facts.CollectorScript {
		return bootstrapFailure(runLine, fmt.Sprintf(
			"winrmtest runs only the contract's collector (scanner/facts/collect.ps1, %d bytes); the script received on stdin (%d bytes) differs from it at line %d",
			len(facts.CollectorScript), len(script), firstDifference(script, facts.CollectorScript)))
	}
	f := x.faults
	if f.ScriptFailure != "" {
		return bootstrapFailure(scriptLine(facts.CollectorScript, "ConvertFrom-Json", 1), f.ScriptFailure)
	}
	// [Text.Encoding]::UTF8.GetString replaces invalid bytes.
	requestJSON := strings.ToValidUTF8(string(raw), "\uFFFD")
	if requestJSON == "" {
		// param([Parameter(Mandatory = $true)][string]$RequestJson)
		return bootstrapFailure(runLine, "Cannot bind argument to parameter 'RequestJson' because it is an empty string.")
	}
	resp, err := x.hs.runCollector(requestJSON, x.hs.h.isAdmin(x.acct))
	if err != nil {
		var pf *psFailure
		if errors.As(err, &pf) {
			return bootstrapFailure(pf.line, pf.msg)
		}
		return bootstrapFailure(runLine, err.Error())
	}
	if f.CollectorSchema > 0 {
		resp.Schema = f.CollectorSchema
	}
	body, err := json.Marshal(resp)
	if err != nil {
		return bootstrapFailure(runLine, err.Error())
	}
	if f.MalformedOutput {
		body = body[:len(body)/2]
	}
	var out strings.Builder
	out.Grow(len(body) + 64)
	out.WriteString("\r\n" + facts.BeginMarker + "\r\n")
	writeASCIIJSON(&out, body)
	out.WriteString("\r\n" + facts.EndMarker + "\r\n")
	return execResult{stdout: out.String()}
}

// writeASCIIJSON escapes everything outside ASCII as \uXXXX, as the
// collector does before printing.
func writeASCIIJSON(b *strings.Builder, body []byte) {
	for _, r := range string(body) {
		if r < 0x80 {
			b.WriteRune(r)
			continue
		}
		if r > 0xffff {
			r1, r2 := utf16Pair(r)
			fmt.Fprintf(b, `\u%04x\u%04x`, r1, r2)
			continue
		}
		fmt.Fprintf(b, `\u%04x`, r)
	}
}

func utf16Pair(r rune) (rune, rune) {
	r -= 0x10000
	return 0xd800 + (r>>10)&0x3ff, 0xdc00 + r&0x3ff
}

// runCollector does what collect.ps1 does with the request text, as an
// administrator or not (admin: the account's network token holds
// Administrators).
func (hs *hostServer) runCollector(requestJSON string, admin bool) (*facts.Response, error) {
	h := hs.h
	// $request = ConvertFrom-Json -InputObject $RequestJson
	request, err := convertFromJSON(requestJSON)
	if err != nil {
		return nil, collectorFailure("ConvertFrom-Json -InputObject", 1, err.Error())
	}
	// if ($request.schema -ne $SchemaVersion) { throw ... }
	schema := psProperty(request, "schema")
	if !psEqualsInt(schema, facts.SchemaVersion) {
		return nil, collectorFailure("throw \"ntlmscan collector speaks schema", 1,
			fmt.Sprintf("ntlmscan collector speaks schema %d, the request is schema %s", facts.SchemaVersion, psString(schema)))
	}
	resp := &facts.Response{
		Schema: facts.SchemaVersion,
		Identity: facts.Identity{
			NetBIOSName:  h.Name,
			DNSHostName:  strings.SplitN(h.FQDN, ".", 2)[0],
			Domain:       h.Domain,
			PartOfDomain: h.IsDomainMember(),
			DomainRole:   h.role,
			OSCaption:    h.OS.Caption,
			OSVersion:    h.osVersion(),
			OSBuild:      h.OS.Build,
		},
		Registry: []facts.RegistryValue{},
	}
	if !h.IsDomainMember() {
		resp.Identity.Domain = h.Workgroup
	}
	// foreach ($item in @($request.registry)) { if ($null -eq $item) { continue } ... }
	for _, item := range psArray(psProperty(request, "registry")) {
		if item == nil {
			continue
		}
		resp.Registry = append(resp.Registry, h.readRegistry(psString(psProperty(item, "key")), psString(psProperty(item, "name"))))
	}
	// $wanted = @($request.services | Where-Object { $null -ne $_ })
	wanted := psPipeline(psProperty(request, "services"))
	if len(wanted) > 0 && !admin {
		// A non-administrator's network logon may not enumerate services:
		// Win32_Service (CIM, then WMI) and the Get-Service fallback both
		// fail, each recorded by Add-StepError, and every asked service
		// reads as not present. The texts are those of WMI's access denied
		// and of Get-Service without SC_MANAGER_ENUMERATE_SERVICE (not
		// captured here: UNCONFIRMED).
		resp.Errors = append(resp.Errors,
			facts.StepError{Step: facts.StepServicesWMI, Message: "Access denied "},
			facts.StepError{Step: facts.StepServices, Message: "Cannot open Service Control Manager on computer '.'. This operation might require other privileges."})
	}
	for _, name := range wanted {
		if !admin {
			resp.Services = append(resp.Services, facts.Service{Name: psString(name)})
			continue
		}
		resp.Services = append(resp.Services, h.service(psString(name)))
	}
	if psTruthy(psProperty(request, "smbClientConfig")) {
		resp.SMBClient = h.smbClientConfig()
	}
	// if ($request.policySources) { ... } (rsop.go)
	if psTruthy(psProperty(request, "policySources")) {
		resp.PolicySources = h.policySources(resp.Registry)
	}
	probes, err := hs.srv.lab.runProbes(h, request)
	if err != nil {
		return nil, err
	}
	resp.Probes = probes
	// --- NTLM events --- (ntlmevents.go)
	if resp.NTLMEvents, err = h.readNTLMEvents(psProperty(request, "events"), time.Now()); err != nil {
		return nil, err
	}
	if psTruthy(psProperty(request, "credentialGuard")) {
		resp.CredentialGuard = h.credentialGuard()
	}
	// Stop-Phase: the lab answers the local phases (the event read too) at
	// once; the probe phase lasts as long as its slowest connect would on
	// the host (the timeout when one is cut), which the lab reports without
	// waiting for it.
	tm := &facts.CollectorTimings{}
	for _, p := range probes {
		for _, a := range p.ByAddress {
			for _, pt := range a.Ports {
				tm.ProbesMS = max(tm.ProbesMS, pt.ElapsedMS)
			}
		}
	}
	tm.TotalMS = tm.ProbesMS
	resp.Timings = tm
	return resp, nil
}

// readRegistry is Read-RegistryValue.
func (h *Host) readRegistry(key, name string) facts.RegistryValue {
	v := facts.RegistryValue{RegistryKey: facts.RegistryKey{Key: key, Name: name}}
	lower := strings.ToLower(key)
	var rest string
	switch {
	case strings.HasPrefix(lower, `hklm\`) && len(key) > len(`hklm\`):
		rest = key[len(`hklm\`):]
	case strings.HasPrefix(lower, `hkey_local_machine\`) && len(key) > len(`hkey_local_machine\`):
		rest = key[len(`hkey_local_machine\`):]
	default:
		v.Error = "only HKLM keys can be read: " + key
		return v
	}
	r := h.registryValue(`HKLM\`+rest, name)
	switch {
	case r == nil:
	case r.Error != "":
		v.Error = r.Error
	default:
		v.Present = true
		v.Type = r.Type
		switch r.Type {
		case facts.RegDWORD, facts.RegQWORD:
			d := r.dword
			v.DWORD = &d
		case facts.RegSZ, facts.RegExpandSZ, facts.RegBinary:
			s := r.str
			v.String = &s
		case facts.RegMultiSZ:
			v.Strings = append([]string{}, r.strs...)
		}
	}
	return v
}

// service is the exact, case-insensitive lookup of one asked name; the
// answer carries the name as asked ($svc.name = [string]$name).
func (h *Host) service(name string) facts.Service {
	for _, s := range h.Services {
		if strings.EqualFold(s.Name, name) {
			return facts.Service{Name: name, Present: true, DisplayName: s.DisplayName,
				State: s.State, StartMode: s.StartMode, LogonAs: s.LogonAs}
		}
	}
	return facts.Service{Name: name}
}

// smbClientConfig is Get-SmbClientConfiguration: explicit lab values, else
// what the registry and the OS build imply.
func (h *Host) smbClientConfig() *facts.SMBClientConfig {
	c := h.SMBClient
	if c == nil {
		c = &SMBClient{}
	}
	avail := h.OS.Build >= 9200 // the SmbShare module came with Windows 8 / Server 2012
	if c.Available != nil {
		avail = *c.Available
	}
	out := &facts.SMBClientConfig{Available: avail, Error: c.Error}
	if !avail {
		// No ROOT/Microsoft/Windows/SMB namespace or class (before Windows
		// 8 / Server 2012): the script reports available=false, no error.
		return out
	}
	if c.Error != "" {
		// MSFT_SmbClientConfiguration.GetConfiguration failed: available
		// stays false.
		out.Available = false
		return out
	}
	boolFrom := func(explicit *bool, def bool, keys ...string) *bool {
		if explicit != nil {
			b := *explicit
			return &b
		}
		for _, key := range keys {
			if v, ok := h.dword(key, "BlockNTLM"); ok {
				b := v != 0
				return &b
			}
		}
		return &def
	}
	if h.OS.Build >= 26100 {
		// The property exists from Windows 11 24H2 / Server 2025 on. The
		// lab assumes the cmdlet reflects the policy value when set, else
		// the local configuration (where the cmdlet stores its setting is
		// UNCONFIRMED).
		out.BlockNTLM = boolFrom(c.BlockNTLM, false, facts.KeyLanmanWksPol, facts.KeyLanmanWksPar)
		if c.BlockNTLMServerExceptionList != nil {
			out.BlockNTLMServerExceptionList = append([]string{}, c.BlockNTLMServerExceptionList...)
		}
	}
	signing := func(explicit *bool, name string, def bool) *bool {
		if explicit != nil {
			b := *explicit
			return &b
		}
		if v, ok := h.dword(facts.KeyLanmanWksPar, name); ok {
			b := v != 0
			return &b
		}
		return &def
	}
	// Windows 11 24H2 / Server 2025 require SMB client signing by default.
	out.RequireSecuritySignature = signing(c.RequireSecuritySignature, "RequireSecuritySignature", h.OS.Build >= 26100)
	out.EnableSecuritySignature = signing(c.EnableSecuritySignature, "EnableSecuritySignature", true)
	return out
}

// dnsAddresses is what the host's name resolves to, in order.
func (h *Host) dnsAddresses() []string {
	if len(h.DNSAddresses) > 0 {
		return h.DNSAddresses
	}
	return []string{h.Address}
}

// resolve finds what a name means on the lab network: a host by FQDN,
// NetBIOS name, short DNS name or one of its addresses. An empty name is
// the local computer ([Dns]::GetHostAddresses("")).
func (l *Lab) resolve(from *Host, target string) (h *Host, addrs []string, dnsErr string) {
	t := strings.TrimSuffix(strings.TrimSpace(target), ".")
	if t == "" {
		return from, from.dnsAddresses(), ""
	}
	if a, err := netip.ParseAddr(t); err == nil {
		if c := l.lookup(a.String()); c != nil && slices.Contains(c.dnsAddresses(), a.String()) {
			return c, []string{a.String()}, ""
		}
		for _, c := range l.Hosts {
			if slices.Contains(c.dnsAddresses(), a.String()) {
				return c, []string{a.String()}, ""
			}
		}
		return nil, []string{a.String()}, ""
	}
	if c := l.lookup(strings.ToLower(t)); c != nil && hostNamed(c, t) {
		return c, c.dnsAddresses(), ""
	}
	for _, c := range l.Hosts {
		if hostNamed(c, t) {
			return c, c.dnsAddresses(), ""
		}
	}
	return nil, nil, "No such host is known"
}

// hostNamed: t is the host's FQDN, NetBIOS name or short DNS name.
func hostNamed(c *Host, t string) bool {
	short, _, _ := strings.Cut(c.FQDN, ".")
	return strings.EqualFold(c.FQDN, t) || strings.EqualFold(c.Name, t) || strings.EqualFold(short, t)
}

// lookup finds a host candidate by lower-cased name or address in an index
// built once: a Core probes hundreds of agents, and a linear scan per probe
// made the simulator quadratic in the fleet size. Callers re-check the match
// and fall back to the scan, so a lab edited after the index was built
// still resolves exactly as before.
func (l *Lab) lookup(key string) *Host {
	l.indexOnce.Do(func() {
		l.index = make(map[string]*Host, 4*len(l.Hosts))
		add := func(k string, c *Host) {
			if _, dup := l.index[k]; !dup && k != "" {
				l.index[k] = c // the first host wins, as in the scan
			}
		}
		for _, c := range l.Hosts {
			short, _, _ := strings.Cut(c.FQDN, ".")
			add(strings.ToLower(c.FQDN), c)
			add(strings.ToLower(c.Name), c)
			add(strings.ToLower(short), c)
			for _, a := range c.dnsAddresses() {
				if p, err := netip.ParseAddr(a); err == nil {
					add(p.String(), c)
				}
			}
		}
	})
	return l.index[key]
}

// listensOn: the host's listening ports, including the WinRM ports it serves
// (as declared in the lab, not the ephemeral ports of a test run).
func (h *Host) listensOn(port int) bool {
	if slices.Contains(h.Listens, port) {
		return true
	}
	return h.httpEnabled() && h.WinRM.HTTPPort == port || h.WinRM.HTTPS && h.WinRM.HTTPSPort == port
}

func (l *Lab) cut(from, to *Host, addr string, port int) bool {
	for _, c := range l.Network.Cuts {
		if strings.EqualFold(c.From, from.Name) && strings.EqualFold(c.To, to.Name) &&
			(len(c.Ports) == 0 || slices.Contains(c.Ports, port)) &&
			(len(c.Addresses) == 0 || slices.Contains(c.Addresses, addr)) {
			return true
		}
	}
	return false
}

// connect is one TCP connect from host from to addr:port on the lab network.
func (l *Lab) connect(from, target *Host, addr string, port, timeoutMS int) facts.PortResult {
	pr := facts.PortResult{Port: port}
	switch {
	case target == nil || l.cut(from, target, addr, port):
		pr.Error, pr.ElapsedMS = "timeout", timeoutMS
	case target.listensOn(port):
		pr.Open, pr.ElapsedMS = true, 1
	default:
		pr.Error, pr.ElapsedMS = "refused", 1
	}
	return pr
}

const beginConnectOutOfRange = "Exception calling \"BeginConnect\" with \"4\" argument(s): \"Specified argument was out of the range of valid values.\r\nParameter name: port\""

// runProbes is collect.ps1's reachability section on host from.
func (l *Lab) runProbes(from *Host, request any) ([]facts.ProbeResult, error) {
	list := psPipeline(psProperty(request, "probes"))
	if len(list) == 0 {
		return nil, nil
	}
	timeout := defaultProbeTimeoutMS
	if n, ok := psNumber(psProperty(request, "probeTimeoutMs")); ok && n > 0 {
		t, err := psInt(psProperty(request, "probeTimeoutMs"))
		if err != nil {
			return nil, collectorFailure("$timeoutMs = [int]$request.probeTimeoutMs", 1, err.Error())
		}
		timeout = t
	}
	type job struct {
		target *Host
		res    facts.ProbeResult
		ports  []any
	}
	jobs := make([]*job, 0, len(list))
	for _, p := range list {
		j := &job{res: facts.ProbeResult{Target: psString(psProperty(p, "target")), Ports: []facts.PortResult{}},
			ports: psArray(psProperty(p, "ports"))}
		target, addrs, dnsErr := l.resolve(from, j.res.Target)
		j.target = target
		if dnsErr != "" {
			j.res.DNSError = dnsErr
		} else {
			j.res.Addresses = append([]string{}, addrs...)
		}
		jobs = append(jobs, j)
	}
	// Every port of every address, in this order; [int]$port fails here
	// first for a target that resolved.
	for _, j := range jobs {
		for _, addr := range j.res.Addresses {
			ar := facts.AddressResult{Address: addr, Ports: []facts.PortResult{}}
			for _, pv := range j.ports {
				port, err := psInt(pv)
				if err != nil {
					return nil, collectorFailure("port = [int]$port", 1, err.Error())
				}
				switch {
				case port < 0 || port > 65535:
					ar.Ports = append(ar.Ports, facts.PortResult{Port: port, Error: beginConnectOutOfRange})
					continue
				case port == 0:
					// A valid argument, but no connection can go to port 0
					// (WSAEADDRNOTAVAIL, not one Get-SocketErrorText names).
					ar.Ports = append(ar.Ports, facts.PortResult{Port: port, Error: "The requested address is not valid in its context"})
					continue
				}
				ar.Ports = append(ar.Ports, l.connect(from, j.target, addr, port, timeout))
			}
			j.res.ByAddress = append(j.res.ByAddress, ar)
		}
	}
	// As the Core connects by name: open when any address answers, else
	// the first address's error.
	out := make([]facts.ProbeResult, 0, len(jobs))
	for _, j := range jobs {
		for _, pv := range j.ports {
			port, err := psInt(pv)
			if err != nil {
				return nil, collectorFailure("port = [int]$port", 2, err.Error())
			}
			pr := facts.PortResult{Port: port}
			var first, hit *facts.PortResult
			for a := range j.res.ByAddress {
				for k := range j.res.ByAddress[a].Ports {
					x := &j.res.ByAddress[a].Ports[k]
					if x.Port != port {
						continue
					}
					if first == nil {
						first = x
					}
					if x.Open && hit == nil {
						hit = x
					}
				}
			}
			switch {
			case hit != nil:
				pr.Open, pr.ElapsedMS = true, hit.ElapsedMS
			case first != nil:
				pr.ElapsedMS, pr.Error = first.ElapsedMS, first.Error
			default:
				pr.Error = "dns"
			}
			j.res.Ports = append(j.res.Ports, pr)
		}
		out = append(out, j.res)
	}
	return out, nil
}

// --- PowerShell's view of ConvertFrom-Json output ---------------------------

// convertFromJSON parses like Windows PowerShell's ConvertFrom-Json
// (JavaScriptSerializer): one JSON value; numbers stay numbers.
func convertFromJSON(s string) (any, error) {
	if v, ok := parsedRequests.get(s); ok {
		return v, nil
	}
	v, err := convertFromJSONUncached(s)
	if err == nil {
		parsedRequests.put(s, v)
	}
	return v, err
}

// parsedRequests remembers recent ConvertFrom-Json results: thousands of
// agents receive the same request text, and parsing it again for each was a
// tenth of the simulator's CPU. The values are only read (psProperty and
// friends never modify them), and the parse depends on the text alone.
var parsedRequests = &jsonCache{max: 64, maxBytes: 4 << 20}

type jsonCache struct {
	mu            sync.Mutex
	m             map[string]any
	bytes         int
	max, maxBytes int
}

func (c *jsonCache) get(s string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[s]
	return v, ok
}

func (c *jsonCache) put(s string, v any) {
	if len(s) > c.maxBytes/8 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= c.max || c.bytes+len(s) > c.maxBytes {
		c.m, c.bytes = make(map[string]any, c.max), 0 // bounded: start over
	}
	c.m[s] = v
	c.bytes += len(s)
}

func convertFromJSONUncached(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	if err == nil {
		if _, terr := dec.Token(); terr == nil {
			err = errors.New("trailing data")
		}
	}
	if err != nil {
		tok := strings.TrimSpace(s)
		if i := strings.IndexAny(tok, " \t\r\n,:{}[]"); i > 0 {
			tok = tok[:i]
		}
		if len(tok) > 40 {
			tok = tok[:40]
		}
		return nil, fmt.Errorf("Invalid JSON primitive: %s.", tok)
	}
	if a, b, dup := caseDuplicate(v); dup {
		return nil, fmt.Errorf("Cannot convert the JSON string because a dictionary that was converted from the string contains the duplicated keys '%s' and '%s'.", a, b)
	}
	return v, nil
}

// caseDuplicate finds two keys of one object that differ only in case,
// which PowerShell's case-insensitive properties cannot hold.
func caseDuplicate(v any) (string, string, bool) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		seen := make(map[string]string, len(keys))
		for _, k := range keys {
			l := strings.ToLower(k)
			if prev, ok := seen[l]; ok {
				return prev, k, true
			}
			seen[l] = k
			if a, b, dup := caseDuplicate(x[k]); dup {
				return a, b, true
			}
		}
	case []any:
		for _, e := range x {
			if a, b, dup := caseDuplicate(e); dup {
				return a, b, true
			}
		}
	}
	return "", "", false
}

// psProperty is $object.name: case-insensitive; $null for anything that is
// not an object or lacks the property.
func psProperty(v any, name string) any {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	if x, ok := m[name]; ok {
		return x
	}
	for k, x := range m {
		if strings.EqualFold(k, name) {
			return x
		}
	}
	return nil
}

// psArray is @(value): an array stays itself, anything else (also $null)
// becomes a one-element array.
func psArray(v any) []any {
	if a, ok := v.([]any); ok {
		return a
	}
	return []any{v}
}

// psPipeline is @(value | Where-Object { $null -ne $_ }).
func psPipeline(v any) []any {
	var out []any
	for _, x := range psArray(v) {
		if x != nil {
			out = append(out, x)
		}
	}
	return out
}

// psString is [string]value.
func psString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "True"
		}
		return "False"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = psString(e)
		}
		return strings.Join(parts, " ")
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + psString(x[k])
		}
		return "@{" + strings.Join(parts, "; ") + "}"
	}
	return fmt.Sprint(v)
}

// psTruthy is PowerShell's conversion to [bool] in an if statement.
func psTruthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case json.Number:
		f, err := x.Float64()
		return err != nil || f != 0
	case []any:
		switch len(x) {
		case 0:
			return false
		case 1:
			return psTruthy(x[0])
		}
		return true
	}
	return true
}

// psNumber reads a number or a numeric string.
func psNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// psEqualsInt is "value -eq n" with the value on the left.
func psEqualsInt(v any, n int) bool {
	switch x := v.(type) {
	case string:
		return x == strconv.Itoa(n) // the number is converted to text
	case bool:
		return x == (n != 0)
	case json.Number:
		f, err := x.Float64()
		return err == nil && f == float64(n)
	}
	return false
}

// psInt is [int]value: $null is 0, fractions round to even, text must be
// a number, anything else fails as PowerShell's conversion does.
func psInt(v any) (int, error) {
	switch x := v.(type) {
	case nil:
		return 0, nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case json.Number, string:
		f, ok := psNumber(x)
		if !ok || math.IsNaN(f) {
			return 0, fmt.Errorf(`Cannot convert value "%s" to type "System.Int32". Error: "Input string was not in a correct format."`, psString(x))
		}
		f = math.RoundToEven(f)
		if f > math.MaxInt32 || f < math.MinInt32 {
			return 0, fmt.Errorf(`Cannot convert value "%s" to type "System.Int32". Error: "Value was either too large or too small for an Int32."`, psString(x))
		}
		return int(f), nil
	case []any:
		return 0, errors.New(`Cannot convert the "System.Object[]" value of type "System.Object[]" to type "System.Int32".`)
	}
	return 0, fmt.Errorf(`Cannot convert the "%s" value of type "System.Management.Automation.PSCustomObject" to type "System.Int32".`, psString(v))
}
