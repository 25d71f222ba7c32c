package cli

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/cmd/internal/iostreams"
	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/report/waiver"
	"github.com/ntlmscan/ntlmscan/report/whatif"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

// TestYAMLDialect: every file ntlmscan reads (inventory, what-if, waivers,
// settings, lab) speaks one dialect: a misspelt key and a repeated key read
// the same, word for word, whichever file they are in.
func TestYAMLDialect(t *testing.T) {
	t.Parallel()
	inv, err := inventory.Parse(mustReadExample(t), "inventory.yaml")
	if err != nil {
		t.Fatal(err)
	}
	streams, _, _, _ := iostreams.Test()
	root := NewRootCmd(&Factory{IO: streams, LookupEnv: func(string) (string, bool) { return "", false }})

	type key struct {
		line       int
		field, key string
		other      string // the suggestion, or the line first defined on
	}
	tests := []struct {
		reader, file, data string
		parse              func(data []byte, file string) error
		unknown, repeated  key
	}{
		{"inventory", "inventory.yaml",
			"cores:\n  CORE01:\n    adress: 127.0.0.1\n    address: 127.0.0.1\n    address: 127.0.0.2\n",
			func(d []byte, f string) error { _, err := inventory.Parse(d, f); return err },
			key{3, "cores.CORE01.adress", "adress", "address"},
			key{5, "cores.CORE01.address", "address", "4"}},
		{"what-if", "assume.yaml",
			"descripton: x\nname: a\nname: b\nchanges:\n  - roles: [agent]\n    set: {RestrictReceivingNTLMTraffic: 2}\n",
			func(d []byte, f string) error { _, err := whatif.Parse(d, f, inv); return err },
			key{1, "descripton", "descripton", "description"},
			key{3, "name", "name", "2"}},
		{"waivers", "waivers.yaml",
			"waivers:\n  - path: CORE01|agent|AGENT01|agent01\n    ownr: a@b\n    owner: a@b\n    owner: c@d\n    reason: r\n    expires: 2027-01-01\n",
			func(d []byte, f string) error { _, err := waiver.Parse(strings.NewReader(string(d)), f); return err },
			key{3, "waivers[0].ownr", "ownr", "owner"},
			key{5, "waivers[0].owner", "owner", "4"}},
		{"settings", "settings.yaml",
			"concurency: 4\nquiet: true\nquiet: false\n",
			func(d []byte, f string) error { _, err := parseSettings(d, f, root); return err },
			key{1, "concurency", "concurency", "concurrency"},
			key{3, "quiet", "quiet", "2"}},
		{"lab", "lab.yaml",
			"hosts:\n  - name: A\n    adress: 127.0.0.1\n    name: B\n",
			func(d []byte, f string) error { _, err := winrmtest.ParseLab(d, f); return err },
			key{3, "hosts[0].adress", "adress", "address"},
			key{4, "hosts[0].name", "name", "2"}},
	}
	for _, tc := range tests {
		t.Run(tc.reader, func(t *testing.T) {
			err := tc.parse([]byte(tc.data), tc.file)
			if err == nil {
				t.Fatal("accepted")
			}
			lines := strings.Split(err.Error(), "\n")
			u, r := tc.unknown, tc.repeated
			for _, want := range []string{
				fmt.Sprintf("%s:%d: %s: unknown key %q (did you mean %q?)", tc.file, u.line, u.field, u.key, u.other),
				fmt.Sprintf("%s:%d: %s: duplicate key %q (first defined on line %s) (remove one of them or merge them)", tc.file, r.line, r.field, r.key, r.other),
			} {
				if !containsLine(lines, want) {
					t.Errorf("no line\n  %s\nin\n  %s", want, strings.Join(lines, "\n  "))
				}
			}
		})
	}
}

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if strings.TrimPrefix(l, "ntlmscan: ") == want {
			return true
		}
	}
	return false
}
