package facts

// ErrAuthChannelBinding is an NTLM logon over HTTPS refused for its channel
// binding (Extended Protection, the host's CbtHardeningLevel): a
// TLS-inspecting proxy re-encrypts the connection, or no binding could be
// sent. Added by the scanner (issue 8).
const ErrAuthChannelBinding ErrorClass = "auth-refused-channel-binding"
