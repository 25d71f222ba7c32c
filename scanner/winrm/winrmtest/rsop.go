package winrmtest

import (
	"strings"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// RSoP is the lab's Resultant Set of Policy of a host: what the
// collector's RSoP queries (RSOP_GPO, RSOP_RegistryValue,
// RSOP_RegistryPolicySetting in root\rsop\computer) answer. Unset, the
// host answers that no GPO applies but RSoP works (every value is then
// "local": not set by any GPO); a value in the registry that no GPO
// sets is how a tattooed value looks.
//
//	rsop:
//	  gpos:
//	    - name: NTLM Baseline
//	      guid: "{6AC1786C-016F-11D2-945F-00C04FB984F9}"
//	      link: OU=Servers,DC=corp,DC=example
//	      sets: ['HKLM\SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0\RestrictSendingNTLMTraffic']
//	  unavailable: true       # RSoP logging off: no GPO at all in the namespace
//	  error: Access denied    # the queries fail with this message
//
// GPOs are listed in precedence order: the first that sets a value wins
// (precedence 1); a value set by two GPOs has the later one at 2.
type RSoP struct {
	GPOs        []RSoPGPO `yaml:"gpos"`
	Unavailable bool      `yaml:"unavailable"`
	Error       string    `yaml:"error"`
}

// RSoPGPO is one GPO applied to the host and the registry values (full
// paths, HKLM\...\Name) it sets.
type RSoPGPO struct {
	Name string   `yaml:"name"`
	GUID string   `yaml:"guid"`
	Link string   `yaml:"link"`
	Sets []string `yaml:"sets"`
}

// policySources is the collector's "policy sources (RSoP)" section: only
// the values asked for (Test-RsopWanted) are answered.
func (h *Host) policySources(asked []facts.RegistryValue) *facts.PolicySources {
	wanted := map[string]bool{}
	for _, v := range asked {
		wanted[strings.ToLower(trimHive(v.Key)+`\`+v.Name)] = true
	}
	out := &facts.PolicySources{Method: "rsop-wmi", Status: facts.PolicyOK}
	r := h.RSoP
	if r == nil {
		// Every domain member and workgroup host has at least the local GPO.
		out.GPOs = []facts.GPO{{ID: "LocalGPO", Name: "Local Group Policy"}}
		return out
	}
	switch {
	case r.Error != "":
		out.Status, out.Error = facts.PolicyError, r.Error
		return out
	case r.Unavailable:
		out.Status = facts.PolicyUnavailable
		return out
	}
	out.GPOs = []facts.GPO{{ID: "LocalGPO", Name: "Local Group Policy"}}
	prec := map[string]int{}
	for _, g := range r.GPOs {
		id := "CN=" + g.GUID + ",CN=Policies,CN=System," + h.domainDN()
		out.GPOs = append(out.GPOs, facts.GPO{ID: id, Name: g.Name, GUID: g.GUID})
		for _, path := range g.Sets {
			k := strings.ToLower(path)
			if !wanted[strings.ToLower(trimHive(path))] {
				continue
			}
			prec[k]++
			class, rsopPath := "RSOP_RegistryValue", "MACHINE\\"+trimHive(path)
			if strings.Contains(strings.ToLower(path), `\software\policies\`) {
				class, rsopPath = "RSOP_RegistryPolicySetting", trimHive(path)
			}
			out.Settings = append(out.Settings, facts.PolicySetting{Path: rsopPath, GPOID: id, Precedence: prec[k], SOM: g.Link, Class: class})
		}
	}
	return out
}

func trimHive(p string) string {
	if i := strings.IndexByte(p, '\\'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// domainDN is DC=corp,DC=example for the host's domain.
func (h *Host) domainDN() string {
	if h.Domain == "" {
		return "DC=" + h.Name
	}
	return "DC=" + strings.ReplaceAll(h.Domain, ".", ",DC=")
}

// rsop validates the host's rsop block.
func (v *validator) rsop(h *Host, where string) {
	if h.RSoP == nil {
		return
	}
	seen := map[string]bool{}
	for _, g := range h.RSoP.GPOs {
		if g.Name == "" || !rsopGUIDRE.MatchString(g.GUID) {
			v.errorf(h.Line, "%s: rsop: every GPO needs a name and a guid such as {6AC1786C-016F-11D2-945F-00C04FB984F9}", where)
		}
		if seen[strings.ToLower(g.GUID)] {
			v.errorf(h.Line, "%s: rsop: GPO %s is listed twice", where, g.GUID)
		}
		seen[strings.ToLower(g.GUID)] = true
		for _, p := range g.Sets {
			if !strings.HasPrefix(strings.ToUpper(p), `HKLM\`) {
				v.errorf(h.Line, "%s: rsop: GPO %q sets %q: want a full HKLM\\...\\Name path", where, g.Name, p)
			}
		}
	}
}
