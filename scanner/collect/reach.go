package collect

import (
	"strings"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// probes lists, in inventory order, each name the Core uses for an agent
// (SMB and the agent port), a share server (SMB) or a Core it replicates
// to (the target Core's port). A name used twice is probed once with the
// union of its ports.
func probes(c *inventory.Core) []facts.Probe {
	var out []facts.Probe
	add := func(target string, ports ...int) {
		target = strings.TrimSpace(target)
		if target == "" {
			return
		}
		for i := range out {
			if strings.EqualFold(out[i].Target, target) {
				for _, p := range ports {
					if !containsInt(out[i].Ports, p) {
						out[i].Ports = append(out[i].Ports, p)
					}
				}
				return
			}
		}
		var ps []int
		for _, p := range ports {
			if !containsInt(ps, p) {
				ps = append(ps, p)
			}
		}
		out = append(out, facts.Probe{Target: target, Ports: ps})
	}
	for _, l := range c.Agents {
		if l == nil {
			continue
		}
		name := l.NameUsed
		if name == "" && l.Agent != nil {
			name = firstNonEmpty(l.Agent.FQDN, l.Agent.Address, l.Agent.Name)
		}
		port := l.Port
		if port <= 0 {
			port = inventory.DefaultAgentPort
		}
		add(name, SMBPort, port)
	}
	for _, r := range c.Repositories {
		if r == nil {
			continue
		}
		server := r.ServerName()
		add(server, SMBPort)
	}
	for _, l := range c.Replication {
		if l == nil {
			continue
		}
		port := l.Port
		if port <= 0 {
			port = inventory.DefaultCorePort
		}
		add(l.NameUsed, port)
	}
	return out
}
