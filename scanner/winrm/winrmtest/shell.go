package winrmtest

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

const (
	defaultOperationTimeout = 60 * time.Second
	defaultClientEnvelope   = 153600
	minEnvelope             = 8192
	maxStreamChunk          = 32 << 10 // raw bytes per rsp:Stream element
	maxStdin                = 64 << 20
	cmdLineLimit            = 8191  // cmd.exe
	createProcessLimit      = 32767 // CreateProcess lpCommandLine
)

// result is how a WS-Man message is answered.
type result struct {
	status      int
	body        []byte
	drop        bool // close the TCP connection instead
	emptyStatus int  // answer this status with an empty body instead
	gone        bool // the client went away: nothing to answer
}

type shell struct {
	id        string
	owner     string // account key
	ownerName string
	clientIP  string
	codepage  int
	lastUsed  time.Time
	commands  map[string]*command
}

type outChunk struct {
	stream string
	data   []byte
	at     time.Time // when the process prints it
}

// command is one process in a shell. Output is computed when the process
// "runs" (at Command, or when stdin ends) and released at readyAt.
type command struct {
	id        string
	line      string
	onStdin   func(stdin []byte) execResult // nil: does not wait for stdin
	stdin     []byte
	stdinDone bool
	finished  bool
	doneAt    time.Time // when the process exits (its last output is printed)
	hang      bool
	// consoleInput: console-mode stdin to a script reading $input, which
	// never sees the end of its input (consolemode.go).
	consoleInput bool
	pending      []outChunk
	exitCode     int
	doneSent     bool
	terminated   bool
	notify       chan struct{}
}

// changed wakes Receive long polls waiting on the command.
func (c *command) changed() {
	close(c.notify)
	c.notify = make(chan struct{})
}

func (sh *shell) terminateAll() {
	for id, c := range sh.commands {
		c.terminated = true
		c.changed()
		delete(sh.commands, id)
	}
}

// handle answers one WS-Man message as the host.
func (hs *hostServer) handle(rq *request, plain []byte, acct account) result {
	env, err := parseEnvelope(plain)
	if err != nil {
		hs.srv.log.Debug("bad envelope", "host", hs.h.Name, "err", err)
		rq.call.Fault = "bad-envelope"
		rq.close()
		return result{emptyStatus: http.StatusBadRequest}
	}
	rq.call.Action = shortAction(env.Action)
	rq.call.ShellID = env.ShellID
	if len(env.Options) > 0 {
		rq.call.Options = env.Options
	}
	faults := hs.faults.Load()
	if faults.HTTP500Empty {
		return result{emptyStatus: http.StatusInternalServerError}
	}
	var res result
	switch {
	case env.Action == actionGet && strings.EqualFold(env.ResourceURI, configURI):
		res = hs.getConfig(env)
	case !strings.EqualFold(env.ResourceURI, shellURI):
		res = hs.fault(rq, env, faultBadResourceURI(env.ResourceURI))
	case env.Action == actionCreate:
		res = hs.create(rq, env, acct, faults)
	case env.Action == actionCommand:
		res = hs.command(rq, env, acct, faults)
	case env.Action == actionReceive:
		res = hs.receive(rq, env, acct, faults)
	case env.Action == actionSend:
		res = hs.send(rq, env, acct)
	case env.Action == actionSignal:
		res = hs.signal(rq, env, acct)
	case env.Action == actionDelete:
		res = hs.delete(rq, env, acct)
	default:
		res = hs.fault(rq, env, faultActionNotSupported(env.Action))
	}
	if faults.MalformedXML != "" && faults.MalformedXML == rq.call.Action && len(res.body) > 0 {
		res.body = res.body[:len(res.body)/2]
		rq.call.Fault = "malformed-xml"
	}
	return res
}

func (hs *hostServer) fault(rq *request, env *envelope, f wsmanFault) result {
	rq.call.Fault = f.wsmanCode
	return result{status: http.StatusInternalServerError, body: hs.faultBody(env, f)}
}

func (hs *hostServer) ok(env *envelope, ns nsSet, action, body string) result {
	w := hs.startEnvelope(ns, action, env)
	w.raw(body)
	return result{status: http.StatusOK, body: w.finish()}
}

// expireIdle drops shells idle longer than the Winrs IdleTimeout. Caller holds hs.mu.
func (hs *hostServer) expireIdle(now time.Time) {
	for id, sh := range hs.shells {
		if now.Sub(sh.lastUsed) > hs.h.WinRM.ShellIdleTimeout {
			sh.terminateAll()
			delete(hs.shells, id)
		}
	}
}

// lookupShell finds the caller's shell. Caller holds hs.mu.
func (hs *hostServer) lookupShell(env *envelope, acct account) (*shell, *wsmanFault) {
	if !env.HasShellSelector || env.ShellID == "" {
		f := faultMissingShellSelector()
		return nil, &f
	}
	hs.expireIdle(time.Now())
	sh := hs.shells[strings.ToUpper(env.ShellID)]
	if sh == nil || sh.owner != acct.key() {
		f := faultShellNotFound(env.ShellID)
		return nil, &f
	}
	sh.lastUsed = time.Now()
	return sh, nil
}

// lookupCommand finds the caller's shell and a live command in it. Caller
// holds hs.mu.
func (hs *hostServer) lookupCommand(env *envelope, acct account, cmdID string) (*shell, *command, *wsmanFault) {
	sh, f := hs.lookupShell(env, acct)
	if f != nil {
		return nil, nil, f
	}
	c := sh.commands[cmdID]
	if c == nil || c.terminated {
		f := faultBadCommandID()
		return nil, nil, &f
	}
	return sh, c, nil
}

func (hs *hostServer) userOperations(owner string) (shells, ops int) {
	for _, sh := range hs.shells {
		if sh.owner == owner {
			shells++
			ops += 1 + len(sh.commands)
		}
	}
	return shells, ops
}

func (hs *hostServer) create(rq *request, env *envelope, acct account, faults *Faults) result {
	switch {
	case !hs.h.remoteShellAllowed():
		return hs.fault(rq, env, faultShellAccessDisabled())
	case hs.h.shellAccessDenied(acct), hs.h.shellDefaultDenied(acct):
		return hs.fault(rq, env, faultAccessDenied())
	}
	now := time.Now()
	hs.mu.Lock()
	hs.expireIdle(now)
	n, _ := hs.userOperations(acct.key())
	limit := hs.h.WinRM.MaxShellsPerUser
	if faults.QuotaShells || n >= limit {
		hs.mu.Unlock()
		return hs.fault(rq, env, faultMaxShells(limit))
	}
	codepage := 437 // the OEM code page of an en-US host
	if cp, err := strconv.Atoi(env.Options["WINRS_CODEPAGE"]); err == nil && cp > 0 {
		codepage = cp
	}
	clientIP, _, _ := net.SplitHostPort(rq.cs.remote)
	sh := &shell{id: guid(), owner: acct.key(), ownerName: acct.String(), clientIP: clientIP,
		codepage: codepage, lastUsed: now, commands: map[string]*command{}}
	hs.shells[sh.id] = sh
	hs.mu.Unlock()
	rq.call.ShellID = sh.id

	in, out := "stdin", "stdout stderr"
	if env.Shell != nil {
		if s := strings.TrimSpace(env.Shell.InputStreams); s != "" {
			in = s
		}
		if s := strings.TrimSpace(env.Shell.OutputStreams); s != "" {
			out = s
		}
	}
	scheme := "http"
	if rq.cs.tls {
		scheme = "https"
	}
	w := hs.startEnvelope(nsCreate, nsTransfer+"/CreateResponse", env)
	w.raw(`<x:ResourceCreated><a:Address>`)
	w.text(scheme + "://" + rq.r.Host + "/wsman")
	w.raw(`</a:Address><a:ReferenceParameters><w:ResourceURI>` + shellURI + `</w:ResourceURI><w:SelectorSet><w:Selector Name="ShellId">` + sh.id +
		`</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated><rsp:Shell xmlns:rsp="` + nsShell + `"><rsp:ShellId>` + sh.id +
		`</rsp:ShellId><rsp:ResourceUri>` + shellURI + `</rsp:ResourceUri><rsp:Owner>`)
	w.text(sh.ownerName)
	w.raw(`</rsp:Owner><rsp:ClientIP>`)
	w.text(clientIP)
	w.raw(`</rsp:ClientIP><rsp:IdleTimeOut>` + fmt.Sprintf("PT%.3fS", hs.h.WinRM.ShellIdleTimeout.Seconds()) + `</rsp:IdleTimeOut><rsp:InputStreams>`)
	w.text(in)
	w.raw(`</rsp:InputStreams><rsp:OutputStreams>`)
	w.text(out)
	w.raw(`</rsp:OutputStreams><rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime><rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity></rsp:Shell>`)
	return result{status: http.StatusOK, body: w.finish()}
}

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

func (hs *hostServer) command(rq *request, env *envelope, acct account, faults *Faults) result {
	if env.CommandLine == nil {
		return hs.fault(rq, env, faultInvalidRequest("the Command message has no rsp:CommandLine."))
	}
	line := strings.TrimSpace(env.CommandLine.Command)
	for _, a := range env.CommandLine.Arguments {
		line += " " + a
	}
	rq.call.CommandLine = line
	if len(rq.call.CommandLine) > 512 {
		rq.call.CommandLine = rq.call.CommandLine[:512]
	}
	n := utf16Len(line)
	if n > createProcessLimit {
		return hs.fault(rq, env, faultFilenameTooLong())
	}
	skipCmd := strings.EqualFold(env.Options["WINRS_SKIP_CMD_SHELL"], "TRUE")

	hs.mu.Lock()
	sh, f := hs.lookupShell(env, acct)
	if f != nil {
		hs.mu.Unlock()
		return hs.fault(rq, env, *f)
	}
	_, ops := hs.userOperations(acct.key())
	limit := hs.h.WinRM.MaxConcurrentOperationsPerUser
	if faults.QuotaOperations || ops >= limit {
		hs.mu.Unlock()
		return hs.fault(rq, env, faultMaxOperations(limit))
	}
	c := &command{id: guid(), line: line, notify: make(chan struct{}),
		consoleInput: consoleModeStdin(env.Options) && readsPipelineInput(line)}
	sh.commands[c.id] = c
	codepage := sh.codepage
	hs.mu.Unlock()
	rq.call.CommandID = c.id

	x := &executor{hs: hs, acct: acct, faults: faults}
	var res execResult
	switch {
	case !skipCmd && n > cmdLineLimit:
		// cmd.exe refuses it, but the shell plugin reports no fault.
		res = execResult{stderr: "The command line is too long.\r\n", exit: 1}
	default:
		var onStdin func([]byte) execResult
		res, onStdin = x.start(line, skipCmd)
		if onStdin != nil {
			hs.mu.Lock()
			c.onStdin = onStdin
			hs.mu.Unlock()
			return hs.ok(env, nsCreate, nsShell+"/CommandResponse",
				`<rsp:CommandResponse><rsp:CommandId>`+c.id+`</rsp:CommandId></rsp:CommandResponse>`)
		}
	}
	hs.mu.Lock()
	hs.finish(c, res, faults, codepage)
	hs.mu.Unlock()
	return hs.ok(env, nsCreate, nsShell+"/CommandResponse",
		`<rsp:CommandResponse><rsp:CommandId>`+c.id+`</rsp:CommandId></rsp:CommandResponse>`)
}

// finish stores a command's output, timed from now: RemoteRuntime delays
// everything, script phases (Start-Sleep) spread it out. Caller holds hs.mu.
func (hs *hostServer) finish(c *command, res execResult, faults *Faults, codepage int) {
	if c.terminated || c.finished {
		return
	}
	c.finished = true
	at := time.Now().Add(faults.RemoteRuntime)
	c.hang = faults.Hang
	c.exitCode = res.exit
	add := func(stream, text string) {
		if text != "" {
			c.pending = append(c.pending, outChunk{stream, encodeOutput(text, codepage), at})
		}
	}
	if faults.OversizedOutput > 0 {
		c.pending = append(c.pending, outChunk{"stdout", noise(faults.OversizedOutput), at})
	}
	add("stdout", res.stdout)
	add("stderr", res.stderr)
	for _, p := range res.phases {
		at = at.Add(p.delay)
		add("stdout", p.stdout)
		add("stderr", p.stderr)
	}
	c.doneAt = at
	c.changed()
}

// available reports whether a Receive has something to return now, and
// otherwise when it will.
func (c *command) available(now time.Time) (bool, time.Time) {
	if !c.finished || c.hang {
		return false, time.Time{}
	}
	if len(c.pending) > 0 {
		if !now.Before(c.pending[0].at) {
			return true, time.Time{}
		}
		return false, c.pending[0].at
	}
	if !now.Before(c.doneAt) {
		return true, time.Time{}
	}
	return false, c.doneAt
}

// noise is n bytes of printable lines, as a chatty script would print.
func noise(n int) []byte {
	const line = "NOISE: the quick brown fox jumps over the lazy dog 0123456789\r\n"
	b := make([]byte, n)
	for i := 0; i < n; i += len(line) {
		copy(b[i:], line)
	}
	return b
}

// encodeOutput converts text to the shell's code page: UTF-8 for 65001,
// otherwise ASCII with '?' for what the OEM code page cannot show.
func encodeOutput(s string, codepage int) []byte {
	if codepage == 65001 {
		return []byte(s)
	}
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r < 0x80 {
			b = append(b, byte(r))
		} else {
			b = append(b, '?')
		}
	}
	return b
}

func (hs *hostServer) receive(rq *request, env *envelope, acct account, faults *Faults) result {
	if env.Receive == nil {
		return hs.fault(rq, env, faultInvalidRequest("the Receive message has no rsp:Receive."))
	}
	cmdID := strings.ToUpper(strings.TrimSpace(env.Receive.DesiredStream.CommandID))
	rq.call.CommandID = cmdID
	timeout := env.OperationTimeout
	if timeout <= 0 {
		timeout = defaultOperationTimeout
	}
	timeout += hs.h.WinRM.OperationTimeoutSkew
	deadline := time.Now().Add(timeout)
	maxEnv := hs.envelopeLimit(env)

	for first := true; ; first = false {
		hs.mu.Lock()
		_, c, f := hs.lookupCommand(env, acct, cmdID)
		if f != nil {
			hs.mu.Unlock()
			return hs.fault(rq, env, *f)
		}
		if first && faults.DropMidReceive {
			hs.mu.Unlock()
			return result{drop: true}
		}
		now := time.Now()
		ready, next := c.available(now)
		if ready {
			body := hs.takeOutput(env, c, maxEnv, now)
			hs.mu.Unlock()
			return result{status: http.StatusOK, body: body}
		}
		wait := deadline.Sub(now)
		if !next.IsZero() {
			wait = min(wait, next.Sub(now))
		}
		wake := c.notify
		hs.mu.Unlock()

		if !now.Before(deadline) {
			return hs.fault(rq, env, faultTimedOut())
		}
		if faults.EmptyReceives {
			w := hs.startEnvelope(nsReceive, nsShell+"/ReceiveResponse", env)
			w.raw(`<rsp:ReceiveResponse><rsp:CommandState CommandId="` + c.id + `" State="` + stateRunning + `"></rsp:CommandState></rsp:ReceiveResponse>`)
			return result{status: http.StatusOK, body: w.finish()}
		}
		t := time.NewTimer(max(wait, 0))
		select {
		case <-wake:
		case <-t.C:
		case <-rq.r.Context().Done():
			t.Stop()
			return result{gone: true}
		case <-hs.srv.closing:
			t.Stop()
			rq.close()
			return hs.fault(rq, env, faultTimedOut())
		}
		t.Stop()
	}
}

func (hs *hostServer) envelopeLimit(env *envelope) int {
	limit := hs.h.WinRM.MaxEnvelopeSizeKB * 1024
	if env.MaxEnvelopeSize > 0 {
		limit = min(limit, env.MaxEnvelopeSize)
	} else {
		limit = min(limit, defaultClientEnvelope)
	}
	return max(limit, minEnvelope)
}

// takeOutput builds a ReceiveResponse that fits in maxEnv bytes: as much
// pending output as fits, then End markers and Done once all is out.
// Caller holds hs.mu.
func (hs *hostServer) takeOutput(env *envelope, c *command, maxEnv int, now time.Time) []byte {
	w := hs.startEnvelope(nsReceive, nsShell+"/ReceiveResponse", env)
	w.raw(`<rsp:ReceiveResponse>`)
	const (
		tailReserve  = 700 // End streams, CommandState Done, closing tags
		elemOverhead = 120 // <rsp:Stream Name="stdout" CommandId="...">...</rsp:Stream>
	)
	for len(c.pending) > 0 && !now.Before(c.pending[0].at) {
		avail := maxEnv - w.len() - tailReserve - elemOverhead
		n := min(avail/4*3, maxStreamChunk, len(c.pending[0].data))
		if n <= 0 {
			break
		}
		ch := &c.pending[0]
		w.raw(`<rsp:Stream Name="` + ch.stream + `" CommandId="` + c.id + `">`)
		w.raw(base64.StdEncoding.EncodeToString(ch.data[:n]))
		w.raw(`</rsp:Stream>`)
		ch.data = ch.data[n:]
		if len(ch.data) == 0 {
			c.pending = c.pending[1:]
		}
	}
	if len(c.pending) == 0 && !now.Before(c.doneAt) {
		if !c.doneSent {
			w.raw(`<rsp:Stream Name="stdout" CommandId="` + c.id + `" End="true"></rsp:Stream>`)
			w.raw(`<rsp:Stream Name="stderr" CommandId="` + c.id + `" End="true"></rsp:Stream>`)
			c.doneSent = true
		}
		w.raw(`<rsp:CommandState CommandId="` + c.id + `" State="` + stateDone + `"><rsp:ExitCode>` + strconv.Itoa(c.exitCode) + `</rsp:ExitCode></rsp:CommandState>`)
	} else {
		w.raw(`<rsp:CommandState CommandId="` + c.id + `" State="` + stateRunning + `"></rsp:CommandState>`)
	}
	w.raw(`</rsp:ReceiveResponse>`)
	return w.finish()
}

func (hs *hostServer) send(rq *request, env *envelope, acct account) result {
	if env.Send == nil || len(env.Send.Streams) == 0 {
		return hs.fault(rq, env, faultInvalidRequest("the Send message has no rsp:Stream."))
	}
	faults := hs.faults.Load()
	for _, st := range env.Send.Streams {
		cmdID := strings.ToUpper(strings.TrimSpace(st.CommandID))
		rq.call.CommandID = cmdID
		if !strings.EqualFold(st.Name, "stdin") {
			return hs.fault(rq, env, faultInvalidRequest("only the stdin stream accepts input."))
		}
		data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(st.Data))
		if err != nil {
			return hs.fault(rq, env, faultInvalidRequest("the stdin data is not base64."))
		}
		end := strings.EqualFold(st.End, "true")

		hs.mu.Lock()
		sh, c, f := hs.lookupCommand(env, acct, cmdID)
		if f != nil {
			hs.mu.Unlock()
			return hs.fault(rq, env, *f)
		}
		if c.onStdin == nil || c.stdinDone {
			// The process does not read stdin (or closed it): input is discarded.
			hs.mu.Unlock()
			continue
		}
		if len(c.stdin)+len(data) > maxStdin {
			c.stdinDone = true
			hs.finish(c, execResult{stderr: "The pipe has been ended.\r\n", exit: 1}, faults, sh.codepage)
			hs.mu.Unlock()
			continue
		}
		c.stdin = append(c.stdin, data...)
		if !end {
			hs.mu.Unlock()
			continue
		}
		c.stdinDone = true
		if c.consoleInput {
			// End="true" does not end console input: $input keeps
			// waiting, the process never exits (consolemode.go).
			c.stdin, c.finished, c.hang = nil, true, true
			hs.mu.Unlock()
			continue
		}
		stdin, run, codepage := c.stdin, c.onStdin, sh.codepage
		c.stdin = nil
		hs.mu.Unlock()

		res := run(stdin)
		hs.mu.Lock()
		hs.finish(c, res, faults, codepage)
		hs.mu.Unlock()
	}
	return hs.ok(env, nsCreate, nsShell+"/SendResponse", `<rsp:SendResponse/>`)
}

func (hs *hostServer) signal(rq *request, env *envelope, acct account) result {
	if env.Signal == nil {
		return hs.fault(rq, env, faultInvalidRequest("the Signal message has no rsp:Signal."))
	}
	cmdID := strings.ToUpper(strings.TrimSpace(env.Signal.CommandID))
	rq.call.CommandID = cmdID
	hs.mu.Lock()
	sh, f := hs.lookupShell(env, acct)
	if f != nil {
		hs.mu.Unlock()
		return hs.fault(rq, env, *f)
	}
	c := sh.commands[cmdID]
	if c == nil {
		hs.mu.Unlock()
		return hs.fault(rq, env, faultBadCommandID())
	}
	// terminate and ctrl_c both end the process; afterwards the command id
	// no longer exists.
	c.terminated = true
	c.changed()
	delete(sh.commands, cmdID)
	hs.mu.Unlock()
	return hs.ok(env, nsCreate, nsShell+"/SignalResponse", `<rsp:SignalResponse/>`)
}

func (hs *hostServer) delete(rq *request, env *envelope, acct account) result {
	hs.mu.Lock()
	sh, f := hs.lookupShell(env, acct)
	if f != nil {
		hs.mu.Unlock()
		return hs.fault(rq, env, *f)
	}
	sh.terminateAll()
	delete(hs.shells, sh.id)
	hs.mu.Unlock()
	return hs.ok(env, nsDelete, nsTransfer+"/DeleteResponse", "")
}
