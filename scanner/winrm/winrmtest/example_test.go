package winrmtest_test

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/masterzen/winrm"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

// Start the demo fleet and run a command on one host through masterzen's
// Encryption("ntlm") transport, as ntlmscan does against Windows.
func ExampleNewServer() {
	lab, err := winrmtest.LoadLab("../../../examples/lab.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	srv, err := winrmtest.NewServer(lab, winrmtest.WithEphemeralPorts())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	ep, _ := srv.Host("CORE01")
	u, _ := url.Parse(ep.HTTPURL)
	port, _ := strconv.Atoi(u.Port())
	params := winrm.NewParameters("PT60S", "en-US", 153600)
	params.TransportDecorator = func() winrm.Transporter { e, _ := winrm.NewEncryption("ntlm"); return e }
	password, _ := lab.Password("CORE01", `CORP\svc-ntlmscan`)
	client, err := winrm.NewClientWithParameters(winrm.NewEndpoint(ep.Address, port, false, false, nil, nil, nil, 30*time.Second),
		`CORP\svc-ntlmscan`, password, params)
	if err != nil {
		fmt.Println(err)
		return
	}
	stdout, _, exitCode, err := client.RunCmdWithContext(context.Background(), "whoami")
	fmt.Printf("%q %d %v\n", stdout, exitCode, err)
	// Output: "corp\\svc-ntlmscan\r\n" 0 <nil>
}
