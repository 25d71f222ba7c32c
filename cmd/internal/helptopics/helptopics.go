// Package helptopics holds the reference pages that `ntlmscan help <topic>`
// prints: one Markdown file per topic, embedded in the binary, written to be
// read in an 80-column terminal (prose wrapped at 78 columns, tables written
// as definition lists).
//
// The README is the user's guide and points here for reference material;
// tests keep the pages true to the code. Blocks between "<!-- generated:
// NAME ... -->" and "<!-- end generated: NAME -->" are rendered from
// scanner/facts's tables (go test ./cmd/internal/readmecheck -update
// rewrites them); the marker lines themselves are not shown. Other tests
// check a page against the code it describes: every key the inventory,
// what-if and waiver readers accept (inventory, what-if, waivers), every
// lab key (lab), the CSV columns (csv), the verdict order, NTLM need values
// and evidence states (verdicts, evidence), the metrics (metrics), the exit
// codes (exit-codes).
package helptopics

import (
	"embed"
	"strings"
)

//go:embed *.md
var pages embed.FS

// Topic is one help page.
type Topic struct {
	Name  string // what follows `ntlmscan help`, also the file name, with ".md"
	Short string // one line, listed by `ntlmscan help`
}

// topics is the list `ntlmscan help` shows, in this order: files first,
// then what a scan gives, then nightly runs.
var topics = []Topic{
	{"inventory", "Every key of the inventory file"},
	{"discovery", "Building the inventory from the Cores (ntlmscan discover), drift"},
	{"windows", "What ntlmscan needs on the Windows side; first-run checklist"},
	{"kerberos", "Logging on with Kerberos: modes, credentials, krb5.conf, SPNs"},
	{"errors", "Why a host could not be scanned: error classes and fixes"},
	{"config", "Settings file, NTLMSCAN_* variables, precedence, commands"},
	{"limit", "--limit host patterns: scanning part of the estate"},
	{"verdicts", "Glossary: verdicts, NTLM need, evidence states, jargon"},
	{"evidence", "NTLM event reads, Kerberos verification, audit before deny"},
	{"settings", "The NTLM and SMB settings read: registry, GPO names, values"},
	{"what-if", "What-if files (--assume): planned settings, before and after"},
	{"change-plan", "The change plan (ntlmscan plan) and its PowerShell"},
	{"outputs", "Terminal report, filters, HTML, Markdown and summary formats"},
	{"csv", "The CSV report's columns"},
	{"json", "The JSON report and its schema versions"},
	{"smb-probe", "The SMB probe of repository hosts (--smb-probe, --smb-auth)"},
	{"nightly", "Nightly runs: baseline, diff, --fail-on, --output-dir, merge"},
	{"waivers", "Waiver files: accepted problems with an owner and an end date"},
	{"metrics", "--metrics-file: Prometheus metrics for monitoring"},
	{"exit-codes", "What each exit code of ntlmscan means"},
	{"lab", "The simulator's lab file (ntlmscan simulate, demo)"},
}

// All returns every topic, in the order `ntlmscan help` lists them.
func All() []Topic { return append([]Topic(nil), topics...) }

// File is the topic's file name in this package.
func (t Topic) File() string { return t.Name + ".md" }

// Text is the page as `ntlmscan help <topic>` prints it: the file without
// the generated-block marker lines.
func (t Topic) Text() string {
	data, err := pages.ReadFile(t.File())
	if err != nil {
		// Every topic has a file; a test checks it.
		return "ntlmscan: no help page for " + t.Name + "\n"
	}
	var b strings.Builder
	for line := range strings.Lines(string(data)) {
		if IsMarker(line) {
			continue
		}
		b.WriteString(line)
	}
	return b.String()
}

// IsMarker reports whether line is a generated-block marker (an HTML
// comment on a line of its own), which the printed page leaves out.
func IsMarker(line string) bool {
	line = strings.TrimSpace(line)
	return strings.HasPrefix(line, "<!--") && strings.HasSuffix(line, "-->")
}
