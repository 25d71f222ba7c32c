package collect

import (
	"bytes"
	"encoding/xml"
	"regexp"
	"strconv"
	"strings"

	"github.com/ntlmscan/ntlmscan/inventory/safetext"
)

const clixmlHeader = "#< CLIXML"

var clixmlEscape = regexp.MustCompile(`_x([0-9A-Fa-f]{4})_`)

// StderrText turns PowerShell's stderr into readable text: CLIXML blocks
// ("#< CLIXML" then <Objs>…) contribute their error records (progress and
// other records are noise), plain text is kept as it is. The result is
// trimmed to max bytes and free of control characters.
func StderrText(stderr []byte, max int) string {
	var out []string
	rest := string(stderr)
	for rest != "" {
		i := strings.Index(rest, clixmlHeader)
		if i < 0 {
			out = appendText(out, rest)
			break
		}
		out = appendText(out, rest[:i])
		rest = rest[i+len(clixmlHeader):]
		end := strings.Index(rest, "</Objs>")
		block := rest
		if end >= 0 {
			block = rest[:end+len("</Objs>")]
			rest = rest[end+len("</Objs>"):]
		} else {
			rest = ""
		}
		out = append(out, clixmlErrors(block)...)
	}
	return clip(strings.Join(out, " "), max)
}

func appendText(out []string, s string) []string {
	if s = strings.TrimSpace(s); s != "" {
		out = append(out, s)
	}
	return out
}

// clixmlErrors returns the text of the <S S="Error"> records of one block.
func clixmlErrors(block string) []string {
	dec := xml.NewDecoder(bytes.NewReader([]byte(block)))
	var (
		out    []string
		inErr  int
		buf    strings.Builder
		tokens int
	)
	for tokens < 100000 {
		tokens++
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if inErr > 0 {
				inErr++
				continue
			}
			if t.Name.Local == "S" && attr(t, "S") == "Error" {
				inErr = 1
				buf.Reset()
			}
		case xml.EndElement:
			if inErr > 0 {
				inErr--
				if inErr == 0 {
					out = appendText(out, unescapeCLIXML(buf.String()))
				}
			}
		case xml.CharData:
			if inErr > 0 {
				buf.Write(t)
			}
		}
	}
	return out
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// unescapeCLIXML decodes PowerShell's _xHHHH_ escapes.
func unescapeCLIXML(s string) string {
	return clixmlEscape.ReplaceAllStringFunc(s, func(m string) string {
		n, err := strconv.ParseUint(m[2:6], 16, 16)
		if err != nil {
			return m
		}
		return string(rune(n))
	})
}

// clip collapses whitespace, shows control, bidi and invisible characters
// as escapes (\x1b, \u202e: an admin sees what the host sent without it
// acting on the terminal) and bounds length.
func clip(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= max {
			b.WriteString("…")
			break
		}
		if safetext.Unsafe(r) || (r >= 0xD800 && r <= 0xDFFF) {
			b.WriteString(safetext.Escape(string(r)))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
