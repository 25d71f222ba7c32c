package report_test

import (
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/render"
	"github.com/ntlmscan/ntlmscan/report/verdict"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// estate builds an inventory of n hosts (20 Cores, two DCs, the rest
// agents spread over the Cores, a third of them named by IP) and the facts
// a scan of it collects: every setting of the catalogue per host, each
// Core denying outgoing NTLM with a 2,000-entry exception list and
// probing each of its agents, one DC restricting pass-through.
func estate(n int) (*inventory.Inventory, []facts.HostResult) {
	inv := &inventory.Inventory{File: "bench.yaml"}
	dom := &inventory.Domain{Name: "corp.example", NetBIOS: "CORP"}
	inv.Domains = append(inv.Domains, dom)
	var results []facts.HostResult
	add := func(name string, role inventory.Role, dc bool) (*inventory.Host, *facts.Response) {
		h := &inventory.Host{Name: name, Role: role, NetBIOS: name, FQDN: fmt.Sprintf("%s.corp.example", toLower(name)), Domain: "corp.example", Scan: true, Address: "10.0.0.1"}
		inv.Hosts = append(inv.Hosts, h)
		id := facts.Identity{NetBIOSName: name, DNSHostName: toLower(name), Domain: "corp.example", PartOfDomain: true, DomainRole: facts.RoleMemberServer, OSBuild: 20348}
		if dc {
			id.DomainRole = facts.RoleBackupDC
		}
		resp := &facts.Response{Schema: facts.SchemaVersion, Identity: id}
		for _, s := range facts.Settings {
			resp.Registry = append(resp.Registry, facts.RegistryValue{RegistryKey: s.RegistryKey()})
		}
		results = append(results, facts.HostResult{Host: name, Address: h.Address, Facts: resp, Attempts: 1, StartedAt: time.Unix(0, 0)})
		return h, resp
	}
	set := func(r *facts.Response, id string, v facts.RegistryValue) {
		rv := facts.SettingByID(id).Lookup(r)
		v.RegistryKey = rv.RegistryKey
		*rv = v
	}
	for i := range 2 {
		h, r := add("DC0"+strconv.Itoa(i+1), inventory.RoleDomainController, true)
		dom.Controllers = append(dom.Controllers, h)
		if i == 1 {
			set(r, facts.RestrictNTLMInDomain, facts.RegistryValue{Present: true, Type: facts.RegDWORD, DWORD: ptr(uint64(1))})
		}
	}
	list := make([]string, 2000)
	for i := range list {
		list[i] = fmt.Sprintf("legacy-%04d.corp.example", i)
	}
	const cores = 20
	var coreList []*inventory.Core
	var coreFacts []*facts.Response
	for c := range cores {
		h, r := add(fmt.Sprintf("CORE%02d", c), inventory.RoleCore, false)
		set(r, facts.RestrictSendingNTLMTraffic, facts.RegistryValue{Present: true, Type: facts.RegDWORD, DWORD: ptr(uint64(2))})
		set(r, facts.ClientAllowedNTLMServers, facts.RegistryValue{Present: true, Type: facts.RegMultiSZ, Strings: list})
		core := &inventory.Core{Host: h, Account: inventory.Account{Kind: inventory.AccountDomain, Name: `CORP\svc-rr`, Domain: "corp.example"}}
		inv.Cores = append(inv.Cores, core)
		coreList, coreFacts = append(coreList, core), append(coreFacts, r)
	}
	for a := 0; len(inv.Hosts) < n; a++ {
		h, _ := add(fmt.Sprintf("AGENT%04d", a), inventory.RoleAgent, false)
		name := h.FQDN
		if a%3 == 0 {
			name = fmt.Sprintf("10.%d.%d.%d", a/65536, a/256%256, a%256)
		}
		c := a % cores
		coreList[c].Agents = append(coreList[c].Agents, &inventory.AgentLink{Core: coreList[c], Agent: h, NameUsed: name, Port: 8006})
		coreFacts[c].Probes = append(coreFacts[c].Probes, facts.ProbeResult{Target: name, Addresses: []string{"10.0.0.1"}, Ports: []facts.PortResult{{Port: 8006, Open: true}}})
	}
	return inv, results
}

func ptr[T any](v T) *T { return &v }

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// peakHeap samples the live heap while f runs and returns the peak.
func peakHeap(f func()) uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	read := func() {
		metrics.Read(sample)
		if v := sample[0].Value.Uint64(); v > peak.Load() {
			peak.Store(v)
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				read()
			}
		}
	}()
	f()
	read()
	close(stop)
	wg.Wait()
	return peak.Load()
}

// BenchmarkReport5000Hosts builds the report of a 5,000-host scan (verdicts,
// change plan) and writes it as JSON and CSV, as a nightly run does. It
// reports allocations and the peak live heap, which includes the scan's
// facts (the goal: the whole run within 256 MiB RSS).
func BenchmarkReport5000Hosts(b *testing.B) {
	inv, results := estate(5000)
	runtime.GC()
	b.ReportAllocs()
	var peak uint64
	var paths, jsonBytes int
	for b.Loop() {
		p := peakHeap(func() {
			m := verdict.Evaluate(inv, results, nil, verdict.Options{})
			rep := &report.Report{RunID: "bench", GeneratedAt: time.Unix(0, 0), Hosts: results, Matrix: *m}
			cw := &countWriter{}
			if err := report.Encode(cw, rep); err != nil {
				b.Fatal(err)
			}
			csv, _ := render.New(render.FormatCSV)
			if err := csv.Render(io.Discard, rep, render.Options{}); err != nil {
				b.Fatal(err)
			}
			paths, jsonBytes = len(m.Paths), cw.n
		})
		peak = max(peak, p)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(paths), "paths")
	b.ReportMetric(float64(jsonBytes)/(1<<20), "json-MiB")
}

type countWriter struct{ n int }

func (c *countWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }
