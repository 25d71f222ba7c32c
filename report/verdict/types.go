// Package verdict is the pure NTLM path verdict engine: inventory and
// collected facts (and an optional what-if overlay) in, a matrix of
// Core->agent and Core->share paths out. It performs no I/O.
package verdict

// Verdict is the outcome for one path.
type Verdict string

const (
	OK          Verdict = "ok"
	AtRisk      Verdict = "at-risk"
	Blocked     Verdict = "blocked"
	Unreachable Verdict = "unreachable" // the Core's own TCP probe failed
	Unknown     Verdict = "unknown"     // a host the verdict needs could not be scanned
)

// Severity orders verdicts from best to worst for sorting and --fail-on.
func (v Verdict) Severity() int {
	switch v {
	case OK:
		return 0
	case Unknown:
		return 1
	case AtRisk:
		return 2
	case Unreachable:
		return 3
	case Blocked:
		return 4
	}
	return 5
}

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
)

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
)

// Remediation is the exact change that removes a blocking reason.
type Remediation struct {
	Host       string `json:"host"`              // where to change it
	Setting    string `json:"setting"`           // registry value name
	Value      string `json:"value"`             // the value or exception entry to set/add
	PowerShell string `json:"powershell"`        // a line an admin can run on Host
	GPOPath    string `json:"gpoPath,omitempty"` // Group Policy path + display name
	Note       string `json:"note,omitempty"`
}

// Reason is one contributing cause of a verdict.
type Reason struct {
	Host        string       `json:"host"`                 // inventory name of the host that holds the setting
	Role        string       `json:"role"`                 // client, server, domain-controller, path
	Setting     string       `json:"setting,omitempty"`    // registry value name (e.g. RestrictSendingNTLMTraffic)
	GPOName     string       `json:"gpoName,omitempty"`    // Group Policy display name
	RawValue    string       `json:"rawValue,omitempty"`   // "2", "absent", "[a, b]"
	ValueLabel  string       `json:"valueLabel,omitempty"` // "Deny all"
	Effect      Effect       `json:"effect"`
	Event       string       `json:"event,omitempty"` // event id logged where it is enforced, e.g. "4001 on CORE01"
	Explanation string       `json:"explanation"`
	Unconfirmed bool         `json:"unconfirmed,omitempty"` // rests on an UNCONFIRMED rule
	Remediation *Remediation `json:"remediation,omitempty"`
}

// Path is one Core->target path with its verdict.
type Path struct {
	ID        string   `json:"id"` // stable: core|kind|target|name
	Core      string   `json:"core"`
	Target    string   `json:"target"` // inventory host name
	Kind      Kind     `json:"kind"`
	Share     string   `json:"share,omitempty"` // UNC path for share paths
	NameUsed  string   `json:"nameUsed"`
	NameForm  NameForm `json:"nameForm"`
	Port      int      `json:"port"`
	Account   string   `json:"account"`
	Reachable string   `json:"reachable"` // "yes", "no", "unknown", with details in Reasons
	Need      Need     `json:"ntlmNeeded"`
	NeedWhy   string   `json:"ntlmNeededWhy"`
	Verdict   Verdict  `json:"verdict"`
	// Deciding is the reason that set the verdict (nil for a plain ok).
	Deciding *Reason  `json:"deciding,omitempty"`
	Reasons  []Reason `json:"reasons"`
	// Before is the verdict without the what-if overlay, set only when an
	// overlay was applied.
	Before *PathBefore `json:"before,omitempty"`
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
}

// Matrix is the engine's output.
type Matrix struct {
	Paths []Path `json:"paths"` // sorted by Core, Kind, Target, NameUsed
	// HostNotes are findings about a host that do not belong to one path
	// (for example a Core service account in Protected Users).
	HostNotes []Reason `json:"hostNotes,omitempty"`
	Overlay   string   `json:"overlay,omitempty"` // name of the applied overlay
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
	SettingReachability   = "reachability"         // the Core's TCP probe
	SettingScan           = "scan"                 // the host could not be scanned
	SettingNameUsed       = "name-used"            // how the Core names the target
	SettingDomain         = "domain-membership"    // workgroup / domain of the target
	SettingAccount        = "account"              // local vs domain account
	SettingTrust          = "trust"                // forest / trust between account and target domain
	SettingProtectedUsers = "Protected Users"      // group membership stated in the inventory
	SettingDescribed      = "described-properties" // a described (unscanned) host such as a NAS
	SettingService        = "service"              // the Core service
	SettingIdentity       = "identity"             // scanned identity vs inventory
)

// PathID returns the stable identifier of a path: core|kind|target|nameUsed.
func PathID(core string, kind Kind, target, nameUsed string) string {
	return core + "|" + string(kind) + "|" + target + "|" + nameUsed
}
