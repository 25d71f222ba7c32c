package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/ntlmscan/ntlmscan/inventory/safetext"
	"github.com/ntlmscan/ntlmscan/report/verdict"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
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
	rest := matrixRest{HostNotes: r.Matrix.HostNotes, Overlay: r.Matrix.Overlay, Coverage: r.Matrix.Coverage, Plan: r.Matrix.Plan, PlanSummary: r.Matrix.PlanSummary,
		UnmatchedEvents: r.Matrix.UnmatchedEvents, AtRiskEvidence: r.Matrix.AtRiskEvidence}
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
	if r.Merge != nil {
		s.raw(",\n")
		s.field("  ", "merge", r.Merge, true)
	}
	if len(r.Trend) > 0 {
		s.raw(",\n")
		s.field("  ", "trend", r.Trend, true)
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
	// Evidence (schema 3).
	UnmatchedEvents []verdict.HostEvents          `json:"unmatchedEvents,omitempty"`
	AtRiskEvidence  map[verdict.EvidenceState]int `json:"atRiskByEvidence,omitempty"`
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
	// A file says how big it is: one over the limit is refused before any
	// of it is read into memory.
	if st, ok := r.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if fi, err := st.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > int64(limit) {
			return nil, fmt.Errorf("report file is %d bytes, more than the %d-byte limit: not a report ntlmscan wrote", fi.Size(), limit)
		}
	}
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
	if err := validateRanges(r); err != nil {
		return err
	}
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

// validateRanges refuses values a report written by ntlmscan never holds
// (a hand-edited file), naming the field: enumerations outside their set,
// ports outside 0-65535, REG_DWORD values over 32 bits, negative counts.
func validateRanges(r *Report) error {
	for i := range r.Hosts {
		h := &r.Hosts[i]
		at := fmt.Sprintf("hosts[%d]", i)
		if h.Attempts < 0 || h.RoundTrips < 0 {
			return rangeError(at+".attempts", fmt.Sprint(h.Attempts, "/", h.RoundTrips), "counts are never negative")
		}
		f := h.Facts
		if f == nil {
			continue
		}
		if f.Identity.DomainRole < 0 || f.Identity.DomainRole > facts.RolePrimaryDC {
			return rangeError(at+".facts.identity.domainRole", fmt.Sprint(f.Identity.DomainRole), "0-5")
		}
		if f.Identity.OSBuild < 0 {
			return rangeError(at+".facts.identity.osBuild", fmt.Sprint(f.Identity.OSBuild), "a build number")
		}
		if ps := f.PolicySources; ps != nil && ps.Status != facts.PolicyOK && ps.Status != facts.PolicyUnavailable && ps.Status != facts.PolicyError {
			return rangeError(at+".facts.policySources.status", ps.Status, "ok, unavailable or error")
		}
		for j, v := range f.Registry {
			if v.Type == facts.RegDWORD && v.DWORD != nil && *v.DWORD > maxDWORD {
				return rangeError(fmt.Sprintf("%s.facts.registry[%d].dword", at, j), fmt.Sprint(*v.DWORD), "0-4294967295 (REG_DWORD)")
			}
		}
		for j, p := range f.Probes {
			for k, pt := range p.Ports {
				if err := portRange(fmt.Sprintf("%s.facts.probes[%d].ports[%d]", at, j, k), pt); err != nil {
					return err
				}
			}
			for k, a := range p.ByAddress {
				for l, pt := range a.Ports {
					if err := portRange(fmt.Sprintf("%s.facts.probes[%d].byAddress[%d].ports[%d]", at, j, k, l), pt); err != nil {
						return err
					}
				}
			}
		}
	}
	m := &r.Matrix
	for i := range m.Paths {
		p := &m.Paths[i]
		at := fmt.Sprintf("matrix.paths[%d]", i)
		switch {
		case !slices.Contains(verdict.Kinds(), p.Kind):
			return rangeError(at+".kind", string(p.Kind), kindNames())
		case p.Port < 0 || p.Port > 65535:
			return rangeError(at+".port", fmt.Sprint(p.Port), "0-65535")
		case p.Reachable != "" && p.Reachable != verdict.ReachYes && p.Reachable != verdict.ReachNo && p.Reachable != verdict.ReachUnknown:
			return rangeError(at+".reachable", p.Reachable, "yes, no or unknown")
		case p.Evidence != nil && !slices.Contains(verdict.EvidenceStates(), p.Evidence.State):
			return rangeError(at+".evidence.state", string(p.Evidence.State), evidenceNames())
		}
		if err := reasonRanges(at+".deciding", p.Deciding); err != nil {
			return err
		}
		for j := range p.Reasons {
			if err := reasonRanges(fmt.Sprintf("%s.reasons[%d]", at, j), &p.Reasons[j]); err != nil {
				return err
			}
		}
		if p.Before != nil {
			if err := reasonRanges(at+".before.deciding", p.Before.Deciding); err != nil {
				return err
			}
		}
	}
	if err := nightlyRanges(r); err != nil {
		return err
	}
	for i := range m.HostNotes {
		if err := reasonRanges(fmt.Sprintf("matrix.hostNotes[%d]", i), &m.HostNotes[i]); err != nil {
			return err
		}
	}
	for i := range m.Plan {
		c := &m.Plan[i]
		at := fmt.Sprintf("matrix.plan[%d]", i)
		switch c.Kind {
		case verdict.ChangeList, verdict.ChangeDWORD, verdict.ChangeRename, verdict.ChangeManual, verdict.ChangeVerifyKerberos, verdict.ChangeBaseline:
		default:
			return rangeError(at+".kind", string(c.Kind), "registry-list-add, registry-dword, core-name, manual, verify-kerberos or baseline-edit")
		}
		if err := sourceRange(at+".source", c.Source); err != nil {
			return err
		}
		if c.Set != nil && *c.Set > maxDWORD {
			return rangeError(at+".set", fmt.Sprint(*c.Set), "0-4294967295 (REG_DWORD)")
		}
		if c.Current < 0 {
			return rangeError(at+".current", fmt.Sprint(c.Current), "a count")
		}
		if c.Step != "" && c.Step != verdict.StepAudit {
			return rangeError(at+".step", c.Step, verdict.StepAudit+" or none")
		}
	}
	return nil
}

const maxDWORD = 1<<32 - 1

// nightlyRanges checks the fields nightly runs add: the --fail-on value
// (in the normal form ParseFailOn writes), the verdicts and kinds of the
// baseline's not-comparable paths, and the trend's verdict counts.
func nightlyRanges(r *Report) error {
	if f := r.Options.FailOn; f != "" {
		if v, err := ParseFailOn(f); err != nil || v != f {
			return rangeError("options.failOn", f, "one of "+strings.Join(FailOnValues(), ", ")+", optionally followed by ,no-unscanned")
		}
	}
	if b := r.Baseline; b != nil {
		for i := range b.NotComparable {
			c := &b.NotComparable[i]
			at := fmt.Sprintf("baseline.notComparable[%d]", i)
			switch {
			case !slices.Contains(verdict.Kinds(), c.Kind):
				return rangeError(at+".kind", string(c.Kind), kindNames())
			case !knownVerdict(c.After):
				return rangeError(at+".after", string(c.After), verdictNames())
			case c.Carried != "" && !knownVerdict(c.Carried):
				return rangeError(at+".carried", string(c.Carried), verdictNames()+" or none")
			}
		}
	}
	for i := range r.Trend {
		p := &r.Trend[i]
		at := fmt.Sprintf("trend[%d]", i)
		if p.FailedHosts < 0 {
			return rangeError(at+".failedHosts", fmt.Sprint(p.FailedHosts), "a count")
		}
		for _, v := range slices.Sorted(maps.Keys(p.Verdicts)) {
			if !knownVerdict(verdict.Verdict(v)) {
				return rangeError(at+".verdicts", v, verdictNames())
			}
			if p.Verdicts[v] < 0 {
				return rangeError(at+".verdicts."+v, fmt.Sprint(p.Verdicts[v]), "a count")
			}
		}
	}
	return nil
}

// verdictNames lists the verdicts for a range error.
func verdictNames() string {
	var names []string
	for _, v := range Verdicts() {
		names = append(names, string(v))
	}
	return strings.Join(names, ", ")
}

// evidenceNames lists the evidence states for a range error.
func evidenceNames() string {
	var names []string
	for _, s := range verdict.EvidenceStates() {
		names = append(names, string(s))
	}
	return strings.Join(names, ", ")
}

// kindNames lists the path kinds for a range error ("agent, replication or share").
func kindNames() string {
	var names []string
	for _, k := range verdict.Kinds() {
		names = append(names, string(k))
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

var effects = []verdict.Effect{verdict.EffectBlocks, verdict.EffectRisk, verdict.EffectAudit, verdict.EffectAllows,
	verdict.EffectUnknown, verdict.EffectInfo, verdict.EffectNeedsNTLM, verdict.EffectSuspected, verdict.EffectNotChecked}

func reasonRanges(at string, r *verdict.Reason) error {
	if r == nil {
		return nil
	}
	if !slices.Contains(effects, r.Effect) {
		return rangeError(at+".effect", string(r.Effect), "a known effect ("+effectNames()+")")
	}
	if rem := r.Remediation; rem != nil && rem.Set != nil && *rem.Set > maxDWORD {
		return rangeError(at+".remediation.set", fmt.Sprint(*rem.Set), "0-4294967295 (REG_DWORD)")
	}
	return sourceRange(at+".source", r.Source)
}

// sourceKinds are where a value can come from (issue 16's policy sources).
var sourceKinds = []string{facts.SourceGPO, facts.SourceLocal, facts.SourceUnknown, verdict.SourcePlanned}

func sourceRange(at string, s *facts.Source) error {
	if s != nil && !slices.Contains(sourceKinds, s.Kind) {
		return rangeError(at+".kind", s.Kind, strings.Join(sourceKinds, ", "))
	}
	return nil
}

func effectNames() string {
	names := make([]string, len(effects))
	for i, e := range effects {
		names[i] = string(e)
	}
	return strings.Join(names, ", ")
}

func portRange(at string, pt facts.PortResult) error {
	if pt.Port < 1 || pt.Port > 65535 {
		return rangeError(at+".port", fmt.Sprint(pt.Port), "1-65535")
	}
	if pt.ElapsedMS < 0 {
		return rangeError(at+".elapsedMs", fmt.Sprint(pt.ElapsedMS), "milliseconds, never negative")
	}
	return nil
}

// RangeError is a report field holding a value ntlmscan never writes.
type RangeError struct {
	Field, Value, Want string
}

func (e *RangeError) Error() string {
	return fmt.Sprintf("field %s: %s is out of range (want %s); was the file edited by hand?", e.Field, e.Value, e.Want)
}

func rangeError(field, value, want string) error {
	return &RangeError{Field: field, Value: safetext.Escape(value), Want: want}
}
