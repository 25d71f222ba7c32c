package collect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// ScriptError is a collector run that exited non-zero: PowerShell or the
// script failed on the host.
type ScriptError struct {
	ExitCode int
	Stderr   string // readable text from stderr (CLIXML decoded), bounded
}

func (e *ScriptError) Error() string {
	if e.Stderr == "" {
		return fmt.Sprintf("the collector exited with code %d and printed no error", e.ExitCode)
	}
	return fmt.Sprintf("the collector exited with code %d: %s", e.ExitCode, e.Stderr)
}

// MalformedError is output the scanner cannot trust: markers missing or
// ambiguous, JSON that does not decode, or an answer that does not match the
// request.
type MalformedError struct {
	Reason string
}

func (e *MalformedError) Error() string { return "malformed collector output: " + e.Reason }

// maxStderrText bounds the stderr text kept in errors.
const maxStderrText = 1000

// Extract returns the JSON document between the marker lines of stdout.
// Exactly one BeginMarker line and one EndMarker line after it are required;
// everything outside them (banners, progress noise) is ignored.
func Extract(stdout []byte) ([]byte, error) {
	var (
		begin, end = -1, -1
		lines      = bytes.Split(stdout, []byte("\n"))
	)
	for i, l := range lines {
		switch string(bytes.TrimSpace(l)) {
		case facts.BeginMarker:
			if begin >= 0 {
				return nil, &MalformedError{Reason: "the begin marker appears more than once"}
			}
			begin = i
		case facts.EndMarker:
			if begin < 0 {
				return nil, &MalformedError{Reason: "the end marker comes before the begin marker"}
			}
			if end >= 0 {
				return nil, &MalformedError{Reason: "the end marker appears more than once"}
			}
			end = i
		}
	}
	switch {
	case begin < 0:
		return nil, &MalformedError{Reason: "no facts between markers in the output" + noiseHint(stdout)}
	case end < 0:
		return nil, &MalformedError{Reason: "the output stops before the end marker (truncated)"}
	}
	doc := bytes.TrimSpace(bytes.Join(lines[begin+1:end], []byte("\n")))
	if len(doc) == 0 {
		return nil, &MalformedError{Reason: "nothing between the markers"}
	}
	return doc, nil
}

func noiseHint(stdout []byte) string {
	s := clip(string(stdout), 120)
	if s == "" {
		return " (stdout was empty)"
	}
	return fmt.Sprintf(" (stdout began %q)", s)
}

// Parse turns one collector run into facts: exit code, markers, strict JSON,
// schema, and the answer's shape against the request (checkShape).
// Errors are *ScriptError, *MalformedError or *facts.SchemaError.
func Parse(req facts.Request, stdout, stderr []byte, exitCode int) (*facts.Response, error) {
	if exitCode != 0 {
		return nil, &ScriptError{ExitCode: exitCode, Stderr: StderrText(stderr, maxStderrText)}
	}
	doc, err := Extract(stdout)
	if err != nil {
		return nil, err
	}
	return Decode(req, doc)
}

// Decode parses the JSON document and checks it answers req.
func Decode(req facts.Request, doc []byte) (*facts.Response, error) {
	// One strict pass decides well-formed answers: success implies the
	// schema was present and current (SchemaVersion is not 0), so the steps
	// below could only agree. Anything else takes them for the exact error.
	if resp, err := facts.DecodeResponse(doc); err == nil {
		if err := checkShape(req, resp); err != nil {
			return nil, &MalformedError{Reason: "the answer does not match the request: " + err.Error()}
		}
		return resp, nil
	}
	// Look at the schema first: a newer collector may add fields that the
	// strict decoder would report as unknown, hiding the real problem.
	var head struct {
		Schema *int `json:"schema"`
	}
	if err := json.Unmarshal(doc, &head); err != nil {
		return nil, &MalformedError{Reason: "the facts are not valid JSON: " + clip(err.Error(), 200)}
	}
	if head.Schema == nil {
		return nil, &MalformedError{Reason: "the facts carry no schema number"}
	}
	if *head.Schema != facts.SchemaVersion {
		return nil, &facts.SchemaError{Got: *head.Schema, Want: facts.SchemaVersion}
	}
	resp, err := facts.DecodeResponse(doc)
	if err != nil {
		var se *facts.SchemaError
		if errors.As(err, &se) {
			return nil, err
		}
		return nil, &MalformedError{Reason: "the facts do not decode: " + clip(err.Error(), 200)}
	}
	if err := checkShape(req, resp); err != nil {
		return nil, &MalformedError{Reason: "the answer does not match the request: " + err.Error()}
	}
	return resp, nil
}

// checkShape enforces the contract of scanner/facts (Request, Response): one
// entry per requested item, in request order.
func checkShape(req facts.Request, resp *facts.Response) error {
	if len(resp.Registry) != len(req.Registry) {
		return fmt.Errorf("%d registry values for %d asked", len(resp.Registry), len(req.Registry))
	}
	for i, k := range req.Registry {
		got := resp.Registry[i]
		if !strings.EqualFold(got.Key, k.Key) || !strings.EqualFold(got.Name, k.Name) {
			return fmt.Errorf("registry value %d is %s, asked %s", i, clip(got.RegistryKey.String(), 200), k.String())
		}
		if got.Present && got.Type == "" {
			return fmt.Errorf("registry value %s is present without a type", k.String())
		}
	}
	if len(resp.Services) != len(req.Services) {
		return fmt.Errorf("%d services for %d asked", len(resp.Services), len(req.Services))
	}
	for i, name := range req.Services {
		if !strings.EqualFold(resp.Services[i].Name, name) {
			return fmt.Errorf("service %d is %q, asked %q", i, clip(resp.Services[i].Name, 100), name)
		}
	}
	if req.SMBClientConfig != (resp.SMBClient != nil) {
		return fmt.Errorf("SMB client configuration asked=%v, answered=%v", req.SMBClientConfig, resp.SMBClient != nil)
	}
	if !req.PolicySources && resp.PolicySources != nil {
		return fmt.Errorf("policy sources answered without being asked")
	}
	if len(resp.Probes) != len(req.Probes) {
		return fmt.Errorf("%d probe results for %d asked", len(resp.Probes), len(req.Probes))
	}
	for i, p := range req.Probes {
		got := resp.Probes[i]
		if !strings.EqualFold(got.Target, p.Target) {
			return fmt.Errorf("probe %d is %q, asked %q", i, clip(got.Target, 100), p.Target)
		}
		if len(got.Ports) != len(p.Ports) {
			return fmt.Errorf("probe %s: %d ports for %d asked", p.Target, len(got.Ports), len(p.Ports))
		}
		for j, port := range p.Ports {
			if got.Ports[j].Port != port {
				return fmt.Errorf("probe %s: port %d is %d, asked %d", p.Target, j, got.Ports[j].Port, port)
			}
		}
		// Every resolved address is probed on every asked port, once.
		if len(got.ByAddress) != len(got.Addresses) {
			return fmt.Errorf("probe %s: %d per-address results for %d addresses", p.Target, len(got.ByAddress), len(got.Addresses))
		}
		for k, a := range got.ByAddress {
			if a.Address != got.Addresses[k] {
				return fmt.Errorf("probe %s: per-address result %d is %q, resolved %q", p.Target, k, clip(a.Address, 60), clip(got.Addresses[k], 60))
			}
			if len(a.Ports) != len(p.Ports) {
				return fmt.Errorf("probe %s via %s: %d ports for %d asked", p.Target, a.Address, len(a.Ports), len(p.Ports))
			}
			for j, port := range p.Ports {
				if a.Ports[j].Port != port {
					return fmt.Errorf("probe %s via %s: port %d is %d, asked %d", p.Target, a.Address, j, a.Ports[j].Port, port)
				}
			}
		}
	}
	return nil
}
