package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

func newVersionCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the ntlmscan version and the schema versions it speaks",
		Long: `version prints the ntlmscan version, the Go version and platform it was built
with, the collector schema it sends to hosts and the report schema it writes
(a report from another schema is refused by report and diff).`,
		Example: `  ntlmscan version`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			version := f.Version
			if bi, ok := debug.ReadBuildInfo(); ok && version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
				version = bi.Main.Version
			}
			fmt.Fprintf(f.IO.Out, "ntlmscan %s (%s, %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			fmt.Fprintf(f.IO.Out, "collector schema %d, report schema %d\n", facts.SchemaVersion, report.SchemaVersion)
			return nil
		},
	}
}
