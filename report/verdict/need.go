package verdict

import (
	"fmt"
	"strings"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// decideNeed sets Need and NeedWhy (Microsoft Learn, "Configuring Kerberos
// for IP Addresses", "NTLM overview" and "Network security: LAN Manager
// authentication level" say when Windows uses NTLM): NTLM is required for
// an IP name (TryIPSPN alone is not enough), a workgroup or NAS target, a local account,
// or an account from another forest without a trust; otherwise Kerberos is
// expected and NTLM is only a fallback.
func (pe *pathEval) decideNeed() {
	var required, fallback, unknown []string
	need := func(r Reason, short string, into *[]string) {
		r.Effect = EffectNeedsNTLM
		pe.add(r)
		*into = append(*into, short)
	}
	name := pe.p.NameUsed

	if pe.p.NameForm == NameIP {
		// Kerberos to an IP address needs TryIPSPN=1 on the client and an
		// SPN for the address registered in Active Directory. No registry
		// read shows the SPN, so TryIPSPN alone never makes the path
		// Kerberos-expected (Microsoft, "Configuring Kerberos over IP").
		tv := pe.cv.get(facts.TryIPSPN)
		spn := fmt.Sprintf("an SPN for the address (such as HOST/%s) must be registered for %s in Active Directory, which no registry read shows", name, pe.tv.netbios())
		switch {
		case !tv.known:
			r := settingReason(pe.cv.name(), RoleClient, tv, EffectNeedsNTLM,
				fmt.Sprintf("The Core names the target by IP address %s. Windows tries Kerberos for an IP address only with TryIPSPN=1 on %s, and even then %s; TryIPSPN on %s is unknown (%s), so NTLM is required.",
					name, pe.cv.name(), spn, pe.cv.name(), tv.why))
			need(r, "target named by IP address", &required)
		case tv.num(0) == 1:
			r := settingReason(pe.cv.name(), RoleClient, tv, EffectNeedsNTLM,
				fmt.Sprintf("The Core names the target by IP address %s. TryIPSPN=1 on %s lets Windows try Kerberos for it, but %s (Microsoft, \"Configuring Kerberos over IP\"), so NTLM is required until that SPN is verified (%s).",
					name, pe.cv.name(), spn, AdviceCommand("setspn", Switch("-Q"), "HOST/"+name)))
			need(r, "target named by IP address (TryIPSPN=1, IP SPN not verified)", &required)
		default:
			r := Reason{
				Host: pe.cv.name(), Role: RolePath, Setting: SettingNameUsed, RawValue: name, ValueLabel: "IP address",
				Explanation: fmt.Sprintf("The Core names the target by IP address %s: Windows does not attempt Kerberos for IP addresses (TryIPSPN is not enabled on %s), so NTLM is used.",
					name, pe.cv.name()),
			}
			need(r, "target named by IP address", &required)
		}
	}

	switch {
	case pe.tgtDom == "" && pe.kerberosOffered():
		// The SMB probe saw Kerberos offered by a host the inventory calls
		// a workgroup machine: the Core can use Kerberos by FQDN.
		r := pe.kerberosOfferedReason()
		pe.add(r)
		fallback = append(fallback, "share host offers Kerberos and is named by FQDN (SMB probe)")
	case pe.tgtDom == "":
		what := "not joined to a domain (workgroup)"
		if pe.tv.described() {
			what = "a NAS/appliance not joined to a domain"
			if d := pe.tv.host.Described; d != nil {
				switch strings.ToLower(d.Platform) {
				case "nas":
					what = "a NAS not joined to a domain"
				case "samba":
					what = "a Samba server not joined to a domain"
				}
			}
		}
		r := Reason{
			Host: pe.tv.name(), Role: RoleServer, Setting: SettingDomain, RawValue: "workgroup", ValueLabel: "not domain-joined",
			Explanation: fmt.Sprintf("%s is %s: Windows authentication to it must use NTLM.", pe.tv.name(), what),
		}
		if !pe.tv.described() {
			r.Explanation += " " + pe.localKDCText()
		}
		need(r, "workgroup or NAS target", &required)
	}
	pe.needFromSMBProbe(need, &required)

	switch {
	case pe.acct.Kind == inventory.AccountLocal:
		r := Reason{
			Host: pe.tv.name(), Role: RoleAccount, Setting: SettingAccount, RawValue: pe.acct.Name, ValueLabel: "local account",
			Explanation: fmt.Sprintf("%s is a local account: the target checks it against its own account database with NTLM; no DC is involved.", pe.acct.Name),
		}
		if !pe.tv.described() && pe.tgtDom != "" { // a workgroup target's reason states it already
			r.Explanation += " " + pe.localKDCText()
		}
		need(r, "local account", &required)
	case pe.acctDom == "":
		r := Reason{
			Host: pe.core.Host.Name, Role: RoleAccount, Setting: SettingAccount, RawValue: pe.p.Account, ValueLabel: "domain unknown",
			Explanation: fmt.Sprintf("The domain of account %s is unknown, so ntlmscan cannot tell whether Kerberos can be used.", pe.p.Account),
		}
		need(r, "account domain unknown", &unknown)
	case pe.tgtDom != "":
		pe.needCrossDomain(need, &required, &fallback, &unknown)
	}

	if pe.p.NameForm == NameOther && len(required) == 0 {
		r := Reason{
			Host: pe.cv.name(), Role: RolePath, Setting: SettingNameUsed, RawValue: name, ValueLabel: "alias or unknown name",
			Explanation: fmt.Sprintf("The Core uses %q, which is neither the FQDN nor the NetBIOS name ntlmscan knows for %s: if it is a CNAME or alias without an SPN, Kerberos fails and Negotiate falls back to NTLM (UNCONFIRMED per cause).", name, pe.tv.name()),
		}
		need(r, "alias name (NTLM fallback likely if it has no SPN)", &fallback)
	}

	switch {
	case len(required) > 0:
		pe.p.Need, pe.p.NeedWhy = NeedRequired, strings.Join(required, "; ")
	case len(unknown) > 0:
		pe.p.Need, pe.p.NeedWhy = NeedUnknown, strings.Join(unknown, "; ")
	default:
		pe.p.Need = NeedFallback
		why := "Kerberos expected (domain member named by " + string(pe.p.NameForm) + "); NTLM only if Negotiate falls back"
		if len(fallback) > 0 {
			why = strings.Join(fallback, "; ")
		}
		pe.p.NeedWhy = why
	}
}

// localKDCText states the target's build for the rules "a local account
// needs NTLM" and "a workgroup host needs NTLM", which Microsoft's
// announced Kerberos for local accounts (a local KDC) in future Windows
// builds will change.
func (pe *pathEval) localKDCText() string {
	return fmt.Sprintf("This holds for %s as scanned (%s); Microsoft has announced Kerberos for local accounts and NTLM off by default for future Windows builds.", pe.tv.name(), pe.tv.buildText())
}

// needCrossDomain handles a domain account toward a domain-joined target in
// another domain: same forest or a trust keeps Kerberos possible; another
// forest without a trust in the inventory means NTLM.
func (pe *pathEval) needCrossDomain(need func(Reason, string, *[]string), required, fallback, unknown *[]string) {
	a, s := pe.acctDom, pe.tgtDom
	if strings.EqualFold(a, s) {
		return
	}
	inv := pe.e.inv
	da, ds := inv.DomainByName(a), inv.DomainByName(s)
	base := Reason{Host: pe.tv.name(), Role: RoleAccount, Setting: SettingTrust}
	switch {
	// A domain only named by a host (no domains: section) has unknown
	// forest and trusts, like one the inventory does not name at all.
	case da == nil || ds == nil || da.Implicit || ds.Implicit:
		missing := a
		if da != nil && !da.Implicit {
			missing = s
		}
		r := base
		r.RawValue, r.ValueLabel = a+" -> "+s, "domain not in inventory"
		r.Explanation = fmt.Sprintf("Domain %s is not described in the inventory, so whether %s and %s share a forest or a trust is unknown.", missing, a, s)
		need(r, "account and target domains differ; forest and trusts unknown", unknown)
	case strings.EqualFold(da.ForestRoot(), ds.ForestRoot()):
		// Same forest: Kerberos works across its domains.
	case trusts(inv, da, ds):
		r := base
		r.RawValue, r.ValueLabel = a+" -> "+s, "trusted, other forest"
		r.Explanation = fmt.Sprintf("Account domain %s and target domain %s are in different forests with a trust in the inventory: Kerberos can work across a forest trust; across an external trust Negotiate falls back to NTLM (UNCONFIRMED per cause).", a, s)
		need(r, "cross-forest with trust", fallback)
	default:
		r := base
		r.RawValue, r.ValueLabel = a+" -> "+s, "other forest, no trust"
		r.Explanation = fmt.Sprintf("Account domain %s is not in target domain %s's forest and the inventory lists no trust: Kerberos cannot be used, so NTLM is.", a, s)
		need(r, "cross-forest without trust", required)
		untrusted := base
		untrusted.Effect = EffectRisk
		untrusted.RawValue, untrusted.ValueLabel = a, "untrusted domain"
		untrusted.Explanation = fmt.Sprintf("%s does not trust %s (per the inventory): it validates the logon against its local account database instead, so it succeeds only if a local account with the same name and password exists.", pe.tv.name(), a)
		pe.add(untrusted)
	}
}

// trusts reports a trust in either direction between two domains or their
// forests, as stated in the inventory.
func trusts(inv *inventory.Inventory, a, b *inventory.Domain) bool {
	names := func(d *inventory.Domain) []string { return []string{d.Name, d.NetBIOS, d.ForestRoot()} }
	lists := func(d *inventory.Domain) []string {
		out := append([]string(nil), d.Trusts...)
		if root := inv.DomainByName(d.ForestRoot()); root != nil && root != d {
			out = append(out, root.Trusts...)
		}
		return out
	}
	for _, t := range lists(a) {
		if containsFold(names(b), t) {
			return true
		}
	}
	for _, t := range lists(b) {
		if containsFold(names(a), t) {
			return true
		}
	}
	return false
}
