package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ntlmscan/ntlmscan/cmd/internal/helptopics"
	"github.com/ntlmscan/ntlmscan/cmd/internal/iostreams"
	"github.com/ntlmscan/ntlmscan/inventory/safetext"
	"github.com/ntlmscan/ntlmscan/inventory/yamlcheck"
)

// Version is set at build time with -ldflags "-X .../cli.Version=v1.2.3".
var Version = "dev"

// Main runs ntlmscan with the process's arguments and streams and returns
// the exit code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first Ctrl-C stops new work and lets the scan report what it has;
	// restoring the default handler makes a second one end the process.
	go func() {
		<-ctx.Done()
		stop()
	}()
	f := &Factory{IO: iostreams.System(), Now: time.Now, Version: Version, LookupEnv: os.LookupEnv}
	return Run(ctx, f, os.Args[1:])
}

// Run executes one command line and returns its exit code.
func Run(ctx context.Context, f *Factory, args []string) int {
	root := NewRootCmd(f)
	root.SetArgs(args)
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *ExitErr
	if errors.As(err, &ee) && ee.Silent {
		return ee.Code
	}
	// Errors quote file names, keys and values: escape what would act on
	// the terminal or hide text (bidi overrides, zero-width, escapes).
	fmt.Fprintf(f.IO.ErrOut, "ntlmscan: %s\n", safetext.EscapeLines(err.Error()))
	var fe *FlagError
	if errors.As(err, &fe) {
		fmt.Fprintln(f.IO.ErrOut, "Run 'ntlmscan --help' for usage.")
	}
	return codeFor(err)
}

// NewRootCmd builds the command tree.
func NewRootCmd(f *Factory) *cobra.Command {
	var configFile, logLevel string
	root := &cobra.Command{
		Use:   "ntlmscan",
		Short: "Find which NTLM restriction breaks Rapid Recovery, on which host, and how to fix it",
		Long: `ntlmscan reads the effective NTLM and SMB settings of every Rapid Recovery Core, agent,
repository host and domain controller over WinRM, measures reachability from each Core, and
says for every Core->agent, Core->share and Core->Core (replication) path whether NTLM is
needed, whether it will be blocked, by which setting on which host, and the exact change that fixes it.

Settings come from flags, then NTLMSCAN_* environment variables (NTLMSCAN_CONCURRENCY,
NTLMSCAN_HOST_TIMEOUT, ...), then the --config file, then defaults. Passwords are never
flags: the inventory names an environment variable or a file for each credential.

Reference pages (every inventory key, the CSV columns, error classes, verdicts,
...) are listed below under "Additional help topics": ntlmscan help <topic>.

` + ExitCodeHelp,
		Example: `  # See it work on the built-in simulated fleet (no Windows needed)
  ntlmscan demo

  # Check an inventory, then scan it; the password is read without echo
  # into the variable the inventory names (password_env), never typed
  # on the command line
  ntlmscan validate -i inventory.yaml
  read -rs NTLMSCAN_PASSWORD && export NTLMSCAN_PASSWORD
  ntlmscan scan -i inventory.yaml --csv paths.csv`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if err := applySettings(cmd, f, configFile); err != nil {
				return err
			}
			return f.setLogLevel(logLevel)
		},
	}
	root.PersistentFlags().StringVar(&configFile, "config", "", "settings `FILE` (YAML; keys are flag names, optionally under the command name); env NTLMSCAN_CONFIG")
	root.PersistentFlags().StringVar(&logLevel, "log-level", "warn", "log `LEVEL` on stderr: debug, info, warn, error")
	root.PersistentFlags().StringVar(&f.logFormat, "log-format", "text", "log `FORMAT` on stderr: text or json")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &FlagError{Err: passwordFlagHint(err)} })
	// --version prints what `ntlmscan version` prints (cobra adds the flag
	// when Version is set; the template is that text, braces escaped).
	root.Version = f.Version
	root.Flags().BoolP("version", "v", false, "print the version (what ntlmscan version prints)")
	root.SetVersionTemplate(strings.NewReplacer("{{", "{{`{{`}}").Replace(versionText(f.Version)))

	root.AddCommand(
		newScanCmd(f, nil),
		newDemoCmd(f, nil),
		newSimulateCmd(f),
		newValidateCmd(f),
		newDiscoverCmd(f, nil),
		newReportCmd(f),
		newDiffCmd(f),
		newMergeCmd(f),
		newPlanCmd(f, nil),
		newVersionCmd(f),
	)
	addHelpTopics(root)
	return root
}

// addHelpTopics adds the reference pages of cmd/internal/helptopics as
// commands without a Run: cobra lists them under "Additional help topics"
// and `ntlmscan help <topic>` prints the page.
func addHelpTopics(root *cobra.Command) {
	for _, t := range helptopics.All() {
		root.AddCommand(&cobra.Command{
			Use:   t.Name,
			Short: t.Short,
			Long:  t.Text(),
		})
	}
}

// passwordFlagHint turns cobra's "unknown flag" error for a password flag
// (--password, --pass, --password-file, -p) into one that says how
// ntlmscan takes passwords. The flag's value is never repeated.
func passwordFlagHint(err error) error {
	msg := err.Error()
	var flag string
	switch {
	case strings.HasPrefix(msg, "unknown flag: --"):
		flag = strings.TrimPrefix(msg, "unknown flag: ")
		flag, _, _ = strings.Cut(flag, "=")
	case strings.HasPrefix(msg, "unknown shorthand flag: 'p'"):
		flag = "-p"
	default:
		return err
	}
	switch strings.ToLower(flag) {
	case "-p", "--password", "--pass", "--passwd", "--password-file", "--pw":
	default:
		return err
	}
	return fmt.Errorf("%s: ntlmscan takes no password on the command line (it would show in shell history and the process list). "+
		"The inventory names where each credential's password is: password_env: NTLMSCAN_PASSWORD (an environment variable; "+
		"set it without echo: read -rs NTLMSCAN_PASSWORD && export NTLMSCAN_PASSWORD) or password_file: /path/to/file "+
		"(first line; under systemd, LoadCredential=); see examples/inventory.yaml", flag)
}

// applySettings fills every flag the user did not set from NTLMSCAN_*
// environment variables, then from the settings file, so flags win over the
// environment, the environment over the file, and the file over defaults.
// The file is checked strictly first (see loadSettings); viper then layers
// the sources (settingsViper).
func applySettings(cmd *cobra.Command, f *Factory, configFile string) error {
	if configFile == "" {
		configFile = f.Getenv("NTLMSCAN_CONFIG")
	}
	var file *settingsFile
	if configFile != "" {
		sf, err := loadSettings(configFile, cmd.Root())
		if err != nil {
			if ve, ok := yamlcheck.AsValidationError(err); ok {
				return WithCode(ExitError, fmt.Errorf("settings file has problems:\n%s", ve.Error()))
			}
			return WithCode(ExitError, err)
		}
		file = sf
	}
	v, where := settingsViper(cmd, f, file)
	var errs []error
	cmd.Flags().VisitAll(func(fl *pflag.Flag) {
		from := where(fl.Name)
		if fl.Changed || from == "default" || from == "" {
			return
		}
		val := v.GetString(fl.Name)
		if err := fl.Value.Set(val); err != nil {
			errs = append(errs, fmt.Errorf("invalid value %q for --%s from %s: %v", val, fl.Name, from, err))
			return
		}
		// A value from the environment or the settings file is the user's
		// choice as much as a flag is (demo's exit code asks Changed).
		fl.Changed = true
	})
	if len(errs) > 0 {
		return &FlagError{Err: errors.Join(errs...)}
	}
	return nil
}
