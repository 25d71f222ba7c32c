package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

// editInventory rewrites the YAML inventory at path through edit.
func editInventory(t *testing.T, path string, edit func(root *yaml.Node)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	edit(doc.Content[0])
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// deleteKey removes key from mapping m.
func deleteKey(m *yaml.Node, key string) {
	if m == nil {
		return
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

// setKey sets key of mapping m to a scalar value.
func setKey(m *yaml.Node, key, value string) {
	if v := mapValue(m, key); v != nil {
		v.Kind, v.Tag, v.Value, v.Content = yaml.ScalarNode, "", value, nil
		return
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, &yaml.Node{Kind: yaml.ScalarNode, Value: value})
}

// hostResult finds one host's result in a JSON report.
func hostResult(t *testing.T, rep *report.Report, name string) facts.HostResult {
	t.Helper()
	for _, h := range rep.Hosts {
		if h.Host == name {
			return h
		}
	}
	t.Fatalf("host %s not in the report", name)
	return facts.HostResult{}
}

// A hung host costs what --host-timeout (or NTLMSCAN_HOST_TIMEOUT, or the
// settings file's host-timeout) says, unless the inventory gives the host a
// timeout of its own: per-host inventory timeout > flag/env/config > default.
func TestHostTimeoutPrecedence(t *testing.T) {
	invPath, srv := demoFleet(t)
	for _, h := range []string{"AGENT01", "AGENT02"} {
		if err := srv.SetFaults(h, winrmtest.Faults{Hang: true}); err != nil {
			t.Fatal(err)
		}
	}
	// No inventory-wide timeout; AGENT02 has its own.
	editInventory(t, invPath, func(root *yaml.Node) {
		deleteKey(mapValue(mapValue(root, "defaults"), "winrm"), "timeout")
		agent02 := mapValue(mapValue(root, "agents"), "AGENT02")
		w := mapValue(agent02, "winrm")
		if w == nil {
			w = &yaml.Node{Kind: yaml.MappingNode}
			agent02.Content = append(agent02.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "winrm"}, w)
		}
		setKey(w, "timeout", "3s")
	})
	dir := t.TempDir()
	cfg := filepath.Join(dir, "settings.yaml")
	if err := os.WriteFile(cfg, []byte("scan:\n  host-timeout: 2s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string // AGENT01's timeout
	}{
		{"flag", nil, []string{"--host-timeout", "1s"}, "1s"},
		{"environment", map[string]string{"NTLMSCAN_HOST_TIMEOUT": "1500ms"}, nil, "1.5s"},
		{"settings file", nil, []string{"--config", cfg}, "2s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "scan.json")
			args := append([]string{"scan", "-i", invPath, "--quiet", "--retries", "0", "--json", out}, tc.args...)
			r := run(t, tc.env, args...)
			if r.code&ExitHostsFailed == 0 {
				t.Fatalf("exit %d, want the hosts-failed bit; stderr:\n%s", r.code, r.stderr)
			}
			rep, err := loadReport(out)
			if err != nil {
				t.Fatal(err)
			}
			for host, want := range map[string]string{"AGENT01": tc.want, "AGENT02": "3s"} {
				h := hostResult(t, rep, host)
				if h.Error == nil || h.Error.Class != facts.ErrTimeout || !strings.Contains(h.Error.Message, "per-host timeout ("+want+")") {
					t.Errorf("%s: got %+v, want a timeout after %s", host, h.Error, want)
				}
			}
		})
	}
}
