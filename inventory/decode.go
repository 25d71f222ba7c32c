package inventory

import (
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// This file turns the YAML tree into specs: what the file says, with the
// line of every value, checked for syntax only. resolve.go then applies
// defaults and checks references across the whole file.

// opt is one optional value from the file.
type opt[T any] struct {
	v     T
	set   bool
	line  int
	field string
}

func (o opt[T]) or(def T) T {
	if o.set {
		return o.v
	}
	return def
}

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
}

type repoSpec struct {
	name    string
	line    int
	field   string
	unc     opt[string]
	host    opt[string]
	account opt[accountSpec]
	kind    opt[string]
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
	serviceNames []string
}

var topKeys = []string{"version", "description", "defaults", "credentials", "domains", "groups", "cores", "agents", "repository_hosts"}

func (w *walker) file(root *yaml.Node) *fileSpec {
	fs := &fileSpec{}
	m, ok := w.fields(root, "", topKeys...)
	if !ok {
		fs.broken = true
		return fs
	}
	if e, ok := m["version"]; ok {
		fs.version = w.version(e)
	}
	if e, ok := m["description"]; ok {
		w.text(e.val, "description")
	}
	if e, ok := m["defaults"]; ok {
		fs.defaults = w.defaults(e.val, "defaults")
	}
	if e, ok := m["credentials"]; ok {
		fs.credentials = w.credentials(e.val, "credentials")
	}
	if e, ok := m["domains"]; ok {
		fs.domains = w.domains(e.val, "domains")
	}
	if e, ok := m["groups"]; ok {
		fs.groups = w.groups(e.val, "groups")
	}
	if e, ok := m["cores"]; ok {
		fs.coresLine = e.line()
		fs.cores = w.hosts(e.val, "cores", RoleCore)
	}
	if e, ok := m["agents"]; ok {
		fs.agents = w.hosts(e.val, "agents", RoleAgent)
	}
	if e, ok := m["repository_hosts"]; ok {
		fs.repoHosts = w.hosts(e.val, "repository_hosts", RoleRepositoryHost)
	}
	return fs
}

// optStr decodes m[key] as text.
func (w *walker) optStr(m map[string]entry, field, key string) opt[string] {
	e, ok := m[key]
	if !ok {
		return opt[string]{}
	}
	f := join(field, key)
	s, ok := w.str(e.val, f)
	return opt[string]{v: s, set: ok, line: e.line(), field: f}
}

func (w *walker) optBool(m map[string]entry, field, key string) opt[bool] {
	e, ok := m[key]
	if !ok {
		return opt[bool]{}
	}
	f := join(field, key)
	b, ok := w.boolean(e.val, f)
	return opt[bool]{v: b, set: ok, line: e.line(), field: f}
}

func (w *walker) optInt(m map[string]entry, field, key string, lo, hi int64) opt[int] {
	e, ok := m[key]
	if !ok {
		return opt[int]{}
	}
	f := join(field, key)
	v, ok := w.integer(e.val, f, lo, hi)
	return opt[int]{v: int(v), set: ok, line: e.line(), field: f}
}

func (w *walker) optList(m map[string]entry, field, key string) []opt[string] {
	e, ok := m[key]
	if !ok {
		return nil
	}
	f := join(field, key)
	vals, lines, _ := w.strList(e.val, f)
	out := make([]opt[string], len(vals))
	for i := range vals {
		out[i] = opt[string]{v: vals[i], set: true, line: lines[i], field: f}
	}
	return out
}

// domainOrWorkgroup reads the domain:/workgroup: pair shared by hosts, groups
// and defaults, and checks the values' syntax.
func (w *walker) domainOrWorkgroup(m map[string]entry, field string) (domain, workgroup opt[string]) {
	domain = w.optStr(m, field, "domain")
	workgroup = w.optStr(m, field, "workgroup")
	if domain.set && workgroup.set {
		w.ps.Add(workgroup.line, workgroup.field, "a machine is either joined to a domain or in a workgroup; keep one", "domain and workgroup are both set")
	}
	if workgroup.set {
		if r := checkNetBIOS(workgroup.v); r != "" {
			w.ps.Add(workgroup.line, workgroup.field, "give the workgroup name, e.g. WORKGROUP", "workgroup %q %s", clip(workgroup.v), r)
			workgroup.set = false
		} else {
			workgroup.v = strings.ToUpper(workgroup.v)
		}
	}
	return domain, workgroup
}

var defaultsKeys = []string{"domain", "workgroup", "agent_port", "winrm"}

func (w *walker) defaults(n *yaml.Node, field string) defaultsSpec {
	var d defaultsSpec
	m, ok := w.fields(n, field, defaultsKeys...)
	if !ok {
		return d
	}
	d.domain, d.workgroup = w.domainOrWorkgroup(m, field)
	d.agentPort = w.optInt(m, field, "agent_port", 1, 65535)
	if e, ok := m["winrm"]; ok {
		d.winrm = w.winrm(e, join(field, "winrm"))
	}
	return d
}

var winrmKeys = []string{"transport", "auth", "spn", "port", "https", "ca_file", "insecure_skip_verify", "tls_server_name", "timeout", "credential"}

var authModes = []string{string(AuthNTLM), string(AuthKerberos), string(AuthAuto)}

var transports = []string{string(TransportNTLM), string(TransportBasic), string(TransportKerberos)}

func (w *walker) winrm(e entry, field string) winrmSpec {
	ws := winrmSpec{line: e.line()}
	m, ok := w.fields(e.val, field, winrmKeys...)
	if !ok {
		return ws
	}
	if t := w.optStr(m, field, "transport"); t.set {
		v := strings.ToLower(t.v)
		switch Transport(v) {
		case TransportNTLM, TransportBasic:
			ws.transport = opt[Transport]{v: Transport(v), set: true, line: t.line, field: t.field}
		case TransportKerberos, "kerberos-reserved", "negotiate-kerberos":
			w.ps.Add(t.line, t.field, "write auth: kerberos (or auth: auto) and leave transport at ntlm", "Kerberos is chosen with auth:, not transport:")
		default:
			hint := "valid transports: ntlm, basic"
			if s := suggest(v, transports); s != "" && s != string(TransportKerberos) {
				hint = "did you mean " + quote(s) + "?"
			}
			w.ps.Add(t.line, t.field, hint, "unknown transport %q", clip(t.v))
		}
	}
	if a := w.optStr(m, field, "auth"); a.set {
		v := strings.ToLower(a.v)
		switch AuthMode(v) {
		case AuthNTLM, AuthKerberos, AuthAuto:
			ws.auth = opt[AuthMode]{v: AuthMode(v), set: true, line: a.line, field: a.field}
		default:
			hint := "valid values: ntlm, kerberos, auto"
			if s := suggest(v, authModes); s != "" {
				hint = "did you mean " + quote(s) + "?"
			}
			w.ps.Add(a.line, a.field, hint, "unknown auth %q", clip(a.v))
		}
	}
	ws.spn = w.optStr(m, field, "spn")
	if ws.spn.set {
		svc, host, ok := strings.Cut(ws.spn.v, "/")
		// An SPN may name the port (HTTP/host:5986, registered for clients
		// that use IncludePortInSPN).
		host, port, withPort := strings.Cut(host, ":")
		if n, err := strconv.Atoi(port); withPort && (err != nil || n < 1 || n > 65535 || port != strconv.Itoa(n)) {
			ok = false
		}
		if !ok || svc == "" || checkDNSName(host) != "" {
			w.ps.Add(ws.spn.line, ws.spn.field, "write it as HTTP/host.dns.name or HTTP/host.dns.name:port (what setspn -L lists for the host)", "invalid SPN %q", clip(ws.spn.v))
			ws.spn.set = false
		}
	}
	ws.port = w.optInt(m, field, "port", 1, 65535)
	ws.https = w.optBool(m, field, "https")
	ws.insecure = w.optBool(m, field, "insecure_skip_verify")
	ws.caFile = w.optStr(m, field, "ca_file")
	ws.tlsServerName = w.optStr(m, field, "tls_server_name")
	if ws.tlsServerName.set {
		if r := checkDNSName(ws.tlsServerName.v); r != "" {
			w.ps.Add(ws.tlsServerName.line, ws.tlsServerName.field, "give the DNS name in the server certificate", "%q %s", clip(ws.tlsServerName.v), r)
			ws.tlsServerName.set = false
		}
	}
	if t := w.optStr(m, field, "timeout"); t.set {
		d, err := time.ParseDuration(t.v)
		switch {
		case err != nil:
			w.ps.Add(t.line, t.field, "write a duration such as 60s, 2m or 1m30s", "invalid duration %q", clip(t.v))
		case d <= 0 || d > time.Hour:
			w.ps.Add(t.line, t.field, "use a duration between 1s and 1h", "timeout %s is out of range", d)
		default:
			ws.timeout = opt[time.Duration]{v: d, set: true, line: t.line, field: t.field}
		}
	}
	ws.credential = w.optStr(m, field, "credential")
	// Options that exclude each other within one block; combinations across
	// defaults, groups and hosts are checked on the effective settings.
	if ws.caFile.set && ws.insecure.set && ws.insecure.v {
		w.ps.Add(ws.insecure.line, ws.insecure.field, "keep ca_file and remove insecure_skip_verify", "insecure_skip_verify and ca_file exclude each other")
	}
	return ws
}

var credentialKeys = []string{"username", "password_env", "password_file", "kerberos_cache", "keytab", "description"}

func (w *walker) credentials(n *yaml.Node, field string) []credSpec {
	es, _ := w.entries(n, field)
	var out []credSpec
	for _, e := range es {
		f := join(field, e.name)
		if !identRE.MatchString(e.name) {
			w.ps.Add(e.line(), f, "use letters, digits, '.', '_' and '-'", "invalid credential name %q", clip(e.name))
			continue
		}
		c := credSpec{name: e.name, line: e.line(), field: f}
		before := w.unknownKeys
		m, ok := w.fields(e.val, f, credentialKeys...)
		if !ok {
			continue
		}
		c.badKeys = w.unknownKeys > before
		c.username = w.optStr(m, f, "username")
		c.passwordEnv = w.optStr(m, f, "password_env")
		c.passwordFile = w.optStr(m, f, "password_file")
		c.kerberosCch = w.optStr(m, f, "kerberos_cache")
		c.keytab = w.optStr(m, f, "keytab")
		if d, ok := m["description"]; ok {
			w.text(d.val, join(f, "description"))
		}
		out = append(out, c)
	}
	return out
}

var domainKeys = []string{"netbios", "forest", "trusts", "controllers", "description"}

func (w *walker) domains(n *yaml.Node, field string) []*domainSpec {
	es, _ := w.entries(n, field)
	var out []*domainSpec
	for _, e := range es {
		f := join(field, e.name)
		if r := checkDNSName(e.name); r != "" {
			w.ps.Add(e.line(), f, "key each domain by its DNS name, e.g. corp.example, and give the NetBIOS name as netbios: CORP", "domain name %q %s", clip(e.name), r)
			continue
		}
		d := &domainSpec{name: strings.ToLower(e.name), line: e.line(), field: f}
		m, ok := w.fields(e.val, f, domainKeys...)
		if !ok {
			continue
		}
		d.netbios = w.optStr(m, f, "netbios")
		if d.netbios.set {
			if r := checkNetBIOS(d.netbios.v); r != "" {
				w.ps.Add(d.netbios.line, d.netbios.field, "give the pre-Windows 2000 domain name, e.g. CORP", "NetBIOS domain name %q %s", clip(d.netbios.v), r)
				d.netbios.set = false
			} else {
				d.netbios.v = strings.ToUpper(d.netbios.v)
			}
		}
		d.forest = w.optStr(m, f, "forest")
		if d.forest.set {
			if r := checkDNSName(d.forest.v); r != "" {
				w.ps.Add(d.forest.line, d.forest.field, "give the forest root domain's DNS name", "forest %q %s", clip(d.forest.v), r)
				d.forest.set = false
			} else {
				d.forest.v = strings.ToLower(d.forest.v)
			}
		}
		d.trusts = w.optList(m, f, "trusts")
		if c, ok := m["controllers"]; ok {
			d.controllers = w.hosts(c.val, join(f, "controllers"), RoleDomainController)
		}
		if x, ok := m["description"]; ok {
			w.text(x.val, join(f, "description"))
		}
		out = append(out, d)
	}
	return out
}

var groupKeys = []string{"description", "domain", "workgroup", "tags", "winrm"}

func (w *walker) groups(n *yaml.Node, field string) []*groupSpec {
	es, _ := w.entries(n, field)
	var out []*groupSpec
	for _, e := range es {
		f := join(field, e.name)
		if !identRE.MatchString(e.name) {
			w.ps.Add(e.line(), f, "use letters, digits, '.', '_' and '-'", "invalid group name %q", clip(e.name))
			continue
		}
		g := &groupSpec{name: e.name, line: e.line(), field: f}
		m, ok := w.fields(e.val, f, groupKeys...)
		if !ok {
			continue
		}
		g.domain, g.workgroup = w.domainOrWorkgroup(m, f)
		g.tags = w.tagList(m, f)
		if x, ok := m["winrm"]; ok {
			g.winrm = w.winrm(x, join(f, "winrm"))
		}
		if x, ok := m["description"]; ok {
			w.text(x.val, join(f, "description"))
		}
		out = append(out, g)
	}
	return out
}

func (w *walker) tagList(m map[string]entry, field string) []opt[string] {
	tags := w.optList(m, field, "tags")
	out := tags[:0]
	for _, t := range tags {
		if !identRE.MatchString(t.v) {
			w.ps.Add(t.line, t.field, "use letters, digits, '.', '_' and '-'", "invalid tag %q", clip(t.v))
			continue
		}
		out = append(out, t)
	}
	return out
}

var (
	hostKeys      = []string{"description", "address", "fqdn", "netbios", "domain", "workgroup", "tags", "groups", "winrm", "described", "smb_port"}
	coreKeys      = []string{"description", "address", "fqdn", "netbios", "domain", "workgroup", "tags", "groups", "winrm", "account", "agents", "repositories", "service_names"}
	dcKeys        = []string{"description", "address", "fqdn", "netbios", "tags", "groups", "winrm", "described"}
	describedKeys = []string{"platform", "lm_compatibility_level", "ntlmv1_only", "require_signing", "description"}
	linkKeys      = []string{"agent", "name", "port", "account", "description"}
	repoKeys      = []string{"unc", "host", "account", "kind", "description"}
	accountKeys   = []string{"name", "protected_users"}
	platforms     = []string{"nas", "samba", "windows", "other"}
	repoKinds     = []string{"repository", "archive", "export"}
)

func (w *walker) hosts(n *yaml.Node, field string, role Role) []*hostSpec {
	es, _ := w.entries(n, field)
	var out []*hostSpec
	for _, e := range es {
		f := join(field, e.name)
		if !identRE.MatchString(e.name) {
			w.ps.Add(e.line(), f, "use the computer name (letters, digits, '-', '_', '.'), e.g. AGENT01 or agent01.corp.example", "invalid host name %q", clip(e.name))
			continue
		}
		if h := w.host(e, f, role); h != nil {
			out = append(out, h)
		}
	}
	return out
}

func (w *walker) host(e entry, field string, role Role) *hostSpec {
	keys := hostKeys
	switch role {
	case RoleCore:
		keys = coreKeys
	case RoleDomainController:
		keys = dcKeys
	}
	h := &hostSpec{name: e.name, line: e.line(), field: field, role: role}
	before := w.unknownKeys
	m, ok := w.fields(e.val, field, keys...)
	if !ok {
		return nil
	}
	h.badKeys = w.unknownKeys > before
	h.address = w.optStr(m, field, "address")
	if h.address.set {
		if r, hint := checkHostName(h.address.v); r != "" {
			w.ps.Add(h.address.line, h.address.field, hint, "address %q %s", clip(h.address.v), r)
			h.address.set = false
		}
	}
	h.fqdn = w.optStr(m, field, "fqdn")
	if h.fqdn.set {
		r := checkDNSName(h.fqdn.v)
		if r == "" && !strings.Contains(h.fqdn.v, ".") {
			r = "has no domain part"
		}
		if IsIPAddress(h.fqdn.v) {
			r = "is an IP address"
		}
		if r != "" {
			w.ps.Add(h.fqdn.line, h.fqdn.field, "give the full DNS name, e.g. agent01.corp.example, or leave fqdn out for a workgroup machine", "fqdn %q %s", clip(h.fqdn.v), r)
			h.fqdn.set = false
		} else {
			h.fqdn.v = strings.ToLower(h.fqdn.v)
		}
	}
	h.netbios = w.optStr(m, field, "netbios")
	if h.netbios.set {
		if r := checkNetBIOS(h.netbios.v); r != "" {
			w.ps.Add(h.netbios.line, h.netbios.field, "give the computer name as shown by hostname.exe (at most 15 characters)", "NetBIOS name %q %s", clip(h.netbios.v), r)
			h.netbios.set = false
		} else {
			h.netbios.v = strings.ToUpper(h.netbios.v)
		}
	}
	if role != RoleDomainController {
		h.domain, h.workgroup = w.domainOrWorkgroup(m, field)
	}
	h.tags = w.tagList(m, field)
	h.groups = w.optList(m, field, "groups")
	if x, ok := m["winrm"]; ok {
		h.winrm = w.winrm(x, join(field, "winrm"))
	}
	if x, ok := m["described"]; ok {
		h.described = w.described(x, join(field, "described"))
	}
	h.smbPort = w.optInt(m, field, "smb_port", 1, 65535)
	if h.smbPort.set && role != RoleRepositoryHost {
		w.ps.Add(h.smbPort.line, h.smbPort.field, "smb_port is where ntlmscan probes a repository host's SMB service; remove it here", "smb_port is only for repository_hosts")
		h.smbPort.set = false
	}
	if x, ok := m["description"]; ok {
		w.text(x.val, join(field, "description"))
	}
	if role != RoleCore {
		return h
	}
	if x, ok := m["account"]; ok {
		h.account = w.account(x, join(field, "account"))
	}
	if x, ok := m["agents"]; ok {
		items, _ := w.sequence(x.val, join(field, "agents"))
		for i, item := range items {
			if l := w.link(item, index(join(field, "agents"), i)); l != nil {
				h.links = append(h.links, l)
			}
		}
	}
	if x, ok := m["repositories"]; ok {
		h.repos = w.repos(x.val, join(field, "repositories"))
	}
	if x, ok := m["service_names"]; ok {
		names, _, _ := w.strList(x.val, join(field, "service_names"))
		h.serviceNames = names
		if len(names) == 0 {
			w.ps.Add(x.line(), join(field, "service_names"), "remove the key to use the default RapidRecoveryCore", "is empty")
		}
	}
	return h
}

func (w *walker) described(e entry, field string) *describedSpec {
	d := &describedSpec{line: e.line(), field: field}
	before := w.unknownKeys
	m, ok := w.fields(e.val, field, describedKeys...)
	if !ok {
		return d
	}
	badKeys := w.unknownKeys > before
	if p := w.optStr(m, field, "platform"); p.set {
		v := strings.ToLower(p.v)
		if !containsFold(platforms, v) {
			w.ps.Add(p.line, p.field, keyHintValues(v, platforms), "unknown platform %q", clip(p.v))
		} else {
			p.v = v
			d.platform = p
		}
	} else if _, given := m["platform"]; !given && !badKeys {
		w.ps.Add(e.line(), field, "add platform: nas, samba, windows or other", "a described host needs a platform")
	}
	d.lm = w.optInt(m, field, "lm_compatibility_level", 0, 5)
	d.v1only = w.optBool(m, field, "ntlmv1_only")
	d.signing = w.optBool(m, field, "require_signing")
	if x, ok := m["description"]; ok {
		w.text(x.val, join(field, "description"))
	}
	return d
}

// account decodes either "CORP\svc-rr" or {name: CORP\svc-rr, protected_users: true}.
func (w *walker) account(e entry, field string) opt[accountSpec] {
	r := w.resolve(e.val)
	if r == nil {
		return opt[accountSpec]{}
	}
	o := opt[accountSpec]{line: e.line(), field: field}
	if r.Kind == yaml.MappingNode {
		before := w.unknownKeys
		m, ok := w.fields(r, field, accountKeys...)
		if !ok {
			return o
		}
		n := w.optStr(m, field, "name")
		if !n.set {
			if _, given := m["name"]; !given && w.unknownKeys == before {
				w.ps.Add(e.line(), field, `add name: DOMAIN\user, HOST\user or LocalSystem`, "account needs a name")
			}
			return o
		}
		p := w.optBool(m, field, "protected_users")
		o.v = accountSpec{raw: n.v, protected: p.v}
		o.set = true
		return o
	}
	s, ok := w.str(r, field)
	if !ok {
		return o
	}
	o.v = accountSpec{raw: s}
	o.set = true
	return o
}

func (w *walker) link(n *yaml.Node, field string) *linkSpec {
	r := w.resolve(n)
	if r == nil {
		return nil
	}
	if r.Kind == yaml.ScalarNode && !isNull(r) {
		w.ps.Add(r.Line, field, "write '- {agent: "+clip(r.Value)+", name: <the name the Core uses: FQDN, NetBIOS name or IP>}'", "an agent entry needs agent: and name:")
		return nil
	}
	l := &linkSpec{line: r.Line, field: field}
	before := w.unknownKeys
	m, ok := w.fields(r, field, linkKeys...)
	if !ok {
		return nil
	}
	badKeys := w.unknownKeys > before
	l.agent = w.optStr(m, field, "agent")
	l.name = w.optStr(m, field, "name")
	l.port = w.optInt(m, field, "port", 1, 65535)
	if x, ok := m["account"]; ok {
		l.account = w.account(x, join(field, "account"))
	}
	if x, ok := m["description"]; ok {
		w.text(x.val, join(field, "description"))
	}
	if _, given := m["agent"]; !given && !badKeys {
		w.ps.Add(l.line, field, "add agent: NAME (an entry under agents:)", "agent entry has no agent:")
	}
	if _, given := m["name"]; !given && !badKeys {
		w.ps.Add(l.line, field, "add name: with exactly what the Core uses for this agent (its FQDN, NetBIOS name or IP address, as shown in the Core console)", "agent entry has no name:")
	}
	if l.name.set {
		if r, hint := checkHostName(l.name.v); r != "" {
			w.ps.Add(l.name.line, l.name.field, hint, "name %q %s", clip(l.name.v), r)
			l.name.set = false
		}
	}
	return l
}

func (w *walker) repos(n *yaml.Node, field string) []*repoSpec {
	es, _ := w.entries(n, field)
	var out []*repoSpec
	for _, e := range es {
		f := join(field, e.name)
		if hasControl(e.name) || strings.TrimSpace(e.name) == "" || len(e.name) > 128 {
			w.ps.Add(e.line(), f, "use the repository's name as shown in the Core console", "invalid repository name %q", clip(e.name))
			continue
		}
		rs := &repoSpec{name: e.name, line: e.line(), field: f}
		before := w.unknownKeys
		m, ok := w.fields(e.val, f, repoKeys...)
		if !ok {
			continue
		}
		badKeys := w.unknownKeys > before
		rs.unc = w.optStr(m, f, "unc")
		if _, given := m["unc"]; !given && !badKeys {
			w.ps.Add(e.line(), f, `add unc: \\server\share`, "repository has no unc:")
		}
		rs.host = w.optStr(m, f, "host")
		if x, ok := m["account"]; ok {
			rs.account = w.account(x, join(f, "account"))
		} else if !badKeys {
			w.ps.Add(e.line(), f, `add account: with the credential the Core uses for the share (DOMAIN\user, HOST\user for a local account on the share host, or LocalSystem)`, "repository has no account:")
		}
		if k := w.optStr(m, f, "kind"); k.set {
			v := strings.ToLower(k.v)
			if !containsFold(repoKinds, v) {
				w.ps.Add(k.line, k.field, keyHintValues(v, repoKinds), "unknown kind %q", clip(k.v))
			} else {
				k.v = v
				rs.kind = k
			}
		}
		if x, ok := m["description"]; ok {
			w.text(x.val, join(f, "description"))
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

func keyHintValues(got string, valid []string) string {
	if s := suggest(got, valid); s != "" {
		return "did you mean " + quote(s) + "?"
	}
	return "valid values: " + strings.Join(valid, ", ")
}

// version checks the file format version; only 1 exists.
func (w *walker) version(e entry) opt[int64] {
	r := w.scalar(e.val, "version", "a number")
	if r == nil {
		return opt[int64]{}
	}
	if r.ShortTag() != "!!int" || r.Value != "1" {
		w.ps.Add(e.line(), "version", "this ntlmscan reads version: 1 files; upgrade ntlmscan or remove the key", "unsupported version %s", quote(r.Value))
		return opt[int64]{}
	}
	return opt[int64]{v: 1, set: true, line: e.line(), field: "version"}
}
