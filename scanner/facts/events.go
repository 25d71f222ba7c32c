package facts

import (
	"strings"
	"time"
)

// NTLM event evidence. The collector reads Microsoft-Windows-NTLM/Operational
// with the IDs, the time window and the cap in the query (Get-WinEvent
// -FilterHashtable ... -MaxEvents), never filtering in the pipeline, and
// aggregates on the host: one EventGroup per event ID, counterpart,
// workstation, account and process, with a count and the first and last
// time. What each ID's EventData fields mean is the table EventFields; the
// request carries it as data, so collect.ps1 stays generic.

// NTLMLog is the channel the NTLM audit and block events are written to
// (Microsoft's "Restrict NTLM" policy pages: "Applications and Services
// Log\Microsoft\Windows\NTLM"). The DC pass-through events 4004/8004 come
// from another provider (Microsoft-Windows-Security-Netlogon) but are
// documented in the same log, which is why the query filters by log name
// and not by provider.
const NTLMLog = "Microsoft-Windows-NTLM/Operational"

// Defaults of the event read.
const (
	DefaultEvidenceDays = 7
	// DefaultMaxEvents caps the events read per host (newest first): a
	// host with 100,000 NTLM events costs at most this many.
	DefaultMaxEvents = 5000
	// DefaultMaxGroups caps the groups a host returns; events beyond it
	// are counted in NTLMEvents.Ungrouped.
	DefaultMaxGroups = 200
)

// EventSide is where an event is logged.
type EventSide string

const (
	EventClient EventSide = "client" // the machine that authenticates (the Core)
	EventServer EventSide = "server" // the machine authenticated to (agent, share host)
	EventDC     EventSide = "dc"     // a DC doing pass-through validation
)

// EventKind is what an event says about NTLM.
type EventKind string

const (
	EventBlocked    EventKind = "blocked"       // NTLM was refused (4001-4004, 4025)
	EventWouldBlock EventKind = "would-block"   // audit: a Deny setting would refuse it (8001-8004, 4024)
	EventUsed       EventKind = "used"          // enhanced auditing: NTLM was used (4020-4023)
	EventMinSec     EventKind = "min-security"  // 4010/4011: minimum session security refused it
	EventV1Failed   EventKind = "ntlmv1-failed" // 4013: an NTLMv1 attempt failed (not a marker of the 24H2 removal)
)

// EventField is one row of the event table: which EventData names give the
// aggregation keys of one event ID, tried in order (the first non-empty
// wins). Positional names the message inserts, in order, for events whose
// EventData carries no names.
type EventField struct {
	ID          int       `json:"id"`
	Side        EventSide `json:"-"`
	Kind        EventKind `json:"-"`
	Counterpart []string  `json:"counterpart,omitempty"` // the other machine (target, client or secure channel)
	Workstation []string  `json:"workstation,omitempty"` // the client machine, on DC events
	User        []string  `json:"user,omitempty"`
	Domain      []string  `json:"domain,omitempty"`
	Process     []string  `json:"process,omitempty"`
	Positional  []string  `json:"positional,omitempty"`
	// Unconfirmed: the field names of this ID are not in a primary source.
	Unconfirmed bool `json:"-"`
}

// Field names of the msv1_0 client events (4001, 8001, 4013): "Target
// server, Supplied user, Supplied domain, PID, process name, LUID, user
// identity of process, domain of process identity, Mechanism OID".
var clientEvent = EventField{
	Side: EventClient, Counterpart: []string{"TargetName"},
	User: []string{"UserName", "ClientUserName"}, Domain: []string{"DomainName", "ClientDomainName"},
	Process: []string{"ProcessName"},
}

// The server events (4002, 8002) describe the calling server process (for
// example lsass, its identity in ClientUserName), not the remote user or
// workstation: they carry no counterpart, so no path can claim them and
// they are listed as the host's unmatched events.
var serverEvent = EventField{
	Side: EventServer, User: []string{"ClientUserName"}, Domain: []string{"ClientDomainName"},
	Process: []string{"ProcessName"},
}

// The Netlogon DC events (4004, 8004): Secure Channel name (the server that
// passed the logon through), User, Domain, Workstation (the client), Secure
// Channel type. Their EventData names are UNCONFIRMED, so the positional
// order of the message inserts is the fallback.
var dcEvent = EventField{
	Side: EventDC, Counterpart: []string{"SChannelName", "SecureChannelName"},
	Workstation: []string{"WorkstationName", "Workstation"}, User: []string{"UserName"}, Domain: []string{"DomainName"},
	Positional:  []string{"SChannelName", "UserName", "DomainName", "WorkstationName", "SChannelType"},
	Unconfirmed: true,
}

// The enhanced auditing events of Windows 11 24H2 / Windows Server 2025
// (KB5064479: who, why and where; KB5066470: 4024 audit / 4025 block of
// NTLMv1-derived SSO). Their EventData names are UNCONFIRMED: these are the
// names the older events use for the same facts, tried in order.
var enhancedEvent = EventField{
	Counterpart: []string{"TargetName", "ServerName", "RemoteMachineName", "ClientName", "WorkstationName", "ClientIP", "RemoteIP"},
	User:        []string{"UserName", "ClientUserName", "AccountName"}, Domain: []string{"DomainName", "ClientDomainName"},
	Process:     []string{"ProcessName", "CallerProcessName"},
	Unconfirmed: true,
}

func with(f EventField, id int, side EventSide, kind EventKind) EventField {
	f.ID, f.Kind = id, kind
	if side != "" {
		f.Side = side
	}
	return f
}

// EventFields is the event table: every ID the collector asks for, in
// order. The IDs and their meaning follow the msv1_0 and netlogon message
// files ("NTLM client blocked", "NTLM server blocked", "Domain Controller
// Blocked", their audit twins, 4010/4011 minimum session security, 4013
// NTLMv1 failed) and KB5064479/KB5066470 for 4020-4025.
var EventFields = []EventField{
	with(clientEvent, 4001, "", EventBlocked),
	with(serverEvent, 4002, "", EventBlocked),
	// 4003/8003 "NTLM server blocked in the domain": User, Domain,
	// Workstation, PID, Process, ... Where they are logged (DC or member)
	// is UNCONFIRMED.
	{ID: 4003, Side: EventDC, Kind: EventBlocked, Workstation: []string{"Workstation", "WorkstationName"},
		User: []string{"UserName"}, Domain: []string{"DomainName"}, Process: []string{"ProcessName"}, Unconfirmed: true},
	with(dcEvent, 4004, "", EventBlocked),
	{ID: 4010, Side: EventClient, Kind: EventMinSec, Process: []string{"ProcessName"}},
	{ID: 4011, Side: EventServer, Kind: EventMinSec, Process: []string{"ProcessName"}},
	with(clientEvent, 4013, "", EventV1Failed),
	with(enhancedEvent, 4020, EventClient, EventUsed),
	with(enhancedEvent, 4021, EventServer, EventUsed),
	with(enhancedEvent, 4022, EventClient, EventUsed),
	with(enhancedEvent, 4023, EventServer, EventUsed),
	with(enhancedEvent, 4024, EventClient, EventWouldBlock),
	with(enhancedEvent, 4025, EventClient, EventBlocked),
	with(clientEvent, 8001, "", EventWouldBlock),
	with(serverEvent, 8002, "", EventWouldBlock),
	{ID: 8003, Side: EventDC, Kind: EventWouldBlock, Workstation: []string{"Workstation", "WorkstationName"},
		User: []string{"UserName"}, Domain: []string{"DomainName"}, Process: []string{"ProcessName"}, Unconfirmed: true},
	with(dcEvent, 8004, "", EventWouldBlock),
}

// EventFieldOf returns the table row of id, or nil.
func EventFieldOf(id int) *EventField {
	for i := range EventFields {
		if EventFields[i].ID == id {
			return &EventFields[i]
		}
	}
	return nil
}

// EventQuery is the event read the collector makes (Request.Events).
type EventQuery struct {
	LogName   string       `json:"logName"`
	Days      int          `json:"days"`
	MaxEvents int          `json:"maxEvents"`
	MaxGroups int          `json:"maxGroups"`
	Fields    []EventField `json:"fields"`
}

// NewEventQuery is the default query over days (DefaultEvidenceDays when
// days <= 0).
func NewEventQuery(days int) *EventQuery {
	if days <= 0 {
		days = DefaultEvidenceDays
	}
	return &EventQuery{LogName: NTLMLog, Days: days, MaxEvents: DefaultMaxEvents, MaxGroups: DefaultMaxGroups,
		Fields: append([]EventField(nil), EventFields...)}
}

// NTLMEvents is what the collector found in the NTLM log (Response.NTLMEvents).
type NTLMEvents struct {
	// Available: the log could be read (an empty result is still available).
	Available bool   `json:"available"`
	Error     string `json:"error,omitempty"`
	Days      int    `json:"days"`
	// Read counts the events read; Capped says the cap was reached, so
	// older events in the window were not read.
	Read      int          `json:"read"`
	Capped    bool         `json:"capped,omitempty"`
	Ungrouped int          `json:"ungrouped,omitempty"` // events past the group cap
	Groups    []EventGroup `json:"groups,omitempty"`
}

// EventGroup is one aggregate of events that share the ID, counterpart,
// workstation, account and process.
type EventGroup struct {
	ID          int       `json:"id"`
	Counterpart string    `json:"counterpart,omitempty"`
	Workstation string    `json:"workstation,omitempty"`
	Account     string    `json:"account,omitempty"` // DOMAIN\user or user
	Process     string    `json:"process,omitempty"`
	Count       int       `json:"count"`
	First       time.Time `json:"first"`
	Last        time.Time `json:"last"`
}

// CredentialGuard is what Win32_DeviceGuard (root\Microsoft\Windows\DeviceGuard)
// reports: SecurityServicesConfigured / SecurityServicesRunning contain 1
// for Credential Guard. Available is false where the class does not exist.
type CredentialGuard struct {
	Available  bool   `json:"available"`
	Configured bool   `json:"configured,omitempty"`
	Running    bool   `json:"running,omitempty"`
	Error      string `json:"error,omitempty"`
}

// Key is the aggregation key of one event with EventData d under
// table row f: counterpart, workstation, account and process.
func (f *EventField) Key(d map[string]string) (counterpart, workstation, account, process string) {
	first := func(names []string) string {
		for _, n := range names {
			if v := strings.TrimSpace(d[n]); v != "" && v != "-" {
				return v
			}
		}
		return ""
	}
	counterpart, workstation, process = first(f.Counterpart), first(f.Workstation), first(f.Process)
	user, dom := first(f.User), first(f.Domain)
	switch {
	case user == "":
	case dom == "":
		account = user
	default:
		account = dom + `\` + user
	}
	return counterpart, workstation, account, process
}
