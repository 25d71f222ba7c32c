package yamlcheck

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// SyntaxError is a YAML syntax error as yaml.v3 reports it. Loaders turn it
// into a Problem in their own words.
type SyntaxError struct {
	Line    int    // where yaml.v3 puts it, see OffendingLine; 0 when it gives none
	Message string // yaml.v3's text without the "yaml: line N: " prefix
}

func (e *SyntaxError) Error() string {
	if e.Line > 0 {
		return "line " + strconv.Itoa(e.Line) + ": " + e.Message
	}
	return e.Message
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func newSyntaxError(err error) *SyntaxError {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return &SyntaxError{Line: n, Message: m[2]}
	}
	return &SyntaxError{Message: strings.TrimPrefix(msg, "yaml: ")}
}

// Parse decodes data as one YAML document, for loaders that walk the node
// tree themselves to report every problem with its line.
//
// root is the first document's content; nil when data holds no document
// (empty, or only comments) or the first document does not parse. extra is
// the second document, if data holds more than one ("---"): strict loaders
// reject it, extra.Line says where it starts. syntax is the syntax error
// that stopped the first document (root nil) or the second one (root set).
func Parse(data []byte) (root, extra *yaml.Node, syntax *SyntaxError) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, nil
		}
		return nil, nil, newSyntaxError(err)
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		extra = &next
	case !errors.Is(err, io.EOF):
		syntax = newSyntaxError(err)
	}
	return root, extra, syntax
}

// maxRefineLines bounds the re-parsing OffendingLine does.
const maxRefineLines = 2000

// OffendingLine finds the line a YAML syntax error is really on. yaml.v3
// often reports the line where the enclosing block starts (a bad indent on
// line 9 is reported at line 1), which sends admins to the wrong place. The
// first prefix of the file that no longer parses ends at the offending line.
// It returns reported when it finds nothing better or the file is too long
// to search.
func OffendingLine(data []byte, reported int) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) > maxRefineLines || reported < 1 {
		return reported
	}
	for k := reported; k <= len(lines); k++ {
		var n yaml.Node
		if err := yaml.Unmarshal(bytes.Join(lines[:k], nil), &n); err != nil {
			return k
		}
	}
	return reported
}
