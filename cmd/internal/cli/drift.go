package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/inventory/safetext"
	"github.com/ntlmscan/ntlmscan/scanner"
	"github.com/ntlmscan/ntlmscan/scanner/discovery"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// driftTimeout bounds the drift check on one Core: it is a side check, and
// a Core that answered the collection answers this at once.
const driftTimeout = 20 * time.Second

// driftCheck asks each Core the scan collected what its Rapid Recovery
// module lists and prints the differences from the inventory as warnings.
// It never changes a host's result: a Core without the module, or one that
// fails here, is a debug note. Cores whose collection failed are not asked
// again (no second failed logon for the same credential).
func (o *scanOptions) driftCheck(ctx context.Context, job *scanJob, full *inventory.Inventory, results []facts.HostResult) {
	ok := map[string]bool{}
	for _, r := range results {
		ok[r.Host] = r.Error == nil
	}
	var cores []*inventory.Core
	for _, c := range job.Inventory.Cores {
		if ok[c.Name] {
			cores = append(cores, c)
		}
	}
	if len(cores) == 0 || ctx.Err() != nil {
		return
	}
	log := o.logger()
	var found []*discovery.Core
	for _, d := range scanner.Discover(ctx, job.Inventory, cores, scanner.Options{
		Concurrency: o.Concurrency, HostTimeout: min(o.HostTimeout, driftTimeout), Logger: log,
		Password: job.Password, LookupEnv: o.lookupEnv(), Krb5Conf: job.Krb5Conf,
	}) {
		if d.Error != nil {
			log.Debug("drift check skipped", "host", d.Core.Name, "class", d.Error.Class, "error", d.Error.Message)
			continue
		}
		found = append(found, discovery.Read(d.Core.Name, d.Response))
	}
	for _, d := range discovery.Compare(full, found) {
		// Only the Cores asked: an unlinked agent is validate's warning.
		if d.Core == "" {
			continue
		}
		fmt.Fprintf(o.IO.ErrOut, "ntlmscan: warning: drift: %s\n", safetext.Escape(d.String()))
	}
}
