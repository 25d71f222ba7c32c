package winrmtest

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Namespace URIs. Requests are parsed by URI, never by prefix: masterzen,
// pywinrm and pypsrp all use different prefixes.
const (
	nsSOAP      = "http://www.w3.org/2003/05/soap-envelope"
	nsAddr      = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
	nsWSMan     = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
	nsWSMV      = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
	nsShell     = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
	nsTransfer  = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
	nsEventing  = "http://schemas.xmlsoap.org/ws/2004/08/eventing"
	nsEnum      = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
	nsWSManF    = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
	anonymousTo = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
	shellURI    = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
)

// WS-Man actions of the remote shell protocol.
const (
	actionCreate  = nsTransfer + "/Create"
	actionDelete  = nsTransfer + "/Delete"
	actionCommand = nsShell + "/Command"
	actionReceive = nsShell + "/Receive"
	actionSend    = nsShell + "/Send"
	actionSignal  = nsShell + "/Signal"
	actionFault   = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
	stateDone     = nsShell + "/CommandState/Done"
	stateRunning  = nsShell + "/CommandState/Running"
)

// shortAction names an action for Calls (Create, Command, ...).
func shortAction(a string) string {
	switch a {
	case actionCreate:
		return "Create"
	case actionDelete:
		return "Delete"
	case actionCommand:
		return "Command"
	case actionReceive:
		return "Receive"
	case actionSend:
		return "Send"
	case actionSignal:
		return "Signal"
	}
	return a
}

// envelope is a parsed WS-Man request: what the simulator acts on.
type envelope struct {
	Action           string
	MessageID        string
	To               string
	ResourceURI      string
	MaxEnvelopeSize  int           // 0 if absent
	OperationTimeout time.Duration // 0 if absent
	ShellID          string
	HasShellSelector bool
	Options          map[string]string // option names upper-cased

	Shell       *xmlShell
	CommandLine *xmlCommandLine
	Receive     *xmlReceive
	Send        *xmlSend
	Signal      *xmlSignal
}

type xmlEnvelope struct {
	XMLName xml.Name  `xml:"http://www.w3.org/2003/05/soap-envelope Envelope"`
	Header  xmlHeader `xml:"http://www.w3.org/2003/05/soap-envelope Header"`
	Body    xmlBody   `xml:"http://www.w3.org/2003/05/soap-envelope Body"`
}

type xmlHeader struct {
	To               string        `xml:"http://schemas.xmlsoap.org/ws/2004/08/addressing To"`
	Action           string        `xml:"http://schemas.xmlsoap.org/ws/2004/08/addressing Action"`
	MessageID        string        `xml:"http://schemas.xmlsoap.org/ws/2004/08/addressing MessageID"`
	ResourceURI      string        `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd ResourceURI"`
	MaxEnvelopeSize  string        `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd MaxEnvelopeSize"`
	OperationTimeout string        `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd OperationTimeout"`
	SelectorSet      *xmlSelectors `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd SelectorSet"`
	OptionSet        *xmlOptions   `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd OptionSet"`
}

type xmlSelectors struct {
	Selectors []xmlNamed `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd Selector"`
}

type xmlOptions struct {
	Options []xmlNamed `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd Option"`
}

type xmlNamed struct {
	Name  string `xml:"Name,attr"`
	Value string `xml:",chardata"`
}

type xmlBody struct {
	Shell       *xmlShell       `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Shell"`
	CommandLine *xmlCommandLine `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell CommandLine"`
	Receive     *xmlReceive     `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Receive"`
	Send        *xmlSend        `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Send"`
	Signal      *xmlSignal      `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Signal"`
}

type xmlShell struct {
	InputStreams  string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell InputStreams"`
	OutputStreams string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell OutputStreams"`
}

type xmlCommandLine struct {
	Command   string   `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Command"`
	Arguments []string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Arguments"`
}

type xmlReceive struct {
	DesiredStream struct {
		CommandID string `xml:"CommandId,attr"`
		Streams   string `xml:",chardata"`
	} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell DesiredStream"`
}

type xmlSend struct {
	Streams []xmlStream `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Stream"`
}

type xmlStream struct {
	Name      string `xml:"Name,attr"`
	CommandID string `xml:"CommandId,attr"`
	End       string `xml:"End,attr"`
	Data      string `xml:",chardata"`
}

type xmlSignal struct {
	CommandID string `xml:"CommandId,attr"`
	Code      string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Code"`
}

// errEnvelope marks a request that is not a usable SOAP envelope.
var errEnvelope = errors.New("not a WS-Management SOAP envelope")

// parseEnvelope decodes a WS-Man request. It never panics; anything that
// is not a SOAP 1.2 envelope with an Action is an errEnvelope error.
func parseEnvelope(data []byte) (*envelope, error) {
	var x xmlEnvelope
	data, runs := elideRuns(data)
	if err := decodeEnvelope(newEnvelopeDecoder(data), &x); err != nil {
		return nil, fmt.Errorf("%w: %v", errEnvelope, err)
	}
	env := &envelope{
		Action:      strings.TrimSpace(x.Header.Action),
		MessageID:   strings.TrimSpace(x.Header.MessageID),
		To:          strings.TrimSpace(x.Header.To),
		ResourceURI: strings.TrimSpace(x.Header.ResourceURI),
		Shell:       x.Body.Shell,
		CommandLine: x.Body.CommandLine,
		Receive:     x.Body.Receive,
		Send:        x.Body.Send,
		Signal:      x.Body.Signal,
		Options:     map[string]string{},
	}
	if env.Action == "" {
		return nil, fmt.Errorf("%w: no a:Action header", errEnvelope)
	}
	if env.Send != nil {
		for i := range env.Send.Streams {
			env.Send.Streams[i].Data = runs.restore(env.Send.Streams[i].Data)
		}
	}
	if s := strings.TrimSpace(x.Header.MaxEnvelopeSize); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%w: MaxEnvelopeSize %q is not a positive number", errEnvelope, s)
		}
		env.MaxEnvelopeSize = n
	}
	if s := strings.TrimSpace(x.Header.OperationTimeout); s != "" {
		d, err := parseXSDuration(s)
		if err != nil {
			return nil, fmt.Errorf("%w: OperationTimeout: %v", errEnvelope, err)
		}
		env.OperationTimeout = d
	}
	if x.Header.SelectorSet != nil {
		for _, s := range x.Header.SelectorSet.Selectors {
			if strings.EqualFold(s.Name, "ShellId") {
				env.ShellID = strings.TrimSpace(s.Value)
				env.HasShellSelector = true
			}
		}
	}
	if x.Header.OptionSet != nil {
		for _, o := range x.Header.OptionSet.Options {
			env.Options[strings.ToUpper(o.Name)] = strings.TrimSpace(o.Value)
		}
	}
	return env, nil
}

func newEnvelopeDecoder(data []byte) *xml.Decoder {
	dec := xml.NewDecoder(bytes.NewReader(data))
	// Windows accepts only UTF-8 (and UTF-16 with a BOM); refuse other charsets.
	dec.CharsetReader = func(charset string, input io.Reader) (io.Reader, error) {
		if strings.EqualFold(charset, "utf-8") || strings.EqualFold(charset, "utf8") {
			return input, nil
		}
		return nil, fmt.Errorf("charset %q is not supported", charset)
	}
	return dec
}

// decodeEnvelope fills x in one pass over the tokens, exactly as
// dec.Decode(&x) would (same matching by namespace URI and local name, the
// last of repeated values wins, slices append, unknown elements skipped but
// still checked for well-formedness, same errors) without reflection, which
// was a fifth of the simulator's CPU at thousands of hosts. The test
// TestDecodeEnvelopeMatchesReflection and FuzzEnvelope hold it to that.
func decodeEnvelope(dec *xml.Decoder, x *xmlEnvelope) error {
	var start xml.StartElement
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if t, ok := tok.(xml.StartElement); ok {
			start = t
			break
		}
	}
	if start.Name.Local != "Envelope" {
		return xml.UnmarshalError("expected element type <Envelope> but have <" + start.Name.Local + ">")
	}
	if start.Name.Space != nsSOAP {
		e := "expected element <Envelope> in name space " + nsSOAP + " but have "
		if start.Name.Space == "" {
			e += "no name space"
		} else {
			e += start.Name.Space
		}
		return xml.UnmarshalError(e)
	}
	x.XMLName = start.Name
	_, err := elementContent(dec, false, func(t xml.StartElement) (bool, error) {
		switch {
		case t.Name.Space != nsSOAP:
			return false, nil
		case t.Name.Local == "Header":
			return true, decodeHeader(dec, &x.Header)
		case t.Name.Local == "Body":
			return true, decodeBody(dec, &x.Body)
		}
		return false, nil
	})
	return err
}

// elementContent reads the content of the element just started, through
// its end tag. Child elements go to child (false: skip them); the element's
// own character data is returned when wantText.
func elementContent(dec *xml.Decoder, wantText bool, child func(xml.StartElement) (bool, error)) ([]byte, error) {
	var text []byte
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			used := false
			if child != nil {
				if used, err = child(t); err != nil {
					return nil, err
				}
			}
			if !used {
				if err := dec.Skip(); err != nil {
					return nil, err
				}
			}
		case xml.EndElement:
			return text, nil
		case xml.CharData:
			if wantText {
				text = append(text, t...)
			}
		}
	}
}

// textElement stores the character data of the element just started.
func textElement(dec *xml.Decoder, dst *string) error {
	text, err := elementContent(dec, true, nil)
	if err != nil {
		return err
	}
	*dst = string(text)
	return nil
}

// attr sets *dst to the value of the last attribute named local, in any
// namespace (as an untagged ",attr" field matches); absent leaves it as is.
func attr(t xml.StartElement, local string, dst *string) {
	for _, a := range t.Attr {
		if a.Name.Local == local {
			*dst = a.Value
		}
	}
}

func decodeHeader(dec *xml.Decoder, h *xmlHeader) error {
	_, err := elementContent(dec, false, func(t xml.StartElement) (bool, error) {
		switch t.Name.Space {
		case nsAddr:
			switch t.Name.Local {
			case "To":
				return true, textElement(dec, &h.To)
			case "Action":
				return true, textElement(dec, &h.Action)
			case "MessageID":
				return true, textElement(dec, &h.MessageID)
			}
		case nsWSMan:
			switch t.Name.Local {
			case "ResourceURI":
				return true, textElement(dec, &h.ResourceURI)
			case "MaxEnvelopeSize":
				return true, textElement(dec, &h.MaxEnvelopeSize)
			case "OperationTimeout":
				return true, textElement(dec, &h.OperationTimeout)
			case "SelectorSet":
				if h.SelectorSet == nil {
					h.SelectorSet = &xmlSelectors{}
				}
				return true, namedList(dec, "Selector", &h.SelectorSet.Selectors)
			case "OptionSet":
				if h.OptionSet == nil {
					h.OptionSet = &xmlOptions{}
				}
				return true, namedList(dec, "Option", &h.OptionSet.Options)
			}
		}
		return false, nil
	})
	return err
}

// namedList appends every wsman:<local> child as a Name attribute and text.
func namedList(dec *xml.Decoder, local string, list *[]xmlNamed) error {
	_, err := elementContent(dec, false, func(t xml.StartElement) (bool, error) {
		if t.Name.Space != nsWSMan || t.Name.Local != local {
			return false, nil
		}
		var n xmlNamed
		attr(t, "Name", &n.Name)
		if err := textElement(dec, &n.Value); err != nil {
			return true, err
		}
		*list = append(*list, n)
		return true, nil
	})
	return err
}

func decodeBody(dec *xml.Decoder, b *xmlBody) error {
	_, err := elementContent(dec, false, func(t xml.StartElement) (bool, error) {
		if t.Name.Space != nsShell {
			return false, nil
		}
		switch t.Name.Local {
		case "Shell":
			if b.Shell == nil {
				b.Shell = &xmlShell{}
			}
			sh := b.Shell
			return true, shellChildren(dec, func(t xml.StartElement) (bool, error) {
				switch t.Name.Local {
				case "InputStreams":
					return true, textElement(dec, &sh.InputStreams)
				case "OutputStreams":
					return true, textElement(dec, &sh.OutputStreams)
				}
				return false, nil
			})
		case "CommandLine":
			if b.CommandLine == nil {
				b.CommandLine = &xmlCommandLine{}
			}
			cl := b.CommandLine
			return true, shellChildren(dec, func(t xml.StartElement) (bool, error) {
				switch t.Name.Local {
				case "Command":
					return true, textElement(dec, &cl.Command)
				case "Arguments":
					var a string
					if err := textElement(dec, &a); err != nil {
						return true, err
					}
					cl.Arguments = append(cl.Arguments, a)
					return true, nil
				}
				return false, nil
			})
		case "Receive":
			if b.Receive == nil {
				b.Receive = &xmlReceive{}
			}
			ds := &b.Receive.DesiredStream
			return true, shellChildren(dec, func(t xml.StartElement) (bool, error) {
				if t.Name.Local != "DesiredStream" {
					return false, nil
				}
				attr(t, "CommandId", &ds.CommandID)
				return true, textElement(dec, &ds.Streams)
			})
		case "Send":
			if b.Send == nil {
				b.Send = &xmlSend{}
			}
			sd := b.Send
			return true, shellChildren(dec, func(t xml.StartElement) (bool, error) {
				if t.Name.Local != "Stream" {
					return false, nil
				}
				var st xmlStream
				attr(t, "Name", &st.Name)
				attr(t, "CommandId", &st.CommandID)
				attr(t, "End", &st.End)
				if err := textElement(dec, &st.Data); err != nil {
					return true, err
				}
				sd.Streams = append(sd.Streams, st)
				return true, nil
			})
		case "Signal":
			if b.Signal == nil {
				b.Signal = &xmlSignal{}
			}
			sg := b.Signal
			attr(t, "CommandId", &sg.CommandID)
			return true, shellChildren(dec, func(t xml.StartElement) (bool, error) {
				if t.Name.Local != "Code" {
					return false, nil
				}
				return true, textElement(dec, &sg.Code)
			})
		}
		return false, nil
	})
	return err
}

// shellChildren hands child elements in the shell namespace to child.
func shellChildren(dec *xml.Decoder, child func(xml.StartElement) (bool, error)) error {
	_, err := elementContent(dec, false, func(t xml.StartElement) (bool, error) {
		if t.Name.Space != nsShell {
			return false, nil
		}
		return child(t)
	})
	return err
}

// parseXSDuration parses the xs:duration forms WS-Man clients send:
// PT60S, PT1.5S, PT30M, P0DT0H0M20S, PT1H.
func parseXSDuration(s string) (time.Duration, error) {
	orig := s
	if !strings.HasPrefix(s, "P") {
		return 0, fmt.Errorf("%q is not an xs:duration", orig)
	}
	s = s[1:]
	var total float64
	inTime := false
	for s != "" {
		if s[0] == 'T' {
			inTime = true
			s = s[1:]
			continue
		}
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		if i == 0 || i == len(s) {
			return 0, fmt.Errorf("%q is not an xs:duration", orig)
		}
		v, err := strconv.ParseFloat(s[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not an xs:duration", orig)
		}
		unit := s[i]
		s = s[i+1:]
		switch {
		case unit == 'D' && !inTime:
			total += v * 86400
		case unit == 'H' && inTime:
			total += v * 3600
		case unit == 'M' && inTime:
			total += v * 60
		case unit == 'S' && inTime:
			total += v
		default:
			return 0, fmt.Errorf("%q: unsupported unit %q", orig, unit)
		}
	}
	if total > 365*86400 {
		return 0, fmt.Errorf("%q is too long", orig)
	}
	return time.Duration(total * float64(time.Second)), nil
}

// Long base64 text (stdin in a Send) is taken out before encoding/xml sees
// the request: its tokenizer handles character data a byte at a time, and
// at thousands of hosts that is most of what the simulator spends. A run of
// base64 characters between '>' and '<' is legal character data whatever
// element holds it, so the document's structure is unchanged; the run is
// put back (once) where a Send stream's text is exactly its "#k" marker.

const minElidedRun = 256

type elidedRuns []string

func isBase64Char(c byte) bool { return base64Chars[c] }

// base64Chars is a table: elideRuns tests every byte of every request.
var base64Chars = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '='
	}
	return t
}()

func elideRuns(data []byte) ([]byte, elidedRuns) {
	var (
		out   []byte
		runs  elidedRuns
		start int
	)
	for i := 0; i < len(data); {
		gt := bytes.IndexByte(data[i:], '>')
		if gt < 0 {
			break
		}
		gt += i
		j := gt + 1
		for j < len(data) && isBase64Char(data[j]) {
			j++
		}
		if j < len(data) && data[j] == '<' && j-gt-1 >= minElidedRun && len(runs) < 64 {
			if out == nil {
				out = make([]byte, 0, 4096)
			}
			out = append(out, data[start:gt+1]...)
			out = append(out, "#"+strconv.Itoa(len(runs))...)
			runs = append(runs, string(data[gt+1:j]))
			start = j
		}
		i = j
	}
	if runs == nil {
		return data, nil
	}
	return append(out, data[start:]...), runs
}

func (r elidedRuns) restore(text string) string {
	t := strings.TrimSpace(text)
	if len(t) < 2 || t[0] != '#' {
		return text
	}
	k, err := strconv.Atoi(t[1:])
	if err != nil || k < 0 || k >= len(r) || "#"+strconv.Itoa(k) != t || r[k] == "" {
		return text
	}
	run := r[k]
	r[k] = "" // one place per run
	return run
}
