package winrm

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/masterzen/winrm/soap"
)

// Request templates. Every request is built once per kind with masterzen's
// soap package (so the header, namespaces and layout are exactly masterzen's
// request builders'), with placeholders for the values that change; a
// request is then the template with its values spliced in. Rendering the
// soap DOM for each message costs more CPU and allocation than the rest of
// a request's handling on the client (fmt for every element and attribute).

// Placeholders: the DOM writes text as given, so they come out verbatim.
const (
	phURL     = "\x01URL\x01"
	phID      = "\x01ID\x01"
	phTimeout = "\x01TO\x01"
	phLocale  = "\x01LC\x01"
	phShell   = "\x01SH\x01"
	phCmd     = "\x01CM\x01"
	phPayload = "\x01PL\x01"
	// phEnvelope stands for MaxEnvelopeSize, which the soap header takes
	// as an int.
	phEnvelope = 987654321
)

type slot int

const (
	slotURL slot = iota
	slotID
	slotTimeout
	slotLocale
	slotShell
	slotCmd
	slotPayload
	slotEnvelope
)

var placeholderRE = regexp.MustCompile("\x01(URL|ID|TO|LC|SH|CM|PL)\x01|" + strconv.Itoa(phEnvelope))

var slotOf = map[string]slot{phURL: slotURL, phID: slotID, phTimeout: slotTimeout, phLocale: slotLocale, phShell: slotShell,
	phCmd: slotCmd, phPayload: slotPayload, strconv.Itoa(phEnvelope): slotEnvelope}

// template is a rendered request split at its placeholders:
// text[0] slots[0] text[1] slots[1] … text[n].
type template struct {
	text  []string
	slots []slot
}

func compile(xml string) *template {
	t := &template{}
	last := 0
	for _, m := range placeholderRE.FindAllStringIndex(xml, -1) {
		t.text = append(t.text, xml[last:m[0]])
		t.slots = append(t.slots, slotOf[xml[m[0]:m[1]]])
		last = m[1]
	}
	t.text = append(t.text, xml[last:])
	return t
}

// values are a request's slot values.
type values [slotEnvelope + 1]string

// render appends the request to buf; payload, if the template has a
// payload slot, is written by writePayload instead of from v.
func (t *template) render(buf *bytes.Buffer, v *values, writePayload func(*bytes.Buffer)) {
	for i, s := range t.slots {
		buf.WriteString(t.text[i])
		if s == slotPayload && writePayload != nil {
			writePayload(buf)
			continue
		}
		buf.WriteString(v[s])
	}
	buf.WriteString(t.text[len(t.text)-1])
}

// size is the rendered length without the payload.
func (t *template) size(v *values) int {
	n := 0
	for _, s := range t.text {
		n += len(s)
	}
	for _, s := range t.slots {
		if s != slotPayload {
			n += len(v[s])
		}
	}
	return n
}

type templateKind int

const (
	tmplCreate templateKind = iota
	tmplCommand
	tmplSendEnd
	tmplSendMore
	tmplReceive
	tmplSignal
	tmplDelete
	tmplKinds
)

var (
	templatesOnce sync.Once
	templates     [tmplKinds]*template
)

// placeholderMessage starts a request like masterzen's defaultHeaders.
func placeholderMessage(action string, withShell bool, opts ...*soap.HeaderOption) *soap.SoapMessage {
	m := soap.NewMessage()
	h := m.Header().
		To(phURL).
		ReplyTo(anonymousAddr).
		MaxEnvelopeSize(phEnvelope).
		Id(phID).
		Locale(phLocale).
		Timeout(phTimeout).
		Action(action).
		ResourceURI(shellResource)
	if withShell {
		h.ShellId(phShell)
	}
	for _, o := range opts {
		h.AddOption(o)
	}
	h.Build()
	return m
}

func buildTemplates() {
	// Create: masterzen's NewOpenShellRequest with WINRS_NOPROFILE=TRUE.
	m := placeholderMessage(actionCreate, false,
		soap.NewHeaderOption("WINRS_NOPROFILE", "TRUE"),
		soap.NewHeaderOption("WINRS_CODEPAGE", "65001"))
	body := m.CreateBodyElement("Shell", soap.DOM_NS_WIN_SHELL)
	m.CreateElement(body, "InputStreams", soap.DOM_NS_WIN_SHELL).SetContent("stdin")
	m.CreateElement(body, "OutputStreams", soap.DOM_NS_WIN_SHELL).SetContent("stdout stderr")
	templates[tmplCreate] = compile(m.String())

	// Command: NewExecuteCommandRequest with WINRS_CONSOLEMODE_STDIN=FALSE.
	m = placeholderMessage(actionCommand, true,
		soap.NewHeaderOption("WINRS_CONSOLEMODE_STDIN", "FALSE"),
		soap.NewHeaderOption("WINRS_SKIP_CMD_SHELL", "FALSE"))
	body = m.CreateBodyElement("CommandLine", soap.DOM_NS_WIN_SHELL)
	m.CreateElement(body, "Command", soap.DOM_NS_WIN_SHELL).SetContent("<![CDATA[" + phPayload + "]]>")
	templates[tmplCommand] = compile(m.String())

	// Send: NewSendInputRequest, with and without End="true".
	for _, end := range []bool{true, false} {
		m = placeholderMessage(actionSend, true)
		send := m.CreateBodyElement("Send", soap.DOM_NS_WIN_SHELL)
		st := m.CreateElement(send, "Stream", soap.DOM_NS_WIN_SHELL)
		st.SetAttr("Name", "stdin")
		st.SetAttr("CommandId", phCmd)
		if end {
			st.SetAttr("End", "true")
		}
		st.SetContent(phPayload)
		if end {
			templates[tmplSendEnd] = compile(m.String())
		} else {
			templates[tmplSendMore] = compile(m.String())
		}
	}

	// Receive: NewGetOutputRequest.
	m = placeholderMessage(actionReceive, true)
	rcv := m.CreateBodyElement("Receive", soap.DOM_NS_WIN_SHELL)
	ds := m.CreateElement(rcv, "DesiredStream", soap.DOM_NS_WIN_SHELL)
	ds.SetAttr("CommandId", phCmd)
	ds.SetContent("stdout stderr")
	templates[tmplReceive] = compile(m.String())

	// Signal: NewSignalRequest (terminate).
	m = placeholderMessage(actionSignal, true)
	sig := m.CreateBodyElement("Signal", soap.DOM_NS_WIN_SHELL)
	sig.SetAttr("CommandId", phCmd)
	m.CreateElement(sig, "Code", soap.DOM_NS_WIN_SHELL).SetContent(signalTerm)
	templates[tmplSignal] = compile(m.String())

	// Delete: NewDeleteShellRequest.
	m = placeholderMessage(actionDelete, true)
	m.NewBody()
	templates[tmplDelete] = compile(m.String())
}

func templateFor(k templateKind) *template {
	templatesOnce.Do(buildTemplates)
	return templates[k]
}

// safeID reports whether an identifier a host returned (ShellId,
// CommandId) can be spliced into a request as is: Windows sends GUIDs, and
// anything with markup in it would change the request's XML.
func safeID(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_' || r == '{' || r == '}')
	}) < 0
}
