package scanner

import (
	"context"
	"net"
	"strconv"
	"strings"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
	"github.com/ntlmscan/ntlmscan/scanner/smbprobe"
)

// smbAccount is one account some Core uses for a share on a host, and the
// credential the probe may log on with (nil: why not is in note).
type smbAccount struct {
	name string
	cred *inventory.Credential
	note string
}

// smbAccounts lists the distinct accounts the inventory's repositories on h
// use, each with the credentials: entry whose username is that account.
func (s *scan) smbAccounts(h *inventory.Host) []smbAccount {
	var out []smbAccount
	seen := map[string]bool{}
	for _, r := range s.inv.Repositories {
		if r.Host != h || seen[strings.ToLower(r.Account.Name)] {
			continue
		}
		seen[strings.ToLower(r.Account.Name)] = true
		a := smbAccount{name: r.Account.Name}
		switch {
		case r.Account.Kind == inventory.AccountLocalSystem:
			a.note = "the Core presents its computer account (LocalSystem), which ntlmscan cannot log on as"
		default:
			for _, c := range s.inv.Credentials {
				if strings.EqualFold(c.Username, r.Account.Name) {
					a.cred = c
					break
				}
			}
			if a.cred == nil {
				a.note = "no entry under credentials: has username " + r.Account.Name + "; add one (password_env or password_file) for --smb-auth to log on with it"
			}
		}
		out = append(out, a)
	}
	return out
}

// smbProbe probes h's SMB service from this machine: one NEGOTIATE and,
// with SMBAuth, one NTLM logon per repository account (never a second one
// for the same account and host in this run: s.smbAttempts).
func (s *scan) smbProbe(ctx context.Context, h *inventory.Host) *facts.SMBProbe {
	port := h.SMBPort
	if port == 0 {
		port = inventory.DefaultSMBPort
	}
	addr := net.JoinHostPort(h.Address, strconv.Itoa(port))
	out := &facts.SMBProbe{Vantage: facts.VantageController, Target: addr}
	log := s.log.With("host", h.Name, "smb", addr)

	var accounts []smbAccount
	if s.opts.SMBAuth {
		accounts = s.smbAccounts(h)
	}
	// The NEGOTIATE rides with the first account that can log on; the
	// others each need a connection of their own.
	type try struct {
		account string
		cred    *smbprobe.Credential
	}
	var tries []try
	for _, a := range accounts {
		if a.cred == nil {
			out.Auth = append(out.Auth, facts.SMBAuth{Account: a.name, Outcome: facts.SMBAuthNotAttempted, Message: a.note})
			continue
		}
		pw, err := s.passwords.get(a.cred)
		if err != nil {
			out.Auth = append(out.Auth, facts.SMBAuth{Account: a.name, Outcome: facts.SMBAuthNotAttempted,
				Message: "credential " + a.cred.Name + ": " + err.Error()})
			continue
		}
		tries = append(tries, try{a.name, &smbprobe.Credential{Username: a.cred.Username, Password: pw}})
	}
	first := smbprobe.Options{Dial: s.opts.Dial, Attempts: &s.smbAttempts}
	if len(tries) > 0 {
		first.Credential = tries[0].cred
	}
	r, err := smbprobe.Probe(ctx, addr, first)
	if err != nil {
		out.Error = err.Error()
		for _, t := range tries {
			out.Auth = append(out.Auth, facts.SMBAuth{Account: t.account, Outcome: facts.SMBAuthNotAttempted, Message: "no SMB answer"})
		}
		log.Debug("smb probe failed", "error", err)
		return out
	}
	out.SMB1Only = r.SMB1Only
	if !r.SMB1Only {
		out.Dialect = smbprobe.DialectName(r.Dialect)
	}
	out.SigningEnabled, out.SigningRequired = r.SigningEnabled, r.SigningRequired
	out.Capabilities = smbprobe.CapabilityNames(r.Capabilities)
	out.Mechanisms, out.MechanismsError = r.Mechanisms, r.MechanismsError
	for i, t := range tries {
		if i > 0 {
			r, err = smbprobe.Probe(ctx, addr, smbprobe.Options{Dial: s.opts.Dial, Credential: t.cred, Attempts: &s.smbAttempts})
			if err != nil {
				out.Auth = append(out.Auth, facts.SMBAuth{Account: t.account, Outcome: facts.SMBAuthNotAttempted, Message: err.Error()})
				continue
			}
		}
		out.Auth = append(out.Auth, smbAuth(t.account, r))
	}
	log.Debug("smb probe", "dialect", out.Dialect, "smb1_only", out.SMB1Only, "signing_required", out.SigningRequired, "mechanisms", out.Mechanisms)
	return out
}

func smbAuth(account string, r *smbprobe.Result) facts.SMBAuth {
	a := facts.SMBAuth{Account: account}
	if r.Session == nil {
		a.Outcome, a.Message = facts.SMBAuthNotAttempted, r.SessionError
		return a
	}
	a.Status = smbprobe.StatusName(r.Session.Status)
	switch r.Session.Outcome {
	case smbprobe.AuthAccepted:
		a.Outcome = facts.SMBAuthAccepted
	case smbprobe.AuthGuest:
		a.Outcome = facts.SMBAuthGuest
	case smbprobe.AuthWrongCredential:
		a.Outcome = facts.SMBAuthWrongCredential
	case smbprobe.AuthRefusedPolicy:
		a.Outcome = facts.SMBAuthRefusedPolicy
	case smbprobe.AuthAccountProblem:
		a.Outcome = facts.SMBAuthAccountProblem
	default:
		a.Outcome = facts.SMBAuthFailed
	}
	if r.Session.Leg == 1 {
		a.Message = "refused at the NTLM NEGOTIATE: the host does not take NTLM"
	}
	return a
}
