package cli

import (
	"github.com/spf13/cobra"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/report/whatif"
	"github.com/ntlmscan/ntlmscan/scanner"
)

func newScanCmd(f *Factory) *cobra.Command {
	var o scanOptions
	var inventoryPath string
	cmd := &cobra.Command{
		Use:   "scan -i INVENTORY",
		Short: "Collect every host's NTLM settings over WinRM, judge every path, report",
		Long: `scan reads the inventory, collects the effective NTLM and SMB settings of every
scannable host concurrently over WinRM (NTLM with message encryption by default),
has every Core probe TCP reachability of its agents and shares, and judges every
Core->agent and Core->share path.

Credentials come from the environment variables or files the inventory names;
they are never flags. Ctrl-C stops starting new hosts and reports what was
gathered.

` + ExitCodeHelp,
		Example: `  # Terminal report, plus a CSV for the change ticket
  NTLMSCAN_PASSWORD='...' ntlmscan scan -i inventory.yaml --csv paths.csv

  # What breaks if the planned baseline is applied?
  ntlmscan scan -i inventory.yaml --assume baseline-2027.yaml

  # Nightly: timestamped files + latest.json, new blocked paths fail the job
  ntlmscan scan -i inventory.yaml --output-dir /var/lib/ntlmscan --keep 30 --fail-on new --quiet`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if inventoryPath == "" {
				return FlagErrorf("--inventory is required: the YAML file listing Cores, agents and repositories (see examples/inventory.yaml)")
			}
			if err := o.check(); err != nil {
				return err
			}
			inv, err := inventory.Load(inventoryPath)
			if err != nil {
				return describeInventoryError(err)
			}
			in := scanInputs{InventoryPath: inventoryPath, Inventory: inv, Password: scanner.DefaultPassword}
			if o.AssumePath != "" {
				ov, err := whatif.Load(o.AssumePath, inv)
				if err != nil {
					return describeInventoryError(err)
				}
				in.Overlay = ov
			}
			return runScan(cmd.Context(), f, &o, in)
		},
	}
	cmd.Flags().StringVarP(&inventoryPath, "inventory", "i", "", "inventory YAML (required)")
	addScanFlags(cmd, &o)
	return cmd
}
