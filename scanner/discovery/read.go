// Package discovery turns what Rapid Recovery Cores list about themselves
// (scanner/facts.DiscoverResponse, from the Core's PowerShell module) into
// inventory entries, merges them into an existing inventory without losing
// its edits, and reports drift between the two.
//
// The property names of the module's objects are UNCONFIRMED: Quest's "Rapid
// Recovery Commands and Scripting Reference Guide" documents the cmdlets
// (Get-ProtectedServers, Get-Repositories, Get-ScheduledArchives,
// Get-ReplicatedServers) but not the types they return. The reader therefore
// tries several spellings for each field, ignores properties it does not
// know, and reports entries it cannot use instead of guessing.
package discovery

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/ntlmscan/ntlmscan/inventory/safetext"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// Field spellings tried, in order (UNCONFIRMED; see the package comment).
var (
	// What the Core connects to. The display name comes last: it is only
	// what the console shows, and may differ from the name used.
	nameUsedFields     = []string{"HostName", "HostUri", "Host", "Address", "IpAddress", "MachineName", "Name", "DisplayName"}
	displayNameFields  = []string{"DisplayName", "Name", "MachineName", "HostName"}
	portFields         = []string{"Port", "AgentPort"}
	accountFields      = []string{"UserName", "Username", "User", "Account", "AccountName"}
	shareNameFields    = []string{"Name", "DisplayName", "RepositoryName", "ArchiveName"}
	sharePathFields    = []string{"Path", "Location", "Uri", "UncPath", "Specification", "StoragePath", "Destination"}
	targetCoreFields   = []string{"TargetCore", "TargetCoreName", "RemoteCore", "Target", "CoreName"}
	exportTargetFields = []string{"Target", "HostName", "Host", "Location", "Path", "Destination", "Server"}
	exportTypeFields   = []string{"Type", "VirtualMachineType", "ExportType", "Hypervisor"}
)

// Agent is one machine a Core protects.
type Agent struct {
	DisplayName string // what the console shows
	NameUsed    string // exactly what the Core connects to
	Port        int    // 0: not reported
	Account     string // the account the Core uses for it, if reported
}

// Share is a repository or archive location on a CIFS share.
type Share struct {
	Name    string
	UNC     string
	Account string
	Kind    string // "repository" or "archive"
}

// Replica is a machine a Core replicates (Get-ReplicatedServers).
type Replica struct {
	Name       string
	TargetCore string
}

// Export is a Virtual Standby (continuous export) listed by the Core
// (Get-VirtualizedServers): the machine, where it is exported to, and how.
type Export struct {
	Name   string
	Target string // hypervisor host or UNC path, as reported
	Type   string
}

// Core is what one Core listed, checked.
type Core struct {
	Name              string // the Core's inventory name
	ComputerName      string
	Account           string // the Core service's logon account
	Domain            string
	DomainControllers []string
	Agents            []Agent
	Shares            []Share
	Replicated        []Replica
	Exports           []Export
	// Notes are entries left out or doubtful, each a sentence for the user.
	Notes []string
}

var dnsNameRE = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$`)

// ValidHostName reports whether s is an IP address or a DNS or NetBIOS name.
func ValidHostName(s string) bool {
	if _, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return true
	}
	return len(s) <= 253 && dnsNameRE.MatchString(s)
}

// Read checks one Core's answer. name is the Core's inventory name.
func Read(name string, r *facts.DiscoverResponse) *Core {
	c := &Core{Name: name, ComputerName: strings.TrimSpace(r.ComputerName), Account: strings.TrimSpace(r.CoreAccount),
		Domain: strings.ToLower(strings.TrimSuffix(strings.TrimSpace(r.Domain), "."))}
	for _, dc := range r.DomainControllers {
		dc = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(dc), "."))
		if ValidHostName(dc) {
			c.DomainControllers = append(c.DomainControllers, dc)
		} else {
			c.note("domain controller %s is not a DNS name; left out", q(dc))
		}
	}
	if c.Domain != "" && !ValidHostName(c.Domain) {
		c.note("the Core's domain %s is not a DNS name; left out", q(c.Domain))
		c.Domain = ""
	}
	for i, b := range r.Protected {
		used := b.Field(nameUsedFields...)
		display := b.Field(displayNameFields...)
		switch {
		case used == "":
			c.note("protected machine %d (Get-ProtectedServers) has no host name among its properties (%s); left out, add it by hand", i+1, propList(b))
			continue
		case !ValidHostName(used):
			c.note("protected machine %s: host name %s is neither an IP address nor a DNS or NetBIOS name; left out, add it by hand", q(display), q(used))
			continue
		}
		a := Agent{DisplayName: display, NameUsed: used, Account: b.Field(accountFields...)}
		if p := b.Field(portFields...); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil || n < 1 || n > 65535 {
				c.note("protected machine %s: port %s is not a TCP port; the default applies", q(used), q(p))
			} else {
				a.Port = n
			}
		}
		c.Agents = append(c.Agents, a)
	}
	c.shares(r.Repositories, "repository", "Get-Repositories")
	c.shares(r.Archives, "archive", "Get-ScheduledArchives")
	for _, b := range r.Replicated {
		n := b.Field(displayNameFields...)
		if n == "" {
			continue
		}
		c.Replicated = append(c.Replicated, Replica{Name: n, TargetCore: b.Field(targetCoreFields...)})
	}
	for _, b := range r.Virtualized {
		n := b.Field(displayNameFields...)
		if n == "" {
			continue
		}
		c.Exports = append(c.Exports, Export{Name: n, Target: b.Field(exportTargetFields...), Type: b.Field(exportTypeFields...)})
	}
	for _, e := range r.Errors {
		c.note("%s failed on the Core: %s", safetext.Escape(e.Step), safetext.Escape(e.Message))
	}
	return c
}

func (c *Core) shares(bags []facts.Bag, kind, cmdlet string) {
	for i, b := range bags {
		name := b.Field(shareNameFields...)
		path := b.Field(sharePathFields...)
		if name == "" {
			name = fmt.Sprintf("%s%d", kind, i+1)
		}
		switch {
		case path == "":
			c.note("%s %s (%s) has no path among its properties (%s); left out", kind, q(name), cmdlet, propList(b))
			continue
		case !strings.HasPrefix(path, `\\`):
			// A local disk (D:\Repo) or cloud location: no share, no NTLM.
			c.note("%s %s is at %s, not on a CIFS share; nothing to check", kind, q(name), q(path))
			continue
		}
		server := ServerOf(path)
		if !ValidHostName(server) {
			c.note("%s %s: server %s of %s is not a host name; left out", kind, q(name), q(server), q(path))
			continue
		}
		c.Shares = append(c.Shares, Share{Name: name, UNC: path, Account: b.Field(accountFields...), Kind: kind})
	}
}

// ServerOf is the server part of a UNC path.
func ServerOf(unc string) string {
	s := strings.TrimLeft(unc, `\`)
	if i := strings.IndexAny(s, `\/`); i >= 0 {
		s = s[:i]
	}
	return s
}

func (c *Core) note(format string, args ...any) {
	c.Notes = append(c.Notes, fmt.Sprintf(format, args...))
}

// q quotes s for a message, its invisible characters escaped (a UNC path's
// backslashes stay as written).
func q(s string) string { return `"` + safetext.Escape(s) + `"` }

func propList(b facts.Bag) string {
	if len(b) == 0 {
		return "none"
	}
	var names []string
	for k := range b {
		names = append(names, safetext.Escape(k))
	}
	sort.Strings(names)
	if len(names) > 8 {
		names = append(names[:8], "...")
	}
	return strings.Join(names, ", ")
}
