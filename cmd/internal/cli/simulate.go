package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/ntlmscan/ntlmscan/cmd/internal/outdir"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

func newSimulateCmd(f *Factory) *cobra.Command {
	var labPath, caOut, krb5Out, invIn, invOut string
	var ephemeral bool
	cmd := &cobra.Command{
		Use:   "simulate --lab FILE",
		Short: "Serve a lab of simulated Windows hosts over WinRM until interrupted",
		Long: `simulate starts one WS-Management server per lab host on its own loopback
address (127.0.0.x), speaking WinRM as Windows does: NTLM bound to the TCP
connection, MS-WSMV message encryption, Basic where enabled, HTTPS with a CA
created for this run. It prints one line per host (name and endpoint URLs),
then "ready", and serves until Ctrl-C.

Point ntlmscan, pywinrm or any WinRM client at it. The lab format is described
by "ntlmscan help lab"; examples/lab.yaml is the demo fleet.`,
		Example: `  ntlmscan simulate --lab examples/lab.yaml
  ntlmscan simulate --lab examples/lab.yaml --ephemeral-ports --ca-out /tmp/lab-ca.pem
  ntlmscan simulate --lab examples/lab.yaml --krb5-out /tmp/lab-krb5.conf   # then KRB5_CONFIG=/tmp/lab-krb5.conf
  ntlmscan simulate --lab lab.yaml --ephemeral-ports -i inventory.yaml --inventory-out /tmp/lab-inventory.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if labPath == "" {
				return FlagErrorf("--lab is required (see examples/lab.yaml)")
			}
			if (invIn == "") != (invOut == "") {
				return FlagErrorf("--inventory and --inventory-out go together: the inventory to point at the lab, and where to write it")
			}
			var invYAML []byte
			if invIn != "" {
				var err error
				if invYAML, err = os.ReadFile(invIn); err != nil {
					return WithCode(ExitError, fmt.Errorf("read inventory: %w", err))
				}
			}
			lab, err := winrmtest.LoadLab(labPath)
			if err != nil {
				return WithCode(ExitError, err)
			}
			// Files for clients are written once the lab listens, before
			// "ready" is announced.
			var setupErr error
			writeClientFiles := func(srv *winrmtest.Server) error {
				setupErr = writeSimulateFiles(srv, labPath, caOut, krb5Out)
				if setupErr == nil && invOut != "" {
					setupErr = writeLabInventory(srv, invYAML, invIn, invOut)
				}
				return setupErr
			}
			opts := []winrmtest.Option{winrmtest.WithLogger(f.Logger()), winrmtest.WithStarted(writeClientFiles)}
			if ephemeral {
				opts = append(opts, winrmtest.WithEphemeralPorts())
			}
			err = winrmtest.Run(cmd.Context(), lab, f.IO.Out, opts...)
			switch {
			case setupErr != nil:
				return WithCode(ExitError, setupErr)
			case err != nil:
				return WithCode(ExitError, fmt.Errorf("start lab %s: %w", labPath, err))
			}
			fmt.Fprintln(f.IO.ErrOut, "stopping the lab")
			return nil
		},
	}
	cmd.Flags().StringVar(&labPath, "lab", "", "lab YAML `FILE` (required)")
	cmd.Flags().BoolVar(&ephemeral, "ephemeral-ports", false, "listen on random free ports instead of the lab's (each host keeps its own address)")
	cmd.Flags().StringVar(&caOut, "ca-out", "", "write the run's CA certificate (PEM) to this `FILE`, for HTTPS clients")
	cmd.Flags().StringVarP(&invIn, "inventory", "i", "", "with --inventory-out: the inventory `FILE` (a copy of your estate's) to point at the lab")
	cmd.Flags().StringVar(&invOut, "inventory-out", "", "write the inventory pointed at this run's addresses and (ephemeral) ports to this `FILE`, and the run's CA next to it as fleet-ca.pem")
	cmd.Flags().StringVar(&krb5Out, "krb5-out", "", "write a krb5.conf for the lab's simulated KDC to this `FILE` (domains with kdc: true), for Kerberos clients")
	return cmd
}

// writeSimulateFiles writes --ca-out and --krb5-out for the running lab.
func writeSimulateFiles(srv *winrmtest.Server, labPath, caOut, krb5Out string) error {
	if caOut != "" {
		if err := outdir.WriteFileAtomic(caOut, srv.CACertPEM()); err != nil {
			return err
		}
	}
	if krb5Out != "" {
		conf := srv.Krb5Conf()
		if conf == "" {
			return fmt.Errorf("--krb5-out: lab %s has no domain with kdc: true", labPath)
		}
		if err := outdir.WriteFileAtomic(krb5Out, []byte(conf)); err != nil {
			return err
		}
	}
	return nil
}

// writeLabInventory writes the inventory invYAML pointed at the running lab
// (addresses, WinRM ports, HTTPS CA file, SMB ports), so a lab copy of an
// estate can be scanned without editing ports by hand. The CA file goes next
// to it and stays after the lab stops.
func writeLabInventory(srv *winrmtest.Server, invYAML []byte, invIn, invOut string) error {
	fleet, err := winrmtest.NewFleet(srv, invYAML, invIn, filepath.Dir(invOut))
	if err != nil {
		return fmt.Errorf("--inventory-out: %w", err)
	}
	// Not fleet.Close: Run owns the server.
	if err := outdir.WriteFileAtomic(invOut, fleet.InventoryYAML); err != nil {
		return fmt.Errorf("--inventory-out: %w", err)
	}
	return nil
}
