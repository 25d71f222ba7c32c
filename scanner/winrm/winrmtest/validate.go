package winrmtest

import (
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

var (
	// NetBIOS computer and domain names: 1-15 characters, none of \/:*?"<>| or spaces.
	netbiosRE  = regexp.MustCompile(`^[A-Za-z0-9!#$%&'()\-.@^_{}~]{1,15}$`)
	dnsNameRE  = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)
	rsopGUIDRE = regexp.MustCompile(`^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$`)
	userRE     = regexp.MustCompile(`^[^\\/"\[\]:;|=,+*?<>@]{1,104}$`)
)

var validServiceStates = []string{"Running", "Stopped", "Paused", "Start Pending", "Stop Pending", "Continue Pending", "Pause Pending", "Unknown"}
var validStartModes = []string{"Auto", "Manual", "Disabled", "Boot", "System"}

// Validate checks the lab and fills in defaults (idempotent). Errors name
// the file and line of the offending entry.
func (l *Lab) Validate() error {
	v := &validator{lab: l}
	v.domains()
	v.hosts()
	v.cuts()
	if len(v.errs) == 0 {
		return nil
	}
	if len(v.errs) == 1 {
		return v.errs[0]
	}
	return &LabErrors{Errs: v.errs}
}

// LabErrors is several lab problems at once.
type LabErrors struct{ Errs []*LabError }

func (e *LabErrors) Error() string {
	parts := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		parts[i] = err.Error()
	}
	return strings.Join(parts, "\n")
}

// Unwrap lets errors.As find the first *LabError.
func (e *LabErrors) Unwrap() []error {
	out := make([]error, len(e.Errs))
	for i, err := range e.Errs {
		out[i] = err
	}
	return out
}

type validator struct {
	lab  *Lab
	errs []*LabError
}

func (v *validator) errorf(line int, format string, args ...any) {
	if len(v.errs) >= 50 {
		return
	}
	v.errs = append(v.errs, &LabError{File: v.lab.File, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) domains() {
	seen := map[string]int{}
	for i, d := range v.lab.Domains {
		if d == nil {
			v.errorf(0, "domains[%d] is empty", i)
			continue
		}
		where := fmt.Sprintf("domain %q", d.Name)
		if d.Name == "" {
			v.errorf(d.Line, "domains[%d]: name (the DNS name, e.g. corp.example) is required", i)
		} else if !dnsNameRE.MatchString(d.Name) || !strings.Contains(d.Name, ".") {
			v.errorf(d.Line, "%s: name must be a DNS domain name such as corp.example", where)
		}
		d.Name = strings.ToLower(d.Name)
		if d.NetBIOS == "" {
			// Windows derives the default NetBIOS domain from the first label.
			d.NetBIOS = strings.ToUpper(strings.SplitN(d.Name, ".", 2)[0])
			if len(d.NetBIOS) > 15 {
				d.NetBIOS = d.NetBIOS[:15]
			}
		}
		if !netbiosRE.MatchString(d.NetBIOS) {
			v.errorf(d.Line, "%s: netbios %q is not a valid NetBIOS name (1-15 characters, no spaces or \\/:*?\"<>|)", where, d.NetBIOS)
		}
		d.NetBIOS = strings.ToUpper(d.NetBIOS)
		for _, k := range []string{d.Name, d.NetBIOS} {
			if k == "" {
				continue
			}
			if prev, dup := seen[strings.ToLower(k)]; dup && prev != i {
				v.errorf(d.Line, "%s: %q is already used by another domain", where, k)
			}
			seen[strings.ToLower(k)] = i
		}
		v.users(d.Line, where, d.Users)
	}
}

func (v *validator) users(line int, where string, users []User) {
	seen := map[string]bool{}
	for _, u := range users {
		if u.Name == "" {
			v.errorf(line, "%s: a user has no name", where)
			continue
		}
		if !userRE.MatchString(u.Name) {
			v.errorf(line, "%s: user name %q has characters Windows does not allow in account names", where, u.Name)
		}
		if u.Password == "" {
			v.errorf(line, "%s: user %q has no password (lab users need one to log on)", where, u.Name)
		}
		if seen[strings.ToLower(u.Name)] {
			v.errorf(line, "%s: user %q is listed twice", where, u.Name)
		}
		seen[strings.ToLower(u.Name)] = true
	}
}

func (v *validator) hosts() {
	if len(v.lab.Hosts) == 0 {
		v.errorf(0, "the lab has no hosts: add at least one under hosts:")
		return
	}
	names := map[string]*Host{}
	addrs := map[netip.Addr]*Host{}
	fqdns := map[string]*Host{}
	pdcSeen := map[*Domain]bool{}
	for i, h := range v.lab.Hosts {
		if h == nil {
			v.errorf(0, "hosts[%d] is empty", i)
			continue
		}
		where := fmt.Sprintf("host %q", h.Name)
		if h.Name == "" {
			where = fmt.Sprintf("hosts[%d]", i)
			v.errorf(h.Line, "%s: name (the NetBIOS computer name) is required", where)
		} else if !netbiosRE.MatchString(h.Name) || strings.Contains(h.Name, ".") {
			v.errorf(h.Line, "%s: name must be a NetBIOS computer name (1-15 characters, no dots, spaces or \\/:*?\"<>|)", where)
		}
		h.Name = strings.ToUpper(h.Name)
		dupName := false
		if prev, dup := names[h.Name]; dup && h.Name != "" {
			v.errorf(h.Line, "%s: duplicate host name (first defined at line %d)", where, prev.Line)
			dupName = true
		} else {
			names[h.Name] = h
		}

		v.address(h, where, addrs)
		v.accountLists(h, where)
		v.membership(h, where, pdcSeen)
		if h.FQDN == "" && h.Name != "" {
			h.FQDN = strings.ToLower(h.Name)
			if h.Domain != "" {
				h.FQDN += "." + h.Domain
			}
		}
		h.FQDN = strings.ToLower(strings.TrimSuffix(h.FQDN, "."))
		if h.FQDN != "" && !dnsNameRE.MatchString(h.FQDN) {
			v.errorf(h.Line, "%s: fqdn %q is not a valid DNS name", where, h.FQDN)
		}
		if prev, dup := fqdns[h.FQDN]; dup && h.FQDN != "" && !dupName {
			v.errorf(h.Line, "%s: fqdn %q is already used by host %s (line %d)", where, h.FQDN, prev.Name, prev.Line)
		} else {
			fqdns[h.FQDN] = h
		}
		v.os(h, where)
		v.users(h.Line, where, h.Users)
		v.winrm(h, where)
		v.registry(h, where)
		v.services(h, where)
		v.ports(h.Line, where+": listens", h.Listens)
		v.smbClient(h, where)
		v.rsop(h, where)
		v.smbServer(h, where)
		for _, e := range h.NTLMEvents {
			if e.ID <= 0 {
				v.errorf(h.Line, "%s: an NTLM event has no id", where)
			}
			if e.Count < 0 || e.Ago < 0 {
				v.errorf(h.Line, "%s: NTLM event %d: count and ago cannot be negative", where, e.ID)
			}
		}
		if h.KDC != nil {
			for _, c := range h.KDC.Missing {
				if !slices.ContainsFunc(kdcClasses, func(k string) bool { return strings.EqualFold(k, c) }) {
					v.errorf(h.Line, "%s: kdc.missing: %q is not a service class the lab KDC registers (%s)", where, c, strings.Join(kdcClasses, ", "))
				}
			}
		}
		v.faults(h.Line, where, &h.Faults)
	}
}

func (v *validator) address(h *Host, where string, addrs map[netip.Addr]*Host) {
	if h.Address == "" {
		v.errorf(h.Line, "%s: address is required (a loopback address such as 127.0.0.21)", where)
		return
	}
	a, err := netip.ParseAddr(h.Address)
	switch {
	case err != nil || !a.Is4():
		v.errorf(h.Line, "%s: address %q is not an IPv4 address (use one in 127.0.0.0/8)", where, h.Address)
		return
	case !a.IsLoopback():
		v.errorf(h.Line, "%s: address %s is outside 127.0.0.0/8: simulated hosts only listen on loopback", where, h.Address)
		return
	case a == netip.AddrFrom4([4]byte{127, 0, 0, 0}) || a == netip.AddrFrom4([4]byte{127, 255, 255, 255}):
		v.errorf(h.Line, "%s: address %s is the loopback network or broadcast address, pick a host address", where, h.Address)
		return
	}
	h.Address = a.String()
	if prev, dup := addrs[a]; dup {
		v.errorf(h.Line, "%s: address %s is already used by host %s (line %d)", where, h.Address, prev.Name, prev.Line)
		return
	}
	addrs[a] = h
	v.dnsAddresses(h, where)
}

// dnsAddresses checks what the host's names resolve to (IPv4 or IPv6,
// each once) and stores them in canonical form.
func (v *validator) dnsAddresses(h *Host, where string) {
	seen := map[netip.Addr]bool{}
	for i, s := range h.DNSAddresses {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			v.errorf(h.Line, "%s: dnsAddresses entry %q is not an IP address", where, s)
			continue
		}
		if seen[a] {
			v.errorf(h.Line, "%s: dnsAddresses lists %s twice", where, a)
		}
		seen[a] = true
		h.DNSAddresses[i] = a.String()
	}
}

func (v *validator) membership(h *Host, where string, pdcSeen map[*Domain]bool) {
	switch {
	case h.Domain != "" && h.Workgroup != "":
		v.errorf(h.Line, "%s: set either domain or workgroup, not both", where)
	case h.Domain != "":
		d := v.lab.DomainByName(h.Domain)
		if d == nil {
			v.errorf(h.Line, "%s: domain %q is not defined under domains:", where, h.Domain)
			return
		}
		h.domain = d
		h.Domain = d.Name
	default:
		if h.Workgroup == "" {
			h.Workgroup = "WORKGROUP"
		}
		if !netbiosRE.MatchString(h.Workgroup) {
			v.errorf(h.Line, "%s: workgroup %q is not a valid NetBIOS name", where, h.Workgroup)
		}
		h.Workgroup = strings.ToUpper(h.Workgroup)
	}
	if h.DomainController && h.Domain == "" {
		v.errorf(h.Line, "%s: a domain controller needs a domain", where)
	}
	server := !strings.Contains(strings.ToLower(h.OS.Caption), "windows 1") // Windows 10/11 are workstations
	switch {
	case h.DomainRole != nil:
		if *h.DomainRole < 0 || *h.DomainRole > 5 {
			v.errorf(h.Line, "%s: domainRole must be 0..5 (Win32_ComputerSystem.DomainRole)", where)
		}
		h.role = *h.DomainRole
	case h.DomainController && h.domain != nil:
		if !pdcSeen[h.domain] {
			pdcSeen[h.domain] = true
			h.role = facts.RolePrimaryDC
		} else {
			h.role = facts.RoleBackupDC
		}
	case h.Domain != "" && server:
		h.role = facts.RoleMemberServer
	case h.Domain != "":
		h.role = facts.RoleMemberWorkstation
	case server:
		h.role = facts.RoleStandaloneServer
	default:
		h.role = facts.RoleStandaloneWorkstation
	}
}

func (v *validator) os(h *Host, where string) {
	if h.OS.Build < 0 {
		v.errorf(h.Line, "%s: os.build must be positive", where)
	}
	if h.ServesWinRM() && h.OS.Build == 0 {
		v.errorf(h.Line, "%s: os.build is required for a host that serves WinRM (e.g. 20348 for Windows Server 2022)", where)
	}
	if h.OS.Version != "" {
		var a, b, c int
		if n, _ := fmt.Sscanf(h.OS.Version, "%d.%d.%d", &a, &b, &c); n != 3 || c != h.OS.Build {
			v.errorf(h.Line, "%s: os.version %q must look like 10.0.%d (major.minor.build)", where, h.OS.Version, h.OS.Build)
		}
	}
}

func (v *validator) winrm(h *Host, where string) {
	w := &h.WinRM
	if w.HTTPPort == 0 {
		w.HTTPPort = DefaultHTTPPort
	}
	if w.HTTPSPort == 0 {
		w.HTTPSPort = DefaultHTTPSPort
	}
	for _, p := range []struct {
		name string
		port int
	}{{"httpPort", w.HTTPPort}, {"httpsPort", w.HTTPSPort}} {
		if p.port < 1 || p.port > 65535 {
			v.errorf(h.Line, "%s: winrm.%s %d is not a TCP port (1-65535)", where, p.name, p.port)
		}
	}
	if h.httpEnabled() && w.HTTPS && w.HTTPPort == w.HTTPSPort {
		v.errorf(h.Line, "%s: winrm.httpPort and winrm.httpsPort are both %d", where, w.HTTPPort)
	}
	switch w.RejectUnencrypted {
	case 0:
		w.RejectUnencrypted = 500
		if !h.is2016OrLater() {
			w.RejectUnencrypted = 401
		}
	case 401, 500:
	default:
		v.errorf(h.Line, "%s: winrm.rejectUnencrypted must be 401 (Windows Server 2012 R2 style) or 500 (2016 and later)", where)
	}
	defaults := []struct {
		name string
		val  *int
		def  int
		max  int
	}{
		{"maxShellsPerUser", &w.MaxShellsPerUser, defaultMaxShells, 1 << 20},
		{"maxConcurrentOperationsPerUser", &w.MaxConcurrentOperationsPerUser, defaultMaxOperations, 1 << 20},
		{"maxEnvelopeSizeKB", &w.MaxEnvelopeSizeKB, defaultMaxEnvelopeSizeKB, 1 << 20},
		{"maxFieldLength", &w.MaxFieldLength, defaultMaxFieldLength, 65534},
		{"maxRequestBytes", &w.MaxRequestBytes, defaultMaxRequestBytes, 16777216},
	}
	for _, d := range defaults {
		switch {
		case *d.val == 0:
			*d.val = d.def
		case *d.val < 0 || *d.val > d.max:
			v.errorf(h.Line, "%s: winrm.%s %d is out of range", where, d.name, *d.val)
		}
	}
	if w.MaxEnvelopeSizeKB > 0 && w.MaxEnvelopeSizeKB < 32 {
		v.errorf(h.Line, "%s: winrm.maxEnvelopeSizeKB must be at least 32", where)
	}
	if w.IdleTimeout == 0 {
		w.IdleTimeout = defaultIdleTimeout
	}
	if w.ShellIdleTimeout == 0 {
		w.ShellIdleTimeout = defaultShellIdleTimeout
	}
	if w.IdleTimeout < 0 || w.ShellIdleTimeout < 0 {
		v.errorf(h.Line, "%s: winrm timeouts must be positive", where)
	}
	v.channelBinding(h, where)
}

func (v *validator) registry(h *Host, where string) {
	seen := map[string]bool{}
	for i := range h.Registry {
		r := &h.Registry[i]
		key, name, ok := splitRegistryPath(r.Path)
		if !ok {
			v.errorf(h.Line, "%s: registry path %q must be a full value path such as HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\LmCompatibilityLevel", where, r.Path)
			continue
		}
		r.key, r.name = key, name
		r.Path = key + `\` + name
		id := strings.ToLower(r.Path)
		if seen[id] {
			v.errorf(h.Line, "%s: registry value %s is listed twice", where, r.Path)
		}
		seen[id] = true
		if err := r.decodeValue(); err != nil {
			v.errorf(h.Line, "%s: registry value %s: %v", where, r.Path, err)
		}
	}
}

// splitRegistryPath normalises the hive and splits off the value name.
func splitRegistryPath(p string) (key, name string, ok bool) {
	p = strings.Trim(strings.TrimSpace(p), `\`)
	i := strings.LastIndexByte(p, '\\')
	if i <= 0 || i == len(p)-1 {
		return "", "", false
	}
	key = normalizeHive(p[:i])
	if !strings.HasPrefix(strings.ToUpper(key), `HKLM\`) && !strings.HasPrefix(strings.ToUpper(key), `HKCU\`) {
		return "", "", false
	}
	return key, p[i+1:], true
}

func normalizeHive(k string) string {
	upper := strings.ToUpper(k)
	for long, short := range map[string]string{`HKEY_LOCAL_MACHINE\`: `HKLM\`, `HKLM:\`: `HKLM\`, `HKEY_CURRENT_USER\`: `HKCU\`} {
		if strings.HasPrefix(upper, long) {
			return short + k[len(long):]
		}
	}
	return k
}

func (r *RegistryEntry) decodeValue() error {
	r.Type = strings.ToUpper(strings.TrimSpace(r.Type))
	switch r.Type {
	case facts.RegDWORD, facts.RegQWORD:
		limit := uint64(math.MaxUint32)
		if r.Type == facts.RegQWORD {
			limit = math.MaxUint64
		}
		n, err := toUint(r.Value, limit)
		if err != nil {
			return fmt.Errorf("%s needs a number: %w", r.Type, err)
		}
		r.dword = n
	case facts.RegSZ, facts.RegExpandSZ:
		s, ok := r.Value.(string)
		if !ok {
			if r.Value == nil {
				s = ""
			} else {
				return fmt.Errorf("%s needs a string (quote numbers)", r.Type)
			}
		}
		r.str = s
	case facts.RegMultiSZ:
		switch val := r.Value.(type) {
		case nil:
			r.strs = []string{}
		case []any:
			r.strs = make([]string, 0, len(val))
			for _, it := range val {
				s, ok := it.(string)
				if !ok {
					s = fmt.Sprint(it)
				}
				r.strs = append(r.strs, s)
			}
		case []string:
			r.strs = val
		default:
			return fmt.Errorf("REG_MULTI_SZ needs a list of strings")
		}
	case "":
		return fmt.Errorf("type is required (REG_DWORD, REG_QWORD, REG_SZ, REG_EXPAND_SZ or REG_MULTI_SZ)")
	default:
		return fmt.Errorf("type %q is not supported (REG_DWORD, REG_QWORD, REG_SZ, REG_EXPAND_SZ or REG_MULTI_SZ)", r.Type)
	}
	return nil
}

func toUint(v any, limit uint64) (uint64, error) {
	var n uint64
	switch x := v.(type) {
	case int:
		if x < 0 {
			return 0, fmt.Errorf("%d is negative", x)
		}
		n = uint64(x)
	case int64:
		if x < 0 {
			return 0, fmt.Errorf("%d is negative", x)
		}
		n = uint64(x)
	case uint64:
		n = x
	case uint32:
		n = uint64(x)
	case string:
		p, err := strconv.ParseUint(strings.TrimSpace(x), 0, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number", x)
		}
		n = p
	case nil:
		return 0, fmt.Errorf("value is missing")
	default:
		return 0, fmt.Errorf("%v is not a whole number", v)
	}
	if n > limit {
		return 0, fmt.Errorf("%d does not fit", n)
	}
	return n, nil
}

func (v *validator) services(h *Host, where string) {
	seen := map[string]bool{}
	for i := range h.Services {
		s := &h.Services[i]
		if s.Name == "" {
			v.errorf(h.Line, "%s: a service has no name", where)
			continue
		}
		if seen[strings.ToLower(s.Name)] {
			v.errorf(h.Line, "%s: service %q is listed twice", where, s.Name)
		}
		seen[strings.ToLower(s.Name)] = true
		if s.State == "" {
			s.State = "Running"
		}
		if st, ok := oneOf(s.State, validServiceStates); ok {
			s.State = st
		} else {
			v.errorf(h.Line, "%s: service %s: state %q is not one of %s", where, s.Name, s.State, strings.Join(validServiceStates, ", "))
		}
		if s.StartMode == "" {
			s.StartMode = "Auto"
		}
		if m, ok := oneOf(s.StartMode, validStartModes); ok {
			s.StartMode = m
		} else {
			v.errorf(h.Line, "%s: service %s: startMode %q is not one of %s", where, s.Name, s.StartMode, strings.Join(validStartModes, ", "))
		}
		if s.LogonAs == "" {
			s.LogonAs = "LocalSystem"
		}
		if s.DisplayName == "" {
			s.DisplayName = s.Name
		}
	}
}

func oneOf(s string, list []string) (string, bool) {
	for _, c := range list {
		if strings.EqualFold(s, c) {
			return c, true
		}
	}
	return s, false
}

func (v *validator) ports(line int, where string, ports []int) {
	seen := map[int]bool{}
	for _, p := range ports {
		if p < 1 || p > 65535 {
			v.errorf(line, "%s: %d is not a TCP port (1-65535)", where, p)
		}
		if seen[p] {
			v.errorf(line, "%s: port %d is listed twice", where, p)
		}
		seen[p] = true
	}
}

func (v *validator) smbClient(h *Host, where string) {
	c := h.SMBClient
	if c == nil {
		return
	}
	if c.BlockNTLM != nil && h.OS.Build < 26100 {
		v.errorf(h.Line, "%s: smbClient.blockNTLM only exists on Windows 11 24H2 / Server 2025 (build 26100 and later), this host is build %d", where, h.OS.Build)
	}
}

// smbDialects are the dialect names smbServer.dialect takes.
var smbDialects = []string{"2.0.2", "2.1", "3.0", "3.0.2", "3.1.1"}

func (v *validator) smbServer(h *Host, where string) {
	c := h.SMBServer
	if c == nil {
		return
	}
	if c.Port == 0 {
		c.Port = 445
	}
	if c.Port < 1 || c.Port > 65535 {
		v.errorf(h.Line, "%s: smbServer.port %d is not a TCP port (1-65535)", where, c.Port)
	}
	if h.ServesWinRM() && (c.Port == h.WinRM.HTTPPort || (h.WinRM.HTTPS && c.Port == h.WinRM.HTTPSPort)) {
		v.errorf(h.Line, "%s: smbServer.port %d is also a WinRM port", where, c.Port)
	}
	switch {
	case c.SMB1Only && c.Dialect != "":
		v.errorf(h.Line, "%s: smbServer: smb1Only and dialect exclude each other (an SMB1-only server speaks no SMB2 dialect)", where)
	case c.Dialect == "":
		if !c.SMB1Only {
			c.Dialect = "3.1.1"
		}
	case !slices.Contains(smbDialects, c.Dialect):
		v.errorf(h.Line, "%s: smbServer.dialect %q is not one of %s", where, c.Dialect, strings.Join(smbDialects, ", "))
	}
}

func (v *validator) faults(line int, where string, f *Faults) {
	for _, d := range []struct {
		name string
		val  time.Duration
	}{{"latency", f.Latency}, {"remoteRuntime", f.RemoteRuntime}} {
		if d.val < 0 {
			v.errorf(line, "%s: faults.%s must not be negative", where, d.name)
		}
	}
	if f.MalformedXML != "" {
		if m, ok := oneOf(f.MalformedXML, []string{"Create", "Command", "Receive"}); ok {
			f.MalformedXML = m
		} else {
			v.errorf(line, "%s: faults.malformedXML must be Create, Command or Receive", where)
		}
	}
	if f.OversizedOutput < 0 || f.OversizedOutput > maxOversizedOutput {
		v.errorf(line, "%s: faults.oversizedOutput must be between 0 and %d bytes", where, maxOversizedOutput)
	}
	if f.CollectorSchema < 0 {
		v.errorf(line, "%s: faults.collectorSchema must not be negative", where)
	}
}

func (v *validator) cuts() {
	for i := range v.lab.Network.Cuts {
		c := &v.lab.Network.Cuts[i]
		from, to := v.lab.HostByName(c.From), v.lab.HostByName(c.To)
		if from == nil {
			v.errorf(c.Line, "network cut %d: from %q is not a lab host", i+1, c.From)
		}
		if to == nil {
			v.errorf(c.Line, "network cut %d: to %q is not a lab host", i+1, c.To)
		}
		if from != nil && to != nil {
			if from == to {
				v.errorf(c.Line, "network cut %d: from and to are the same host", i+1)
			}
			c.From, c.To = from.Name, to.Name
			for k, s := range c.Addresses {
				a, err := netip.ParseAddr(strings.TrimSpace(s))
				if err != nil || !slices.Contains(to.dnsAddresses(), a.String()) {
					v.errorf(c.Line, "network cut %d: address %q is not one of %s's addresses (%s)", i+1, s, to.Name, strings.Join(to.dnsAddresses(), ", "))
					continue
				}
				c.Addresses[k] = a.String()
			}
		}
		v.ports(c.Line, fmt.Sprintf("network cut %d: ports", i+1), c.Ports)
	}
}

// accountLists checks the authorization lists: "user", "HOST\user" or
// "DOMAIN\user", each a plausible account name.
func (v *validator) accountLists(h *Host, where string) {
	for _, l := range []struct {
		key  string
		list []string
	}{{"administrators", h.Administrators}, {"remoteManagementUsers", h.RemoteManagementUsers}, {"winrm.shellDeniedTo", h.WinRM.ShellDeniedTo}, {"winrm.configSDDL", h.WinRM.ConfigSDDL}} {
		for _, e := range l.list {
			_, user, ok := strings.Cut(strings.TrimSpace(e), `\`)
			if !ok {
				user = strings.TrimSpace(e)
			}
			if user == "" || strings.Contains(user, `\`) || !userRE.MatchString(user) {
				v.errorf(h.Line, "%s: %s entry %q is not an account (user, HOST\\user or DOMAIN\\user)", where, l.key, e)
			}
		}
	}
}
