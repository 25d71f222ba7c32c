package scanner

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"golang.org/x/sync/errgroup"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
	"github.com/ntlmscan/ntlmscan/scanner/winrm"
)

// Kerberos verification: for every Core, ask the KDC for a service ticket
// for the SPN the Core would use toward each agent and share it names by
// host name (facts.PathSPN), with the Core's scan credential, and record how
// the KDC answered on the Core's result. The ticket is never presented to
// the target: this only shows whether Kerberos can work for the path.

const (
	// spnCheckTimeout bounds one KDC exchange (gokrb5 has no context).
	spnCheckTimeout = 10 * time.Second
	spnConcurrency  = 8
)

// spnTarget is one SPN to verify for one Core.
type spnTarget struct {
	core int // index into results
	spn  string
	cred *inventory.Credential
	host *inventory.Host
}

// coreSPNs lists, per Core, the SPNs of its paths by host name: an IP
// address gets no Kerberos from Windows by default, so it is not asked.
func coreSPNs(inv *inventory.Inventory) map[*inventory.Host][]string {
	out := map[*inventory.Host][]string{}
	for _, c := range inv.Cores {
		if c == nil || c.Host == nil {
			continue
		}
		seen := map[string]bool{}
		add := func(kind, name string) {
			if name == "" || inventory.IsIPAddress(name) {
				return
			}
			spn := facts.PathSPN(kind, name)
			if !seen[spn] {
				seen[spn] = true
				out[c.Host] = append(out[c.Host], spn)
			}
		}
		for _, a := range c.Agents {
			if a != nil {
				add("agent", a.NameUsed)
			}
		}
		for _, r := range c.Repositories {
			if r != nil {
				add("share", r.ServerName())
			}
		}
		for _, r := range inv.Repositories {
			if r == nil {
				continue
			}
			for _, rc := range r.Cores {
				if rc == c {
					add("share", r.ServerName())
				}
			}
		}
	}
	return out
}

// verifySPNs fills SPNChecks on every Core's result.
func (s *scan) verifySPNs(ctx context.Context, results []facts.HostResult) {
	var work []spnTarget
	spns := coreSPNs(s.inv)
	for i, h := range s.inv.Hosts {
		if !h.Scan {
			continue
		}
		for _, spn := range spns[h] {
			work = append(work, spnTarget{core: i, spn: spn, cred: h.WinRM.Credential, host: h})
		}
	}
	if len(work) == 0 {
		return
	}
	checks := make([]facts.SPNCheck, len(work))
	var g errgroup.Group
	g.SetLimit(spnConcurrency)
	for i, w := range work {
		g.Go(func() error {
			checks[i] = s.verifySPN(ctx, w)
			return nil
		})
	}
	_ = g.Wait()
	for i, w := range work {
		results[w.core].SPNChecks = append(results[w.core].SPNChecks, checks[i])
	}
}

// kerberosCapable says whether a credential can ask a KDC: a keytab, a
// cache, or a password for a domain account (not HOST\user or .\user, a
// local account of host h).
func kerberosCapable(c *inventory.Credential, h *inventory.Host) bool {
	if c == nil {
		return false
	}
	if c.Keytab != "" || c.KerberosCache != "" {
		return true
	}
	user, domain := winrm.SplitUsername(c.Username)
	local := domain == "." || strings.EqualFold(domain, h.Name) || h.NetBIOS != "" && strings.EqualFold(domain, h.NetBIOS)
	return hasPassword(c) && (domain != "" && !local || strings.Contains(user, "@"))
}

func (s *scan) verifySPN(ctx context.Context, w spnTarget) facts.SPNCheck {
	out := facts.SPNCheck{SPN: w.spn}
	if !kerberosCapable(w.cred, w.host) {
		out.Result, out.Detail = facts.SPNNoCredential, "the Core's scan credential is not a domain account with a password, keytab or Kerberos cache"
		return out
	}
	kc, err := s.kerberosClient(w.host, w.cred)
	if err != nil {
		return classifySPNError(out, err)
	}
	type answer struct {
		etype int32
		err   error
	}
	// The ticket request stops with the check's own timeout too (the
	// client then gives up its KDC retries).
	tctx, cancel := context.WithTimeout(ctx, spnCheckTimeout)
	defer cancel()
	ch := make(chan answer, 1)
	go func() {
		tkt, key, err := kc.ServiceTicket(tctx, w.spn)
		et := tkt.EncPart.EType
		if key.KeyType == etypeID.RC4_HMAC {
			et = key.KeyType
		}
		ch <- answer{et, err}
	}()
	timer := time.NewTimer(spnCheckTimeout)
	defer timer.Stop()
	select {
	case a := <-ch:
		if a.err != nil {
			return classifySPNError(out, a.err)
		}
		out.EType = a.etype
		switch a.etype {
		case etypeID.AES128_CTS_HMAC_SHA1_96, etypeID.AES256_CTS_HMAC_SHA1_96, etypeID.AES128_CTS_HMAC_SHA256_128, etypeID.AES256_CTS_HMAC_SHA384_192:
			out.Result = facts.SPNIssuedAES
		case etypeID.RC4_HMAC:
			out.Result, out.Detail = facts.SPNRC4Only, "the KDC issued the ticket with RC4"
		default:
			out.Result, out.Detail = facts.SPNError, "the ticket uses an encryption type that is neither AES nor RC4"
		}
	case <-timer.C:
		out.Result, out.Detail = facts.SPNKDCUnreachable, "the KDC did not answer within "+spnCheckTimeout.String()
	case <-ctx.Done():
		out.Result, out.Detail = facts.SPNError, "the scan was canceled before the KDC answered"
	}
	return out
}

func classifySPNError(out facts.SPNCheck, err error) facts.SPNCheck {
	var ke *winrm.KerberosError
	if !errors.As(err, &ke) {
		var ce *credError
		if errors.As(err, &ce) {
			out.Result, out.Detail = facts.SPNNoCredential, ce.msg
			return out
		}
		out.Result, out.Detail = facts.SPNError, err.Error()
		return out
	}
	out.Detail = ke.Detail
	switch ke.Kind {
	case winrm.KrbSPNUnknown:
		out.Result = facts.SPNUnknown
	case winrm.KrbKDCUnreachable:
		out.Result = facts.SPNKDCUnreachable
	case winrm.KrbUnsupported:
		// The Core's client offered AES only and the KDC has no AES key
		// for the service account: it can issue RC4 at most.
		out.Result, out.Detail = facts.SPNRC4Only, "the KDC has no AES key for this SPN (KDC_ERR_ETYPE_NOSUPP when AES is asked)"
	case winrm.KrbConfig:
		out.Result = facts.SPNNoCredential
	default:
		out.Result = facts.SPNError
	}
	return out
}
