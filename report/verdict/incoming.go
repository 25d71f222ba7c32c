package verdict

import (
	"fmt"
	"strings"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// checkIncoming: check #5, the target's "Restrict NTLM: Incoming NTLM
// traffic" (Microsoft Learn's page of that name): 2 denies every account,
// 1 denies domain accounts and still allows local ones.
func (pe *pathEval) checkIncoming() {
	tv := pe.tv
	if tv.described() {
		pe.checkDescribed()
		return
	}
	v := tv.get(facts.RestrictReceivingNTLMTraffic)
	if !v.known && tv.refusedNTLMByPolicy() {
		pe.suspectedIncoming(v)
		return
	}
	if !v.known {
		pe.unknownValue(tv, RoleServer, v, "the incoming NTLM restriction")
		return
	}
	target := tv.name()
	domainAcct := pe.acct.Kind != inventory.AccountLocal
	blocking := false
	switch n := v.num(0); {
	case !v.present || n == 0:
		pe.strictRisk(tv, RoleServer, v)
	case n == 1 && domainAcct:
		blocking = true
		r := pe.settingReason(tv, RoleServer, v, EffectBlocks,
			fmt.Sprintf("%s denies incoming NTLM for domain accounts, and %s is a domain account.", target, pe.p.Account))
		r.Event = "4002 on " + target
		r.Remediation = pe.incomingFix(1)
		pe.add(r)
	case n == 1:
		pe.add(pe.settingReason(tv, RoleServer, v, EffectAllows,
			fmt.Sprintf("%s denies incoming NTLM for domain accounts only; local account %s is still allowed.", target, pe.acct.Name)))
		pe.strictRisk(tv, RoleServer, v)
	case n == 2:
		blocking = true
		r := pe.settingReason(tv, RoleServer, v, EffectBlocks,
			fmt.Sprintf("%s denies incoming NTLM for all accounts, domain and local.", target))
		r.Event = "4002 on " + target
		r.Remediation = pe.incomingFix(2)
		pe.add(r)
	default:
		r := pe.settingReason(tv, RoleServer, v, EffectRisk,
			fmt.Sprintf("%s has an undocumented RestrictReceivingNTLMTraffic value %d; how Windows treats it is UNCONFIRMED.", target, n))
		r.Unconfirmed = true
		pe.add(r)
	}
	if blocking {
		return
	}
	// Auditing logs what "Deny" would block; it never blocks (Microsoft
	// Learn, "Network security: Restrict NTLM: Audit Incoming NTLM Traffic").
	a := tv.get(facts.AuditReceivingNTLMTraffic)
	if a.known && a.present && (a.n == 2 || a.n == 1 && domainAcct) {
		r := pe.settingReason(tv, RoleServer, a, EffectAudit,
			fmt.Sprintf("%s audits incoming NTLM: this logon is logged, not blocked.", target))
		r.Event = "8002 on " + target
		pe.add(r)
	}
}

// suspectedIncoming: the target refused ntlmscan's own NTLM logon by
// policy (RestrictReceivingNTLMTraffic, event 4002), so the Core's NTLM
// logon is very likely refused too. The value itself could not be read,
// so the path is blocked-suspected rather than blocked, and never silently
// unknown: a host that starts refusing NTLM overnight is a new finding.
func (pe *pathEval) suspectedIncoming(v value) {
	tv := pe.tv
	s := settingByID(facts.RestrictReceivingNTLMTraffic)
	r := Reason{
		Host: tv.name(), Role: RoleServer, Setting: s.Name, GPOName: s.GPOName,
		RawValue: "not readable", ValueLabel: "NTLM logon refused by policy during the scan", Effect: EffectSuspected,
		Event: "4002 on " + tv.name(),
		Explanation: fmt.Sprintf("%s refused ntlmscan's NTLM logon by policy (%s), so it most likely denies incoming NTLM (RestrictReceivingNTLMTraffic) and refuses %s from the Core as well. The value could not be read; scan %s with a local account or Kerberos to confirm.",
			tv.name(), tv.notScannedWhy(), pe.p.Account, tv.name()),
	}
	if pe.acct.Kind == inventory.AccountLocal {
		r.Explanation += fmt.Sprintf(" %s is a local account: it is still allowed if the value is 1 (Deny all domain accounts), and refused if it is 2.", pe.acct.Name)
	}
	fix := pe.incomingFix(2)
	// The value was never read: the plan lists the change as manual (its
	// PowerShell commented out), so no script relaxes an unread setting.
	fix.SettingID, fix.Set = "", nil
	fix.Value = strings.TrimSuffix(fix.Value, ", after the options in the note") + ", once the value is confirmed"
	fix.Note = "Confirm the value on " + tv.name() + " first (Get-ItemProperty -Path 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\MSV1_0' -Name RestrictReceivingNTLMTraffic; event 4002). " + fix.Note
	r.Remediation = fix
	pe.add(r)
	pe.hostUnknown(tv, RoleServer)
}

// incomingFix loosens the target's incoming restriction last: the note
// gives the options first, with what each costs (Kerberos by name, leaving
// the host out of the GPO that sets it, a local account), and the value
// written is the narrowest that lets the path through: 1 (Deny all domain
// accounts) for a local account under "Deny all accounts", else 0.
func (pe *pathEval) incomingFix(n uint64) *Remediation {
	s := settingByID(facts.RestrictReceivingNTLMTraffic)
	target := pe.tv.name()
	to := uint64(0)
	if n == 2 && pe.acct.Kind == inventory.AccountLocal {
		to = 1
	}
	var opts []string
	if pe.tgtDom != "" && pe.p.NameForm != NameFQDN && pe.acct.Kind != inventory.AccountLocal {
		opts = append(opts, fmt.Sprintf("Kerberos by name: have the Core use %s's DNS name (its SPN registered), so NTLM is only a fallback and %s keeps denying it (costs a change in the Core and an SPN check)", target, target))
	}
	src := "the GPO that sets it"
	if sv := pe.tv.sourceOf(s); sv != nil && sv.Kind == facts.SourceGPO {
		src = sv.Text()
	}
	opts = append(opts, fmt.Sprintf("leave %s out of %s (security filtering or another OU; costs the hardening on %s only)", target, src, target))
	if n == 2 && pe.acct.Kind != inventory.AccountLocal {
		opts = append(opts, fmt.Sprintf("a local account of %s for the Core with value 1 (Deny all domain accounts), which still allows local accounts (costs a local credential to manage)", target))
	}
	note := "Incoming NTLM has no exception list: the value applies to every client of " + target + ". Before loosening it, consider: " + numbered(opts) +
		fmt.Sprintf(". Last resort: %d (%s), which the plan lists.", to, DWORDLabel(s.ID, to))
	note += " If a GPO sets it, change it there; a local change is overwritten at the next policy refresh."
	return &Remediation{
		Host: target, Setting: s.Name, Value: fmt.Sprintf("%d (%s), after the options in the note", to, DWORDLabel(s.ID, to)),
		PowerShell: psSetDWORD(s, to, false), GPOPath: gpoPath(s), Note: note, SettingID: s.ID, Set: u64(to),
	}
}

func numbered(items []string) string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = fmt.Sprintf("(%d) %s", i+1, it)
	}
	return strings.Join(out, "; ")
}

// checkDescribed notes that a described host (NAS, Samba) is judged from
// the inventory; a described Windows host has unknown Windows settings.
func (pe *pathEval) checkDescribed() {
	tv := pe.tv
	if tv.windowsDescribed() {
		pe.hostUnknown(tv, RoleServer)
		return
	}
	platform := "nas"
	if d := tv.host.Described; d != nil && d.Platform != "" {
		platform = d.Platform
	}
	pe.add(Reason{
		Host: tv.name(), Role: RoleServer, Setting: SettingDescribed, RawValue: "platform " + platform,
		ValueLabel: "described, not scanned", Effect: EffectInfo,
		Explanation: fmt.Sprintf("%s is described in the inventory (platform %s), not scanned: the vendor's own NTLM settings are not read; ntlmscan uses the described LM level, NTLMv1-only flag and signing requirement where a check needs them.", tv.name(), platform),
	})
}

// checkForceGuest: "Network access: Sharing and security model for local
// accounts" = Guest only makes a local account authenticate as Guest, so
// access fails (Quest KB 4033596 asks for "Classic").
func (pe *pathEval) checkForceGuest() {
	tv := pe.tv
	if pe.acct.Kind != inventory.AccountLocal || tv.described() {
		return
	}
	v := tv.get(facts.ForceGuest)
	if !v.known {
		pe.unknownValue(tv, RoleServer, v, "the sharing model for local accounts")
		return
	}
	if !v.present || v.n != 1 {
		return
	}
	s := v.setting
	r := pe.settingReason(tv, RoleServer, v, EffectBlocks,
		fmt.Sprintf("%s uses the Guest-only model: local account %s authenticates as Guest, so access fails; Quest requires \"Classic\". Guest sessions are also refused wherever SMB signing is required.", tv.name(), pe.acct.Name))
	r.Remediation = &Remediation{
		Host: tv.name(), Setting: s.Name, Value: "0 (Classic - local users authenticate as themselves)",
		PowerShell: psSetDWORD(s, 0, false), GPOPath: gpoPath(s), SettingID: s.ID, Set: u64(0),
	}
	pe.add(r)
}

// checkServerNameHardening: SmbServerNameHardeningLevel=2 may reject NTLM
// sessions whose target name is an IP or alias (INFERENCE from "Microsoft
// network server: Server SPN target name validation level"; the detail is
// UNCONFIRMED). Only share paths to scanned Windows hosts.
func (pe *pathEval) checkServerNameHardening() {
	tv := pe.tv
	if pe.p.Kind != KindShare || tv.described() || (pe.p.NameForm != NameIP && pe.p.NameForm != NameOther) {
		return
	}
	v := tv.get(facts.SmbServerNameHardeningLevel)
	if !v.known || !v.present || v.n != 2 {
		return // an UNCONFIRMED detail: an unknown value adds no uncertainty of its own
	}
	r := pe.settingReason(tv, RoleServer, v, EffectRisk,
		fmt.Sprintf("%s requires an SPN target name from SMB clients; the Core uses %q, which may not match its SPNs, so NTLM sessions may be rejected (INFERENCE, UNCONFIRMED detail).", tv.name(), pe.p.NameUsed))
	r.Unconfirmed = true
	pe.add(r)
}
