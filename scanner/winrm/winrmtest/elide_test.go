package winrmtest

import (
	"strings"
	"testing"
)

// TestParseEnvelopeLongSend: long stdin in a Send comes out whole (it takes
// the fast path around the XML tokenizer); a stream whose text merely looks
// like a marker, or a second use of one, stays as sent.
func TestParseEnvelopeLongSend(t *testing.T) {
	data := strings.Repeat("QUJD", 5000)
	msg := `<s:Envelope xmlns:s="` + nsSOAP + `" xmlns:a="` + nsAddr + `" xmlns:rsp="` + nsShell + `"><s:Header><a:Action>` + actionSend +
		`</a:Action></s:Header><s:Body><rsp:Send><rsp:Stream Name="stdin" CommandId="C">` + data +
		`</rsp:Stream><rsp:Stream Name="stdin" CommandId="C">#0</rsp:Stream><rsp:Stream Name="stdin" CommandId="C" End="true">#7</rsp:Stream></rsp:Send></s:Body></s:Envelope>`
	env, err := parseEnvelope([]byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	got := env.Send.Streams
	if len(got) != 3 || got[0].Data != data || got[1].Data != "#0" || got[2].Data != "#7" || got[2].End != "true" {
		t.Fatalf("streams: %d, first %d bytes, then %q %q", len(got), len(got[0].Data), got[1].Data, got[2].Data)
	}
}
