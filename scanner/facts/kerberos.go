package facts

// Kerberos failure classes (auth: kerberos or auto); each comes with a hint.
const (
	ErrKerberosClockSkew   ErrorClass = "kerberos-clock-skew"      // KRB_AP_ERR_SKEW at the KDC or the host
	ErrKerberosSPN         ErrorClass = "kerberos-spn-unknown"     // KDC_ERR_S_PRINCIPAL_UNKNOWN: no HTTP/<fqdn>
	ErrKerberosNoTGT       ErrorClass = "kerberos-no-tgt"          // empty or expired credential cache
	ErrKerberosKDC         ErrorClass = "kerberos-kdc-unreachable" // no KDC answered
	ErrKerberosCredentials ErrorClass = "kerberos-credentials"     // wrong password or keytab, unknown account
	ErrKerberosConfig      ErrorClass = "kerberos-config"          // no krb5.conf, realm or usable credential
	ErrKerberosRefused     ErrorClass = "kerberos-refused"         // the host refused the ticket, or mutual auth failed
)

// ErrKerberosTokenTooLarge: HTTP.sys on the host refused the request that
// carried the Kerberos ticket with HTTP 400 "Header Field Too Long" or
// "Request Header Too Long": the ticket (its PAC grows with the account's
// group memberships) exceeds the host's MaxFieldLength / MaxRequestBytes.
// Hint: raise both under HKLM\SYSTEM\CurrentControlSet\Services\HTTP\Parameters.
const ErrKerberosTokenTooLarge ErrorClass = "kerberos-token-too-large"
