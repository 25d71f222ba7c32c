package waiver

import (
	"fmt"
	"strings"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/inventory/safetext"
	"github.com/ntlmscan/ntlmscan/report/verdict"
)

// Check compares the waivers with an inventory: a waiver naming a Core, a
// host or a path the inventory does not have never matches anything, so it
// is most likely stale (the host was renamed or removed) or misspelt. Each
// finding is a warning "file:line: warning: ... (fix)".
func Check(f *File, inv *inventory.Inventory) []string {
	var out []string
	warn := func(w *Waiver, format string, args ...any) {
		out = append(out, fmt.Sprintf("%s:%d: warning: waiver %s: %s (fix or remove the waiver: it matches no path of %s)",
			safetext.Escape(f.Name), w.Line, safetext.Escape(w.Selector()), fmt.Sprintf(format, args...), safetext.Escape(inv.File)))
	}
	ids := map[string]bool{}
	for _, c := range inv.Cores {
		for _, l := range c.Agents {
			ids[strings.ToLower(verdict.PathID(c.Name, verdict.KindAgent, l.Agent.Name, l.NameUsed))] = true
		}
		for _, r := range c.Repositories {
			target := r.ServerName()
			if r.Host != nil {
				target = r.Host.Name
			}
			ids[strings.ToLower(verdict.PathID(c.Name, verdict.KindShare, target, r.ServerName()))] = true
		}
	}
	for i := range f.Waivers {
		w := &f.Waivers[i]
		core, target := w.Core, w.Target
		if w.PathID != "" {
			parts := strings.Split(w.PathID, "|")
			if len(parts) == 4 {
				core, target = parts[0], parts[2]
			}
		}
		var ic *inventory.Core
		for _, c := range inv.Cores {
			if strings.EqualFold(c.Name, core) {
				ic = c
			}
		}
		switch {
		case ic == nil:
			warn(w, "the inventory has no Core %q", safetext.Escape(core))
		case inv.HostByName(target) == nil && !hasShareServer(ic, target):
			warn(w, "the inventory has no host %q", safetext.Escape(target))
		case w.PathID != "" && !ids[strings.ToLower(w.PathID)]:
			warn(w, "%s has no such path (the name used or the kind differs)", ic.Name)
		}
	}
	return out
}

func hasShareServer(c *inventory.Core, name string) bool {
	for _, r := range c.Repositories {
		if strings.EqualFold(r.ServerName(), name) {
			return true
		}
	}
	return false
}
