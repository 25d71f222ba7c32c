package cli

import (
	"testing"

	"github.com/ntlmscan/ntlmscan/cmd/internal/iostreams"
	"github.com/ntlmscan/ntlmscan/inventory/yamlcheck"
)

// FuzzParseSettings: any settings file content ends in settings or in
// problems with file:line, never a panic or another error type.
func FuzzParseSettings(f *testing.F) {
	for _, seed := range []string{
		"scan:\n  concurrency: 64\n  host-timeout: 90s\n  fail-on: at-risk\n",
		"concurency: 4\nscan:\n  fail_on: new\n",
		"quiet: true\nquiet: false\n",
		"scan: [1, 2]\nreport: {format: json}\n",
		"---\na: 1\n---\nb: 2\n",
		"scan:\n  concurrency: [4\n",
		"&a x: *a\n",
	} {
		f.Add([]byte(seed))
	}
	streams, _, _, _ := iostreams.Test()
	root := NewRootCmd(&Factory{IO: streams})
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := parseSettings(data, "settings.yaml", root)
		if err != nil {
			if _, ok := yamlcheck.AsValidationError(err); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if s == nil {
			t.Fatal("nil settings without an error")
		}
	})
}
