// Package safetext makes text from files, hosts and replies safe to show on
// a terminal: characters that act on the terminal or the reader instead of
// showing (control characters, bidi overrides and isolates, zero-width and
// other invisible format characters, line separators) and invalid UTF-8
// become visible escapes (\x1b, \u202e), so a crafted name can neither
// reorder nor hide what an admin reads. Backslashes are left as they are.
package safetext

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Unsafe reports whether r must not reach a terminal raw.
func Unsafe(r rune) bool {
	return r == utf8.RuneError || unicode.IsControl(r) ||
		unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) // bidi, zero-width, BOM, soft hyphen; U+2028/2029
}

// Escape returns s with every unsafe character escaped.
func Escape(s string) string { return escape(s, false) }

// EscapeLines is Escape for multi-line text: line feeds stay line feeds.
func EscapeLines(s string) string { return escape(s, true) }

func escape(s string, keepLF bool) string {
	if isSafe(s, keepLF) {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size <= 1 {
				fmt.Fprintf(&b, `\x%02x`, s[i])
			} else {
				b.WriteString(`\ufffd`)
			}
		case keepLF && r == '\n':
			b.WriteByte('\n')
		case Unsafe(r) && r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case Unsafe(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isSafe(s string, keepLF bool) bool {
	for _, r := range s {
		if Unsafe(r) && !(keepLF && r == '\n') {
			return false
		}
	}
	return true
}
