package facts

// ErrTLSConfig is a TLS setting of the host in the inventory that cannot be
// used as written (a ca_file that is missing or holds no PEM certificate).
// The host was not contacted.
const ErrTLSConfig ErrorClass = "tls-config"

// ErrNotWinRM is an HTTP answer that did not come from a WinRM service: an
// HTML page or another content type where WS-Management was expected,
// typically a proxy's or load balancer's error page, or another web server
// on the port.
const ErrNotWinRM ErrorClass = "not-winrm"
