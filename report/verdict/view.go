package verdict

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// hostView is one inventory host as the engine sees it: its scan result and
// the registry values in force (the collected ones, or a what-if copy).
type hostView struct {
	host    *inventory.Host
	cat     *facts.Catalogue // the settings table the engine reads
	result  *facts.HostResult
	resp    *facts.Response // never the caller's value once the overlay changed it
	scanned bool
	copied  bool            // resp is our own deep copy
	assumed map[string]bool // lower-case setting IDs an overlay put on an unscanned host
	changed map[string]bool // lower-case setting IDs an overlay changed
	lists   map[string]*listIndex
}

func newHostView(h *inventory.Host, r *facts.HostResult) *hostView {
	hv := &hostView{host: h, result: r}
	if r.OK() {
		hv.scanned = true
		hv.resp = r.Facts
	}
	return hv
}

func (hv *hostView) name() string { return hv.host.Name }

// described reports a host that is never scanned and is judged from the
// inventory's description (NAS, Samba, appliance).
func (hv *hostView) described() bool { return !hv.host.Scan }

// windowsDescribed is a described-only host that claims to be Windows: its
// Windows settings exist but are unknown.
func (hv *hostView) windowsDescribed() bool {
	return hv.described() && hv.host.Described != nil && strings.EqualFold(hv.host.Described.Platform, "windows")
}

// notScannedWhy says why the host has no facts, in words.
func (hv *hostView) notScannedWhy() string {
	switch {
	case hv.described():
		return "described in the inventory only, not scanned"
	case hv.result == nil:
		return "no scan result for this host"
	case hv.result.Error != nil:
		return string(hv.result.Error.Class) + ": " + hv.result.Error.Message
	}
	return "no facts collected"
}

// refusedNTLMByPolicy reports a host ntlmscan could not scan because it
// refused the NTLM logon by policy.
func (hv *hostView) refusedNTLMByPolicy() bool {
	return !hv.scanned && hv.result != nil && hv.result.Error != nil && hv.result.Error.Class == facts.ErrAuthNTLMPolicy
}

// identityKnown reports whether the scan returned a usable identity.
func (hv *hostView) identityKnown() bool {
	return hv.scanned && (hv.resp.Identity.DNSHostName != "" || hv.resp.Identity.NetBIOSName != "" || hv.resp.Identity.Domain != "")
}

// build is the OS build number, 0 when unknown.
func (hv *hostView) build() int {
	if !hv.scanned {
		return 0
	}
	return hv.resp.Identity.OSBuild
}

// buildText names the host's Windows build for reason texts ("Windows
// build 20348"), or says why it is not known. Rules that depend on the
// build (NTLMv1 removal, SMB NTLM blocking, and Microsoft's announced NTLM
// off by default and Kerberos for local accounts in future builds) state it.
func (hv *hostView) buildText() string {
	switch {
	case hv.build() != 0:
		return "Windows build " + strconv.Itoa(hv.build())
	case hv.scanned:
		return "Windows build not reported"
	}
	return "Windows build unknown: not scanned"
}

func (hv *hostView) isDC() bool {
	if hv.host.Role == inventory.RoleDomainController {
		return true
	}
	return hv.identityKnown() && hv.resp.Identity.IsDomainController()
}

// netbios is the host's NetBIOS name: scanned, then inventory, then derived
// from the FQDN or the inventory name.
func (hv *hostView) netbios() string {
	if hv.identityKnown() && hv.resp.Identity.NetBIOSName != "" {
		return hv.resp.Identity.NetBIOSName
	}
	return hv.inventoryNetBIOS()
}

// netbiosReported reports whether the NetBIOS name comes from the host
// itself (scanned identity) rather than from the inventory, whose loader
// derives it from the FQDN's first label when it is not given.
func (hv *hostView) netbiosReported() bool {
	return hv.identityKnown() && hv.resp.Identity.NetBIOSName != ""
}

// fqdns are the DNS names the host is known by (inventory, then scanned).
func (hv *hostView) fqdns() []string {
	var out []string
	if hv.host.FQDN != "" && !isIPAddress(hv.host.FQDN) {
		out = append(out, hv.host.FQDN)
	}
	if hv.identityKnown() && hv.resp.Identity.DNSHostName != "" {
		if f := hv.resp.Identity.FQDN(); !containsFold(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// value is one setting as the engine reads it.
type value struct {
	setting *facts.Setting
	raw     *facts.RegistryValue
	known   bool
	present bool
	n       uint64 // REG_DWORD value when present
	list    []string
	idx     *listIndex // list prepared for matching (lists only)
	why     string     // why the value is unknown
	whatIf  bool       // changed by the overlay
	assumed bool       // put by the overlay on a host that was not scanned
	host    *hostView  // where it was read (for its policy source)
}

// num is the DWORD value, or def when absent.
func (v value) num(def uint64) uint64 {
	if !v.present {
		return def
	}
	return v.n
}

// get reads the value of one row of the settings table. A value that was
// not collected, could not be read or has an unexpected type is unknown,
// never "absent".
func (hv *hostView) get(id string) value {
	cat := hv.cat
	if cat == nil {
		cat = facts.Default()
	}
	s := cat.Setting(id)
	if s == nil {
		// Only reachable if the table loses an ID a rule uses.
		return value{setting: &facts.Setting{ID: id, Name: id}, why: "the setting is not in the facts catalogue"}
	}
	key := lower(id)
	v := value{setting: s, whatIf: hv.changed[key], assumed: hv.assumed[key], host: hv}
	if !hv.scanned && !v.assumed {
		v.why = hv.notScannedWhy()
		return v
	}
	rv := s.Lookup(hv.resp)
	v.raw = rv
	switch {
	case rv == nil:
		v.why = "the value was not collected"
		return v
	case rv.Error != "":
		v.why = "reading it failed: " + rv.Error
		return v
	case !rv.Present:
		v.known = true
		return v
	}
	if s.Type == facts.RegDWORD {
		n, ok := rv.Uint()
		if !ok {
			v.why = fmt.Sprintf("it has type %s, expected REG_DWORD; how Windows treats that is UNCONFIRMED", rv.Type)
			return v
		}
		v.n = n
	} else {
		v.list, _ = rv.List()
		v.idx = hv.index(key, v.list)
	}
	v.known, v.present = true, true
	return v
}

// index returns the list prepared for matching, built once per host and
// setting (the list is the same for every path that reads it).
func (hv *hostView) index(key string, list []string) *listIndex {
	if idx, ok := hv.lists[key]; ok && len(idx.entries) == len(list) && (len(list) == 0 || &idx.entries[0] == &list[0]) {
		return idx
	}
	if hv.lists == nil {
		hv.lists = map[string]*listIndex{}
	}
	idx := newListIndex(list)
	hv.lists[key] = idx
	return idx
}

// smbCmdletBlockNTLM is Get-SmbClientConfiguration's BlockNTLM: known is
// false when the cmdlet output is missing or failed.
func (hv *hostView) smbCmdletBlockNTLM() (block, known bool) {
	if !hv.scanned || hv.resp.SMBClient == nil {
		return false, false
	}
	c := hv.resp.SMBClient
	if c.Error != "" || !c.Available {
		return false, false
	}
	if c.BlockNTLM == nil {
		return false, true // property absent: the feature does not exist
	}
	return *c.BlockNTLM, true
}

// smbCmdletHasBlockNTLM reports that Get-SmbClientConfiguration returned a
// BlockNTLM property, which only SMB clients that can block NTLM have.
func (hv *hostView) smbCmdletHasBlockNTLM() bool {
	if !hv.scanned || hv.resp.SMBClient == nil {
		return false
	}
	c := hv.resp.SMBClient
	return c.Error == "" && c.Available && c.BlockNTLM != nil
}

func isIPAddress(name string) bool {
	name = strings.TrimSuffix(strings.TrimPrefix(name, "["), "]")
	_, err := netip.ParseAddr(name)
	return err == nil
}
