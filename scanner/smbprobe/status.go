package smbprobe

import "fmt"

// NTSTATUS codes the probe tells apart ([MS-ERREF] 2.3.1).
const (
	StatusSuccess                = 0x00000000
	StatusMoreProcessingRequired = 0xC0000016
	StatusAccessDenied           = 0xC0000022
	StatusLogonFailure           = 0xC000006D
	StatusAccountRestriction     = 0xC000006E
	StatusInvalidLogonHours      = 0xC000006F
	StatusInvalidWorkstation     = 0xC0000070
	StatusPasswordExpired        = 0xC0000071
	StatusAccountDisabled        = 0xC0000072
	StatusNotSupported           = 0xC00000BB
	StatusLogonTypeNotGranted    = 0xC000015B
	StatusAccountLockedOut       = 0xC0000234
	StatusPasswordMustChange     = 0xC0000224
	StatusNTLMBlocked            = 0xC0000418
	StatusInvalidParameter       = 0xC000000D
)

var statusNames = map[uint32]string{
	StatusSuccess:                "STATUS_SUCCESS",
	StatusMoreProcessingRequired: "STATUS_MORE_PROCESSING_REQUIRED",
	StatusAccessDenied:           "STATUS_ACCESS_DENIED",
	StatusLogonFailure:           "STATUS_LOGON_FAILURE",
	StatusAccountRestriction:     "STATUS_ACCOUNT_RESTRICTION",
	StatusInvalidLogonHours:      "STATUS_INVALID_LOGON_HOURS",
	StatusInvalidWorkstation:     "STATUS_INVALID_WORKSTATION",
	StatusPasswordExpired:        "STATUS_PASSWORD_EXPIRED",
	StatusAccountDisabled:        "STATUS_ACCOUNT_DISABLED",
	StatusNotSupported:           "STATUS_NOT_SUPPORTED",
	StatusLogonTypeNotGranted:    "STATUS_LOGON_TYPE_NOT_GRANTED",
	StatusAccountLockedOut:       "STATUS_ACCOUNT_LOCKED_OUT",
	StatusPasswordMustChange:     "STATUS_PASSWORD_MUST_CHANGE",
	StatusNTLMBlocked:            "STATUS_NTLM_BLOCKED",
	StatusInvalidParameter:       "STATUS_INVALID_PARAMETER",
}

// StatusName renders an NTSTATUS as its symbolic name, else in hex.
func StatusName(s uint32) string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return fmt.Sprintf("0x%08X", s)
}

// StatusError is an SMB request the server answered with a failure status.
type StatusError struct {
	Op     string
	Status uint32
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s refused: %s", e.Op, StatusName(e.Status))
}

// Outcome of the optional NTLM SESSION_SETUP.
const (
	// AuthAccepted: the server accepted the credential over NTLM.
	AuthAccepted = "accepted"
	// AuthGuest: the server let the session in as guest (the credential
	// was not checked as given: map to guest, or an unknown user).
	AuthGuest = "guest"
	// AuthWrongCredential: STATUS_LOGON_FAILURE (unknown user or wrong
	// password; Windows and Samba do not tell them apart).
	AuthWrongCredential = "wrong-credential"
	// AuthRefusedPolicy: the server or its DC refused NTLM, or this
	// account, by policy.
	AuthRefusedPolicy = "refused-by-policy"
	// AuthAccountProblem: the account exists but cannot log on now
	// (disabled, locked out, expired password).
	AuthAccountProblem = "account-problem"
	// AuthFailed: any other failure (the status says which).
	AuthFailed = "failed"
)

// classifyStatus maps a final SESSION_SETUP status to an outcome.
//
// STATUS_LOGON_FAILURE is what both Windows and Samba answer for an unknown
// user or a wrong password. A policy refusal differs by server:
//   - Windows, RestrictReceivingNTLMTraffic or a DC's RestrictNTLMInDomain:
//     [MS-APDS] 3.1.5 names STATUS_NTLM_BLOCKED for the pass-through checks;
//     what the SMB server returns to the client for it is UNCONFIRMED
//     (STATUS_NTLM_BLOCKED, or STATUS_LOGON_FAILURE since "the NTLM server
//     MUST treat any error returned by the DC as a logon failure").
//   - Protected Users and authentication policies: STATUS_ACCOUNT_RESTRICTION
//     ([MS-APDS] 3.1.5).
//   - Samba with "ntlm auth = disabled" answers STATUS_NTLM_BLOCKED to the
//     AUTHENTICATE_MESSAGE, for a right and a wrong password alike (Samba
//     4.17, verified by this package's tests).
//
// A wrong password therefore cannot always be told from an NTLM block by
// the status alone; the caller states that uncertainty.
func classifyStatus(s uint32) string {
	switch s {
	case StatusSuccess:
		return AuthAccepted
	case StatusLogonFailure:
		return AuthWrongCredential
	case StatusNTLMBlocked, StatusAccountRestriction, StatusNotSupported, StatusAccessDenied,
		StatusLogonTypeNotGranted, StatusInvalidWorkstation, StatusInvalidLogonHours:
		return AuthRefusedPolicy
	case StatusAccountDisabled, StatusAccountLockedOut, StatusPasswordExpired, StatusPasswordMustChange:
		return AuthAccountProblem
	}
	return AuthFailed
}
