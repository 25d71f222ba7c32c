package cli

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ntlmscan/ntlmscan/cmd/internal/iostreams"
	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/report/whatif"
	"github.com/ntlmscan/ntlmscan/scanner"
)

// scanOptions are the inputs of `scan` (and, inside demoOptions, of
// `demo`): the Factory's streams, clock and environment, and the flags.
type scanOptions struct {
	IO        *iostreams.IOStreams
	Now       func() time.Time
	LookupEnv func(string) (string, bool) // nil: an empty environment
	Version   string
	// LoggerTo returns a logger at the --log-level writing to w.
	LoggerTo func(w io.Writer) *slog.Logger

	InventoryPath string
	// Command is the command line that makes this report, without output
	// flags, for the reports' hints on writing a missing file.
	Command string
	scanFlags
}

// newScanOptions takes the Factory's dependencies.
func newScanOptions(f *Factory) scanOptions {
	return scanOptions{IO: f.IO, Now: f.Now, LookupEnv: f.LookupEnv, Version: f.Version, LoggerTo: f.loggerTo}
}

func (o *scanOptions) logger() *slog.Logger { return o.LoggerTo(o.IO.ErrOut) }

func (o *scanOptions) lookupEnv() func(string) (string, bool) {
	if o.LookupEnv == nil {
		return func(string) (string, bool) { return "", false }
	}
	return o.LookupEnv
}

func (o *scanOptions) getenv(key string) string {
	v, _ := o.lookupEnv()(key)
	return v
}

func newScanCmd(f *Factory, runF func(*scanOptions) error) *cobra.Command {
	o := newScanOptions(f)
	cmd := &cobra.Command{
		Use:   "scan -i INVENTORY",
		Short: "Collect every host's NTLM settings over WinRM, judge every path, report",
		Long: `scan reads the inventory, collects the effective NTLM and SMB settings of every
scannable host concurrently over WinRM (NTLM with message encryption by default),
has every Core probe TCP reachability of its agents, shares and replication
targets, and judges every Core->agent, Core->share and Core->Core path.

Credentials come from the environment variables or files the inventory names;
they are never flags. Ctrl-C stops starting new hosts and reports what was
gathered.

` + ExitCodeHelp,
		Example: `  # Terminal report, plus a CSV for the change ticket. The password goes
  # into the variable the inventory's credential names (password_env),
  # read without echo; or name a file with password_file (under systemd,
  # one that LoadCredential provides)
  read -rs NTLMSCAN_PASSWORD && export NTLMSCAN_PASSWORD
  ntlmscan scan -i inventory.yaml --csv paths.csv

  # A summary under 32 KB to paste into the change ticket, beside the full reports
  ntlmscan scan -i inventory.yaml --markdown-summary ticket.md --csv paths.csv --json scan.json

  # What breaks if the planned baseline is applied?
  ntlmscan scan -i inventory.yaml --assume baseline-2027.yaml

  # Nightly: timestamped files + latest.json, new blocked paths fail the job
  ntlmscan scan -i inventory.yaml --output-dir /var/lib/ntlmscan --keep 30 --fail-on new --quiet`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.InventoryPath == "" {
				return FlagErrorf("--inventory is required: the YAML file listing Cores, agents and repositories (see examples/inventory.yaml)")
			}
			if err := o.check(); err != nil {
				return err
			}
			o.Command = "ntlmscan scan -i " + shellArg(o.InventoryPath)
			if runF != nil {
				return runF(&o)
			}
			return exitWith(scanRun(cmd.Context(), &o))
		},
	}
	cmd.Flags().StringVarP(&o.InventoryPath, "inventory", "i", "", "inventory YAML `FILE` (required)")
	addScanFlags(cmd, &o.scanFlags)
	return cmd
}

// scanRun is the scan command: load the inventory (and --assume overlay),
// then run the scan pipeline.
func scanRun(ctx context.Context, o *scanOptions) (int, error) {
	in, err := o.loadInputs()
	if err != nil {
		return ExitError, err
	}
	out, err := runScan(ctx, o, in)
	if err != nil {
		return ExitError, err
	}
	return out.exitCode(), nil
}

// loadInputs reads the inventory and the --assume overlay; passwords come
// from the environment the command was given.
func (o *scanOptions) loadInputs() (scanInputs, error) {
	inv, err := inventory.Load(o.InventoryPath)
	if err != nil {
		return scanInputs{}, describeInventoryError(err)
	}
	in := scanInputs{InventoryPath: o.InventoryPath, Inventory: inv, Password: scanner.PasswordFrom(o.lookupEnv())}
	if o.AssumePath != "" {
		ov, err := whatif.Load(o.AssumePath, inv)
		if err != nil {
			return scanInputs{}, describeInventoryError(err)
		}
		in.Overlay = ov
	}
	return in, nil
}

// shellArg quotes s for a POSIX shell when it holds more than plain
// path characters, so that a hint built from it can be pasted.
func shellArg(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@+=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
