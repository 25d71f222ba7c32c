package cli

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/cmd/internal/iostreams"
)

const examplesDir = "../../../examples"

// checkCommandLine parses an example's ntlmscan command line with the real
// command tree, so a renamed flag breaks this test instead of a nightly job.
func checkCommandLine(t *testing.T, where string, args []string) {
	t.Helper()
	streams, _, _, _ := iostreams.Test()
	root := NewRootCmd(&Factory{IO: streams})
	cmd, rest, err := root.Find(args)
	if err != nil || cmd == root {
		t.Fatalf("%s: %v is not an ntlmscan command: %v", where, args, err)
	}
	if err := cmd.ParseFlags(rest); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
}

func TestSchedulingExamples(t *testing.T) {
	t.Parallel()
	t.Run("systemd", func(t *testing.T) {
		t.Parallel()
		data, err := os.ReadFile(filepath.Join(examplesDir, "systemd", "ntlmscan.service"))
		if err != nil {
			t.Fatal(err)
		}
		unit := strings.ReplaceAll(string(data), "\\\n", " ")
		m := regexp.MustCompile(`(?m)^ExecStart=\S*ntlmscan (.*)$`).FindStringSubmatch(unit)
		if m == nil {
			t.Fatal("no ExecStart running ntlmscan")
		}
		checkCommandLine(t, "ntlmscan.service", strings.Fields(m[1]))
		for _, section := range []string{"[Unit]", "[Service]"} {
			if !strings.Contains(unit, section) {
				t.Errorf("service lacks %s", section)
			}
		}
		timer, err := os.ReadFile(filepath.Join(examplesDir, "systemd", "ntlmscan.timer"))
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`(?m)^OnCalendar=\S`).Match(timer) || !strings.Contains(string(timer), "[Install]") {
			t.Error("timer lacks OnCalendar= or [Install]")
		}
	})
	t.Run("cron", func(t *testing.T) {
		t.Parallel()
		data, err := os.ReadFile(filepath.Join(examplesDir, "cron", "ntlmscan.cron"))
		if err != nil {
			t.Fatal(err)
		}
		var found bool
		for _, line := range strings.Split(string(data), "\n") {
			if line == "" || strings.HasPrefix(line, "#") || strings.Contains(line, "=") && !strings.Contains(line, " ") {
				continue
			}
			fields := strings.Fields(line)
			if len(fields) < 7 {
				continue
			}
			// minute hour day month weekday user command...
			if !regexp.MustCompile(`^[0-9*/,-]+$`).MatchString(strings.Join(fields[:5], "")) {
				t.Fatalf("bad schedule in %q", line)
			}
			cmdline := strings.Join(fields[6:], " ")
			i := strings.Index(cmdline, "ntlmscan scan")
			if i < 0 {
				t.Fatalf("cron line does not run ntlmscan scan: %q", line)
			}
			args := strings.Fields(strings.SplitN(cmdline[i+len("ntlmscan "):], " 2>", 2)[0])
			checkCommandLine(t, "ntlmscan.cron", args)
			found = true
		}
		if !found {
			t.Fatal("no cron entry")
		}
	})
	t.Run("task scheduler", func(t *testing.T) {
		t.Parallel()
		data, err := os.ReadFile(filepath.Join(examplesDir, "taskscheduler", "ntlmscan.xml"))
		if err != nil {
			t.Fatal(err)
		}
		var task struct {
			XMLName xml.Name `xml:"Task"`
			Exec    struct {
				Command   string `xml:"Command"`
				Arguments string `xml:"Arguments"`
			} `xml:"Actions>Exec"`
			Trigger string `xml:"Triggers>CalendarTrigger>StartBoundary"`
		}
		if err := xml.Unmarshal(data, &task); err != nil {
			t.Fatalf("task XML is malformed: %v", err)
		}
		if !strings.HasSuffix(task.Exec.Command, "ntlmscan.exe") || task.Trigger == "" {
			t.Fatalf("task runs %q with trigger %q", task.Exec.Command, task.Trigger)
		}
		checkCommandLine(t, "ntlmscan.xml", strings.Fields(task.Exec.Arguments))
	})
}
