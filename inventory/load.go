package inventory

import (
	"fmt"
	"strings"

	"github.com/ntlmscan/ntlmscan/inventory/yamlcheck"
)

// Load reads and validates an inventory file. Problems in the file come
// back together as a *ValidationError; a file that cannot be read gives a
// wrapped *fs.PathError. Load never touches the network and never reads
// secrets (see Credential.Resolve).
func Load(path string) (*Inventory, error) {
	data, err := yamlcheck.ReadFile(path, MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("read inventory: %w", err)
	}
	return Parse(data, path)
}

// Parse validates an inventory held in memory; filename is used in error
// messages and to resolve relative ca_file / password_file paths. Every
// problem in the file is reported at once in a *ValidationError, the only
// error type Parse returns.
func Parse(data []byte, filename string) (*Inventory, error) {
	ps := NewCollector(filename)
	root := yamlcheck.Document(data, ps, "inventory", MaxFileSize)
	if root == nil {
		return nil, ps.Err()
	}
	w := newWalker(ps)
	fs := w.file(root)
	if w.Exhausted() {
		return nil, ps.Err()
	}
	inv := resolve(w, fs, filename)
	if err := ps.Err(); err != nil {
		return nil, err
	}
	return inv, nil
}

// Summary counts what an inventory holds; `ntlmscan validate` prints it.
type Summary struct {
	Cores             int
	Agents            int
	RepositoryHosts   int
	DomainControllers int
	Domains           int
	Repositories      int
	AgentPaths        int // Core -> agent links
	SharePaths        int // Core -> share uses
	ReplicationPaths  int // source Core -> target Core
	Scanned           int // hosts collected over WinRM
	Described         int // hosts that can only be described
}

// Paths is the number of Core->agent and Core->share paths.
func (s Summary) Paths() int { return s.AgentPaths + s.SharePaths + s.ReplicationPaths }

// Summary counts the inventory's contents.
func (inv *Inventory) Summary() Summary {
	var s Summary
	for _, h := range inv.Hosts {
		switch h.Role {
		case RoleCore:
			s.Cores++
		case RoleAgent:
			s.Agents++
		case RoleRepositoryHost:
			s.RepositoryHosts++
		case RoleDomainController:
			s.DomainControllers++
		}
		if h.Scan {
			s.Scanned++
		} else {
			s.Described++
		}
	}
	s.Domains = len(inv.Domains)
	s.Repositories = len(inv.Repositories)
	for _, c := range inv.Cores {
		s.AgentPaths += len(c.Agents)
		s.ReplicationPaths += len(c.Replication)
	}
	for _, r := range inv.Repositories {
		s.SharePaths += len(r.Cores)
	}
	return s
}

// String renders the summary as one line, e.g.
// "2 cores, 7 agents, 2 repository hosts, 2 domain controllers (1 domain); 3 repositories; 11 paths (8 agent, 3 share); 12 hosts to scan, 1 described".
func (s Summary) String() string {
	var b strings.Builder
	// The replication count is shown only when there is one, so the line
	// of an inventory without replication reads as before.
	repl := ""
	if s.ReplicationPaths > 0 {
		repl = fmt.Sprintf(", %d replication", s.ReplicationPaths)
	}
	fmt.Fprintf(&b, "%s, %s, %s, %s (%s); %s; %s (%d agent, %d share%s); %s to scan",
		plural(s.Cores, "core"), plural(s.Agents, "agent"), plural(s.RepositoryHosts, "repository host"),
		plural(s.DomainControllers, "domain controller"), plural(s.Domains, "domain"),
		plural(s.Repositories, "repository"), plural(s.Paths(), "path"), s.AgentPaths, s.SharePaths, repl,
		plural(s.Scanned, "host"))
	if s.Described > 0 {
		fmt.Fprintf(&b, ", %d described", s.Described)
	}
	return b.String()
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(word, "y"))
	}
	return fmt.Sprintf("%d %ss", n, word)
}
