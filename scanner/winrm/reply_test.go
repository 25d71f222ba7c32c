package winrm

import (
	"encoding/base64"
	"strings"
	"testing"
)

type testSink struct{ out, err strings.Builder }

func (s *testSink) stdout(p []byte) error { s.out.Write(p); return nil }
func (s *testSink) stderr(p []byte) error { s.err.Write(p); return nil }

const envOpen = `<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell">`

func TestParseReply(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		check   func(t *testing.T, r *reply, s *testSink)
		wantErr string
	}{
		{name: "create", body: envOpen + `<s:Header><a:Action>x</a:Action></s:Header><s:Body><x:ResourceCreated xmlns:x="t"><a:ReferenceParameters><w:SelectorSet><w:Selector Name="ShellId">ABC-1</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated></s:Body></s:Envelope>`,
			check: func(t *testing.T, r *reply, _ *testSink) {
				if r.shellID != "ABC-1" {
					t.Errorf("shell id %q", r.shellID)
				}
			}},
		{name: "other prefixes", body: `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><sh:CommandResponse xmlns:sh="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><sh:CommandId>C-9</sh:CommandId></sh:CommandResponse></env:Body></env:Envelope>`,
			check: func(t *testing.T, r *reply, _ *testSink) {
				if r.commandID != "C-9" {
					t.Errorf("command id %q", r.commandID)
				}
			}},
		{name: "receive done", body: envOpen + `<s:Body><rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="C">aGk=</rsp:Stream><rsp:Stream Name="stderr" CommandId="C">ZXJy</rsp:Stream><rsp:Stream Name="stdout" CommandId="C">Cg==</rsp:Stream><rsp:Stream Name="stdout" CommandId="C" End="true"></rsp:Stream><rsp:CommandState CommandId="C" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"><rsp:ExitCode>3</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse></s:Body></s:Envelope>`,
			check: func(t *testing.T, r *reply, s *testSink) {
				if !r.done || r.exitCode != 3 || s.out.String() != "hi\n" || s.err.String() != "err" || r.streams != 3 {
					t.Errorf("done=%v exit=%d out=%q err=%q streams=%d", r.done, r.exitCode, s.out.String(), s.err.String(), r.streams)
				}
			}},
		{name: "fault", body: envOpen + `<s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>w:TimedOut</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  </s:Text></s:Reason><s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="2150858793" Machine="h"><f:Message>timed <b>out</b></f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>`,
			check: func(t *testing.T, r *reply, _ *testSink) {
				f := r.fault
				if f == nil || !f.TimedOut() || f.Code != "Receiver" || f.WSManCode != "2150858793" || f.Message != "timed out" {
					t.Errorf("fault %+v", f)
				}
			}},
		{name: "bad base64", body: envOpen + `<s:Body><rsp:Stream Name="stdout">@@@</rsp:Stream></s:Body></s:Envelope>`, wantErr: "not base64"},
		{name: "truncated", body: envOpen + `<s:Body><rsp:Stream Name="stdout">aGk=</rsp:Str`, wantErr: "not well-formed"},
		{name: "mismatched", body: envOpen + `<s:Body></s:Header></s:Envelope>`, wantErr: "closed by"},
		{name: "unbound prefix", body: envOpen + `<s:Body><q:x/></s:Body></s:Envelope>`, wantErr: "undeclared"},
		{name: "not soap", body: `<html><body>proxy error</body></html>`, wantErr: "not a SOAP envelope"},
		{name: "empty", body: ``, wantErr: "ends early"},
		{name: "two roots", body: envOpen + `</s:Envelope><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"/>`, wantErr: "after the root"},
		{name: "deep", body: envOpen + strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100) + `</s:Envelope>`, wantErr: "deeper"},
		{name: "many elements", body: envOpen + strings.Repeat("<a/>", maxXMLElements+1) + `</s:Envelope>`, wantErr: "more than"},
		{name: "namespace bomb", body: envOpen + strings.Repeat("<a"+strings.Repeat(` xmlns:p="u"`, 20)+">", 60) + strings.Repeat("</a>", 60) + `</s:Envelope>`, wantErr: "too complex"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &testSink{}
			r, err := parseReply([]byte(tc.body), s)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("want error containing %q, got %v", tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, r, s)
		})
	}
}

// FuzzParseReply: never panics, and whatever it accepts is within bounds.
func FuzzParseReply(f *testing.F) {
	f.Add([]byte(envOpen + `<s:Body><rsp:Stream Name="stdout">aGk=</rsp:Stream></s:Body></s:Envelope>`))
	f.Add([]byte(envOpen + `<s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value></s:Code></s:Fault></s:Body></s:Envelope>`))
	f.Add([]byte(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><![CDATA[x]]></s:Envelope>`))
	f.Add([]byte(envOpen + `<s:Body><rsp:Stream Name="stdout">` + strings.Repeat("QUJD", 100) + `</rsp:Stream><rsp:Stream Name="stdout">#0</rsp:Stream><rsp:Stream Name="stdout">#0</rsp:Stream></s:Body></s:Envelope>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		s := &testSink{}
		r, err := parseReply(body, s)
		if err == nil && r == nil {
			t.Fatal("nil reply without error")
		}
		if s.out.Len()+s.err.Len() > len(body) {
			t.Fatalf("decoded %d bytes from a %d-byte reply", s.out.Len()+s.err.Len(), len(body))
		}
	})
}

// BenchmarkParseReply parses a ReceiveResponse carrying 16 KiB of output
// (the size of a collector answer), the client's one XML pass per reply.
func BenchmarkParseReply(b *testing.B) {
	data := make([]byte, 16<<10)
	for i := range data {
		data[i] = byte('a' + i%26)
	}
	body := []byte(envOpen + `<s:Header><a:Action>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/ReceiveResponse</a:Action></s:Header><s:Body><rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="C">` +
		base64.StdEncoding.EncodeToString(data) + `</rsp:Stream><rsp:Stream Name="stdout" CommandId="C" End="true"></rsp:Stream><rsp:CommandState CommandId="C" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"><rsp:ExitCode>0</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse></s:Body></s:Envelope>`)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		s := &testSink{}
		if r, err := parseReply(body, s); err != nil || !r.done {
			b.Fatal(err)
		}
	}
}

// TestParseReplyElidedRuns: long stream data takes the fast path and comes
// out the same; a run that is not a Stream's text, or a literal "#0" where
// no run was elided, is ordinary text.
func TestParseReplyElidedRuns(t *testing.T) {
	long := strings.Repeat("QUJD", 200) // "ABC" × 200
	body := envOpen + `<s:Body><rsp:ReceiveResponse><x:Other xmlns:x="u">` + long + `</x:Other><rsp:Stream Name="stdout">` + long +
		`</rsp:Stream><rsp:Stream Name="stderr">#0</rsp:Stream><rsp:Stream Name="stderr">` + long + `=</rsp:Stream></rsp:ReceiveResponse></s:Body></s:Envelope>`
	s := &testSink{}
	_, err := parseReply([]byte(body), s)
	if err == nil || !strings.Contains(err.Error(), "not base64") {
		t.Fatalf("a trailing '=' after full quads must fail base64: %v", err)
	}
	body = strings.Replace(body, long+`=</rsp:Stream>`, long+`</rsp:Stream>`, 1)
	body = strings.Replace(body, `<rsp:Stream Name="stderr">#0</rsp:Stream>`, ``, 1)
	s = &testSink{}
	if _, err := parseReply([]byte(body), s); err != nil {
		t.Fatal(err)
	}
	if want := strings.Repeat("ABC", 200); s.out.String() != want || s.err.String() != want {
		t.Errorf("stdout %d bytes, stderr %d bytes; want %d each", s.out.Len(), s.err.Len(), len(want))
	}
}
