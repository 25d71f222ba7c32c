package winrmtest

import (
	"bytes"
	"crypto/rand"
	"encoding/xml"
	"fmt"
	"strings"
)

// Response envelopes are written the way Windows writes them: no XML
// declaration, xml:lang on the root, a namespace set that depends on the
// message, and the header order Action, MessageID, [ActivityId], To,
// RelatesTo (a published 2012 R2 packet capture, jborean93/github-misc
// packer/issue-6205, and the pypsrp recordings in
// testdata/windows-wsman).

type nsSet int

const (
	nsCreate  nsSet = iota // s a x w rsp p (Create, Command, Send, Signal)
	nsReceive              // s a w rsp p
	nsDelete               // s a w p
	nsFault                // s a x e n w p
)

func (n nsSet) attrs() string {
	const (
		s   = ` xmlns:s="` + nsSOAP + `"`
		a   = ` xmlns:a="` + nsAddr + `"`
		x   = ` xmlns:x="` + nsTransfer + `"`
		e   = ` xmlns:e="` + nsEventing + `"`
		en  = ` xmlns:n="` + nsEnum + `"`
		w   = ` xmlns:w="` + nsWSMan + `"`
		rsp = ` xmlns:rsp="` + nsShell + `"`
		p   = ` xmlns:p="` + nsWSMV + `"`
	)
	switch n {
	case nsReceive:
		return s + a + w + rsp + p
	case nsDelete:
		return s + a + w + p
	case nsFault:
		return s + a + x + e + en + w + p
	}
	return s + a + x + w + rsp + p
}

// guid returns an upper-case random GUID, as Windows formats them.
func guid() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return strings.ToUpper(fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]))
}

// envelopeWriter builds one response envelope.
type envelopeWriter struct {
	b bytes.Buffer
}

func (hs *hostServer) startEnvelope(ns nsSet, action string, req *envelope) *envelopeWriter {
	w := &envelopeWriter{}
	w.b.Grow(1024)
	w.b.WriteString(`<s:Envelope xml:lang="en-US"`)
	w.b.WriteString(ns.attrs())
	w.b.WriteString(`><s:Header><a:Action>`)
	w.b.WriteString(action)
	w.b.WriteString(`</a:Action><a:MessageID>uuid:`)
	w.b.WriteString(guid())
	w.b.WriteString(`</a:MessageID>`)
	if hs.h.is2016OrLater() {
		// p:ActivityId appeared with Windows Server 2016.
		w.b.WriteString(`<p:ActivityId>`)
		w.b.WriteString(guid())
		w.b.WriteString(`</p:ActivityId>`)
	}
	w.b.WriteString(`<a:To>` + anonymousTo + `</a:To>`)
	if req != nil && req.MessageID != "" {
		w.b.WriteString(`<a:RelatesTo>`)
		w.text(req.MessageID)
		w.b.WriteString(`</a:RelatesTo>`)
	}
	w.b.WriteString(`</s:Header><s:Body>`)
	return w
}

func (w *envelopeWriter) raw(s string) { w.b.WriteString(s) }

func (w *envelopeWriter) text(s string) { _ = xml.EscapeText(&w.b, []byte(s)) }

func (w *envelopeWriter) attr(s string) {
	// EscapeText escapes quotes too, so it is safe inside attribute values.
	_ = xml.EscapeText(&w.b, []byte(s))
}

func (w *envelopeWriter) finish() []byte {
	w.b.WriteString(`</s:Body></s:Envelope>`)
	return w.b.Bytes()
}

func (w *envelopeWriter) len() int { return w.b.Len() }

// wsmanFault is one entry of the Windows fault catalogue: the faults
// recorded from Windows (testdata/windows-wsman, ../testdata/fault-*.xml)
// and those quoted in public issue threads (see ../testdata/README.md).
type wsmanFault struct {
	code        string // s:Receiver or s:Sender
	subcode     string // w:TimedOut, w:InvalidSelectors, ...
	wsmanCode   string // WSManFault Code
	reason      string
	message     string
	faultDetail string // optional w:FaultDetail URI
	provider    bool   // message is a Shell cmd plugin ProviderFault
}

const (
	faultCodeTimedOut         = "2150858793"
	faultCodeInvalidSelectors = "2150858843"
	faultCodeMaxShells        = "2150859173"
	faultCodeMaxOperations    = "2150859174"
	faultCodeFilenameTooLong  = "2147942606"
	unexpectedSelectorsDetail = "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors"
	operationTimeoutText      = "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  "
	invalidSelectorsReason    = "The WS-Management service cannot process the request because the request contained invalid selectors for the resource. "
)

func faultTimedOut() wsmanFault {
	return wsmanFault{code: "s:Receiver", subcode: "w:TimedOut", wsmanCode: faultCodeTimedOut,
		reason: operationTimeoutText, message: operationTimeoutText}
}

func faultShellNotFound(id string) wsmanFault {
	return wsmanFault{code: "s:Sender", subcode: "w:InvalidSelectors", wsmanCode: faultCodeInvalidSelectors,
		reason: invalidSelectorsReason,
		message: "The request for the Windows Remote Shell with ShellId " + id + " failed because the shell was not found on the server. " +
			"Possible causes are: the specified ShellId is incorrect or the shell no longer exists on the server. " +
			"Provide the correct ShellId or create a new shell and retry the operation. "}
}

func faultMissingShellSelector() wsmanFault {
	return wsmanFault{code: "s:Sender", subcode: "w:InvalidSelectors", wsmanCode: faultCodeInvalidSelectors,
		reason: invalidSelectorsReason, faultDetail: unexpectedSelectorsDetail,
		message: "The Windows Remote Shell cannot process the request because it requires the following selector: ShellId. Retry with the correct selector."}
}

func faultBadCommandID() wsmanFault {
	return wsmanFault{code: "s:Sender", subcode: "w:InvalidSelectors", wsmanCode: faultCodeInvalidSelectors,
		reason: invalidSelectorsReason, faultDetail: unexpectedSelectorsDetail,
		message: "The Windows Remote Shell received a request to perform an operation on a command identifier that does not exist. " +
			"Either the command has completed execution or the client specified an invalid command identifier. "}
}

func faultMaxShells(n int) wsmanFault {
	msg := fmt.Sprintf("The WS-Management service cannot process the request. This user is allowed a maximum number of %d concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user. ", n)
	return wsmanFault{code: "s:Receiver", subcode: "w:InternalError", wsmanCode: faultCodeMaxShells, reason: msg, message: msg}
}

func faultMaxOperations(n int) wsmanFault {
	msg := fmt.Sprintf("The WS-Management service cannot process the request. This user is allowed a maximum number of %d concurrent operations, which has been exceeded. Close existing operations for this user, or raise the quota for this user. ", n)
	return wsmanFault{code: "s:Receiver", subcode: "w:InternalError", wsmanCode: faultCodeMaxOperations, reason: msg, message: msg}
}

func faultFilenameTooLong() wsmanFault {
	return wsmanFault{code: "s:Receiver", subcode: "w:InternalError", wsmanCode: faultCodeFilenameTooLong,
		reason: "The filename or extension is too long. ", message: "The filename or extension is too long. ", provider: true}
}

// The codes of the faults below were not captured from Windows: they are
// the ERROR_WSMAN_* values as best known and marked unverified.
func faultActionNotSupported(action string) wsmanFault {
	msg := "The WS-Management service cannot process the request because the action " + action + " is not supported by the simulator. "
	return wsmanFault{code: "s:Sender", subcode: "a:ActionNotSupported", wsmanCode: "2150858765", reason: msg, message: msg}
}

func faultBadResourceURI(uri string) wsmanFault {
	msg := "The WS-Management service cannot process the request. The resource URI (" + uri + ") was not found in the WS-Management catalog. "
	return wsmanFault{code: "s:Sender", subcode: "w:DestinationUnreachable", wsmanCode: "2150858752", reason: msg, message: msg}
}

func faultInvalidRequest(what string) wsmanFault {
	msg := "The WS-Management service cannot process the request because the request is not valid: " + what + " "
	return wsmanFault{code: "s:Sender", subcode: "w:InvalidParameter", wsmanCode: "2150858882", reason: msg, message: msg}
}

// faultBody renders a fault envelope.
func (hs *hostServer) faultBody(req *envelope, f wsmanFault) []byte {
	w := hs.startEnvelope(nsFault, actionFault, req)
	w.raw(`<s:Fault><s:Code><s:Value>` + f.code + `</s:Value><s:Subcode><s:Value>` + f.subcode + `</s:Value></s:Subcode></s:Code><s:Reason>`)
	if f.provider {
		w.raw(`<s:Text xml:lang="">`)
	} else {
		w.raw(`<s:Text xml:lang="en-US">`)
	}
	w.text(f.reason)
	w.raw(`</s:Text></s:Reason><s:Detail>`)
	if f.faultDetail != "" {
		w.raw(`<w:FaultDetail>` + f.faultDetail + `</w:FaultDetail>`)
	}
	w.raw(`<f:WSManFault xmlns:f="` + nsWSManF + `" Code="` + f.wsmanCode + `" Machine="`)
	w.attr(hs.h.Address)
	w.raw(`"><f:Message>`)
	if f.provider {
		w.raw(`<f:ProviderFault provider="Shell cmd plugin" path="%systemroot%\system32\winrscmd.dll">`)
		w.text(f.message)
		w.raw(`</f:ProviderFault>`)
	} else {
		w.text(f.message)
	}
	w.raw(`</f:Message></f:WSManFault></s:Detail></s:Fault>`)
	return w.finish()
}
