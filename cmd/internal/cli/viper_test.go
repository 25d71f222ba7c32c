package cli

import (
	"testing"

	"github.com/ntlmscan/ntlmscan/cmd/internal/iostreams"
)

// TestSettingsViperPrecedence: the settings layers are a viper instance
// (the design's configuration library) with flags > NTLMSCAN_* environment >
// settings file (the command's section over the top level) > defaults; the
// strict check has already read the file, with its lines.
func TestSettingsViperPrecedence(t *testing.T) {
	t.Parallel()
	file := []byte("concurrency: 7\nretries: 5\nkeep: 3\nscan:\n  keep: 9\n  fail-on: at-risk\n" +
		"  limit: \"CORE01:!AGENT0*\"\n  drift: false\n  evidence-days: 3\n  smb-probe: false\n  smb-auth: true\n  continue-on-bad-credential: true\n")
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		key   string
		want  string
		where string
	}{
		{"default", nil, nil, "host-timeout", "1m0s", "default"},
		{"file top level", nil, nil, "concurrency", "7", "settings.yaml:1: concurrency"},
		{"command section over top level", nil, nil, "keep", "9", "settings.yaml:5: scan.keep"},
		{"environment over file", nil, map[string]string{"NTLMSCAN_RETRIES": "1"}, "retries", "1", "NTLMSCAN_RETRIES"},
		{"flag over environment", []string{"--fail-on", "none"}, map[string]string{"NTLMSCAN_FAIL_ON": "new"}, "fail-on", "none", "flag"},
		{"environment over section", nil, map[string]string{"NTLMSCAN_FAIL_ON": "new"}, "fail-on", "new", "NTLMSCAN_FAIL_ON"},
		// The flags of discover (--drift, --limit), evidence (--evidence-days)
		// and hostile hosts (--smb-auth, --continue-on-bad-credential) layer
		// like the others.
		{"limit from file", nil, nil, "limit", "CORE01:!AGENT0*", "settings.yaml:7: scan.limit"},
		{"drift from file", nil, nil, "drift", "false", "settings.yaml:8: scan.drift"},
		{"evidence days from file", nil, nil, "evidence-days", "3", "settings.yaml:9: scan.evidence-days"},
		{"smb probe from file", nil, nil, "smb-probe", "false", "settings.yaml:10: scan.smb-probe"},
		{"smb auth from file", nil, nil, "smb-auth", "true", "settings.yaml:11: scan.smb-auth"},
		{"bad credential from file", nil, nil, "continue-on-bad-credential", "true", "settings.yaml:12: scan.continue-on-bad-credential"},
		{"evidence days from environment", nil, map[string]string{"NTLMSCAN_EVIDENCE_DAYS": "0"}, "evidence-days", "0", "NTLMSCAN_EVIDENCE_DAYS"},
		{"limit from environment", nil, map[string]string{"NTLMSCAN_LIMIT": "CORE02"}, "limit", "CORE02", "NTLMSCAN_LIMIT"},
		{"limit flag over environment", []string{"--limit", "CORE01"}, map[string]string{"NTLMSCAN_LIMIT": "CORE02"}, "limit", "CORE01", "flag"},
		{"smb auth from environment", nil, map[string]string{"NTLMSCAN_SMB_AUTH": "false"}, "smb-auth", "false", "NTLMSCAN_SMB_AUTH"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			streams, _, _, _ := iostreams.Test()
			f := &Factory{IO: streams, LookupEnv: lookup(tc.env)}
			root := NewRootCmd(f)
			cmd, rest, err := root.Find([]string{"scan"})
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.ParseFlags(append(rest, tc.args...)); err != nil {
				t.Fatal(err)
			}
			sf, err := parseSettings(file, "settings.yaml", root)
			if err != nil {
				t.Fatal(err)
			}
			v, where := settingsViper(cmd, f, sf)
			if got := v.GetString(tc.key); got != tc.want {
				t.Errorf("%s = %q, want %q", tc.key, got, tc.want)
			}
			if got := where(tc.key); got != tc.where {
				t.Errorf("%s comes from %q, want %q", tc.key, got, tc.where)
			}
		})
	}
}
