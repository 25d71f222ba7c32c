package scanner

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"

	mzwinrm "github.com/masterzen/winrm"

	"github.com/ntlmscan/ntlmscan/inventory/safetext"
	"github.com/ntlmscan/ntlmscan/scanner/collect"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
	"github.com/ntlmscan/ntlmscan/scanner/winrm"
)

// failure is one attempt's error with what classification needs to know.
type failure struct {
	err        error
	method     string // "ntlm", "basic"
	username   string
	local      bool   // username is a local account of the host (not a domain one)
	hostTO     string // per-host timeout, for messages
	addr       string // host:port
	scanCtxErr error  // the scan's context state after the attempt
	hostCtxErr error  // the host's context state after the attempt
}

// classify maps an attempt's error to something an admin can act on. Raw
// library strings never stand alone: each message says what failed in
// words, and the hint what to do.
func classify(f failure) *facts.HostError {
	err := f.err
	he := func(c facts.ErrorClass, msg, hint string) *facts.HostError {
		return &facts.HostError{Class: c, Message: clean(msg), Hint: hint}
	}
	// std is he with the class's default hint from the error-class table.
	std := func(c facts.ErrorClass, msg string) *facts.HostError { return he(c, msg, facts.DefaultHint(c)) }

	// The scan or the host ran out of time, or the user stopped the scan:
	// that is the reason, whatever error the interrupted step produced.
	switch {
	case errors.Is(f.scanCtxErr, context.Canceled):
		return std(facts.ErrCanceled, "the scan was canceled while this host was being collected")
	case errors.Is(f.scanCtxErr, context.DeadlineExceeded):
		return he(facts.ErrTimeout, "the scan's overall deadline passed while this host was being collected",
			"raise the scan deadline, or scan fewer hosts at once")
	case f.hostCtxErr != nil && kdcTimedOut(err):
		// The host's deadline passed while it waited for the KDC: that
		// is the failure to fix, not the host.
		var ke *winrm.KerberosError
		errors.As(err, &ke)
		return classifyKerberos(ke, f.username)
	case f.hostCtxErr != nil:
		return he(facts.ErrTimeout, fmt.Sprintf("no complete answer within the per-host timeout (%s)", f.hostTO),
			"the host or its WinRM service is hung or very slow; check it, or raise --host-timeout (or the host's winrm.timeout in the inventory)")
	}

	var (
		credErr   *credError
		tlsCfgErr *tlsConfigError
		limitErr  *winrm.OutputLimitError
		connErr   *winrm.ConnectError
		authErr   *winrm.AuthError
		krbErr    *winrm.KerberosError
		tooLong   *winrm.HeaderTooLongError
		insecure  *winrm.InsecureError
		fault     *winrm.FaultError
		httpErr   *winrm.HTTPError
		protoErr  *winrm.ProtocolError
		exchErr   *winrm.ExchangeError
		scriptErr *collect.ScriptError
		malformed *collect.MalformedError
		schemaErr *facts.SchemaError
		xmlErr    *xml.SyntaxError
		cmdErr    *mzwinrm.ExecuteCommandError
	)
	var stopped *credentialStoppedError
	switch {
	case errors.As(err, &stopped):
		return he(facts.ErrNotAttempted,
			fmt.Sprintf("not attempted: %s refused the NTLM logon of %s (credential %q) earlier in this run, before it had worked on any host; "+
				"ntlmscan tries such a credential on no other host, so that a wrong password costs one failed logon instead of one per host (account lockout)",
				stopped.refusedBy, stopped.username, stopped.credential),
			"see "+stopped.refusedBy+"'s error: if the password is wrong, fix it (the variable or file the inventory names) and scan again; "+
				"if it is right and "+stopped.refusedBy+" refused it for another reason (its incoming NTLM policy, no WinRM rights), scan again with --continue-on-bad-credential")
	case errors.As(err, &credErr):
		return he(facts.ErrCredentials, credErr.msg, credErr.hint)
	case errors.As(err, &tlsCfgErr):
		return he(facts.ErrTLSConfig, tlsCfgErr.msg, tlsCfgErr.hint)
	case errors.As(err, &limitErr):
		return he(facts.ErrMalformedOutput, fmt.Sprintf("the collector printed more than %d bytes on stdout; ntlmscan stopped it", limitErr.Limit),
			"something on the host writes to the console (a profile, a banner, a wrapper); find it, or raise the output cap")
	case errors.As(err, &connErr):
		return classifyConnect(connErr, f.addr)
	case errors.As(err, &authErr):
		if he := channelBindingRefusal(authErr, f.username); he != nil {
			return he
		}
		return classifyAuth(authErr, f.username, f.local)
	case errors.As(err, &krbErr):
		return classifyKerberos(krbErr, f.username)
	case errors.As(err, &tooLong):
		return tokenTooLarge(tooLong, f.username)
	case errors.As(err, &insecure) && insecure.ContentType != "" && !wsmanContentType(insecure.ContentType):
		return notWinRM(f.addr, insecure.Status, insecure.ContentType, insecure.Snippet)
	case errors.As(err, &insecure):
		return std(facts.ErrEncryptionNeeded, insecure.Reason)
	case errors.As(err, &fault):
		if he := classifyRefusalFault(fault); he != nil {
			return he
		}
		if fault.Quota() {
			return std(facts.ErrQuota, "the WinRM service refused a new shell or operation: "+faultText(fault))
		}
		if fault.TimedOut() {
			return he(facts.ErrTimeout, "the WinRM service reported an operation timeout during "+fault.Action, "the host is slow; raise the host's timeout")
		}
		return std(facts.ErrWinRMService, fmt.Sprintf("the WinRM service answered %s with a fault: %s", fault.Action, faultText(fault)))
	case errors.As(err, &httpErr) && httpErr.Status >= 300 && httpErr.Status <= 399:
		return redirected(f.addr, httpErr)
	case errors.As(err, &httpErr) && httpErr.Snippet != "" && !wsmanContentType(httpErr.ContentType):
		return notWinRM(f.addr, httpErr.Status, httpErr.ContentType, httpErr.Snippet)
	case errors.As(err, &httpErr):
		msg := fmt.Sprintf("the WinRM service answered %s with HTTP %d", httpErr.Action, httpErr.Status)
		if httpErr.Snippet == "" {
			msg += " and an empty body"
		} else {
			msg += ": " + httpErr.Snippet
		}
		return he(facts.ErrWinRMService, msg,
			"check the Microsoft-Windows-WinRM/Operational event log on the host (an HTTP 500 with an empty body is also how Windows refuses a message it considers unencrypted)")
	case errors.As(err, &protoErr):
		return std(facts.ErrMalformedOutput, fmt.Sprintf("garbled WinRM reply to %s: %v", protoErr.Action, protoErr.Err))
	case errors.As(err, &scriptErr):
		return std(facts.ErrRemoteScript, fmt.Sprintf("the collector failed on the host (exit code %d): %s", scriptErr.ExitCode, orNone(scriptErr.Stderr)))
	case errors.As(err, &schemaErr):
		return std(facts.ErrSchemaMismatch, schemaErr.Error())
	case errors.As(err, &malformed):
		return he(facts.ErrMalformedOutput, malformed.Error(),
			"something on the host altered the collector's output: check the host's PowerShell profiles and anything that wraps powershell.exe")
	case errors.As(err, &xmlErr), errors.As(err, &cmdErr):
		return std(facts.ErrMalformedOutput, "garbled WinRM reply: "+err.Error())
	case errors.As(err, &exchErr):
		if exchErr.Timeout() {
			return he(facts.ErrTimeout, fmt.Sprintf("no answer to %s in time", exchErr.Action),
				"the host or its WinRM service is slow or hung; check it, or raise the host's timeout")
		}
		return he(facts.ErrUnreachableTCP, fmt.Sprintf("the connection to %s was lost during %s (%s)", f.addr, exchErr.Action, netReason(exchErr.Err)),
			"the host may be rebooting, its WinRM service restarting, or a firewall or proxy dropping the connection")
	case errors.Is(err, collect.ErrRequest):
		return he(facts.ErrInternal, err.Error(), "report this as an ntlmscan bug")
	}
	var ue *url.Error
	if errors.As(err, &ue) && ue.Timeout() {
		return std(facts.ErrTimeout, "no answer from the WinRM service in time")
	}
	return std(facts.ErrInternal, "unexpected failure: "+err.Error())
}

// tokenTooLarge: HTTP.sys refused the Kerberos ticket's header as too long
// (class kerberos-token-too-large, `ntlmscan help kerberos`).
func tokenTooLarge(e *winrm.HeaderTooLongError, username string) *facts.HostError {
	limit := "MaxRequestBytes (all request headers)"
	if e.Field {
		limit = "MaxFieldLength (one header)"
	}
	return &facts.HostError{Class: facts.ErrKerberosTokenTooLarge,
		Message: fmt.Sprintf("the host's HTTP.sys refused the Kerberos logon of %s with HTTP 400: the %d-byte Authorization header exceeds its %s; "+
			"the ticket grows with the account's group memberships (its PAC)", username, e.HeaderBytes, limit),
		Hint: `raise MaxFieldLength and MaxRequestBytes (REG_DWORD) under HKLM\SYSTEM\CurrentControlSet\Services\HTTP\Parameters on the host ` +
			"(e.g. 65534 and 16777216, as Microsoft's article on HTTP 400 Bad Request (Request Header too long) for users in many groups advises), then restart the host; " +
			"or scan with an account in fewer groups"}
}

// kdcTimedOut: no KDC answered before the host's deadline.
func kdcTimedOut(err error) bool {
	var ke *winrm.KerberosError
	return errors.As(err, &ke) && ke.Kind == winrm.KrbKDCUnreachable && ke.Timeout
}

// wsmanContentType reports whether a reply's Content-Type is one a WinRM
// service sends: SOAP, or a sealed (multipart/encrypted) message.
func wsmanContentType(ct string) bool {
	// Only the media type counts: the parameters may have been cut short
	// for the message.
	media, _, _ := strings.Cut(ct, ";")
	switch strings.ToLower(strings.TrimSpace(media)) {
	case "application/soap+xml", "multipart/encrypted", "multipart/x-multi-encrypted":
		return true
	}
	return false
}

// notWinRM describes an answer that did not come from a WinRM service: an
// HTML error page or another content type where WS-Management was expected.
func notWinRM(addr string, status int, contentType, snippet string) *facts.HostError {
	msg := fmt.Sprintf("something other than the WinRM service answered at %s: HTTP %d", addr, status)
	if contentType != "" {
		msg += fmt.Sprintf(" with Content-Type %q", contentType)
	}
	if snippet != "" {
		msg += ": " + snippet
	}
	return &facts.HostError{Class: facts.ErrNotWinRM, Message: clean(msg), Hint: facts.DefaultHint(facts.ErrNotWinRM)}
}

// redirected: WinRM never redirects, so a 3xx came from a web server,
// proxy or portal in WinRM's place; the message names where it points.
func redirected(addr string, e *winrm.HTTPError) *facts.HostError {
	target := e.Location
	if target == "" {
		target = "no Location"
	}
	return &facts.HostError{Class: facts.ErrNotWinRM,
		Message: clean(fmt.Sprintf("something other than the WinRM service answered at %s: HTTP %d redirecting to %s", addr, e.Status, target)),
		Hint: "WinRM never answers with a redirect: a web server, load balancer or captive/login portal answered instead (ntlmscan does not follow redirects). " +
			"Check the host's address and port in the inventory (winrm enumerate winrm/config/listener on the host); if a proxy sits in the path, have it pass WinRM to this host through " +
			"(as a NO_PROXY or bypass entry would) or scan from a machine with a direct route"}
}

func classifyConnect(e *winrm.ConnectError, addr string) *facts.HostError {
	var dnsErr *net.DNSError
	if errors.As(e.Err, &dnsErr) {
		return &facts.HostError{Class: facts.ErrUnreachableDNS,
			Message: clean(fmt.Sprintf("cannot resolve %q: %s", dnsErr.Name, dnsErr.Err)),
			Hint:    facts.DefaultHint(facts.ErrUnreachableDNS)}
	}
	if e.Stage == "tls" {
		var (
			verr   *tls.CertificateVerificationError
			unk    x509.UnknownAuthorityError
			name   x509.HostnameError
			inval  x509.CertificateInvalidError
			reason string
		)
		switch {
		case errors.As(e.Err, &unk):
			reason = "its certificate is signed by an authority this machine does not trust"
		case errors.As(e.Err, &name):
			reason = "its certificate does not name " + name.Host
		case errors.As(e.Err, &inval):
			reason = "its certificate is invalid (" + clean(inval.Error()) + ")"
		case errors.As(e.Err, &verr):
			reason = "its certificate does not verify (" + clean(verr.Err.Error()) + ")"
		default:
			return &facts.HostError{Class: facts.ErrTLSTrust,
				Message: clean(fmt.Sprintf("TLS handshake with %s failed: %v", addr, e.Err)),
				Hint:    "is this port an HTTPS WinRM listener? Check the port and https setting in the inventory"}
		}
		return &facts.HostError{Class: facts.ErrTLSTrust,
			Message: fmt.Sprintf("TLS: the WinRM service at %s is not trusted: %s", addr, reason),
			Hint:    facts.DefaultHint(facts.ErrTLSTrust)}
	}
	return &facts.HostError{Class: facts.ErrUnreachableTCP,
		Message: clean(fmt.Sprintf("cannot connect to WinRM at %s: %s", addr, netReason(e.Err))),
		Hint:    facts.DefaultHint(facts.ErrUnreachableTCP)}
}

func classifyAuth(e *winrm.AuthError, username string, local bool) *facts.HostError {
	offered := "nothing"
	if len(e.Offered) > 0 {
		offered = strings.Join(e.Offered, ", ")
	}
	switch e.Reason {
	case winrm.AuthMethodNotOffered:
		if e.Method == "basic" {
			return &facts.HostError{Class: facts.ErrAuthMethod,
				Message: "the WinRM service does not accept Basic authentication (it offers " + offered + ")",
				Hint:    "use the ntlm transport, or enable Basic on the WinRM service (HTTPS only)"}
		}
		return &facts.HostError{Class: facts.ErrAuthMethod,
			Message: "the WinRM service does not offer Negotiate (NTLM) authentication; it offers " + offered,
			Hint:    facts.DefaultHint(facts.ErrAuthMethod)}
	case winrm.AuthBadChallenge:
		return &facts.HostError{Class: facts.ErrAuthMethod,
			Message: clean("the WinRM service's NTLM challenge is unusable: " + e.Detail),
			// The hint for a reply no WinRM service would send.
			Hint: facts.DefaultHint(facts.ErrMalformedOutput)}
	}
	if e.Method == "basic" {
		return &facts.HostError{Class: facts.ErrAuthCredentials,
			Message: fmt.Sprintf("Basic logon refused for %s (HTTP %d)", username, e.Status),
			Hint: "check the user name and password (Windows accepts Basic only for local accounts); " +
				"if they are right, the account lacks WinRM rights: " + hintRights + "; " + hintTokenFilter}
	}
	// One 401 to the final NTLM leg: a wrong password, an NTLM policy and
	// WinRM's own authorization refusal look the same on the wire (`ntlmscan help
	// errors`, "Why a host answers 401"). What tells them apart is what ntlmscan
	// knows about the account.
	if local {
		return &facts.HostError{Class: facts.ErrAuthLocalAccount,
			Message: fmt.Sprintf("NTLM logon of the local account %s refused (HTTP %d); a wrong password gives the same answer", username, e.Status),
			Hint: "if the password is right: " + hintTokenFilter + "; otherwise " + hintRights +
				"; also check that the account is not locked or disabled and that the incoming NTLM policy does not deny all accounts (event 4002 in Microsoft-Windows-NTLM/Operational)"}
	}
	return &facts.HostError{Class: facts.ErrAuthCredentials,
		Message: fmt.Sprintf("NTLM logon refused for %s (HTTP %d)", username, e.Status),
		Hint: "one 401 cannot tell which: the password is wrong (or the account is locked or disabled); " +
			"or the host's incoming NTLM policy refuses the logon (Network security: Restrict NTLM: Incoming NTLM traffic; event 4002 in Microsoft-Windows-NTLM/Operational on the host); " +
			"or the account has no WinRM rights on this host: " + hintRights}
}

// Hints shared by the 401 causes.
const (
	hintTokenFilter = "a local account in Administrators other than the built-in Administrator gets a filtered token over the network (UAC remote restrictions) and WinRM refuses it; " +
		`set HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\LocalAccountTokenFilterPolicy = 1 (REG_DWORD), or scan with a domain account`
	// hintShellRights: by default the cmd shell admits only Administrators
	// (and INTERACTIVE, which a network logon never is): Remote Management
	// Users alone pass the logon and are denied at shell Create.
	hintShellRights = "by default WinRM's remote shell admits only members of the host's local Administrators group; " +
		"a member of Remote Management Users alone is denied at shell Create. Add the scanning account to Administrators, or grant it Read and Execute with " +
		"winrm configSDDL default (run on the host) and give it read access to the registry keys ntlmscan reads (Lsa, MSV1_0, Netlogon and LanmanWorkstation/LanManServer " +
		"parameters and policies under HKLM); check winrm get winrm/config/service (RootSDDL)"
	hintRights = "WinRM admits members of the host's local Administrators or Remote Management Users group (RootSDDL; winrm get winrm/config/service); add the scanning account to Administrators " +
		"(Remote Management Users alone is then denied the shell unless granted Read and Execute with winrm configSDDL default)"
)

// classifyRefusalFault recognises WinRM refusing the shell after a
// successful logon, by the fault's code (ERROR_WSMAN_REMOTESHELLS_NOT_ALLOWED,
// ERROR_ACCESS_DENIED as 5 or 0x80070005), so a host answering in another
// language is recognised; Windows' English texts are only the fallback
// (winrm.FaultError.Kind).
func classifyRefusalFault(f *winrm.FaultError) *facts.HostError {
	switch f.Kind() {
	case winrm.FaultRemoteShellsNotAllowed:
		return &facts.HostError{Class: facts.ErrRemoteShellDisabled,
			Message: clean("the WinRM service refuses every remote shell: " + faultText(f)),
			Hint:    facts.DefaultHint(facts.ErrRemoteShellDisabled)}
	case winrm.FaultAccessDenied:
		return &facts.HostError{Class: facts.ErrWinRMAccessDenied,
			Message: clean(fmt.Sprintf("the logon succeeded, but the WinRM service denied %s: %s", f.Action, faultText(f))),
			Hint:    hintShellRights}
	}
	return nil
}

// policyRefusal rewrites an NTLM 401 once the same domain credential is
// known to have authenticated elsewhere in this scan.
func policyRefusal(username string, others int) *facts.HostError {
	return &facts.HostError{Class: facts.ErrAuthNTLMPolicy,
		Message: fmt.Sprintf("NTLM logon refused for %s (HTTP 401), although the same domain credential authenticated on %d other host(s) in this scan: "+
			"most likely this host's incoming NTLM policy refuses it (Network security: Restrict NTLM: Incoming NTLM traffic = Deny all domain accounts or Deny all accounts), "+
			"or the account has no WinRM rights on this host (the same 401)",
			username, others),
		Hint: facts.DefaultHint(facts.ErrAuthNTLMPolicy)}
}

// transient reports failures worth another attempt: a lost connection or a
// timeout of one step. Refused credentials, policy, quota and bad output
// never are.
func transient(err error) bool {
	var (
		exchErr *winrm.ExchangeError
		connErr *winrm.ConnectError
		ue      *url.Error
	)
	switch {
	case errors.As(err, &exchErr):
		return true // reset, EOF or a step deadline
	case errors.As(err, &connErr):
		if connErr.Stage != "dial" {
			return false
		}
		var ne net.Error
		if errors.As(connErr.Err, &ne) && ne.Timeout() {
			return true
		}
		return errors.Is(connErr.Err, syscall.ECONNRESET)
	case errors.As(err, &ue):
		return ue.Timeout()
	}
	return false
}

// netReason says in words what a network error was.
func netReason(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused: nothing listens on that port"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by the host"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the host closed the connection"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to the host"
	case errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	}
	return clean(err.Error())
}

func faultText(f *winrm.FaultError) string {
	text := f.Message
	if text == "" {
		text = f.Reason
	}
	if f.WSManCode != "" {
		text += " (code " + f.WSManCode + ")"
	}
	return text
}

func orNone(s string) string {
	if s == "" {
		return "no error text"
	}
	return s
}

// clean bounds a message and shows control, bidi and invisible characters
// as escapes (safetext), so a host's text cannot act on a terminal.
func clean(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	var b strings.Builder
	for _, r := range s {
		if b.Len() > 600 {
			b.WriteString("…")
			break
		}
		if safetext.Unsafe(r) {
			b.WriteString(safetext.Escape(string(r)))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
