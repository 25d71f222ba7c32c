package inventory

import (
	"fmt"
	"strings"

	"github.com/ntlmscan/ntlmscan/inventory/safetext"
)

// Warning is something in a valid inventory that is probably not what the
// admin meant, or that changes how a host is scanned: validate prints it as
// "file:line: warning: field: message (hint)" and still exits 0.
type Warning struct {
	File    string
	Line    int
	Field   string
	Message string
	Hint    string
}

func (w Warning) String() string {
	s := fmt.Sprintf("%s:%d: warning: ", safetext.Escape(w.File), w.Line)
	if w.Field != "" {
		s += w.Field + ": "
	}
	s += w.Message
	if w.Hint != "" {
		s += " (" + w.Hint + ")"
	}
	return s
}

// Lint returns the warnings of a loaded inventory, in host order.
func Lint(inv *Inventory) []Warning {
	var out []Warning
	add := func(h *Host, field, hint, format string, args ...any) {
		out = append(out, Warning{File: inv.File, Line: h.Line, Field: hostField(inv, h) + field, Message: fmt.Sprintf(format, args...), Hint: hint})
	}
	linked := map[*Host]bool{}
	for _, c := range inv.Cores {
		for _, l := range c.Agents {
			linked[l.Agent] = true
		}
	}
	for _, h := range inv.Hosts {
		if h.Role == RoleAgent && !linked[h] {
			add(h, "", "add it to the agents: list of the Core that protects it (ntlmscan discover -i finds it), or remove it",
				"agent %s is protected by no Core in the inventory, so no path of it is judged", h.Name)
		}
		c := h.WinRM.Credential
		if !h.Scan || c == nil || c.Username == "" {
			continue
		}
		local := isLocalUsername(c.Username, h)
		switch {
		case local && h.WinRM.Auth == AuthAuto:
			add(h, ".winrm.auth", "give the host a domain credential to scan it over Kerberos",
				"auth auto uses NTLM for %s: its credential %q is the local account %s, and only domain accounts get Kerberos tickets", h.Name, c.Name, quote(c.Username))
		case !local && h.Domain == "":
			add(h, ".winrm.credential", fmt.Sprintf(`scan it with a local account of the host (%s\user), or set domain: if it is joined`, orStr(h.NetBIOS, h.NetBIOS != "", h.Name)),
				"%s is in workgroup %s but is scanned with the domain account %s (credential %q): a machine outside the domain cannot check a domain password",
				h.Name, orStr(h.Workgroup, h.Workgroup != "", "WORKGROUP"), quote(c.Username), c.Name)
		}
	}
	return out
}

// hostField is the section path of h's entry (agents.AGENT01).
func hostField(inv *Inventory, h *Host) string {
	switch h.Role {
	case RoleCore:
		return "cores." + h.Name
	case RoleAgent:
		return "agents." + h.Name
	case RoleRepositoryHost:
		return "repository_hosts." + h.Name
	case RoleDomainController:
		for _, d := range inv.Domains {
			for _, dc := range d.Controllers {
				if dc == h {
					return "domains." + d.Name + ".controllers." + h.Name
				}
			}
		}
	}
	return strings.ToLower(string(h.Role)) + "." + h.Name
}
