package cli

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/ntlmscan/ntlmscan/examples"
	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

const (
	demoLabName       = "examples/lab.yaml (built in)"
	demoInventoryName = "examples/inventory.yaml (built in)"
	demoOverlayName   = "examples/assume.yaml (built in)"
)

func newDemoCmd(f *Factory) *cobra.Command {
	var o scanOptions
	var whatIf bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Scan the built-in simulated fleet over real WinRM on loopback (no Windows needed)",
		Long: `demo starts the example fleet (examples/lab.yaml, built into the binary): two
Cores, seven agents, two domain controllers, a Windows file server, a NAS and
a second-site Core that CORE01 replicates to, each a WS-Management server on its own 127.0.0.x address speaking NTLM with
message encryption (and Kerberos, from a simulated KDC, for the Kerberos-only
AGENT07). It scans them with the example inventory over real WinRM,
exactly as scan does against Windows, and shows the path matrix: ok, at-risk,
blocked, unreachable and unknown paths.

--what-if also applies the example overlay (examples/assume.yaml) and shows which
verdicts a planned baseline would change. demo exits 0 once the report is
shown; pass --fail-on to get scan's exit codes.`,
		Example: `  ntlmscan demo
  ntlmscan demo --what-if
  ntlmscan demo --format html -o demo.html`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.check(); err != nil {
				return err
			}
			lab, err := winrmtest.ParseLab(examples.DemoLab, demoLabName)
			if err != nil {
				return WithCode(ExitError, fmt.Errorf("built-in lab: %w", err))
			}
			srv, err := winrmtest.NewServer(lab, winrmtest.WithEphemeralPorts(), winrmtest.WithLogger(slog.New(slog.DiscardHandler)))
			if err != nil {
				return WithCode(ExitError, fmt.Errorf("start the simulated fleet: %w (it binds 127.0.0.11-127.0.0.42, which Linux routes to loopback)", err))
			}
			defer srv.Close()

			inv, err := inventory.Parse(examples.DemoInventory, demoInventoryName)
			if err != nil {
				return describeInventoryError(err)
			}
			cleanup, err := pointAtSimulator(inv, srv)
			if err != nil {
				return WithCode(ExitError, err)
			}
			defer cleanup()
			// The lab's simulated KDC serves the Kerberos-only AGENT07.
			in := scanInputs{InventoryPath: demoInventoryName, Inventory: inv, Password: labPasswords(srv), Krb5Conf: srv.Krb5Conf()}
			switch {
			case o.AssumePath != "":
				ov, err := inventory.LoadOverlay(o.AssumePath, inv)
				if err != nil {
					return describeInventoryError(err)
				}
				in.Overlay = ov
			case whatIf:
				ov, err := inventory.ParseOverlay(examples.DemoOverlay, demoOverlayName, inv)
				if err != nil {
					return describeInventoryError(err)
				}
				in.Overlay = ov
			}
			if !o.Quiet {
				winrmHosts := 0
				for _, ep := range srv.Hosts() {
					if ep.HTTPURL != "" || ep.HTTPSURL != "" {
						winrmHosts++
					}
				}
				fmt.Fprintf(f.IO.ErrOut, "Simulated fleet: %d hosts (%d with WinRM) on loopback (127.0.0.x, ephemeral ports); scanning over NTLM, and Kerberos where a host asks for it (simulated KDC), with message encryption...\n", len(srv.Hosts()), winrmHosts)
			}
			err = runScan(cmd.Context(), f, &o, in)
			if !cmd.Flags().Changed("fail-on") {
				if ee, ok := err.(*ExitErr); ok && ee.Silent && (ee.Code&ExitBoth) == ee.Code && ee.Code != ExitError {
					return nil
				}
			}
			return err
		},
	}
	addScanFlags(cmd, &o)
	cmd.Flags().BoolVar(&whatIf, "what-if", false, "apply the built-in what-if overlay (examples/assume.yaml)")
	cmd.MarkFlagsMutuallyExclusive("what-if", "assume")
	// The simulated hosts answer at once; a short default keeps the demo fast
	// even if something on this machine is slow.
	// Value.Set, not Flags().Set: the latter marks the flag as given on the
	// command line, and NTLMSCAN_HOST_TIMEOUT or --config would be ignored.
	hostTimeout := cmd.Flags().Lookup("host-timeout")
	_ = hostTimeout.Value.Set("20s")
	hostTimeout.DefValue = "20s"
	return cmd
}

// pointAtSimulator rewrites every scanned host's WinRM port to the simulator's
// ephemeral port and trusts the simulator's CA for HTTPS hosts.
func pointAtSimulator(inv *inventory.Inventory, srv *winrmtest.Server) (func(), error) {
	dir, err := os.MkdirTemp("", "ntlmscan-demo-")
	if err != nil {
		return func() {}, fmt.Errorf("temporary directory for the demo CA: %w", err)
	}
	cleanup := func() { os.RemoveAll(dir) }
	caFile := filepath.Join(dir, "demo-ca.pem")
	if err := os.WriteFile(caFile, srv.CACertPEM(), 0o600); err != nil {
		cleanup()
		return func() {}, fmt.Errorf("write the demo CA: %w", err)
	}
	for _, h := range inv.Hosts {
		if !h.Scan {
			continue
		}
		ep, ok := srv.Host(h.NetBIOS)
		if !ok {
			ep, ok = srv.Host(h.Name)
		}
		if !ok {
			cleanup()
			return func() {}, fmt.Errorf("demo inventory host %s is not in the built-in lab", h.Name)
		}
		h.Address = ep.Address
		if h.WinRM.HTTPS {
			h.WinRM.Port = ep.HTTPSPort
			h.WinRM.CAFile = caFile
		} else {
			h.WinRM.Port = ep.HTTPPort
		}
	}
	return cleanup, nil
}

// labPasswords answers the scanner's credential lookups from the lab, so the
// demo needs no environment variables. Only the demo does this.
func labPasswords(srv *winrmtest.Server) func(*inventory.Credential) (string, error) {
	return func(c *inventory.Credential) (string, error) {
		for _, ep := range srv.Hosts() {
			if pw, ok := srv.Lab().Password(ep.Name, c.Username); ok {
				return pw, nil
			}
		}
		return "", fmt.Errorf("credential %q: account %s is not in the built-in lab", c.Name, c.Username)
	}
}
