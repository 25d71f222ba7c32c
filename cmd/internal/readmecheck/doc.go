// Package readmecheck holds tests that keep the README's commands true to
// the code: every documented fuzz command runs one target that exists, with
// flags that let it fuzz rather than minimize, and every fuzz target in the
// code is documented; the host error, Kerberos and what-if settings tables
// are generated from the tables in scanner/facts (-update rewrites them);
// the CSV column table lists the columns the CSV renderer writes; and no Go
// file names a setting or an error class those tables lack.
// It also checks that every comment (and every Markdown file) cites only
// what a reader of the repository has: its files, or published documents by
// title.
package readmecheck
