// Package readmecheck holds tests that keep the documentation true to the
// code. The help pages (`ntlmscan help <topic>`, cmd/internal/helptopics):
// the error, Kerberos and settings lists are generated from the tables in
// scanner/facts (-update rewrites them, and the settings-by-family list of
// scanner/facts's package documentation), and every error class, CSV
// column, exit code, verdict, evidence state, metric, and every key of the
// inventory, lab, what-if and waiver files the code has is on its page;
// every page fits an 80-column terminal, and every "ntlmscan help NAME"
// names a topic. The developer
// documentation (go doc ./cmd/ntlmscan): every fuzz command runs one target
// that exists, with flags that let it fuzz rather than minimize, and every
// fuzz target in the code is listed. The README stays a guide of under 600
// lines. No Go file names a setting or an error class the tables lack.
// It also checks that every comment (and every Markdown file) cites only
// what a reader of the repository has: its files, or published documents by
// title.
package readmecheck
