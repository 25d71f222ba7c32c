// Package reporttest builds scan reports for tests of report/...: the demo
// fleet of examples/lab.yaml and examples/inventory.yaml as Go values, with
// the verdicts the fleet is designed to produce. The verdicts here are
// hand-written test data (the engine is tested elsewhere); renderers and
// nightly-run functions only need realistic input.
package reporttest

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/verdict"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// Now is the fixed scan time of the demo report.
func Now() time.Time { return time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC) }

// BaselineTime is the scan time of DemoBaseline (the previous night).
func BaselineTime() time.Time { return Now().Add(-24 * time.Hour) }

// Demo returns the demo-fleet report without baseline or waivers.
func Demo() *report.Report {
	return &report.Report{
		Kind:        report.Kind,
		Schema:      report.SchemaVersion,
		RunID:       "20261124T020000Z-7f3a",
		GeneratedAt: Now(),
		ToolVersion: "0.1.0-test",
		Inventory:   "examples/inventory.yaml",
		Options:     report.Options{FailOn: report.FailOnBlocked},
		Hosts:       demoHosts(Now()),
		Matrix: verdict.Matrix{Paths: demoPaths(), HostNotes: demoHostNotes(), Plan: demoPlan(),
			AtRiskEvidence: map[verdict.EvidenceState]int{verdict.EvidenceKerberosRC4: 1, verdict.EvidenceNone: 1},
			UnmatchedEvents: []verdict.HostEvents{{Host: "CORE01", Groups: []facts.EventGroup{{ID: 8001, Counterpart: "HTTP/intranet.corp.example",
				Account: `CORP\jdoe`, Process: `C:\Windows\explorer.exe`, Count: 14, First: Now().Add(-72 * time.Hour), Last: Now().Add(-2 * time.Hour)}}}},
		},
	}
}

// DemoBaseline returns the previous night's report: CORE02 -> NAS01 was
// still ok (the WS2025 SMB client policy arrived today), CORE01 -> AGENT04
// was blocked, and a path to a decommissioned agent still existed.
func DemoBaseline() *report.Report {
	r := Demo()
	r.RunID = "20261123T020000Z-1c9e"
	r.GeneratedAt = BaselineTime()
	r.Hosts = demoHosts(BaselineTime())
	for i := range r.Matrix.Paths {
		p := &r.Matrix.Paths[i]
		switch p.ID {
		case "CORE02|share|NAS01|nas01":
			p.Verdict = verdict.OK
			p.Deciding = nil
			p.Impact = ""
		case "CORE01|agent|AGENT04|agent04.corp.example":
			p.Verdict = verdict.Blocked
			p.Impact = "agent protection and Live Recovery to AGENT04 will fail"
		}
	}
	r.Matrix.Paths = append(r.Matrix.Paths, verdict.Path{
		ID: "CORE01|agent|AGENT09|127.0.0.39", Core: "CORE01", Target: "AGENT09", Kind: verdict.KindAgent, Operations: agentOps,
		NameUsed: "127.0.0.39", NameForm: verdict.NameIP, Port: 8006, Account: `CORP\svc-rapidrecovery`,
		Reachable: "yes", Need: verdict.NeedRequired, NeedWhy: "target named by IP address",
		Verdict: verdict.Blocked, Deciding: ptr(sendingDenyAll()), Reasons: []verdict.Reason{sendingDenyAll()},
		Impact: "agent protection and Live Recovery to AGENT09 will fail",
	})
	// A baseline that itself had a baseline carries first-seen times.
	r.Baseline = &report.Comparison{
		BaselineRunID: "20261122T020000Z-0b11", BaselineGeneratedAt: BaselineTime().Add(-24 * time.Hour),
		CurrentRunID: r.RunID, CurrentGeneratedAt: BaselineTime(),
		History: []report.PathHistory{{
			PathID:    "CORE01|agent|AGENT02|127.0.0.32",
			FirstSeen: time.Date(2026, 10, 1, 2, 0, 0, 0, time.UTC),
			LastSeen:  BaselineTime(),
		}},
	}
	return r
}

// DemoFull returns the demo report compared with DemoBaseline and with the
// waivers of examples/waivers.yaml applied (an active waiver for
// CORE02 -> NAS01 and an expired one for CORE01 -> AGENT02), plus one unused
// waiver. report/waiver tests check Applied against the real example file.
func DemoFull() *report.Report {
	r := Demo()
	r.Waivers = &report.Waivers{
		File: "examples/waivers.yaml",
		Applied: []report.AppliedWaiver{
			{
				PathID: "CORE01|agent|AGENT02|127.0.0.32",
				WaiverRef: report.WaiverRef{
					Line: 14, Match: "core=CORE01 target=AGENT02 kind=agent", Owner: "j.doe@corp.example",
					Reason: "AGENT02 re-registered by FQDN in CHG-2291", Expires: "2026-09-30",
				},
				Expired: true,
			},
			{
				PathID: "CORE02|share|NAS01|nas01",
				WaiverRef: report.WaiverRef{
					Line: 7, Match: "CORE02|share|NAS01|nas01", Owner: "storage-team@corp.example",
					Reason: "NAS01 is replaced by FS02 in CHG-2304; archive jobs to NAS01 are paused", Expires: "2027-12-31",
				},
			},
		},
		Unused: []report.WaiverRef{{
			Line: 24, Match: "core=CORE03 target=AGENT08", Owner: "j.doe@corp.example",
			Reason: "CORE03 decommissioned", Expires: "2027-03-31",
		}},
	}
	r.Baseline = report.Compare(DemoBaseline(), r)
	return r
}

func u64(v uint64) *uint64 { return &v }
func boolp(v bool) *bool   { return &v }

func host(name, addr string, at time.Time, id facts.Identity, reg ...facts.RegistryValue) facts.HostResult {
	return facts.HostResult{
		Host: name, Address: addr, StartedAt: at, Duration: 850 * time.Millisecond, Attempts: 1, RoundTrips: 6,
		Facts: &facts.Response{Schema: facts.SchemaVersion, Identity: id, Registry: reg},
	}
}

func member(netbios, caption string, build, role int) facts.Identity {
	return facts.Identity{
		NetBIOSName: netbios, DNSHostName: strings.ToLower(netbios), Domain: "corp.example", PartOfDomain: true,
		DomainRole: role, OSCaption: caption, OSVersion: "10.0." + strconv.Itoa(build), OSBuild: build,
	}
}

func dword(key, name string, v uint64) facts.RegistryValue {
	return facts.RegistryValue{RegistryKey: facts.RegistryKey{Key: key, Name: name}, Present: true, Type: facts.RegDWORD, DWORD: u64(v)}
}

func multi(key, name string, v ...string) facts.RegistryValue {
	return facts.RegistryValue{RegistryKey: facts.RegistryKey{Key: key, Name: name}, Present: true, Type: facts.RegMultiSZ, Strings: v}
}

func demoHosts(at time.Time) []facts.HostResult {
	const ws2022, ws2019 = "Microsoft Windows Server 2022 Standard", "Microsoft Windows Server 2019 Standard"
	core01 := host("CORE01", "127.0.0.21", at, member("CORE01", ws2022, 20348, facts.RoleMemberServer),
		dword(facts.KeyMSV10, "RestrictSendingNTLMTraffic", 2),
		multi(facts.KeyMSV10, "ClientAllowedNTLMServers", "agent01.corp.example", "AGENT01", "fs01.corp.example", "FS01",
			"agent04.corp.example", "AGENT04", "127.0.0.35"),
		dword(facts.KeyLsa, "LmCompatibilityLevel", 5))
	core01.Facts.Services = []facts.Service{{Name: "RapidRecoveryCore", Present: true, State: "Running", StartMode: "Auto", LogonAs: `CORP\svc-rapidrecovery`}}
	core02 := host("CORE02", "127.0.0.22", at, member("CORE02", "Microsoft Windows Server 2025 Standard", 26100, facts.RoleMemberServer),
		dword(facts.KeyMSV10, "RestrictSendingNTLMTraffic", 1),
		dword(facts.KeyLanmanWksPol, "BlockNTLM", 1),
		multi(facts.KeyLanmanWksPol, "BlockNTLMServerExceptionList", "fs01.corp.example"))
	core02.Facts.SMBClient = &facts.SMBClientConfig{Available: true, BlockNTLM: boolp(true)}
	core02.Facts.Services = []facts.Service{{Name: "RapidRecoveryCore", Present: true, State: "Running", StartMode: "Auto", LogonAs: "LocalSystem"}}
	core02.Facts.Probes = []facts.ProbeResult{{
		Target: "agent06.corp.example", Addresses: []string{"127.0.0.36"},
		Ports: []facts.PortResult{{Port: 8006, Open: false, Error: "timeout", ElapsedMS: 2000}, {Port: 445, Open: false, Error: "timeout", ElapsedMS: 2000}},
	}}
	agent05 := host("AGENT05", "127.0.0.35", at, facts.Identity{
		NetBIOSName: "AGENT05", DNSHostName: "agent05", Domain: "DMZ", DomainRole: facts.RoleStandaloneServer,
		OSCaption: ws2019, OSVersion: "10.0.17763", OSBuild: 17763,
	}, dword(facts.KeyLsa, "LmCompatibilityLevel", 3))
	core03 := host("CORE03", "127.0.0.23", at, facts.Identity{
		NetBIOSName: "CORE03", DNSHostName: "core03", Domain: "DR", DomainRole: facts.RoleStandaloneServer,
		OSCaption: ws2022, OSVersion: "10.0.20348", OSBuild: 20348,
	})
	core03.Facts.Services = []facts.Service{{Name: "RapidRecoveryCore", Present: true, State: "Running", StartMode: "Auto", LogonAs: "LocalSystem"}}
	return []facts.HostResult{
		// Scanner order (completion order), deliberately not sorted.
		core01, core02,
		host("AGENT01", "127.0.0.31", at, member("AGENT01", ws2019, 17763, facts.RoleMemberServer)),
		host("AGENT02", "127.0.0.32", at, member("AGENT02", ws2022, 20348, facts.RoleMemberServer)),
		host("AGENT03", "127.0.0.33", at, member("AGENT03", ws2022, 20348, facts.RoleMemberServer),
			dword(facts.KeyMSV10, "RestrictReceivingNTLMTraffic", 1)),
		host("AGENT04", "127.0.0.34", at, member("AGENT04", "Microsoft Windows Server 2016 Standard", 14393, facts.RoleMemberServer)),
		agent05,
		host("AGENT06", "127.0.0.36", at, member("AGENT06", ws2022, 20348, facts.RoleMemberServer)),
		{
			Host: "AGENT07", Address: "127.0.0.37", StartedAt: at, Duration: 120 * time.Millisecond, Attempts: 1, RoundTrips: 1,
			Error: &facts.HostError{
				Class:   facts.ErrAuthMethod,
				Message: "WinRM on 127.0.0.37:5985 offers only Kerberos; ntlmscan authenticates with NTLM (Negotiate)",
				Hint:    "enable Negotiate on the WinRM service (winrm set winrm/config/service/auth @{Negotiate=\"true\"}) or scan it with Kerberos",
			},
		},
		host("FS01", "127.0.0.41", at, member("FS01", ws2022, 20348, facts.RoleMemberServer),
			dword(facts.KeyLanmanSrvPar, "RequireSecuritySignature", 1)),
		{
			Host: "NAS01", Address: "127.0.0.42", StartedAt: at,
			Error: &facts.HostError{Class: facts.ErrNotScanned, Message: "described in the inventory (platform nas); not scanned"},
		},
		host("DC02", "127.0.0.12", at, member("DC02", ws2022, 20348, facts.RoleBackupDC),
			dword(facts.KeyNetlogon, "RestrictNTLMInDomain", 1),
			multi(facts.KeyNetlogon, "DCAllowedNTLMServers", "AGENT01", "AGENT02", "FS01")),
		host("DC01", "127.0.0.11", at, member("DC01", ws2022, 20348, facts.RolePrimaryDC),
			dword(facts.KeyNetlogon, "AuditNTLMInDomain", 7)),
		// The second-site Core in workgroup DR, last so the indices above
		// stay put.
		core03,
	}
}

func sendingDenyAll() verdict.Reason {
	return verdict.Reason{
		Host: "CORE01", Role: "client", Setting: "RestrictSendingNTLMTraffic",
		GPOName:  "Network security: Restrict NTLM: Outgoing NTLM traffic to remote servers",
		RawValue: "2", ValueLabel: "Deny all", Effect: verdict.EffectBlocks, Event: "4001 on CORE01",
		Explanation: "CORE01 denies outgoing NTLM and 127.0.0.32 matches no entry of ClientAllowedNTLMServers",
		Remediation: &verdict.Remediation{
			Host: "CORE01", Setting: "ClientAllowedNTLMServers", Value: "127.0.0.32",
			PowerShell: `$k='HKLM:\SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0'; $v=@((Get-ItemProperty $k).ClientAllowedNTLMServers)+'127.0.0.32'; Set-ItemProperty $k ClientAllowedNTLMServers -Type MultiString -Value $v`,
			GPOPath:    `Computer Configuration\Windows Settings\Security Settings\Local Policies\Security Options\Network security: Restrict NTLM: Add remote server exceptions for NTLM authentication`,
			Note:       "better: register AGENT02 in the Core by its FQDN so Kerberos is used",
		},
	}
}

func needsIP(core, ip string) verdict.Reason {
	return verdict.Reason{Host: core, Role: "path", Effect: verdict.EffectNeedsNTLM,
		Explanation: "the Core names the agent by IP address " + ip + ": Windows does not try Kerberos (TryIPSPN absent)"}
}

func dc02Deny(target string) verdict.Reason {
	return verdict.Reason{
		Host: "DC02", Role: "domain-controller", Setting: "RestrictNTLMInDomain",
		GPOName:  "Network security: Restrict NTLM: NTLM authentication in this domain",
		RawValue: "1", ValueLabel: "Deny for domain accounts to domain servers", Effect: verdict.EffectBlocks,
		Event:       "4004 on DC02",
		Explanation: "DC02 denies NTLM pass-through for " + target + " (not in DCAllowedNTLMServers); DC01 allows it, so logons fail only when " + target + " uses DC02",
		Remediation: &verdict.Remediation{
			Host: "DC02", Setting: "DCAllowedNTLMServers", Value: target,
			PowerShell: `$k='HKLM:\SYSTEM\CurrentControlSet\Services\Netlogon\Parameters'; $v=@((Get-ItemProperty $k).DCAllowedNTLMServers)+'` + target + `'; Set-ItemProperty $k DCAllowedNTLMServers -Type MultiString -Value $v`,
			GPOPath:    `Computer Configuration\Windows Settings\Security Settings\Local Policies\Security Options\Network security: Restrict NTLM: Add server exceptions in this domain`,
		},
	}
}

func demoPaths() []verdict.Path {
	const (
		svcRR   = `CORP\svc-rapidrecovery`
		core02s = `CORE02$ (LocalSystem)`
	)
	exceptionMatch := verdict.Reason{
		Host: "CORE01", Role: "client", Setting: "ClientAllowedNTLMServers", RawValue: "[agent01.corp.example, AGENT01, …]",
		Effect: verdict.EffectAllows, Explanation: "agent01.corp.example is on CORE01's outgoing exception list",
	}
	agent04AtRisk := dc02Deny("AGENT04")
	agent04AtRisk.Effect = verdict.EffectRisk
	agent04AtRisk.Explanation = "Kerberos expected (FQDN), but if Negotiate falls back to NTLM, DC02 denies pass-through for AGENT04; DC01 allows it"
	agent05Risk := verdict.Reason{
		Host: "CORE01", Role: "client", Setting: "ClientAllowedNTLMServers", RawValue: "127.0.0.35", ValueLabel: "exception",
		Effect: verdict.EffectRisk, Unconfirmed: true,
		Explanation: "the exception matches only by the literal IP 127.0.0.35; whether Windows matches IP entries is UNCONFIRMED (Microsoft documents FQDN and NetBIOS names)",
		Remediation: &verdict.Remediation{
			Host: "CORE01", Setting: "ClientAllowedNTLMServers", Value: "AGENT05",
			PowerShell: `$k='HKLM:\SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0'; $v=@((Get-ItemProperty $k).ClientAllowedNTLMServers)+'AGENT05'; Set-ItemProperty $k ClientAllowedNTLMServers -Type MultiString -Value $v`,
			Note:       "check event 8001/4001 TargetName on CORE01 to see the exact name Windows compares",
		},
	}
	agent03Deny := verdict.Reason{
		Host: "AGENT03", Role: "server", Setting: "RestrictReceivingNTLMTraffic",
		GPOName:  "Network security: Restrict NTLM: Incoming NTLM traffic",
		RawValue: "1", ValueLabel: "Deny all domain accounts", Effect: verdict.EffectBlocks, Event: "4002 on AGENT03",
		Explanation: "AGENT03 refuses NTLM for domain accounts and CORE02 presents CORE02$, a domain account",
		Remediation: &verdict.Remediation{
			Host: "CORE02", Setting: "agent name in Rapid Recovery", Value: "agent03.corp.example",
			PowerShell: "# re-add AGENT03 in the CORE02 console by its FQDN agent03.corp.example so Kerberos is used",
			Note:       "alternatively set RestrictReceivingNTLMTraffic=0 on AGENT03 (weakens its hardening)",
		},
	}
	nasBlock := verdict.Reason{
		Host: "CORE02", Role: "client", Setting: "BlockNTLM",
		GPOName:  "Block NTLM (LM, NTLM, NTLMv2)",
		RawValue: "1", ValueLabel: "enabled", Effect: verdict.EffectBlocks,
		Explanation: "CORE02's SMB client blocks NTLM and nas01 is not in BlockNTLMServerExceptionList",
		Remediation: &verdict.Remediation{
			Host: "CORE02", Setting: "BlockNTLMServerExceptionList", Value: "nas01",
			PowerShell: `$k='HKLM:\SOFTWARE\Policies\Microsoft\Windows\LanmanWorkstation'; $v=@((Get-ItemProperty $k).BlockNTLMServerExceptionList)+'nas01'; Set-ItemProperty $k BlockNTLMServerExceptionList -Type MultiString -Value $v`,
			GPOPath:    `Computer Configuration\Administrative Templates\Network\Lanman Workstation\Block NTLM Server Exception List`,
		},
	}
	unreachable := verdict.Reason{
		Host: "CORE02", Role: "path", Effect: verdict.EffectUnknown,
		Explanation: "CORE02 could not connect to agent06.corp.example (127.0.0.36) on 8006: timeout",
	}
	unknown := verdict.Reason{
		Host: "AGENT07", Role: "server", Effect: verdict.EffectUnknown,
		Explanation: "AGENT07 could not be scanned (auth-method-not-enabled); its incoming NTLM settings are unknown",
	}
	kerberos := func(core, name string) verdict.Reason {
		return verdict.Reason{Host: core, Role: "path", Effect: verdict.EffectInfo,
			Explanation: name + " is a domain member named by FQDN: Kerberos expected; NTLM only if Negotiate falls back"}
	}
	sending := sendingDenyAll()
	replBlock := verdict.Reason{
		Host: "CORE01", Role: "client", Setting: "RestrictSendingNTLMTraffic",
		GPOName:  "Network security: Restrict NTLM: Outgoing NTLM traffic to remote servers",
		RawValue: "2", ValueLabel: "Deny all", Effect: verdict.EffectBlocks, Event: "4001 on CORE01",
		Explanation: "CORE01 denies outgoing NTLM and 127.0.0.23, the address it replicates to, matches no entry of ClientAllowedNTLMServers",
		Remediation: &verdict.Remediation{
			Host: "CORE01", Setting: "ClientAllowedNTLMServers", Value: "127.0.0.23, core03", Add: []string{"127.0.0.23", "core03"},
			PowerShell: `$k = 'HKLM:\SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0'; $l = @((Get-ItemProperty -Path $k -ErrorAction SilentlyContinue).ClientAllowedNTLMServers | Where-Object { $_ }); foreach ($e in @('127.0.0.23','core03')) { if ($l -notcontains $e) { $l += $e } }; Set-ItemProperty -Path $k -Name ClientAllowedNTLMServers -Type MultiString -Value ([string[]]$l)`,
			GPOPath:    `Computer Configuration\Windows Settings\Security Settings\Local Policies\Security Options\Network security: Restrict NTLM: Add remote server exceptions for NTLM authentication`,
			Note:       "Address the target Core by name, and list both name forms: CORE03 is not domain-joined, so NTLM stays required",
		},
	}
	replInfo := verdict.Reason{
		Host: "CORE03", Role: "path", Setting: "replication", RawValue: "CORE01 -> 127.0.0.23:8006", ValueLabel: "replication", Effect: verdict.EffectInfo,
		Explanation: "CORE01 replicates recovery points to the Core service of CORE03 with CORE03\\rr-replication: CORE03 validates the local account itself; whether CORE03 also connects back to CORE01 is UNCONFIRMED",
	}
	paths := []verdict.Path{
		{ID: "CORE01|agent|AGENT01|agent01.corp.example", Core: "CORE01", Target: "AGENT01", Kind: verdict.KindAgent, Operations: agentOps,
			NameUsed: "agent01.corp.example", NameForm: verdict.NameFQDN, Port: 8006, Account: svcRR, Reachable: "yes",
			Need: verdict.NeedFallback, NeedWhy: "FQDN of a domain member", Verdict: verdict.OK,
			Reasons: []verdict.Reason{kerberos("CORE01", "agent01.corp.example"), exceptionMatch}},
		{ID: "CORE01|agent|AGENT02|127.0.0.32", Core: "CORE01", Target: "AGENT02", Kind: verdict.KindAgent, Operations: agentOps,
			NameUsed: "127.0.0.32", NameForm: verdict.NameIP, Port: 8006, Account: svcRR, Reachable: "yes",
			Need: verdict.NeedRequired, NeedWhy: "target named by IP address", Verdict: verdict.Blocked,
			Deciding: &sending, Reasons: []verdict.Reason{needsIP("CORE01", "127.0.0.32"), sending}},
		{ID: "CORE01|agent|AGENT04|agent04.corp.example", Core: "CORE01", Target: "AGENT04", Kind: verdict.KindAgent, Operations: agentOps,
			NameUsed: "agent04.corp.example", NameForm: verdict.NameFQDN, Port: 8006, Account: svcRR, Reachable: "yes",
			Need: verdict.NeedFallback, NeedWhy: "FQDN of a domain member", Verdict: verdict.AtRisk,
			Deciding: &agent04AtRisk, Reasons: []verdict.Reason{kerberos("CORE01", "agent04.corp.example"), agent04AtRisk},
			Evidence: &verdict.Evidence{State: verdict.EvidenceKerberosRC4,
				Summary:  "The KDC issues the ticket for HTTP/agent04.corp.example only with RC4: Kerberos works until RC4 is turned off, then the path falls back to NTLM (give the account AES keys: msDS-SupportedEncryptionTypes, password reset).",
				Kerberos: &facts.SPNCheck{SPN: "HTTP/agent04.corp.example", Result: facts.SPNRC4Only, Detail: "the KDC has no AES key for this SPN (KDC_ERR_ETYPE_NOSUPP when AES is asked)"},
				Auditing: []string{"CORE01: RestrictSendingNTLMTraffic = Audit all (logs every outgoing NTLM logon: 8001/4001)"}}},
		{ID: "CORE01|agent|AGENT05|127.0.0.35", Core: "CORE01", Target: "AGENT05", Kind: verdict.KindAgent, Operations: agentOps,
			NameUsed: "127.0.0.35", NameForm: verdict.NameIP, Port: 8006, Account: `AGENT05\rr-local`, Reachable: "yes",
			Need: verdict.NeedRequired, NeedWhy: "workgroup host, local account, named by IP", Verdict: verdict.AtRisk,
			Deciding: &agent05Risk, Reasons: []verdict.Reason{needsIP("CORE01", "127.0.0.35"), agent05Risk},
			Evidence: &verdict.Evidence{State: verdict.EvidenceNone,
				Summary: "No auditing that would log this path's NTLM is on, so the absence of events proves nothing. Turn on: CORE01: Network security: Restrict NTLM: Outgoing NTLM traffic to remote servers = Audit all (RestrictSendingNTLMTraffic).",
				TurnOn:  []string{"CORE01: Network security: Restrict NTLM: Outgoing NTLM traffic to remote servers = Audit all (RestrictSendingNTLMTraffic)"}}},
		{ID: "CORE01|share|FS01|fs01.corp.example", Core: "CORE01", Target: "FS01", Kind: verdict.KindShare,
			Operations: repoOps, Share: `\\fs01.corp.example\RRRepo`, NameUsed: "fs01.corp.example", NameForm: verdict.NameFQDN, Port: 445,
			Account: svcRR, Reachable: "yes", Need: verdict.NeedFallback, NeedWhy: "FQDN of a domain member", Verdict: verdict.OK,
			Reasons: []verdict.Reason{kerberos("CORE01", "fs01.corp.example")}},
		{ID: "CORE02|agent|AGENT03|127.0.0.33", Core: "CORE02", Target: "AGENT03", Kind: verdict.KindAgent, Operations: agentOps,
			NameUsed: "127.0.0.33", NameForm: verdict.NameIP, Port: 8006, Account: core02s, Reachable: "yes",
			Need: verdict.NeedRequired, NeedWhy: "target named by IP address", Verdict: verdict.Blocked,
			Deciding: &agent03Deny, Reasons: []verdict.Reason{needsIP("CORE02", "127.0.0.33"), agent03Deny}},
		{ID: "CORE02|agent|AGENT04|127.0.0.34", Core: "CORE02", Target: "AGENT04", Kind: verdict.KindAgent, Operations: agentOps,
			NameUsed: "127.0.0.34", NameForm: verdict.NameIP, Port: 8006, Account: core02s, Reachable: "yes",
			Need: verdict.NeedRequired, NeedWhy: "target named by IP address", Verdict: verdict.Blocked,
			Deciding: ptr(dc02Deny("AGENT04")), Reasons: []verdict.Reason{needsIP("CORE02", "127.0.0.34"), dc02Deny("AGENT04")}},
		{ID: "CORE02|agent|AGENT06|agent06.corp.example", Core: "CORE02", Target: "AGENT06", Kind: verdict.KindAgent, Operations: agentOps,
			NameUsed: "agent06.corp.example", NameForm: verdict.NameFQDN, Port: 8006, Account: core02s, Reachable: "no",
			Need: verdict.NeedFallback, NeedWhy: "FQDN of a domain member", Verdict: verdict.Unreachable,
			Deciding: &unreachable, Reasons: []verdict.Reason{unreachable}},
		{ID: "CORE02|agent|AGENT07|agent07.corp.example", Core: "CORE02", Target: "AGENT07", Kind: verdict.KindAgent, Operations: agentOps,
			NameUsed: "agent07.corp.example", NameForm: verdict.NameFQDN, Port: 8006, Account: core02s, Reachable: "yes",
			Need: verdict.NeedFallback, NeedWhy: "FQDN of a domain member", Verdict: verdict.Unknown,
			Deciding: &unknown, Reasons: []verdict.Reason{unknown}},
		{ID: "CORE02|share|FS01|fs01.corp.example", Core: "CORE02", Target: "FS01", Kind: verdict.KindShare,
			Operations: repoOps, Share: `\\fs01.corp.example\RRRepo2`, NameUsed: "fs01.corp.example", NameForm: verdict.NameFQDN, Port: 445,
			Account: core02s, Reachable: "yes", Need: verdict.NeedFallback, NeedWhy: "FQDN of a domain member", Verdict: verdict.OK,
			Reasons: []verdict.Reason{kerberos("CORE02", "fs01.corp.example"), {Host: "CORE02", Role: "client", Setting: "BlockNTLMServerExceptionList",
				RawValue: "[fs01.corp.example]", Effect: verdict.EffectAllows, Explanation: "fs01.corp.example is on CORE02's SMB NTLM exception list"}}},
		{ID: "CORE02|share|NAS01|nas01", Core: "CORE02", Target: "NAS01", Kind: verdict.KindShare,
			Operations: []string{"archive"}, Share: `\\nas01\rr-archive`, NameUsed: "nas01", NameForm: verdict.NameNetBIOS, Port: 445, Account: `NAS01\rrbackup`,
			Reachable: "yes", Need: verdict.NeedRequired, NeedWhy: "workgroup NAS with a local account", Verdict: verdict.Blocked,
			Deciding: &nasBlock, Reasons: []verdict.Reason{{Host: "NAS01", Role: "path", Effect: verdict.EffectNeedsNTLM,
				Explanation: "NAS01 is not in the domain: NTLM with its local account NAS01\\rrbackup"}, nasBlock}},
		{ID: "CORE01|replication|CORE03|127.0.0.23", Core: "CORE01", Target: "CORE03", Kind: verdict.KindReplication, Operations: []string{"replication"},
			NameUsed: "127.0.0.23", NameForm: verdict.NameIP, Port: 8006, Account: `CORE03\rr-replication`, Reachable: "yes",
			Need: verdict.NeedRequired, NeedWhy: "target named by IP address; workgroup Core; local account", Verdict: verdict.Blocked,
			Deciding: &replBlock, Reasons: []verdict.Reason{needsIP("CORE01", "127.0.0.23"), replInfo, replBlock}},
	}
	// What fails on each path that is not ok, as the engine words it.
	impacts := map[string]string{
		"CORE01|agent|AGENT02|127.0.0.32":           "agent protection and Live Recovery to AGENT02 will fail",
		"CORE01|agent|AGENT04|agent04.corp.example": "agent protection and Live Recovery to AGENT04 may fail",
		"CORE01|agent|AGENT05|127.0.0.35":           "agent protection and Live Recovery to AGENT05 may fail",
		"CORE01|replication|CORE03|127.0.0.23":      "replication to CORE03 will fail",
		"CORE02|agent|AGENT03|127.0.0.33":           "agent protection and Live Recovery to AGENT03 will fail",
		"CORE02|agent|AGENT04|127.0.0.34":           "agent protection and Live Recovery to AGENT04 will fail",
		"CORE02|agent|AGENT06|agent06.corp.example": "agent protection and Live Recovery to AGENT06 will fail (not reachable)",
		"CORE02|agent|AGENT07|agent07.corp.example": "agent protection and Live Recovery to AGENT07 may fail",
		"CORE02|share|NAS01|nas01":                  `archive on \\nas01\rr-archive will fail`,
	}
	for i := range paths {
		paths[i].Impact = impacts[paths[i].ID]
	}
	// Matrix order: Core, kind (agent < replication < share), target.
	slices.SortStableFunc(paths, func(a, b verdict.Path) int {
		return cmp.Or(cmp.Compare(a.Core, b.Core), cmp.Compare(a.Kind, b.Kind))
	})
	return paths
}

// The operations of the demo's agent links and repositories (the
// inventory's defaults).
var (
	agentOps = []string{"protection", "live-recovery"}
	repoOps  = []string{"repository", "mountability-check"}
)

// demoPlan is the change plan of the demo fleet (two of its entries).
func demoPlan() []verdict.Change {
	const netlogon = `HKLM\SYSTEM\CurrentControlSet\Services\Netlogon\Parameters`
	return []verdict.Change{
		{
			ID: "CORE01|core-name|AGENT02|127.0.0.32", Kind: verdict.ChangeRename, Host: "CORE01",
			Setting: "name of AGENT02 in the Rapid Recovery Core", Value: "127.0.0.32 -> agent02.corp.example",
			Rename: &verdict.Rename{Core: "CORE01", Target: "AGENT02", From: "127.0.0.32", To: "agent02.corp.example"},
			Notes:  []string{"In the Rapid Recovery Core console on CORE01, re-register AGENT02 as agent02.corp.example instead of 127.0.0.32."},
			Paths:  []string{"CORE01|agent|AGENT02|127.0.0.32"},
		},
		{
			ID: "DC02|DCAllowedNTLMServers", Kind: verdict.ChangeList, Host: "DC02", Setting: "DCAllowedNTLMServers",
			SettingID: "DCAllowedNTLMServers", Key: netlogon, Type: facts.RegMultiSZ,
			Add: []string{"AGENT04", "AGENT03"}, Current: 3, Final: []string{"AGENT01", "AGENT02", "FS01", "AGENT04", "AGENT03"},
			Value:      "add AGENT04, AGENT03 (final list: 5 entries)",
			PowerShell: `$k = 'HKLM:\SYSTEM\CurrentControlSet\Services\Netlogon\Parameters'; $l = @((Get-ItemProperty -Path $k -ErrorAction SilentlyContinue).DCAllowedNTLMServers | Where-Object { $_ }); foreach ($e in @('AGENT04','AGENT03')) { if ($l -notcontains $e) { $l += $e } }; Set-ItemProperty -Path $k -Name DCAllowedNTLMServers -Type MultiString -Value ([string[]]$l)`,
			GPOPath:    `Computer Configuration\Windows Settings\Security Settings\Local Policies\Security Options\Network security: Restrict NTLM: Add server exceptions in this domain`,
			Paths:      []string{"CORE01|agent|AGENT04|agent04.corp.example", "CORE02|agent|AGENT04|127.0.0.34"},
		},
	}
}

func demoHostNotes() []verdict.Reason {
	return []verdict.Reason{{
		Host: "CORE02", Role: "client", Effect: verdict.EffectInfo,
		Explanation: "the RapidRecoveryCore service runs as LocalSystem: toward agents and shares without credentials it presents CORE02$",
	}}
}

func ptr[T any](v T) *T { return &v }

// Small returns a two-path report with a baseline and waivers: a compact
// fuzz seed that still reaches every section of every renderer.
func Small() *report.Report {
	full := DemoFull()
	r := Demo()
	r.Hosts = []facts.HostResult{r.Hosts[0], r.Hosts[8]} // CORE01 and the failed AGENT07
	keep := map[string]bool{"CORE01|agent|AGENT02|127.0.0.32": true, "CORE02|share|NAS01|nas01": true}
	var paths []verdict.Path
	for _, p := range r.Matrix.Paths {
		if keep[p.ID] {
			paths = append(paths, p)
		}
	}
	r.Matrix.Paths = paths
	r.Waivers = full.Waivers
	r.Baseline = report.Compare(DemoBaseline(), r)
	r.Baseline.History = r.Baseline.History[:1]
	return r
}
