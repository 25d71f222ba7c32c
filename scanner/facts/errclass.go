package facts

// ErrWinRMService is a WinRM service failure that fits no other class: an
// HTTP error status without a fault, or a WS-Management fault other than
// the quota and timeout faults. Added by the scanner (issue 3).
const ErrWinRMService ErrorClass = "winrm-service-error"

// Refusals by WinRM itself, told apart by what the scanner can know (see the
// README's "Why a host answers 401 or refuses the shell").
const (
	// ErrAuthLocalAccount: the final NTLM leg of a local account was
	// refused (HTTP 401). Besides a wrong password, the usual cause is UAC
	// remote restrictions: a local Administrators member other than the
	// built-in Administrator gets a filtered token over the network
	// (LocalAccountTokenFilterPolicy=0) and WinRM refuses it with the same
	// 401.
	ErrAuthLocalAccount ErrorClass = "auth-refused-local-account"
	// ErrWinRMAccessDenied: the logon succeeded but WinRM answered "Access
	// is denied." to an operation (the account lacks rights on the shell).
	ErrWinRMAccessDenied ErrorClass = "winrm-access-denied"
	// ErrRemoteShellDisabled: "Allow Remote Shell Access" is disabled
	// (AllowRemoteShellAccess=0): WinRM refuses every new shell.
	ErrRemoteShellDisabled ErrorClass = "remote-shell-disabled"
	// The channel-binding refusal has its own class: ErrAuthChannelBinding.
)

// ErrNotAttempted: the host was not tried because its credential was
// refused by another host earlier in this run (a domain credential's NTLM
// logon answered 401 before it had worked anywhere). Trying it on every
// host would cost one failed logon per host and can lock the account out;
// the message names the host that refused it. Hint: fix the password, or
// --continue-on-bad-credential when that host refuses it for another reason
// (NTLM policy, no WinRM rights).
const ErrNotAttempted ErrorClass = "not-attempted"
