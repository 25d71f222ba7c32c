package verdict

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// Plan entry kinds added by the scoped plan (see buildPlan).
const (
	// ChangeVerifyKerberos: a Kerberos-expected path fails only when
	// Negotiate falls back to NTLM; the fix is to make sure Kerberos works
	// (the SPN the Core needs), never an exception entry.
	ChangeVerifyKerberos ChangeKind = "verify-kerberos"
	// ChangeBaseline: a planned (what-if) value conflicts with a path
	// that needs NTLM; the plan never reverts it on a host, it says how to
	// edit the baseline instead.
	ChangeBaseline ChangeKind = "baseline-edit"
)

// SettingVerifyKerberos is Remediation.Setting of a Kerberos-expected
// path's fix: check the SPN, no exception entry.
const SettingVerifyKerberos = "verify Kerberos"

// PlanSummary counts, under --assume, the paths the planned baseline
// newly blocks or puts at risk (verdict worse than without it).
type PlanSummary struct {
	Overlay      string `json:"overlay"`
	NewlyBlocked int    `json:"newlyBlocked"`
	NewlyAtRisk  int    `json:"newlyAtRisk"`
}

// Text is the one-line summary every format shows.
func (s *PlanSummary) Text() string {
	if s == nil {
		return ""
	}
	return fmt.Sprintf("Newly blocked by this baseline (%s): %d paths; newly at-risk: %d paths.", s.Overlay, s.NewlyBlocked, s.NewlyAtRisk)
}

// SummarizePlan is the PlanSummary of these paths (a report's paths after
// --limit, say) under the named what-if baseline.
func SummarizePlan(overlay string, paths []Path) *PlanSummary { return planSummary(overlay, paths) }

func planSummary(overlay string, paths []Path) *PlanSummary {
	s := &PlanSummary{Overlay: overlay}
	for i := range paths {
		p := &paths[i]
		if p.Before == nil || p.Verdict.Severity() <= p.Before.Verdict.Severity() {
			continue
		}
		switch {
		case p.Verdict.Blocking():
			s.NewlyBlocked++
		case p.Verdict == AtRisk:
			s.NewlyAtRisk++
		}
	}
	return s
}

// NeedsException is the plan's scope: a path gets exception entries or a
// loosened value only when its NTLM is required (IP name, workgroup or
// NAS, local account, untrusted domain) or the evidence shows it using
// NTLM. Every other path is Kerberos-expected and gets a "verify
// Kerberos" step.
func NeedsException(p *Path) bool {
	return p.Need == NeedRequired || evidenceShowsNTLM(p)
}

// evidenceShowsNTLM reports NTLM use seen for the path in the hosts'
// NTLM event logs (evidence state blocked-observed or ntlm-observed,
// evidence.go): a path whose name would allow Kerberos but that is seen
// using NTLM needs its exception as much as a required one.
func evidenceShowsNTLM(p *Path) bool { return p.NTLMInUse() }

var (
	adviceVerb = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*(\.exe)?$`)
	// A switch as the code writes it: -Q, -Confirm:$false.
	adviceSwitch = regexp.MustCompile(`^-[A-Za-z][A-Za-z0-9]*(:\$(true|false))?$`)
)

// Switch is a command-line switch ntlmscan's own code writes (never a
// value from a host or an inventory): AdviceCommand writes it bare.
type Switch string

// AdviceCommand is the one way to write a command ntlmscan advises
// (setspn, Test-NetConnection, ...): the verb, each Switch and int as
// written, every string value a PowerShell single-quoted literal, so a
// value from a host or an inventory ("Q$(CALC)", "-D") stays one datum
// wherever the line is pasted. A verb that is not a plain command name,
// or a switch that is not one, yields "".
func AdviceCommand(verb string, args ...any) string {
	if !adviceVerb.MatchString(verb) {
		return ""
	}
	var b strings.Builder
	b.WriteString(verb)
	for _, a := range args {
		b.WriteByte(' ')
		switch v := a.(type) {
		case Switch:
			if !adviceSwitch.MatchString(string(v)) {
				return ""
			}
			b.WriteString(string(v))
		case int:
			b.WriteString(strconv.Itoa(v))
		case string:
			b.WriteString(PSQuote(v))
		default:
			return ""
		}
	}
	return b.String()
}

// inventoryNetBIOS is the host's NetBIOS name from the inventory alone
// (given, or the first label of its FQDN or name): never what the host
// said about itself.
func (hv *hostView) inventoryNetBIOS() string {
	if hv.host.NetBIOS != "" {
		return hv.host.NetBIOS
	}
	base := hv.host.FQDN
	if base == "" || isIPAddress(base) {
		base = hv.host.Name
	}
	if i := strings.IndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	return strings.ToUpper(base)
}

// inventoryFQDNs is the host's DNS name from the inventory alone.
func (hv *hostView) inventoryFQDNs() []string {
	if hv.host.FQDN != "" && !isIPAddress(hv.host.FQDN) {
		return []string{hv.host.FQDN}
	}
	return nil
}

// identityConflict says why the name a scanned host reports about itself
// does not agree with the inventory ("" when it agrees or was not
// reported). Anything a plan writes about the host (exception entries,
// script guards, values) must not rest on a name the host chose: a host
// answering "*" would put a wildcard into exception lists, one answering
// as DC01 would get DC01's changes.
func (hv *hostView) identityConflict() string {
	if !hv.identityKnown() {
		return ""
	}
	id := hv.resp.Identity
	want := hv.inventoryNetBIOS()
	var bad []string
	if n := id.NetBIOSName; n != "" && !strings.EqualFold(n, want) {
		bad = append(bad, fmt.Sprintf("NetBIOS name %q", n))
	}
	if d := id.DNSHostName; d != "" {
		first, _, _ := strings.Cut(d, ".")
		wantDNS := want
		if f := hv.inventoryFQDNs(); len(f) > 0 {
			wantDNS, _, _ = strings.Cut(f[0], ".")
		}
		if !strings.EqualFold(first, wantDNS) {
			bad = append(bad, fmt.Sprintf("host name %q", d))
		}
	}
	if len(bad) == 0 {
		return ""
	}
	return fmt.Sprintf("%s (inventory name %s, NetBIOS name %s) answered the scan with %s. Its changes are a manual step: confirm which machine answered at %s and correct the inventory or the host before applying anything to it.",
		hv.name(), hv.name(), want, strings.Join(bad, " and "), orDefault(hv.host.Address, hv.name()))
}

// isWildcardEntry reports an exception entry the plan must never add: a
// wildcard (it would exempt more than the one path), or a blank or
// multi-line value. Quotes and other characters are quoted as data.
func isWildcardEntry(e string) bool {
	return strings.TrimSpace(e) == "" || strings.ContainsAny(e, "*?\t\r\n")
}

// scopedChange diverts a remediation the plan must not apply as written
// and returns the plan entry that carries it instead (nil: the ordinary
// plan takes it):
//   - a host on the path or holding the setting answered the scan with a
//     name that disagrees with the inventory: a manual step with the
//     warning, nothing of that host's answer in any line;
//   - a Kerberos-expected path: a "verify Kerberos" step for the Core and
//     the name it uses, never an exception entry or a loosened value;
//   - a value the what-if baseline plans on that host: never reverted; a
//     baseline edit says what to change in the plan instead.
func (e *engine) scopedChange(p *Path, rem *Remediation, get func(string, func() *Change) *Change) *Change {
	for _, name := range []string{p.Target, p.Core, rem.Host} {
		h := e.inv.HostByName(name)
		if h == nil {
			continue
		}
		if w := e.view(h).identityConflict(); w != "" {
			c := get(lower(h.Name)+"|identity", func() *Change {
				return &Change{Kind: ChangeManual, Host: h.Name, Setting: SettingIdentity, Value: "name mismatch: nothing applied", Notes: []string{w}}
			})
			c.noteOnce(fmt.Sprintf("Held back until then: %s on %s.", orDefault(rem.Setting, "a change"), rem.Host))
			return c
		}
	}
	registry := rem.SettingID != "" && (len(rem.Add) > 0 || rem.Set != nil)
	if !NeedsException(p) && (registry || rem.Rename != nil) {
		return e.verifyKerberos(p, get)
	}
	if rem.Set != nil && rem.SettingID != "" {
		if h := e.inv.HostByName(rem.Host); h != nil && e.view(h).changed[lower(rem.SettingID)] {
			v := e.view(h).get(rem.SettingID)
			return get(lower(rem.Host)+"|baseline|"+lower(rem.SettingID), func() *Change {
				return baselineEdit(rem, v)
			})
		}
	}
	if len(rem.Add) > 0 {
		keep := rem.Add[:0:0]
		for _, a := range rem.Add {
			if !isWildcardEntry(a) {
				keep = append(keep, a)
			}
		}
		if len(keep) < len(rem.Add) {
			rem.Add = keep
			if len(keep) == 0 {
				return get(lower(rem.Host)+"|"+lower(rem.Setting)+"|unsafe-entry", func() *Change {
					return &Change{Kind: ChangeManual, Host: rem.Host, Setting: rem.Setting, Value: "no safe entry to add",
						Notes: []string{"The name this path would need is not a plain host name (a wildcard or other characters); the plan never adds such an entry. Check the name the Core uses."}}
				})
			}
		}
	}
	return nil
}

// verifyKerberos is the plan entry for a Kerberos-expected path: check
// that the SPN the Core asks for exists once, and register it if not.
func (e *engine) verifyKerberos(p *Path, get func(string, func() *Change) *Change) *Change {
	spn := "HOST/" + p.NameUsed
	nb := ""
	if h := e.inv.HostByName(p.Target); h != nil {
		nb = e.view(h).inventoryNetBIOS()
	}
	return get(lower(p.Core)+"|verify-kerberos|"+lower(p.NameUsed), func() *Change {
		c := &Change{Kind: ChangeVerifyKerberos, Host: p.Core, Setting: "Kerberos to " + p.NameUsed,
			Value:      "verify the SPN " + spn + " (no NTLM exception: Kerberos is expected on this path)",
			PowerShell: AdviceCommand("setspn", Switch("-Q"), spn)}
		c.Notes = []string{fmt.Sprintf("Run on any domain member: it must list exactly one account (%s). If it lists none, register it: %s. If it lists two, remove the wrong one (setspn -D). HOST/ covers the HTTP and CIFS service classes through the domain's default SPN mappings.",
			nb, AdviceCommand("setspn", Switch("-S"), spn, nb))}
		return c
	})
}

// baselineEdit is the plan entry for a planned (what-if) value a path
// needs changed. Narrowing "NTLM authentication in this domain" from 3 or
// 7 to 1 or 5 keeps the hardening (the exception list then exempts the
// listed servers), so that one is proposed as the planned value; any other
// loosening is left to the admin with the options, never scripted.
func baselineEdit(rem *Remediation, planned value) *Change {
	c := &Change{Kind: ChangeBaseline, Host: rem.Host, Setting: rem.Setting, SettingID: rem.SettingID, GPOPath: rem.GPOPath}
	was := Label(rem.SettingID, planned.raw)
	if lower(rem.SettingID) == lower(facts.RestrictNTLMInDomain) && rem.Set != nil {
		v := *rem.Set
		c.Set = &v
		c.Value = fmt.Sprintf("plan %s=%s instead of %s in the baseline", rem.Setting, rem.Value, was)
		c.Notes = []string{fmt.Sprintf("The what-if baseline plans %s=%s on %s; with it, the exception list does not reliably exempt the paths below. Value %s keeps the hardening and honours the list: edit the planned GPO (or the what-if change) to it.", rem.Setting, was, rem.Host, rem.Value)}
		return c
	}
	c.Value = fmt.Sprintf("keep the planned %s=%s; edit the baseline for the paths below", rem.Setting, was)
	c.Notes = []string{fmt.Sprintf("The what-if baseline plans %s=%s on %s, and the paths below need NTLM through it. The plan never reverts a planned value. Options, in this order: let the path use Kerberos (name the target by its DNS name, with its SPN); leave %s out of the planned GPO (security filtering or a narrower what-if selection); for \"Deny all accounts\" on a target, use value 1, which still allows a local account of the target. Accept that the paths stop working only with their owners' agreement.", rem.Setting, was, rem.Host, rem.Host)}
	return c
}

// divert rewrites a path's remediation to the plan entry that carries it
// instead, so no output shows the fix the plan refused: a Kerberos-expected
// path shows its SPN check, a host with a disputed name the warning, a
// planned value the baseline edit, never the exception entry, the value
// from the host's answer or the revert.
func divert(rem *Remediation, c *Change) {
	rem.Value = c.Value
	rem.PowerShell = c.PowerShell
	rem.Note = strings.Join(c.Notes, " ")
	rem.Add, rem.Rename = nil, nil
	rem.Set = nil
	if c.Kind == ChangeBaseline && c.Set != nil {
		v := *c.Set
		rem.Set = &v
	}
	if c.Kind != ChangeBaseline {
		rem.SettingID = ""
		rem.Setting = c.Setting
		if c.Kind == ChangeVerifyKerberos {
			rem.Setting = SettingVerifyKerberos // the name used is in Value
		}
		rem.Host = c.Host
		rem.GPOPath = ""
	}
}
