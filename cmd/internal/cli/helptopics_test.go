package cli

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/cmd/internal/helptopics"
	"github.com/ntlmscan/ntlmscan/cmd/internal/iostreams"
)

// TestHelpTopics: every reference page is reachable as `ntlmscan help
// <topic>` (no command of the same name hides it) and prints the page, and
// `ntlmscan help` lists every topic with its one-line description.
func TestHelpTopics(t *testing.T) {
	t.Parallel()
	run := func(t *testing.T, args ...string) string {
		t.Helper()
		ios, _, out, errOut := iostreams.Test()
		f := &Factory{IO: ios, LookupEnv: lookup(nil)}
		if code := Run(context.Background(), f, args); code != ExitOK {
			t.Fatalf("ntlmscan %s: exit %d, stderr %q", strings.Join(args, " "), code, errOut.String())
		}
		return out.String()
	}
	topics := helptopics.All()
	if len(topics) < 15 {
		t.Fatalf("only %d help topics", len(topics))
	}
	for _, tp := range topics {
		t.Run(tp.Name, func(t *testing.T) {
			t.Parallel()
			got := run(t, "help", tp.Name)
			if strings.TrimSpace(got) != strings.TrimSpace(tp.Text()) {
				t.Errorf("ntlmscan help %s does not print the page; it printed:\n%.400s", tp.Name, got)
			}
			if strings.Contains(got, "<!--") {
				t.Errorf("ntlmscan help %s shows a generated-block marker", tp.Name)
			}
		})
	}
	list := run(t, "help")
	if !strings.Contains(list, "Additional help topics:") {
		t.Fatalf("ntlmscan help lists no help topics:\n%s", list)
	}
	for _, tp := range topics {
		re := regexp.MustCompile(`(?m)^\s+ntlmscan ` + regexp.QuoteMeta(tp.Name) + `\s+` + regexp.QuoteMeta(tp.Short) + `$`)
		if !re.MatchString(list) {
			t.Errorf("ntlmscan help does not list %s with %q", tp.Name, tp.Short)
		}
	}
}

// TestSettingsFileFlagNamedLikeTopic: a help topic is no command, so a
// settings file's top-level key of the same name (csv:, json:, waivers:
// are flags of scan) is still the flag.
func TestSettingsFileFlagNamedLikeTopic(t *testing.T) {
	t.Parallel()
	streams, _, _, _ := iostreams.Test()
	f := &Factory{IO: streams, LookupEnv: lookup(nil)}
	root := NewRootCmd(f)
	cmd, rest, err := root.Find([]string{"scan"})
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.ParseFlags(rest); err != nil {
		t.Fatal(err)
	}
	sf, err := parseSettings([]byte("csv: paths.csv\nwaivers: waivers.yaml\n"), "settings.yaml", root)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := settingsViper(cmd, f, sf)
	for key, want := range map[string]string{"csv": "paths.csv", "waivers": "waivers.yaml"} {
		if got := v.GetString(key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
}
