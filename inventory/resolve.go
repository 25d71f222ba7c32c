package inventory

import (
	"cmp"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/ntlmscan/ntlmscan/inventory/yamlcheck"
)

var fileNameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*\.[A-Za-z0-9]{1,10}$`)

// Defaults applied when the file does not say otherwise.
const (
	DefaultAgentPort   = 8006 // commonly cited Rapid Recovery agent port (UNCONFIRMED: no Quest port table found)
	DefaultHTTPPort    = 5985
	DefaultHTTPSPort   = 5986
	DefaultSMBPort     = 445
	DefaultCoreService = "RapidRecoveryCore"
	DefaultRepoKind    = "repository"
)

// resolver applies defaults and checks every reference across the file.
type resolver struct {
	w       *walker
	ps      *yamlcheck.Collector
	fs      *fileSpec
	inv     *Inventory
	baseDir string

	credLines map[string]int // lower-case name -> line
	groups    map[string]*groupSpec
	declared  []*Domain // domains listed under domains:
	byName    map[string]*Host
	specOf    map[*Host]*hostSpec
}

func resolve(w *walker, fs *fileSpec, filename string) *Inventory {
	r := &resolver{
		w:         w,
		ps:        w.C,
		fs:        fs,
		inv:       &Inventory{File: filename, Credentials: map[string]*Credential{}},
		credLines: map[string]int{},
		groups:    map[string]*groupSpec{},
		byName:    map[string]*Host{},
		specOf:    map[*Host]*hostSpec{},
	}
	if filename != "" {
		r.baseDir = filepath.Dir(filename)
	}
	r.credentials()
	r.domains()
	r.groupsIndex()
	r.winrmRefs()
	r.hosts()
	r.uniqueIdentities()
	r.cores()
	r.trusts()
	return r.inv
}

// path makes a relative file path relative to the inventory's directory,
// the way an admin reads it next to the file.
func (r *resolver) path(p string) string {
	if p == "" || filepath.IsAbs(p) || r.baseDir == "" {
		return p
	}
	return filepath.Join(r.baseDir, p)
}

func (r *resolver) credentials() {
	for _, c := range r.fs.credentials {
		key := strings.ToLower(c.name)
		if prev, dup := r.credLines[key]; dup {
			r.ps.Add(c.line, c.field, "rename one of them", "duplicate credential %q (first defined on line %d)", c.name, prev)
			continue
		}
		r.credLines[key] = c.line
		cred := &Credential{Name: c.name, Line: c.line}
		switch {
		case c.username.Set:
			if reason := checkUsername(c.username.Value); reason != "" {
				r.ps.Add(c.username.Line, c.username.Field, `write DOMAIN\user, user@dns.domain, or HOST\user for a local account`, "username %s %s", quote(c.username.Value), reason)
			}
			cred.Username = c.username.Value
		case c.username.Line == 0 && !c.kerberosCch.Set && !c.badKeys:
			r.ps.Add(c.line, c.field, `add username: DOMAIN\user`, "credential has no username")
		}
		sources := 0
		if c.passwordEnv.Set {
			sources++
			if !envVarRE.MatchString(c.passwordEnv.Value) {
				r.ps.Add(c.passwordEnv.Line, c.passwordEnv.Field, "give the name of an environment variable (letters, digits, '_'), not its value", "invalid environment variable name")
			} else {
				cred.PasswordEnv = c.passwordEnv.Value
			}
		}
		if c.passwordFile.Set {
			sources++
			if !looksLikePath(c.passwordFile.Value) {
				// Never echoed: it may be the password itself.
				r.ps.Add(c.passwordFile.Line, c.passwordFile.Field,
					"write the path of a file whose first line is the password (e.g. /etc/ntlmscan/scan.password); if you wrote the password here, change it",
					"the value does not look like a file path (not shown, in case it is a password)")
			} else {
				cred.PasswordFile = r.path(c.passwordFile.Value)
			}
		}
		if c.kerberosCch.Set {
			sources++
			cred.KerberosCache = c.kerberosCch.Value
			if !strings.Contains(c.kerberosCch.Value, ":") && c.kerberosCch.Value != "KRB5CCNAME" {
				cred.KerberosCache = r.path(c.kerberosCch.Value)
			}
		}
		if c.keytab.Set {
			sources++
			cred.Keytab = r.path(c.keytab.Value)
		}
		switch {
		case sources == 0 && c.passwordEnv.Line == 0 && c.passwordFile.Line == 0 && c.kerberosCch.Line == 0 && c.keytab.Line == 0 && !c.badKeys:
			r.ps.Add(c.line, c.field, "add password_env: VARIABLE or password_file: /path/to/file (the file's first line is the password)", "credential has no password source")
		case sources > 1:
			r.ps.Add(c.line, c.field, "keep exactly one of password_env, password_file, kerberos_cache and keytab", "credential has more than one password source")
		}
		r.inv.Credentials[c.name] = cred
	}
}

// credential finds a credential by name (case-insensitive).
func (r *resolver) credential(name string) *Credential {
	for n, c := range r.inv.Credentials {
		if equalFold(n, name) {
			return c
		}
	}
	return nil
}

func (r *resolver) credentialNames() []string {
	names := make([]string, 0, len(r.inv.Credentials))
	for n := range r.inv.Credentials {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func (r *resolver) domains() {
	seen := map[string]int{}
	netbios := map[string]int{}
	for _, ds := range r.fs.domains {
		if prev, dup := seen[ds.name]; dup {
			r.ps.Add(ds.line, ds.field, "merge the two entries", "duplicate domain %q (first defined on line %d)", ds.name, prev)
			continue
		}
		seen[ds.name] = ds.line
		d := &Domain{Name: ds.name, Forest: ds.forest.Value, Line: ds.line}
		if ds.netbios.Set {
			if prev, dup := netbios[ds.netbios.Value]; dup {
				r.ps.Add(ds.netbios.Line, ds.netbios.Field, "every domain has its own NetBIOS name", "NetBIOS domain name %s is already used on line %d", ds.netbios.Value, prev)
			} else {
				netbios[ds.netbios.Value] = ds.netbios.Line
				d.NetBIOS = ds.netbios.Value
			}
		}
		for _, t := range ds.trusts {
			d.Trusts = append(d.Trusts, strings.ToLower(t.Value))
		}
		r.declared = append(r.declared, d)
		r.inv.Domains = append(r.inv.Domains, d)
	}
}

func (r *resolver) declaredDomain(name string) *Domain {
	for _, d := range r.declared {
		if equalFold(d.Name, name) || (d.NetBIOS != "" && equalFold(d.NetBIOS, name)) {
			return d
		}
	}
	return nil
}

func (r *resolver) groupsIndex() {
	for _, g := range r.fs.groups {
		key := strings.ToLower(g.name)
		if prev, dup := r.groups[key]; dup {
			r.ps.Add(g.line, g.field, "rename one of them", "duplicate group %q (first defined on line %d)", g.name, prev.line)
			continue
		}
		r.groups[key] = g
	}
}

// winrmRefs checks every credential reference once, where it is written.
func (r *resolver) winrmRefs() {
	check := func(ws winrmSpec) {
		if ws.credential.Set && r.credential(ws.credential.Value) == nil {
			r.ps.Add(ws.credential.Line, ws.credential.Field, r.refHint(ws.credential.Value, r.credentialNames(), "credentials"), "unknown credential %q", clip(ws.credential.Value))
		}
	}
	check(r.fs.defaults.winrm)
	for _, g := range r.fs.groups {
		check(g.winrm)
	}
	for _, h := range r.allHostSpecs() {
		check(h.winrm)
	}
}

func (r *resolver) refHint(got string, known []string, section string) string {
	if s := suggest(got, known); s != "" {
		return "did you mean " + quote(s) + "?"
	}
	if len(known) == 0 {
		return "define it under " + section + ":"
	}
	if len(known) > 8 {
		known = append(known[:8:8], "...")
	}
	return "define it under " + section + ": or use one of: " + strings.Join(known, ", ")
}

// allHostSpecs returns every host entry in file order.
func (r *resolver) allHostSpecs() []*hostSpec {
	var all []*hostSpec
	all = append(all, r.fs.cores...)
	all = append(all, r.fs.agents...)
	all = append(all, r.fs.repoHosts...)
	for _, d := range r.fs.domains {
		all = append(all, d.controllers...)
	}
	slices.SortStableFunc(all, func(a, b *hostSpec) int { return cmp.Compare(a.line, b.line) })
	return all
}

func (r *resolver) hosts() {
	dcDomain := map[*hostSpec]*Domain{}
	for _, ds := range r.fs.domains {
		d := r.declaredDomain(ds.name)
		for _, c := range ds.controllers {
			dcDomain[c] = d
		}
	}
	for _, hs := range r.allHostSpecs() {
		key := strings.ToLower(hs.name)
		if prev, dup := r.byName[key]; dup {
			r.ps.Add(hs.line, hs.field, "every host appears once; a machine has one role in the inventory", "host %q is already defined on line %d (as %s)", hs.name, prev.Line, prev.Role)
			continue
		}
		h := r.host(hs, dcDomain[hs])
		r.byName[key] = h
		r.specOf[h] = hs
		r.inv.Hosts = append(r.inv.Hosts, h)
		if d := dcDomain[hs]; d != nil && h.Role == RoleDomainController {
			d.Controllers = append(d.Controllers, h)
		}
	}
}

func (r *resolver) host(hs *hostSpec, dcDomain *Domain) *Host {
	h := &Host{Name: hs.name, Role: hs.role, Line: hs.line, Scan: hs.described == nil}
	if hs.role == RoleRepositoryHost {
		h.SMBPort = hs.smbPort.Or(DefaultSMBPort)
	}
	// Groups: membership also tags the host with the group's name.
	var groups []*groupSpec
	var tags []string
	addTag := func(t string) {
		if !containsFold(tags, t) {
			tags = append(tags, t)
		}
	}
	for _, t := range hs.tags {
		addTag(t.Value)
	}
	for _, g := range hs.groups {
		gs, ok := r.groups[strings.ToLower(g.Value)]
		if !ok {
			r.ps.Add(g.Line, g.Field, r.refHint(g.Value, r.groupNames(), "groups"), "unknown group %q", clip(g.Value))
			continue
		}
		groups = append(groups, gs)
		addTag(gs.name)
		for _, t := range gs.tags {
			addTag(t.Value)
		}
	}
	h.Tags = tags

	r.membership(h, hs, groups, dcDomain)

	// Names: FQDN from name + domain, NetBIOS from the FQDN's first label;
	// explicit values always win.
	switch {
	case hs.fqdn.Set:
		h.FQDN = hs.fqdn.Value
	case strings.Contains(hs.name, ".") && checkDNSName(hs.name) == "" && !IsIPAddress(hs.name):
		h.FQDN = strings.ToLower(hs.name)
	case h.Domain != "" && dnsLabelRE.MatchString(hs.name):
		h.FQDN = strings.ToLower(hs.name) + "." + h.Domain
	}
	switch {
	case hs.netbios.Set:
		h.NetBIOS = hs.netbios.Value
	case h.FQDN != "":
		if first, _, _ := strings.Cut(h.FQDN, "."); checkNetBIOS(first) == "" {
			h.NetBIOS = strings.ToUpper(first)
		}
	case checkNetBIOS(hs.name) == "":
		h.NetBIOS = strings.ToUpper(hs.name)
	}
	switch {
	case hs.address.Set:
		h.Address = hs.address.Value
	case hs.address.Line != 0:
		// malformed; already reported
	case h.FQDN != "":
		h.Address = h.FQDN
	case h.Scan && !hs.badKeys:
		r.ps.Add(hs.line, hs.field, "add address: with an IP address or DNS name ntlmscan can reach", "no address and no FQDN to reach %s at", hs.name)
	}

	if hs.described != nil {
		h.Described = r.described(hs)
		if hs.winrm.line != 0 {
			r.ps.Add(hs.winrm.line, join(hs.field, "winrm"), "remove winrm:, or remove described: to scan the host", "a described host is not scanned, so winrm settings do not apply")
		}
		return h
	}
	h.WinRM = r.effectiveWinRM(h, hs, groups)
	return h
}

func (r *resolver) groupNames() []string {
	names := make([]string, 0, len(r.fs.groups))
	for _, g := range r.fs.groups {
		names = append(names, g.name)
	}
	return names
}

// membership sets h.Domain / h.Workgroup: the host's own value, then its
// groups (later ones win), then defaults. Domain controllers belong to the
// domain they are listed under.
func (r *resolver) membership(h *Host, hs *hostSpec, groups []*groupSpec, dcDomain *Domain) {
	if hs.role == RoleDomainController {
		if dcDomain != nil {
			h.Domain = dcDomain.Name
		}
		return
	}
	domain, workgroup := hs.domain, hs.workgroup
	if !domain.Set && !workgroup.Set && domain.Line == 0 && workgroup.Line == 0 {
		if hs.badKeys {
			return
		}
		if hs.described != nil {
			r.ps.Add(hs.line, hs.field, "add domain: corp.example if the device is joined to the domain, or workgroup: WORKGROUP if not", "say whether the described host %s is joined to a domain", hs.name)
			return
		}
		for i := len(groups) - 1; i >= 0; i-- {
			if groups[i].domain.Set || groups[i].workgroup.Set {
				domain, workgroup = groups[i].domain, groups[i].workgroup
				break
			}
		}
		if !domain.Set && !workgroup.Set {
			domain, workgroup = r.fs.defaults.domain, r.fs.defaults.workgroup
		}
		if !domain.Set && !workgroup.Set {
			r.ps.Add(hs.line, hs.field, "add domain: corp.example (or defaults.domain for all hosts) or workgroup: NAME for a machine outside the domain", "say whether %s is joined to a domain", hs.name)
			return
		}
	}
	if workgroup.Set {
		h.Workgroup = workgroup.Value
		return
	}
	if domain.Set {
		h.Domain = r.domainName(domain)
	}
}

// domainName normalises a domain reference (DNS or NetBIOS name) to the DNS
// name, creating an implicit domain entry for unlisted DNS names when the
// file lists no domains at all.
func (r *resolver) domainName(o opt[string]) string {
	if d := r.declaredDomain(o.Value); d != nil {
		return d.Name
	}
	if len(r.declared) > 0 {
		r.ps.Add(o.Line, o.Field, fmt.Sprintf("list it under domains: (e.g. %s: {netbios: ...}) or fix the spelling", strings.ToLower(clip(o.Value))), "domain %q is not listed under domains:", clip(o.Value))
		return ""
	}
	if reason := checkDNSName(o.Value); reason != "" || !strings.Contains(o.Value, ".") {
		if reason == "" {
			reason = "is not a DNS domain name"
		}
		r.ps.Add(o.Line, o.Field, "give the domain's DNS name, e.g. corp.example, or list the domain with its netbios: under domains:", "domain %q %s", clip(o.Value), reason)
		return ""
	}
	name := strings.ToLower(o.Value)
	if r.inv.DomainByName(name) == nil {
		r.inv.Domains = append(r.inv.Domains, &Domain{Name: name, Implicit: true, Line: o.Line})
	}
	return name
}

func (r *resolver) described(hs *hostSpec) *Described {
	ds := hs.described
	d := &Described{Platform: ds.platform.Value, NTLMv1Only: ds.v1only.Value}
	if ds.lm.Set {
		v := ds.lm.Value
		d.LmCompatibilityLevel = &v
	}
	if ds.signing.Set {
		v := ds.signing.Value
		d.RequireSigning = &v
	}
	if ds.v1only.Set && ds.v1only.Value && ds.lm.Set && ds.lm.Value >= 3 {
		r.ps.Add(ds.v1only.Line, ds.v1only.Field, "a device limited to NTLMv1 cannot enforce level 3 or higher; fix one of the two", "ntlmv1_only contradicts lm_compatibility_level %d", ds.lm.Value)
	}
	return d
}

// effectiveWinRM layers defaults, groups (in order) and the host's own
// winrm: block, then checks combinations that only show up once layered.
func (r *resolver) effectiveWinRM(h *Host, hs *hostSpec, groups []*groupSpec) WinRM {
	layers := []winrmSpec{r.fs.defaults.winrm}
	for _, g := range groups {
		layers = append(layers, g.winrm)
	}
	layers = append(layers, hs.winrm)
	var eff winrmSpec
	for _, l := range layers {
		overlay(&eff.transport, l.transport)
		overlay(&eff.auth, l.auth)
		overlay(&eff.spn, l.spn)
		overlay(&eff.port, l.port)
		overlay(&eff.https, l.https)
		overlay(&eff.insecure, l.insecure)
		overlay(&eff.caFile, l.caFile)
		overlay(&eff.tlsServerName, l.tlsServerName)
		overlay(&eff.timeout, l.timeout)
		overlay(&eff.credential, l.credential)
	}
	w := WinRM{
		Transport:          eff.transport.Or(TransportNTLM),
		Auth:               eff.auth.Or(AuthNTLM),
		SPN:                eff.spn.Or(""),
		HTTPS:              eff.https.Or(false),
		InsecureSkipVerify: eff.insecure.Or(false),
		CAFile:             r.path(eff.caFile.Or("")),
		TLSServerName:      eff.tlsServerName.Or(""),
		Timeout:            eff.timeout.Or(0), // 0: the scan's --host-timeout applies
	}
	w.Port = eff.port.Or(DefaultHTTPPort)
	if !eff.port.Set && w.HTTPS {
		w.Port = DefaultHTTPSPort
	}
	if !w.HTTPS {
		for _, o := range []opt[bool]{{Set: eff.caFile.Set, Line: eff.caFile.Line, Field: eff.caFile.Field},
			{Set: eff.tlsServerName.Set, Line: eff.tlsServerName.Line, Field: eff.tlsServerName.Field},
			{Set: eff.insecure.Set && eff.insecure.Value, Line: eff.insecure.Line, Field: eff.insecure.Field}} {
			if o.Set {
				r.ps.Add(o.Line, o.Field, "set https: true, or remove it", "applies only to HTTPS, and https is not enabled")
			}
		}
	}
	if w.HTTPS && w.InsecureSkipVerify && w.CAFile != "" {
		r.ps.Add(eff.insecure.Line, eff.insecure.Field, "keep ca_file and remove insecure_skip_verify", "insecure_skip_verify and ca_file exclude each other")
	}
	if w.Transport == TransportBasic && eff.auth.Set && w.Auth != AuthNTLM {
		r.ps.Add(eff.auth.Line, eff.auth.Field, "remove auth:, or use transport: ntlm", "auth %s cannot be used with transport basic", w.Auth)
	}
	if w.Auth == AuthKerberos && h.FQDN == "" && w.SPN == "" {
		r.ps.Add(eff.auth.Line, eff.auth.Field, "give the host its fqdn: (Kerberos asks for a ticket to HTTP/<fqdn>), or an spn:", "auth kerberos needs the host's DNS name")
	}
	if w.Transport == TransportBasic && !w.HTTPS {
		r.ps.Add(eff.transport.Line, eff.transport.Field, "set https: true or use transport: ntlm", "transport basic would send the password in clear text over HTTP")
	}
	if eff.credential.Set {
		w.Credential = r.credential(eff.credential.Value)
	}
	switch c := w.Credential; {
	case c == nil && !eff.credential.Set && !hs.badKeys:
		r.ps.Add(hs.line, hs.field, "set defaults.winrm.credential, or winrm.credential on the host or one of its groups", "no WinRM credential for %s", h.Name)
	case c == nil:
		// unknown name, reported where it is written
	case (c.KerberosCache != "" || c.Keytab != "") && c.PasswordEnv == "" && c.PasswordFile == "" && (w.Auth == AuthNTLM || w.Transport == TransportBasic):
		r.ps.Add(eff.credential.Line, eff.credential.Field, "set auth: kerberos for this host, or give the credential password_env or password_file",
			"credential %q has only Kerberos keys (kerberos_cache or keytab), which %s logons cannot use", c.Name, orStr(string(w.Transport), w.Transport == TransportBasic, string(w.Auth)))
	case w.Auth == AuthKerberos && c.Username != "" && isLocalUsername(c.Username, h):
		r.ps.Add(eff.auth.Line, eff.auth.Field, "scan this host with a domain credential, or with auth: ntlm (auth: auto uses NTLM for a local account)",
			"auth kerberos cannot use the local account %s of credential %q: only domain accounts get Kerberos tickets", quote(c.Username), c.Name)
	case w.Transport == TransportBasic && !isLocalUsername(c.Username, h):
		r.ps.Add(eff.transport.Line, eff.transport.Field, "WinRM Basic authentication accepts local accounts only; use transport: ntlm for domain accounts", "transport basic cannot use the domain account %s of credential %q", quote(c.Username), c.Name)
	}
	return w
}

func overlay[T any](dst *opt[T], src opt[T]) {
	if src.Set {
		*dst = src
	}
}

func isLocalUsername(u string, h *Host) bool {
	if strings.Contains(u, "@") {
		return false
	}
	prefix, _, ok := strings.Cut(u, `\`)
	return !ok || prefix == "." || equalFold(prefix, h.NetBIOS) || equalFold(prefix, h.Name)
}

// uniqueIdentities rejects two hosts that claim the same FQDN, the same
// NetBIOS name in one domain, or the same WinRM endpoint.
func (r *resolver) uniqueIdentities() {
	fqdns := map[string]*Host{}
	netbios := map[string]*Host{}
	endpoints := map[string]*Host{}
	for _, h := range r.inv.Hosts {
		dupFQDN := false
		if h.FQDN != "" {
			if prev, dup := fqdns[h.FQDN]; dup {
				dupFQDN = true
				r.ps.Add(h.Line, join(r.specOf[h].field, "fqdn"), "each machine appears once; check for a copy-paste error", "%s has the same FQDN %s as %s (line %d)", h.Name, h.FQDN, prev.Name, prev.Line)
			} else {
				fqdns[h.FQDN] = h
			}
		}
		if h.NetBIOS != "" && !dupFQDN {
			key := strings.ToUpper(h.NetBIOS) + "|" + h.Domain + "|" + h.Workgroup
			if prev, dup := netbios[key]; dup {
				r.ps.Add(h.Line, join(r.specOf[h].field, "netbios"), "each machine appears once; set netbios: if the name is derived wrongly", "%s has the same NetBIOS name %s as %s (line %d)", h.Name, h.NetBIOS, prev.Name, prev.Line)
			} else {
				netbios[key] = h
			}
		}
		if h.Scan && h.Address != "" {
			key := fmt.Sprintf("%s|%d", strings.ToLower(h.Address), h.WinRM.Port)
			if prev, dup := endpoints[key]; dup {
				r.ps.Add(h.Line, join(r.specOf[h].field, "address"), "each machine appears once; check for a copy-paste error", "%s has the same WinRM address %s:%d as %s (line %d)", h.Name, h.Address, h.WinRM.Port, prev.Name, prev.Line)
			} else {
				endpoints[key] = h
			}
		}
	}
}

func (r *resolver) cores() {
	if len(r.fs.cores) == 0 && !r.fs.broken {
		r.ps.Add(r.fs.coresLine, "cores", "add at least one Rapid Recovery Core under cores:", "the inventory has no cores")
	}
	for _, cs := range r.fs.cores {
		h := r.byName[strings.ToLower(cs.name)]
		if h == nil || r.specOf[h] != cs {
			continue // duplicate name, already reported
		}
		core := &Core{Host: h, ServiceNames: cs.serviceNames}
		if len(core.ServiceNames) == 0 {
			core.ServiceNames = []string{DefaultCoreService}
		}
		if cs.account.Set {
			core.Account, _ = r.account(cs.account, h, core)
		} else if cs.account.Line == 0 && !cs.badKeys {
			r.ps.Add(cs.line, cs.field, `add account: with the identity the Rapid Recovery Core service runs as (DOMAIN\user, or LocalSystem)`, "core has no account")
		}
		r.links(core, cs)
		r.repositories(core, cs)
		r.replications(core, cs)
		r.inv.Cores = append(r.inv.Cores, core)
	}
	r.linkReplicationTargets()
}

func (r *resolver) agentNames() []string {
	var out []string
	for _, a := range r.fs.agents {
		out = append(out, a.name)
	}
	return out
}

func (r *resolver) links(core *Core, cs *hostSpec) {
	seen := map[*Host]int{}
	for _, ls := range cs.links {
		if !ls.agent.Set {
			continue
		}
		agent := r.byName[strings.ToLower(ls.agent.Value)]
		switch {
		case agent == nil:
			r.ps.Add(ls.agent.Line, ls.agent.Field, r.refHint(ls.agent.Value, r.agentNames(), "agents"), "unknown agent %q", clip(ls.agent.Value))
			continue
		case agent == core.Host:
			r.ps.Add(ls.agent.Line, ls.agent.Field, "remove the entry; a Core protected by another Core is listed under that Core", "%s cannot protect itself", core.Name)
			continue
		}
		// Any other host may also be an agent: a DC, a file server or
		// another Core protected by this one keeps its own entry and role.
		if prev, dup := seen[agent]; dup {
			r.ps.Add(ls.line, ls.field, "remove one of the entries", "%s already protects %s (line %d)", core.Name, agent.Name, prev)
			continue
		}
		seen[agent] = ls.line
		link := &AgentLink{Core: core, Agent: agent, Line: ls.line, Port: ls.port.Or(r.fs.defaults.agentPort.Or(DefaultAgentPort))}
		if ls.name.Set {
			link.NameUsed = ls.name.Value
			r.checkNameBelongs(ls.name, agent)
		}
		link.Account = core.Account
		if ls.account.Set {
			if acc, ok := r.account(ls.account, agent, core); ok {
				link.Account = acc
				link.AccountOverride = true
			}
		}
		link.Operations = r.operations(ls.ops, agentOperations, "link to an agent")
		core.Agents = append(core.Agents, link)
	}
}

// checkNameBelongs reports a name that identifies a different inventory
// host than the one it is meant for: a copy-paste slip that would make the
// matrix describe the wrong machine.
func (r *resolver) checkNameBelongs(name opt[string], target *Host) {
	if target.KnownBy(name.Value) {
		return
	}
	for _, other := range r.inv.Hosts {
		if other != target && other.KnownBy(name.Value) {
			r.ps.Add(name.Line, name.Field, "check this entry's agent/host and name", "%s is a name of %s, not of %s", quote(name.Value), other.Name, target.Name)
			return
		}
	}
}

func (r *resolver) repositories(core *Core, cs *hostSpec) {
	seenUNC := map[string]int{}
	for _, rs := range cs.repos {
		repo := &Repository{Name: rs.name, Line: rs.line, Cores: []*Core{core}, Kind: rs.kind.Or(DefaultRepoKind)}
		var server string
		if rs.unc.Set {
			srv, _, reason, hint := parseUNC(rs.unc.Value)
			if reason != "" {
				r.ps.Add(rs.unc.Line, rs.unc.Field, hint, "UNC path %s %s", quote(rs.unc.Value), reason)
			} else {
				server = srv
				repo.UNC, repo.Server = rs.unc.Value, srv
				key := strings.ToLower(rs.unc.Value)
				if prev, dup := seenUNC[key]; dup {
					r.ps.Add(rs.unc.Line, rs.unc.Field, "remove one of the entries", "%s already uses %s (line %d)", core.Name, rs.unc.Value, prev)
				} else {
					seenUNC[key] = rs.unc.Line
				}
			}
		}
		switch {
		case rs.host.Set:
			repo.Host = r.byName[strings.ToLower(rs.host.Value)]
			if repo.Host == nil {
				var names []string
				for _, h := range r.inv.Hosts {
					names = append(names, h.Name)
				}
				r.ps.Add(rs.host.Line, rs.host.Field, r.refHint(rs.host.Value, names, "repository_hosts"), "unknown host %q", clip(rs.host.Value))
			} else if server != "" {
				r.checkNameBelongs(opt[string]{Value: server, Set: true, Line: rs.unc.Line, Field: rs.unc.Field}, repo.Host)
			}
		case rs.host.Line != 0:
			// malformed; already reported
		case server != "":
			var matches []*Host
			for _, h := range r.inv.Hosts {
				if h.KnownBy(server) {
					matches = append(matches, h)
				}
			}
			switch len(matches) {
			case 1:
				repo.Host = matches[0]
			case 0:
				r.ps.Add(rs.line, rs.field, "add host: NAME naming the machine under repository_hosts: that serves the share", "cannot tell which host serves %s", server)
			default:
				r.ps.Add(rs.line, rs.field, "add host: NAME to say which one serves the share", "%s names more than one host (%s, %s)", server, matches[0].Name, matches[1].Name)
			}
		}
		if rs.account.Set {
			repo.Account, _ = r.account(rs.account, repo.Host, core)
		}
		repo.Operations = r.operations(rs.ops, shareOperations, "share")
		r.inv.Repositories = append(r.inv.Repositories, repo)
		core.Repositories = append(core.Repositories, repo)
	}
}

// account interprets an account string relative to the machine that
// validates it (target: the agent or share host; for the Core's own
// account, the Core).
func (r *resolver) account(o opt[accountSpec], target *Host, core *Core) (Account, bool) {
	raw := strings.TrimSpace(o.Value.raw)
	acc := Account{Name: raw, ProtectedUsers: o.Value.protected}
	const forms = `write DOMAIN\user, user@dns.domain, HOST\user for a local account, or LocalSystem`
	if isLocalSystem(raw) {
		acc.Kind, acc.Name, acc.Domain = AccountLocalSystem, "LocalSystem", core.Domain
		if o.Value.protected {
			r.ps.Add(o.Line, o.Field, "remove protected_users; LocalSystem presents the computer account", "protected_users does not apply to LocalSystem")
		}
		return acc, true
	}
	if prefix, _, ok := strings.Cut(raw, `\`); ok && equalFold(prefix, "NT AUTHORITY") {
		r.ps.Add(o.Line, o.Field, "the Rapid Recovery Core service runs as LocalSystem or a named account; "+forms, "account %s is not supported", quote(raw))
		return acc, false
	}
	if reason := checkUsername(raw); reason != "" {
		r.ps.Add(o.Line, o.Field, forms, "account %s %s", quote(raw), reason)
		return acc, false
	}
	if _, suffix, ok := strings.Cut(raw, "@"); ok {
		acc.Kind = AccountDomain
		acc.Domain = strings.ToLower(suffix)
		if d := r.inv.DomainByName(suffix); d != nil {
			acc.Domain = d.Name
		}
		return acc, true
	}
	prefix, user, ok := strings.Cut(raw, `\`)
	if !ok {
		r.ps.Add(o.Line, o.Field, forms, "account %s does not say where it lives", quote(raw))
		return acc, false
	}
	switch {
	case prefix == "." || (target != nil && (equalFold(prefix, target.NetBIOS) || equalFold(prefix, target.Name))):
		acc.Kind = AccountLocal
		if prefix == "." && target != nil && target.NetBIOS != "" {
			acc.Name = target.NetBIOS + `\` + user
		}
		if o.Value.protected {
			r.ps.Add(o.Line, o.Field, "remove protected_users; Protected Users is a domain group", "protected_users does not apply to the local account %s", quote(raw))
		}
		return acc, true
	}
	if d := r.inv.DomainByName(prefix); d != nil {
		acc.Kind, acc.Domain = AccountDomain, d.Name
		return acc, true
	}
	where := "the target"
	if target != nil {
		where = target.Name
	}
	r.ps.Add(o.Line, o.Field,
		fmt.Sprintf(`list the domain under domains: with netbios: %s, write the account as user@dns.domain, or write %s\user for a local account on %s`, strings.ToUpper(clip(prefix)), where, where),
		"account %s: %s is neither a listed domain nor the computer name of %s", quote(raw), quote(prefix), where)
	return acc, false
}

func isLocalSystem(s string) bool {
	for _, v := range []string{"LocalSystem", "Local System", "SYSTEM", `NT AUTHORITY\SYSTEM`, `.\LocalSystem`} {
		if equalFold(s, v) {
			return true
		}
	}
	return false
}

// Characters Windows does not allow in user names (sAMAccountName).
const badUserChars = `"/\[]:;|=,+*?<>`

// checkUsername validates DOMAIN\user, user@domain and plain user forms.
func checkUsername(s string) string {
	if s == "" {
		return "is empty"
	}
	if strings.Count(s, `\`) > 1 {
		return "has more than one backslash"
	}
	if prefix, user, ok := strings.Cut(s, `\`); ok {
		if prefix == "" || user == "" {
			return `needs text on both sides of the backslash`
		}
		if prefix != "." && checkNetBIOS(prefix) != "" && checkDNSName(prefix) != "" {
			return "has an invalid domain or computer part"
		}
		s = user
	} else if user, suffix, ok := strings.Cut(s, "@"); ok {
		if user == "" || checkDNSName(suffix) != "" {
			return "is not a valid user@dns.domain name"
		}
		s = user
	}
	if strings.ContainsAny(s, badUserChars+"@") {
		return "contains a character Windows does not allow in user names"
	}
	if len(s) > 104 {
		return "is too long"
	}
	return ""
}

func (r *resolver) trusts() {
	for _, ds := range r.fs.domains {
		for _, t := range ds.trusts {
			if reason := checkDNSName(t.Value); reason != "" {
				r.ps.Add(t.Line, t.Field, "give the trusted domain's DNS name", "trust %q %s", clip(t.Value), reason)
				continue
			}
			if equalFold(t.Value, ds.name) {
				r.ps.Add(t.Line, t.Field, "remove it", "a domain does not need to trust itself")
				continue
			}
			if r.declaredDomain(t.Value) == nil {
				r.ps.Add(t.Line, t.Field, fmt.Sprintf("list it under domains: (an empty entry '%s: {}' is enough)", strings.ToLower(clip(t.Value))), "trusted domain %q is not listed under domains:", clip(t.Value))
			}
		}
	}
}

func orStr(a string, useA bool, b string) string {
	if useA {
		return a
	}
	return b
}

// looksLikePath: a password_file value with a directory part, or a plain
// file name with an extension (scan.password, pw.txt). Anything else (no
// separator, spaces or shell characters and no extension) is more likely a
// password pasted into the wrong key.
func looksLikePath(s string) bool {
	if strings.ContainsAny(s, `/\`) {
		return true
	}
	return fileNameRE.MatchString(s)
}
