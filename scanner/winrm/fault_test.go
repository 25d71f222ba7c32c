package winrm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseFault(t *testing.T) {
	tests := []struct {
		file      string
		subcode   string
		code      string
		timedOut  bool
		quota     bool
		msgSubstr string
	}{
		{"fault-timedout.xml", "TimedOut", "2150858793", true, false, "OperationTimeout"},
		{"fault-bad-command-id.xml", "InvalidSelectors", "2150858843", false, false, "command identifier that does not exist"},
		{"fault-invalid-parameter.xml", "InvalidParameter", "87", false, false, "The parameter is incorrect."},
		{"fault-quota-shells.xml", "InternalError", "2150859173", false, true, "maximum number of 30 concurrent shells"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			f, ok := ParseFault(data)
			if !ok {
				t.Fatal("not recognised as a fault")
			}
			f.Action = "Receive"
			if f.Subcode != tc.subcode || f.WSManCode != tc.code {
				t.Errorf("subcode %q code %q, want %q %q", f.Subcode, f.WSManCode, tc.subcode, tc.code)
			}
			if f.TimedOut() != tc.timedOut || f.Quota() != tc.quota {
				t.Errorf("timedOut=%v quota=%v", f.TimedOut(), f.Quota())
			}
			if !strings.Contains(f.Error(), tc.msgSubstr) {
				t.Errorf("error %q lacks %q", f.Error(), tc.msgSubstr)
			}
			// masterzen re-issues Receive only when the error text says
			// OperationTimeout; no other fault may trigger that.
			if strings.Contains(f.Error(), "OperationTimeout") != tc.timedOut {
				t.Errorf("OperationTimeout in %q must be %v", f.Error(), tc.timedOut)
			}
		})
	}
	// A TimedOut fault whose text does not say OperationTimeout still must.
	f := &FaultError{Action: "Receive", Subcode: "TimedOut", Reason: "timed out"}
	if !strings.Contains(f.Error(), "OperationTimeout") {
		t.Errorf("TimedOut fault text %q lacks OperationTimeout", f.Error())
	}
}

func TestParseFaultRejectsNonFaults(t *testing.T) {
	for _, doc := range []string{
		"",
		"<html>500</html>",
		`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><rsp:ReceiveResponse xmlns:rsp="x"/></s:Body></s:Envelope>`,
		`<Envelope><Body><Fault/></Body></Envelope>`,                                      // wrong namespace
		`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault>`, // truncated
	} {
		if f, ok := ParseFault([]byte(doc)); ok {
			t.Errorf("%q parsed as fault %+v", doc, f)
		}
	}
}

func FuzzParseFault(f *testing.F) {
	for _, name := range []string{"fault-timedout.xml", "fault-bad-command-id.xml", "fault-invalid-parameter.xml", "fault-quota-shells.xml"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		flt, ok := ParseFault(data)
		if !ok {
			return
		}
		msg := flt.Error()
		if strings.ContainsAny(msg, "\x00\r\n\x1b") {
			t.Fatalf("fault text carries control characters: %q", msg)
		}
		if len(flt.Message) > 2*faultReasonMaxLen || len(flt.Reason) > 2*faultReasonMaxLen {
			t.Fatal("fault text not bounded")
		}
	})
}
