package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/inventory/safetext"
	"github.com/ntlmscan/ntlmscan/report/waiver"
	"github.com/ntlmscan/ntlmscan/report/whatif"
)

func newValidateCmd(f *Factory) *cobra.Command {
	var inventoryPath, assumePath, waiversPath string
	cmd := &cobra.Command{
		Use:   "validate -i INVENTORY",
		Short: "Check an inventory (and an overlay or waivers file) without touching the network",
		Long: `validate decodes the inventory strictly and reports every problem at once, each
with file:line and a hint: unknown keys, duplicate names, dangling references,
malformed addresses or UNC paths, secrets written into the file. It reads no
secret and contacts no host. Exit code 0 when valid, 1 otherwise.

Warnings (stderr, exit code still 0) flag what is valid but likely wrong in a
real estate: agents no Core protects, auth: auto with a local account (NTLM),
a workgroup host scanned with a domain account, and waivers naming a Core,
host or path the inventory does not have.`,
		Example: `  ntlmscan validate -i inventory.yaml
  ntlmscan validate -i inventory.yaml --assume baseline-2027.yaml --waivers waivers.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if inventoryPath == "" {
				return FlagErrorf("--inventory is required")
			}
			inv, err := inventory.Load(inventoryPath)
			if err != nil {
				return describeInventoryError(err)
			}
			fmt.Fprintf(f.IO.Out, "%s: valid\n%s\n", safetext.Escape(inventoryPath), inv.Summary())
			// Warnings: valid, but probably not what was meant, or scanned
			// differently than it reads (exit code stays 0).
			for _, w := range inventory.Lint(inv) {
				fmt.Fprintln(f.IO.ErrOut, w.String())
			}
			if assumePath != "" {
				ov, err := whatif.Load(assumePath, inv)
				if err != nil {
					return describeInventoryError(err)
				}
				fmt.Fprintf(f.IO.Out, "%s: valid overlay %q with %d changes\n", safetext.Escape(assumePath), ov.Name, len(ov.Changes))
			}
			if waiversPath != "" {
				w, err := loadWaivers(waiversPath)
				if err != nil {
					return WithCode(ExitError, err)
				}
				fmt.Fprintf(f.IO.Out, "%s: valid, %d waivers\n", safetext.Escape(waiversPath), len(w.Waivers))
				// Expired waivers no longer excuse anything: name them now,
				// before a nightly run starts failing on them.
				for _, e := range w.Expired(f.Now()) {
					fmt.Fprintf(f.IO.Out, "%s:%d: waiver for %s (owner %s) expired on %s; renew it with a new date or remove it\n",
						safetext.Escape(waiversPath), e.Line, safetext.Escape(e.Selector()), safetext.Escape(e.Owner), e.Expires.Format(waiver.DateLayout))
				}
				for _, line := range waiver.Check(w, inv) {
					fmt.Fprintln(f.IO.ErrOut, line)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&inventoryPath, "inventory", "i", "", "inventory YAML `FILE` (required)")
	cmd.Flags().StringVar(&assumePath, "assume", "", "also check this what-if overlay `FILE` against the inventory")
	cmd.Flags().StringVar(&waiversPath, "waivers", "", "also check this waivers `FILE`")
	return cmd
}
