package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/ntlmscan/ntlmscan/report/verdict"
)

// MaxDocumentBytes bounds what Decode reads, so a wrong or hostile file
// cannot exhaust memory. A report of 10,000 paths is far below it.
const MaxDocumentBytes = 256 << 20

// Encode writes r as indented JSON with the current Kind and SchemaVersion
// and its timestamps in UTC. r itself is not modified.
func Encode(w io.Writer, r *Report) error {
	if r == nil {
		return errors.New("encode report: nil report")
	}
	doc := *r
	doc.Kind = Kind
	doc.Schema = SchemaVersion
	doc.GeneratedAt = r.GeneratedAt.UTC()
	return encodeJSON(w, &doc)
}

func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Reasons read "A -> B"; the document is never embedded in HTML.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode %T: %w", v, err)
	}
	return nil
}

// Decode reads one report written by Encode. It refuses documents that are
// not ntlmscan reports, other schema versions (*SchemaError), unknown fields
// and trailing data, and checks that path IDs are unique and verdicts known.
// Callers add the file name: fmt.Errorf("%s: %w", file, err).
func Decode(r io.Reader) (*Report, error) { return decode(r, MaxDocumentBytes) }

func decode(r io.Reader, limit int) (*Report, error) {
	data, err := readLimited(r, limit)
	if err != nil {
		return nil, err
	}
	if err := checkHeader(data, Kind, SchemaVersion); err != nil {
		return nil, err
	}
	var rep Report
	if err := decodeStrict(data, &rep); err != nil {
		return nil, err
	}
	if err := validate(&rep); err != nil {
		return nil, err
	}
	return &rep, nil
}

// ErrNotReport is returned for JSON that is not an ntlmscan scan report.
var ErrNotReport = errors.New("not an ntlmscan scan report")

// SchemaError reports a document written with another schema version.
type SchemaError struct {
	Kind      string
	Got, Want int
}

func (e *SchemaError) Error() string {
	if e.Got > e.Want {
		return fmt.Sprintf("%s schema %d is newer than this ntlmscan understands (schema %d): upgrade ntlmscan to read it",
			e.Kind, e.Got, e.Want)
	}
	return fmt.Sprintf("%s schema %d is not supported (this ntlmscan reads schema %d): re-run the scan with this ntlmscan to get a current report",
		e.Kind, e.Got, e.Want)
}

func readLimited(r io.Reader, limit int) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	if len(data) > limit {
		return nil, fmt.Errorf("report is larger than %d bytes: not a report ntlmscan wrote", limit)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%w: the document is empty", ErrNotReport)
	}
	return data, nil
}

// checkHeader looks at kind and schema before the strict decode, so that a
// newer report gets a version error instead of "unknown field".
func checkHeader(data []byte, wantKind string, wantSchema int) error {
	var head struct {
		Kind   string `json:"kind"`
		Schema *int   `json:"schema"`
	}
	// A Decoder reads only the first value, leaving trailing data to decodeStrict.
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&head); err != nil {
		var typeErr *json.UnmarshalTypeError
		if !errors.As(err, &typeErr) {
			return jsonError(data, err)
		}
	}
	if head.Kind != wantKind {
		if head.Kind == "" {
			return fmt.Errorf("%w: no \"kind\": %q (write one with `ntlmscan scan --format json`)", ErrNotReport, wantKind)
		}
		return fmt.Errorf("%w: kind is %q, want %q", ErrNotReport, head.Kind, wantKind)
	}
	if head.Schema == nil {
		return fmt.Errorf("%w: no \"schema\" version", ErrNotReport)
	}
	if *head.Schema != wantSchema {
		return &SchemaError{Kind: wantKind, Got: *head.Schema, Want: wantSchema}
	}
	return nil
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON document")
	}
	return nil
}

// jsonError adds a line and column to JSON errors that carry an offset.
func jsonError(data []byte, err error) error {
	var offset int64 = -1
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntaxErr):
		offset = syntaxErr.Offset
	case errors.As(err, &typeErr):
		offset = typeErr.Offset
	}
	if offset < 0 || offset > int64(len(data)) {
		return fmt.Errorf("invalid report JSON: %w", err)
	}
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	// Offset counts the byte that failed, so it is also its 1-based column.
	col := int(offset) - (bytes.LastIndexByte(before, '\n') + 1)
	return fmt.Errorf("invalid report JSON at line %d, column %d: %w", line, col, err)
}

func validate(r *Report) error {
	seen := make(map[string]bool, len(r.Matrix.Paths))
	for i, p := range r.Matrix.Paths {
		if p.ID == "" {
			return fmt.Errorf("matrix path %d (%s -> %s) has no id", i, p.Core, p.Target)
		}
		if seen[p.ID] {
			return fmt.Errorf("matrix path id %q appears twice", p.ID)
		}
		seen[p.ID] = true
		if !knownVerdict(p.Verdict) {
			return fmt.Errorf("matrix path %q has unknown verdict %q", p.ID, p.Verdict)
		}
		if p.Before != nil && !knownVerdict(p.Before.Verdict) {
			return fmt.Errorf("matrix path %q has unknown verdict before overlay %q", p.ID, p.Before.Verdict)
		}
	}
	return nil
}

// Verdicts lists every verdict from best to worst, the order reports use.
func Verdicts() []verdict.Verdict {
	return []verdict.Verdict{verdict.OK, verdict.Unknown, verdict.AtRisk, verdict.Unreachable, verdict.Blocked}
}

func knownVerdict(v verdict.Verdict) bool {
	for _, k := range Verdicts() {
		if v == k {
			return true
		}
	}
	return false
}
