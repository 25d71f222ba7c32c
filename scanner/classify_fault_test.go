package scanner

import (
	"testing"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
	"github.com/ntlmscan/ntlmscan/scanner/winrm"
)

// TestClassifyLocalizedFaults: hosts answer in their own language; the
// fault code decides the class, whatever the text says.
func TestClassifyLocalizedFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault winrm.FaultError
		class facts.ErrorClass
	}{
		{"de access denied", winrm.FaultError{Action: "Create", Subcode: "InternalError", WSManCode: "5", Message: "Zugriff verweigert"}, facts.ErrWinRMAccessDenied},
		{"fr access denied (HRESULT)", winrm.FaultError{Action: "Create", WSManCode: "2147942405", Message: "Accès refusé."}, facts.ErrWinRMAccessDenied},
		{"fr remote shells off", winrm.FaultError{Action: "Create", WSManCode: "2150859180", Message: "Le service WS-Management ne peut pas traiter la demande. Le service est configuré pour ne pas accepter de demandes de shell distant."}, facts.ErrRemoteShellDisabled},
		{"de quota user", winrm.FaultError{Action: "Create", WSManCode: "2150859175", Message: "Das Benutzerkontingent wurde überschritten."}, facts.ErrQuota},
		{"ja max shell users", winrm.FaultError{Action: "Create", WSManCode: "2150859179", Message: "ユーザーの最大数を超えました。"}, facts.ErrQuota},
		{"network timed out is no quota", winrm.FaultError{Action: "Create", WSManCode: "2150859046", Message: "WinRM cannot complete the operation."}, facts.ErrWinRMService},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.fault
			he := classify(failure{err: &f})
			if he.Class != tc.class {
				t.Fatalf("class %s (%s), want %s", he.Class, he.Message, tc.class)
			}
		})
	}
}
