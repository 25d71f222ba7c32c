package facts

import (
	_ "embed" // discover.ps1
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// DiscoverScript is discover.ps1: read-only discovery of a Rapid Recovery
// Core through its PowerShell module. Like CollectorScript it is part of the
// contract: it runs through the same bootstrap (the script on stdin, then
// StdinSeparator, then the base64 JSON DiscoverRequest), and the simulator
// answers exactly these bytes.
//
//go:embed discover.ps1
var DiscoverScript string

// DiscoverSchema is the schema on discover.ps1's first line.
const DiscoverSchema = 1

// DefaultRRModule is the name the Core's PowerShell module is imported by
// (Quest, "Rapid Recovery Commands and Scripting Reference Guide",
// "Prerequisites for using PowerShell").
const DefaultRRModule = "RapidRecoveryPowerShellModule"

// DiscoverRequest is discover.ps1's only argument.
type DiscoverRequest struct {
	Schema int `json:"schema"`
	// Module is the module to import.
	Module string `json:"module"`
	// Service is the Core service whose logon account is the Core's account.
	Service string `json:"service"`
}

// Bag is one object a module cmdlet returned: its property names and their
// values as strings. The module's output types are not documented, so the
// script sends every property and the reader picks the ones it knows.
type Bag map[string]string

// DiscoverResponse is what discover.ps1 prints between the markers.
type DiscoverResponse struct {
	Schema       int    `json:"schema"`
	ComputerName string `json:"computerName"`
	// Domain is the DNS domain the Core is joined to ("" in a workgroup);
	// DomainControllers are its DCs' DNS names.
	Domain            string      `json:"domain"`
	DomainControllers []string    `json:"domainControllers"`
	Module            DiscoverMod `json:"module"`
	CoreAccount       string      `json:"coreAccount"`
	Protected         []Bag       `json:"protected"`
	Repositories      []Bag       `json:"repositories"`
	Archives          []Bag       `json:"archives"`
	Replicated        []Bag       `json:"replicated"`
	// Virtualized are Get-VirtualizedServers' machines: Virtual Standby
	// (continuous export) targets.
	Virtualized []Bag       `json:"virtualized"`
	Errors      []StepError `json:"errors"`
}

// DiscoverMod says whether the module was imported.
type DiscoverMod struct {
	Name    string `json:"name"`
	Found   bool   `json:"found"`
	Version string `json:"version"`
	Error   string `json:"error"`
}

// ErrDiscoverOutput is output of discover.ps1 that cannot be read.
var ErrDiscoverOutput = errors.New("discovery output")

// ParseDiscover reads discover.ps1's stdout: the JSON between the markers.
// Unknown fields are ignored and missing ones stay empty; the values are
// checked by whoever uses them.
func ParseDiscover(stdout []byte) (*DiscoverResponse, error) {
	s := string(stdout)
	b := strings.Index(s, BeginMarker)
	if b < 0 {
		return nil, fmt.Errorf("%w: no %s line", ErrDiscoverOutput, BeginMarker)
	}
	rest := s[b+len(BeginMarker):]
	e := strings.Index(rest, EndMarker)
	if e < 0 {
		return nil, fmt.Errorf("%w: no %s line", ErrDiscoverOutput, EndMarker)
	}
	var r DiscoverResponse
	if err := json.Unmarshal([]byte(strings.TrimSpace(rest[:e])), &r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDiscoverOutput, err)
	}
	if r.Schema != DiscoverSchema {
		return nil, fmt.Errorf("%w: schema %d, ntlmscan reads %d", ErrDiscoverOutput, r.Schema, DiscoverSchema)
	}
	return &r, nil
}

// Field returns the first non-empty value among the property names given,
// compared case-insensitively (PowerShell property names are).
func (b Bag) Field(names ...string) string {
	for _, n := range names {
		for k, v := range b {
			if strings.EqualFold(k, n) && strings.TrimSpace(v) != "" {
				return strings.TrimSpace(v)
			}
		}
	}
	return ""
}
