package render_test

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/internal/reporttest"
	"github.com/ntlmscan/ntlmscan/report/render"
	"github.com/ntlmscan/ntlmscan/report/verdict"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
	pscheckrun "github.com/ntlmscan/ntlmscan/scanner/facts/pscheck"
)

// pscheck runs .ci/pscheck (tree-sitter-powershell) on files; with shape
// it also returns each file's syntax tree.
func pscheck(t *testing.T, shape bool, files ...string) (problems string, trees map[string]string) {
	t.Helper()
	args := files
	if shape {
		args = append([]string{"--shape"}, files...)
	}
	res := pscheckrun.Run(t, args...)
	stdout := res.Stdout
	trees = map[string]string{}
	var out strings.Builder
	for line := range strings.Lines(stdout) {
		if file, tree, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "\t"); ok && shape {
			trees[file] = tree
			continue
		}
		out.WriteString(line)
	}
	return out.String(), trees
}

// psSources are the PowerShell texts a report gives an admin to run: the
// `ntlmscan plan --format powershell` script, every remediation line of
// every path, every change plan line, and the Markdown report's powershell
// blocks. Each becomes its own file, named by where it comes from.
func psSources(t *testing.T, r *report.Report) map[string]string {
	t.Helper()
	src := map[string]string{}
	var plan bytes.Buffer
	if err := render.RenderPlan(&plan, r, render.PlanPowerShell); err != nil {
		t.Fatal(err)
	}
	src["plan.ps1"] = plan.String()
	var undo bytes.Buffer
	if err := render.RenderPlan(&undo, r, render.PlanPowerShellUndo); err != nil {
		t.Fatal(err)
	}
	src["plan-undo.ps1"] = undo.String()
	// Advice commands inside prose (notes, explanations): each is cut
	// from its verb to the end of its sentence, so a value spliced in
	// unquoted would change the syntax tree.
	var prose []string
	for i := range r.Matrix.Paths {
		for _, rs := range r.Matrix.Paths[i].Reasons {
			prose = append(prose, rs.Explanation)
			if rs.Remediation != nil {
				prose = append(prose, rs.Remediation.Note)
			}
		}
	}
	for i := range r.Matrix.Plan {
		prose = append(prose, r.Matrix.Plan[i].Notes...)
	}
	n := 0
	for _, text := range prose {
		for _, cmd := range adviceInProse(text) {
			src[fmt.Sprintf("advice%02d.ps1", n)] = cmd
			n++
		}
	}
	for i := range r.Matrix.Paths {
		p := &r.Matrix.Paths[i]
		// Named by setting, not position: reasons are sorted by host name.
		seen := map[string]int{}
		for j := range p.Reasons {
			if rem := p.Reasons[j].Remediation; rem != nil && rem.PowerShell != "" {
				key := strings.ReplaceAll(p.Reasons[j].Setting+"-"+rem.Setting, " ", "_")
				seen[key]++
				src[fmt.Sprintf("path%02d-%s-%d.ps1", i, key, seen[key])] = rem.PowerShell
			}
		}
		if d := p.Deciding; d != nil && d.Remediation != nil && d.Remediation.PowerShell != "" {
			src[fmt.Sprintf("path%02d-deciding.ps1", i)] = d.Remediation.PowerShell
		}
	}
	for i := range r.Matrix.Plan {
		if ps := r.Matrix.Plan[i].PowerShell; ps != "" {
			src[fmt.Sprintf("change%02d.ps1", i)] = ps
		}
		if g := r.Matrix.Plan[i].GPOEdit; g != "" && !strings.HasPrefix(g, "GptTmpl.inf") && !strings.HasPrefix(g, "add to the planned") {
			src[fmt.Sprintf("gpoedit%02d.ps1", i)] = g
		}
	}
	md := string(render1(t, "markdown", r, render.Options{}))
	n = 0
	for {
		start := strings.Index(md, "```powershell\n")
		if start < 0 {
			break
		}
		md = md[start+len("```powershell\n"):]
		end := strings.Index(md, "\n```")
		if end < 0 {
			t.Fatal("Markdown: unterminated powershell block")
		}
		src[fmt.Sprintf("markdown%02d.ps1", n)] = md[:end]
		md, n = md[end:], n+1
	}
	return src
}

// adviceVerbs are the commands ntlmscan's prose advises.
var adviceVerbs = regexp.MustCompile(`\b(setspn|nltest|Test-NetConnection|Resolve-DnsName|Remove-ADGroupMember) `)

// adviceInProse returns each advice command in text: from its verb to the
// first ". ", ")", "," or end of text outside a single-quoted literal.
func adviceInProse(text string) []string {
	var out []string
	for _, loc := range adviceVerbs.FindAllStringIndex(text, -1) {
		rest := text[loc[0]:]
		inQuote, end := false, len(rest)
	scan:
		for i, r := range rest {
			switch {
			case r == '\'' || r == '\u2018' || r == '\u2019' || r == '\u201A' || r == '\u201B':
				inQuote = !inQuote // a doubled quote toggles twice
			case inQuote:
			case r == ')' || r == ',' || r == '.' && (i+1 == len(rest) || rest[i+1] == ' '):
				end = i
				break scan
			}
		}
		out = append(out, strings.TrimSpace(rest[:end]))
	}
	return out
}

// writeSources writes the sources to dir; it returns the paths by name.
func writeSources(t *testing.T, dir string, src map[string]string) map[string]string {
	t.Helper()
	paths := map[string]string{}
	for name, text := range src {
		if commentOnly(text) {
			// tree-sitter-powershell rejects a file that holds only
			// comments; PowerShell runs it (as nothing).
			text += "\n$null"
		}
		p := filepath.Join(dir, name)
		// A final line feed: the grammar wants a comment-only file to end
		// with one.
		if err := os.WriteFile(p, []byte(text+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		paths[name] = p
	}
	return paths
}

func commentOnly(text string) bool {
	for l := range strings.Lines(text) {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}

func sortedValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// psEstate is a small estate built as Go values (so inventory validation
// does not stop a hostile name) whose every PowerShell-producing rule fires:
// a DC restricting pass-through, a Core denying outgoing NTLM and blocking
// NTLM for SMB, an IP-named agent, an agent whose name does not resolve,
// one that does not answer, a Core account in Protected Users. v supplies
// the names and list entries, in this order: Core, agent by name, its
// NetBIOS name, agent whose name does not resolve, agent that does not
// answer, share server, account, existing exception list entry.
func psEstate(v [8]string) *report.Report {
	at := time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC)
	inv := &inventory.Inventory{File: "estate.yaml"}
	dom := &inventory.Domain{Name: "corp.example", NetBIOS: "CORP"}
	inv.Domains = append(inv.Domains, dom)
	var results []facts.HostResult
	add := func(name, fqdn, netbios string, role inventory.Role) (*inventory.Host, *facts.Response) {
		h := &inventory.Host{Name: name, Role: role, NetBIOS: netbios, FQDN: fqdn, Domain: "corp.example", Scan: true, Address: "127.0.0.1"}
		inv.Hosts = append(inv.Hosts, h)
		short, _, _ := strings.Cut(fqdn, ".")
		id := facts.Identity{NetBIOSName: netbios, DNSHostName: short, Domain: "corp.example", PartOfDomain: true,
			DomainRole: facts.RoleMemberServer, OSBuild: 20348, OSVersion: "10.0.20348"}
		if role == inventory.RoleDomainController {
			id.DomainRole = facts.RoleBackupDC
		}
		resp := &facts.Response{Schema: facts.SchemaVersion, Identity: id}
		for _, s := range facts.Settings {
			resp.Registry = append(resp.Registry, facts.RegistryValue{RegistryKey: s.RegistryKey()})
		}
		results = append(results, facts.HostResult{Host: name, Address: h.Address, Facts: resp, Attempts: 1, StartedAt: at})
		return h, resp
	}
	dword := func(r *facts.Response, id string, n uint64) {
		rv := facts.SettingByID(id).Lookup(r)
		*rv = facts.RegistryValue{RegistryKey: rv.RegistryKey, Present: true, Type: facts.RegDWORD, DWORD: &n}
	}
	multi := func(r *facts.Response, id string, l ...string) {
		rv := facts.SettingByID(id).Lookup(r)
		*rv = facts.RegistryValue{RegistryKey: rv.RegistryKey, Present: true, Type: facts.RegMultiSZ, Strings: l}
	}
	dc, dcr := add("DC01", "dc01.corp.example", "DC01", inventory.RoleDomainController)
	dom.Controllers = append(dom.Controllers, dc)
	dword(dcr, facts.RestrictNTLMInDomain, 1)
	multi(dcr, facts.DCAllowedNTLMServers, v[7])

	coreHost, cr := add(v[0], v[0]+".corp.example", v[0], inventory.RoleCore)
	dword(cr, facts.RestrictSendingNTLMTraffic, 2)
	multi(cr, facts.ClientAllowedNTLMServers, v[7])
	dword(cr, facts.SMBBlockNTLM, 1)
	multi(cr, facts.SMBBlockNTLMServerExceptionList, v[7])
	cr.Identity.OSBuild, cr.Identity.OSVersion = 26100, "10.0.26100" // SMB client NTLM blocking exists
	blockOn := true
	cr.SMBClient = &facts.SMBClientConfig{Available: true, BlockNTLM: &blockOn}
	// An Administrative Templates GPO sets the SMB block: its fix is a
	// Set-GPRegistryValue line with the entries as data.
	gpoID := "CN={8B1E0F42-7C3D-4A59-B6E2-0D9F8A7C6B5E},CN=Policies,CN=System,DC=corp,DC=example"
	cr.PolicySources = &facts.PolicySources{Method: "rsop-wmi", Status: facts.PolicyOK,
		GPOs: []facts.GPO{{ID: gpoID, Name: "Core SMB Hardening", GUID: "{8B1E0F42-7C3D-4A59-B6E2-0D9F8A7C6B5E}"}}}
	for _, id := range []string{facts.SMBBlockNTLM, facts.SMBBlockNTLMServerExceptionList} {
		k := facts.SettingByID(id).RegistryKey()
		cr.PolicySources.Settings = append(cr.PolicySources.Settings, facts.PolicySetting{Path: k.Key + `\` + k.Name, GPOID: gpoID, Precedence: 1})
	}
	cr.Services = []facts.Service{{Name: "RapidRecoveryCore", Present: true, State: "Running", StartMode: "Auto", LogonAs: `CORP\` + v[6]}}
	core := &inventory.Core{Host: coreHost, Account: inventory.Account{Kind: inventory.AccountDomain, Name: `CORP\` + v[6], Domain: "corp.example", ProtectedUsers: true}}
	inv.Cores = append(inv.Cores, core)
	probe := func(name string, port int, open bool, dnsErr string) {
		pr := facts.ProbeResult{Target: name, DNSError: dnsErr}
		if dnsErr == "" {
			pr.Addresses = []string{"127.0.0.9"}
			pr.Ports = []facts.PortResult{{Port: port, Open: open}}
			if !open {
				pr.Ports[0].Error = "timeout"
			}
		}
		cr.Probes = append(cr.Probes, pr)
	}
	agent := func(name, netbios, nameUsed string, open bool, dnsErr string) {
		h, _ := add(name, strings.ToLower(name)+".corp.example", netbios, inventory.RoleAgent)
		core.Agents = append(core.Agents, &inventory.AgentLink{Core: core, Agent: h, NameUsed: nameUsed, Port: 8006})
		probe(nameUsed, 8006, open, dnsErr)
	}
	agent("AGENT01", v[2], v[1], true, "")
	agent("AGENT02", "AGENT02", "127.0.0.32", true, "")
	agent("AGENT03", "AGENT03", v[3], true, "no such host")
	agent("AGENT04", "AGENT04", v[4], false, "")
	fs, _ := add("FS01", "fs01.corp.example", "FS01", inventory.RoleRepositoryHost)
	repo := &inventory.Repository{Name: "FS01", UNC: `\\` + v[5] + `\Repo`, Server: v[5], Host: fs, Account: core.Account, Cores: []*inventory.Core{core}}
	core.Repositories = append(core.Repositories, repo)
	inv.Repositories = append(inv.Repositories, repo)
	probe(v[5], 445, true, "")
	// The same share by IP address: NTLM required, so the SMB block's
	// exception list gets an entry (a GPO edit: Set-GPRegistryValue).
	byIP := &inventory.Repository{Name: "FS01-IP", UNC: `\\10.9.9.9\Repo`, Server: "10.9.9.9", Host: fs, Account: core.Account, Cores: []*inventory.Core{core}}
	core.Repositories = append(core.Repositories, byIP)
	inv.Repositories = append(inv.Repositories, byIP)
	probe("10.9.9.9", 445, true, "")

	m := verdict.Evaluate(inv, results, nil, verdict.Options{})
	return &report.Report{Kind: report.Kind, Schema: report.SchemaVersion, RunID: "ps-" + v[0], GeneratedAt: at,
		Inventory: "estate.yaml", Hosts: results, Matrix: *m}
}

var (
	// benignEstate and hostileEstate name the same estate: benign names, and
	// names an attacker who can edit the inventory or a host's registry
	// would choose (quotes of every kind PowerShell knows, $, subexpressions,
	// backticks, semicolons, comments, pipes, new lines).
	benignEstate  = [8]string{"CORE01", "backup-a1.example.net", "NBAGENT01", "a3.example.net", "a4.example.net", "files.example.net", "svc-rr", "legacy01"}
	hostileEstate = [8]string{
		"CORE';Stop-Computer;'",
		"a$(Remove-Item -Recurse C:\\)'; iex 'x",
		"NB`\"$env:X\";calc",
		"b\u2019;Stop-Computer;\u2018",
		"c'+(iex 'calc')+'",
		"srv\n# \"; Format-Volume ;\r\nStop-Computer",
		"svc'} | % { calc } ; {'",
		"old'; @(1) | iex; <# #>",
	}
)

// TestPowerShellOfReportsParses: every PowerShell text a report gives an
// admin (plan script, remediation lines, change plan lines, Markdown blocks)
// parses as PowerShell, for the demo report and for an estate with hostile
// names.
func TestPowerShellOfReportsParses(t *testing.T) {
	t.Parallel()
	for name, r := range map[string]*report.Report{
		"demo":    reporttest.DemoFull(),
		"benign":  psEstate(benignEstate),
		"hostile": psEstate(hostileEstate),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := psSources(t, r)
			if len(src) < 6 {
				t.Fatalf("only %d PowerShell texts: the estate no longer exercises the remediations", len(src))
			}
			paths := writeSources(t, t.TempDir(), src)
			if problems, _ := pscheck(t, false, sortedValues(paths)...); problems != "" {
				t.Errorf("PowerShell syntax problems:\n%s", problems)
			}
		})
	}
}

// TestPowerShellPassesInventoryValuesAsData: with hostile names the
// PowerShell has the same syntax tree as with benign ones (a quoted string
// and a comment are leaves, whatever they hold), so no name became code.
// The hostile values do reach the lines (the test is not vacuous).
func TestPowerShellPassesInventoryValuesAsData(t *testing.T) {
	t.Parallel()
	benign, hostile := psSources(t, psEstate(benignEstate)), psSources(t, psEstate(hostileEstate))
	if got, want := slices.Sorted(maps.Keys(hostile)), slices.Sorted(maps.Keys(benign)); !slices.Equal(got, want) {
		t.Fatalf("hostile names change which PowerShell texts a report has:\n got %v\nwant %v", got, want)
	}
	all := strings.Join(sortedValues(hostile), "\n")
	for _, marker := range []string{"Stop-Computer", "Remove-Item", "calc", "iex", "$env:X", "Format-Volume"} {
		if !strings.Contains(all, marker) {
			t.Errorf("no PowerShell text carries the hostile value with %q", marker)
		}
	}
	bp := writeSources(t, t.TempDir(), benign)
	hp := writeSources(t, t.TempDir(), hostile)
	problems, trees := pscheck(t, true, append(sortedValues(bp), sortedValues(hp)...)...)
	if problems != "" {
		t.Errorf("PowerShell syntax problems:\n%s", problems)
	}
	for name := range benign {
		if trees[bp[name]] == "" {
			t.Fatalf("%s: no syntax tree from pscheck", name)
		}
		if trees[bp[name]] != trees[hp[name]] {
			t.Errorf("%s: a hostile name changed the PowerShell's syntax (spliced as code)\n--- benign:\n%s\n--- hostile:\n%s",
				name, benign[name], hostile[name])
		}
	}
}

// TestPowerShellShapeCheckCatchesSplicing: the syntax tree comparison
// above tells a value passed as data from one spliced into code.
func TestPowerShellShapeCheckCatchesSplicing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := writeSources(t, dir, map[string]string{
		"quoted.ps1":   "Resolve-DnsName -Name " + verdict.PSQuote("x'; Stop-Computer; '"),
		"benign.ps1":   "Resolve-DnsName -Name " + verdict.PSQuote("agent01"),
		"spliced.ps1":  "Resolve-DnsName -Name 'x'; Stop-Computer; ''",
		"expanded.ps1": `Resolve-DnsName -Name "a$(Stop-Computer)"`,
	})
	_, trees := pscheck(t, true, sortedValues(files)...)
	if trees[files["quoted.ps1"]] != trees[files["benign.ps1"]] {
		t.Errorf("a quoted value changed the tree:\n%s\n%s", trees[files["quoted.ps1"]], trees[files["benign.ps1"]])
	}
	for _, bad := range []string{"spliced.ps1", "expanded.ps1"} {
		if trees[files[bad]] == trees[files["benign.ps1"]] {
			t.Errorf("%s has the tree of the benign line: the check cannot see splicing", bad)
		}
	}
}

// TestPlanPowerShellGuardUsesComputerName: a plan section runs where
// $env:COMPUTERNAME is the host's NetBIOS name in the inventory (the
// change's Guard), which need not be the first label of its inventory
// name, and never the name the host reported about itself.
func TestPlanPowerShellGuardUsesComputerName(t *testing.T) {
	t.Parallel()
	r := psEstate(benignEstate)
	for i := range r.Hosts {
		if r.Hosts[i].Host == "CORE01" {
			r.Hosts[i].Host = "backup-core.corp.example"
		}
		if r.Hosts[i].Host == "DC01" {
			r.Hosts[i].Facts.Identity.NetBIOSName = "CORE01" // what the host says is not the guard
		}
	}
	for i := range r.Matrix.Plan {
		if r.Matrix.Plan[i].Host == "CORE01" {
			r.Matrix.Plan[i].Host = "backup-core.corp.example"
			r.Matrix.Plan[i].Guard = "BKCORE01"
		}
	}
	var out bytes.Buffer
	if err := render.RenderPlan(&out, r, render.PlanPowerShell); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "if ($env:COMPUTERNAME -ieq 'BKCORE01') {") {
		t.Errorf("the section of backup-core.corp.example does not check for its computer name BKCORE01:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "if ($env:COMPUTERNAME -ieq 'DC01') {") {
		t.Errorf("the section of DC01 does not check for DC01:\n%s", out.String())
	}
}

// cp1252High is Windows-1252 for bytes 0x80-0x9F (the rest of the range is
// Latin-1); 0 marks the five unassigned bytes.
var cp1252High = [32]rune{
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
}

// asWindowsPowerShell51Reads returns the text Windows PowerShell 5.1 (the
// default on Windows Server) runs from a .ps1 file's bytes: UTF-8 after a
// BOM, else the ANSI code page (Windows-1252 on Western systems).
func asWindowsPowerShell51Reads(b []byte) string {
	if rest, ok := bytes.CutPrefix(b, []byte("\xEF\xBB\xBF")); ok {
		return string(rest)
	}
	var sb strings.Builder
	for _, c := range b {
		switch {
		case c >= 0x80 && c <= 0x9F && cp1252High[c-0x80] != 0:
			sb.WriteRune(cp1252High[c-0x80])
		default:
			sb.WriteRune(rune(c))
		}
	}
	return sb.String()
}

// TestPlanPowerShellSafeInWindowsPowerShell51: the plan script is what
// admins save as a .ps1 and run. Windows PowerShell 5.1 reads a file
// without a BOM in the ANSI code page, where the UTF-8 bytes of "ё" (D1 91)
// become "Ñ‘", and PowerShell ends a single-quoted string at ‘ as at '. A
// non-ASCII name (here the NetBIOS name a compromised host reports) must
// reach PowerShell as one quoted literal of itself. (tree-sitter-powershell
// does not know the typographic quotes, so this checks the literal.)
func TestPlanPowerShellSafeInWindowsPowerShell51(t *testing.T) {
	t.Parallel()
	const name = "ё; Stop-Computer; ё"
	r := psEstate(benignEstate)
	for i := range r.Matrix.Plan {
		if r.Matrix.Plan[i].Host == "CORE01" {
			r.Matrix.Plan[i].Guard = name // a non-ASCII inventory NetBIOS name
		}
	}
	var out bytes.Buffer
	if err := render.RenderPlan(&out, r, render.PlanPowerShell); err != nil {
		t.Fatal(err)
	}
	read := asWindowsPowerShell51Reads(out.Bytes())
	if want := "-ieq " + verdict.PSQuote(name) + ")"; !strings.Contains(read, want) {
		t.Errorf("as Windows PowerShell 5.1 reads the plan, the name is not the quoted literal %s:\n%s", want, read)
	}
	files := writeSources(t, t.TempDir(), map[string]string{"plan.ps1": strings.TrimPrefix(out.String(), "\uFEFF")})
	if problems, _ := pscheck(t, false, files["plan.ps1"]); problems != "" {
		t.Errorf("syntax problems:\n%s", problems)
	}
}

// TestPlanPowerShellHasNoControlCharacters: the script never carries a
// terminal escape or other control character from a host name or a
// host-reported NetBIOS name (Write-Host would replay it on the admin's
// console).
func TestPlanPowerShellHasNoControlCharacters(t *testing.T) {
	t.Parallel()
	r := psEstate(benignEstate)
	for i := range r.Hosts {
		if r.Hosts[i].Host == "DC01" {
			r.Hosts[i].Facts.Identity.NetBIOSName = "DC\x1b[2J01"
		}
	}
	for i := range r.Matrix.Plan {
		if r.Matrix.Plan[i].Host == "CORE01" {
			r.Matrix.Plan[i].Host = "CORE\x1b]0;owned\x0701"
		}
	}
	var out bytes.Buffer
	if err := render.RenderPlan(&out, r, render.PlanPowerShell); err != nil {
		t.Fatal(err)
	}
	for _, c := range out.String() {
		if c < 0x20 && c != '\n' || c == 0x7f {
			t.Fatalf("control character %U in the plan script:\n%q", c, out.String())
		}
	}
}

// TestPlanPowerShellIgnoresReportScriptText: the plan script builds each
// registry line from the change's setting, entries and value, not from the
// powershell text the report file holds, so a report edited after the scan
// cannot put other code into a script admins run elevated.
func TestPlanPowerShellIgnoresReportScriptText(t *testing.T) {
	t.Parallel()
	r := psEstate(benignEstate)
	zero := uint64(0)
	r.Matrix.Plan = append(r.Matrix.Plan, verdict.Change{ID: "AGENT03|RestrictReceivingNTLMTraffic", Kind: verdict.ChangeDWORD, Host: "AGENT03",
		Setting: "RestrictReceivingNTLMTraffic", SettingID: facts.RestrictReceivingNTLMTraffic, Set: &zero, Value: "0 (Allow all)"})
	kinds := map[verdict.ChangeKind]bool{}
	for i := range r.Matrix.Plan {
		c := &r.Matrix.Plan[i]
		if c.Kind == verdict.ChangeList || c.Kind == verdict.ChangeDWORD {
			kinds[c.Kind] = true
			c.PowerShell = "Remove-Item -Recurse -Force 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\MSV1_0'"
		}
	}
	if !kinds[verdict.ChangeList] || !kinds[verdict.ChangeDWORD] {
		t.Fatalf("the estate's plan lacks a list or DWORD change: %v", kinds)
	}
	var out bytes.Buffer
	if err := render.RenderPlan(&out, r, render.PlanPowerShell); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if l := strings.TrimSpace(line); strings.Contains(l, "Remove-Item") && !strings.HasPrefix(l, "#") {
			t.Errorf("edited script text reached the plan as code: %s", line)
		}
	}
	if !strings.Contains(out.String(), "-Type MultiString") || !strings.Contains(out.String(), "-Type DWord") {
		t.Errorf("plan script lacks the registry lines:\n%s", out.String())
	}
}

// TestPlanPowerShellSectionsBalanced: every line of the plan script runs
// inside the guard of its host, and every section it opens is closed,
// whatever the host names (an empty one included, as an edited report may
// hold): no registry line runs unguarded on whatever machine runs it.
func TestPlanPowerShellSectionsBalanced(t *testing.T) {
	t.Parallel()
	r := psEstate(benignEstate)
	r.Matrix.Plan = append([]verdict.Change{{ID: "|x", Kind: verdict.ChangeList, Host: "", Setting: "ClientAllowedNTLMServers",
		SettingID: facts.ClientAllowedNTLMServers, Add: []string{"x"}, Value: "y"}}, r.Matrix.Plan...)
	var out bytes.Buffer
	if err := render.RenderPlan(&out, r, render.PlanPowerShell); err != nil {
		t.Fatal(err)
	}
	depth, sections := 0, 0
	// The preamble before the first section changes nothing: script
	// parameters (-WhatIf, the backup file), stop on the first error.
	preamble := func(l string) bool {
		return sections == 0 && (strings.HasPrefix(l, "[CmdletBinding(SupportsShouldProcess = $true)]") ||
			strings.HasPrefix(l, "param([string]$BackupPath = ") || l == "$ErrorActionPreference = 'Stop'" || l == "$backup = @()")
	}
	for _, line := range strings.Split(out.String(), "\n") {
		switch l := strings.TrimSpace(line); {
		case preamble(l):
		case strings.HasPrefix(l, "if ($env:COMPUTERNAME"):
			depth++
			sections++
		case strings.HasPrefix(l, "} else { Write-Host"):
			depth--
		case l != "" && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "\uFEFF#") && depth != 1:
			t.Errorf("line outside a host's section (depth %d): %s", depth, l)
		}
	}
	if depth != 0 {
		t.Errorf("%d sections left open:\n%s", depth, out.String())
	}
}
