// Package winrm is ntlmscan's WinRM transport: a masterzen/winrm Transporter
// that authenticates each TCP connection once (NTLM, or Basic inside TLS),
// seals every SOAP message with NTLM over plain HTTP (MS-WSMV
// HTTP-SPNEGO-session-encrypted, Windows' default AllowUnencrypted=false),
// never falls back to plaintext, bounds every network step with a deadline
// and reports failures as typed errors. Session runs one command with
// streamed, capped output.
//
// Why not masterzen's own Encryption("ntlm"): it does a complete NTLM
// handshake before every message, shares http.DefaultTransport, has no
// timeouts, ignores HTTP status codes and silently falls back to plaintext
// (masterzen/winrm#142, #166; masterzen's encryption.go).
//
// # The WinRM command driver (driver.go)
//
// ntlmscan runs the collector with its own small WS-Man shell driver;
// masterzen/winrm still builds every request (its soap package renders each
// request kind once, byte-identical to masterzen's request builders but for
// two options) and configures the session (its Endpoint and Parameters),
// and every message goes through ntlmscan's transport, which is a masterzen
// Transporter. The driver is ours because masterzen's command code
// hardcodes console-mode stdin (the collector would never see the end of
// its input on Windows), creates a user profile, sends stdin on a second
// connection while a Receive is pending, cuts stdin into chunks larger than
// the envelope it announces, polls an empty Receive in a tight loop, and
// parses every reply with an XPath library that needed two extra passes to
// be safe. Per host:
//
//   - Create with WINRS_NOPROFILE=TRUE (nothing is written on the host) and
//     code page 65001;
//   - Command with WINRS_CONSOLEMODE_STDIN=FALSE (pipe mode: $input ends
//     where stdin ends);
//   - Send: the collector and its request, with End="true" on the same
//     message when it fits. Every Send body, sealing included, stays within
//     the MaxEnvelopeSize ntlmscan announces (153,600 bytes, the smallest
//     Windows default); a host configured smaller answers HTTP 413 and the
//     driver resends the same data in halves;
//   - Receive until Done (the long poll's TimedOut fault just means "ask
//     again"; an answer with neither output nor Done is followed by a pause
//     of 50 ms doubling to 2 s, never a tight loop);
//   - Delete (Signal terminate only for a command that did not finish:
//     Delete ends everything anyway).
//
// One message at a time on one connection with one NTLM handshake: 7 round
// trips per host (NEGOTIATE, AUTHENTICATE, Create, Command, Send, Receive,
// Delete) when the collector finishes within one OperationTimeout. Each
// reply is read in one bounded streaming pass (depth, element count and
// namespace work limited, long base64 stream data decoded without going
// through the XML tokenizer), into pooled buffers.
//
// Kerberos (kerberos*.go) uses gokrb5: one service ticket per host, a fresh
// authenticator per connection, the host's AP-REP checked, every message
// sealed with RFC 4121 wrap tokens in MS-WSMV multipart/encrypted bodies;
// scanner/kerberos.go chooses between NTLM and Kerberos (auth modes).
package winrm
