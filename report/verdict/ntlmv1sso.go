package verdict

import (
	"fmt"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

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
