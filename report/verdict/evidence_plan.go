package verdict

import (
	"fmt"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// StepAudit marks the plan's phase 0: turn on NTLM auditing before any
// deny, as Microsoft's own NTLM rollout does (audit first, then deny).
const StepAudit = "audit"

// auditPlan is phase 0 of the plan: for every path with no evidence, the
// auditing that would log its NTLM, on the hosts where it is off: the
// Core's outgoing audit (8001), and "Audit NTLM authentication in this
// domain" on the DCs of the target's domain (8004). It never lowers a
// setting: a Core already at Deny all keeps it. The enhanced logging
// policies (KB5064479) are a manual change: their registry values are
// UNCONFIRMED. Phase 0 entries carry Step = StepAudit.
func auditPlan(e *engine, paths []Path) []Change {
	byKey := map[string]*Change{}
	var out []*Change
	add := func(hv *hostView, id string, set uint64, pathID string) {
		v := hv.get(id)
		// Only hosts whose NTLM log was read: a scan without the event
		// read (or an older report) says nothing about auditing.
		if hv.ntlmEvents() == nil || !v.known || v.num(0) != 0 {
			return
		}
		s := settingByID(id)
		key := lower(hv.name()) + "|" + lower(id) + "|" + StepAudit
		c := byKey[key]
		if c == nil {
			c = &Change{ID: key, Kind: ChangeDWORD, Host: hv.name(), Setting: s.Name, SettingID: s.ID, Key: s.Key, Type: s.Type,
				Set: u64(set), Value: fmt.Sprintf("%d (%s)", set, s.DWORDLabel(set)), PowerShell: psSetDWORD(s, set, false),
				GPOPath: gpoPath(s), Step: StepAudit,
				Notes: []string{"Phase 0 (audit first): only logs NTLM, never blocks it. Re-run ntlmscan after a representative period (--evidence-days) to turn at-risk paths into evidence."}}
			// As every registry change of the plan (buildPlan): the
			// script's computer-name guard, the value the undo restores,
			// and the GPO that owns the value, if any, as the lever.
			c.Guard, c.Was = hv.inventoryNetBIOS(), wasText(v)
			c.lever(hv.sourceOf(s))
			byKey[key] = c
			out = append(out, c)
		}
		c.Paths = append(c.Paths, pathID)
	}
	for i := range paths {
		p := &paths[i]
		if p.Evidence == nil || p.Evidence.State != EvidenceNone {
			continue
		}
		core := e.inv.HostByName(p.Core)
		if core == nil {
			continue
		}
		add(e.view(core), facts.RestrictSendingNTLMTraffic, 1, p.ID)
		if t := e.inv.HostByName(p.Target); t != nil {
			if dom := e.hostDomain(e.view(t)); dom != "" {
				for _, dc := range e.controllers(dom) {
					add(dc, facts.AuditNTLMInDomain, 7, p.ID)
				}
			}
		}
	}
	res := make([]Change, 0, len(out))
	for _, c := range out {
		res = append(res, *c)
	}
	return res
}
