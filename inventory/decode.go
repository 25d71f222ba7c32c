package inventory

import (
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ntlmscan/ntlmscan/inventory/yamlcheck"
)

// This file turns the YAML tree into specs: what the file says, with the
// line of every value, checked for syntax only. resolve.go then applies
// defaults and checks references across the whole file.

// opt is one optional value from the file, with its line and field path.
type opt[T any] = yamlcheck.Opt[T]

type fileSpec struct {
	version     opt[int64]
	defaults    defaultsSpec
	credentials []credSpec
	domains     []*domainSpec
	groups      []*groupSpec
	cores       []*hostSpec
	agents      []*hostSpec
	repoHosts   []*hostSpec
	coresLine   int
	broken      bool // the top level is not a mapping
}

type defaultsSpec struct {
	domain, workgroup opt[string]
	agentPort         opt[int]
	winrm             winrmSpec
}

type groupSpec struct {
	name              string
	line              int
	field             string
	domain, workgroup opt[string]
	tags              []opt[string]
	winrm             winrmSpec
}

type credSpec struct {
	name                                             string
	line                                             int
	field                                            string
	username, passwordEnv, passwordFile, kerberosCch opt[string]
	keytab                                           opt[string]
	badKeys                                          bool // unknown or password: keys were rejected
}

type domainSpec struct {
	name            string
	line            int
	field           string
	netbios, forest opt[string]
	trusts          []opt[string]
	controllers     []*hostSpec
}

type winrmSpec struct {
	transport     opt[Transport]
	auth          opt[AuthMode]
	spn           opt[string]
	port          opt[int]
	https         opt[bool]
	insecure      opt[bool]
	caFile        opt[string]
	tlsServerName opt[string]
	timeout       opt[time.Duration]
	credential    opt[string]
	line          int // line of the winrm: key (0 = absent)
}

type describedSpec struct {
	line     int
	field    string
	platform opt[string]
	lm       opt[int]
	v1only   opt[bool]
	signing  opt[bool]
}

type accountSpec struct {
	raw       string
	protected bool
}

type linkSpec struct {
	line    int
	field   string
	agent   opt[string]
	name    opt[string]
	port    opt[int]
	account opt[accountSpec]
	ops     []opt[string]
}

type repoSpec struct {
	name    string
	line    int
	field   string
	unc     opt[string]
	host    opt[string]
	account opt[accountSpec]
	kind    opt[string]
	ops     []opt[string]
}

type hostSpec struct {
	name  string
	line  int
	field string
	role  Role

	address, fqdn, netbios, domain, workgroup opt[string]
	tags, groups                              []opt[string]
	winrm                                     winrmSpec
	described                                 *describedSpec
	smbPort                                   opt[int] // repository hosts only

	badKeys bool // unknown keys were rejected: skip "missing X" errors

	// Cores only.
	account      opt[accountSpec]
	links        []*linkSpec
	repos        []*repoSpec
	replications []*replSpec
	serviceNames []string
}

func (w *walker) file(root *yaml.Node) *fileSpec {
	fs := &fileSpec{}
	_, ok := w.Fields(root, "",
		yamlcheck.Version(&fs.version),
		yamlcheck.Text("description", nil),
		yamlcheck.Func("defaults", func(e yamlcheck.Entry, f string) { fs.defaults = w.defaults(e.Val, f) }),
		yamlcheck.Func("credentials", func(e yamlcheck.Entry, f string) { fs.credentials = w.credentials(e.Val, f) }),
		yamlcheck.Func("domains", func(e yamlcheck.Entry, f string) { fs.domains = w.domains(e.Val, f) }),
		yamlcheck.Func("groups", func(e yamlcheck.Entry, f string) { fs.groups = w.groups(e.Val, f) }),
		yamlcheck.Func("cores", func(e yamlcheck.Entry, f string) {
			fs.coresLine = e.Line()
			fs.cores = w.hosts(e.Val, f, RoleCore)
		}),
		yamlcheck.Func("agents", func(e yamlcheck.Entry, f string) { fs.agents = w.hosts(e.Val, f, RoleAgent) }),
		yamlcheck.Func("repository_hosts", func(e yamlcheck.Entry, f string) { fs.repoHosts = w.hosts(e.Val, f, RoleRepositoryHost) }),
	)
	if !ok {
		fs.broken = true
		return fs
	}
	return fs
}

// domainOrWorkgroup declares the domain:/workgroup: pair shared by hosts,
// groups and defaults; checkMembership checks it once decoded.
func domainOrWorkgroup(domain, workgroup *opt[string]) []yamlcheck.Key {
	return []yamlcheck.Key{yamlcheck.Str("domain", domain), yamlcheck.Str("workgroup", workgroup)}
}

func (w *walker) checkMembership(domain, workgroup *opt[string]) {
	if domain.Set && workgroup.Set {
		w.C.Add(workgroup.Line, workgroup.Field, "a machine is either joined to a domain or in a workgroup; keep one", "domain and workgroup are both set")
	}
	if workgroup.Set {
		if r := checkNetBIOS(workgroup.Value); r != "" {
			w.C.Add(workgroup.Line, workgroup.Field, "give the workgroup name, e.g. WORKGROUP", "workgroup %q %s", clip(workgroup.Value), r)
			workgroup.Set = false
		} else {
			workgroup.Value = strings.ToUpper(workgroup.Value)
		}
	}
}

func (w *walker) defaults(n *yaml.Node, field string) defaultsSpec {
	var d defaultsSpec
	keys := append(domainOrWorkgroup(&d.domain, &d.workgroup),
		yamlcheck.Int("agent_port", &d.agentPort, 1, 65535),
		w.winrmKey(&d.winrm))
	if _, ok := w.Fields(n, field, keys...); ok {
		w.checkMembership(&d.domain, &d.workgroup)
	}
	return d
}

var authModes = []string{string(AuthNTLM), string(AuthKerberos), string(AuthAuto)}

var transports = []string{string(TransportNTLM), string(TransportBasic), string(TransportKerberos)}

// winrmKey declares the winrm: block of defaults, groups and hosts.
func (w *walker) winrmKey(ws *winrmSpec) yamlcheck.Key {
	return yamlcheck.Func("winrm", func(e yamlcheck.Entry, f string) { *ws = w.winrm(e, f) })
}

func (w *walker) winrm(e yamlcheck.Entry, field string) winrmSpec {
	ws := winrmSpec{line: e.Line()}
	var transport, auth, timeout opt[string]
	_, ok := w.Fields(e.Val, field,
		yamlcheck.Str("transport", &transport),
		yamlcheck.Str("auth", &auth),
		yamlcheck.Str("spn", &ws.spn),
		yamlcheck.Int("port", &ws.port, 1, 65535),
		yamlcheck.Bool("https", &ws.https),
		yamlcheck.Str("ca_file", &ws.caFile),
		yamlcheck.Bool("insecure_skip_verify", &ws.insecure),
		yamlcheck.Str("tls_server_name", &ws.tlsServerName),
		yamlcheck.Str("timeout", &timeout),
		yamlcheck.Str("credential", &ws.credential),
	)
	if !ok {
		return ws
	}
	if t := transport; t.Set {
		v := strings.ToLower(t.Value)
		switch Transport(v) {
		case TransportNTLM, TransportBasic:
			ws.transport = opt[Transport]{Value: Transport(v), Set: true, Line: t.Line, Field: t.Field}
		case TransportKerberos, "kerberos-reserved", "negotiate-kerberos":
			w.C.Add(t.Line, t.Field, "write auth: kerberos (or auth: auto) and leave transport at ntlm", "Kerberos is chosen with auth:, not transport:")
		default:
			hint := "valid transports: ntlm, basic"
			if s := suggest(v, transports); s != "" && s != string(TransportKerberos) {
				hint = "did you mean " + quote(s) + "?"
			}
			w.C.Add(t.Line, t.Field, hint, "unknown transport %q", clip(t.Value))
		}
	}
	if a := auth; a.Set {
		v := strings.ToLower(a.Value)
		switch AuthMode(v) {
		case AuthNTLM, AuthKerberos, AuthAuto:
			ws.auth = opt[AuthMode]{Value: AuthMode(v), Set: true, Line: a.Line, Field: a.Field}
		default:
			hint := "valid values: ntlm, kerberos, auto"
			if s := suggest(v, authModes); s != "" {
				hint = "did you mean " + quote(s) + "?"
			}
			w.C.Add(a.Line, a.Field, hint, "unknown auth %q", clip(a.Value))
		}
	}
	if ws.spn.Set {
		svc, host, ok := strings.Cut(ws.spn.Value, "/")
		// An SPN may name the port (HTTP/host:5986, registered for clients
		// that use IncludePortInSPN).
		host, port, withPort := strings.Cut(host, ":")
		if n, err := strconv.Atoi(port); withPort && (err != nil || n < 1 || n > 65535 || port != strconv.Itoa(n)) {
			ok = false
		}
		if !ok || svc == "" || checkDNSName(host) != "" {
			w.C.Add(ws.spn.Line, ws.spn.Field, "write it as HTTP/host.dns.name or HTTP/host.dns.name:port (what setspn -L lists for the host)", "invalid SPN %q", clip(ws.spn.Value))
			ws.spn.Set = false
		}
	}
	if ws.tlsServerName.Set {
		if r := checkDNSName(ws.tlsServerName.Value); r != "" {
			w.C.Add(ws.tlsServerName.Line, ws.tlsServerName.Field, "give the DNS name in the server certificate", "%q %s", clip(ws.tlsServerName.Value), r)
			ws.tlsServerName.Set = false
		}
	}
	if t := timeout; t.Set {
		d, err := time.ParseDuration(t.Value)
		switch {
		case err != nil:
			w.C.Add(t.Line, t.Field, "write a duration such as 60s, 2m or 1m30s", "invalid duration %q", clip(t.Value))
		case d <= 0 || d > time.Hour:
			w.C.Add(t.Line, t.Field, "use a duration between 1s and 1h", "timeout %s is out of range", d)
		default:
			ws.timeout = opt[time.Duration]{Value: d, Set: true, Line: t.Line, Field: t.Field}
		}
	}
	// Options that exclude each other within one block; combinations across
	// defaults, groups and hosts are checked on the effective settings.
	if ws.caFile.Set && ws.insecure.Set && ws.insecure.Value {
		w.C.Add(ws.insecure.Line, ws.insecure.Field, "keep ca_file and remove insecure_skip_verify", "insecure_skip_verify and ca_file exclude each other")
	}
	return ws
}

func (w *walker) credentials(n *yaml.Node, field string) []credSpec {
	es, _ := w.Entries(n, field)
	var out []credSpec
	for _, e := range es {
		f := join(field, e.Name)
		if !identRE.MatchString(e.Name) {
			w.C.Add(e.Line(), f, "use letters, digits, '.', '_' and '-'", "invalid credential name %q", clip(e.Name))
			continue
		}
		c := credSpec{name: e.Name, line: e.Line(), field: f}
		m, ok := w.Fields(e.Val, f,
			yamlcheck.Str("username", &c.username),
			yamlcheck.Str("password_env", &c.passwordEnv),
			yamlcheck.Str("password_file", &c.passwordFile),
			yamlcheck.Str("kerberos_cache", &c.kerberosCch),
			yamlcheck.Str("keytab", &c.keytab),
			yamlcheck.Text("description", nil),
		)
		if !ok {
			continue
		}
		c.badKeys = m.Unknown > 0
		out = append(out, c)
	}
	return out
}

func (w *walker) domains(n *yaml.Node, field string) []*domainSpec {
	es, _ := w.Entries(n, field)
	var out []*domainSpec
	for _, e := range es {
		f := join(field, e.Name)
		if r := checkDNSName(e.Name); r != "" {
			w.C.Add(e.Line(), f, "key each domain by its DNS name, e.g. corp.example, and give the NetBIOS name as netbios: CORP", "domain name %q %s", clip(e.Name), r)
			continue
		}
		d := &domainSpec{name: strings.ToLower(e.Name), line: e.Line(), field: f}
		_, ok := w.Fields(e.Val, f,
			yamlcheck.Str("netbios", &d.netbios),
			yamlcheck.Str("forest", &d.forest),
			yamlcheck.StrList("trusts", &d.trusts),
			yamlcheck.Func("controllers", func(e yamlcheck.Entry, f string) { d.controllers = w.hosts(e.Val, f, RoleDomainController) }),
			yamlcheck.Text("description", nil),
		)
		if !ok {
			continue
		}
		if d.netbios.Set {
			if r := checkNetBIOS(d.netbios.Value); r != "" {
				w.C.Add(d.netbios.Line, d.netbios.Field, "give the pre-Windows 2000 domain name, e.g. CORP", "NetBIOS domain name %q %s", clip(d.netbios.Value), r)
				d.netbios.Set = false
			} else {
				d.netbios.Value = strings.ToUpper(d.netbios.Value)
			}
		}
		if d.forest.Set {
			if r := checkDNSName(d.forest.Value); r != "" {
				w.C.Add(d.forest.Line, d.forest.Field, "give the forest root domain's DNS name", "forest %q %s", clip(d.forest.Value), r)
				d.forest.Set = false
			} else {
				d.forest.Value = strings.ToLower(d.forest.Value)
			}
		}
		out = append(out, d)
	}
	return out
}

func (w *walker) groups(n *yaml.Node, field string) []*groupSpec {
	es, _ := w.Entries(n, field)
	var out []*groupSpec
	for _, e := range es {
		f := join(field, e.Name)
		if !identRE.MatchString(e.Name) {
			w.C.Add(e.Line(), f, "use letters, digits, '.', '_' and '-'", "invalid group name %q", clip(e.Name))
			continue
		}
		g := &groupSpec{name: e.Name, line: e.Line(), field: f}
		keys := []yamlcheck.Key{yamlcheck.Text("description", nil)}
		keys = append(keys, domainOrWorkgroup(&g.domain, &g.workgroup)...)
		keys = append(keys, yamlcheck.StrList("tags", &g.tags), w.winrmKey(&g.winrm))
		if _, ok := w.Fields(e.Val, f, keys...); !ok {
			continue
		}
		w.checkMembership(&g.domain, &g.workgroup)
		g.tags = w.checkTags(g.tags)
		out = append(out, g)
	}
	return out
}

func (w *walker) checkTags(tags []opt[string]) []opt[string] {
	out := tags[:0]
	for _, t := range tags {
		if !identRE.MatchString(t.Value) {
			w.C.Add(t.Line, t.Field, "use letters, digits, '.', '_' and '-'", "invalid tag %q", clip(t.Value))
			continue
		}
		out = append(out, t)
	}
	return out
}

var (
	platforms = []string{"nas", "samba", "windows", "other"}
	repoKinds = []string{"repository", "archive", "export"}
)

func (w *walker) hosts(n *yaml.Node, field string, role Role) []*hostSpec {
	es, _ := w.Entries(n, field)
	var out []*hostSpec
	for _, e := range es {
		f := join(field, e.Name)
		if !identRE.MatchString(e.Name) {
			w.C.Add(e.Line(), f, "use the computer name (letters, digits, '-', '_', '.'), e.g. AGENT01 or agent01.corp.example", "invalid host name %q", clip(e.Name))
			continue
		}
		if h := w.host(e, f, role); h != nil {
			out = append(out, h)
		}
	}
	return out
}

func (w *walker) host(e yamlcheck.Entry, field string, role Role) *hostSpec {
	h := &hostSpec{name: e.Name, line: e.Line(), field: field, role: role}
	keys := []yamlcheck.Key{
		yamlcheck.Text("description", nil),
		yamlcheck.Str("address", &h.address),
		yamlcheck.Str("fqdn", &h.fqdn),
		yamlcheck.Str("netbios", &h.netbios),
	}
	if role != RoleDomainController {
		keys = append(keys, domainOrWorkgroup(&h.domain, &h.workgroup)...)
	}
	keys = append(keys, yamlcheck.StrList("tags", &h.tags), yamlcheck.StrList("groups", &h.groups), w.winrmKey(&h.winrm))
	if role == RoleCore {
		keys = append(keys,
			yamlcheck.Func("account", func(e yamlcheck.Entry, f string) { h.account = w.account(e, f) }),
			yamlcheck.Func("agents", func(e yamlcheck.Entry, f string) {
				items, _ := w.Sequence(e.Val, f)
				for i, item := range items {
					if l := w.link(item, index(f, i)); l != nil {
						h.links = append(h.links, l)
					}
				}
			}),
			yamlcheck.Func("repositories", func(e yamlcheck.Entry, f string) { h.repos = w.repos(e.Val, f) }),
			yamlcheck.Func("replication", func(e yamlcheck.Entry, f string) { h.replications = w.replications(e, f) }),
			yamlcheck.Func("service_names", func(e yamlcheck.Entry, f string) {
				names, _, _ := w.StrList(e.Val, f)
				h.serviceNames = names
				if len(names) == 0 {
					w.C.Add(e.Line(), f, "remove the key to use the default RapidRecoveryCore", "is empty")
				}
			}))
	} else {
		keys = append(keys, yamlcheck.Func("described", func(e yamlcheck.Entry, f string) { h.described = w.described(e, f) }))
		if role != RoleDomainController {
			keys = append(keys, yamlcheck.Int("smb_port", &h.smbPort, 1, 65535))
		}
	}
	m, ok := w.Fields(e.Val, field, keys...)
	if !ok {
		return nil
	}
	h.badKeys = m.Unknown > 0
	if h.smbPort.Set && role != RoleRepositoryHost {
		w.C.Add(h.smbPort.Line, h.smbPort.Field, "smb_port is where ntlmscan probes a repository host's SMB service; remove it here", "smb_port is only for repository_hosts")
		h.smbPort.Set = false
	}
	if h.address.Set {
		if r, hint := checkHostName(h.address.Value); r != "" {
			w.C.Add(h.address.Line, h.address.Field, hint, "address %q %s", clip(h.address.Value), r)
			h.address.Set = false
		}
	}
	if h.fqdn.Set {
		r := checkDNSName(h.fqdn.Value)
		if r == "" && !strings.Contains(h.fqdn.Value, ".") {
			r = "has no domain part"
		}
		if IsIPAddress(h.fqdn.Value) {
			r = "is an IP address"
		}
		if r != "" {
			w.C.Add(h.fqdn.Line, h.fqdn.Field, "give the full DNS name, e.g. agent01.corp.example, or leave fqdn out for a workgroup machine", "fqdn %q %s", clip(h.fqdn.Value), r)
			h.fqdn.Set = false
		} else {
			h.fqdn.Value = strings.ToLower(h.fqdn.Value)
		}
	}
	if h.netbios.Set {
		if r := checkNetBIOS(h.netbios.Value); r != "" {
			w.C.Add(h.netbios.Line, h.netbios.Field, "give the computer name as shown by hostname.exe (at most 15 characters)", "NetBIOS name %q %s", clip(h.netbios.Value), r)
			h.netbios.Set = false
		} else {
			h.netbios.Value = strings.ToUpper(h.netbios.Value)
		}
	}
	if role != RoleDomainController {
		w.checkMembership(&h.domain, &h.workgroup)
	}
	h.tags = w.checkTags(h.tags)
	return h
}

func (w *walker) described(e yamlcheck.Entry, field string) *describedSpec {
	d := &describedSpec{line: e.Line(), field: field}
	var platform opt[string]
	m, ok := w.Fields(e.Val, field,
		yamlcheck.Str("platform", &platform),
		yamlcheck.Int("lm_compatibility_level", &d.lm, 0, 5),
		yamlcheck.Bool("ntlmv1_only", &d.v1only),
		yamlcheck.Bool("require_signing", &d.signing),
		yamlcheck.Text("description", nil),
	)
	if !ok {
		return d
	}
	if p := platform; p.Set {
		v := strings.ToLower(p.Value)
		if !containsFold(platforms, v) {
			w.C.Add(p.Line, p.Field, keyHintValues(v, platforms), "unknown platform %q", clip(p.Value))
		} else {
			p.Value = v
			d.platform = p
		}
	} else if !p.Given() && m.Unknown == 0 {
		w.C.Add(e.Line(), field, "add platform: nas, samba, windows or other", "a described host needs a platform")
	}
	return d
}

// account decodes either "CORP\svc-rr" or {name: CORP\svc-rr, protected_users: true}.
func (w *walker) account(e yamlcheck.Entry, field string) opt[accountSpec] {
	r := w.Resolve(e.Val, field)
	if r == nil {
		return opt[accountSpec]{}
	}
	o := opt[accountSpec]{Line: e.Line(), Field: field}
	if r.Kind == yaml.MappingNode {
		var name opt[string]
		var protected opt[bool]
		m, ok := w.Fields(r, field,
			yamlcheck.Str("name", &name),
			yamlcheck.Bool("protected_users", &protected),
		)
		if !ok {
			return o
		}
		if !name.Set {
			if !name.Given() && m.Unknown == 0 {
				w.C.Add(e.Line(), field, `add name: DOMAIN\user, HOST\user or LocalSystem`, "account needs a name")
			}
			return o
		}
		o.Value = accountSpec{raw: name.Value, protected: protected.Value}
		o.Set = true
		return o
	}
	s, ok := w.Str(r, field)
	if !ok {
		return o
	}
	o.Value = accountSpec{raw: s}
	o.Set = true
	return o
}

func (w *walker) link(n *yaml.Node, field string) *linkSpec {
	r := w.Resolve(n, field)
	if r == nil {
		return nil
	}
	if r.Kind == yaml.ScalarNode && !yamlcheck.IsNull(r) {
		w.C.Add(r.Line, field, "write '- {agent: "+clip(r.Value)+", name: <the name the Core uses: FQDN, NetBIOS name or IP>}'", "an agent entry needs agent: and name:")
		return nil
	}
	l := &linkSpec{line: r.Line, field: field}
	m, ok := w.Fields(r, field,
		yamlcheck.Str("agent", &l.agent),
		yamlcheck.Str("name", &l.name),
		yamlcheck.Int("port", &l.port, 1, 65535),
		yamlcheck.Func("account", func(e yamlcheck.Entry, f string) { l.account = w.account(e, f) }),
		w.operationsKey(&l.ops),
		yamlcheck.Text("description", nil),
	)
	if !ok {
		return nil
	}
	if !l.agent.Given() && m.Unknown == 0 {
		w.C.Add(l.line, field, "add agent: NAME (an entry under agents:)", "agent entry has no agent:")
	}
	if !l.name.Given() && m.Unknown == 0 {
		w.C.Add(l.line, field, "add name: with exactly what the Core uses for this agent (its FQDN, NetBIOS name or IP address, as shown in the Core console)", "agent entry has no name:")
	}
	if l.name.Set {
		if r, hint := checkHostName(l.name.Value); r != "" {
			w.C.Add(l.name.Line, l.name.Field, hint, "name %q %s", clip(l.name.Value), r)
			l.name.Set = false
		}
	}
	return l
}

func (w *walker) repos(n *yaml.Node, field string) []*repoSpec {
	es, _ := w.Entries(n, field)
	var out []*repoSpec
	for _, e := range es {
		f := join(field, e.Name)
		if yamlcheck.HasControl(e.Name) || strings.TrimSpace(e.Name) == "" || len(e.Name) > 128 {
			w.C.Add(e.Line(), f, "use the repository's name as shown in the Core console", "invalid repository name %q", clip(e.Name))
			continue
		}
		rs := &repoSpec{name: e.Name, line: e.Line(), field: f}
		var kind opt[string]
		m, ok := w.Fields(e.Val, f,
			yamlcheck.Str("unc", &rs.unc),
			yamlcheck.Str("host", &rs.host),
			yamlcheck.Func("account", func(e yamlcheck.Entry, f string) { rs.account = w.account(e, f) }),
			yamlcheck.Str("kind", &kind),
			w.operationsKey(&rs.ops),
			yamlcheck.Text("description", nil),
		)
		if !ok {
			continue
		}
		badKeys := m.Unknown > 0
		if !rs.unc.Given() && !badKeys {
			w.C.Add(e.Line(), f, `add unc: \\server\share`, "repository has no unc:")
		}
		if !m.Has("account") && !badKeys {
			w.C.Add(e.Line(), f, `add account: with the credential the Core uses for the share (DOMAIN\user, HOST\user for a local account on the share host, or LocalSystem)`, "repository has no account:")
		}
		if k := kind; k.Set {
			v := strings.ToLower(k.Value)
			if !containsFold(repoKinds, v) {
				w.C.Add(k.Line, k.Field, keyHintValues(v, repoKinds), "unknown kind %q", clip(k.Value))
			} else {
				k.Value = v
				rs.kind = k
			}
		}
		out = append(out, rs)
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if equalFold(v, s) {
			return true
		}
	}
	return false
}

func keyHintValues(got string, valid []string) string { return yamlcheck.ValueHint(got, valid) }
