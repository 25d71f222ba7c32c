package winrm

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
)

const (
	nsSOAP       = "http://www.w3.org/2003/05/soap-envelope"
	nsWSManFault = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
)

// WS-Management fault codes ntlmscan reacts to, as Windows sends them (the
// recorded faults in testdata, and the quota faults quoted in
// test-kitchen/test-kitchen#656 and masterzen/winrm#129).
const (
	FaultCodeTimedOut       = "2150858793" // Receive: no output within OperationTimeout
	FaultCodeMaxShells      = "2150859173" // MaxShellsPerUser exceeded
	FaultCodeMaxOperations  = "2150859174" // MaxConcurrentOperationsPerUser exceeded
	faultCodeMaxConcUsers   = "2150859046" // MaxConcurrentUsers exceeded (best effort)
	faultReasonMaxLen       = 400
	operationTimeoutKeyword = "OperationTimeout"
)

// FaultError is a WS-Management SOAP fault answered by the host.
//
// masterzen's Receive loop (slurpAllOutput in masterzen's command.go)
// re-issues Receive when an error's text contains "OperationTimeout"; Error
// keeps that word for the TimedOut fault, and only for it.
type FaultError struct {
	Action    string // WS-Management operation that faulted (Receive, Create, …)
	Status    int    // HTTP status (500 for every fault Windows sends)
	Code      string // local part of s:Code/s:Value, e.g. Receiver
	Subcode   string // local part of s:Subcode/s:Value, e.g. TimedOut
	Reason    string // s:Reason/s:Text
	WSManCode string // f:WSManFault/@Code, decimal
	Message   string // f:WSManFault/f:Message text
}

// TimedOut reports the Receive long-poll fault (no output yet).
func (e *FaultError) TimedOut() bool {
	return e.WSManCode == FaultCodeTimedOut || strings.EqualFold(e.Subcode, "TimedOut")
}

// Quota reports a WinRM quota fault (too many shells, operations, users).
func (e *FaultError) Quota() bool {
	switch e.WSManCode {
	case FaultCodeMaxShells, FaultCodeMaxOperations, faultCodeMaxConcUsers:
		return true
	}
	text := strings.ToLower(e.Reason + " " + e.Message)
	return strings.Contains(text, "quota") && strings.Contains(text, "exceeded")
}

func (e *FaultError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: WS-Management fault", e.Action)
	if e.Subcode != "" {
		b.WriteString(" " + e.Subcode)
	} else if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.WSManCode != "" {
		b.WriteString(" (" + e.WSManCode + ")")
	}
	text := e.Message
	if text == "" {
		text = e.Reason
	}
	if text != "" {
		b.WriteString(": " + text)
	}
	if e.TimedOut() && !strings.Contains(b.String(), operationTimeoutKeyword) {
		b.WriteString(" [" + operationTimeoutKeyword + " expired]")
	}
	return b.String()
}

type faultText struct{ text string }

// UnmarshalXML gathers all character data below the element, so
// f:Message/f:ProviderFault text is found as well as plain text.
func (t *faultText) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var b strings.Builder
	depth := 1
	for depth > 0 {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch v := tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			b.Write(v)
		}
	}
	t.text = b.String()
	return nil
}

type faultEnvelope struct {
	XMLName xml.Name `xml:"http://www.w3.org/2003/05/soap-envelope Envelope"`
	Body    struct {
		Fault *struct {
			Code struct {
				Value   string `xml:"http://www.w3.org/2003/05/soap-envelope Value"`
				Subcode struct {
					Value string `xml:"http://www.w3.org/2003/05/soap-envelope Value"`
				} `xml:"http://www.w3.org/2003/05/soap-envelope Subcode"`
			} `xml:"http://www.w3.org/2003/05/soap-envelope Code"`
			Reason struct {
				Text []faultText `xml:"http://www.w3.org/2003/05/soap-envelope Text"`
			} `xml:"http://www.w3.org/2003/05/soap-envelope Reason"`
			Detail struct {
				WSManFault struct {
					Code    string    `xml:"Code,attr"`
					Message faultText `xml:"http://schemas.microsoft.com/wbem/wsman/1/wsmanfault Message"`
				} `xml:"http://schemas.microsoft.com/wbem/wsman/1/wsmanfault WSManFault"`
			} `xml:"http://www.w3.org/2003/05/soap-envelope Detail"`
		} `xml:"http://www.w3.org/2003/05/soap-envelope Fault"`
	} `xml:"http://www.w3.org/2003/05/soap-envelope Body"`
}

// ParseFault extracts a WS-Management fault from a SOAP document. ok is
// false when the document is not a SOAP envelope with a Fault body.
func ParseFault(body []byte) (f *FaultError, ok bool) {
	var env faultEnvelope
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	if err := dec.Decode(&env); err != nil || env.Body.Fault == nil {
		return nil, false
	}
	flt := env.Body.Fault
	f = &FaultError{
		Code:      localName(flt.Code.Value),
		Subcode:   localName(flt.Code.Subcode.Value),
		WSManCode: cleanText(flt.Detail.WSManFault.Code, 20),
		Message:   cleanText(flt.Detail.WSManFault.Message.text, faultReasonMaxLen),
	}
	if len(flt.Reason.Text) > 0 {
		f.Reason = cleanText(flt.Reason.Text[0].text, faultReasonMaxLen)
	}
	return f, true
}

// localName drops a QName prefix: "w:TimedOut" -> "TimedOut".
func localName(qname string) string {
	qname = strings.TrimSpace(qname)
	if i := strings.LastIndexByte(qname, ':'); i >= 0 {
		qname = qname[i+1:]
	}
	return cleanText(qname, 80)
}

// cleanText collapses whitespace and drops control characters.
func cleanText(s string, n int) string {
	return sanitizeSnippet([]byte(strings.Join(strings.Fields(s), " ")), n)
}
