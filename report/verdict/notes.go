package verdict

import (
	"fmt"
	"strings"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

const defaultCoreService = inventory.DefaultCoreService

// hostNotes are findings about one host that belong to no single path.
func (e *engine) hostNotes() []Reason {
	var notes []Reason
	for _, h := range e.inv.Hosts {
		if h == nil {
			continue
		}
		hv := e.view(h)
		switch {
		case h.Scan && !hv.scanned:
			r := Reason{
				Host: h.Name, Role: roleOfHost(h), Setting: SettingScan, RawValue: "not scanned", ValueLabel: hv.notScannedWhy(),
				Effect:      EffectUnknown,
				Explanation: fmt.Sprintf("%s could not be scanned (%s); every path that depends on it is unknown.", h.Name, hv.notScannedWhy()),
			}
			if hv.result != nil && hv.result.Error != nil && hv.result.Error.Hint != "" {
				r.Explanation += " To scan it: " + hv.result.Error.Hint + "."
			}
			notes = append(notes, r)
		case hv.scanned:
			notes = append(notes, e.tattooNotes(hv)...)
			notes = append(notes, e.identityNotes(hv)...)
		}
	}
	for _, core := range e.inv.Cores {
		if core != nil && core.Host != nil {
			notes = append(notes, e.coreNotes(core)...)
		}
	}
	return sortNotes(notes)
}

func roleOfHost(h *inventory.Host) string {
	switch h.Role {
	case inventory.RoleCore:
		return RoleClient
	case inventory.RoleDomainController:
		return RoleDC
	}
	return RoleServer
}

// tattooNotes: a restricting value present in the registry may be a
// leftover of an earlier GPO (Microsoft, "Security policy settings",
// "Persistence in security settings"; Quest KB 4033596). The host's RSoP
// says which GPO sets it, if any.
func (e *engine) tattooNotes(hv *hostView) []Reason {
	var out []Reason
	for _, id := range []string{facts.RestrictSendingNTLMTraffic, facts.RestrictReceivingNTLMTraffic, facts.RestrictNTLMInDomain} {
		v := hv.get(id)
		if !v.known || !v.present || v.n == 0 || v.whatIf {
			continue
		}
		src := hv.sourceOf(v.setting)
		var from string
		switch {
		case src != nil && src.Kind == facts.SourceGPO:
			from = fmt.Sprintf("It is set by %s: change it there.", src.Text())
		case src != nil && src.Kind == facts.SourceLocal:
			from = "No GPO sets it (RSoP): it is local policy, a direct registry write, or tattooed by a GPO that no longer sets it."
		default:
			from = fmt.Sprintf("Its source is %s: if no GPO or local policy sets it any more, it may be tattooed from an earlier GPO.", SourceText(src))
			if src == nil {
				from = "Its source is unknown: if no GPO or local policy sets it any more, it may be tattooed from an earlier GPO."
			}
		}
		r := settingReason(hv.name(), roleOfHost(hv.host), v, EffectInfo,
			fmt.Sprintf("%s=%d (%s) is in %s's registry. %s \"Not Configured\" in a GPO does not remove it; an explicit allow value does (Microsoft, \"Security policy settings\": persistence in security settings).",
				v.setting.Name, v.n, Label(id, v.raw), hv.name(), from))
		r.Source = src
		out = append(out, r)
	}
	return out
}

func (e *engine) identityNotes(hv *hostView) []Reason {
	if !hv.identityKnown() {
		return nil
	}
	scanned, stated := e.hostDomain(hv), e.canonicalDomain(hv.host.Domain)
	if strings.EqualFold(scanned, stated) {
		return nil
	}
	show := func(d string) string {
		if d == "" {
			return "workgroup"
		}
		return d
	}
	return []Reason{{
		Host: hv.name(), Role: roleOfHost(hv.host), Setting: SettingIdentity, RawValue: show(scanned), ValueLabel: "scanned domain",
		Effect:      EffectInfo,
		Explanation: fmt.Sprintf("The inventory says %s is in %s, but the host reports %s; verdicts use the scanned value. Correct the inventory.", hv.name(), show(stated), show(scanned)),
	}}
}

// coreNotes: the Core service (present, running, its logon account) and
// accounts in Protected Users.
func (e *engine) coreNotes(core *inventory.Core) []Reason {
	var out []Reason
	cv := e.view(core.Host)
	name := core.Host.Name
	if cv.scanned {
		names := core.ServiceNames
		if len(names) == 0 {
			names = []string{defaultCoreService}
		}
		var svc *facts.Service
		asked := false
		for _, n := range names {
			if s := cv.resp.Service(n); s != nil {
				asked = true
				if s.Present {
					svc = s
					break
				}
			}
		}
		base := Reason{Host: name, Role: RoleClient, Setting: SettingService, Effect: EffectInfo}
		reason, unlisted := cv.resp.ServicesUnknown()
		switch {
		case svc == nil && asked && unlisted:
			r := base
			r.RawValue, r.ValueLabel = "unknown", "services could not be listed"
			r.Explanation = fmt.Sprintf("ntlmscan could not list the services on %s (%s), so whether the Rapid Recovery Core service (%s) exists and runs is unknown; "+
				"a scanning account that is not in the host's Administrators group may not enumerate services over a network logon.",
				name, reason, strings.Join(names, ", "))
			out = append(out, r)
		case svc == nil && asked:
			r := base
			r.RawValue, r.ValueLabel = "absent", "service not found"
			r.Explanation = fmt.Sprintf("No Rapid Recovery Core service (%s) exists on %s; check the inventory's role or service name.", strings.Join(names, ", "), name)
			out = append(out, r)
		case svc != nil:
			if !strings.EqualFold(svc.State, "Running") {
				r := base
				r.RawValue, r.ValueLabel = svc.State, "not running"
				r.Explanation = fmt.Sprintf("The Core service %s on %s is %s, not Running.", svc.Name, name, orDefault(svc.State, "in an unknown state"))
				out = append(out, r)
			}
			if svc.LogonAs != "" && !sameAccount(svc.LogonAs, core.Account) {
				r := base
				r.RawValue, r.ValueLabel = svc.LogonAs, "service logon account"
				r.Explanation = fmt.Sprintf("The Core service on %s runs as %s, but the inventory says %s; verdicts use the inventory's account. Correct the inventory.", name, svc.LogonAs, core.Account.Name)
				out = append(out, r)
			}
		}
	}
	if core.Account.ProtectedUsers && core.Account.Kind != inventory.AccountLocal {
		member := protectedMember(normaliseAccount(core.Account), core)
		dom := e.accountDomain(normaliseAccount(core.Account), core)
		out = append(out, Reason{
			Host: name, Role: RoleAccount, Setting: SettingProtectedUsers, RawValue: "member",
			ValueLabel: "member of Protected Users (stated in the inventory)", Effect: EffectBlocks,
			Explanation: fmt.Sprintf("The Core service account %s of %s is in Protected Users: every NTLM path from this Core fails wherever a DC running Windows Server 2012 R2 or later validates it, and Microsoft says never to add service or computer accounts to the group.", core.Account.Name, name),
			Remediation: protectedUsersFix(orDefault(dom, name), member),
		})
	}
	for _, repo := range e.coreRepositories(core) {
		a := repo.Account
		if a.ProtectedUsers && a.Kind != inventory.AccountLocal && (a.Name != core.Account.Name || !core.Account.ProtectedUsers) {
			a = normaliseAccount(a)
			out = append(out, Reason{
				Host: name, Role: RoleAccount, Setting: SettingProtectedUsers, RawValue: "member",
				ValueLabel: "member of Protected Users (stated in the inventory)", Effect: EffectBlocks,
				Explanation: fmt.Sprintf("The credential %s that %s uses for %s is in Protected Users: NTLM to that share fails.", a.Name, name, repo.UNC),
				Remediation: protectedUsersFix(orDefault(e.accountDomain(a, core), name), protectedMember(a, core)),
			})
		}
	}
	return out
}

// sameAccount compares a service logon name with the inventory account:
// LocalSystem spellings are equal; otherwise the account names without
// their domain part must match (DOMAIN\user vs user@domain).
func sameAccount(logonAs string, a inventory.Account) bool {
	a = normaliseAccount(a)
	svc := normaliseAccount(inventory.Account{Name: logonAs})
	if svc.Kind == inventory.AccountLocalSystem || a.Kind == inventory.AccountLocalSystem {
		return svc.Kind == a.Kind
	}
	return strings.EqualFold(samName(logonAs), samName(a.Name))
}
