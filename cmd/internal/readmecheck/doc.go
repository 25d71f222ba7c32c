// Package readmecheck holds tests that keep the README's commands true to
// the code: every documented fuzz command runs one target that exists, with
// flags that let it fuzz rather than minimize, and every fuzz target in the
// code is documented; the host error table lists every error class and the
// CSV column table the columns the CSV renderer writes. It also checks that
// every comment (and every Markdown file) cites only what a reader of the
// repository has: its files, or published documents by title.
package readmecheck
