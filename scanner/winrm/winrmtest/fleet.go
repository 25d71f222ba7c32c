package winrmtest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/ntlmscan/ntlmscan/inventory"
)

// Fleet is a running lab plus an inventory pointed at it: what a scanner
// needs to scan the lab, as httptest.Server hands out URL and Client. The
// demo, the command tests and `simulate` use it, so an inventory is pointed
// at the simulator in one place.
type Fleet struct {
	Server *Server
	// Inventory is InventoryYAML, loaded.
	Inventory *inventory.Inventory
	// InventoryYAML is the inventory given to StartFleet with every scanned
	// host's address and WinRM port set to its simulated endpoint, and each
	// HTTPS host's ca_file set to CAFile.
	InventoryYAML []byte
	// CAFile holds the run's CA certificate (PEM).
	CAFile string
	// Env maps each password_env variable the inventory's credentials name
	// to the lab password of its account (credentials whose account the lab
	// does not know are left out). Hand it to the scan as its environment:
	// the process's is never changed.
	Env map[string]string

	dir       string
	removeDir bool
}

// WithFleetDir makes StartFleet write the CA file into dir and leave it
// there after Close (default: a temporary directory that Close removes).
func WithFleetDir(dir string) Option { return func(c *config) { c.fleetDir = dir } }

// StartFleet starts the lab (NewServer with opts; WithEphemeralPorts lets
// fleets run side by side) and points the inventory invYAML at it. Every
// scanned inventory host must be a lab host, found by NetBIOS name, else by
// inventory name. name is the inventory's file name in messages and
// reports. The caller must Close the fleet.
func StartFleet(lab *Lab, invYAML []byte, name string, opts ...Option) (*Fleet, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := NewServer(lab, opts...)
	if err != nil {
		return nil, err
	}
	f, err := NewFleet(srv, invYAML, name, cfg.fleetDir)
	if err != nil {
		srv.Close()
		return nil, err
	}
	return f, nil
}

// NewFleet points the inventory invYAML at a running server, as StartFleet
// does: Run's WithStarted function can hand out an inventory for the lab it
// serves. The CA file goes into dir ("": a temporary directory that Close
// removes). Close closes srv too.
func NewFleet(srv *Server, invYAML []byte, name, dir string) (*Fleet, error) {
	f := &Fleet{Server: srv, dir: dir}
	if err := f.point(invYAML, name); err != nil {
		if f.removeDir {
			_ = os.RemoveAll(f.dir)
		}
		return nil, err
	}
	return f, nil
}

func (f *Fleet) point(invYAML []byte, name string) error {
	inv, err := inventory.Parse(invYAML, name)
	if err != nil {
		return err
	}
	if f.dir == "" {
		if f.dir, err = os.MkdirTemp("", "winrmtest-fleet-"); err != nil {
			return fmt.Errorf("directory for the fleet's CA: %w", err)
		}
		f.removeDir = true
	}
	f.CAFile = filepath.Join(f.dir, "fleet-ca.pem")
	if err := os.WriteFile(f.CAFile, f.Server.CACertPEM(), 0o600); err != nil {
		return fmt.Errorf("write the fleet's CA: %w", err)
	}

	var doc yaml.Node
	if err := yaml.Unmarshal(invYAML, &doc); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	for _, h := range inv.Hosts {
		// Share hosts, scanned or described, answer the SMB probe at the
		// lab's SMB port.
		if h.Role == inventory.RoleRepositoryHost {
			if ep, ok := f.Server.Host(h.NetBIOS); ok && ep.SMBPort != 0 {
				if entry := fleetHostEntry(&doc, h); entry != nil {
					fleetSetScalar(entry, "address", ep.Address)
					fleetSetScalar(entry, "smb_port", strconv.Itoa(ep.SMBPort))
				}
			}
		}
		if !h.Scan {
			continue
		}
		ep, ok := f.Server.Host(h.NetBIOS)
		if !ok {
			ep, ok = f.Server.Host(h.Name)
		}
		if !ok {
			return fmt.Errorf("%s: inventory host %s is not in the lab", name, h.Name)
		}
		entry := fleetHostEntry(&doc, h)
		if entry == nil {
			return fmt.Errorf("%s:%d: no entry for host %s", name, h.Line, h.Name)
		}
		fleetSetScalar(entry, "address", ep.Address)
		winrm := fleetMapping(entry, "winrm")
		port := ep.HTTPPort
		if h.WinRM.HTTPS {
			port = ep.HTTPSPort
			fleetSetScalar(winrm, "ca_file", f.CAFile)
			fleetDeleteKey(winrm, "insecure_skip_verify") // excludes ca_file
		}
		if port != 0 { // a listener the host lacks: its scan fails as it would
			fleetSetScalar(winrm, "port", strconv.Itoa(port))
		}
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	f.InventoryYAML = buf.Bytes()
	if f.Inventory, err = inventory.Parse(f.InventoryYAML, name); err != nil {
		return fmt.Errorf("inventory pointed at the fleet: %w", err)
	}

	f.Env = map[string]string{}
	for _, c := range f.Inventory.Credentials {
		if c.PasswordEnv == "" {
			continue
		}
		for _, ep := range f.Server.Hosts() {
			if pw, ok := f.Server.Lab().Password(ep.Name, c.Username); ok {
				f.Env[c.PasswordEnv] = pw
				break
			}
		}
	}
	return nil
}

// LookupEnv looks key up in Env, as os.LookupEnv does in the process's
// environment.
func (f *Fleet) LookupEnv(key string) (string, bool) {
	v, ok := f.Env[key]
	return v, ok
}

// WriteInventory writes InventoryYAML to path (mode 0600).
func (f *Fleet) WriteInventory(path string) error {
	if err := os.WriteFile(path, f.InventoryYAML, 0o600); err != nil {
		return fmt.Errorf("write the fleet's inventory: %w", err)
	}
	return nil
}

// Close stops the simulator and removes the temporary CA directory.
func (f *Fleet) Close() {
	f.Server.Close()
	if f.removeDir {
		_ = os.RemoveAll(f.dir)
	}
}

// fleetHostEntry finds the mapping of h's entry: the key on h's line named as h.
func fleetHostEntry(n *yaml.Node, h *inventory.Host) *yaml.Node {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			if e := fleetHostEntry(c, h); e != nil {
				return e
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Line == h.Line && k.Value == h.Name {
				if v.Kind == yaml.ScalarNode && (v.Tag == "!!null" || v.Value == "") {
					*v = yaml.Node{Kind: yaml.MappingNode}
				}
				if v.Kind == yaml.MappingNode {
					return v
				}
			}
			if e := fleetHostEntry(v, h); e != nil {
				return e
			}
		}
	}
	return nil
}

// fleetMapping returns m's mapping under key, adding an empty one if absent.
func fleetMapping(m *yaml.Node, key string) *yaml.Node {
	if v := fleetValue(m, key); v != nil && v.Kind == yaml.MappingNode {
		return v
	}
	fleetDeleteKey(m, key)
	v := &yaml.Node{Kind: yaml.MappingNode}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, v)
	return v
}

// fleetSetScalar sets m's key to a plain scalar.
func fleetSetScalar(m *yaml.Node, key, val string) {
	if v := fleetValue(m, key); v != nil {
		*v = yaml.Node{Kind: yaml.ScalarNode, Value: val, LineComment: v.LineComment}
		return
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, &yaml.Node{Kind: yaml.ScalarNode, Value: val})
}

func fleetValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func fleetDeleteKey(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}
