package discovery

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/inventory/safetext"
)

// Drift kinds.
const (
	DriftMissingAgent   = "agent-missing"       // the Core protects it, the inventory does not say so
	DriftNotProtected   = "agent-not-protected" // the inventory says the Core protects it, the Core does not
	DriftNameForm       = "name-form"           // the inventory's name for the agent is not the one the Core uses
	DriftMissingShare   = "share-missing"       // a repository or archive the inventory lacks
	DriftAccount        = "account"             // the account differs
	DriftUnlinkedAgent  = "agent-unprotected"   // an inventory agent no Core links to
	DriftDomainUnlisted = "domain"              // the Core's domain or DCs are missing
	// DriftMissingReplication: the Core replicates to a Core the
	// inventory's replication: entries lack.
	DriftMissingReplication = "replication-missing"
	// DriftReplicationUnlisted: the inventory says the Core replicates to
	// a Core, the Core lists no machine replicated there.
	DriftReplicationUnlisted = "replication-not-listed"
	// DriftOperations: a link lacks an operation the Core runs over it.
	DriftOperations = "operations"
)

// Drift is one difference between the inventory and what a Core listed.
type Drift struct {
	Core    string
	Kind    string
	Message string
}

func (d Drift) String() string {
	if d.Core == "" {
		return d.Kind + ": " + d.Message
	}
	return d.Core + ": " + d.Kind + ": " + d.Message
}

// Compare reports drift between inv and what the Cores listed, without
// changing anything (scan runs it as warnings).
func Compare(inv *inventory.Inventory, cores []*Core) []Drift {
	m := &merger{inv: inv}
	m.compare(cores)
	return m.drift
}

// Merge adds what the Cores listed to the inventory text invYAML (loaded as
// inv) and reports the drift. Everything already in the file stays,
// comments included (credentials, groups, tags, notes); new entries are
// added with a comment saying where they came from; a link whose name is not
// the one the Core uses is corrected, with the old name in a comment.
func Merge(invYAML []byte, inv *inventory.Inventory, cores []*Core) ([]byte, []Drift, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(invYAML, &doc); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", inv.File, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, nil, fmt.Errorf("%s: not a YAML mapping", inv.File)
	}
	m := &merger{inv: inv, root: doc.Content[0], added: map[string]bool{}, addedCores: map[string]string{}}
	m.compare(cores)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, nil, err
	}
	return buf.Bytes(), m.drift, nil
}

type merger struct {
	inv   *inventory.Inventory
	root  *yaml.Node // nil: compare only
	added map[string]bool
	// addedCores are Cores this merge added, by the name used for them.
	addedCores map[string]string
	// addedHosts are host entries this merge added: inventory name -> names it is known by.
	addedHosts []addedHost
	drift      []Drift
}

type addedHost struct{ name, fqdn, address string }

func (m *merger) report(core, kind, format string, args ...any) {
	m.drift = append(m.drift, Drift{Core: core, Kind: kind, Message: fmt.Sprintf(format, args...)})
}

func (m *merger) compare(cores []*Core) {
	linked := map[*inventory.Host]bool{}
	for _, c := range cores {
		m.domain(c)
		ic := m.coreByName(c.Name)
		if ic == nil {
			continue
		}
		if c.Account != "" && ic.Account.Name != "" && !sameAccount(c.Account, ic.Account.Name) {
			m.report(c.Name, DriftAccount, "the Core service runs as %s, the inventory says %s (cores.%s.account): the Core's account is what agents and shares see",
				q(c.Account), q(ic.Account.Name), ic.Name)
		}
		matched := map[*inventory.AgentLink]bool{}
		for _, a := range c.Agents {
			l, exact := findLink(ic, a)
			switch {
			case l != nil && exact:
				matched[l] = true
			case l != nil:
				matched[l] = true
				m.report(c.Name, DriftNameForm, "agent %s: the inventory has name %s (%s), the Core connects to %s (%s)%s",
					l.Agent.Name, q(l.NameUsed), formOf(l.Agent, l.NameUsed), q(a.NameUsed), formOf(l.Agent, a.NameUsed), fixedOrNot(m.root != nil))
				m.renameEntry(ic, "agents", l.Line, a.NameUsed)
			default:
				m.report(c.Name, DriftMissingAgent, "the Core protects %s (name %s), the inventory has no link for it%s",
					q(a.DisplayName), q(a.NameUsed), addedOrNot(m.root != nil))
				m.addLink(c, ic, a)
			}
		}
		for _, l := range ic.Agents {
			if !matched[l] {
				m.report(c.Name, DriftNotProtected, "the inventory says this Core protects %s by name %s (line %d); the Core does not list it (remove the link, or protect the machine)",
					l.Agent.Name, q(l.NameUsed), l.Line)
			}
		}
		for _, s := range c.Shares {
			r := findShare(ic, s)
			switch {
			case r == nil:
				m.report(c.Name, DriftMissingShare, "%s %s at %s is not in the inventory%s", s.Kind, q(s.Name), q(s.UNC), addedOrNot(m.root != nil))
				m.addShare(c, ic, s)
			case s.Account != "" && r.Account.Name != "" && !sameAccount(s.Account, r.Account.Name):
				m.report(c.Name, DriftAccount, "%s %s: the Core uses account %s, the inventory says %s (line %d)", s.Kind, q(r.Name), q(s.Account), q(r.Account.Name), r.Line)
			}
		}
		m.replication(c, ic)
		for _, l := range ic.Agents {
			linked[l.Agent] = true
		}
	}
	for _, c := range m.inv.Cores {
		for _, l := range c.Agents {
			linked[l.Agent] = true
		}
	}
	for _, h := range m.inv.Hosts {
		if h.Role == inventory.RoleAgent && !linked[h] {
			m.report("", DriftUnlinkedAgent, "agent %s (line %d) is protected by no Core in the inventory", h.Name, h.Line)
		}
	}
}

func fixedOrNot(fix bool) string {
	if fix {
		return "; the output uses the Core's name"
	}
	return "; the verdicts judge the Core's real name only once the inventory uses it (ntlmscan discover -i)"
}

func addedOrNot(add bool) string {
	if add {
		return "; added"
	}
	return " (ntlmscan discover -i adds it)"
}

func formOf(h *inventory.Host, name string) string {
	f := inventory.ClassifyName(h, name)
	if f == inventory.FormIP {
		return "IP address: NTLM only"
	}
	if f == inventory.FormOther && strings.Contains(name, ".") {
		return "DNS name"
	}
	return f
}

func sameAccount(a, b string) bool {
	if isSystem(a) && isSystem(b) {
		return true
	}
	return strings.EqualFold(a, b)
}

func isSystem(s string) bool {
	for _, v := range []string{"LocalSystem", "Local System", "SYSTEM", `NT AUTHORITY\SYSTEM`, `.\LocalSystem`} {
		if strings.EqualFold(s, v) {
			return true
		}
	}
	return false
}

func (m *merger) coreByName(name string) *inventory.Core {
	for _, c := range m.inv.Cores {
		if strings.EqualFold(c.Name, name) {
			return c
		}
	}
	return nil
}

// findLink finds the inventory's link for a: by the exact name used, else
// by any name of the agent host.
func findLink(ic *inventory.Core, a Agent) (*inventory.AgentLink, bool) {
	for _, l := range ic.Agents {
		if strings.EqualFold(l.NameUsed, a.NameUsed) {
			return l, true
		}
	}
	for _, l := range ic.Agents {
		if l.Agent.KnownBy(a.NameUsed) || (a.DisplayName != "" && l.Agent.KnownBy(a.DisplayName)) {
			return l, false
		}
	}
	return nil, false
}

func findShare(ic *inventory.Core, s Share) *inventory.Repository {
	for _, r := range ic.Repositories {
		if strings.EqualFold(strings.TrimRight(r.UNC, `\`), strings.TrimRight(s.UNC, `\`)) {
			return r
		}
	}
	return nil
}

// hostKnownBy returns the inventory name of the host known by name, among
// the file's hosts and those this merge added.
func (m *merger) hostKnownBy(name string) string {
	for _, h := range m.inv.Hosts {
		if h.KnownBy(name) {
			return h.Name
		}
	}
	for _, h := range m.addedHosts {
		if strings.EqualFold(h.name, name) || (h.fqdn != "" && strings.EqualFold(h.fqdn, name)) || (h.address != "" && h.address == name) {
			return h.name
		}
	}
	return ""
}

func (m *merger) nameTaken(name string) bool {
	return m.inv.HostByName(name) != nil || m.hostKnownBy(name) != ""
}

// hostName picks an inventory name for a new host: the display name if it
// is a computer name, else the first label of a DNS name, else one made
// from the address.
func (m *merger) hostName(display, nameUsed string) string {
	var base string
	switch {
	case netbiosLike(display):
		base = strings.ToUpper(display)
	case display != "" && !inventory.IsIPAddress(display) && ValidHostName(display):
		base = strings.ToUpper(strings.SplitN(display, ".", 2)[0])
	case !inventory.IsIPAddress(nameUsed):
		base = strings.ToUpper(strings.SplitN(nameUsed, ".", 2)[0])
	default:
		base = "HOST-" + strings.NewReplacer(".", "-", ":", "-", "[", "", "]", "").Replace(nameUsed)
	}
	name := base
	for i := 2; m.nameTaken(name); i++ {
		name = base + "-" + strconv.Itoa(i)
	}
	return name
}

func netbiosLike(s string) bool {
	return s != "" && len(s) <= 15 && !strings.Contains(s, ".") && !inventory.IsIPAddress(s) && ValidHostName(s)
}

// hostFields are the address/fqdn/netbios keys for a host known by name.
func hostFields(name string) [][2]string {
	switch {
	case inventory.IsIPAddress(name):
		return [][2]string{{"address", strings.Trim(name, "[]")}}
	case strings.Contains(name, "."):
		return [][2]string{{"fqdn", strings.ToLower(strings.TrimSuffix(name, "."))}}
	}
	return [][2]string{{"netbios", strings.ToUpper(name)}}
}

// addHost adds a host entry under section (agents, repository_hosts) and
// returns its name.
func (m *merger) addHost(section, display, nameUsed, comment string) string {
	if n := m.hostKnownBy(nameUsed); n != "" {
		return n
	}
	if display != "" {
		if n := m.hostKnownBy(display); n != "" {
			return n
		}
	}
	name := m.hostName(display, nameUsed)
	ah := addedHost{name: name}
	fields := hostFields(nameUsed)
	for _, f := range fields {
		switch f[0] {
		case "address":
			ah.address = f[1]
		case "fqdn":
			ah.fqdn = f[1]
		}
	}
	m.addedHosts = append(m.addedHosts, ah)
	if m.root == nil {
		return name
	}
	entry := &yaml.Node{Kind: yaml.MappingNode}
	for _, f := range fields {
		setScalar(entry, f[0], f[1])
	}
	key := &yaml.Node{Kind: yaml.ScalarNode, Value: name, HeadComment: comment}
	sec := mapping(m.root, section)
	sec.Content = append(sec.Content, key, entry)
	return name
}

func (m *merger) coreNode(name string) *yaml.Node {
	if m.root == nil {
		return nil
	}
	cores := value(m.root, "cores")
	if cores == nil || cores.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(cores.Content); i += 2 {
		if strings.EqualFold(cores.Content[i].Value, name) {
			v := cores.Content[i+1]
			if v.Kind != yaml.MappingNode {
				*v = yaml.Node{Kind: yaml.MappingNode}
			}
			return v
		}
	}
	return nil
}

func (m *merger) addLink(c *Core, ic *inventory.Core, a Agent) {
	comment := fmt.Sprintf("protected by %s (ntlmscan discover)", c.Name)
	if a.Account != "" && isLocalOf(a.Account, a) {
		comment += "; the Core logs on with a local account: if the machine is not joined to a domain, give it workgroup: NAME"
	}
	name := m.addHost("agents", a.DisplayName, a.NameUsed, comment)
	cn := m.coreNode(ic.Name)
	if cn == nil {
		return
	}
	link := &yaml.Node{Kind: yaml.MappingNode}
	setScalar(link, "agent", name)
	setScalar(link, "name", a.NameUsed)
	if a.Port != 0 && a.Port != inventory.DefaultAgentPort {
		setScalar(link, "port", strconv.Itoa(a.Port))
	}
	if a.Account != "" {
		setScalar(link, "account", a.Account)
	}
	seq := value(cn, "agents")
	if seq == nil || seq.Kind != yaml.SequenceNode {
		deleteKey(cn, "agents")
		seq = &yaml.Node{Kind: yaml.SequenceNode}
		cn.Content = append(cn.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "agents"}, seq)
	}
	seq.Content = append(seq.Content, link)
}

// isLocalOf: account is HOST\user for the agent itself.
func isLocalOf(account string, a Agent) bool {
	prefix, _, ok := strings.Cut(account, `\`)
	if !ok {
		return false
	}
	return prefix == "." || strings.EqualFold(prefix, a.DisplayName) || strings.EqualFold(prefix, strings.SplitN(a.NameUsed, ".", 2)[0])
}

// renameEntry sets the name: of the entry on line in the Core's list key
// (agents, replication) to the name the Core uses, keeping the old one in a
// comment.
func (m *merger) renameEntry(ic *inventory.Core, key string, line int, used string) {
	cn := m.coreNode(ic.Name)
	if cn == nil {
		return
	}
	seq := value(cn, key)
	if seq == nil {
		return
	}
	for _, item := range seq.Content {
		if item.Kind != yaml.MappingNode || item.Line != line {
			continue
		}
		if v := value(item, "name"); v != nil {
			old := v.Value
			*v = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: used,
				LineComment: fmt.Sprintf("# was %s; the Core connects to %s (ntlmscan discover)", safetext.Escape(old), safetext.Escape(used))}
		}
		return
	}
}

func (m *merger) addShare(c *Core, ic *inventory.Core, s Share) {
	server := ServerOf(s.UNC)
	host := m.addHost("repository_hosts", "", server,
		fmt.Sprintf("behind %s of %s (ntlmscan discover); if it is a NAS or Samba server, describe it (described:)", s.Name, c.Name))
	cn := m.coreNode(ic.Name)
	if cn == nil {
		return
	}
	repos := mapping(cn, "repositories")
	name := s.Name
	for i := 2; value(repos, name) != nil; i++ {
		name = s.Name + "-" + strconv.Itoa(i)
	}
	e := &yaml.Node{Kind: yaml.MappingNode}
	if s.Kind != "repository" {
		setScalar(e, "kind", s.Kind)
	}
	if s.Kind == "export" {
		// Get-VirtualizedServers lists continuous exports only.
		e.Content = append(e.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "operations"}, opsNode([]inventory.Operation{inventory.OpVirtualStandby}))
	}
	setScalar(e, "unc", s.UNC)
	setScalar(e, "host", host)
	if s.Account != "" {
		setScalar(e, "account", s.Account)
	} else {
		// The Core's account as it reported it, else as the inventory has it.
		setScalar(e, "account", firstNonEmpty(c.Account, ic.Account.Name))
		e.Content[len(e.Content)-2].LineComment = "# UNCONFIRMED: the Core did not report the share's account; the Core's own account is assumed"
	}
	repos.Content = append(repos.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: name}, e)
}

// replication compares the replication targets the Core listed
// (Get-ReplicatedServers) with the Core's replication: entries, and maps
// its Virtual Standby targets (Get-VirtualizedServers) onto agent links and
// export shares. What the listing does not identify well enough for an
// entry that validates stays a comment on the Core saying what to add.
func (m *merger) replication(c *Core, ic *inventory.Core) {
	var comments []string
	targets := groupReplicas(c.Replicated)
	matched := map[*inventory.ReplicationLink]bool{}
	written := map[string]string{} // target Core (lower case) -> name used
	for _, t := range targets {
		what := fmt.Sprintf("%s to %s", strings.Join(t.machines, ", "), q(firstNonEmpty(t.core, t.nameUsed)))
		var l *inventory.ReplicationLink
		for _, rl := range ic.Replication {
			if rl.Target == nil || rl.Target.Host == nil {
				continue
			}
			if (t.core != "" && (strings.EqualFold(rl.Target.Name, t.core) || rl.Target.KnownBy(t.core))) ||
				(t.nameUsed != "" && (rl.Target.KnownBy(t.nameUsed) || strings.EqualFold(rl.NameUsed, t.nameUsed))) {
				l = rl
				break
			}
		}
		if t.nameUsed == "" {
			if l != nil {
				matched[l] = true
				continue
			}
			m.report(c.Name, DriftMissingReplication, "the Core replicates %s, the inventory has no replication entry for it; the listing has no target host name: add the entry by hand", what)
			comments = append(comments, fmt.Sprintf("Replication listed by %s (Get-ReplicatedServers; shape UNCONFIRMED): %s; the listing has no target host name: add a replication: entry (core, name, account) by hand",
				c.Name, safetext.Escape(what)))
			continue
		}
		if l != nil {
			matched[l] = true
			if !strings.EqualFold(l.NameUsed, t.nameUsed) {
				m.report(c.Name, DriftNameForm, "replication to %s: the inventory has name %s (%s), the Core connects to %s (%s)%s",
					l.Target.Name, q(l.NameUsed), formOf(l.Target.Host, l.NameUsed), q(t.nameUsed), formOf(l.Target.Host, t.nameUsed), fixedOrNot(m.root != nil))
				m.renameEntry(ic, "replication", l.Line, t.nameUsed)
			}
			if t.account != "" && l.Account.Name != "" && !sameAccount(t.account, l.Account.Name) {
				m.report(c.Name, DriftAccount, "replication to %s: the Core uses account %s, the inventory says %s (line %d)", l.Target.Name, q(t.account), q(l.Account.Name), l.Line)
			}
			continue
		}
		target, why := m.targetCore(c, t)
		switch {
		case strings.EqualFold(target, ic.Name):
			target, why = "", "the target is this Core itself"
		case target != "" && written[strings.ToLower(target)] != "":
			// One entry per target Core: the inventory refuses a second.
			target, why = "", fmt.Sprintf("%s is also listed by name %s, which the entry written uses", target, q(written[strings.ToLower(target)]))
		}
		if target == "" || t.account == "" {
			if why == "" {
				why = "the listing has no user name for the target (add account: with the user given in the replication wizard)"
			}
			m.report(c.Name, DriftMissingReplication, "the Core replicates %s (name %s), the inventory has no replication entry for it; %s", what, q(t.nameUsed), why)
			comments = append(comments, fmt.Sprintf("Replication listed by %s (Get-ReplicatedServers; shape UNCONFIRMED): %s by name %s; not written: %s",
				c.Name, safetext.Escape(what), safetext.Escape(t.nameUsed), why))
			continue
		}
		how := addedOrNot(m.root != nil)
		if m.inv.HostByName(target) == nil {
			how += ", with " + target + " as a new Core under cores: (check its account:)"
		}
		m.report(c.Name, DriftMissingReplication, "the Core replicates %s (name %s), the inventory has no replication entry for it%s", what, q(t.nameUsed), how)
		written[strings.ToLower(target)] = t.nameUsed
		m.addReplication(ic, target, t)
	}
	for _, l := range ic.Replication {
		if !matched[l] {
			m.report(c.Name, DriftReplicationUnlisted, "the inventory says this Core replicates to %s by name %s (line %d); the Core lists no machine replicated there (remove the entry, or check the replication)",
				l.Target.Name, q(l.NameUsed), l.Line)
		}
	}
	for _, e := range c.Exports {
		if msg := m.export(c, ic, e); msg != "" {
			comments = append(comments, "Virtual Standby listed by "+c.Name+" (Get-VirtualizedServers; shape UNCONFIRMED): "+msg)
		}
	}
	if len(comments) == 0 || m.root == nil {
		return
	}
	cores := value(m.root, "cores")
	if cores == nil {
		return
	}
	for i := 0; i+1 < len(cores.Content); i += 2 {
		if strings.EqualFold(cores.Content[i].Value, c.Name) {
			k := cores.Content[i]
			if k.HeadComment != "" {
				k.HeadComment += "\n"
			}
			k.HeadComment += strings.Join(comments, "\n")
		}
	}
}

// replTarget is one target Core with the machines replicated to it.
type replTarget struct {
	core, nameUsed, account string
	port                    int
	machines                []string
}

func groupReplicas(rs []Replica) []*replTarget {
	var out []*replTarget
	for _, r := range rs {
		var t *replTarget
		for _, o := range out {
			if strings.EqualFold(o.core, r.TargetCore) && strings.EqualFold(o.nameUsed, r.NameUsed) {
				t = o
			}
		}
		if t == nil {
			t = &replTarget{core: r.TargetCore, nameUsed: r.NameUsed}
			out = append(out, t)
		}
		if t.account == "" {
			t.account = r.Account
		}
		if t.port == 0 {
			t.port = r.Port
		}
		t.machines = append(t.machines, q(r.Name))
	}
	return out
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// targetCore finds the inventory Core a replication target is, or (when
// merging) adds it under cores:; "" and why when it cannot.
func (m *merger) targetCore(c *Core, t *replTarget) (string, string) {
	for _, h := range m.inv.Hosts {
		if strings.EqualFold(h.Name, t.core) || h.KnownBy(t.nameUsed) {
			if h.Role != inventory.RoleCore {
				return "", fmt.Sprintf("the target is the inventory's %s %s, not a Core: list it under cores:", h.Role, h.Name)
			}
			return h.Name, ""
		}
	}
	if n, ok := m.addedCores[strings.ToLower(t.nameUsed)]; ok {
		return n, ""
	}
	if m.root == nil {
		return "", "the target Core is not under cores: (ntlmscan discover -i adds it)"
	}
	if t.account == "" {
		return "", "the listing has no user name for the target (add the Core under cores: and a replication: entry with account: the user given in the replication wizard)"
	}
	name := m.hostName(t.core, t.nameUsed)
	ah := addedHost{name: name}
	entry := &yaml.Node{Kind: yaml.MappingNode}
	for _, f := range hostFields(t.nameUsed) {
		setScalar(entry, f[0], f[1])
		switch f[0] {
		case "address":
			ah.address = f[1]
		case "fqdn":
			ah.fqdn = f[1]
		}
	}
	m.addedHosts = append(m.addedHosts, ah)
	m.addedCores[strings.ToLower(t.nameUsed)] = name
	setScalar(entry, "account", "LocalSystem")
	entry.Content[len(entry.Content)-1].LineComment = "# UNCONFIRMED: not asked; set the account its Core service runs as"
	cores := mapping(m.root, "cores")
	cores.Content = append(cores.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: name,
		HeadComment: fmt.Sprintf("replication target of %s (ntlmscan discover); not asked itself: check account:, give it workgroup: NAME if it is not in the domain, and run discover again to list what it protects", c.Name)}, entry)
	return name, ""
}

func (m *merger) addReplication(ic *inventory.Core, target string, t *replTarget) {
	cn := m.coreNode(ic.Name)
	if cn == nil {
		return
	}
	e := &yaml.Node{Kind: yaml.MappingNode}
	setScalar(e, "core", target)
	setScalar(e, "name", t.nameUsed)
	if t.port != 0 && t.port != inventory.DefaultCorePort {
		setScalar(e, "port", strconv.Itoa(t.port))
	}
	setScalar(e, "account", t.account)
	seq := value(cn, "replication")
	if seq == nil || seq.Kind != yaml.SequenceNode {
		deleteKey(cn, "replication")
		seq = &yaml.Node{Kind: yaml.SequenceNode}
		cn.Content = append(cn.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "replication"}, seq)
	}
	seq.Content = append(seq.Content, e)
}

// export maps one Virtual Standby target onto the inventory: a UNC path is
// an export share (kind: export); a Hyper-V host the inventory knows as an
// agent gets a link serving virtual-standby. It returns a comment for what
// it cannot map: whether an unknown Hyper-V host runs the Agent, and what
// an ESXi or Workstation target needs, the listing does not say.
func (m *merger) export(c *Core, ic *inventory.Core, e Export) string {
	desc := safetext.Escape(e.Name)
	if e.Target != "" {
		desc += " -> " + safetext.Escape(e.Target)
	}
	if e.Type != "" {
		desc += " (" + safetext.Escape(e.Type) + ")"
	}
	switch {
	case strings.HasPrefix(e.Target, `\\`) && ValidHostName(ServerOf(e.Target)):
		if findShare(ic, Share{UNC: e.Target}) != nil {
			return ""
		}
		m.report(c.Name, DriftMissingShare, "Virtual Standby of %s to %s is not in the inventory%s", q(e.Name), q(e.Target), addedOrNot(m.root != nil))
		m.addShare(c, ic, Share{Name: "export-" + e.Name, UNC: e.Target, Kind: "export"})
		return ""
	case isHyperV(e.Type) && ValidHostName(e.Target):
		h := m.inv.HostByName(m.hostKnownBy(e.Target))
		if h == nil || h.Role != inventory.RoleAgent {
			return desc + "; if the Hyper-V host runs the Rapid Recovery Agent, list it under agents: and link it from this Core with operations: [virtual-standby] (the listing does not say)"
		}
		for _, l := range ic.Agents {
			if l.Agent == h {
				ops := l.Operations
				if ops == nil {
					ops = inventory.DefaultAgentOperations()
				}
				if slices.Contains(ops, inventory.OpVirtualStandby) {
					return ""
				}
				m.report(c.Name, DriftOperations, "agent %s: the Core exports %s to it (Virtual Standby), the link (line %d) does not list virtual-standby%s", h.Name, q(e.Name), l.Line, addedOrNot(m.root != nil))
				m.setLinkOperations(ic, l, append(slices.Clone(ops), inventory.OpVirtualStandby))
				return ""
			}
		}
		m.report(c.Name, DriftMissingAgent, "the Core exports %s to %s (Virtual Standby), the inventory has no link for it%s", q(e.Name), h.Name, addedOrNot(m.root != nil))
		if cn := m.coreNode(ic.Name); cn != nil {
			link := &yaml.Node{Kind: yaml.MappingNode}
			setScalar(link, "agent", h.Name)
			setScalar(link, "name", e.Target)
			link.Content = append(link.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "operations"}, opsNode([]inventory.Operation{inventory.OpVirtualStandby}))
			seq := value(cn, "agents")
			if seq == nil || seq.Kind != yaml.SequenceNode {
				deleteKey(cn, "agents")
				seq = &yaml.Node{Kind: yaml.SequenceNode}
				cn.Content = append(cn.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "agents"}, seq)
			}
			seq.Content = append(seq.Content, link)
		}
		return ""
	}
	return desc + "; not mapped: only a Hyper-V host running the Agent or a share path is a path ntlmscan judges"
}

func isHyperV(t string) bool {
	t = strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(t))
	return strings.Contains(t, "hyperv")
}

func opsNode(ops []inventory.Operation) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, o := range ops {
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: string(o)})
	}
	return n
}

func (m *merger) setLinkOperations(ic *inventory.Core, l *inventory.AgentLink, ops []inventory.Operation) {
	cn := m.coreNode(ic.Name)
	if cn == nil {
		return
	}
	seq := value(cn, "agents")
	if seq == nil {
		return
	}
	for _, item := range seq.Content {
		if item.Kind == yaml.MappingNode && item.Line == l.Line {
			if v := value(item, "operations"); v != nil {
				*v = *opsNode(ops)
			} else {
				item.Content = append(item.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "operations"}, opsNode(ops))
			}
			return
		}
	}
}

// domain adds the Core's domain and DCs when the inventory lacks them.
func (m *merger) domain(c *Core) {
	if c.Domain == "" {
		return
	}
	d := m.inv.DomainByName(c.Domain)
	var dn *yaml.Node
	if m.root != nil {
		domains := mapping(m.root, "domains")
		key := c.Domain
		if d != nil {
			key = d.Name
		}
		for i := 0; i+1 < len(domains.Content); i += 2 {
			if strings.EqualFold(domains.Content[i].Value, key) || (d != nil && strings.EqualFold(domains.Content[i].Value, d.NetBIOS)) {
				dn = domains.Content[i+1]
				if dn.Kind != yaml.MappingNode {
					*dn = yaml.Node{Kind: yaml.MappingNode}
				}
			}
		}
		if dn == nil && !m.added["domain:"+c.Domain] {
			m.added["domain:"+c.Domain] = true
			dn = &yaml.Node{Kind: yaml.MappingNode}
			if nb := NetBIOSGuess(c); nb != "" {
				setScalar(dn, "netbios", nb)
				dn.Content[len(dn.Content)-1].LineComment = "# from the Core service's account; check it"
			}
			domains.Content = append(domains.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: c.Domain,
				HeadComment: "the domain of " + c.Name + " (ntlmscan discover)"}, dn)
		}
	}
	if d == nil && m.root == nil {
		m.report(c.Name, DriftDomainUnlisted, "the Core is joined to %s, which the inventory's domains: does not list", q(c.Domain))
	}
	for _, dc := range c.DomainControllers {
		if m.hostKnownBy(dc) != "" || m.hostKnownBy(strings.SplitN(dc, ".", 2)[0]) != "" {
			continue
		}
		if m.root == nil {
			m.report(c.Name, DriftDomainUnlisted, "domain controller %s of %s is not in the inventory", q(dc), q(c.Domain))
			continue
		}
		name := m.hostName("", dc)
		m.addedHosts = append(m.addedHosts, addedHost{name: name, fqdn: dc})
		ctl := mapping(dn, "controllers")
		e := &yaml.Node{Kind: yaml.MappingNode}
		setScalar(e, "fqdn", dc)
		ctl.Content = append(ctl.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: name}, e)
	}
}

// NetBIOSGuess guesses the domain's NetBIOS name from a DOMAIN\user account
// the Core reported, else the first label of the DNS name.
func NetBIOSGuess(c *Core) string {
	accounts := []string{c.Account}
	for _, s := range c.Shares {
		accounts = append(accounts, s.Account)
	}
	for _, a := range accounts {
		if prefix, _, ok := strings.Cut(a, `\`); ok && netbiosLike(prefix) && !strings.EqualFold(prefix, "NT AUTHORITY") &&
			!strings.EqualFold(prefix, c.ComputerName) && prefix != "." && !strings.Contains(strings.ToLower(a), "localsystem") {
			return strings.ToUpper(prefix)
		}
	}
	first := strings.SplitN(c.Domain, ".", 2)[0]
	if len(first) > 15 {
		first = first[:15]
	}
	return strings.ToUpper(first)
}

// YAML node helpers.

func value(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func deleteKey(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

func mapping(m *yaml.Node, key string) *yaml.Node {
	if v := value(m, key); v != nil {
		if v.Kind != yaml.MappingNode {
			*v = yaml.Node{Kind: yaml.MappingNode}
		}
		return v
	}
	v := &yaml.Node{Kind: yaml.MappingNode}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, v)
	return v
}

// setScalar sets key to the string val (quoted by the encoder where a
// plain scalar would read as another type).
func setScalar(m *yaml.Node, key, val string) {
	n := yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: val}
	if _, err := strconv.Atoi(val); err == nil && (key == "port") {
		n.Tag = "!!int"
	}
	if v := value(m, key); v != nil {
		*v = n
		return
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, &n)
}
