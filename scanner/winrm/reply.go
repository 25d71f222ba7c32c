package winrm

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/net/html/charset"
)

// Namespaces the driver reads replies by (URIs, never prefixes: Windows,
// masterzen, pywinrm and pypsrp all use different prefixes).
const (
	nsAddressing = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
	nsWSManDMTF  = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
	nsShell      = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
	nsXML        = "http://www.w3.org/XML/1998/namespace"
	stateDone    = nsShell + "/CommandState/Done"
)

// reply is what the driver needs from one WS-Man answer, gathered in one
// bounded streaming pass (parseReply).
type reply struct {
	action    string // a:Action of the header
	shellID   string // w:Selector Name="ShellId" (or rsp:ShellId)
	commandID string // rsp:CommandId
	done      bool   // a rsp:CommandState with State=…/Done
	exitCode  int
	streams   int // rsp:Stream elements with data
	fault     *FaultError
}

// streamSink receives decoded rsp:Stream data of a ReceiveResponse.
type streamSink interface {
	stdout(p []byte) error
	stderr(p []byte) error
}

// Bounds on a reply's XML shape, checked in the same pass that reads it, so
// that no reply costs more than a fraction of a second of CPU whatever it
// holds (no deadline interrupts CPU work). Windows replies are about ten
// levels deep with a dozen namespaces, and a Receive within the
// MaxEnvelopeSize we announce holds under 2,000 elements.
const (
	maxXMLDepth    = 64
	maxXMLElements = 20000
	maxXMLWork     = 1 << 20 // Σ over elements of depth × (namespaces in scope + 1)
)

// nsBinding is one xmlns declaration in scope.
type nsBinding struct{ prefix, uri string }

// replyParser holds the reusable state of parseReply (pooled).
type replyParser struct {
	names    []xml.Name // open elements, namespace resolved
	declared []int      // namespace declarations per open element
	scope    []nsBinding
	text     bytes.Buffer // character data of the element being read
	decoded  []byte
	rd       elidingReader
}

// minElided is the shortest base64 text run the decoder is spared.
const minElided = 256

// elidingReader feeds a reply to encoding/xml with every long run of base64
// text between two tags replaced by "#k" (k indexes runs): encoding/xml
// handles character data a byte at a time, several times slower than the
// rest of a reply's handling, and stream data is only ever base64. The runs
// are legal character data, so the document's structure and well-formedness
// are what the decoder sees; finish takes a Stream's text from runs.
type elidingReader struct {
	pieces [][]byte
	runs   [][]byte
	cur    int
}

var base64Bytes = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") {
		t[c] = true
	}
	return t
}()

func isBase64Byte(c byte) bool { return base64Bytes[c] }

var runMarkers = func() (m [64][]byte) {
	for i := range m {
		m[i] = []byte("#" + strconv.Itoa(i))
	}
	return m
}()

func (r *elidingReader) reset(body []byte) {
	r.pieces, r.runs, r.cur = r.pieces[:0], r.runs[:0], 0
	start := 0
	for i := 0; i < len(body); {
		gt := bytes.IndexByte(body[i:], '>')
		if gt < 0 {
			break
		}
		gt += i
		j := gt + 1
		for j < len(body) && isBase64Byte(body[j]) {
			j++
		}
		if j < len(body) && body[j] == '<' && j-gt-1 >= minElided && len(r.runs) < len(runMarkers) {
			r.pieces = append(r.pieces, body[start:gt+1], runMarkers[len(r.runs)])
			r.runs = append(r.runs, body[gt+1:j])
			start = j
		}
		i = j
	}
	r.pieces = append(r.pieces, body[start:])
}

// run returns the elided text a kept "#k" stands for, if it is one.
func (r *elidingReader) run(text []byte) ([]byte, bool) {
	if len(text) < 2 || text[0] != '#' {
		return nil, false
	}
	k, err := strconv.Atoi(string(text[1:]))
	if err != nil || k < 0 || k >= len(r.runs) || !bytes.Equal(text, runMarkers[k]) || r.runs[k] == nil {
		return nil, false
	}
	// Each run stands for one place in the reply: a hostile "#0" repeated
	// must not decode the same megabyte again and again.
	run := r.runs[k]
	r.runs[k] = nil
	return run, true
}

func (r *elidingReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && r.cur < len(r.pieces) {
		c := copy(p[n:], r.pieces[r.cur])
		n += c
		r.pieces[r.cur] = r.pieces[r.cur][c:]
		if len(r.pieces[r.cur]) == 0 {
			r.cur++
		}
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

var parserPool = sync.Pool{New: func() any { return new(replyParser) }}

// What character data an element's text is kept for.
const (
	keepNone = iota
	keepAction
	keepSelectorShellID
	keepShellID
	keepCommandID
	keepExitCode
	keepStream
	keepFaultCode
	keepFaultSubcode
	keepFaultReason
	keepFaultMessage
)

// parseReply reads one SOAP reply in a single bounded pass: it checks the
// shape bounds above, that the document is well-formed, resolves namespaces
// itself (RawToken plus a binding stack, whose walk is the "namespace work"
// that is bounded), and extracts what the driver needs. Stream data is
// decoded into sink as it is met (nil sink: streams are only counted).
func parseReply(body []byte, sink streamSink) (*reply, error) {
	p := parserPool.Get().(*replyParser)
	defer func() {
		p.names, p.declared, p.scope = p.names[:0], p.declared[:0], p.scope[:0]
		p.text.Reset()
		p.rd.reset(nil)
		if cap(p.decoded) > 64<<10 {
			p.decoded = nil
		}
		parserPool.Put(p)
	}()
	p.rd.reset(body)
	dec := xml.NewDecoder(&p.rd)
	dec.CharsetReader = charset.NewReaderLabel

	var (
		r          reply
		elements   int
		work       int64
		keep       int
		keepDepth  int
		streamName string
		stateDepth int // depth of an open CommandState (0: none)
		inFault    int // depth of the open s:Fault (0: none)
		faultText  bool
		sawRoot    bool
		rootClosed bool
	)
	for {
		tok, err := dec.RawToken()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("not well-formed XML: %w", err)
			}
			break
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if rootClosed {
				return nil, errors.New("not well-formed XML: content after the root element")
			}
			n := 0
			for _, a := range el.Attr {
				switch {
				case a.Name.Space == "xmlns":
					if a.Name.Local == "xml" || a.Name.Local == "xmlns" {
						continue
					}
					p.scope = append(p.scope, nsBinding{a.Name.Local, a.Value})
					n++
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					p.scope = append(p.scope, nsBinding{"", a.Value})
					n++
				}
			}
			p.declared = append(p.declared, n)
			depth := len(p.declared)
			if depth > maxXMLDepth {
				return nil, fmt.Errorf("XML nested deeper than %d elements", maxXMLDepth)
			}
			if elements++; elements > maxXMLElements {
				return nil, fmt.Errorf("XML with more than %d elements", maxXMLElements)
			}
			if work += int64(depth) * int64(len(p.scope)+1); work > maxXMLWork {
				return nil, errors.New("XML too complex (too many elements or namespace declarations)")
			}
			name, err := p.resolve(el.Name, true)
			if err != nil {
				return nil, err
			}
			p.names = append(p.names, name)
			sawRoot = true
			if depth == 1 && (name.Space != nsSOAP || name.Local != "Envelope") {
				return nil, fmt.Errorf("the reply is not a SOAP envelope (root element %s)", sanitizeSnippet([]byte(name.Local), 40))
			}
			if keep != keepNone {
				continue // an element inside kept text: its text is part of it (f:Message)
			}
			switch {
			case name.Space == nsAddressing && name.Local == "Action" && depth == 3:
				keep = keepAction
			case name.Space == nsWSManDMTF && name.Local == "Selector" && r.shellID == "" && attrIs(p, el, "Name", "ShellId"):
				keep = keepSelectorShellID
			case name.Space == nsShell && name.Local == "ShellId" && r.shellID == "":
				keep = keepShellID
			case name.Space == nsShell && name.Local == "CommandId" && r.commandID == "":
				keep = keepCommandID
			case name.Space == nsShell && name.Local == "Stream":
				streamName = attrValue(p, el, "Name")
				keep = keepStream
			case name.Space == nsShell && name.Local == "CommandState":
				stateDepth = depth
				if strings.TrimSpace(attrValue(p, el, "State")) == stateDone {
					r.done = true
				}
			case name.Space == nsShell && name.Local == "ExitCode" && stateDepth > 0:
				keep = keepExitCode
			case name.Space == nsSOAP && name.Local == "Fault" && depth == 3:
				inFault = depth
				r.fault = &FaultError{}
			case inFault > 0 && name.Space == nsSOAP && name.Local == "Value":
				if parent := p.names[len(p.names)-2]; parent.Local == "Subcode" {
					keep = keepFaultSubcode
				} else if parent.Local == "Code" {
					keep = keepFaultCode
				}
			case inFault > 0 && name.Space == nsSOAP && name.Local == "Text" && !faultText:
				keep, faultText = keepFaultReason, true
			case inFault > 0 && name.Space == nsWSManFault && name.Local == "WSManFault":
				r.fault.WSManCode = cleanText(attrValue(p, el, "Code"), 20)
			case inFault > 0 && name.Space == nsWSManFault && name.Local == "Message" && r.fault.Message == "":
				keep = keepFaultMessage
			}
			if keep != keepNone {
				keepDepth = depth
				p.text.Reset()
			}
		case xml.EndElement:
			depth := len(p.declared)
			if depth == 0 {
				return nil, errors.New("not well-formed XML: unexpected end element")
			}
			open := p.names[depth-1]
			name, err := p.resolve(el.Name, true)
			if err != nil {
				return nil, err
			}
			if name != open {
				return nil, fmt.Errorf("not well-formed XML: element %s closed by %s", sanitizeSnippet([]byte(open.Local), 40),
					sanitizeSnippet([]byte(name.Local), 40))
			}
			if keep != keepNone && depth == keepDepth {
				if err := p.finish(&r, keep, streamName, sink); err != nil {
					return nil, err
				}
				keep = keepNone
			}
			if depth == stateDepth {
				stateDepth = 0
			}
			if depth == inFault {
				inFault = 0
			}
			p.scope = p.scope[:len(p.scope)-p.declared[depth-1]]
			p.declared = p.declared[:depth-1]
			p.names = p.names[:depth-1]
			if depth == 1 {
				rootClosed = true
			}
		case xml.CharData:
			if keep != keepNone {
				if p.text.Len()+len(el) > len(body) {
					return nil, errors.New("XML text larger than the reply")
				}
				p.text.Write(el)
			}
		}
	}
	if !sawRoot || !rootClosed {
		return nil, errors.New("not well-formed XML: the document ends early")
	}
	return &r, nil
}

// finish stores the text of a kept element.
func (p *replyParser) finish(r *reply, keep int, streamName string, sink streamSink) error {
	switch keep {
	case keepAction:
		r.action = strings.TrimSpace(p.text.String())
	case keepSelectorShellID, keepShellID:
		r.shellID = cleanText(p.text.String(), 100)
	case keepCommandID:
		r.commandID = cleanText(p.text.String(), 100)
	case keepExitCode:
		// A missing or odd exit code stays 0, as with masterzen.
		if n, err := strconv.Atoi(strings.TrimSpace(p.text.String())); err == nil {
			r.exitCode = n
		}
	case keepStream:
		raw := bytes.TrimSpace(p.text.Bytes())
		if run, ok := p.rd.run(raw); ok {
			raw = run
		}
		if len(raw) == 0 {
			return nil
		}
		n := base64.StdEncoding.DecodedLen(len(raw))
		if cap(p.decoded) < n {
			p.decoded = make([]byte, n)
		}
		n, err := base64.StdEncoding.Decode(p.decoded[:n], raw)
		if err != nil {
			return fmt.Errorf("rsp:Stream %s is not base64: %w", sanitizeSnippet([]byte(streamName), 20), err)
		}
		r.streams++
		if sink == nil {
			return nil
		}
		switch streamName {
		case "stdout":
			return sink.stdout(p.decoded[:n])
		case "stderr":
			return sink.stderr(p.decoded[:n])
		}
	case keepFaultCode:
		r.fault.Code = localName(p.text.String())
	case keepFaultSubcode:
		r.fault.Subcode = localName(p.text.String())
	case keepFaultReason:
		r.fault.Reason = cleanText(p.text.String(), faultReasonMaxLen)
	case keepFaultMessage:
		r.fault.Message = cleanText(p.text.String(), faultReasonMaxLen)
	}
	return nil
}

// resolve maps a raw (prefix, local) name to (namespace URI, local) with the
// bindings in scope. An unbound prefix is an error, as for a namespace-aware
// parser.
func (p *replyParser) resolve(n xml.Name, element bool) (xml.Name, error) {
	prefix := n.Space
	if prefix == "xml" {
		return xml.Name{Space: nsXML, Local: n.Local}, nil
	}
	if prefix == "" && !element {
		return xml.Name{Local: n.Local}, nil // unprefixed attributes have no namespace
	}
	for i := len(p.scope) - 1; i >= 0; i-- {
		if p.scope[i].prefix == prefix {
			return xml.Name{Space: p.scope[i].uri, Local: n.Local}, nil
		}
	}
	if prefix == "" {
		return xml.Name{Local: n.Local}, nil
	}
	return xml.Name{}, fmt.Errorf("not well-formed XML: undeclared namespace prefix %q", sanitizeSnippet([]byte(prefix), 20))
}

// attrValue returns an unprefixed attribute's value.
func attrValue(_ *replyParser, el xml.StartElement, local string) string {
	for _, a := range el.Attr {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

func attrIs(p *replyParser, el xml.StartElement, local, value string) bool {
	return strings.TrimSpace(attrValue(p, el, local)) == value
}
