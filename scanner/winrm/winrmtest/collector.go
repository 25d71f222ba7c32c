package winrmtest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

const (
	collectorHeader       = "# NTLMSCAN-COLLECTOR schema "
	defaultProbeTimeoutMS = 1000
)

// collect plays ntlmscan's collector script (COLLECTION.md): stdin is the
// script, facts.StdinSeparator and the base64 JSON request; the answer is
// computed from the host's lab model.
func (x *executor) collect(stdin []byte) execResult {
	f := x.faults
	if f.ScriptFailure != "" {
		return x.psResult("", []string{psError(f.ScriptFailure)}, 1)
	}
	stdin = bytes.TrimPrefix(stdin, []byte("\xef\xbb\xbf"))
	script, reqPart, ok := bytes.Cut(stdin, []byte(facts.StdinSeparator))
	if !ok {
		return x.psResult("", []string{psError("ntlmscan bootstrap: stdin has no request after the collector script (separator missing).")}, 1)
	}
	if !bytes.HasPrefix(script, []byte(collectorHeader)) {
		return x.psResult("", []string{psError("ntlmscan bootstrap: the script on stdin is not an ntlmscan collector (its first line must be '" + collectorHeader + "N').")}, 1)
	}
	schema := facts.SchemaVersion
	headerLine := string(script[len(collectorHeader):])
	if i := strings.IndexAny(headerLine, "\r\n"); i >= 0 {
		headerLine = headerLine[:i]
	}
	if n, err := strconv.Atoi(strings.TrimSpace(headerLine)); err == nil {
		schema = n
	}
	if f.CollectorSchema > 0 {
		schema = f.CollectorSchema
	}
	raw, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(reqPart)))
	if err != nil {
		return x.psResult("", []string{psError("Exception calling \"FromBase64String\" with \"1\" argument(s): \"The input is not a valid Base-64 string as it contains a non-base 64 character, more than two padding characters, or an illegal character among the padding characters.\"")}, 1)
	}
	var req facts.Request
	if err := json.Unmarshal(raw, &req); err != nil {
		return x.psResult("", []string{psError("ConvertFrom-Json : Invalid JSON primitive: " + err.Error())}, 1)
	}
	resp := x.hs.answer(&req)
	resp.Schema = schema
	body, err := json.Marshal(resp)
	if err != nil {
		return x.psResult("", []string{psError(err.Error())}, 1)
	}
	if f.MalformedOutput {
		body = body[:len(body)/2]
	}
	var out strings.Builder
	out.Grow(len(body) + 64)
	out.WriteString(facts.BeginMarker + "\r\n")
	out.Write(body)
	out.WriteString("\r\n" + facts.EndMarker + "\r\n")
	return execResult{stdout: out.String()}
}

// answer computes the facts the host reports for a request.
func (hs *hostServer) answer(req *facts.Request) *facts.Response {
	h := hs.h
	resp := &facts.Response{
		Identity: facts.Identity{
			NetBIOSName:  h.Name,
			DNSHostName:  strings.SplitN(h.FQDN, ".", 2)[0],
			Domain:       h.Domain,
			PartOfDomain: h.IsDomainMember(),
			DomainRole:   h.role,
			OSCaption:    h.OS.Caption,
			OSVersion:    h.osVersion(),
			OSBuild:      h.OS.Build,
		},
		Registry: make([]facts.RegistryValue, 0, len(req.Registry)),
	}
	if !h.IsDomainMember() {
		resp.Identity.Domain = h.Workgroup
	}
	for _, k := range req.Registry {
		resp.Registry = append(resp.Registry, h.readRegistry(k))
	}
	for _, name := range req.Services {
		resp.Services = append(resp.Services, h.service(name))
	}
	if req.SMBClientConfig {
		resp.SMBClient = h.smbClientConfig()
	}
	timeout := req.ProbeTimeoutMS
	if timeout <= 0 {
		timeout = defaultProbeTimeoutMS
	}
	for _, p := range req.Probes {
		resp.Probes = append(resp.Probes, hs.srv.lab.probe(h, p, timeout))
	}
	return resp
}

func (h *Host) readRegistry(k facts.RegistryKey) facts.RegistryValue {
	v := facts.RegistryValue{RegistryKey: k}
	r := h.registryValue(k.Key, k.Name)
	switch {
	case r == nil:
	case r.Error != "":
		v.Error = r.Error
	default:
		v.Present = true
		v.Type = r.Type
		switch r.Type {
		case facts.RegDWORD, facts.RegQWORD:
			d := r.dword
			v.DWORD = &d
		case facts.RegSZ, facts.RegExpandSZ:
			s := r.str
			v.String = &s
		case facts.RegMultiSZ:
			v.Strings = append([]string{}, r.strs...)
		}
	}
	return v
}

func (h *Host) service(name string) facts.Service {
	for _, s := range h.Services {
		if strings.EqualFold(s.Name, name) {
			return facts.Service{Name: s.Name, Present: true, DisplayName: s.DisplayName,
				State: s.State, StartMode: s.StartMode, LogonAs: s.LogonAs}
		}
	}
	return facts.Service{Name: name}
}

// smbClientConfig is Get-SmbClientConfiguration: explicit lab values, else
// what the registry and the OS build imply.
func (h *Host) smbClientConfig() *facts.SMBClientConfig {
	c := h.SMBClient
	if c == nil {
		c = &SMBClient{}
	}
	avail := h.OS.Build >= 9200 // the SmbShare module came with Windows 8 / Server 2012
	if c.Available != nil {
		avail = *c.Available
	}
	out := &facts.SMBClientConfig{Available: avail, Error: c.Error}
	if !avail {
		if out.Error == "" {
			out.Error = "The term 'Get-SmbClientConfiguration' is not recognized as the name of a cmdlet, function, script file, or operable program."
		}
		return out
	}
	boolFrom := func(explicit *bool, key, name string, def bool) *bool {
		if explicit != nil {
			b := *explicit
			return &b
		}
		if v, ok := h.dword(key, name); ok {
			b := v != 0
			return &b
		}
		return &def
	}
	if h.OS.Build >= 26100 {
		// The property exists from Windows 11 24H2 / Server 2025 on; the
		// policy value, when set, is what the cmdlet reflects.
		out.BlockNTLM = boolFrom(c.BlockNTLM, facts.KeyLanmanWksPol, "BlockNTLM", false)
	}
	// Windows 11 24H2 / Server 2025 require SMB client signing by default.
	out.RequireSecuritySignature = boolFrom(c.RequireSecuritySignature, facts.KeyLanmanWksPar, "RequireSecuritySignature", h.OS.Build >= 26100)
	out.EnableSecuritySignature = boolFrom(c.EnableSecuritySignature, facts.KeyLanmanWksPar, "EnableSecuritySignature", true)
	return out
}

// resolve finds what a name means on the lab network: a host by FQDN,
// NetBIOS name, short DNS name or address.
func (l *Lab) resolve(target string) (h *Host, addrs []string, dnsErr string) {
	t := strings.TrimSuffix(strings.TrimSpace(target), ".")
	if a, err := netip.ParseAddr(t); err == nil {
		for _, c := range l.Hosts {
			if c.Address == a.String() {
				return c, []string{a.String()}, ""
			}
		}
		return nil, []string{a.String()}, ""
	}
	for _, c := range l.Hosts {
		short := strings.SplitN(c.FQDN, ".", 2)[0]
		if strings.EqualFold(c.FQDN, t) || strings.EqualFold(c.Name, t) || strings.EqualFold(short, t) {
			return c, []string{c.Address}, ""
		}
	}
	return nil, nil, "No such host is known"
}

// listensOn: the host's listening ports, including the WinRM ports it serves
// (as declared in the lab, not the ephemeral ports of a test run).
func (h *Host) listensOn(port int) bool {
	if slices.Contains(h.Listens, port) {
		return true
	}
	return h.httpEnabled() && h.WinRM.HTTPPort == port || h.WinRM.HTTPS && h.WinRM.HTTPSPort == port
}

func (l *Lab) cut(from, to *Host, port int) bool {
	for _, c := range l.Network.Cuts {
		if strings.EqualFold(c.From, from.Name) && strings.EqualFold(c.To, to.Name) &&
			(len(c.Ports) == 0 || slices.Contains(c.Ports, port)) {
			return true
		}
	}
	return false
}

// probe answers one reachability probe run on host from.
func (l *Lab) probe(from *Host, p facts.Probe, timeoutMS int) facts.ProbeResult {
	res := facts.ProbeResult{Target: p.Target, Ports: make([]facts.PortResult, 0, len(p.Ports))}
	target, addrs, dnsErr := l.resolve(p.Target)
	if dnsErr != "" {
		res.DNSError = fmt.Sprintf("%s: %s", p.Target, dnsErr)
		for _, port := range p.Ports {
			res.Ports = append(res.Ports, facts.PortResult{Port: port, Error: "dns"})
		}
		return res
	}
	res.Addresses = addrs
	for _, port := range p.Ports {
		pr := facts.PortResult{Port: port}
		switch {
		case target == nil || l.cut(from, target, port):
			pr.Error, pr.ElapsedMS = "timeout", timeoutMS
		case target.listensOn(port):
			pr.Open, pr.ElapsedMS = true, 1
		default:
			pr.Error, pr.ElapsedMS = "refused", 1
		}
		res.Ports = append(res.Ports, pr)
	}
	return res
}
