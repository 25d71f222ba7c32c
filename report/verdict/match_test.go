package verdict

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMatchException(t *testing.T) {
	t.Parallel()
	cases := []struct {
		entry, name string
		want        bool
	}{
		{"agent01.corp.example", "agent01.corp.example", true},
		{"AGENT01.corp.example", "agent01.CORP.example", true},
		{"agent01", "agent01.corp.example", false},
		{"agent01.corp.example", "agent01", false},
		{"*", "", true},
		{"*", "anything", true},
		{"", "", true},
		{"", "a", false},
		{"*.corp.example", "agent01.corp.example", true},
		{"*.corp.example", "corp.example", false},
		{"agent*", "agent", true},
		{"agent*", "AGENT99", true},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXcYYb", false},
		{"a**c", "ac", true},
		{"*agent*", "xx-agent-yy", true},
		{"10.0.0.*", "10.0.0.32", true},
		{"10.0.0.*", "10.0.1.32", false},
		{"*a", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", false},
		{"ß", "ẞ", true},      // simple folding: U+00DF / U+1E9E
		{"K", "\u212a", true}, // Kelvin sign folds to K
	}
	for _, c := range cases {
		if got := MatchException(c.entry, c.name); got != c.want {
			t.Errorf("MatchException(%q, %q) = %t, want %t", c.entry, c.name, got, c.want)
		}
	}
}

func TestMatchListConfirmation(t *testing.T) {
	t.Parallel()
	used := candidate{name: "agent01.corp.example", form: NameFQDN, primary: true}
	nb := candidate{name: "AGENT01", form: NameNetBIOS}
	ip := candidate{name: "10.0.0.1", form: NameIP, primary: true}
	cases := []struct {
		name      string
		kind      listKind
		entries   []string
		cands     []candidate
		matched   bool
		confirmed bool
		entry     string
	}{
		{"client exact name used", clientList, []string{"agent01.corp.example"}, []candidate{used, nb}, true, true, "agent01.corp.example"},
		{"client other form only", clientList, []string{"AGENT01"}, []candidate{used, nb}, true, false, "AGENT01"}, // otherName
		{"client case differs", clientList, []string{"AGENT01.CORP.EXAMPLE"}, []candidate{used, nb}, true, true, "AGENT01.CORP.EXAMPLE"},
		{"client unconfirmed wins over another name", clientList, []string{"AGENT01", "HOST/agent01.corp.example"}, []candidate{used, nb}, true, false, "HOST/agent01.corp.example"},
		{"client confirmed wins over earlier unconfirmed", clientList, []string{"AGENT01", "agent*"}, []candidate{used, nb}, true, true, "agent*"},
		{"client IP literal", clientList, []string{"10.0.0.1"}, []candidate{ip}, true, true, "10.0.0.1"},
		{"client empty entry ignored", clientList, []string{"", "  "}, []candidate{used}, false, false, ""},
		{"client SPN form", clientList, []string{"HOST/agent01.corp.example"}, []candidate{used}, true, false, "HOST/agent01.corp.example"},
		{"smb IP is documented", smbList, []string{"10.0.0.1"}, []candidate{ip}, true, true, "10.0.0.1"},
		{"smb wildcard unconfirmed", smbList, []string{"agent*"}, []candidate{used}, true, false, "agent*"},
		{"dc netbios", dcList, []string{"AGENT01"}, []candidate{{name: "AGENT01", form: NameNetBIOS, primary: true}}, true, true, "AGENT01"},
		{"dc fqdn is another name", dcList, []string{"agent01.corp.example"},
			[]candidate{{name: "AGENT01", form: NameNetBIOS, primary: true}, {name: "agent01.corp.example", form: NameFQDN}}, true, false, "agent01.corp.example"},
		{"no match", dcList, []string{"AGENT02"}, []candidate{{name: "AGENT01", form: NameNetBIOS, primary: true}}, false, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := matchList(c.kind, c.entries, c.cands)
			if (m != nil) != c.matched {
				t.Fatalf("matched = %t, want %t", m != nil, c.matched)
			}
			if m == nil {
				return
			}
			if m.confirmed != c.confirmed || m.entry != c.entry {
				t.Errorf("got entry %q confirmed %t (%v), want %q %t", m.entry, m.confirmed, m.caveats, c.entry, c.confirmed)
			}
			if !m.confirmed && !m.otherName && len(m.caveats) == 0 {
				t.Error("unconfirmed match without a caveat")
			}
			if m.otherName && (m.confirmed || m.name == c.cands[0].name) {
				t.Errorf("other-name match %+v on the compared name or confirmed", m)
			}
		})
	}
}

// globReference is MatchException written with the regexp package: every
// '*' becomes ".*", everything else is literal, case folded.
func globReference(entry, name string) bool {
	parts := strings.Split(entry, "*")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	re := regexp.MustCompile(`(?is)\A` + strings.Join(parts, ".*") + `\z`)
	return re.MatchString(name)
}

func FuzzMatchException(f *testing.F) {
	for _, s := range [][2]string{
		{"agent01.corp.example", "agent01.corp.example"},
		{"*.corp.example", "agent01.corp.example"},
		{"AGENT0*", "agent01"},
		{"10.0.0.*", "10.0.0.32"},
		{"*a*b*", "xxaYYbZZ"},
		{"**", ""},
		{"HTTP/agent01", "agent01"},
		{"ß*", "ẞx"},
		{"\xff*", "\xff"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, entry, name string) {
		if len(entry) > 256 || len(name) > 256 {
			t.Skip("keep the quadratic reference fast")
		}
		got := MatchException(entry, name)
		// '*' alone matches everything; no '*' means case-insensitive equality.
		if strings.Trim(entry, "*") == "" && entry != "" && !got {
			t.Fatalf("%q should match %q", entry, name)
		}
		if !strings.Contains(entry, "*") && got != strings.EqualFold(entry, name) {
			t.Fatalf("MatchException(%q, %q) = %t, EqualFold = %t", entry, name, got, !got)
		}
		// Appending '*' never loses a match; an exact-case match is a match.
		if got && !MatchException(entry+"*", name) {
			t.Fatalf("%q matches %q but %q does not", entry, name, entry+"*")
		}
		if globMatch(entry, name, false) && !got {
			t.Fatalf("case-sensitive match without case-insensitive match: %q %q", entry, name)
		}
		if utf8.ValidString(entry) && utf8.ValidString(name) {
			if want := globReference(entry, name); got != want {
				t.Fatalf("MatchException(%q, %q) = %t, reference %t", entry, name, got, want)
			}
		}
		// matchList never panics on arbitrary entries and names.
		for _, k := range []listKind{clientList, smbList, dcList} {
			_ = matchList(k, []string{entry}, []candidate{{name: name, form: NameOther, primary: true}, {name: entry, form: NameIP}})
		}
	})
}
