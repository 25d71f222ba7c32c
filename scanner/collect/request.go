// Package collect is what ntlmscan asks a Windows host and how it reads the
// answer: the fixed collector script (collect.ps1, embedded), the per-host
// request built from the inventory, the command line and stdin that carry
// both to the host, and the strict parsing of what the host prints
// (the contract is scanner/facts' Request and Response).
package collect

import (
	"slices"
	"strings"
	"sync"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// Defaults for what the inventory leaves open. The agent port and the Core
// service name are the inventory's (inventory.DefaultAgentPort,
// inventory.DefaultCoreService): one declaration for the loader, the
// collector and the verdict engine.
const (
	SMBPort             = 445
	DefaultProbeTimeout = 3000 // ms per TCP connect or DNS lookup on the Core
)

// BuildRequest returns what to ask host h: every setting of the settings
// table (facts.Default), the SMB client configuration, the NTLM event log
// (facts.DefaultEvidenceDays) and Credential Guard's state on every host; on
// a Core also its service and reachability probes toward its agents and
// shares.
func BuildRequest(inv *inventory.Inventory, h *inventory.Host) facts.Request {
	return buildRequest(registryKeys(), inv, h)
}

// BuildRequestWith is BuildRequest for another settings table: the host is
// asked every registry value of cat's rows.
func BuildRequestWith(cat *facts.Catalogue, inv *inventory.Inventory, h *inventory.Host) facts.Request {
	if cat == nil {
		cat = facts.Default()
	}
	return buildRequest(cat.RegistryKeys(), inv, h)
}

func buildRequest(keys []facts.RegistryKey, inv *inventory.Inventory, h *inventory.Host) facts.Request {
	req := facts.Request{
		Schema:          facts.SchemaVersion,
		Registry:        keys,
		SMBClientConfig: true,
		PolicySources:   true,
		// Every host: the NTLM log is evidence on the Core (client events),
		// the targets (server events) and the DCs (pass-through events).
		Events:          facts.NewEventQuery(0),
		CredentialGuard: true,
	}
	if core := coreFor(inv, h); core != nil {
		req.Services = serviceNames(core)
		req.Probes = probes(core)
		if len(req.Probes) > 0 {
			req.ProbeTimeoutMS = DefaultProbeTimeout
		}
	}
	return req
}

// registryKeys lists the default table's values in table order, once each.
func registryKeys() []facts.RegistryKey { return slices.Clone(registryKeyList()) }

// registryKeyList is computed once: the table is fixed, and building it
// per host was a visible part of the scanner's per-host setup.
var registryKeyList = sync.OnceValue(func() []facts.RegistryKey { return facts.Default().RegistryKeys() })

// coreFor returns the Core whose host is h, or nil.
func coreFor(inv *inventory.Inventory, h *inventory.Host) *inventory.Core {
	if inv == nil || h == nil {
		return nil
	}
	for _, c := range inv.Cores {
		if c != nil && c.Host != nil && (c.Host == h || strings.EqualFold(c.Host.Name, h.Name)) {
			return c
		}
	}
	return nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

func containsInt(list []int, n int) bool {
	for _, v := range list {
		if v == n {
			return true
		}
	}
	return false
}
