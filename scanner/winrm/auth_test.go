package winrm

import (
	"encoding/base64"
	"net/http"
	"reflect"
	"testing"
)

func TestParseWWWAuthenticate(t *testing.T) {
	tests := []struct {
		name    string
		lines   []string
		want    []challenge
		offered []string
	}{
		{"windows member", []string{"Negotiate", "Kerberos"}, []challenge{{"Negotiate", ""}, {"Kerberos", ""}}, []string{"Negotiate", "Kerberos"}},
		{"basic realm", []string{"Negotiate", `Basic realm="WSMAN"`}, []challenge{{"Negotiate", ""}, {"Basic", `realm="WSMAN"`}}, []string{"Negotiate", "Basic"}},
		{"challenge", []string{"Negotiate TlRMTVNTUAACAAAA"}, []challenge{{"Negotiate", "TlRMTVNTUAACAAAA"}}, []string{"Negotiate"}},
		{"comma list", []string{"Negotiate, Kerberos"}, []challenge{{"Negotiate", ""}, {"Kerberos", ""}}, []string{"Negotiate", "Kerberos"}},
		{"realm with comma", []string{`Basic realm="a", charset="UTF-8"`}, []challenge{{"Basic", `realm="a"`}}, []string{"Basic"}},
		{"kerberos only", []string{"Kerberos"}, []challenge{{"Kerberos", ""}}, []string{"Kerberos"}},
		{"none", nil, nil, nil},
		{"hostile", []string{"\x1b[31mEvil\x00 token"}, []challenge{{"\x1b[31mEvil\x00", "token"}}, []string{"?[31mEvil?"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for _, l := range tc.lines {
				h.Add("WWW-Authenticate", l)
			}
			got := parseWWWAuthenticate(h)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("parse = %q, want %q", got, tc.want)
			}
			if off := offeredSchemes(got); !reflect.DeepEqual(off, tc.offered) {
				t.Errorf("offered = %q, want %q", off, tc.offered)
			}
		})
	}
}

func TestSplitUsername(t *testing.T) {
	tests := []struct{ in, user, domain string }{
		{`CORP\svc-ntlmscan`, "svc-ntlmscan", "CORP"},
		{`AGENT03\ntlmscan-local`, "ntlmscan-local", "AGENT03"},
		{"svc@corp.example", "svc@corp.example", ""},
		{"admin", "admin", ""},
	}
	for _, tc := range tests {
		u, d := SplitUsername(tc.in)
		if u != tc.user || d != tc.domain {
			t.Errorf("%q: got (%q, %q)", tc.in, u, d)
		}
	}
}

func TestChallengeFlags(t *testing.T) {
	ok := fakeChallenge(0xE28A8235)
	if f, err := challengeFlags(ok); err != nil || f != 0xE28A8235 {
		t.Fatalf("flags %#x err %v", f, err)
	}
	for _, bad := range [][]byte{nil, []byte("NTLMSSP\x00"), append([]byte("XTLMSSP\x00"), ok[8:]...), fakeNegotiateType()} {
		if _, err := challengeFlags(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func fakeNegotiateType() []byte {
	m := fakeChallenge(0)
	m[8] = 1
	return m
}

func TestISODuration(t *testing.T) {
	for d, want := range map[string]string{"20s": "PT20S", "2.5s": "PT2.500S", "1m": "PT60S", "1ms": "PT0.001S"} {
		if got := ISODuration(mustDuration(d)); got != want {
			t.Errorf("%s: %s, want %s", d, got, want)
		}
	}
}

// scriptedExchanger answers the handshake legs from a list.
type scriptedExchanger struct{ answers []*Response }

func (s *scriptedExchanger) Exchange(http.Header, []byte) (*Response, error) {
	if len(s.answers) == 0 {
		return &Response{Status: 500, Header: http.Header{}}, nil
	}
	r := s.answers[0]
	s.answers = s.answers[1:]
	return r, nil
}

func challengeAnswer(token []byte) *Response {
	h := http.Header{}
	h.Set("WWW-Authenticate", "Negotiate "+base64.StdEncoding.EncodeToString(token))
	return &Response{Status: 401, Header: h}
}

// FuzzNTLMChallenge: whatever CHALLENGE a host sends, the handshake ends in
// an error or a sealing context, never a panic.
func FuzzNTLMChallenge(f *testing.F) {
	f.Add(fakeChallenge(sealFlags))
	f.Add(fakeChallenge(0))
	f.Add([]byte("NTLMSSP\x00\x02\x00\x00\x00"))
	f.Add(append(fakeChallenge(sealFlags)[:40], 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0))
	f.Fuzz(func(t *testing.T, token []byte) {
		x := &scriptedExchanger{answers: []*Response{challengeAnswer(token), {Status: 200, Header: http.Header{}}}}
		prot, err := NewNTLM(`CORP\u`, "p").Authenticate(x, false)
		if err == nil {
			if _, ok := prot.(*ntlmSealer); !ok {
				t.Fatalf("no sealing context over HTTP: %T", prot)
			}
		}
	})
}
