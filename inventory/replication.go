package inventory

import (
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ntlmscan/ntlmscan/inventory/yamlcheck"
)

// This file holds what a path is used for (its Rapid Recovery operations)
// and the Core-to-Core replication links: the operations Quest's KB 4033596
// "NTLM and pass-through authentication" says fail where NTLM is
// restricted, each tied to the path that carries it.

// Operation is a Rapid Recovery operation a path serves: what fails when
// the path is blocked.
type Operation string

const (
	// OpProtection: the Core's backups (snapshots) of the agent, over the
	// agent service.
	OpProtection Operation = "protection"
	// OpLiveRecovery: restoring volumes to the agent from the Core, over
	// the agent service (Quest, "Rapid Recovery, On Standby": volumes are
	// restored to machines running the Agent).
	OpLiveRecovery Operation = "live-recovery"
	// OpVirtualStandby: continuous export of a protected machine to a VM,
	// here toward a Hyper-V host that runs the Agent or a share.
	OpVirtualStandby Operation = "virtual-standby"
	// OpExport: a one-time VM export, toward a Hyper-V host that runs the
	// Agent or a share.
	OpExport Operation = "export"
	// OpRepository: a repository on a share: every backup written to it.
	OpRepository Operation = "repository"
	// OpMountabilityCheck: the nightly mountability check mounts recovery
	// points stored in the repository (Quest KB 4033596 names mounting
	// recovery points).
	OpMountabilityCheck Operation = "mountability-check"
	// OpArchive: archives written to a share.
	OpArchive Operation = "archive"
	// OpReplication: recovery points sent to another Core.
	OpReplication Operation = "replication"
)

// Operations lists every operation in display order.
func Operations() []Operation {
	return []Operation{OpProtection, OpLiveRecovery, OpRepository, OpMountabilityCheck, OpArchive, OpExport, OpVirtualStandby, OpReplication}
}

// Label is the operation as the Core console and Quest's documents name it.
func (o Operation) Label() string {
	switch o {
	case OpProtection:
		return "agent protection"
	case OpLiveRecovery:
		return "Live Recovery"
	case OpVirtualStandby:
		return "Virtual Standby"
	case OpExport:
		return "VM export"
	case OpRepository:
		return "repository"
	case OpMountabilityCheck:
		return "mountability check"
	case OpArchive:
		return "archive"
	case OpReplication:
		return "replication"
	}
	return string(o)
}

// Operations an agent link and a share may serve; a replication link serves
// replication only.
var (
	agentOperations = []Operation{OpProtection, OpLiveRecovery, OpExport, OpVirtualStandby}
	shareOperations = []Operation{OpRepository, OpMountabilityCheck, OpArchive, OpExport, OpVirtualStandby}
)

// DefaultAgentOperations are an agent link's operations unless it lists its
// own: the Core protects the agent and restores to it.
func DefaultAgentOperations() []Operation { return []Operation{OpProtection, OpLiveRecovery} }

// DefaultShareOperations are a share's operations by its kind unless it
// lists its own.
func DefaultShareOperations(kind string) []Operation {
	switch kind {
	case "archive":
		return []Operation{OpArchive}
	case "export":
		return []Operation{OpExport}
	}
	return []Operation{OpRepository, OpMountabilityCheck}
}

// DefaultCorePort is the port a source Core uses for a target Core: the
// Core's web service port, commonly cited as the same port as the Agent's
// (Quest's "Rapid Recovery User Guide": the replication wizard asks for
// the target's host name, port, user name and password); UNCONFIRMED: no
// Quest port table was found.
const DefaultCorePort = DefaultAgentPort

// ReplicationLink is one source Core replicating to one target Core. The
// source connects to the target's Core service with the user name and
// password entered in the replication wizard (Quest's "Rapid Recovery User
// Guide", "Replication": the source Core copies recovery points and
// transmits them to the target Core). Whether the target connects back to
// the source, and for what, is UNCONFIRMED: Quest's documents are silent.
type ReplicationLink struct {
	Source   *Core
	Target   *Core
	NameUsed string // exactly what the source Core uses: FQDN, NetBIOS name or IP address
	Port     int
	Account  Account // the account the source presents to the target
	Line     int
}

type replSpec struct {
	line    int
	field   string
	core    opt[string]
	name    opt[string]
	port    opt[int]
	account opt[accountSpec]
}

// replications decodes cores.<core>.replication: a list of target Cores.
func (w *walker) replications(e yamlcheck.Entry, field string) []*replSpec {
	items, _ := w.Sequence(e.Val, field)
	var out []*replSpec
	for i, item := range items {
		f := index(field, i)
		r := w.Resolve(item, f)
		if r == nil {
			continue
		}
		if r.Kind == yaml.ScalarNode && !yamlcheck.IsNull(r) {
			w.C.Add(r.Line, f, "write '- {core: "+clip(r.Value)+", name: <the name the source Core uses>, account: <the account entered in the replication wizard>}'", "a replication entry needs core:, name: and account:")
			continue
		}
		rs := &replSpec{line: r.Line, field: f}
		m, ok := w.Fields(r, f,
			yamlcheck.Str("core", &rs.core),
			yamlcheck.Str("name", &rs.name),
			yamlcheck.Int("port", &rs.port, 1, 65535),
			yamlcheck.Func("account", func(e yamlcheck.Entry, f string) { rs.account = w.account(e, f) }),
			yamlcheck.Text("description", nil),
		)
		if !ok {
			continue
		}
		if m.Unknown == 0 {
			if !rs.core.Given() {
				w.C.Add(rs.line, f, "add core: NAME (the target Core, an entry under cores:)", "replication entry has no core:")
			}
			if !rs.name.Given() {
				w.C.Add(rs.line, f, "add name: with exactly what the source Core uses for the target Core (its FQDN, NetBIOS name or IP address, as entered in the replication wizard)", "replication entry has no name:")
			}
			if !m.Has("account") {
				w.C.Add(rs.line, f, `add account: with the user the replication wizard was given for the target Core (TARGET\user for a local account of the target, DOMAIN\user or user@dns.domain)`, "replication entry has no account:")
			}
		}
		if rs.name.Set {
			if reason, hint := checkHostName(rs.name.Value); reason != "" {
				w.C.Add(rs.name.Line, rs.name.Field, hint, "name %q %s", clip(rs.name.Value), reason)
				rs.name.Set = false
			}
		}
		out = append(out, rs)
	}
	return out
}

// operationsKey declares operations: on an agent link or a repository.
func (w *walker) operationsKey(dst *[]opt[string]) yamlcheck.Key {
	return yamlcheck.Func("operations", func(e yamlcheck.Entry, f string) {
		vals, lines, _ := w.StrList(e.Val, f)
		for i := range vals {
			*dst = append(*dst, opt[string]{Value: vals[i], Set: true, Line: lines[i], Field: f})
		}
		if len(vals) == 0 {
			w.C.Add(e.Line(), f, "list what the path is used for, or remove the key for the default", "is empty")
		}
	})
}

// operations checks an operations: list against what a path of this kind
// can serve; nil means "use the default".
func (r *resolver) operations(list []opt[string], allowed []Operation, what string) []Operation {
	if len(list) == 0 {
		return nil
	}
	names := make([]string, len(allowed))
	for i, o := range allowed {
		names[i] = string(o)
	}
	var out []Operation
	for _, o := range list {
		v := Operation(strings.ToLower(strings.TrimSpace(o.Value)))
		switch {
		case !slices.Contains(Operations(), v):
			r.ps.Add(o.Line, o.Field, keyHintValues(string(v), names), "unknown operation %q", clip(o.Value))
		case !slices.Contains(allowed, v):
			r.ps.Add(o.Line, o.Field, "a "+what+" serves "+strings.Join(names, ", ")+"; replication is listed under the Core's replication:", "operation %q does not run over a %s", string(v), what)
		case slices.Contains(out, v):
			r.ps.Add(o.Line, o.Field, "remove the repeated entry", "operation %q is listed twice", string(v))
		default:
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// replications resolves a Core's replication targets.
func (r *resolver) replications(core *Core, cs *hostSpec) {
	seen := map[*Host]int{}
	for _, rs := range cs.replications {
		if !rs.core.Set {
			continue
		}
		target := r.byName[strings.ToLower(rs.core.Value)]
		switch {
		case target == nil:
			var names []string
			for _, c := range r.fs.cores {
				names = append(names, c.name)
			}
			r.ps.Add(rs.core.Line, rs.core.Field, r.refHint(rs.core.Value, names, "cores"), "unknown core %q", clip(rs.core.Value))
			continue
		case target.Role != RoleCore:
			r.ps.Add(rs.core.Line, rs.core.Field, "list the target Core under cores: (with the account its Core service runs as)", "%s is an inventory %s, not a core", target.Name, target.Role)
			continue
		case target == core.Host:
			r.ps.Add(rs.core.Line, rs.core.Field, "name the other Core this Core replicates to", "%s cannot replicate to itself", core.Name)
			continue
		}
		if prev, dup := seen[target]; dup {
			r.ps.Add(rs.line, rs.field, "remove one of the entries", "%s already replicates to %s (line %d)", core.Name, target.Name, prev)
			continue
		}
		seen[target] = rs.line
		link := &ReplicationLink{Source: core, Line: rs.line, Port: rs.port.Or(DefaultCorePort)}
		// The target's Core is filled in once every Core is built.
		link.Target = &Core{Host: target}
		if rs.name.Set {
			link.NameUsed = rs.name.Value
			r.checkNameBelongs(rs.name, target)
		}
		if rs.account.Set {
			if isLocalSystem(strings.TrimSpace(rs.account.Value.raw)) {
				r.ps.Add(rs.account.Line, rs.account.Field, `give the user the replication wizard was given for the target Core: TARGET\user for a local account of the target, DOMAIN\user or user@dns.domain`, "replication does not use LocalSystem")
			} else if acc, ok := r.account(rs.account, target, core); ok {
				link.Account = acc
			}
		}
		core.Replication = append(core.Replication, link)
	}
}

// linkReplicationTargets points every replication link at the target's
// resolved Core (cores may be listed in any order).
func (r *resolver) linkReplicationTargets() {
	byHost := map[*Host]*Core{}
	for _, c := range r.inv.Cores {
		byHost[c.Host] = c
	}
	for _, c := range r.inv.Cores {
		for _, l := range c.Replication {
			if t := byHost[l.Target.Host]; t != nil {
				l.Target = t
			}
		}
	}
}
