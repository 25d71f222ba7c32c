package winrmtest_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/examples"
	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

// The demo inventory, with AGENT01 reached over HTTPS, pointed at the demo
// lab: every scanned host answers the real scanner on its simulated
// endpoint, with the passwords of Env and the fleet's CA, and the YAML
// written out loads to the same inventory.
func TestStartFleetPointsTheInventoryAtTheLab(t *testing.T) {
	t.Parallel()
	lab, err := winrmtest.ParseLab(examples.DemoLab, "lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	lab.HostByName("AGENT01").WinRM.HTTPS = true
	inv := bytes.Replace(examples.DemoInventory, []byte("  AGENT01:\n"), []byte("  AGENT01:\n    winrm: {https: true, insecure_skip_verify: true}\n"), 1)
	f, err := winrmtest.StartFleet(lab, inv, "inventory.yaml", winrmtest.WithEphemeralPorts())
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(f.CAFile)
	defer func() {
		f.Close()
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("Close left the fleet's directory %s: %v", dir, err)
		}
	}()

	for _, h := range f.Inventory.Hosts {
		if !h.Scan {
			continue
		}
		ep, _ := f.Server.Host(h.Name)
		want := ep.HTTPPort
		if h.Name == "AGENT01" {
			want = ep.HTTPSPort
			if !h.WinRM.HTTPS || h.WinRM.CAFile != f.CAFile || h.WinRM.InsecureSkipVerify {
				t.Errorf("AGENT01 winrm = %+v, want HTTPS verified with %s", h.WinRM, f.CAFile)
			}
		}
		if h.Address != ep.Address || h.WinRM.Port != want || want == 0 {
			t.Errorf("%s: %s:%d, want %s:%d", h.Name, h.Address, h.WinRM.Port, ep.Address, want)
		}
	}
	for env, user := range map[string]string{"NTLMSCAN_PASSWORD": `CORP\svc-ntlmscan`, "NTLMSCAN_AGENT05_PASSWORD": `AGENT05\ntlmscan-local`} {
		host, _, _ := strings.Cut(user, `\`)
		if host == "CORP" {
			host = "DC01"
		}
		if pw, _ := lab.Password(host, user); f.Env[env] != pw || pw == "" {
			t.Errorf("Env[%s] is not the lab password of %s", env, user)
		}
	}

	res := scanner.Run(context.Background(), f.Inventory, scanner.Options{LookupEnv: f.LookupEnv, Krb5Conf: f.Server.Krb5Conf(), Retries: -1})
	for _, r := range res {
		if r.Error != nil && r.Error.Class != "not-scanned" {
			t.Errorf("%s: %s: %s", r.Host, r.Error.Class, r.Error.Message)
		}
	}

	path := filepath.Join(t.TempDir(), "inventory.yaml")
	if err := f.WriteInventory(path); err != nil {
		t.Fatal(err)
	}
	again, err := inventory.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	a01 := again.HostByName("AGENT01")
	if a01 == nil || a01.WinRM.Port != f.Inventory.HostByName("AGENT01").WinRM.Port || a01.WinRM.CAFile != f.CAFile {
		t.Errorf("written inventory has AGENT01 %+v", a01)
	}
}

func TestStartFleetRefusesHostsNotInTheLab(t *testing.T) {
	t.Parallel()
	lab, err := winrmtest.ParseLab(examples.DemoLab, "lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	inv := bytes.Replace(examples.DemoInventory, []byte("  AGENT02:\n"), []byte("  AGENT99:\n    address: 127.0.0.99\n  AGENT02:\n"), 1)
	f, err := winrmtest.StartFleet(lab, inv, "inventory.yaml", winrmtest.WithEphemeralPorts())
	if err == nil {
		f.Close()
		t.Fatal("an inventory host the lab lacks was accepted")
	}
	if !strings.Contains(err.Error(), "AGENT99 is not in the lab") {
		t.Errorf("err = %v", err)
	}
}

// Run's WithStarted function can hand out an inventory of the lab it serves
// (what `simulate` needs to write one for other tools).
func TestNewFleetForTheLabRunServes(t *testing.T) {
	t.Parallel()
	lab, err := winrmtest.ParseLab(examples.DemoLab, "lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	invPath := filepath.Join(dir, "inventory.yaml")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var served *winrmtest.Server
	started := func(srv *winrmtest.Server) error {
		served = srv
		f, err := winrmtest.NewFleet(srv, examples.DemoInventory, "inventory.yaml", dir)
		if err != nil {
			return err
		}
		cancel() // stop serving once the inventory is written
		return f.WriteInventory(invPath)
	}
	var out bytes.Buffer
	if err := winrmtest.Run(ctx, lab, &out, winrmtest.WithEphemeralPorts(), winrmtest.WithStarted(started)); err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.Load(invPath)
	if err != nil {
		t.Fatal(err)
	}
	ep, _ := served.Host("CORE01")
	if h := inv.HostByName("CORE01"); h == nil || h.WinRM.Port != ep.HTTPPort || !strings.Contains(out.String(), ep.HTTPURL) {
		t.Errorf("CORE01 in the written inventory: %+v; served at %s", h, ep.HTTPURL)
	}
	if _, err := os.Stat(filepath.Join(dir, "fleet-ca.pem")); err != nil {
		t.Errorf("CA file not left in the fleet directory: %v", err)
	}
}
