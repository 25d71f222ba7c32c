package winrmtest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// RapidRecovery is a Core's `rapidRecovery` section: what the Rapid
// Recovery PowerShell module lists on it. The simulator answers ntlmscan's
// discovery script (scanner/facts/discover.ps1, byte-exact) from it.
//
// The property names of the module's objects below are UNCONFIRMED (Quest's
// "Rapid Recovery Commands and Scripting Reference Guide" names the cmdlets,
// not their output types): the simulator sends one plausible spelling, and
// ntlmscan's reader accepts several.
type RapidRecovery struct {
	// ModuleAbsent: Import-Module fails, as on a Core without the module.
	ModuleAbsent  bool   `yaml:"moduleAbsent"`
	ModuleVersion string `yaml:"moduleVersion"` // default 6.9.0.0
	// Protected are Get-ProtectedServers' machines.
	Protected []RRProtected `yaml:"protected"`
	// Repositories are Get-Repositories' repositories (their CIFS path).
	Repositories []RRShare `yaml:"repositories"`
	// Archives are Get-ScheduledArchives' archives (their location).
	Archives []RRShare `yaml:"archives"`
	// Replicated are Get-ReplicatedServers' machines.
	Replicated []RRReplicated `yaml:"replicated"`
	// VirtualStandby are Get-VirtualizedServers' machines.
	VirtualStandby []RRVirtual `yaml:"virtualStandby"`
}

// RRVirtual is a machine the Core exports continuously to a hypervisor or
// a path (Virtual Standby).
type RRVirtual struct {
	DisplayName string `yaml:"displayName"`
	Target      string `yaml:"target"` // hypervisor host or \\server\share path
	Type        string `yaml:"type"`   // e.g. HyperV, ESXi, VMware Workstation
}

// RRProtected is one protected machine.
type RRProtected struct {
	DisplayName string `yaml:"displayName"`
	// HostName is exactly what the Core connects to: an FQDN, a NetBIOS
	// name or an IP address.
	HostName string `yaml:"hostName"`
	Port     int    `yaml:"port"`    // default: the Rapid Recovery Agent port
	Account  string `yaml:"account"` // the account the Core uses for it, if any
}

// RRShare is a repository's or archive's CIFS location.
type RRShare struct {
	Name    string `yaml:"name"`
	Path    string `yaml:"path"` // \\server\share[\folder]
	Account string `yaml:"account"`
}

// RRReplicated is a machine replicated to (or from) another Core.
type RRReplicated struct {
	DisplayName string `yaml:"displayName"`
	TargetCore  string `yaml:"targetCore"`
}

// importModuleError is Import-Module's message for a module it cannot find.
func importModuleError(name string) string {
	return fmt.Sprintf("The specified module '%s' was not loaded because no valid module file was found in any module directory.", name)
}

// discoverHeader starts discover.ps1 (and any copy meant to be it).
const discoverHeader = "# NTLMSCAN-DISCOVER"

// isDiscoverScript: the script on stdin means to be the discovery script
// (discover then refuses any copy that is not byte-exact).
func isDiscoverScript(body string) bool {
	return strings.HasPrefix(strings.TrimPrefix(body, "\ufeff"), discoverHeader)
}

// discover runs the bootstrap with the discovery script on stdin: it does
// what discover.ps1 does, with the lab's rapidRecovery section as the
// module's answers.
func (x *executor) discover(stdin []byte) execResult {
	body, reqPart, _ := strings.Cut(string(stdin), facts.StdinSeparator)
	boot := facts.Bootstrap
	if body != facts.DiscoverScript {
		return bootstrapFailure(scriptLine(boot, "[ScriptBlock]::Create", 1), fmt.Sprintf(
			"winrmtest runs only the contract's discovery script (scanner/facts/discover.ps1, %d bytes); the script received on stdin (%d bytes) differs from it at line %d",
			len(facts.DiscoverScript), len(body), firstDifference(body, facts.DiscoverScript)))
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(reqPart))
	if err != nil {
		return bootstrapFailure(scriptLine(boot, "FromBase64String", 1),
			`Exception calling "FromBase64String" with "1" argument(s): "The input is not a valid Base-64 string as it contains a non-base 64 character, more than two padding characters, or an illegal character among the padding characters. "`)
	}
	script := facts.DiscoverScript
	request, err := convertFromJSON(strings.ToValidUTF8(string(raw), "\uFFFD"))
	if err != nil {
		return bootstrapFailure(scriptLine(script, "ConvertFrom-Json -InputObject", 1), err.Error())
	}
	if schema := psProperty(request, "schema"); !psEqualsInt(schema, facts.DiscoverSchema) {
		return bootstrapFailure(scriptLine(script, "throw \"ntlmscan discovery speaks schema", 1),
			fmt.Sprintf("ntlmscan discovery speaks schema %d, the request is schema %s", facts.DiscoverSchema, psString(psProperty(request, "schema"))))
	}
	h := x.hs.h
	module := psString(psProperty(request, "module"))
	service := psString(psProperty(request, "service"))
	resp := facts.DiscoverResponse{
		Schema:            facts.DiscoverSchema,
		ComputerName:      h.Name,
		Module:            facts.DiscoverMod{Name: module},
		Protected:         []facts.Bag{},
		Repositories:      []facts.Bag{},
		Archives:          []facts.Bag{},
		Replicated:        []facts.Bag{},
		Virtualized:       []facts.Bag{},
		Errors:            []facts.StepError{},
		DomainControllers: []string{},
	}
	if h.IsDomainMember() {
		resp.Domain = h.Domain
		for _, o := range x.hs.srv.Lab().Hosts {
			if o.DomainController && strings.EqualFold(o.Domain, h.Domain) {
				resp.DomainControllers = append(resp.DomainControllers, o.FQDN)
			}
		}
	}
	for _, s := range h.Services {
		if strings.EqualFold(s.Name, service) {
			resp.CoreAccount = s.LogonAs
			if resp.CoreAccount == "" {
				resp.CoreAccount = "LocalSystem"
			}
			break
		}
	}
	rr := h.RapidRecovery
	if rr == nil || rr.ModuleAbsent || !strings.EqualFold(module, facts.DefaultRRModule) {
		resp.Module.Error = importModuleError(module)
	} else {
		resp.Module.Found = true
		resp.Module.Version = rr.ModuleVersion
		if resp.Module.Version == "" {
			resp.Module.Version = "6.9.0.0"
		}
		for _, p := range rr.Protected {
			port := p.Port
			if port == 0 {
				port = inventory.DefaultAgentPort
			}
			b := facts.Bag{"DisplayName": p.DisplayName, "HostName": p.HostName, "Port": strconv.Itoa(port)}
			if p.Account != "" {
				b["UserName"] = p.Account
			}
			resp.Protected = append(resp.Protected, b)
		}
		for _, r := range rr.Repositories {
			resp.Repositories = append(resp.Repositories, shareBag(r, "Path"))
		}
		for _, a := range rr.Archives {
			resp.Archives = append(resp.Archives, shareBag(a, "Location"))
		}
		for _, r := range rr.Replicated {
			resp.Replicated = append(resp.Replicated, facts.Bag{"DisplayName": r.DisplayName, "TargetCore": r.TargetCore})
		}
		for _, v := range rr.VirtualStandby {
			resp.Virtualized = append(resp.Virtualized, facts.Bag{"DisplayName": v.DisplayName, "Target": v.Target, "Type": v.Type})
		}
	}
	data, err := json.Marshal(resp)
	if err != nil {
		return bootstrapFailure(scriptLine(boot, "[ScriptBlock]::Create", 1), err.Error())
	}
	var out strings.Builder
	out.WriteString("\r\n" + facts.BeginMarker + "\r\n")
	writeASCIIJSON(&out, data)
	out.WriteString("\r\n" + facts.EndMarker + "\r\n")
	return execResult{stdout: out.String()}
}

func shareBag(s RRShare, pathKey string) facts.Bag {
	b := facts.Bag{"Name": s.Name, pathKey: s.Path}
	if s.Account != "" {
		b["UserName"] = s.Account
	}
	return b
}
