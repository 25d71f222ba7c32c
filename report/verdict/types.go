// Package verdict is the pure NTLM path verdict engine: inventory and
// collected facts (and an optional what-if overlay) in, a matrix of
// Core->agent and Core->share paths out. It performs no I/O.
package verdict

import "github.com/ntlmscan/ntlmscan/scanner/facts"

// Verdict is the outcome for one path.
type Verdict string

const (
	OK          Verdict = "ok"
	AtRisk      Verdict = "at-risk"
	Blocked     Verdict = "blocked"
	Unreachable Verdict = "unreachable" // the Core's own TCP probe failed
	Unknown     Verdict = "unknown"     // a host the verdict needs could not be scanned
	// BlockedSuspected: the target refused ntlmscan's own NTLM logon by
	// policy (scan error class auth-refused-ntlm-policy), so the Core's NTLM
	// logon is most likely refused too, but the setting could not be read.
	BlockedSuspected Verdict = "blocked-suspected"
)

// Order lists every verdict worst first. It is the one place that ranks
// verdicts: the engine, the grid, --fail-on, diff and `ntlmscan help verdicts`
// follow it.
//
//   - blocked: a setting that was read denies NTLM on a path that needs it;
//   - blocked-suspected: the target refused NTLM by policy when ntlmscan
//     logged on, so the path is very likely blocked (counted as blocked);
//   - unknown: a host or value the verdict needs could not be read, and it
//     may hide a block;
//   - at-risk: may be denied (only on Negotiate fallback, only on some of
//     several DCs, an UNCONFIRMED rule, or --strict);
//   - unreachable: every NTLM check passed, but the Core could not reach
//     the target over TCP;
//   - ok.
func Order() []Verdict {
	return []Verdict{Blocked, BlockedSuspected, Unknown, AtRisk, Unreachable, OK}
}

// Severity ranks verdicts from best (0, ok) to worst; an unrecognised
// verdict ranks worst of all so that it is never hidden.
func (v Verdict) Severity() int {
	order := Order()
	for i, o := range order {
		if o == v {
			return len(order) - 1 - i
		}
	}
	return len(order)
}

// Blocking reports a verdict that counts as blocked: --fail-on blocked and
// diff's "new" both count blocked and blocked-suspected paths.
func (v Verdict) Blocking() bool { return v == Blocked || v == BlockedSuspected }

// Need says whether a path needs NTLM at all.
type Need string

const (
	NeedRequired Need = "required"      // Kerberos will not be attempted
	NeedFallback Need = "fallback-only" // Kerberos expected; NTLM if Negotiate falls back
	NeedUnknown  Need = "unknown"
)

// Kind is the kind of path.
type Kind string

const (
	KindAgent Kind = "agent" // Core -> agent service (and recovery point mounts)
	KindShare Kind = "share" // Core -> repository / archive share over SMB
	// KindReplication: source Core -> target Core's service, with the
	// account entered in the replication wizard.
	KindReplication Kind = "replication"
)

// Kinds lists every path kind, in matrix order.
func Kinds() []Kind { return []Kind{KindAgent, KindReplication, KindShare} }

// NameForm is how the Core names the target.
type NameForm string

const (
	NameFQDN    NameForm = "fqdn"
	NameNetBIOS NameForm = "netbios"
	NameIP      NameForm = "ip"
	NameOther   NameForm = "other" // CNAME / alias / unknown short name
)

// Effect is what a reason does to the path.
type Effect string

const (
	EffectBlocks    Effect = "blocks"     // NTLM is denied here
	EffectRisk      Effect = "risk"       // may be denied; rests on an UNCONFIRMED rule or strict mode
	EffectAudit     Effect = "audit"      // only logged
	EffectAllows    Effect = "allows"     // explicitly allowed (exception matched, Allow all)
	EffectUnknown   Effect = "unknown"    // could not be verified (host not scanned)
	EffectInfo      Effect = "info"       // context, no effect on the verdict
	EffectNeedsNTLM Effect = "needs-ntlm" // why NTLM is needed
	// EffectSuspected: the host refused ntlmscan's NTLM logon by policy, so
	// it very likely refuses the Core's too (blocked-suspected).
	EffectSuspected Effect = "suspected-block"
	// EffectNotChecked: a check could not be made because the inventory
	// lacks the hosts it needs (no DC of a domain); a coverage gap that
	// leaves the verdict to the hosts that were checked (at-risk with
	// --strict).
	EffectNotChecked Effect = "not-checked"
)

// Remediation is the exact change that removes a blocking reason, as this
// path needs it. Matrix.Plan merges the remediations of every path into
// one change per host and setting; Change names that entry.
type Remediation struct {
	Host       string `json:"host"`              // where to change it
	Setting    string `json:"setting"`           // registry value name
	Value      string `json:"value"`             // the value or exception entry to set/add
	PowerShell string `json:"powershell"`        // a line an admin can run on Host; idempotent, add-only for lists
	GPOPath    string `json:"gpoPath,omitempty"` // Group Policy path + display name
	Note       string `json:"note,omitempty"`
	// SettingID is the facts setting ID for registry changes.
	SettingID string `json:"settingId,omitempty"`
	// Add lists the exception entries this path needs (list settings).
	Add []string `json:"add,omitempty"`
	// Set is the REG_DWORD value to write (DWORD settings).
	Set *uint64 `json:"set,omitempty"`
	// Rename asks to re-register the target in the Core under another name.
	Rename *Rename `json:"rename,omitempty"`
	// Change is the ID of the Matrix.Plan entry that carries this fix.
	Change string `json:"change,omitempty"`
}

// Rename is a change in the Rapid Recovery Core: use another name for a
// target (for example its FQDN instead of an IP address).
type Rename struct {
	Core   string `json:"core"`
	Target string `json:"target"`
	From   string `json:"from"`
	To     string `json:"to"`
	// Kind is the kind of path renamed: an agent is re-registered, a
	// replication target's host name is edited ("" reads as agent).
	Kind Kind `json:"kind,omitempty"`
}

// ChangeKind says what a plan entry changes.
type ChangeKind string

const (
	ChangeList   ChangeKind = "registry-list-add" // add entries to a REG_MULTI_SZ list
	ChangeDWORD  ChangeKind = "registry-dword"    // set a REG_DWORD value
	ChangeRename ChangeKind = "core-name"         // re-register a target in the Core
	ChangeManual ChangeKind = "manual"            // anything else (group membership, network, vendor)
)

// Change is one entry of the change plan: everything one host needs for
// one setting, merged over every path that needs it. For a list it holds
// the full final list (what the host has plus every entry any path needs),
// and its PowerShell only ever adds missing entries, so running the lines
// of a report in any order, or twice, never removes an entry.
type Change struct {
	ID        string     `json:"id"` // host|setting (|target for renames), stable
	Kind      ChangeKind `json:"kind"`
	Host      string     `json:"host"`
	Setting   string     `json:"setting"`
	SettingID string     `json:"settingId,omitempty"`
	Key       string     `json:"key,omitempty"`  // registry key (HKLM\...)
	Type      string     `json:"type,omitempty"` // REG_DWORD or REG_MULTI_SZ
	// Add lists the entries to add (lists): missing on the host, needed by
	// at least one path.
	Add []string `json:"add,omitempty"`
	// Current counts the entries the host has now (lists).
	Current int `json:"current,omitempty"`
	// Final is the full list after the change (lists): the host's entries
	// followed by Add.
	Final []string `json:"final,omitempty"`
	// Set is the REG_DWORD value to write.
	Set    *uint64 `json:"set,omitempty"`
	Rename *Rename `json:"rename,omitempty"`
	// Value says the change in words ("add 2 entries: a, b", "0 (Allow all)").
	Value      string   `json:"value"`
	PowerShell string   `json:"powershell,omitempty"`
	GPOPath    string   `json:"gpoPath,omitempty"`
	Notes      []string `json:"notes,omitempty"`
	// Paths are the IDs of the paths this change fixes or helps.
	Paths []string `json:"paths"`
	// Was is the value the host has now, as scanned: a DWORD number,
	// "absent", or the list's entries ("" when unknown). The undo script
	// restores it.
	Was string `json:"was,omitempty"`
	// Source is where the value comes from now; for a GPO the change is
	// an edit of that GPO (GPOEdit), not a local registry write.
	Source *facts.Source `json:"source,omitempty"`
	// GPOEdit is the Group Policy edit that makes the change where a GPO
	// sets the value: a Set-GPRegistryValue line (Administrative
	// Templates) or the security template's [Registry Values] line.
	GPOEdit string `json:"gpoEdit,omitempty"`
	// Hosts lists every host a GPO edit covers, when one GPO change
	// replaces the same change on several hosts (the DCs of a domain).
	Hosts []string `json:"hosts,omitempty"`
	// Guard is the computer name a script section for Host checks: the
	// inventory's NetBIOS name, never the name the host reported.
	Guard string `json:"guard,omitempty"`
	// Step is StepAudit for the plan's phase 0 (turn on NTLM auditing,
	// evidence_plan.go); "" for the fixes.
	Step string `json:"step,omitempty"`
}

// Reason is one contributing cause of a verdict.
type Reason struct {
	Host        string `json:"host"`                 // inventory name of the host that holds the setting
	Role        string `json:"role"`                 // client, server, domain-controller, path
	Setting     string `json:"setting,omitempty"`    // registry value name (e.g. RestrictSendingNTLMTraffic)
	GPOName     string `json:"gpoName,omitempty"`    // Group Policy display name
	RawValue    string `json:"rawValue,omitempty"`   // "2", "absent", "[a, b]"
	ValueLabel  string `json:"valueLabel,omitempty"` // "Deny all"
	Effect      Effect `json:"effect"`
	Event       string `json:"event,omitempty"` // event id logged where it is enforced, e.g. "4001 on CORE01"
	Explanation string `json:"explanation"`
	Unconfirmed bool   `json:"unconfirmed,omitempty"` // rests on an UNCONFIRMED rule
	// ValueInFacts: the value is a list kept once in the report's host
	// facts (Host + Setting), not copied here; RawValue only counts it.
	ValueInFacts bool         `json:"valueInFacts,omitempty"`
	Remediation  *Remediation `json:"remediation,omitempty"`
	// Source says where the value comes from (the GPO that sets it, local
	// policy or registry, planned by the what-if, or unknown); set on a
	// path's deciding reason.
	Source *facts.Source `json:"source,omitempty"`

	// srcHost and srcSetting let the deciding reason find its Source.
	srcHost    *hostView
	srcSetting *facts.Setting
}

// Path is one Core->target path with its verdict.
type Path struct {
	ID       string   `json:"id"` // stable: core|kind|target|name
	Core     string   `json:"core"`
	Target   string   `json:"target"` // inventory host name
	Kind     Kind     `json:"kind"`
	Share    string   `json:"share,omitempty"` // UNC path for share paths
	NameUsed string   `json:"nameUsed"`
	NameForm NameForm `json:"nameForm"`
	Port     int      `json:"port"`
	Account  string   `json:"account"`
	// Operations are the Rapid Recovery operations this path serves
	// (inventory.Operation values): what fails when it is blocked. Empty
	// in reports of schema 2 and older.
	Operations []string `json:"operations,omitempty"`
	// Impact says, for a path that is not ok, which operations fail or may
	// fail ("Virtual Standby to HV01 will fail").
	Impact    string  `json:"impact,omitempty"`
	Reachable string  `json:"reachable"` // "yes", "no", "unknown", with details in Reasons
	Need      Need    `json:"ntlmNeeded"`
	NeedWhy   string  `json:"ntlmNeededWhy"`
	Verdict   Verdict `json:"verdict"`
	// Deciding is the reason that set the verdict (nil for a plain ok).
	Deciding *Reason  `json:"deciding,omitempty"`
	Reasons  []Reason `json:"reasons"`
	// Before is the verdict without the what-if overlay, set only when an
	// overlay was applied.
	Before *PathBefore `json:"before,omitempty"`
	// Evidence is what the NTLM event logs and the KDC show for the path
	// (evidence.go); nil for a path plainly ok or blocked by its settings
	// with no event of its own, and in reports of older versions.
	Evidence *Evidence `json:"evidence,omitempty"`
}

// PathBefore is the pre-overlay outcome of a path.
type PathBefore struct {
	Verdict  Verdict `json:"verdict"`
	Deciding *Reason `json:"deciding,omitempty"`
}

// Changed reports whether the overlay changed the verdict.
func (p *Path) Changed() bool { return p.Before != nil && p.Before.Verdict != p.Verdict }

// Options tune the evaluation.
type Options struct {
	// Strict follows Quest's advice that anything short of an explicit
	// "Allow all" is at-risk (absent / audit values become at-risk).
	Strict bool
	// Catalogue is the settings table the engine reads values and labels
	// from; nil is facts.Default().
	Catalogue *facts.Catalogue
	// rules replaces the registered rules (pathRules); tests set it to
	// show a new setting needs one row and one rule.
	rules []rule
}

// Matrix is the engine's output.
type Matrix struct {
	Paths []Path `json:"paths"` // sorted by Core, Kind, Target, NameUsed
	// HostNotes are findings about a host that do not belong to one path
	// (for example a Core service account in Protected Users).
	HostNotes []Reason `json:"hostNotes,omitempty"`
	Overlay   string   `json:"overlay,omitempty"` // name of the applied overlay
	// Coverage lists checks the inventory did not allow (a domain without
	// DCs in it), once per domain.
	Coverage []Coverage `json:"coverage,omitempty"`
	// Plan is the change plan: one entry per host and setting, merged over
	// every path that needs it (see Change).
	Plan []Change `json:"plan,omitempty"`
	// PlanSummary counts what the what-if baseline newly blocks or puts at
	// risk (only with an overlay).
	PlanSummary *PlanSummary `json:"planSummary,omitempty"`
	// UnmatchedEvents are the NTLM event groups, per host, that no path
	// claimed (listed, never dropped).
	UnmatchedEvents []HostEvents `json:"unmatchedEvents,omitempty"`
	// AtRiskByEvidence counts the at-risk paths per evidence state (the
	// JSON summary of AtRiskByEvidence).
	AtRiskEvidence map[EvidenceState]int `json:"atRiskByEvidence,omitempty"`
}

// Coverage is one gap in what the scan could check.
type Coverage struct {
	Domain string `json:"domain"`
	Paths  int    `json:"paths"` // path checks that were skipped
	Note   string `json:"note"`  // "Pass-through on DCs of corp.example not checked: add them ..."
}

// Counts returns the number of paths per verdict.
func (m *Matrix) Counts() map[Verdict]int {
	out := map[Verdict]int{}
	for _, p := range m.Paths {
		out[p.Verdict]++
	}
	return out
}

// Reason.Role values: which part of the authentication the reason is about.
const (
	RoleClient  = "client"            // the Core (MSV1_0 client, SMB client)
	RoleServer  = "server"            // the agent or share host
	RoleDC      = "domain-controller" // a DC doing pass-through or account checks
	RolePath    = "path"              // the path itself (name used, reachability)
	RoleAccount = "account"           // the identity the Core presents
	RoleOverlay = "overlay"           // a what-if change (host notes only)
)

// Path.Reachable values.
const (
	ReachYes     = "yes"
	ReachNo      = "no"
	ReachUnknown = "unknown"
)

// Reason.Setting values for reasons that are not about one registry value.
const (
	SettingReachability    = "reachability"         // the Core's TCP probe
	SettingScan            = "scan"                 // the host could not be scanned
	SettingNameUsed        = "name-used"            // how the Core names the target
	SettingDomain          = "domain-membership"    // workgroup / domain of the target
	SettingAccount         = "account"              // local vs domain account
	SettingTrust           = "trust"                // forest / trust between account and target domain
	SettingProtectedUsers  = "Protected Users"      // group membership stated in the inventory
	SettingDescribed       = "described-properties" // a described (unscanned) host such as a NAS
	SettingService         = "service"              // the Core service
	SettingIdentity        = "identity"             // scanned identity vs inventory
	SettingCredentialGuard = "Credential Guard"     // Win32_DeviceGuard's running services
	SettingEvents          = "ntlm-events"          // the NTLM operational log (evidence)
	SettingReplication     = "replication"          // a replication path: who validates, the other direction
)

// PathID returns the stable identifier of a path: core|kind|target|nameUsed.
func PathID(core string, kind Kind, target, nameUsed string) string {
	return core + "|" + string(kind) + "|" + target + "|" + nameUsed
}
