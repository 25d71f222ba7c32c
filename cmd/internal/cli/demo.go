package cli

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/ntlmscan/ntlmscan/examples"
	"github.com/ntlmscan/ntlmscan/report/whatif"
	"github.com/ntlmscan/ntlmscan/scanner"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

const (
	demoLabName       = "examples/lab.yaml (built in)"
	demoInventoryName = "examples/inventory.yaml (built in)"
	demoOverlayName   = "examples/assume.yaml (built in)"
)

// demoOptions are the inputs of `demo`: scan's, the built-in fleet
// instead of an inventory file, and --what-if.
type demoOptions struct {
	scanOptions
	WhatIf bool
	// FailOnChosen: --fail-on came from the user (flag, environment or
	// settings file), so demo exits as scan does.
	FailOnChosen bool
}

func newDemoCmd(f *Factory, runF func(*demoOptions) error) *cobra.Command {
	o := &demoOptions{scanOptions: newScanOptions(f)}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Scan the built-in simulated fleet over real WinRM on loopback (no Windows needed)",
		Long: `demo starts the example fleet (examples/lab.yaml, built into the binary): two
Cores, seven agents, two domain controllers, a Windows file server, a NAS and
a second-site Core that CORE01 replicates to, each a WS-Management server on
its own 127.0.0.x address speaking NTLM with message encryption (and Kerberos,
from a simulated KDC, for the Kerberos-only AGENT07). It scans them with the
example inventory over real WinRM, exactly as scan does against Windows, and
shows the report: the paths worst first (blocked, at-risk, unreachable,
unknown; ok paths counted), a summary per Core, host notes and the totals.

--what-if also applies the example overlay (examples/assume.yaml) and shows which
verdicts a planned baseline would change. demo exits 0 once the report is
shown; pass --fail-on to get scan's exit codes.`,
		Example: `  ntlmscan demo
  ntlmscan demo --what-if
  ntlmscan demo --format html -o demo.html
  ntlmscan demo --json demo.json --quiet && ntlmscan plan demo.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.check(); err != nil {
				return err
			}
			o.FailOnChosen = cmd.Flags().Changed("fail-on")
			o.Command = "ntlmscan demo"
			if o.WhatIf {
				o.Command += " --what-if"
			}
			if runF != nil {
				return runF(o)
			}
			return exitWith(demoRun(cmd.Context(), o))
		},
	}
	addScanFlags(cmd, &o.scanFlags)
	cmd.Flags().BoolVar(&o.WhatIf, "what-if", false, "apply the built-in what-if overlay (examples/assume.yaml)")
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

// demoRun starts the built-in fleet, points the built-in inventory at it
// and runs the scan pipeline on it.
func demoRun(ctx context.Context, o *demoOptions) (int, error) {
	lab, err := winrmtest.ParseLab(examples.DemoLab, demoLabName)
	if err != nil {
		return ExitError, fmt.Errorf("built-in lab: %w", err)
	}
	fleet, err := winrmtest.StartFleet(lab, examples.DemoInventory, demoInventoryName,
		winrmtest.WithEphemeralPorts(), winrmtest.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return ExitError, fmt.Errorf("start the simulated fleet: %w (it binds 127.0.0.11-127.0.0.42, which Linux routes to loopback)", err)
	}
	defer fleet.Close()
	srv := fleet.Server
	// The lab's passwords, never the user's environment; the lab's
	// simulated KDC serves the Kerberos-only AGENT07.
	in := scanInputs{InventoryPath: demoInventoryName, Inventory: fleet.Inventory,
		Password: scanner.PasswordFrom(fleet.LookupEnv), Krb5Conf: srv.Krb5Conf()}
	switch {
	case o.AssumePath != "":
		ov, err := whatif.Load(o.AssumePath, in.Inventory)
		if err != nil {
			return ExitError, describeInventoryError(err)
		}
		in.Overlay = ov
	case o.WhatIf:
		ov, err := whatif.Parse(examples.DemoOverlay, demoOverlayName, in.Inventory)
		if err != nil {
			return ExitError, describeInventoryError(err)
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
		fmt.Fprintf(o.IO.ErrOut, "Simulated fleet: %d hosts (%d with WinRM) on loopback (127.0.0.x, ephemeral ports).\n"+
			"Scanning over NTLM, and Kerberos where a host asks (simulated KDC), encrypted...\n", len(srv.Hosts()), winrmHosts)
	}
	out, err := runScan(ctx, &o.scanOptions, in)
	if err != nil {
		return ExitError, err
	}
	return out.demoExitCode(o.FailOnChosen), nil
}
