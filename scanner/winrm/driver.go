package winrm

// Why the command driver is ours and not masterzen's Client/Shell/Command:
//
//   - masterzen's Command sends WINRS_CONSOLEMODE_STDIN=TRUE and its Create
//     WINRS_NOPROFILE=FALSE, hardcoded. In console mode a PowerShell script
//     reading $input never sees the end of its input on Windows, so the
//     collector (which travels on stdin) would hang; Ansible and pypsrp use
//     pipe mode. NOPROFILE=TRUE: a scan reads, it creates no user profile.
//   - masterzen sends stdin from its own goroutine while its Receive loop
//     long-polls, which needs a second connection and NTLM handshake per
//     host, and cuts stdin into EnvelopeSize-1000 raw bytes, which after
//     base64 exceed the envelope size it announced (a host with a small
//     MaxEnvelopeSizekb refuses them).
//   - masterzen parses every reply with goxpath, whose cost grows with
//     elements × depth × namespaces and which panics in a goroutine of its
//     own on a reply it cannot parse; we had to parse every reply two more
//     times to keep it safe. The driver parses each reply once, in one
//     bounded streaming pass (parseReply).
//   - masterzen re-issues an empty Receive at once: a host (or proxy) that
//     answers Receive without output and without long-polling makes it spin.
//
// masterzen stays in the path where it costs nothing: the requests are
// built with its soap package (same header, namespaces and layout as its
// request builders, with the two options above changed), its Endpoint and
// Parameters configure the session, and every message goes through our
// Transport, which is a masterzen Transporter.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	mzwinrm "github.com/masterzen/winrm"
)

const (
	actionCreate  = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"
	actionDelete  = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete"
	actionCommand = nsShell + "/Command"
	actionReceive = nsShell + "/Receive"
	actionSend    = nsShell + "/Send"
	actionSignal  = nsShell + "/Signal"
	shellResource = nsShell + "/cmd"
	anonymousAddr = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
	signalTerm    = nsShell + "/signal/terminate"
)

// sealOverhead bounds what sealing adds to a SOAP message: the multipart
// framing of [MS-WSMV] 2.2.9.1.1.2 (258 bytes for a 4-digit length, see
// seal.go), room for a longer length, and a margin.
const sealOverhead = 512

// minSendEnvelope is the smallest request budget the driver shrinks to when
// a host refuses a Send as too large (Windows' smallest MaxEnvelopeSizekb
// is 32).
const minSendEnvelope = 8 << 10

// Receive backoff when a reply has neither output nor the Done state: a
// Windows host long-polls until output or OperationTimeout, so an empty
// answer means something else (a proxy, a broken host) answers at once;
// polling it in a tight loop would burn CPU and bandwidth on both ends
// (masterzen/winrm#168).
const (
	emptyReceiveFirst = 50 * time.Millisecond
	emptyReceiveMax   = 2 * time.Second
)

// shellDriver drives one remote shell over a Transport, one message at a
// time: never a Send while a Receive is pending, so one connection (and one
// handshake) serves the whole command.
type shellDriver struct {
	t      *Transport
	url    string
	params *mzwinrm.Parameters
	// sendBudget is the largest request body (sealed) a Send may have: the
	// MaxEnvelopeSize we announce, lowered when the host refuses one as too
	// large (its MaxEnvelopeSizekb is smaller).
	sendBudget int
	// sleep waits d unless ctx ends first (tests may replace it).
	sleep func(ctx context.Context, d time.Duration) error
	// stats
	emptyReceives int
}

func newShellDriver(t *Transport, params *mzwinrm.Parameters) *shellDriver {
	return &shellDriver{t: t, url: t.URL(), params: params, sendBudget: params.EnvelopeSize, sleep: sleepCtx}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// messageID is "uuid:" and a random (v4) UUID, as masterzen sends.
func messageID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return "uuid:" + string(s[:])
}

// values returns the slot values of a new request (a fresh MessageID).
func (d *shellDriver) values(shellID, cmdID string) *values {
	return &values{slotURL: d.url, slotID: messageID(), slotTimeout: d.params.Timeout, slotLocale: d.params.Locale,
		slotShell: shellID, slotCmd: cmdID, slotEnvelope: strconv.Itoa(d.params.EnvelopeSize)}
}

// request renders a template into a pooled buffer and exchanges it.
func (d *shellDriver) request(k templateKind, action string, v *values, sink streamSink) (*reply, error) {
	buf := getBuffer()
	defer putBuffer(buf)
	templateFor(k).render(buf, v, nil)
	return d.exchange(action, buf.Bytes(), sink)
}

// exchange sends one message and parses the answer once. Faults come back
// as *FaultError, other non-200 answers as *HTTPError.
func (d *shellDriver) exchange(action string, msg []byte, sink streamSink) (*reply, error) {
	res, err := d.t.call(action, msg)
	if err != nil {
		return nil, err
	}
	defer res.release()
	if res.status == http.StatusOK && len(res.body) == 0 {
		return nil, &ProtocolError{Action: action, Err: errors.New("empty answer")}
	}
	if len(res.body) == 0 {
		return nil, res.httpError(action)
	}
	if res.status != http.StatusOK {
		sink = nil // a fault carries no output
	}
	r, err := parseReply(res.body, sink)
	if err != nil {
		if res.status != http.StatusOK {
			return nil, res.httpError(action)
		}
		return nil, &ProtocolError{Action: action, Err: err}
	}
	if r.fault != nil {
		r.fault.Action, r.fault.Status = action, res.status
		return nil, r.fault
	}
	if res.status != http.StatusOK {
		return nil, res.httpError(action)
	}
	return r, nil
}

// create opens a shell: masterzen's Create with WINRS_NOPROFILE=TRUE.
func (d *shellDriver) create() (string, error) {
	r, err := d.request(tmplCreate, "Create", d.values("", ""), nil)
	if err != nil {
		return "", err
	}
	if r.shellID == "" {
		return "", &ProtocolError{Action: "Create", Err: errors.New("the answer names no ShellId")}
	}
	if !safeID(r.shellID) {
		return "", &ProtocolError{Action: "Create", Err: fmt.Errorf("ShellId %q is not an identifier", sanitizeSnippet([]byte(r.shellID), 60))}
	}
	return r.shellID, nil
}

// command starts a command line in pipe mode (WINRS_CONSOLEMODE_STDIN=FALSE)
// so that a script reading $input sees the end of its input.
func (d *shellDriver) command(shellID, line string) (string, error) {
	if strings.Contains(line, "]]>") {
		return "", fmt.Errorf("command line contains ]]>, which cannot travel in CDATA")
	}
	v := d.values(shellID, "")
	v[slotPayload] = line
	r, err := d.request(tmplCommand, "Command", v, nil)
	if err != nil {
		return "", err
	}
	if r.action != actionCommand+"Response" {
		return "", &ProtocolError{Action: "Command", Err: fmt.Errorf("unexpected answer %s", sanitizeSnippet([]byte(r.action), 120))}
	}
	if r.commandID == "" {
		return "", &ProtocolError{Action: "Command", Err: errors.New("the answer names no CommandId")}
	}
	if !safeID(r.commandID) {
		return "", &ProtocolError{Action: "Command", Err: fmt.Errorf("CommandId %q is not an identifier", sanitizeSnippet([]byte(r.commandID), 60))}
	}
	return r.commandID, nil
}

// sendStdin sends all of stdin and the end of input in as few Sends as the
// envelope budget allows: one when it fits. Every request body (sealing
// included) stays within sendBudget; when the host refuses a Send as too
// large (HTTP 413: its MaxEnvelopeSizekb is below what we announce), the
// budget is halved and the same data resent (the refused Send was not
// processed).
func (d *shellDriver) sendStdin(shellID, cmdID string, stdin []byte) error {
	buf := getBuffer()
	defer putBuffer(buf)
	for {
		v := d.values(shellID, cmdID)
		t := templateFor(tmplSendEnd)
		n := (d.sendBudget - sealOverhead - t.size(v)) / 4 * 3
		if n <= 0 {
			return fmt.Errorf("the envelope budget (%d bytes) leaves no room for data", d.sendBudget)
		}
		last := len(stdin) <= n
		if last {
			n = len(stdin)
		} else {
			t = templateFor(tmplSendMore)
		}
		chunk := stdin[:n]
		buf.Reset()
		buf.Grow(t.size(v) + base64.StdEncoding.EncodedLen(n))
		t.render(buf, v, func(b *bytes.Buffer) {
			enc := b.AvailableBuffer()[:base64.StdEncoding.EncodedLen(len(chunk))]
			base64.StdEncoding.Encode(enc, chunk)
			b.Write(enc)
		})
		_, err := d.exchange("Send", buf.Bytes(), nil)
		var he *HTTPError
		if errors.As(err, &he) && he.Status == http.StatusRequestEntityTooLarge && d.sendBudget/2 >= minSendEnvelope {
			d.sendBudget /= 2
			d.t.log.Debug("winrm: the host refused a Send as too large; sending smaller chunks", "budget", d.sendBudget)
			continue // the refused Send was not processed: resend its data
		}
		if err != nil {
			return err
		}
		if last {
			return nil
		}
		stdin = stdin[n:]
	}
}

// receive asks for output once and feeds it to sink.
func (d *shellDriver) receive(shellID, cmdID string, sink streamSink) (*reply, error) {
	return d.request(tmplReceive, "Receive", d.values(shellID, cmdID), sink)
}

// signal terminates a command.
func (d *shellDriver) signal(shellID, cmdID string) error {
	_, err := d.request(tmplSignal, "Signal", d.values(shellID, cmdID), nil)
	return err
}

// delete closes the shell (and ends any process still in it).
func (d *shellDriver) delete(shellID string) error {
	_, err := d.request(tmplDelete, "Delete", d.values(shellID, ""), nil)
	return err
}

// outputSink feeds Receive data into the capped writers.
type outputSink struct{ out, err *capWriter }

func (s outputSink) stdout(p []byte) error { _, err := s.out.Write(p); return err }
func (s outputSink) stderr(p []byte) error { _, err := s.err.Write(p); return err }

// run is Session.Run on the driver: Create, Command, Send (stdin and end of
// input), Receive until Done, Delete. Signal goes only to a command that
// did not finish: after Done the process has exited and Delete releases
// everything, so the minimum is handshake (2) + 5 round trips.
func (d *shellDriver) run(ctx context.Context, command string, stdin []byte, maxStdout int64) (*Output, error) {
	d.t.beginRun()
	defer d.t.endRun()
	shellID, err := d.create()
	if err != nil {
		return nil, err
	}
	defer func() { _ = d.delete(shellID) }() // a failure only leaks a shell until its idle timeout

	cmdID, err := d.command(shellID, command)
	if err != nil {
		return nil, err
	}
	finished := false
	defer func() {
		if !finished {
			_ = d.signal(shellID, cmdID)
		}
	}()
	if stdin != nil {
		if err := d.sendStdin(shellID, cmdID, stdin); err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("run command: %w", context.Cause(ctx))
			}
			return nil, fmt.Errorf("send stdin: %w", err)
		}
	}
	stdout := &capWriter{limit: maxStdout}
	stderr := &capWriter{limit: stderrCap}
	sink := outputSink{out: stdout, err: stderr}
	pause := time.Duration(0)
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("run command: %w", context.Cause(ctx))
		}
		r, err := d.receive(shellID, cmdID, sink)
		if stdout.overflow {
			return nil, &OutputLimitError{Stream: "stdout", Limit: maxStdout}
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("run command: %w", context.Cause(ctx))
			}
			var f *FaultError
			if errors.As(err, &f) && f.TimedOut() {
				pause = 0
				continue // the long poll ended without output: ask again (MS-WSMV 3.1.4.14)
			}
			if timeoutErr(err) {
				continue // our exchange deadline passed first: ask again, within the host's time
			}
			return nil, err
		}
		if r.done {
			finished = true
			return &Output{Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), ExitCode: r.exitCode, StderrTruncated: stderr.overflow}, nil
		}
		if r.streams > 0 {
			pause = 0
			continue
		}
		d.emptyReceives++
		pause = min(max(pause*2, emptyReceiveFirst), emptyReceiveMax)
		if err := d.sleep(ctx, pause); err != nil {
			return nil, fmt.Errorf("run command: %w", err)
		}
	}
}

// timeoutErr reports an exchange deadline (a *url.Error whose Timeout() is
// true, see ioError).
func timeoutErr(err error) bool {
	var ue *url.Error
	return errors.As(err, &ue) && ue.Timeout()
}
