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
			fmt.Fprint(f.IO.Out, versionText(f.Version))
			return nil
		},
	}
}

// versionText is what `ntlmscan version` and `ntlmscan --version` print:
// the version the build stamped (-ldflags -X .../cli.Version, or the
// module version of `go install`), the toolchain and the schemas.
func versionText(stamped string) string {
	version := stamped
	if bi, ok := debug.ReadBuildInfo(); ok && version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		version = bi.Main.Version
	}
	return fmt.Sprintf("ntlmscan %s (%s, %s/%s)\ncollector schema %d, report schema %d\n",
		version, runtime.Version(), runtime.GOOS, runtime.GOARCH, facts.SchemaVersion, report.SchemaVersion)
}
