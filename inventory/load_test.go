package inventory

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// problemLines renders problems without their hints, for exact comparison.
func problemLines(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error is %T, want *ValidationError: %v", err, err)
	}
	var out []string
	for _, p := range ve.Problems {
		s := fmt.Sprintf("%s:%d: ", p.File, p.Line)
		if p.Field != "" {
			s += p.Field + ": "
		}
		out = append(out, s+p.Message)
	}
	return out
}

func TestLoadBadConfigs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want []string
	}{
		{"invalid-unknown-key", []string{`:24: agents.AGENT01.adress: unknown key "adress"`}},
		{"invalid-password-key", []string{`:8: credentials.scan.password: key "password" is not allowed`}},
		{"invalid-duplicate-key", []string{`:15: cores.CORE01.address: duplicate key "address" (first defined on line 14)`}},
		{"invalid-duplicate-host", []string{`:26: repository_hosts.agent01: host "agent01" is already defined on line 23 (as agent)`}},
		{"invalid-unknown-agent", []string{`:18: cores.CORE01.agents[1].agent: unknown agent "AGENT1"`}},
		{"invalid-agent-role", []string{`:18: cores.CORE01.agents[1].agent: CORE01 cannot protect itself`}},
		{"invalid-local-kerberos", []string{`:25: agents.AGENT01.winrm.auth: auth kerberos cannot use the local account "AGENT01\ntlmscan-local" of credential "agent01-local": only domain accounts get Kerberos tickets`}},
		{"invalid-password-file-not-path", []string{`:8: credentials.scan.password_file: the value does not look like a file path (not shown, in case it is a password)`}},
		{"invalid-duplicate-link", []string{`:18: cores.CORE01.agents[1]: CORE01 already protects AGENT01 (line 17)`}},
		{"invalid-link-name-other-host", []string{`:17: cores.CORE01.agents[0].name: "fs01.corp.example" is a name of FS01, not of AGENT01`}},
		{"invalid-link-missing-name", []string{`:17: cores.CORE01.agents[0]: agent entry has no name:`}},
		{"invalid-link-scalar", []string{`:17: cores.CORE01.agents[0]: an agent entry needs agent: and name:`}},
		{"invalid-unknown-credential", []string{`:4: defaults.winrm.credential: unknown credential "scna"`}},
		{"invalid-unknown-group", []string{`:25: agents.AGENT01.groups: unknown group "site-a"`}},
		{"invalid-address-url", []string{`:24: agents.AGENT01.address: address "http://10.0.0.31:5985/wsman" is a URL`}},
		{"invalid-address-port", []string{`:24: agents.AGENT01.address: address "agent01.corp.example:5985" includes a port`}},
		{"invalid-address-bad-ip", []string{`:24: agents.AGENT01.address: address "10.0.0.310" looks like a malformed IP address`}},
		{"invalid-unc-slashes", []string{`:20: cores.CORE01.repositories.Repo.unc: UNC path "//fs01.corp.example/Repo" uses forward slashes`}},
		{"invalid-unc-no-share", []string{`:20: cores.CORE01.repositories.Repo.unc: UNC path "\\fs01.corp.example" needs both a server and a share name`}},
		{"invalid-unc-share-chars", []string{`:20: cores.CORE01.repositories.Repo.unc: UNC path "\\fs01.corp.example\Re*po" share name contains the character "*"`}},
		{"invalid-unc-other-host", []string{`:21: cores.CORE01.repositories.Repo.unc: "agent01.corp.example" is a name of AGENT01, not of FS01`}},
		{"invalid-unc-unknown-server", []string{`:19: cores.CORE01.repositories.Repo: cannot tell which host serves backup.corp.example`}},
		{"invalid-repo-unknown-host", []string{`:20: cores.CORE01.repositories.Repo.host: unknown host "FS02"`}},
		{"invalid-repo-no-account", []string{`:19: cores.CORE01.repositories.Repo: repository has no account:`}},
		{"invalid-repo-duplicate-unc", []string{`:23: cores.CORE01.repositories.Repo2.unc: CORE01 already uses \\FS01.corp.example\repo (line 20)`}},
		{"invalid-repo-kind", []string{`:22: cores.CORE01.repositories.Repo.kind: unknown kind "archiv"`}},
		{"invalid-transport-reserved", []string{`:5: defaults.winrm.transport: Kerberos is chosen with auth:, not transport:`}},
		{"invalid-auth-unknown", []string{`:5: defaults.winrm.auth: unknown auth "kerbros"`}},
		{"invalid-auth-kerberos", []string{
			`:28: agents.AGENT01.winrm.spn: invalid SPN "HTTP"`,
			`:34: repository_hosts.FS01.winrm.auth: auth kerberos cannot be used with transport basic`,
			`:35: repository_hosts.FS01.winrm.transport: transport basic cannot use the domain account "CORP\svc-ntlmscan" of credential "scan"`,
		}},
		{"invalid-transport-unknown", []string{`:5: defaults.winrm.transport: unknown transport "ntml"`}},
		{"invalid-basic-over-http", []string{
			`:5: defaults.winrm.transport: transport basic would send the password in clear text over HTTP`,
			`:5: defaults.winrm.transport: transport basic cannot use the domain account "CORP\svc-ntlmscan" of credential "scan"`,
		}},
		{"invalid-basic-domain-account", []string{`:5: defaults.winrm.transport: transport basic cannot use the domain account "CORP\svc-ntlmscan" of credential "scan"`}},
		{"invalid-port", []string{`:5: defaults.winrm.port: 70000 is out of range`}},
		{"invalid-port-quoted", []string{`:5: defaults.winrm.port: must be a whole number, not text`}},
		{"invalid-timeout", []string{`:5: defaults.winrm.timeout: invalid duration "soon"`}},
		{"invalid-timeout-range", []string{`:5: defaults.winrm.timeout: timeout 0s is out of range`}},
		{"invalid-bool", []string{`:5: defaults.winrm.https: must be true or false, not "yes"`}},
		{"invalid-ca-without-https", []string{`:5: defaults.winrm.ca_file: applies only to HTTPS, and https is not enabled`}},
		{"invalid-insecure-and-ca", []string{`:7: defaults.winrm.insecure_skip_verify: insecure_skip_verify and ca_file exclude each other`}},
		{"invalid-account-unknown-domain", []string{`:15: cores.CORE01.account: account "PARTNER\svc-rr": "PARTNER" is neither a listed domain nor the computer name of CORE01`}},
		{"invalid-account-no-domain-part", []string{`:15: cores.CORE01.account: account "svc-rr" does not say where it lives`}},
		{"invalid-account-nt-authority", []string{`:15: cores.CORE01.account: account "NT AUTHORITY\NETWORK SERVICE" is not supported`}},
		{"invalid-core-no-account", []string{`:13: cores.CORE01: core has no account`}},
		{"invalid-no-password-source", []string{`:6: credentials.scan: credential has no password source`}},
		{"invalid-two-password-sources", []string{`:6: credentials.scan: credential has more than one password source`}},
		{"invalid-env-var-name", []string{`:8: credentials.scan.password_env: invalid environment variable name`}},
		{"invalid-username", []string{`:7: credentials.scan.username: username "CORP\svc\ntlmscan" has more than one backslash`}},
		{"invalid-kerberos-cache-only", []string{`:4: defaults.winrm.credential: credential "scan" has only Kerberos keys (kerberos_cache or keytab), which ntlm logons cannot use`}},
		{"invalid-no-credential", []string{
			`:11: cores.CORE01: no WinRM credential for CORE01`,
			`:21: agents.AGENT01: no WinRM credential for AGENT01`,
			`:24: repository_hosts.FS01: no WinRM credential for FS01`,
		}},
		{"invalid-domain-not-listed", []string{`:25: agents.AGENT01.domain: domain "partner.example" is not listed under domains:`}},
		{"invalid-domain-and-workgroup", []string{`:26: agents.AGENT01.workgroup: domain and workgroup are both set`}},
		{"invalid-no-membership", []string{
			`:12: cores.CORE01: say whether CORE01 is joined to a domain`,
			`:18: cores.CORE01.repositories.Repo: cannot tell which host serves fs01.corp.example`,
			`:22: agents.AGENT01: say whether AGENT01 is joined to a domain`,
			`:25: repository_hosts.FS01: say whether FS01 is joined to a domain`,
		}},
		{"invalid-described-no-membership", []string{`:28: repository_hosts.NAS01: say whether the described host NAS01 is joined to a domain`}},
		{"invalid-described-platform", []string{`:31: repository_hosts.NAS01.described.platform: unknown platform "synology"`}},
		{"invalid-described-winrm", []string{`:30: repository_hosts.NAS01.winrm: a described host is not scanned, so winrm settings do not apply`}},
		{"invalid-described-lm", []string{`:32: repository_hosts.NAS01.described.lm_compatibility_level: 6 is out of range`}},
		{"invalid-no-cores", []string{`:0: cores: the inventory has no cores`}},
		{"invalid-trust-unlisted", []string{`:12: domains.corp.example.trusts: trusted domain "partner.example" is not listed under domains:`}},
		{"invalid-domain-netbios", []string{
			`:11: domains.corp.example.netbios: NetBIOS domain name "CORP.EXAMPLE" contains the character "."`,
			`:15: cores.CORE01.account: account "CORP\svc-rr": "CORP" is neither a listed domain nor the computer name of CORE01`,
			`:21: cores.CORE01.repositories.Repo.account: account "CORP\svc-rr": "CORP" is neither a listed domain nor the computer name of FS01`,
		}},
		{"invalid-fqdn", []string{`:25: agents.AGENT01.fqdn: fqdn "agent01" has no domain part`}},
		{"invalid-netbios-long", []string{`:25: agents.AGENT01.netbios: NetBIOS name "AGENT01-WITH-A-LONG-NAME" is longer than 15 characters`}},
		{"invalid-duplicate-address", []string{`:26: repository_hosts.FS01.address: FS01 has the same WinRM address 10.0.0.31:5985 as AGENT01 (line 23)`}},
		{"invalid-duplicate-fqdn", []string{
			`:19: cores.CORE01.repositories.Repo: cannot tell which host serves fs01.corp.example`,
			`:26: repository_hosts.FS01.fqdn: FS01 has the same FQDN agent01.corp.example as AGENT01 (line 23)`,
		}},
		{"invalid-no-address", []string{`:23: agents.AGENT01: no address and no FQDN to reach AGENT01 at`}},
		{"invalid-host-name", []string{
			`:17: cores.CORE01.agents[0].agent: unknown agent "AGENT01"`,
			`:23: agents.AGENT 01: invalid host name "AGENT 01"`,
		}},
		{"invalid-version", []string{`:1: version: unsupported version "2"`}},
		{"invalid-yaml-syntax", []string{`:22: invalid YAML: did not find expected key`}},
		{"invalid-yaml-tab", []string{`:24: invalid YAML: found character that cannot start any token`}},
		{"invalid-multiple-documents", []string{`:28: the file holds more than one YAML document`}},
		{"invalid-empty", []string{`:0: the inventory file is empty`}},
		{"invalid-top-level-list", []string{`:1: the file must be a mapping (key: value pairs), not a list`}},
		{"invalid-section-type", []string{
			`:17: cores.CORE01.agents[0].agent: unknown agent "AGENT01"`,
			`:23: agents: must be a mapping (key: value pairs), not a list`,
		}},
		{"invalid-tags", []string{`:25: agents.AGENT01.tags: invalid tag "not ok"`}},
		{"invalid-smb-port", []string{`:29: repository_hosts.FS01.smb_port: 0 is out of range`}},
		{"invalid-smb-port-agent", []string{`:26: agents.AGENT01.smb_port: smb_port is only for repository_hosts`}},
		{"invalid-merge-key", []string{`:24: agents.AGENT01: merge key '<<' needs a mapping or a list of mappings`}},
		{"invalid-repl-unknown-core", []string{`:26: cores.CORE01.replication[0].core: unknown core "CORE3"`}},
		{"invalid-repl-not-core", []string{`:26: cores.CORE01.replication[0].core: AGENT01 is an inventory agent, not a core`}},
		{"invalid-repl-self", []string{`:26: cores.CORE01.replication[0].core: CORE01 cannot replicate to itself`}},
		{"invalid-repl-duplicate", []string{`:27: cores.CORE01.replication[1]: CORE01 already replicates to CORE03 (line 26)`}},
		{"invalid-repl-missing-keys", []string{
			`:26: cores.CORE01.replication[0]: replication entry has no core:`,
			`:26: cores.CORE01.replication[0]: replication entry has no name:`,
			`:26: cores.CORE01.replication[0]: replication entry has no account:`,
		}},
		{"invalid-repl-localsystem", []string{`:26: cores.CORE01.replication[0].account: replication does not use LocalSystem`}},
		{"invalid-repl-scalar", []string{`:26: cores.CORE01.replication[0]: a replication entry needs core:, name: and account:`}},
		{"invalid-repl-name-other-host", []string{`:26: cores.CORE01.replication[0].name: "10.0.0.31" is a name of AGENT01, not of CORE03`}},
		{"invalid-operation-unknown", []string{`:20: cores.CORE01.agents[0].operations: unknown operation "virtual-stanby"`}},
		{"invalid-operation-wrong-kind", []string{`:20: cores.CORE01.agents[0].operations: operation "replication" does not run over a link to an agent`}},
		{"invalid-operation-repeated", []string{`:25: cores.CORE01.repositories.Repo.operations: operation "repository" is listed twice`}},
		{"invalid-operation-empty", []string{`:25: cores.CORE01.repositories.Repo.operations: is empty`}},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		seen[tc.file] = true
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join("testdata", tc.file+".yaml")
			inv, err := Load(path)
			if err == nil {
				t.Fatalf("Load(%s) succeeded, want errors", path)
			}
			if inv != nil {
				t.Errorf("Load returned an inventory together with an error")
			}
			checkProblems(t, err, path, tc.want)
			ve, _ := AsValidationError(err)
			// Error() is what `ntlmscan validate` prints: one problem per line.
			if lines := strings.Split(err.Error(), "\n"); len(lines) != len(ve.Problems) {
				t.Errorf("Error() has %d lines for %d problems", len(lines), len(ve.Problems))
			}
		})
	}
	// Every invalid-*.yaml file must be covered by the table.
	files, _ := filepath.Glob(filepath.Join("testdata", "invalid-*.yaml"))
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".yaml"); !seen[name] {
			t.Errorf("%s has no entry in TestLoadBadConfigs", f)
		}
	}
}

// A file with many different problems reports all of them in one run.
func TestAllProblemsAtOnce(t *testing.T) {
	t.Parallel()
	const file = `defaults:
  domain: corp.example
  winrm:
    credential: scan
    transport: ntml
credentials:
  scan:
    username: CORP\svc-ntlmscan
    password: hunter2
domains:
  corp.example:
    netbios: CORP
cores:
  CORE01:
    address: 10.0.0.21
    acount: CORP\svc-rr
    agents:
      - {agent: AGENT01, name: agent01.corp.example, port: 0}
      - {agent: AGENT09, name: 10.0.0.39}
    repositories:
      Repo:
        unc: //fs01/Repo
        account: CORP\svc-rr
agents:
  AGENT01:
    address: 10.0.0.31
    winrm: {https: maybe}
  AGENT01:
    address: 10.0.0.32
repository_hosts:
  FS01: {address: "http://fs01"}
`
	_, err := Parse([]byte(file), "broken.yaml")
	got := problemLines(t, err)
	want := []string{
		`broken.yaml:5: defaults.winrm.transport: unknown transport "ntml"`,
		`broken.yaml:9: credentials.scan.password: key "password" is not allowed`,
		`broken.yaml:16: cores.CORE01.acount: unknown key "acount"`,
		`broken.yaml:18: cores.CORE01.agents[0].port: 0 is out of range`,
		`broken.yaml:19: cores.CORE01.agents[1].agent: unknown agent "AGENT09"`,
		`broken.yaml:22: cores.CORE01.repositories.Repo.unc: UNC path "//fs01/Repo" uses forward slashes`,
		`broken.yaml:27: agents.AGENT01.winrm.https: must be true or false, not "maybe"`,
		`broken.yaml:28: agents.AGENT01: duplicate key "AGENT01" (first defined on line 25)`,
		`broken.yaml:31: repository_hosts.FS01.address: address "http://fs01" is a URL`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error output contains the password: %s", err)
	}
}

func TestSecretValueNeverEchoed(t *testing.T) {
	t.Parallel()
	for _, key := range []string{"password", "Password", "secret", "token"} {
		t.Run(key, func(t *testing.T) {
			data, err := os.ReadFile("testdata/valid-minimal.yaml")
			if err != nil {
				t.Fatal(err)
			}
			doc := strings.Replace(string(data), "    password_env: NTLMSCAN_PASSWORD\n",
				"    password_env: NTLMSCAN_PASSWORD\n    "+key+": \"Sup3r-S3cret!\"\n", 1)
			_, err = Parse([]byte(doc), "secret.yaml")
			if err == nil {
				t.Fatal("Parse accepted a password in the file")
			}
			if strings.Contains(err.Error(), "Sup3r-S3cret!") {
				t.Errorf("error echoes the secret: %s", err)
			}
			if !strings.Contains(err.Error(), "password_env") {
				t.Errorf("error does not point to password_env: %s", err)
			}
		})
	}
}

func TestParseValidMinimal(t *testing.T) {
	t.Parallel()
	inv, err := Load("testdata/valid-minimal.yaml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	got := inv.Summary()
	want := Summary{Cores: 1, Agents: 1, RepositoryHosts: 1, Domains: 1, Repositories: 1, AgentPaths: 1, SharePaths: 1, Scanned: 3}
	if got != want {
		t.Errorf("Summary = %+v, want %+v", got, want)
	}
	if s := got.String(); s != "1 core, 1 agent, 1 repository host, 0 domain controllers (1 domain); 1 repository; 2 paths (1 agent, 1 share); 3 hosts to scan" {
		t.Errorf("Summary.String() = %q", s)
	}
	fs01 := inv.HostByName("fs01")
	if fs01 == nil || inv.Repositories[0].Host != fs01 {
		t.Fatalf("repository host not inferred from the UNC path: %+v", inv.Repositories[0])
	}
	if inv.Repositories[0].Server != "fs01.corp.example" || inv.Repositories[0].Kind != "repository" {
		t.Errorf("repository = %+v", inv.Repositories[0])
	}
}

// TestDefaultsLayering checks defaults -> groups -> host for WinRM settings
// and membership, and the derived names.
func TestDefaultsLayering(t *testing.T) {
	t.Parallel()
	const file = `defaults:
  domain: corp.example
  agent_port: 9006
  winrm: {credential: scan, timeout: 30s}
credentials:
  scan: {username: CORP\svc-ntlmscan, password_env: NTLMSCAN_PASSWORD}
  other: {username: CORP\svc-other, password_file: secrets/other.pw}
domains:
  corp.example: {netbios: CORP, trusts: [b.corp.example]}
  b.corp.example: {netbios: CORPB, forest: corp.example}
groups:
  site-b:
    domain: b.corp.example
    tags: [berlin]
    winrm: {https: true, ca_file: ca/site-b.pem}
  slow:
    winrm: {timeout: 5m, credential: other}
cores:
  CORE01:
    account: svc-rr@corp.example
    agents:
      - {agent: AGENT01, name: AGENT01}
      - {agent: agent02.b.corp.example, name: 10.0.0.32, port: 7006, account: .\rr-local}
agents:
  AGENT01: {}
  agent02.b.corp.example:
    groups: [site-b, slow]
    address: 10.0.0.32
    winrm: {port: 15986, tls_server_name: agent02.b.corp.example}
`
	inv, err := Parse([]byte(file), "/etc/ntlmscan/inventory.yaml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	a1 := inv.HostByName("AGENT01")
	if a1.FQDN != "agent01.corp.example" || a1.NetBIOS != "AGENT01" || a1.Address != "agent01.corp.example" || a1.Domain != "corp.example" {
		t.Errorf("AGENT01 names = fqdn %q netbios %q address %q domain %q", a1.FQDN, a1.NetBIOS, a1.Address, a1.Domain)
	}
	if a1.WinRM.Port != 5985 || a1.WinRM.HTTPS || a1.WinRM.Timeout != 30*time.Second || a1.WinRM.Credential.Name != "scan" || a1.WinRM.Transport != TransportNTLM {
		t.Errorf("AGENT01 WinRM = %+v", a1.WinRM)
	}
	a2 := inv.HostByName("AGENT02.B.CORP.EXAMPLE")
	if a2 == nil {
		t.Fatal("HostByName is not case-insensitive")
	}
	if a2.FQDN != "agent02.b.corp.example" || a2.NetBIOS != "AGENT02" || a2.Domain != "b.corp.example" {
		t.Errorf("agent02 names = fqdn %q netbios %q domain %q", a2.FQDN, a2.NetBIOS, a2.Domain)
	}
	wantW := WinRM{Transport: TransportNTLM, Auth: AuthNTLM, Port: 15986, HTTPS: true, CAFile: "/etc/ntlmscan/ca/site-b.pem",
		TLSServerName: "agent02.b.corp.example", Timeout: 5 * time.Minute, Credential: inv.Credentials["other"]}
	if a2.WinRM != wantW {
		t.Errorf("agent02 WinRM = %+v\nwant %+v", a2.WinRM, wantW)
	}
	if !a2.HasTag("site-b") || !a2.HasTag("SLOW") || !a2.HasTag("berlin") || a2.HasTag("site-a") {
		t.Errorf("agent02 tags = %v", a2.Tags)
	}
	if got := inv.Credentials["other"].PasswordFile; got != "/etc/ntlmscan/secrets/other.pw" {
		t.Errorf("password_file = %q, want it relative to the inventory", got)
	}
	core := inv.Cores[0]
	if core.Account != (Account{Kind: AccountDomain, Name: "svc-rr@corp.example", Domain: "corp.example"}) {
		t.Errorf("core account = %+v", core.Account)
	}
	l1, l2 := core.Agents[0], core.Agents[1]
	if l1.Port != 9006 || l1.AccountOverride || l1.Account != core.Account || ClassifyName(l1.Agent, l1.NameUsed) != FormNetBIOS {
		t.Errorf("link 1 = %+v", l1)
	}
	if l2.Port != 7006 || !l2.AccountOverride || l2.Account != (Account{Kind: AccountLocal, Name: `AGENT02\rr-local`}) || ClassifyName(l2.Agent, l2.NameUsed) != FormIP {
		t.Errorf("link 2 = %+v", l2)
	}
	if d := inv.DomainByName("CORPB"); d == nil || d.ForestRoot() != "corp.example" || d.Implicit {
		t.Errorf("DomainByName(CORPB) = %+v", d)
	}
	if d := inv.DomainByName("corp.example"); d.ForestRoot() != "corp.example" || len(d.Trusts) != 1 {
		t.Errorf("corp.example = %+v", d)
	}
	if got := core.ServiceNames; len(got) != 1 || got[0] != DefaultCoreService {
		t.Errorf("ServiceNames = %v", got)
	}
}

func TestAccounts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		account string
		want    Account
		problem string
	}{
		{account: `CORP\svc-rr`, want: Account{Kind: AccountDomain, Name: `CORP\svc-rr`, Domain: "corp.example"}},
		{account: `corp.example\svc-rr`, want: Account{Kind: AccountDomain, Name: `corp.example\svc-rr`, Domain: "corp.example"}},
		{account: `svc-rr@CORP.example`, want: Account{Kind: AccountDomain, Name: `svc-rr@CORP.example`, Domain: "corp.example"}},
		{account: `svc-rr@upn.example`, want: Account{Kind: AccountDomain, Name: `svc-rr@upn.example`, Domain: "upn.example"}},
		{account: `LocalSystem`, want: Account{Kind: AccountLocalSystem, Name: "LocalSystem", Domain: "corp.example"}},
		{account: `NT AUTHORITY\SYSTEM`, want: Account{Kind: AccountLocalSystem, Name: "LocalSystem", Domain: "corp.example"}},
		{account: `FS01\rrbackup`, want: Account{Kind: AccountLocal, Name: `FS01\rrbackup`}},
		{account: `fs01\rrbackup`, want: Account{Kind: AccountLocal, Name: `fs01\rrbackup`}},
		{account: `.\rrbackup`, want: Account{Kind: AccountLocal, Name: `FS01\rrbackup`}},
		{account: `{name: CORP\svc-rr, protected_users: true}`, want: Account{Kind: AccountDomain, Name: `CORP\svc-rr`, Domain: "corp.example", ProtectedUsers: true}},
		{account: `OTHER\svc`, problem: `"OTHER" is neither a listed domain nor the computer name of FS01`},
		{account: `svc-rr`, problem: `does not say where it lives`},
		{account: `CORP\`, problem: `needs text on both sides of the backslash`},
		{account: `CORP\svc<rr>`, problem: `contains a character Windows does not allow`},
		{account: `{name: .\rr, protected_users: true}`, problem: `protected_users does not apply to the local account`},
		{account: `{protected_users: true}`, problem: `account needs a name`},
	}
	for _, tc := range tests {
		t.Run(tc.account, func(t *testing.T) {
			t.Parallel()
			doc := strings.Replace(mustRead(t, "testdata/valid-minimal.yaml"), "        account: CORP\\svc-rr\n", "        account: "+tc.account+"\n", 1)
			inv, err := Parse([]byte(doc), "accounts.yaml")
			if tc.problem != "" {
				if err == nil || !strings.Contains(err.Error(), tc.problem) {
					t.Fatalf("err = %v, want %q", err, tc.problem)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := inv.Repositories[0].Account; got != tc.want {
				t.Errorf("account = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAnchorsAndMergeKeys(t *testing.T) {
	t.Parallel()
	doc := mustRead(t, "testdata/valid-minimal.yaml") + `  FS02:
    <<: &fs {domain: corp.example, tags: [files]}
    address: 10.0.0.42
  FS03:
    <<: *fs
    address: 10.0.0.43
    tags: [other]
`
	inv, err := Parse([]byte(doc), "anchors.yaml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if h := inv.HostByName("FS02"); !h.HasTag("files") {
		t.Errorf("FS02 tags = %v", h.Tags)
	}
	if h := inv.HostByName("FS03"); h.HasTag("files") || !h.HasTag("other") || h.Domain != "corp.example" {
		t.Errorf("FS03 = tags %v domain %q; explicit keys must win over merged ones", h.Tags, h.Domain)
	}
}

// Nested merge keys expand exponentially; validation must stop, not hang.
func TestAliasExpansionBounded(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("a0: &a0 {description: x}\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&b, "a%d: &a%d {<<: [*a%d, *a%d]}\n", i, i, i-1, i-1)
	}
	b.WriteString("cores:\n  CORE01:\n    <<: *a30\n")
	_, err := Parse([]byte(b.String()), "bomb.yaml")
	if err == nil || !strings.Contains(err.Error(), "expands to more than") {
		t.Fatalf("err = %v, want the expansion limit", err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want a not-exist error", err)
	}
}

func TestTooManyProblemsCapped(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("cores:\n")
	for i := range maxProblems + 50 {
		fmt.Fprintf(&b, "  C%d: {bogus: 1}\n", i)
	}
	_, err := Parse([]byte(b.String()), "many.yaml")
	ve, ok := AsValidationError(err)
	if !ok {
		t.Fatalf("err = %v", err)
	}
	if len(ve.Problems) != maxProblems+1 || !strings.Contains(ve.Problems[maxProblems].Message, "more problems not shown") {
		t.Errorf("got %d problems, last %q", len(ve.Problems), ve.Problems[len(ve.Problems)-1].Message)
	}
}

// largeInventory builds an estate of n agents spread over 10 Cores.
func largeInventory(n int) []byte {
	var b strings.Builder
	b.WriteString("defaults:\n  domain: corp.example\n  winrm: {credential: scan}\ncredentials:\n  scan: {username: CORP\\svc, password_env: PW}\ndomains:\n  corp.example: {netbios: CORP}\ncores:\n")
	for c := range 10 {
		fmt.Fprintf(&b, "  CORE%02d:\n    account: CORP\\svc-rr\n    agents:\n", c)
		for a := c; a < n; a += 10 {
			fmt.Fprintf(&b, "      - {agent: AGENT%05d, name: agent%05d.corp.example}\n", a, a)
		}
	}
	b.WriteString("agents:\n")
	for a := range n {
		fmt.Fprintf(&b, "  AGENT%05d: {address: 10.%d.%d.%d, tags: [t%d]}\n", a, a/65536, a/256%256, a%256, a%7)
	}
	return []byte(b.String())
}

func TestLargeInventoryWithinBudget(t *testing.T) {
	t.Parallel()
	inv, err := Parse(largeInventory(5000), "large.yaml")
	if err != nil {
		t.Fatalf("a 5000-agent inventory must load: %v", err)
	}
	if s := inv.Summary(); s.Agents != 5000 || s.AgentPaths != 5000 {
		t.Errorf("summary = %s", s)
	}
}

func BenchmarkParse1000Agents(b *testing.B) {
	data := largeInventory(1000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data, "large.yaml"); err != nil {
			b.Fatal(err)
		}
	}
}

// checkProblems compares a file's problems with want (each prefixed with the
// file's path) and requires a hint on every one.
func checkProblems(t *testing.T, err error, path string, want []string) {
	t.Helper()
	got := problemLines(t, err)
	full := make([]string, len(want))
	for i, w := range want {
		full[i] = path + w
	}
	if strings.Join(got, "\n") != strings.Join(full, "\n") {
		t.Errorf("problems:\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(full, "\n      "))
	}
	ve, _ := AsValidationError(err)
	for _, p := range ve.Problems {
		if p.Hint == "" {
			t.Errorf("problem without a hint: %s", p.Error())
		}
	}
}

// TestAuthLayering: auth: and spn: layer like the other winrm keys, and a
// keytab credential is accepted for a Kerberos host.
func TestAuthLayering(t *testing.T) {
	inv, err := Load("testdata/valid-auth.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host string
		auth AuthMode
		spn  string
		cred string
	}{
		{"CORE01", AuthAuto, "", "scan"},
		{"AGENT01", AuthKerberos, "HTTP/agent01-alias.corp.example", "krb"},
		{"FS01", AuthAuto, "", "scan"},
	}
	for _, tt := range tests {
		w := inv.HostByName(tt.host).WinRM
		if w.Auth != tt.auth || w.SPN != tt.spn || w.Credential.Name != tt.cred {
			t.Errorf("%s: auth %q spn %q credential %q, want %q %q %q", tt.host, w.Auth, w.SPN, w.Credential.Name, tt.auth, tt.spn, tt.cred)
		}
	}
	if kt := inv.Credentials["krb"].Keytab; kt != filepath.Join("testdata", "svc.keytab") {
		t.Errorf("keytab path %q, want it resolved against the inventory's directory", kt)
	}
}

// TestSPNWithPort: an SPN may name the port (HTTP/host:5986, what a client
// asks for with IncludePortInSPN when the SPN is registered that way).
func TestSPNWithPort(t *testing.T) {
	data, err := os.ReadFile("testdata/valid-auth.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		spn   string
		valid bool
	}{
		{"HTTP/agent01-alias.corp.example:5986", true},
		{"WSMAN/agent01-alias.corp.example", true},
		{"HTTP/agent01-alias.corp.example:", false},
		{"HTTP/agent01-alias.corp.example:http", false},
		{"HTTP/agent01-alias.corp.example:70000", false},
	} {
		text := strings.Replace(string(data), "spn: HTTP/agent01-alias.corp.example", "spn: \""+tt.spn+"\"", 1)
		inv, err := Parse([]byte(text), "valid-auth.yaml")
		switch {
		case tt.valid && err != nil:
			t.Errorf("spn %s: %v", tt.spn, err)
		case tt.valid && inv.HostByName("AGENT01").WinRM.SPN != tt.spn:
			t.Errorf("spn %s read as %q", tt.spn, inv.HostByName("AGENT01").WinRM.SPN)
		case !tt.valid && (err == nil || !strings.Contains(err.Error(), "invalid SPN")):
			t.Errorf("spn %s: error %v, want invalid SPN", tt.spn, err)
		}
	}
}

// smb_port sets where a repository host's SMB service is probed; 445 is the
// default, and hosts of other roles have none.
func TestSMBPort(t *testing.T) {
	t.Parallel()
	base, err := os.ReadFile(filepath.Join("testdata", "invalid-port.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	file := strings.Replace(string(base), "    port: 70000\n", "", 1)
	for _, tc := range []struct {
		extra string
		want  int
	}{{"", 445}, {"    smb_port: 44501\n", 44501}} {
		inv, err := Parse([]byte(file+tc.extra), "inv.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if got := inv.HostByName("FS01").SMBPort; got != tc.want {
			t.Errorf("smb_port %q: SMBPort %d, want %d", tc.extra, got, tc.want)
		}
		if got := inv.HostByName("AGENT01").SMBPort; got != 0 {
			t.Errorf("agent SMBPort %d, want 0", got)
		}
	}
}

// TestPasswordFileValueNeverEchoed: a password_file value that is not a
// path (likely the password itself) is refused without being shown.
func TestPasswordFileValueNeverEchoed(t *testing.T) {
	t.Parallel()
	_, err := Load("testdata/invalid-password-file-not-path.yaml")
	if err == nil {
		t.Fatal("accepted")
	}
	if ve, ok := AsValidationError(err); !ok || strings.Contains(ve.Error(), "Hunter2") {
		t.Fatalf("the value was echoed or the error is not a validation error: %v", err)
	}
	for _, ok := range []string{"/etc/ntlmscan/scan.password", `C:\secrets\pw.txt`, "scan.password", "./pw"} {
		if !looksLikePath(ok) {
			t.Errorf("%q is a path", ok)
		}
	}
}

// TestMultiRoleHosts: a file server (or DC) that is also protected by a
// Core keeps its role and is the link's agent.
func TestMultiRoleHosts(t *testing.T) {
	t.Parallel()
	inv, err := Load("testdata/valid-multi-role.yaml")
	if err != nil {
		t.Fatal(err)
	}
	l := inv.Cores[0].Agents[1]
	if l.Agent.Name != "FS01" || l.Agent.Role != RoleRepositoryHost || l.NameUsed != "fs01.corp.example" {
		t.Errorf("link %+v", l)
	}
}
