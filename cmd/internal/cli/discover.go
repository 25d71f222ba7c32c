package cli

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ntlmscan/ntlmscan/cmd/internal/iostreams"
	"github.com/ntlmscan/ntlmscan/cmd/internal/outdir"
	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/inventory/safetext"
	"github.com/ntlmscan/ntlmscan/scanner"
	"github.com/ntlmscan/ntlmscan/scanner/discovery"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// discoverOptions are the inputs of `ntlmscan discover`.
type discoverOptions struct {
	IO        *iostreams.IOStreams
	LookupEnv func(string) (string, bool)

	Cores         []string // names or addresses; with -i, inventory Cores
	InventoryPath string   // existing inventory to merge into (optional)
	Output        string   // "" or "-": stdout
	// Without -i: how to reach the Cores.
	Username    string
	PasswordEnv string
	Port        int
	HTTPS       bool
	HostTimeout time.Duration
}

func newDiscoverCmd(f *Factory, runF func(*discoverOptions) error) *cobra.Command {
	o := &discoverOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "discover --core NAME_OR_ADDRESS... [-i existing.yaml] -o inventory.yaml",
		Short: "Build the inventory from the Rapid Recovery Cores (protected machines, repositories, archives)",
		Long: `discover asks each Core, over the same WinRM transport and credentials as scan, what
its Rapid Recovery PowerShell module lists: the machines it protects, by exactly
the name or address the Core connects to (which decides whether NTLM is needed),
its repositories and archives on CIFS shares with the accounts used, and the
machines it replicates. It writes an inventory that validate accepts.

With -i, the Cores' answers are merged into the existing inventory: everything
in it stays (credentials, groups, tags, comments), missing agents, shares and
domain controllers are added, a link that names an agent differently from the
Core is corrected, and every difference is reported as drift on stderr.
Without -i, give --username (the password comes from --password-env).

A Core without the module (rr-module-missing) is reported and the others are
still used. The module's output types are not documented: fields are read
tolerantly and entries that cannot be used are reported, never guessed.
More: ntlmscan help discovery.`,
		Example: `  ntlmscan discover --core core01.corp.example --username 'CORP\svc-ntlmscan' -o inventory.yaml
  ntlmscan discover -i inventory.yaml -o inventory.new.yaml     # every Core of the file; drift on stderr
  ntlmscan discover -i inventory.yaml --core CORE02 -o -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.InventoryPath == "" && len(o.Cores) == 0 {
				return FlagErrorf("give --core (and --username), or -i with an inventory whose Cores to ask")
			}
			if o.InventoryPath == "" && o.Username == "" {
				return FlagErrorf("--username is required without -i (the account ntlmscan logs on to the Cores with; its password comes from --password-env)")
			}
			o.LookupEnv = f.lookupEnv()
			if runF != nil {
				return runF(o)
			}
			return exitWith(discoverRun(cmd.Context(), f, o))
		},
	}
	cmd.Flags().StringSliceVar(&o.Cores, "core", nil, "`CORE` to ask: inventory name with -i, else its DNS name or address (repeat, or comma-separate)")
	cmd.Flags().StringVarP(&o.InventoryPath, "inventory", "i", "", "existing inventory `FILE`: its Cores, credentials and WinRM settings are used, and the result is merged into it")
	cmd.Flags().StringVarP(&o.Output, "output", "o", "-", "`FILE` to write the inventory to (\"-\": stdout)")
	cmd.Flags().StringVar(&o.Username, "username", "", "without -i: the `ACCOUNT` to log on to the Cores with (DOMAIN\\user or user@dns.domain)")
	cmd.Flags().StringVar(&o.PasswordEnv, "password-env", "NTLMSCAN_PASSWORD", "without -i: environment `VARIABLE` holding that account's password")
	cmd.Flags().IntVar(&o.Port, "winrm-port", 0, "without -i: WinRM port of the Cores (default 5985, or 5986 with --https)")
	cmd.Flags().BoolVar(&o.HTTPS, "https", false, "without -i: WinRM over HTTPS (system CA roots)")
	cmd.Flags().DurationVar(&o.HostTimeout, "host-timeout", scanner.DefaultHostTimeout, "deadline for each Core")
	return cmd
}

func discoverRun(ctx context.Context, f *Factory, o *discoverOptions) (int, error) {
	var (
		seedYAML []byte
		inv      *inventory.Inventory
		err      error
	)
	if o.InventoryPath != "" {
		if seedYAML, err = os.ReadFile(o.InventoryPath); err != nil {
			return ExitError, fmt.Errorf("read inventory: %w", err)
		}
		if inv, err = inventory.Parse(seedYAML, o.InventoryPath); err != nil {
			return ExitError, describeInventoryError(err)
		}
	} else {
		conn := connectionInventory(o)
		if inv, err = inventory.Parse([]byte(conn), "--core"); err != nil {
			return ExitError, describeInventoryError(err)
		}
	}
	cores, err := selectCores(inv, o.Cores, o.InventoryPath != "")
	if err != nil {
		return ExitError, err
	}
	log := f.Logger()
	results := scanner.Discover(ctx, inv, cores, scanner.Options{LookupEnv: o.LookupEnv, Logger: log, HostTimeout: o.HostTimeout})
	var found []*discovery.Core
	failed := 0
	for _, r := range results {
		if r.Error != nil {
			failed++
			fmt.Fprintf(o.IO.ErrOut, "%s: %s: %s\n  hint: %s\n", r.Core.Name, r.Error.Class, safetext.Escape(r.Error.Message), r.Error.Hint)
			continue
		}
		logShapes(log, r.Core.Name, r.Response)
		found = append(found, discovery.Read(r.Core.Name, r.Response))
	}
	if len(found) == 0 {
		return ExitError, fmt.Errorf("no Core could be asked (%d failed); nothing written", failed)
	}
	if o.InventoryPath == "" {
		// Now that the Cores said who they are, write the file they go into.
		seedYAML = []byte(seedInventory(o, cores, found))
		if inv, err = inventory.Parse(seedYAML, "discover"); err != nil {
			return ExitError, fmt.Errorf("the inventory built from the Cores' answers does not load (an ntlmscan bug): %w", err)
		}
	}
	for _, c := range found {
		for _, n := range c.Notes {
			fmt.Fprintf(o.IO.ErrOut, "%s: note: %s\n", c.Name, n)
		}
	}
	out, drift, err := discovery.Merge(seedYAML, inv, found)
	if err != nil {
		return ExitError, err
	}
	if o.InventoryPath != "" {
		for _, d := range drift {
			fmt.Fprintf(o.IO.ErrOut, "drift: %s\n", d)
		}
	}
	if o.Output == "" || o.Output == "-" {
		_, _ = o.IO.Out.Write(out)
	} else if err := outdir.WriteFileAtomic(o.Output, out); err != nil {
		return ExitError, err
	}
	name := o.Output
	if name == "" || name == "-" {
		name = "the output"
	}
	if _, err := inventory.Parse(out, name); err != nil {
		return ExitError, fmt.Errorf("%s was written but does not validate yet; fix these and run validate:\n%w", name, err)
	}
	if failed > 0 {
		return ExitHostsFailed, nil
	}
	return ExitOK, nil
}

// selectCores finds the Cores to ask: by name (or any name) in the
// inventory, all of its Cores when none are given.
func selectCores(inv *inventory.Inventory, names []string, byInventory bool) ([]*inventory.Core, error) {
	if len(names) == 0 || !byInventory {
		return inv.Cores, nil
	}
	var out []*inventory.Core
	for _, n := range names {
		var hit *inventory.Core
		for _, c := range inv.Cores {
			if c.KnownBy(n) {
				hit = c
				break
			}
		}
		if hit == nil {
			return nil, FlagErrorf("--core %s: no Core of that name in the inventory", safetext.Escape(n))
		}
		out = append(out, hit)
	}
	return out, nil
}

// coreEntryName is an inventory name for a Core given as a name or address.
func coreEntryName(i int, v string) string {
	switch {
	case inventory.IsIPAddress(v):
		return fmt.Sprintf("CORE-%d", i+1)
	case strings.Contains(v, "."):
		return strings.ToUpper(strings.SplitN(v, ".", 2)[0])
	}
	return strings.ToUpper(v)
}

func yamlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// connectionInventory is just enough inventory to reach the --core hosts.
func connectionInventory(o *discoverOptions) string {
	var b strings.Builder
	// The Cores' membership is unknown until they answer; it only matters
	// to the verdicts, not to the logon.
	b.WriteString("defaults:\n  workgroup: UNKNOWN\n  winrm:\n    credential: scan\n")
	o.winrmLines(&b, "    ")
	fmt.Fprintf(&b, "credentials:\n  scan:\n    username: %s\n    password_env: %s\n", yamlString(o.Username), yamlString(o.PasswordEnv))
	b.WriteString("cores:\n")
	for i, c := range o.Cores {
		fmt.Fprintf(&b, "  %s:\n    address: %s\n    account: LocalSystem\n", yamlString(coreEntryName(i, c)), yamlString(c))
	}
	return b.String()
}

func (o *discoverOptions) winrmLines(b *strings.Builder, indent string) {
	if o.HTTPS {
		b.WriteString(indent + "https: true\n")
	}
	if o.Port != 0 {
		fmt.Fprintf(b, "%sport: %d\n", indent, o.Port)
	}
}

// seedInventory is the file the discovered Cores are merged into when there
// is no -i: defaults, the credential, and the Cores with their accounts.
func seedInventory(o *discoverOptions, cores []*inventory.Core, found []*discovery.Core) string {
	var b strings.Builder
	b.WriteString(`# ntlmscan inventory written by "ntlmscan discover" from what the Rapid Recovery
# Cores list (their PowerShell module). Every agent link names the agent exactly
# as the Core connects to it: an IP address there means NTLM, a DNS name allows
# Kerberos. Review it (notes above entries say what discover could not know),
# then: ntlmscan validate -i THIS_FILE
version: 1
`)
	domain := ""
	for _, c := range found {
		if c.Domain != "" {
			domain = c.Domain
			break
		}
	}
	b.WriteString("defaults:\n")
	if domain != "" {
		fmt.Fprintf(&b, "  # The domain of the first Core; give other hosts domain: or workgroup: of their own.\n  domain: %s\n", yamlString(domain))
	}
	fmt.Fprintf(&b, "  agent_port: %d\n  winrm:\n    transport: ntlm\n    credential: scan\n", inventory.DefaultAgentPort)
	o.winrmLines(&b, "    ")
	b.WriteString("# Where ntlmscan's password is: never the password itself.\n")
	fmt.Fprintf(&b, "credentials:\n  scan:\n    username: %s\n    password_env: %s\n", yamlString(o.Username), yamlString(o.PasswordEnv))
	seen := map[string]bool{}
	for _, c := range found {
		if c.Domain == "" || seen[c.Domain] {
			continue
		}
		if len(seen) == 0 {
			b.WriteString("domains:\n")
		}
		seen[c.Domain] = true
		fmt.Fprintf(&b, "  %s:\n    netbios: %s   # from the Core service's account; check it\n", yamlString(c.Domain), yamlString(discovery.NetBIOSGuess(c)))
	}
	b.WriteString("cores:\n")
	byName := map[string]*discovery.Core{}
	for _, c := range found {
		byName[c.Name] = c
	}
	for i, ic := range cores {
		c := byName[ic.Name]
		name, account := ic.Name, "LocalSystem"
		comment := "    # UNCONFIRMED: the Core could not be asked; set the account its Core service runs as\n"
		if c != nil {
			if c.ComputerName != "" && discovery.ValidHostName(c.ComputerName) && !strings.Contains(c.ComputerName, ".") {
				name = strings.ToUpper(c.ComputerName)
				c.Name = name
			}
			if c.Account != "" {
				account, comment = c.Account, "    # The account the Core service runs as: what agents and shares see.\n"
			}
		}
		fmt.Fprintf(&b, "  %s:\n", yamlString(name))
		given := o.Cores[i]
		if inventory.IsIPAddress(given) {
			fmt.Fprintf(&b, "    address: %s\n", yamlString(given))
		} else if strings.Contains(given, ".") {
			fmt.Fprintf(&b, "    fqdn: %s\n", yamlString(strings.ToLower(given)))
		}
		b.WriteString(comment)
		fmt.Fprintf(&b, "    account: %s\n", yamlString(account))
	}
	return b.String()
}

// logShapes logs, at debug level, the property names each cmdlet's objects
// had on a Core: the module's output types are UNCONFIRMED, and this is
// what to compare with the fields ntlmscan reads (`ntlmscan help
// discovery`). Names only, never values.
func logShapes(log *slog.Logger, core string, r *facts.DiscoverResponse) {
	for _, l := range []struct {
		cmdlet string
		bags   []facts.Bag
	}{{"Get-ProtectedServers", r.Protected}, {"Get-Repositories", r.Repositories}, {"Get-ScheduledArchives", r.Archives}, {"Get-ReplicatedServers", r.Replicated}, {"Get-VirtualizedServers", r.Virtualized}} {
		names := map[string]bool{}
		for _, b := range l.bags {
			for k := range b {
				names[safetext.Escape(k)] = true
			}
		}
		log.Debug("module output", "host", core, "cmdlet", l.cmdlet, "objects", len(l.bags), "properties", strings.Join(slices.Sorted(maps.Keys(names)), ","))
	}
}
