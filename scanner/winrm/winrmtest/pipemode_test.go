package winrmtest

import (
	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"
)

// newPipeCommandRequest is masterzen's NewExecuteCommandRequest with
// WINRS_CONSOLEMODE_STDIN=FALSE, as ntlmscan, Ansible and pypsrp send it: in
// masterzen's console mode (TRUE) a script reading $input never sees the
// end of its stdin, and the simulator, like Windows, never finishes it.
func newPipeCommandRequest(uri, shellID, command string, params *winrm.Parameters) *soap.SoapMessage {
	m := soap.NewMessage()
	m.Header().
		To(uri).
		ReplyTo("http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous").
		MaxEnvelopeSize(params.EnvelopeSize).
		Id("uuid:6d1f0e1c-2a55-4c1e-9a43-5f0d7c1b2e3a").
		Locale(params.Locale).
		Timeout(params.Timeout).
		Action("http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command").
		ResourceURI("http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd").
		ShellId(shellID).
		AddOption(soap.NewHeaderOption("WINRS_CONSOLEMODE_STDIN", "FALSE")).
		AddOption(soap.NewHeaderOption("WINRS_SKIP_CMD_SHELL", "FALSE")).
		Build()
	body := m.CreateBodyElement("CommandLine", soap.DOM_NS_WIN_SHELL)
	m.CreateElement(body, "Command", soap.DOM_NS_WIN_SHELL).SetContent("<![CDATA[" + command + "]]>")
	return m
}
