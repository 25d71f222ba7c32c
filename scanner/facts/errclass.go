package facts

// ErrorClass says what kind of failure kept ntlmscan from a host's facts, in
// terms an admin can act on.
type ErrorClass string

// Error classes. Every one is a row of Classes (a test checks both ways).
const (
	ErrUnreachableDNS ErrorClass = "unreachable-dns"
	ErrUnreachableTCP ErrorClass = "unreachable-tcp"
	ErrTLSTrust       ErrorClass = "tls-trust"
	// ErrTLSConfig is a TLS setting of the host in the inventory that
	// cannot be used as written; the host was not contacted.
	ErrTLSConfig ErrorClass = "tls-config"
	// ErrNotWinRM is an HTTP answer that did not come from a WinRM service
	// (typically a proxy's or load balancer's error page).
	ErrNotWinRM        ErrorClass = "not-winrm"
	ErrAuthCredentials ErrorClass = "auth-refused-credentials"
	// ErrAuthLocalAccount: the final NTLM leg of a local account was
	// refused (HTTP 401). Besides a wrong password, the usual cause is UAC
	// remote restrictions: a local Administrators member other than the
	// built-in Administrator gets a filtered token over the network
	// (LocalAccountTokenFilterPolicy=0) and WinRM refuses it with the same
	// 401.
	ErrAuthLocalAccount ErrorClass = "auth-refused-local-account"
	ErrAuthNTLMPolicy   ErrorClass = "auth-refused-ntlm-policy"
	// ErrAuthChannelBinding is an NTLM logon over HTTPS refused for its
	// channel binding (Extended Protection, the host's CbtHardeningLevel).
	ErrAuthChannelBinding ErrorClass = "auth-refused-channel-binding"
	// ErrWinRMAccessDenied: the logon succeeded but WinRM answered "Access
	// is denied." to an operation.
	ErrWinRMAccessDenied ErrorClass = "winrm-access-denied"
	// ErrRemoteShellDisabled: "Allow Remote Shell Access" is disabled
	// (AllowRemoteShellAccess=0): WinRM refuses every new shell.
	ErrRemoteShellDisabled ErrorClass = "remote-shell-disabled"
	ErrAuthMethod          ErrorClass = "auth-method-not-enabled"
	// Kerberos failures (auth: kerberos or auto).
	ErrKerberosClockSkew   ErrorClass = "kerberos-clock-skew"      // KRB_AP_ERR_SKEW at the KDC or the host
	ErrKerberosSPN         ErrorClass = "kerberos-spn-unknown"     // KDC_ERR_S_PRINCIPAL_UNKNOWN: no HTTP/<fqdn>
	ErrKerberosNoTGT       ErrorClass = "kerberos-no-tgt"          // empty or expired credential cache
	ErrKerberosKDC         ErrorClass = "kerberos-kdc-unreachable" // no KDC answered
	ErrKerberosCredentials ErrorClass = "kerberos-credentials"     // wrong password or keytab, unknown account
	ErrKerberosConfig      ErrorClass = "kerberos-config"          // no krb5.conf, realm or usable credential
	ErrKerberosRefused     ErrorClass = "kerberos-refused"         // the host refused the ticket, or mutual auth failed
	// HTTP.sys refused the request carrying the ticket (HTTP 400 "Header
	// Field Too Long" / "Request Header Too Long"): the ticket's PAC grows
	// with the account's groups past MaxFieldLength / MaxRequestBytes.
	ErrKerberosTokenTooLarge ErrorClass = "kerberos-token-too-large"
	ErrEncryptionNeeded      ErrorClass = "encryption-required"
	ErrQuota                 ErrorClass = "quota-exceeded"
	ErrTimeout               ErrorClass = "timeout"
	ErrRemoteScript          ErrorClass = "remote-script-failed"
	ErrMalformedOutput       ErrorClass = "malformed-output"
	ErrSchemaMismatch        ErrorClass = "schema-mismatch"
	// ErrWinRMService is a WinRM service failure that fits no other class:
	// an HTTP error status without a fault, or a WS-Management fault other
	// than the quota and timeout faults.
	ErrWinRMService ErrorClass = "winrm-service-error"
	ErrCredentials  ErrorClass = "credentials-unavailable"
	ErrNotScanned   ErrorClass = "not-scanned" // described only (NAS) or excluded
	ErrCanceled     ErrorClass = "canceled"
	// The host was not tried: its domain credential was refused (401) by
	// another host earlier in this run before it had worked anywhere, and
	// trying it on every host could lock the account out.
	ErrNotAttempted ErrorClass = "not-attempted"
	// ErrRRModuleMissing: a Core answered discovery but the Rapid Recovery
	// PowerShell module could not be imported there (not installed, or an
	// older Core); discover and the scan's drift check skip that Core.
	ErrRRModuleMissing ErrorClass = "rr-module-missing"
	ErrInternal        ErrorClass = "internal"
)

// Class is one row of the error-class table: what the class means, the fix
// in a few words (the help pages `ntlmscan help errors` and `ntlmscan help
// kerberos`), and the hint the scanner gives a host of that class when it
// knows nothing more specific.
type Class struct {
	Class   ErrorClass
	Meaning string // what happened, for a reader of the help page
	Fix     string // the usual fix, in a few words (may use `code` spans)
	Hint    string // the default HostError.Hint (plain text)
}

// Classes is the error-class table, in the order the help page lists it.
// Adding a class is one constant and one row here; the classifier takes
// the hint from the row unless it has a more specific one.
var Classes = []Class{
	{ErrUnreachableDNS, "the host's name does not resolve", "the DNS record, or the host's address in the inventory",
		"check the host's address in the inventory and this machine's DNS"},
	{ErrUnreachableTCP, "port 5985 or 5986 closed or filtered, or the connection was lost", "firewall, `winrm quickconfig`",
		"check that the host is up, that WinRM listens on this port (winrm quickconfig) and that no firewall blocks it"},
	{ErrTLSTrust, "the HTTPS certificate is not trusted", "set `winrm.ca_file` to the issuing CA",
		"give the inventory the issuing CA (ca_file) or the certificate's name (tls_server_name); skip verification only for a lab"},
	{ErrTLSConfig, "the host's `winrm.ca_file` cannot be read or holds no PEM certificate (the host is not contacted)",
		"point `ca_file` at a PEM file; convert a DER `.cer` with `openssl x509 -inform der`",
		"set the host's winrm.ca_file in the inventory to a PEM file (-----BEGIN CERTIFICATE-----) holding the CA that issued its WinRM certificate; " +
			"a DER .cer file converts with: openssl x509 -inform der -in ca.cer -out ca.pem"},
	{ErrNotWinRM, "an HTML page (a web server's `200 text/html` too) or another non-WS-Management answer, or a redirect (`302`; the message names its target; WinRM never redirects): " +
		"a proxy, load balancer, login portal or other web server answered instead of WinRM",
		"check address and port; ntlmscan connects directly (it ignores `HTTP_PROXY`/`HTTPS_PROXY`), so let a transparent proxy pass the host through (as a `NO_PROXY` entry would)",
		"a proxy, load balancer or other web server answered instead of WinRM (or Windows' HTTP.sys, when no WinRM listener serves this address and port). " +
			"ntlmscan connects directly and does not use HTTP_PROXY/HTTPS_PROXY: if a transparent or intercepting proxy sits in the path, have it pass WinRM to this host through " +
			"(as a NO_PROXY or bypass entry would) or scan from a machine with a direct route; otherwise check the host's address and port in the inventory (winrm enumerate winrm/config/listener on the host)"},
	{ErrAuthCredentials, "401 for a domain account: wrong password, NTLM refused by policy, or no WinRM rights on the host",
		"see \"Why a host answers 401\" below",
		"check the password (and that the account is not locked or disabled), the host's incoming NTLM policy (event 4002 in Microsoft-Windows-NTLM/Operational) " +
			"and that the account is in the host's Administrators or Remote Management Users group"},
	{ErrAuthLocalAccount, "401 for a local account: wrong password or, most often, a filtered local-admin token",
		"`LocalAccountTokenFilterPolicy=1`, or a domain account",
		`if the password is right, set HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\LocalAccountTokenFilterPolicy = 1 (REG_DWORD) on the host, or scan with a domain account`},
	{ErrAuthNTLMPolicy, "401 although the same domain account logged on elsewhere in this scan; the host's paths are blocked-suspected (see ntlmscan help verdicts)",
		"the host's `RestrictReceivingNTLMTraffic` (or the account's WinRM rights there); scan it over Kerberos (`auth: kerberos`) or with a local account",
		"check event 4002 in Applications and Services Logs > Microsoft > Windows > NTLM > Operational on the host, " +
			"then scan it over Kerberos (auth: kerberos in the inventory) or with a local account, or relax the policy; if there is no such event, check that the account is in the host's Administrators or Remote Management Users group, and look for a lockout or logon restriction of the account"},
	{ErrAuthChannelBinding, "NTLM over HTTPS refused and no channel binding could be computed for the host's certificate (e.g. Ed25519), so a `CbtHardeningLevel=Strict` host refuses it. " +
		"A refusal *with* a binding, by a host where the same domain credential works elsewhere, is `auth-refused-ntlm-policy` (its message also names a TLS-inspecting proxy as the other possible cause)",
		"compare the certificate thumbprint in the message with the listener's; if they match, look for event 4002 (NTLM policy)",
		"give the HTTPS listener a certificate signed with RSA or ECDSA, exempt the WinRM hosts from TLS inspection, and check CbtHardeningLevel (winrm get winrm/config/service/auth)"},
	{ErrWinRMAccessDenied, `logon fine, then WinRM answered "Access is denied." (fault 5 or 2147942405), e.g. to an account only in Remote Management Users`,
		"add the account to the host's local Administrators, or grant it Read and Execute with `winrm configSDDL default` plus registry read",
		"by default WinRM's remote shell admits only members of the host's local Administrators group; add the scanning account to Administrators, " +
			"or grant it Read and Execute with winrm configSDDL default (run on the host) and read access to the registry keys ntlmscan reads; check winrm get winrm/config/service (RootSDDL)"},
	{ErrRemoteShellDisabled, `"The service is configured to not accept any remote shell requests." (fault 2150859180)`,
		"policy *Allow Remote Shell Access* to Enabled / Not Configured",
		"the policy Computer Configuration > Administrative Templates > Windows Components > Windows Remote Shell > Allow Remote Shell Access is Disabled " +
			`(HKLM\SOFTWARE\Policies\Microsoft\Windows\WinRM\Service\WinRS\AllowRemoteShellAccess = 0); set it to Enabled or Not Configured for this host`},
	{ErrAuthMethod, "WinRM does not offer the method (e.g. Kerberos only, with `auth: ntlm`)",
		"`auth: kerberos` (or `auto`), or `winrm set winrm/config/service/auth @{Negotiate=\"true\"}`",
		`scan it with auth: kerberos (or auto) in the inventory, or enable Negotiate on the host (winrm set winrm/config/service/auth @{Negotiate="true"})`},
	{ErrKerberosClockSkew, "`KRB_AP_ERR_SKEW` from the KDC or the host (more than 5 minutes apart)",
		"NTP on this machine, the KDC and the host (`w32tm /resync`)",
		"Kerberos allows 5 minutes of clock difference: synchronise this machine, the KDC and the host with NTP (w32tm /resync on Windows)"},
	{ErrKerberosSPN, "`KDC_ERR_S_PRINCIPAL_UNKNOWN` for `HTTP/<fqdn>`",
		"`setspn -S HTTP/<fqdn> <HOST>$`, or `spn:` if the host has another name",
		"register the SPN HTTP/<fqdn> on the host's computer account (setspn -S), or set spn: in the inventory if the host uses another name"},
	{ErrKerberosNoTGT, "the credential cache is missing, empty or expired",
		"`kinit user@REALM` before the scan; use a keytab for nightly runs",
		"run kinit (or point KRB5CCNAME at a fresh cache) before the scan; scheduled runs should use a keytab"},
	{ErrKerberosKDC, "no KDC answered: refused, or timed out (the message says which; a KDC that does not answer costs a host at most its deadline)", "krb5.conf `kdc =` entries / DNS SRV records, TCP/UDP 88",
		"check krb5.conf (KRB5_CONFIG) [realms] kdc entries, DNS SRV records and that TCP/UDP 88 to a domain controller is open"},
	{ErrKerberosCredentials, "wrong password or stale keytab, unknown or locked account", "fix the password / re-export the keytab",
		"check the password or keytab (a keytab is stale after a password change: ktpass/ktutil it again), and that the account is not locked or disabled"},
	{ErrKerberosConfig, "no krb5.conf, no realm, unreadable keytab", "set `KRB5_CONFIG`, write `user@REALM`",
		"give ntlmscan a krb5.conf (KRB5_CONFIG or /etc/krb5.conf) naming the realm and its KDCs, and write the user as user@REALM"},
	{ErrKerberosRefused, "the host refused the ticket (duplicate SPN, stale host keys, replay) or mutual authentication failed",
		"`setspn -X`, the host's System and Security logs",
		"check the Security log on the host (event 4625/4771) and the System log for KDC or Kerberos errors; duplicate SPNs show with setspn -X"},
	{ErrKerberosTokenTooLarge, "HTTP.sys on the host answered the ticket with HTTP 400 \"Header Field Too Long\" or \"Request Too Long\": " +
		"the ticket (its PAC grows with the account's groups) is larger than `MaxFieldLength` / `MaxRequestBytes`",
		"raise both (REG_DWORD, e.g. 65534 and 16777216) under `HKLM\\SYSTEM\\CurrentControlSet\\Services\\HTTP\\Parameters` and restart the host, or scan with an account in fewer groups",
		`raise MaxFieldLength and MaxRequestBytes (REG_DWORD) under HKLM\SYSTEM\CurrentControlSet\Services\HTTP\Parameters on the host ` +
			"(e.g. 65534 and 16777216, as Microsoft's article on HTTP 400 Bad Request (Request Header too long) for users in many groups advises), then restart the host; " +
			"or scan with an account in fewer groups"},
	{ErrEncryptionNeeded, "the WinRM service answered in plaintext / plaintext refused", "use NTLM transport or HTTPS",
		"ntlmscan never sends WinRM messages unprotected: use NTLM (sealed) over HTTP, or HTTPS"},
	{ErrQuota, "WinRM shell, operation or user quota (fault codes 2150859173, 2150859174, 2150859175, 2150859179, in any language)", "close leaked shells, raise `MaxShellsPerUser`",
		"the scanning account has too many WinRM shells or operations open on this host (stale shells live for the shell idle timeout, 2h by default); " +
			"close them (Restart-Service WinRM) or raise MaxShellsPerUser / MaxConcurrentOperationsPerUser"},
	{ErrTimeout, "the host hung; it cost at most `--host-timeout`", "—",
		"the host or its WinRM service is slow or hung; check it"},
	{ErrRemoteScript, "the collector failed on the host", "run ntlmscan with `--log-level debug`",
		"run powershell.exe on the host as the scanning account to see whether PowerShell starts (constrained language mode, AppLocker or WDAC rules for powershell.exe; execution policy does not apply to -EncodedCommand)"},
	{ErrMalformedOutput, "the collector printed garbage, or the reply was not well-formed WS-Management", "run ntlmscan with `--log-level debug`",
		"is something other than the Windows WinRM service (a proxy, another product) listening on this port?"},
	{ErrSchemaMismatch, "the collector that ran is another version", "run ntlmscan with `--log-level debug`",
		"the collector that ran is not the one this ntlmscan sent; use one ntlmscan version, and check nothing on the host rewrites commands"},
	{ErrWinRMService, "an HTTP error from WinRM without a SOAP fault (an empty HTTP 500 is also how Windows refuses a message it considers unencrypted)",
		"the host's WinRM/Operational event log; restart the WinRM service",
		"check the Microsoft-Windows-WinRM/Operational event log on the host"},
	{ErrCredentials, "the credential's variable or file is missing", "set the environment variable / file",
		"set the environment variable or password file the inventory names for this credential"},
	{ErrNotAttempted, "the host's domain credential was refused (HTTP 401) by another host earlier in this run, before it had worked anywhere; the message names that host",
		"fix the password, or, if it is right and that host refused it by policy, `--continue-on-bad-credential`",
		"fix the password (the variable or file the inventory names) and scan again; if it is right and the host that refused it did so for another reason " +
			"(its incoming NTLM policy, no WinRM rights), scan again with --continue-on-bad-credential"},
	{ErrNotScanned, "a described host (NAS): its properties come from the inventory", "—",
		"its properties come from the inventory's description"},
	{ErrCanceled, "Ctrl-C or `--timeout` stopped the scan before or while this host was collected",
		"run the scan again, with a longer `--timeout` or more `--concurrency`",
		"run the scan again to collect this host"},
	{ErrRRModuleMissing, "discovery ran on a Core, but `Import-Module RapidRecoveryPowerShellModule` failed there (the module is missing or the Core is too old)",
		"install the Core's PowerShell module (Core installer), or list the Core's agents and repositories by hand",
		"on the Core, run Import-Module RapidRecoveryPowerShellModule as the scanning account; if it fails, install the module with the Core installer, or write this Core's agents and repositories into the inventory by hand"},
	{ErrInternal, "an unexpected failure inside ntlmscan", "report it as a bug, with the `--log-level debug` output",
		"report this as an ntlmscan bug, with the debug log of the scan"},
}

// ClassByName returns the row of the default table for c, or nil.
func ClassByName(c ErrorClass) *Class { return Default().Class(c) }

// DefaultHint is the default hint of class c ("" for a class without a row).
func DefaultHint(c ErrorClass) string {
	if r := ClassByName(c); r != nil {
		return r.Hint
	}
	return ""
}
