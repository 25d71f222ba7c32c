package verdict

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// SourcePlanned marks a value the what-if overlay plans (it is not on the
// host): shown as planned wherever the value is shown.
const SourcePlanned = "planned"

// sourceOf says where a host's value of s comes from: planned by the
// overlay, the GPO that sets it, local policy or registry, or unknown.
func (hv *hostView) sourceOf(s *facts.Setting) *facts.Source {
	if s == nil {
		return nil
	}
	key := lower(s.ID)
	if hv.changed[key] || hv.assumed[key] {
		return &facts.Source{Kind: SourcePlanned, Why: "what-if"}
	}
	if !hv.scanned {
		return nil
	}
	src := hv.resp.SourceOf(s.RegistryKey())
	return &src
}

// SourceText is a source in words, with the planned kind.
func SourceText(s *facts.Source) string {
	if s == nil {
		return ""
	}
	if s.Kind == SourcePlanned {
		return "planned (what-if, not on the host)"
	}
	return s.Text()
}

// gpoEdit is the Group Policy line for a change of s in the GPO guid:
// the Security Options are in the GPO's security template (GptTmpl.inf,
// [Registry Values], "4,n" for a REG_DWORD and "7,a,b" for a
// REG_MULTI_SZ); values under Software\Policies are Administrative
// Templates, which Set-GPRegistryValue writes.
//
// A list edit of an Administrative Templates value is add-only like the
// local lines: it reads the GPO's list, appends what is missing and
// writes it back. The shape Get-GPRegistryValue gives a REG_MULTI_SZ
// (an array of strings) is UNCONFIRMED: check the result in the GPO.
func gpoEdit(s *facts.Setting, guid string, final, add []string, set *uint64) string {
	if strings.HasPrefix(strings.ToUpper(s.Key), `HKLM\SOFTWARE\POLICIES\`) {
		target := " -Guid " + PSQuote(guid) + " -Key " + PSQuote(s.Key) + " -ValueName " + PSQuote(s.Name)
		switch {
		case set != nil:
			return "Set-GPRegistryValue" + target + " -Type DWord -Value " + strconv.FormatUint(*set, 10)
		case add != nil:
			return "$l = @((Get-GPRegistryValue" + target + " -ErrorAction SilentlyContinue).Value | Where-Object { $_ }); " +
				"foreach ($e in " + psArray(add) + ") { if ($l -notcontains $e) { $l += $e } }; " +
				"Set-GPRegistryValue" + target + " -Type MultiString -Value ([string[]]$l)"
		}
		return ""
	}
	path := `MACHINE\` + strings.TrimPrefix(s.Key, `HKLM\`) + `\` + s.Name
	switch {
	case set != nil:
		return fmt.Sprintf("GptTmpl.inf [Registry Values]: %s=4,%d", path, *set)
	case final != nil:
		return fmt.Sprintf("GptTmpl.inf [Registry Values]: %s=7,%s", path, strings.Join(final, ","))
	}
	return ""
}

// gpoEditMaxEntries caps the entries a security-template line spells out;
// a longer list is named by its count (the change's Final holds it).
const gpoEditMaxEntries = 50

// lever points a registry change at what owns the value: the GPO that
// sets it (an edit of that GPO, no local line), the planned baseline, or
// the local registry (the local line, which a GPO would revert).
func (c *Change) lever(src *facts.Source) {
	c.Source = src
	s := facts.SettingByID(c.SettingID)
	if src == nil || s == nil {
		return
	}
	switch src.Kind {
	case facts.SourceGPO:
		c.GPOEdit = c.gpoEditLine()
		c.PowerShell = ""
		what := "set it to " + c.Value
		if c.Kind == ChangeList {
			what = "add " + strings.Join(c.Add, ", ")
		}
		c.Notes = append([]string{fmt.Sprintf("Edit the GPO %q %s, which sets this value (RSoP precedence %d%s): %s, policy %s: %s. Then run gpupdate /target:computer on %s (or wait for the refresh). No local registry line: the next policy refresh would revert it.",
			src.GPOName, src.GPOGUID, src.Precedence, linkText(src.Link), "Group Policy Management Editor", c.GPOPath, what, c.Host)}, c.Notes...)
	case SourcePlanned:
		c.PowerShell = ""
		c.GPOEdit = c.gpoEditLine()
		c.Notes = append([]string{"The value is planned by the what-if baseline, not on the host: make this change part of the baseline's GPO (or of the what-if change), not a local line."}, c.Notes...)
	case facts.SourceLocal:
		c.Notes = append(c.Notes, "No GPO sets this value (RSoP): the local line is the fix. If a GPO sets it later, a policy refresh overwrites the local value.")
	}
}

// gpoEditLine is the Group Policy edit of a registry change whose value a
// GPO (or the planned baseline) owns, from the change's fields only: the
// engine writes it, and a saved report's is rebuilt with it
// (RebuildScripts), never taken from the file.
func (c *Change) gpoEditLine() string {
	s := facts.SettingByID(c.SettingID)
	if c.Source == nil || s == nil || (c.Kind != ChangeList && c.Kind != ChangeDWORD) {
		return ""
	}
	switch c.Source.Kind {
	case facts.SourceGPO:
		final := c.Final
		if c.Kind == ChangeDWORD {
			final = nil
		}
		switch {
		case c.Source.GPOGUID == "":
			// The local GPO (RSoP id LocalGPO): secpol.msc or gpedit.msc on
			// the host itself; a registry write would be re-applied over.
			return fmt.Sprintf("local group policy on %s (secpol.msc / gpedit.msc): %s", c.Host, c.GPOPath)
		case len(final) > gpoEditMaxEntries && !strings.HasPrefix(strings.ToUpper(s.Key), `HKLM\SOFTWARE\POLICIES\`):
			return fmt.Sprintf("GptTmpl.inf [Registry Values]: MACHINE\\%s\\%s=7,<the final list, %d entries>", strings.TrimPrefix(s.Key, `HKLM\`), s.Name, len(final))
		}
		return gpoEdit(s, c.Source.GPOGUID, final, c.Add, c.Set)
	case SourcePlanned:
		return "add to the planned change (the what-if baseline): " + c.Value
	}
	return ""
}

func linkText(link string) string {
	if link == "" {
		return ""
	}
	return ", linked to " + link
}

// mergeGPOChanges makes one change of the same edit of one GPO on
// several hosts (a domain-wide DC setting is one GPO change, not one per
// DC): same GPO, setting, kind and value; the first host's change keeps
// every path and entry, and Hosts lists them all.
func mergeGPOChanges(in []Change) ([]Change, map[string]string) {
	first := map[string]int{}
	renamed := map[string]string{}
	var merged [][]string // per out index: the IDs it replaces
	out := in[:0]
	for _, c := range in {
		if c.Source == nil || c.Source.Kind != facts.SourceGPO || c.Source.GPOGUID == "" || (c.Kind != ChangeList && c.Kind != ChangeDWORD) {
			out = append(out, c)
			continue
		}
		key := lower(c.Source.GPOGUID) + "|" + lower(c.SettingID) + "|" + string(c.Kind)
		if c.Set != nil {
			key += "|" + strconv.FormatUint(*c.Set, 10)
		}
		i, ok := first[key]
		if !ok {
			first[key] = len(out)
			c.Hosts = []string{c.Host}
			out = append(out, c)
			continue
		}
		m := &out[i]
		merged = append(merged, []string{m.ID, c.ID, strconv.Itoa(i)})
		m.Hosts = append(m.Hosts, c.Host)
		for _, p := range c.Paths {
			if !containsFold(m.Paths, p) {
				m.Paths = append(m.Paths, p)
			}
		}
		for _, a := range c.Add {
			if !containsFold(m.Final, a) {
				m.Add = append(m.Add, a)
				m.Final = append(m.Final, a)
			}
		}
		if m.Kind == ChangeList {
			m.Value = fmt.Sprintf("add %s (final list: %d entries)", strings.Join(m.Add, ", "), len(m.Final))
		}
		m.ID = m.Source.GPOGUID + "|" + m.Setting
		m.noteOnce(fmt.Sprintf("One edit of GPO %q covers %s.", m.Source.GPOName, strings.Join(m.Hosts, ", ")))
	}
	for _, mg := range merged {
		i, _ := strconv.Atoi(mg[2])
		for _, old := range mg[:2] {
			if old != out[i].ID {
				renamed[old] = out[i].ID
			}
		}
	}
	for old, id := range renamed { // an ID renamed twice points at the last
		for renamed[id] != "" && renamed[id] != id {
			id = renamed[id]
		}
		renamed[old] = id
	}
	for i := range out {
		if c := &out[i]; c.Kind == ChangeList && c.GPOEdit != "" && len(c.Hosts) > 1 {
			c.GPOEdit = c.gpoEditLine() // the merged list
		}
	}
	return out, renamed
}

// restrictionOf is the setting whose Deny makes an exception list matter.
var restrictionOf = map[string]string{
	lower(facts.ClientAllowedNTLMServers):        facts.RestrictSendingNTLMTraffic,
	lower(facts.DCAllowedNTLMServers):            facts.RestrictNTLMInDomain,
	lower(facts.SMBBlockNTLMServerExceptionList): facts.SMBBlockNTLM,
}

// withBaseline notes, on a list change whose restriction the what-if
// baseline plans on the host, that the entries belong with the baseline:
// deployed through the same GPO (or added to the what-if change), they
// arrive together with the Deny they make safe.
func (c *Change) withBaseline(hv *hostView) {
	if c.Kind != ChangeList {
		return
	}
	r := restrictionOf[lower(c.SettingID)]
	if r == "" || !hv.changed[lower(r)] {
		return
	}
	c.noteOnce(fmt.Sprintf("The what-if baseline plans %s on %s: add these entries to the planned GPO that sets it (or to the what-if change), so they arrive with the baseline instead of after it.", settingByID(r).Name, c.Host))
}
