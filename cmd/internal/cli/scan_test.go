package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/cmd/internal/iostreams"
	"github.com/ntlmscan/ntlmscan/scanner"
)

// TestNewCmdScan: the flags (and NTLMSCAN_* variables from the Factory's
// environment) land in scanOptions, checked, before anything runs.
func TestNewCmdScan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(t *testing.T, o *scanOptions)
		wantErr string
	}{
		{name: "defaults", args: []string{"-i", "inv.yaml"}, check: func(t *testing.T, o *scanOptions) {
			if o.InventoryPath != "inv.yaml" || o.Concurrency != scanner.DefaultConcurrency || o.FailOn != "blocked" || o.Format != "table" || o.Keep != 30 {
				t.Errorf("options = %+v", o)
			}
		}},
		{name: "flags", args: []string{"-i", "inv.yaml", "--fail-on", "AT-RISK", "--concurrency", "8", "--timeout", "5m", "-q", "--json", "s.json", "--output-dir", "runs"},
			check: func(t *testing.T, o *scanOptions) {
				if o.FailOn != "at-risk" || o.Concurrency != 8 || o.Deadline != 5*time.Minute || !o.Quiet || o.JSONFile != "s.json" || o.OutputDir != "runs" {
					t.Errorf("options = %+v", o.scanFlags)
				}
			}},
		{name: "environment", args: []string{"-i", "inv.yaml"}, env: map[string]string{"NTLMSCAN_CONCURRENCY": "3", "NTLMSCAN_PASSWORD": "x"},
			check: func(t *testing.T, o *scanOptions) {
				if o.Concurrency != 3 {
					t.Errorf("NTLMSCAN_CONCURRENCY not applied: %d", o.Concurrency)
				}
				if v, ok := o.LookupEnv("NTLMSCAN_PASSWORD"); !ok || v != "x" {
					t.Error("the scan does not see the Factory's environment")
				}
			}},
		{name: "no inventory", args: nil, wantErr: "--inventory is required"},
		{name: "bad format", args: []string{"-i", "inv.yaml", "--format", "xml"}, wantErr: "--format"},
		{name: "bad fail-on", args: []string{"-i", "inv.yaml", "--fail-on", "sometimes"}, wantErr: "--fail-on"},
		{name: "no concurrency", args: []string{"-i", "inv.yaml", "--concurrency", "0"}, wantErr: "--concurrency must be at least 1"},
		{name: "negative keep", args: []string{"-i", "inv.yaml", "--keep", "-1"}, wantErr: "--keep"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ios, _, _, _ := iostreams.Test()
			f := &Factory{IO: ios, Now: func() time.Time { return fixedNow }, LookupEnv: lookup(tc.env)}
			var got *scanOptions
			root := NewRootCmd(f)
			for _, c := range root.Commands() {
				if c.Name() == "scan" {
					root.RemoveCommand(c)
				}
			}
			root.AddCommand(newScanCmd(f, func(o *scanOptions) error { got = o; return nil }))
			root.SetArgs(append([]string{"scan"}, tc.args...))
			root.SetOut(&bytes.Buffer{})
			root.SetErr(&bytes.Buffer{})
			err := root.Execute()
			if tc.wantErr != "" {
				var fe *FlagError
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.As(err, &fe) {
					t.Fatalf("err = %v, want a usage error with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, got)
		})
	}
}

// TestNewCmdDemo: --fail-on from any source makes demo exit as scan does.
func TestNewCmdDemo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		chosen bool
		whatIf bool
	}{
		{"defaults", nil, nil, false, false},
		{"flag", []string{"--fail-on", "blocked"}, nil, true, false},
		{"environment", nil, map[string]string{"NTLMSCAN_FAIL_ON": "at-risk"}, true, false},
		{"what-if", []string{"--what-if"}, nil, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ios, _, _, _ := iostreams.Test()
			f := &Factory{IO: ios, LookupEnv: lookup(tc.env)}
			var got *demoOptions
			root := NewRootCmd(f)
			for _, c := range root.Commands() {
				if c.Name() == "demo" {
					root.RemoveCommand(c)
				}
			}
			root.AddCommand(newDemoCmd(f, func(o *demoOptions) error { got = o; return nil }))
			root.SetArgs(append([]string{"demo"}, tc.args...))
			if err := root.Execute(); err != nil {
				t.Fatal(err)
			}
			if got.FailOnChosen != tc.chosen || got.WhatIf != tc.whatIf || got.HostTimeout != 20*time.Second {
				t.Errorf("FailOnChosen=%v WhatIf=%v host-timeout %s, want %v %v 20s", got.FailOnChosen, got.WhatIf, got.HostTimeout, tc.chosen, tc.whatIf)
			}
		})
	}
}

// The documented exit codes, decided in one place from how the scan ended.
func TestScanOutcomeExitCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		out        scanOutcome
		scan, demo int // demo without --fail-on chosen
	}{
		{"clean", scanOutcome{Scanned: 5}, ExitOK, ExitOK},
		{"findings", scanOutcome{Scanned: 5, Findings: 2}, ExitFindings, ExitOK},
		{"a host failed", scanOutcome{Scanned: 4, Failed: 1}, ExitHostsFailed, ExitOK},
		{"both", scanOutcome{Scanned: 4, Failed: 1, Findings: 1}, ExitBoth, ExitOK},
		{"interrupted", scanOutcome{Scanned: 4, Interrupted: true}, ExitHostsFailed, ExitOK},
		{"nothing scanned", scanOutcome{Failed: 5, Findings: 3}, ExitError, ExitError},
		{"only described hosts", scanOutcome{}, ExitOK, ExitOK},
	}
	for _, tc := range tests {
		if got := tc.out.exitCode(); got != tc.scan {
			t.Errorf("%s: exitCode() = %d, want %d", tc.name, got, tc.scan)
		}
		if got := tc.out.demoExitCode(false); got != tc.demo {
			t.Errorf("%s: demoExitCode(false) = %d, want %d", tc.name, got, tc.demo)
		}
		if got := tc.out.demoExitCode(true); got != tc.scan {
			t.Errorf("%s: demoExitCode(true) = %d, want scan's %d", tc.name, got, tc.scan)
		}
	}
}

// exitWith never turns success into an error, and an error never exits 0.
func TestExitWith(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	tests := []struct {
		name   string
		code   int
		err    error
		want   int
		silent bool
		isNil  bool
	}{
		{"success", ExitOK, nil, ExitOK, false, true},
		{"findings", ExitFindings, nil, ExitFindings, true, false},
		{"error", ExitError, boom, ExitError, false, false},
		{"error with code 0", ExitOK, boom, ExitError, false, false},
		{"coded error kept", ExitError, WithCode(ExitFindings, boom), ExitFindings, false, false},
	}
	for _, tc := range tests {
		err := exitWith(tc.code, tc.err)
		if (err == nil) != tc.isNil {
			t.Fatalf("%s: exitWith = %v", tc.name, err)
		}
		if got := codeFor(err); got != tc.want {
			t.Errorf("%s: code %d, want %d", tc.name, got, tc.want)
		}
		var ee *ExitErr
		if errors.As(err, &ee) && ee.Silent != tc.silent {
			t.Errorf("%s: silent = %v", tc.name, ee.Silent)
		}
	}
	if SilentCode(ExitOK) != nil {
		t.Error("SilentCode(ExitOK) is an error")
	}
}

// Test_scanRun fills scanOptions directly, as runF would receive them: the
// terminal report is coloured only on a terminal, and NO_COLOR is read from
// the options' environment, not the process's.
func Test_scanRun(t *testing.T) {
	t.Parallel()
	invPath, _, env := demoFleet(t)
	tests := []struct {
		name      string
		tty       bool
		noColor   bool
		env       map[string]string
		wantColor bool
	}{
		{"pipe", false, false, nil, false},
		{"terminal", true, false, nil, true},
		{"terminal, NO_COLOR", true, false, map[string]string{"NO_COLOR": "1"}, false},
		{"terminal, --no-color", true, true, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ios, _, stdout, stderr := iostreams.Test()
			ios.SetTTY(tc.tty, false)
			f := &Factory{}
			o := &scanOptions{IO: ios, Now: func() time.Time { return fixedNow }, LookupEnv: lookup(withEnv(env, tc.env)),
				Version: "test", LoggerTo: f.loggerTo, InventoryPath: invPath}
			o.Concurrency, o.HostTimeout, o.Format, o.FailOn, o.NoColor = 4, time.Minute, "table", "blocked", tc.noColor
			code, err := scanRun(context.Background(), o)
			if err != nil || code != ExitBoth {
				t.Fatalf("scanRun = %d, %v; want %d (blocked paths, AGENT07 not scanned)\n%s", code, err, ExitBoth, stderr)
			}
			if got := strings.Contains(stdout.String(), "\x1b["); got != tc.wantColor {
				t.Errorf("colour = %v, want %v", got, tc.wantColor)
			}
			// AGENT03 is blocked: listed whatever the width (AGENT05 is ok,
			// counted but not listed in the terminal view).
			if !strings.Contains(stdout.String(), "AGENT03") {
				t.Errorf("no report on stdout:\n%s", stdout)
			}
		})
	}
}
