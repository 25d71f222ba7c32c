package verdict

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// buildPlan merges the remediations of every path into one change per host
// and setting (and one per Core rename), and points each remediation at its
// change. A list change holds the full final list: what the host has now
// plus every entry any path needs, so applying the plan's changes in any
// order fixes every path they are for.
func buildPlan(e *engine, paths []Path) []Change {
	byKey := map[string]*Change{}
	var order []*Change
	// have holds, per list change, the lower-case entries the final list
	// has so far (the host's list, then every addition).
	have := map[*Change]map[string]bool{}
	get := func(key string, init func() *Change) *Change {
		if c := byKey[key]; c != nil {
			return c
		}
		c := init()
		byKey[key] = c
		order = append(order, c)
		return c
	}
	for pi := range paths {
		p := &paths[pi]
		for ri := range p.Reasons {
			rem := p.Reasons[ri].Remediation
			if rem == nil {
				continue
			}
			if c := e.scopedChange(p, rem, get); c != nil {
				divert(rem, c)
				rem.Change = c.addPath(p.ID, "")
				continue
			}
			var ids []string
			if len(rem.Add) > 0 {
				c := get(lower(rem.Host)+"|"+lower(rem.SettingID), func() *Change { return e.listChange(rem) })
				set := have[c]
				if set == nil {
					set = make(map[string]bool, len(c.Final))
					for _, f := range c.Final {
						set[lower(f)] = true
					}
					have[c] = set
				}
				for _, a := range rem.Add {
					if k := lower(a); a != "" && !set[k] {
						set[k] = true
						c.Add = append(c.Add, a)
					}
				}
				ids = append(ids, c.addPath(p.ID, rem.Note))
			}
			if rem.Rename != nil {
				rn := *rem.Rename
				c := get(lower(rn.Core)+"|core-name|"+lower(rn.Target)+"|"+lower(rn.From), func() *Change {
					return &Change{
						Kind: ChangeRename, Host: rn.Core, Setting: "name of " + rn.Target + " in the Rapid Recovery Core",
						Rename: &rn, Value: rn.From + " -> " + rn.To,
						Notes: []string{renameNote(rn)},
					}
				})
				ids = append(ids, c.addPath(p.ID, ""))
			}
			if len(rem.Add) == 0 && rem.Rename == nil {
				var c *Change
				if rem.Set != nil && rem.SettingID != "" {
					c = get(lower(rem.Host)+"|"+lower(rem.SettingID), func() *Change { return dwordChange(rem) })
					if *c.Set != *rem.Set {
						c.noteOnce(fmt.Sprintf("Another path asks for %s=%d on %s; this plan keeps %d.", rem.Setting, *rem.Set, rem.Host, *c.Set))
					}
				} else {
					c = get(lower(rem.Host)+"|"+lower(rem.Setting)+"|"+lower(rem.Value), func() *Change {
						return &Change{Kind: ChangeManual, Host: rem.Host, Setting: rem.Setting, Value: rem.Value,
							PowerShell: rem.PowerShell, GPOPath: rem.GPOPath}
					})
				}
				ids = append(ids, c.addPath(p.ID, rem.Note))
			}
			if len(ids) > 0 {
				rem.Change = ids[0]
			}
		}
		if d := p.Deciding; d != nil && d.Remediation != nil {
			for ri := range p.Reasons {
				r := &p.Reasons[ri]
				if r.Remediation != nil && r.Host == d.Host && r.Setting == d.Setting && r.Explanation == d.Explanation {
					// The reason's remediation is the one the plan scoped
					// (a diverted fix is rewritten there).
					*d.Remediation = *r.Remediation
					break
				}
			}
		}
	}
	out := make([]Change, 0, len(order))
	for _, c := range order {
		c.finish()
		if h := e.inv.HostByName(c.Host); h != nil {
			c.Guard = e.view(h).inventoryNetBIOS()
			if c.SettingID != "" {
				c.Was = wasText(e.view(h).get(c.SettingID))
				if c.Kind == ChangeList || c.Kind == ChangeDWORD {
					c.lever(e.view(h).sourceOf(settingByID(c.SettingID)))
					c.withBaseline(e.view(h))
				}
			}
		}
		out = append(out, *c)
	}
	var renamed map[string]string
	out, renamed = mergeGPOChanges(out)
	for pi := range paths {
		p := &paths[pi]
		for ri := range p.Reasons {
			if rem := p.Reasons[ri].Remediation; rem != nil && renamed[rem.Change] != "" {
				rem.Change = renamed[rem.Change]
			}
		}
		if d := p.Deciding; d != nil && d.Remediation != nil && renamed[d.Remediation.Change] != "" {
			d.Remediation.Change = renamed[d.Remediation.Change]
		}
	}
	slices.SortStableFunc(out, func(a, b Change) int {
		return cmp.Or(foldCompare(a.Host, b.Host), cmp.Compare(kindOrder(a.Kind), kindOrder(b.Kind)), foldCompare(a.Setting, b.Setting), cmp.Compare(a.ID, b.ID))
	})
	if len(out) == 0 {
		return nil
	}
	return out
}

func kindOrder(k ChangeKind) int {
	return slices.Index([]ChangeKind{ChangeList, ChangeDWORD, ChangeRename, ChangeBaseline, ChangeManual, ChangeVerifyKerberos}, k)
}

// listChange starts a list change from what the host has now.
func (e *engine) listChange(rem *Remediation) *Change {
	s := settingByID(rem.SettingID)
	c := &Change{
		ID: rem.Host + "|" + s.Name, Kind: ChangeList, Host: rem.Host, Setting: s.Name, SettingID: s.ID,
		Key: s.Key, Type: facts.RegMultiSZ, GPOPath: rem.GPOPath,
	}
	if h := e.inv.HostByName(rem.Host); h != nil {
		if v := e.view(h).get(s.ID); v.known {
			c.Final = append([]string(nil), v.list...)
			c.Current = len(v.list)
		}
	}
	return c
}

func dwordChange(rem *Remediation) *Change {
	s := settingByID(rem.SettingID)
	v := *rem.Set
	c := &Change{
		ID: rem.Host + "|" + s.Name, Kind: ChangeDWORD, Host: rem.Host, Setting: s.Name, SettingID: s.ID,
		Key: s.Key, Type: facts.RegDWORD, Set: &v, Value: rem.Value, GPOPath: rem.GPOPath,
	}
	c.PowerShell = c.Script()
	return c
}

// Script is the PowerShell line of a registry change, built from its
// structured fields (a setting ntlmscan knows, the entries to add, the
// value) and never from the PowerShell text a report file holds, so a
// report edited after the scan cannot put other code into the plan script
// admins run elevated. "" for renames, manual changes and anything that
// does not fit its setting.
func (c *Change) Script() string {
	s := facts.SettingByID(c.SettingID)
	if s == nil {
		return ""
	}
	switch {
	case c.Source != nil && (c.Source.Kind == facts.SourceGPO || c.Source.Kind == SourcePlanned):
		// A GPO (or the planned baseline) owns the value: the change is
		// an edit there (GPOEdit); a local write would be reverted.
		return ""
	case c.Kind == ChangeList && s.Type == facts.RegMultiSZ && len(c.Add) > 0:
		return psAddMultiString(s, c.Add, s.Key == facts.KeyLanmanWksPol)
	case c.Kind == ChangeDWORD && s.Type == facts.RegDWORD && c.Set != nil:
		return psSetDWORD(s, *c.Set, false)
	}
	return ""
}

// addPath records a path the change is for (once) and its note; it returns
// the change's ID.
func (c *Change) addPath(id, note string) string {
	if !slices.Contains(c.Paths, id) {
		c.Paths = append(c.Paths, id)
	}
	if note != "" {
		c.noteOnce(note)
	}
	if c.ID == "" {
		c.ID = c.Host + "|" + c.Setting
		if c.Rename != nil {
			c.ID = c.Host + "|core-name|" + c.Rename.Target + "|" + c.Rename.From
		} else if c.Kind == ChangeManual {
			c.ID = c.Host + "|" + c.Setting + "|" + c.Value
		}
	}
	return c.ID
}

// noteOnce adds a note unless the change has it; a note that extends one
// it has (the same advice plus a path-specific sentence) adds only the
// extension.
func (c *Change) noteOnce(n string) {
	for _, have := range c.Notes {
		switch {
		case strings.HasPrefix(have, n):
			return
		case strings.HasPrefix(n, have):
			n = strings.TrimSpace(n[len(have):])
		}
	}
	if n != "" && !slices.Contains(c.Notes, n) {
		c.Notes = append(c.Notes, n)
	}
}

// finish completes a list change: the final list and its add-only line.
func (c *Change) finish() {
	if c.Kind != ChangeList {
		return
	}
	c.Final = append(c.Final[:c.Current:c.Current], c.Add...)
	c.PowerShell = c.Script()
	c.Value = fmt.Sprintf("add %s (final list: %d entries)", strings.Join(c.Add, ", "), len(c.Final))
}

// renameNote says how to make the Core use another name for a target: an
// agent is re-registered; a replication target Core is edited on the
// source Core's Replication page (the host name given in the wizard).
func renameNote(rn Rename) string {
	if rn.Kind == KindReplication {
		return fmt.Sprintf("In the Rapid Recovery Core console on %s, change the replication target %s from %s to %s (Replication, the target Core's host name), then update the inventory's replication name: for it.", rn.Core, rn.Target, rn.From, rn.To)
	}
	return fmt.Sprintf("In the Rapid Recovery Core console on %s, re-register %s as %s instead of %s (remove and re-add the machine, or change its host name), then update the inventory's name: for it.", rn.Core, rn.Target, rn.To, rn.From)
}
