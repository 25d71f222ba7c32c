package verdict

import (
	"fmt"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// defaultLmCompat is the effective LmCompatibilityLevel when the value is
// absent on servers and DCs: "Send NTLMv2 response only" (Microsoft Learn,
// "Network security: LAN Manager authentication level").
const defaultLmCompat = 3

// checkNTLMLevels: checks #3, #4, #6 and #11, LmCompatibilityLevel and
// NtlmMin*Sec mismatches between the Core and the authority that validates
// the account (Microsoft Learn, "Network security: LAN Manager
// authentication level" and "Network security: Minimum session security
// for NTLM SSP based (including secure RPC) clients"; [MS-NLMP] footnote
// <82>). The mismatch rules are INFERENCE from the level table of the
// first page; each reason says so.
func (pe *pathEval) checkNTLMLevels() {
	cv := pe.cv
	if !cv.scanned && !cv.assumed[lower(facts.LmCompatibilityLevel)] {
		return // the Core's unknown reason covers it
	}
	cl := cv.get(facts.LmCompatibilityLevel)
	if !cl.known {
		pe.unknownValue(cv, RoleClient, cl, "which NTLM version the Core sends")
		return
	}
	level := cl.num(defaultLmCompat)
	core := cv.name()
	if level <= 2 && cv.build() >= ntlmV1RemovedBuild {
		// The build decides, not event 4013: Windows has logged 4013
		// ("Attempt to use NTLMv1 failed") for refused NTLMv1 attempts
		// since long before the removal, e.g. under Credential Guard.
		r := pe.settingReason(cv, RoleClient, cl, EffectRisk,
			fmt.Sprintf("%s sends only LM/NTLMv1 responses (level %d), but it runs Windows build %d, and NTLMv1 is removed starting with Windows 11, version 24H2 and Windows Server 2025 (build %d; Microsoft KB5066470, \"Upcoming changes to NTLMv1 in Windows 11, version 24H2 and Windows Server 2025\"), so its NTLM logons may fail; what the client then sends at level %d is UNCONFIRMED.", core, level, cv.build(), ntlmV1RemovedBuild, level))
		r.Unconfirmed = true
		r.Event = "4013 on " + core + " (\"Attempt to use NTLMv1 failed\"; logged for any refused NTLMv1 attempt, also on older builds and under Credential Guard, so it does not by itself show the removal)"
		r.Remediation = pe.lmCompatFix()
		pe.add(r)
	}

	tv := pe.tv
	switch {
	case tv.described() && !tv.windowsDescribed() && (pe.acct.Kind == inventory.AccountLocal || pe.tgtDom == ""):
		pe.describedLevels(cl, level)
	case pe.domainAccount() && pe.tgtDom != "" && !pe.untrustedForeign():
		if level <= 2 {
			pe.authorityDCLevels(cl, level)
		}
	case !tv.described() && level <= 2:
		// The target validates the account against its own account
		// database, so it is the authority and applies its own level
		// ([MS-NLMP] 1.3.1.1 and its Windows behavior note 81).
		sl := tv.get(facts.LmCompatibilityLevel)
		if !sl.known {
			pe.unknownValue(tv, RoleServer, sl, "whether "+tv.name()+" refuses the Core's NTLMv1 response")
			break
		}
		if sl.num(defaultLmCompat) >= 5 {
			r := pe.settingReason(tv, RoleServer, sl, EffectBlocks,
				fmt.Sprintf("%s sends no NTLMv2 (level %d) and %s (%s), which validates %s against its own account database, refuses LM and NTLM (level 5): for its own accounts the server is the authority that applies its level ([MS-NLMP] 1.3.1.1 and Windows behavior note 81; Microsoft, \"Network security: LAN Manager authentication level\").", core, level, tv.name(), tv.buildText(), pe.p.Account))
			r.Remediation = pe.lmCompatFix()
			pe.add(r)
		}
	}
	pe.checkMinSec(level)
}

// authorityDCLevels: a Core at level 0-2 sends no NTLMv2, which a DC at
// level 5 refuses (INFERENCE from Microsoft, "Network security: LAN Manager
// authentication level").
func (pe *pathEval) authorityDCLevels(cl value, level uint64) {
	dcs := pe.e.controllers(pe.acctDom)
	if !pe.tv.described() && pe.tv.isDC() && pe.tgtDom == pe.acctDom {
		dcs = []*hostView{pe.tv}
	}
	var blocking []int
	var clear []string
	for _, dc := range dcs {
		dl := dc.get(facts.LmCompatibilityLevel)
		if !dl.known {
			pe.unknownValue(dc, RoleDC, dl, "whether "+dc.name()+" refuses NTLMv1")
			continue
		}
		if dl.num(defaultLmCompat) < 5 {
			clear = append(clear, dc.name())
			continue
		}
		r := pe.settingReason(dc, RoleDC, dl, EffectBlocks,
			fmt.Sprintf("%s sends no NTLMv2 response (LmCompatibilityLevel %d) and %s, which validates %s, refuses LM and NTLM (level 5) (INFERENCE from Microsoft, \"Network security: LAN Manager authentication level\").",
				pe.cv.name(), level, dc.name(), pe.p.Account))
		r.Event = "4013 on " + pe.cv.name() + " (UNCONFIRMED which event the DC logs)"
		r.Remediation = pe.lmCompatFix()
		blocking = append(blocking, pe.add(r))
	}
	if len(blocking) > 0 && len(blocking) < len(dcs) {
		pe.markIntermittent(blocking, dcs, clear, dcCheck{resource: false, domain: pe.acctDom})
	}
}

// describedLevels: a NAS validates its own local accounts with the level
// and NTLM versions the inventory describes.
func (pe *pathEval) describedLevels(cl value, level uint64) {
	tv := pe.tv
	d := tv.host.Described
	if d == nil {
		d = &inventory.Described{}
	}
	base := Reason{Host: tv.name(), Role: RoleServer, Setting: SettingDescribed}
	if d.NTLMv1Only && level >= 3 {
		r := base
		r.RawValue, r.ValueLabel, r.Effect = "ntlmv1Only: true", "speaks only LM/NTLMv1", EffectBlocks
		r.Explanation = fmt.Sprintf("%s sends only NTLMv2 (LmCompatibilityLevel %s) and %s speaks only LM/NTLMv1 (per the inventory), so authentication fails (INFERENCE from Microsoft, \"Network security: LAN Manager authentication level\").",
			pe.cv.name(), Raw(facts.LmCompatibilityLevel, cl.raw), tv.name())
		r.Event = "4013 on " + pe.cv.name() + " (UNCONFIRMED)"
		r.Remediation = &Remediation{
			Host: tv.name(), Setting: "NTLMv2 support (vendor setting)", Value: "enable NTLMv2 / SMB2+ authentication",
			Note: fmt.Sprintf("Enable NTLMv2 on %s or replace it. Lowering LmCompatibilityLevel on %s to 2 would send NTLMv1 to every server and is impossible on Windows 11 24H2 / Server 2025; not recommended.", tv.name(), pe.cv.name()),
		}
		pe.add(r)
	}
	if level > 2 {
		return
	}
	switch {
	case d.LmCompatibilityLevel == nil:
		r := base
		r.RawValue, r.ValueLabel, r.Effect = "lmCompatibilityLevel: not described", "unknown", EffectUnknown
		r.Explanation = fmt.Sprintf("%s sends no NTLMv2 (level %d) and the LM level %s accepts is not described in the inventory, so whether it refuses the Core's response is unknown.", pe.cv.name(), level, tv.name())
		pe.add(r)
	case *d.LmCompatibilityLevel >= 5:
		r := base
		r.RawValue, r.ValueLabel, r.Effect = fmt.Sprintf("lmCompatibilityLevel: %d", *d.LmCompatibilityLevel), "refuses LM and NTLM", EffectBlocks
		r.Explanation = fmt.Sprintf("%s sends no NTLMv2 (level %d) and %s refuses LM and NTLM (level %d, per the inventory) (INFERENCE from Microsoft, \"Network security: LAN Manager authentication level\").", pe.cv.name(), level, tv.name(), *d.LmCompatibilityLevel)
		r.Remediation = pe.lmCompatFix()
		pe.add(r)
	}
}

// checkMinSec: "Require NTLMv2 session security" on either side conflicts
// with a Core at level 0, which never negotiates it (Microsoft KB 932461:
// "may conflict", so a risk); an NTLMv1-only device is not expected to
// negotiate it either (INFERENCE).
func (pe *pathEval) checkMinSec(level uint64) {
	cv, tv := pe.cv, pe.tv
	mc := cv.get(facts.NtlmMinClientSec)
	v1Only := tv.described() && tv.host.Described != nil && tv.host.Described.NTLMv1Only
	if mc.known && mc.num(defaultMinSec)&bitNTLMv2Sess != 0 && (level == 0 || v1Only) {
		peer := "LmCompatibilityLevel 0 on " + cv.name() + " never negotiates it"
		if level != 0 {
			peer = tv.name() + " speaks only LM/NTLMv1 (per the inventory) and is not expected to negotiate it"
		}
		r := pe.settingReason(cv, RoleClient, mc, EffectRisk,
			fmt.Sprintf("%s requires NTLMv2 session security, but %s: the session may be refused (INFERENCE; Microsoft KB 932461 says the two settings \"may conflict\").", cv.name(), peer))
		r.Unconfirmed = true
		r.Event = "4010 on " + cv.name()
		pe.add(r)
	}
	if level != 0 || tv.described() {
		return
	}
	ms := tv.get(facts.NtlmMinServerSec)
	if ms.known && ms.num(defaultMinSec)&bitNTLMv2Sess != 0 {
		r := pe.settingReason(tv, RoleServer, ms, EffectRisk,
			fmt.Sprintf("%s requires NTLMv2 session security, but LmCompatibilityLevel 0 on %s never negotiates it: the session may be refused (INFERENCE; Microsoft KB 932461 says the two settings \"may conflict\").", tv.name(), cv.name()))
		r.Unconfirmed = true
		r.Event = "4011 on " + tv.name()
		pe.add(r)
	}
}

func (pe *pathEval) lmCompatFix() *Remediation {
	s := settingByID(facts.LmCompatibilityLevel)
	return &Remediation{
		Host: pe.cv.name(), Setting: s.Name, Value: "3 (Send NTLMv2 response only)",
		PowerShell: psSetDWORD(s, 3, false), GPOPath: gpoPath(s), SettingID: s.ID, Set: u64(3),
		Note: "3 is the minimum that sends NTLMv2; 5 (also refuse LM & NTLM) is the security baseline. If a GPO sets it, change it there.",
	}
}

// checkNTLMv1SSO: check #4 for a Core that sends NTLMv1 (LmCompatibilityLevel
// 2 or lower), judged with what stops NTLMv1 single sign-on on the Core
// itself:
//   - Credential Guard running (Win32_DeviceGuard): "When Credential Guard
//     is enabled, you can no longer use NTLM classic authentication for
//     single sign-on" (Microsoft Learn, "Credential Guard: considerations
//     and known issues"); it blocks NTLMv1 SSO, not supplied credentials;
//   - BlockNtlmv1SSO on Windows 11 24H2 / Server 2025 without Credential
//     Guard (Microsoft KB5066470): 1 blocks NTLMv1-derived SSO (event
//     4025), 0 or absent only audits it (event 4024).
//
// The LocalSystem Core service presents its own (SSO) identity, so those
// blocks apply to it. Whether the credentials stored in the Core for an
// agent or share are used as SSO is UNCONFIRMED: for them it is a risk.
// Event 4013 is not evidence of any of this by itself: Windows logged it
// for refused NTLMv1 attempts long before the 24H2 removal.
func (pe *pathEval) checkNTLMv1SSO() {
	cv := pe.cv
	if !cv.scanned {
		return
	}
	cl := cv.get(facts.LmCompatibilityLevel)
	if !cl.known || cl.num(defaultLmCompat) > 2 {
		return
	}
	sso := pe.acct.Kind == inventory.AccountLocalSystem
	effect := EffectRisk
	if sso {
		effect = EffectBlocks
	}
	who := "the Core service's own identity (LocalSystem, single sign-on)"
	if !sso {
		who = fmt.Sprintf("the account %s (whether the Core uses it as single sign-on is UNCONFIRMED)", pe.p.Account)
	}
	core := cv.name()
	cg := cv.credentialGuard()
	switch {
	case cg != nil && cg.Running:
		pe.add(Reason{
			Host: core, Role: RoleClient, Setting: SettingCredentialGuard, RawValue: "running", ValueLabel: "Credential Guard running",
			Effect: effect, Unconfirmed: !sso,
			Explanation: fmt.Sprintf("%s sends NTLMv1 (LmCompatibilityLevel %d) and Credential Guard runs on it, which blocks NTLMv1 for single sign-on (Microsoft Learn, \"Credential Guard: considerations and known issues\"); this path uses %s.",
				core, cl.num(defaultLmCompat), who),
			Event:       "4013 on " + core + " (\"Attempt to use NTLMv1 failed\")",
			Remediation: pe.lmCompatFix(),
		})
	case cv.build() >= ntlmV1RemovedBuild:
		v := cv.get(facts.BlockNtlmv1SSO)
		switch {
		case !v.known:
			pe.unknownValue(cv, RoleClient, v, "whether "+core+" blocks NTLMv1-derived single sign-on")
		case v.present && v.n == 1:
			r := pe.settingReason(cv, RoleClient, v, effect,
				fmt.Sprintf("%s sends NTLMv1 (LmCompatibilityLevel %d), Credential Guard does not run on it, and BlockNtlmv1SSO = 1 enforces the block of NTLMv1-derived credentials for single sign-on (Microsoft KB5066470); this path uses %s.",
					core, cl.num(defaultLmCompat), who))
			r.Event, r.Unconfirmed, r.Remediation = "4025 on "+core, !sso, pe.lmCompatFix()
			pe.add(r)
		default:
			r := pe.settingReason(cv, RoleClient, v, EffectAudit,
				fmt.Sprintf("%s sends NTLMv1 (LmCompatibilityLevel %d) and BlockNtlmv1SSO only audits NTLMv1-derived single sign-on (event 4024); Microsoft KB5066470 announces Enforce as the default later, which would block it.",
					core, cl.num(defaultLmCompat)))
			r.Event = "4024 on " + core
			pe.add(r)
		}
	}
}

// credentialGuard is what the host reported about Credential Guard (nil
// when it was not read).
func (hv *hostView) credentialGuard() *facts.CredentialGuard {
	if hv.resp == nil || hv.resp.CredentialGuard == nil || !hv.resp.CredentialGuard.Available {
		return nil
	}
	return hv.resp.CredentialGuard
}
