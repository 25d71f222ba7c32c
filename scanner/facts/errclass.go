package facts

// ErrWinRMService is a WinRM service failure that fits no other class: an
// HTTP error status without a fault, or a WS-Management fault other than
// the quota and timeout faults. Added by the scanner (issue 3).
const ErrWinRMService ErrorClass = "winrm-service-error"
