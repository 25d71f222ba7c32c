package facts

import (
	"strings"
)

// PolicySources is what the host's Resultant Set of Policy says about the
// values read: which GPO sets each one. The collector reads the Group
// Policy engine's RSoP logging data in root\rsop\computer with CIM
// (RSOP_GPO, RSOP_RegistryValue for the Security Options, which Windows
// logs as security registry values, and RSOP_RegistryPolicySetting for
// Administrative Templates such as the SMB client's Block NTLM). It was
// chosen over `gpresult /scope computer /x`: no elevated child process, no
// temporary file, no XML whose element for multi-string values is
// undocumented, and each query is bounded by its own timeout. RSoP data is
// what the last policy refresh logged; with RSoP logging turned off by
// policy the classes are empty, so an empty answer is "unknown", never
// "not set by any GPO". UNCONFIRMED: that RSOP_RegistryValue.Path has the
// GptTmpl form MACHINE\System\...\Name (matching ignores the hive prefix
// and case either way), and whether the local GPO's security options
// appear there (they would show as GPO "Local Group Policy", no GUID).
type PolicySources struct {
	// Method is how the sources were read ("rsop-wmi").
	Method string `json:"method"`
	// Status: PolicyOK (the data was read), PolicyUnavailable (the
	// namespace holds no RSoP data) or PolicyError (a query failed).
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	// Millis is how long the read took on the host.
	Millis   int64           `json:"ms"`
	GPOs     []GPO           `json:"gpos,omitempty"`
	Settings []PolicySetting `json:"settings,omitempty"`
}

// PolicySources.Status values.
const (
	PolicyOK          = "ok"
	PolicyUnavailable = "unavailable"
	PolicyError       = "error"
)

// GPO is one RSOP_GPO instance.
type GPO struct {
	ID   string `json:"id"`   // RSoP id, the GPO's directory path (CN={GUID},CN=Policies,...) or LocalGPO
	Name string `json:"name"` // display name
	GUID string `json:"guid"` // {GUID}; empty for the local GPO
}

// PolicySetting is one RSoP instance that sets a registry value: Path is
// the value's registry path without the hive (SYSTEM\...\Name).
type PolicySetting struct {
	Path       string `json:"path"`
	GPOID      string `json:"gpoId"`
	Precedence int    `json:"precedence"` // 1 wins
	SOM        string `json:"som,omitempty"`
	Class      string `json:"class,omitempty"` // RSOP_RegistryValue or RSOP_RegistryPolicySetting
}

// Source kinds.
const (
	SourceGPO     = "gpo"     // a GPO sets the value (RSoP precedence 1)
	SourceLocal   = "local"   // no GPO sets it: local policy, a direct registry write or a value a removed GPO left behind
	SourceUnknown = "unknown" // RSoP could not be read
)

// Source says where a value in force comes from.
type Source struct {
	Kind       string `json:"kind"`
	GPOName    string `json:"gpoName,omitempty"`
	GPOGUID    string `json:"gpoGuid,omitempty"`
	Precedence int    `json:"precedence,omitempty"`
	Link       string `json:"link,omitempty"` // the SOM (site, domain or OU) the GPO is linked to, where RSoP names it
	// Also names the other GPOs that set the value with lower precedence.
	Also []string `json:"also,omitempty"`
	Why  string   `json:"why,omitempty"` // why it is unknown
}

// Text is the source in words: `GPO "NTLM Baseline" {GUID}`, "local
// policy or registry (no GPO sets it)", "unknown (...)".
func (s Source) Text() string {
	switch s.Kind {
	case SourceGPO:
		t := "GPO \"" + s.GPOName + "\""
		if s.GPOGUID != "" {
			t += " " + s.GPOGUID
		}
		if s.Link != "" {
			t += " linked to " + s.Link
		}
		if len(s.Also) > 0 {
			t += " (also set by " + strings.Join(s.Also, ", ") + " with lower precedence)"
		}
		return t
	case SourceLocal:
		return "local policy or registry (no GPO sets it)"
	}
	if s.Why != "" {
		return "unknown (" + s.Why + ")"
	}
	return "unknown"
}

// regPath is a registry path without its hive, for matching RSoP's
// MACHINE\System\... and ntlmscan's HKLM\SYSTEM\... forms (compared with
// strings.EqualFold; no allocation, the engine asks per path).
func regPath(p string) string {
	p = strings.TrimSpace(p)
	for _, h := range []string{`hklm\`, `hkey_local_machine\`, `machine\`} {
		if len(p) >= len(h) && strings.EqualFold(p[:len(h)], h) {
			return p[len(h):]
		}
	}
	return p
}

// SourceOf says which GPO sets the value k, from the host's RSoP data.
func (r *Response) SourceOf(k RegistryKey) Source {
	p := r.PolicySources
	switch {
	case p == nil:
		return Source{Kind: SourceUnknown, Why: "policy sources not collected"}
	case p.Status != PolicyOK:
		why := "RSoP " + p.Status
		if p.Error != "" {
			why += ": " + p.Error
		}
		return Source{Kind: SourceUnknown, Why: why}
	}
	want := regPath(k.Key)
	var win *PolicySetting
	var others []*PolicySetting
	for i := range p.Settings {
		s := &p.Settings[i]
		// Path is key\name: the value name after the last backslash.
		i := strings.LastIndexByte(s.Path, '\\')
		if i < 0 || !strings.EqualFold(s.Path[i+1:], k.Name) || !strings.EqualFold(regPath(s.Path[:i]), want) {
			continue
		}
		if win == nil || s.Precedence < win.Precedence {
			if win != nil {
				others = append(others, win)
			}
			win = s
		} else {
			others = append(others, s)
		}
	}
	if win == nil {
		return Source{Kind: SourceLocal}
	}
	g := p.gpo(win.GPOID)
	out := Source{Kind: SourceGPO, GPOName: g.Name, GPOGUID: g.GUID, Precedence: win.Precedence, Link: win.SOM}
	for _, o := range others {
		if n := p.gpo(o.GPOID).Name; n != "" && n != out.GPOName {
			out.Also = append(out.Also, "\""+n+"\"")
		}
	}
	return out
}

// gpo finds a GPO by its RSoP id; an unknown id is named by itself.
func (p *PolicySources) gpo(id string) GPO {
	for _, g := range p.GPOs {
		if strings.EqualFold(g.ID, id) {
			return g
		}
	}
	return GPO{ID: id, Name: id}
}
