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

// WS-Management fault codes ntlmscan reacts to (the WSManFault codes Windows sends, and
// the ERROR_WSMAN_* values of the Windows SDK's winerror.h). Faults are
// classified by these codes, so a host that answers in another language is
// recognised; the English texts are only a fallback for a fault without a
// known code.
const (
	FaultCodeTimedOut       = "2150858793" // Receive: no output within OperationTimeout
	FaultCodeMaxShells      = "2150859173" // ERROR_WSMAN_QUOTA_MAX_SHELLS: MaxShellsPerUser exceeded
	FaultCodeMaxOperations  = "2150859174" // ERROR_WSMAN_QUOTA_MAX_OPERATIONS: MaxConcurrentOperationsPerUser exceeded
	FaultCodeQuotaUser      = "2150859175" // ERROR_WSMAN_QUOTA_USER: a per-user quota exceeded
	FaultCodeMaxShellUsers  = "2150859179" // ERROR_WSMAN_QUOTA_MAX_SHELLUSERS: MaxConcurrentUsers exceeded
	FaultCodeShellsDisabled = "2150859180" // ERROR_WSMAN_REMOTESHELLS_NOT_ALLOWED: Allow Remote Shell Access disabled
	FaultCodeAccessDenied   = "5"          // ERROR_ACCESS_DENIED
	FaultCodeAccessDeniedHR = "2147942405" // E_ACCESSDENIED (0x80070005), the same as an HRESULT
	// 2150859046 is ERROR_WSMAN_NETWORK_TIMEDOUT, a client-side timeout: it
	// is not a quota and gets no kind of its own.
	faultReasonMaxLen       = 400
	operationTimeoutKeyword = "OperationTimeout"
)

// FaultKind is what a fault means to the scanner.
type FaultKind int

// Fault kinds.
const (
	FaultOther FaultKind = iota
	FaultTimedOut
	FaultQuota
	FaultAccessDenied
	FaultRemoteShellsNotAllowed
)

func (k FaultKind) String() string {
	switch k {
	case FaultTimedOut:
		return "timed-out"
	case FaultQuota:
		return "quota"
	case FaultAccessDenied:
		return "access-denied"
	case FaultRemoteShellsNotAllowed:
		return "remote-shells-not-allowed"
	}
	return "other"
}

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

// Kind classifies the fault by its WSManFault code; only a fault whose code
// is absent or unknown is judged by its (English) text and subcode.
func (e *FaultError) Kind() FaultKind {
	switch e.WSManCode {
	case FaultCodeTimedOut:
		return FaultTimedOut
	case FaultCodeMaxShells, FaultCodeMaxOperations, FaultCodeQuotaUser, FaultCodeMaxShellUsers:
		return FaultQuota
	case FaultCodeShellsDisabled:
		return FaultRemoteShellsNotAllowed
	case FaultCodeAccessDenied, FaultCodeAccessDeniedHR:
		return FaultAccessDenied
	case "":
	default:
		if strings.EqualFold(e.Subcode, "TimedOut") {
			return FaultTimedOut
		}
		return FaultOther
	}
	text := strings.ToLower(e.Reason + " " + e.Message)
	switch {
	case strings.EqualFold(e.Subcode, "TimedOut"):
		return FaultTimedOut
	case strings.Contains(text, "not accept any remote shell requests"):
		return FaultRemoteShellsNotAllowed
	case strings.Contains(text, "access is denied") || strings.EqualFold(e.Subcode, "AccessDenied"):
		return FaultAccessDenied
	case strings.Contains(text, "quota") && strings.Contains(text, "exceeded"):
		return FaultQuota
	}
	return FaultOther
}

// TimedOut reports the Receive long-poll fault (no output yet).
func (e *FaultError) TimedOut() bool { return e.Kind() == FaultTimedOut }

// Quota reports a WinRM quota fault (too many shells, operations, users).
func (e *FaultError) Quota() bool { return e.Kind() == FaultQuota }

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
