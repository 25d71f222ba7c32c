package winrm

import "testing"

// TestFaultKindByCode: a fault is recognised by its WSManFault code, so a
// host that answers in another language is classified the same; the
// English text counts only when the code says nothing.
func TestFaultKindByCode(t *testing.T) {
	tests := []struct {
		name string
		f    FaultError
		want FaultKind
	}{
		{"access denied (Win32 5)", FaultError{WSManCode: "5", Message: "Zugriff verweigert"}, FaultAccessDenied},
		{"access denied (HRESULT)", FaultError{WSManCode: "2147942405", Message: "Accès refusé."}, FaultAccessDenied},
		{"remote shells not allowed", FaultError{WSManCode: "2150859180", Message: "Le service est configuré pour ne pas accepter de demandes de shell distant."}, FaultRemoteShellsNotAllowed},
		{"max shells", FaultError{WSManCode: "2150859173", Message: "Dieser Benutzer darf maximal 30 Shells"}, FaultQuota},
		{"max operations", FaultError{WSManCode: "2150859174", Message: "x"}, FaultQuota},
		{"user quota", FaultError{WSManCode: "2150859175", Message: "Kontingent"}, FaultQuota},
		{"max shell users", FaultError{WSManCode: "2150859179", Message: "Kontingent"}, FaultQuota},
		// ERROR_WSMAN_NETWORK_TIMEDOUT is a client-side timeout, not a quota.
		{"network timed out is not a quota", FaultError{WSManCode: "2150859046", Message: "The network connection timed out."}, FaultOther},
		{"timed out", FaultError{WSManCode: "2150858793", Message: "Délai dépassé"}, FaultTimedOut},
		// A known code wins over English words that mean something else.
		{"code beats text", FaultError{WSManCode: "5", Message: "quota exceeded"}, FaultAccessDenied},
		{"unknown code, quota words", FaultError{WSManCode: "2150859999", Message: "the quota was exceeded"}, FaultOther},
		// Without a code, the English text is the fallback.
		{"no code, English access denied", FaultError{Message: "Access is denied. "}, FaultAccessDenied},
		{"no code, English shells", FaultError{Message: "The service is configured to not accept any remote shell requests."}, FaultRemoteShellsNotAllowed},
		{"no code, English quota", FaultError{Message: "This user's quota was exceeded."}, FaultQuota},
		{"no code, subcode", FaultError{Subcode: "AccessDenied"}, FaultAccessDenied},
		{"other", FaultError{WSManCode: "2150858843", Message: "shell not found"}, FaultOther},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.f.Kind(); got != tc.want {
				t.Errorf("Kind() = %v, want %v", got, tc.want)
			}
			if got := tc.f.Quota(); got != (tc.want == FaultQuota) {
				t.Errorf("Quota() = %v", got)
			}
		})
	}
}

// TestHeaderTooLong: HTTP.sys's two 400 pages for oversized headers are
// told apart; other 400s are not taken for them.
func TestHeaderTooLong(t *testing.T) {
	tests := []struct {
		status int
		body   string
		want   *HeaderTooLongError
	}{
		{400, "<BODY><h2>Bad Request - Header Field Too Long</h2>\r\n<hr><p>HTTP Error 400. A request header field is too long.</p>", &HeaderTooLongError{Action: "a", Field: true, HeaderBytes: 9}},
		{400, "<BODY><h2>Bad Request - Request Too Long</h2>\r\n<hr><p>HTTP Error 400. The size of the request headers is too long.</p>", &HeaderTooLongError{Action: "a", HeaderBytes: 9}},
		{400, "<h2>Bad Request - Invalid Hostname</h2>", nil},
		{500, "Header Field Too Long", nil},
	}
	for _, tc := range tests {
		got := headerTooLong("a", tc.status, []byte(tc.body), 9)
		if (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
			t.Errorf("headerTooLong(%d, %q) = %+v, want %+v", tc.status, tc.body, got, tc.want)
		}
	}
}
