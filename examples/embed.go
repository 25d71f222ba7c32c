// Package examples ships the example files and embeds the demo fleet (the
// simulator lab and the inventory that scans it) into the ntlmscan binary,
// so `ntlmscan demo` needs no files on disk.
package examples

import _ "embed"

// DemoLab is the simulator lab of the demo fleet (lab.yaml).
//
//go:embed lab.yaml
var DemoLab []byte

// DemoInventory is the inventory of the demo fleet (inventory.yaml).
//
//go:embed inventory.yaml
var DemoInventory []byte

// DemoOverlay is a what-if overlay for the demo fleet (assume.yaml).
//
//go:embed assume.yaml
var DemoOverlay []byte

// DemoWaivers is a waivers file for the demo fleet (waivers.yaml).
//
//go:embed waivers.yaml
var DemoWaivers []byte
