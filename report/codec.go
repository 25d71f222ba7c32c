package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/ntlmscan/ntlmscan/report/verdict"
)

// MaxDocumentBytes bounds what Decode reads, so a wrong or hostile file
// cannot exhaust memory. A report of 10,000 paths is far below it.
const MaxDocumentBytes = 256 << 20

// Encode writes r as indented JSON with the current Kind and SchemaVersion
// and its timestamps in UTC. r itself is not modified. The document is
// streamed: hosts and paths are encoded one at a time, so writing a
// report never holds a second, indented copy of it in memory (the layout is
// the same as indenting the whole document).
func Encode(w io.Writer, r *Report) error {
	if r == nil {
		return errors.New("encode report: nil report")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	s := &streamer{w: bw}
	s.raw("{\n")
	s.field("  ", "kind", Kind, false)
	s.field("  ", "schema", SchemaVersion, false)
	s.field("  ", "runId", r.RunID, false)
	s.field("  ", "generatedAt", r.GeneratedAt.UTC(), false)
	s.field("  ", "toolVersion", r.ToolVersion, false)
	s.field("  ", "inventory", r.Inventory, false)
	s.field("  ", "options", r.Options, false)
	streamArray(s, "  ", "hosts", r.Hosts)
	s.raw(",\n  \"matrix\": {\n")
	streamArray(s, "    ", "paths", r.Matrix.Paths)
	rest := matrixRest{HostNotes: r.Matrix.HostNotes, Overlay: r.Matrix.Overlay, Coverage: r.Matrix.Coverage, Plan: r.Matrix.Plan, PlanSummary: r.Matrix.PlanSummary}
	s.inner("    ", rest)
	s.raw("\n  }")
	if r.Baseline != nil {
		s.raw(",\n")
		s.field("  ", "baseline", r.Baseline, true)
	}
	if r.Waivers != nil {
		s.raw(",\n")
		s.field("  ", "waivers", r.Waivers, true)
	}
	s.raw("\n}\n")
	if s.err != nil {
		return fmt.Errorf("encode report: %w", s.err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	return nil
}

// matrixRest is verdict.Matrix without its paths (streamed separately);
// the tags must match verdict.Matrix.
type matrixRest struct {
	HostNotes []verdict.Reason   `json:"hostNotes,omitempty"`
	Overlay   string             `json:"overlay,omitempty"`
	Coverage  []verdict.Coverage `json:"coverage,omitempty"`
	Plan      []verdict.Change   `json:"plan,omitempty"`
	// PlanSummary: what the what-if baseline newly blocks (with --assume).
	PlanSummary *verdict.PlanSummary `json:"planSummary,omitempty"`
}

// streamer writes one JSON document piece by piece and keeps the first
// error. Each value is encoded into a reused buffer at its indentation.
type streamer struct {
	w   *bufio.Writer
	buf bytes.Buffer
	err error
}

func (s *streamer) raw(t string) {
	if s.err == nil {
		_, s.err = s.w.WriteString(t)
	}
}

// value writes v indented as if it sat at indent in the whole document.
func (s *streamer) value(indent string, v any) {
	if s.err != nil {
		return
	}
	s.buf.Reset()
	enc := json.NewEncoder(&s.buf)
	enc.SetIndent(indent, "  ")
	// Reasons read "A -> B"; the document is never embedded in HTML.
	enc.SetEscapeHTML(false)
	if s.err = enc.Encode(v); s.err != nil {
		return
	}
	_, s.err = s.w.Write(bytes.TrimSuffix(s.buf.Bytes(), []byte("\n")))
}

// field writes "name": value; a field that is not the last gets a comma.
func (s *streamer) field(indent, name string, v any, last bool) {
	s.raw(indent + strconv.Quote(name) + ": ")
	s.value(indent, v)
	if !last {
		s.raw(",\n")
	}
}

// inner writes the fields of v's JSON object (without its braces) after a
// preceding field, or nothing when v encodes as {}.
func (s *streamer) inner(indent string, v any) {
	if s.err != nil {
		return
	}
	s.buf.Reset()
	enc := json.NewEncoder(&s.buf)
	enc.SetIndent(indent[:len(indent)-2], "  ")
	enc.SetEscapeHTML(false)
	if s.err = enc.Encode(v); s.err != nil {
		return
	}
	body := bytes.TrimSpace(s.buf.Bytes())
	body = bytes.TrimSpace(body[1 : len(body)-1])
	if len(body) == 0 {
		return
	}
	s.raw(",\n" + indent)
	_, s.err = s.w.Write(body)
}

// streamArray writes "name": [ ... ] one element at a time (null for a nil
// slice, as encoding/json does).
func streamArray[T any](s *streamer, indent, name string, list []T) {
	s.raw(indent + strconv.Quote(name) + ": ")
	switch {
	case list == nil:
		s.raw("null")
		return
	case len(list) == 0:
		s.raw("[]")
		return
	}
	s.raw("[\n")
	for i := range list {
		s.raw(indent + "  ")
		s.value(indent+"  ", &list[i])
		if i < len(list)-1 {
			s.raw(",")
		}
		s.raw("\n")
	}
	s.raw(indent + "]")
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
	schema, err := readHeader(data, Kind)
	if err != nil {
		return nil, err
	}
	if schema < oldestReadableSchema || schema > SchemaVersion {
		return nil, &SchemaError{Kind: Kind, Got: schema, Want: SchemaVersion}
	}
	var rep Report
	if err := decodeStrict(data, &rep); err != nil {
		return nil, err
	}
	if schema < SchemaVersion {
		// Every later schema only added fields: the older document decodes
		// as is, and the caller is told it was migrated.
		rep.MigratedFrom, rep.Schema = schema, SchemaVersion
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

// readHeader looks at kind and schema before the strict decode, so that a
// newer report gets a version error instead of "unknown field".
func readHeader(data []byte, wantKind string) (int, error) {
	var head struct {
		Kind   string `json:"kind"`
		Schema *int   `json:"schema"`
	}
	// A Decoder reads only the first value, leaving trailing data to decodeStrict.
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&head); err != nil {
		var typeErr *json.UnmarshalTypeError
		if !errors.As(err, &typeErr) {
			return 0, jsonError(data, err)
		}
	}
	if head.Kind != wantKind {
		if head.Kind == "" {
			return 0, fmt.Errorf("%w: no \"kind\": %q (write one with `ntlmscan scan --format json`)", ErrNotReport, wantKind)
		}
		return 0, fmt.Errorf("%w: kind is %q, want %q", ErrNotReport, head.Kind, wantKind)
	}
	if head.Schema == nil {
		return 0, fmt.Errorf("%w: no \"schema\" version", ErrNotReport)
	}
	return *head.Schema, nil
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

// Verdicts lists every verdict from best to worst, the order reports use:
// verdict.Order reversed, so there is one ranking.
func Verdicts() []verdict.Verdict {
	out := verdict.Order()
	slices.Reverse(out)
	return out
}

func knownVerdict(v verdict.Verdict) bool {
	for _, k := range Verdicts() {
		if v == k {
			return true
		}
	}
	return false
}
