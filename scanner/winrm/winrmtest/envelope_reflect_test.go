package winrmtest

import (
	"reflect"
	"testing"
)

// decodeEnvelopeReflect is the reflection-based decoder decodeEnvelope
// replaced: the reference it must match on any input.
func decodeEnvelopeReflect(data []byte) (xmlEnvelope, error) {
	var x xmlEnvelope
	err := newEnvelopeDecoder(data).Decode(&x)
	return x, err
}

func decodeEnvelopeStream(data []byte) (xmlEnvelope, error) {
	var x xmlEnvelope
	err := decodeEnvelope(newEnvelopeDecoder(data), &x)
	return x, err
}

// checkSameDecode fails when the streaming decoder and encoding/xml's
// reflection disagree on data: in the result or in the error text.
func checkSameDecode(t *testing.T, data []byte) {
	t.Helper()
	want, werr := decodeEnvelopeReflect(data)
	got, gerr := decodeEnvelopeStream(data)
	if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
		t.Fatalf("errors differ: reflection %v, stream %v\n%.400q", werr, gerr, data)
	}
	if werr == nil && !reflect.DeepEqual(want, got) {
		t.Fatalf("results differ:\nreflection %#v\nstream     %#v\n%.400q", want, got, data)
	}
}

func TestDecodeEnvelopeMatchesReflection(t *testing.T) {
	const pre = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell">`
	cases := []string{
		pre + `<s:Header><a:Action>x</a:Action><a:Action>y</a:Action><w:SelectorSet><w:Selector Name="ShellId">1</w:Selector></w:SelectorSet><w:SelectorSet><w:Selector xmlns:Name="n" Name="b">2<x>skip</x>3</w:Selector></w:SelectorSet></s:Header><s:Body/></s:Envelope>`,
		pre + `<s:Header><w:OptionSet><w:Option Name="A">1</w:Option><Option Name="B">wrong ns</Option></w:OptionSet><w:MaxEnvelopeSize><![CDATA[15]]>3</w:MaxEnvelopeSize></s:Header><s:Body><rsp:Send><rsp:Stream Name="stdin" CommandId="C" End="true">QUJD</rsp:Stream><rsp:Stream>x</rsp:Stream></rsp:Send></s:Body></s:Envelope>`,
		pre + `<s:Body><rsp:Receive><rsp:DesiredStream CommandId="1">stdout</rsp:DesiredStream><rsp:DesiredStream>stderr</rsp:DesiredStream></rsp:Receive><rsp:Signal CommandId="9"><rsp:Code>c</rsp:Code></rsp:Signal><rsp:Signal/></s:Body></s:Envelope>`,
		pre + `<s:Body><rsp:CommandLine><rsp:Command>cmd</rsp:Command><rsp:Arguments>a</rsp:Arguments><rsp:Arguments/></rsp:CommandLine><rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams></rsp:Shell></s:Body></s:Envelope>`,
		`<?xml version="1.0"?><!-- c --><Envelope/>`,
		`<x:Envelope xmlns:x="urn:other"/>`,
		pre + `<s:Header>`,
		pre + `<s:Header></s:Body></s:Envelope>`,
		"",
		`<?xml version="1.0" encoding="iso-8859-1"?><x/>`,
	}
	for _, s := range append(cases, envelopeSeedsT(t)...) {
		checkSameDecode(t, []byte(s))
	}
}
