package inventory

import (
	"reflect"
	"testing"
)

func TestIsIPAddress(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		"127.0.0.32":           true,
		"10.0.0.1":             true,
		"::1":                  true,
		"fe80::1%eth0":         true,
		"[2001:db8::1]":        true,
		"agent01.corp.example": false,
		"AGENT01":              false,
		"10.0.0.256":           false,
		"10.0.0":               false,
		"":                     false,
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			if got := IsIPAddress(in); got != want {
				t.Errorf("IsIPAddress(%q) = %v, want %v", in, got, want)
			}
		})
	}
}

func TestClassifyNameAndNameForms(t *testing.T) {
	t.Parallel()
	h := &Host{Name: "AGENT01", FQDN: "agent01.corp.example", NetBIOS: "AGENT01", Address: "10.0.0.31"}
	tests := []struct{ name, want string }{
		{"agent01.corp.example", FormFQDN},
		{"AGENT01.CORP.EXAMPLE", FormFQDN},
		{"agent01", FormNetBIOS},
		{"10.0.0.31", FormIP},
		{"10.9.9.9", FormIP},
		{"backup-alias.corp.example", FormOther},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := ClassifyName(h, tc.name); got != tc.want {
				t.Errorf("ClassifyName(%q) = %q, want %q", tc.name, got, tc.want)
			}
		})
	}
	if got, want := NameForms(h), []string{"agent01.corp.example", "AGENT01", "10.0.0.31"}; !reflect.DeepEqual(got, want) {
		t.Errorf("NameForms = %v, want %v", got, want)
	}
	if !h.KnownBy("Agent01") || h.KnownBy("agent02") {
		t.Errorf("KnownBy is wrong")
	}
	if NameForms(nil) != nil || ClassifyName(nil, "x") != FormOther {
		t.Errorf("nil host not handled")
	}
}

func TestParseUNC(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, server, share string
		bad               bool
	}{
		{in: `\\fs01.corp.example\RRRepo`, server: "fs01.corp.example", share: "RRRepo"},
		{in: `\\nas01\rr-archive\2026\q1`, server: "nas01", share: "rr-archive"},
		{in: `\\10.0.0.5\D$`, server: "10.0.0.5", share: "D$"},
		{in: `\\corp.example\dfs\rr`, server: "corp.example", share: "dfs"},
		{in: `\\fs01`, bad: true},
		{in: `\\\share`, bad: true},
		{in: `\\fs01\`, bad: true},
		{in: `\\fs01\share\`, bad: true},
		{in: `\\fs01\share\\x`, bad: true},
		{in: `\\fs01\sh:are`, bad: true},
		{in: `\\fs01\share\a?b`, bad: true},
		{in: `//fs01/share`, bad: true},
		{in: `\\?\UNC\fs01\share`, bad: true},
		{in: `fs01\share`, bad: true},
		{in: `\\fs01:445\share`, bad: true},
		{in: `\\fs 01\share`, bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			server, share, reason, hint := parseUNC(tc.in)
			if tc.bad {
				if reason == "" || hint == "" {
					t.Errorf("parseUNC(%q) accepted it (server %q share %q)", tc.in, server, share)
				}
				return
			}
			if reason != "" || server != tc.server || share != tc.share {
				t.Errorf("parseUNC(%q) = %q, %q, %q", tc.in, server, share, reason)
			}
		})
	}
}

func TestCheckHostName(t *testing.T) {
	t.Parallel()
	good := []string{"agent01", "agent01.corp.example", "10.0.0.1", "::1", "host_with_underscore.corp.example", "a"}
	bad := []string{"http://x", `\\fs01`, "x:5985", "[::1]", "-bad.example", "bad-.example", "a..b", "trailing.", "10.0.0.999", "has space"}
	for _, s := range good {
		if r, _ := checkHostName(s); r != "" {
			t.Errorf("checkHostName(%q) = %q, want ok", s, r)
		}
	}
	for _, s := range bad {
		if r, h := checkHostName(s); r == "" || h == "" {
			t.Errorf("checkHostName(%q) accepted it", s)
		}
	}
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	keys := []string{"address", "fqdn", "netbios", "insecure_skip_verify"}
	tests := map[string]string{"adress": "address", "FQDN": "fqdn", "netbois": "netbios", "insecure": "insecure_skip_verify", "zzz": ""}
	for in, want := range tests {
		if got := suggest(in, keys); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}
