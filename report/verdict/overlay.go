package verdict

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ntlmscan/ntlmscan/report/whatif"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// applyOverlay applies every what-if change to copies of the selected hosts'
// registry values and returns notes about changes that could not apply or
// that rest on an assumption.
func (e *engine) applyOverlay(ov *whatif.Overlay) []Reason {
	var notes []Reason
	src := orDefault(ov.Name, ov.File)
	note := func(host, setting, text string) {
		notes = append(notes, Reason{Host: host, Role: RoleOverlay, Setting: setting, Effect: EffectInfo, Explanation: text})
	}
	for _, ch := range ov.Changes {
		s := e.cat.Setting(ch.Setting)
		if s == nil {
			note(src, ch.Setting, fmt.Sprintf("What-if %q line %d names unknown setting %q; the change is ignored.", src, ch.Line, ch.Setting))
			continue
		}
		for _, h := range e.inv.Hosts {
			if h == nil || !ch.Select.Matches(h) {
				continue
			}
			if msg := e.view(h).apply(s, ch); msg != "" {
				note(h.Name, s.Name, fmt.Sprintf("What-if %q line %d: %s", src, ch.Line, msg))
			}
		}
	}
	for _, h := range e.inv.Hosts {
		if h == nil {
			continue
		}
		hv := e.view(h)
		if len(hv.assumed) == 0 {
			continue
		}
		var ids []string
		for _, s := range e.cat.Settings() {
			if hv.assumed[lower(s.ID)] {
				ids = append(ids, s.Name)
			}
		}
		note(h.Name, strings.Join(ids, ", "), fmt.Sprintf("What-if %q changes %s on %s, which was not scanned (%s): the change is applied to a synthetic value set that holds only the overlay's values; every other setting of %s stays unknown.",
			src, strings.Join(ids, ", "), h.Name, hv.notScannedWhy(), h.Name))
	}
	return notes
}

// apply performs one change on the host's values (a deep copy, never the
// caller's facts). It returns a message when the change could not apply as
// written.
func (hv *hostView) apply(s *facts.Setting, ch whatif.Change) string {
	if hv.described() {
		return fmt.Sprintf("%s is described, not scanned, and has no Windows registry; the change of %s does not apply.", hv.name(), s.Name)
	}
	key := lower(s.ID)
	if !hv.scanned && !hv.assumed[key] && ch.Set == nil && !ch.Remove && len(ch.Add) == 0 && len(ch.Delete) > 0 {
		return fmt.Sprintf("%s was not scanned, so its %s list is unknown and entries cannot be deleted from it; the value stays unknown.", hv.name(), s.Name)
	}
	if msg := checkChange(s, ch); msg != "" {
		return msg
	}
	hv.ensureOwnCopy()
	rv := hv.registryValue(s)
	msg := ""
	switch {
	case ch.Set != nil && s.Type == facts.RegDWORD:
		setDWORD(rv, *ch.Set.DWORD)
	case ch.Set != nil:
		setList(rv, ch.Set.Strings)
	case ch.Remove:
		*rv = facts.RegistryValue{RegistryKey: rv.RegistryKey}
	case len(ch.Add) > 0:
		if rv.Error != "" {
			return fmt.Sprintf("%s on %s could not be read (%s), so entries cannot be added to it; the value stays unknown.", s.Name, hv.name(), rv.Error)
		}
		base, _ := rv.List()
		if !hv.scanned && !hv.assumed[key] {
			base = nil
			msg = fmt.Sprintf("%s was not scanned: assuming its %s list held no other entries.", hv.name(), s.Name)
		}
		all := slices.Clone(base)
		for _, a := range ch.Add {
			if !containsFold(all, a) {
				all = append(all, a)
			}
		}
		setList(rv, all)
	case len(ch.Delete) > 0:
		if rv.Error != "" {
			return fmt.Sprintf("%s on %s could not be read (%s), so entries cannot be deleted from it; the value stays unknown.", s.Name, hv.name(), rv.Error)
		}
		base, _ := rv.List()
		kept := []string{}
		for _, b := range base {
			if !containsFold(ch.Delete, b) {
				kept = append(kept, b)
			}
		}
		setList(rv, kept)
	}
	if !hv.scanned {
		if hv.assumed == nil {
			hv.assumed = map[string]bool{}
		}
		hv.assumed[key] = true
	}
	if hv.changed == nil {
		hv.changed = map[string]bool{}
	}
	hv.changed[key] = true
	if ch.Set != nil && hv.scanned && (s.ID == facts.SMBBlockNTLM || s.ID == facts.SMBBlockNTLMLocal && !hv.get(facts.SMBBlockNTLM).present) {
		// Assume Get-SmbClientConfiguration reports the value in force (the
		// local one only applies without a policy value).
		b := *ch.Set.DWORD != 0
		if hv.resp.SMBClient == nil {
			hv.resp.SMBClient = &facts.SMBClientConfig{Available: true}
		}
		hv.resp.SMBClient.BlockNTLM = &b
		hv.resp.SMBClient.Error = ""
		msg = strings.TrimSpace(msg + " Assuming Get-SmbClientConfiguration then reports BlockNTLM=" + fmt.Sprint(b) + ", as the value in force sets it.")
	}
	return msg
}

// checkChange rejects a change whose shape does not fit the setting's type.
func checkChange(s *facts.Setting, ch whatif.Change) string {
	list := s.Type == facts.RegMultiSZ
	switch {
	case ch.Set != nil && !list && ch.Set.DWORD == nil:
		return fmt.Sprintf("%s is a number; the change sets no number and is ignored.", s.Name)
	case ch.Set != nil && list && ch.Set.DWORD != nil && ch.Set.Strings == nil:
		return fmt.Sprintf("%s is a list; the change sets a number and is ignored.", s.Name)
	case (len(ch.Add) > 0 || len(ch.Delete) > 0) && !list:
		return fmt.Sprintf("%s is a number; add/delete apply to lists only, so the change is ignored.", s.Name)
	case ch.Set == nil && !ch.Remove && len(ch.Add) == 0 && len(ch.Delete) == 0:
		return "the change does nothing and is ignored."
	}
	return ""
}

// ensureOwnCopy replaces the caller's facts by a deep copy before the first
// change, and gives an unscanned host an empty synthetic value set.
func (hv *hostView) ensureOwnCopy() {
	if hv.copied {
		return
	}
	if hv.resp == nil {
		hv.resp = &facts.Response{Schema: facts.SchemaVersion}
	} else {
		hv.resp = copyResponse(hv.resp)
	}
	hv.copied = true
}

// registryValue returns the entry for s in the view's own copy, adding an
// absent one when the scan did not ask for it.
func (hv *hostView) registryValue(s *facts.Setting) *facts.RegistryValue {
	for i := range hv.resp.Registry {
		v := &hv.resp.Registry[i]
		if strings.EqualFold(v.Key, s.Key) && strings.EqualFold(v.Name, s.Name) {
			return v
		}
	}
	hv.resp.Registry = append(hv.resp.Registry, facts.RegistryValue{RegistryKey: s.RegistryKey()})
	return &hv.resp.Registry[len(hv.resp.Registry)-1]
}

func setDWORD(rv *facts.RegistryValue, n uint64) {
	*rv = facts.RegistryValue{RegistryKey: rv.RegistryKey, Present: true, Type: facts.RegDWORD, DWORD: &n}
}

func setList(rv *facts.RegistryValue, l []string) {
	if l == nil {
		l = []string{}
	}
	*rv = facts.RegistryValue{RegistryKey: rv.RegistryKey, Present: true, Type: facts.RegMultiSZ, Strings: slices.Clone(l)}
}

// copyResponse deep-copies everything the overlay may change.
func copyResponse(r *facts.Response) *facts.Response {
	c := *r
	c.Registry = make([]facts.RegistryValue, len(r.Registry))
	for i, v := range r.Registry {
		if v.DWORD != nil {
			n := *v.DWORD
			v.DWORD = &n
		}
		if v.String != nil {
			s := *v.String
			v.String = &s
		}
		v.Strings = slices.Clone(v.Strings)
		c.Registry[i] = v
	}
	c.Services = slices.Clone(r.Services)
	c.Probes = slices.Clone(r.Probes)
	c.Errors = slices.Clone(r.Errors)
	if r.SMBClient != nil {
		s := *r.SMBClient
		s.BlockNTLM = clonePtr(s.BlockNTLM)
		s.RequireSecuritySignature = clonePtr(s.RequireSecuritySignature)
		s.EnableSecuritySignature = clonePtr(s.EnableSecuritySignature)
		c.SMBClient = &s
	}
	return &c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
