package readmecheck

import "strings"

// ShellFields splits a documented command line the way sh does for the
// simple quoting the README and help pages use ('...', "..."), stopping at
// a comment. Tests of several packages read commands out of the documents
// with it.
func ShellFields(line string) []string {
	var fields []string
	var cur strings.Builder
	inField, quote := false, rune(0)
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inField = r, true
		case r == '#' && !inField:
			return fields
		case r == ' ' || r == '\t':
			if inField {
				fields = append(fields, cur.String())
				cur.Reset()
				inField = false
			}
		default:
			cur.WriteRune(r)
			inField = true
		}
	}
	if inField {
		fields = append(fields, cur.String())
	}
	return fields
}
