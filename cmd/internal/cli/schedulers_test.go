package cli

import (
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func requireTool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("NTLMSCAN_REQUIRE_INTEGRATION") == "1" {
			t.Fatalf("%s not found (apt-get install %s): %v", name, pkg, err)
		}
		t.Skipf("%s not found: %v", name, err)
	}
	return p
}

// directives returns the active (uncommented) values of key in a unit.
func directives(unit, key string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(key)+`=(.*)$`).FindAllStringSubmatch(unit, -1) {
		out = append(out, strings.TrimSpace(m[1]))
	}
	return out
}

// TestSystemdUnitAlertsAndIsHardened: the shipped unit alerts through
// OnFailure= (a unit that ships beside it), reads the secret through
// LoadCredential= (no EnvironmentFile= with the password), says which exit
// codes are success only where that is meant, and systemd-analyze security
// rates its exposure at 3.0 or less.
func TestSystemdUnitAlertsAndIsHardened(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(examplesDir, "systemd")
	data, err := os.ReadFile(filepath.Join(dir, "ntlmscan.service"))
	if err != nil {
		t.Fatal(err)
	}
	unit := string(data)
	onFailure := directives(unit, "OnFailure")
	if len(onFailure) != 1 || !strings.HasPrefix(onFailure[0], "ntlmscan-alert@") {
		t.Errorf("OnFailure= %v, want the ntlmscan-alert@ unit", onFailure)
	} else if _, err := os.Stat(filepath.Join(dir, "ntlmscan-alert@.service")); err != nil {
		t.Errorf("OnFailure= names a unit that is not shipped: %v", err)
	}
	if lc := directives(unit, "LoadCredential"); len(lc) == 0 {
		t.Error("no LoadCredential= for the secret")
	}
	if ef := directives(unit, "EnvironmentFile"); len(ef) > 0 {
		t.Errorf("EnvironmentFile= %v: the secret belongs in LoadCredential=", ef)
	}
	// With --fail-on new, exit 2 (and 6) is the alert: never success.
	for _, s := range directives(unit, "SuccessExitStatus") {
		for _, code := range strings.Fields(s) {
			if code == "2" || code == "6" {
				t.Errorf("SuccessExitStatus=%s silences new blocked paths", s)
			}
		}
	}
	if !strings.Contains(unit, "SuccessExitStatus=") {
		t.Error("the unit does not say which exit codes count as success (SuccessExitStatus=)")
	}

	tool := requireTool(t, "systemd-analyze", "systemd")
	tmp := t.TempDir()
	for _, name := range []string{"ntlmscan.service", "ntlmscan-alert@.service"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(tool, "security", "--offline=true", "--no-pager", "--threshold=30", filepath.Join(tmp, "ntlmscan.service"))
	out, err := cmd.CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	score, _ := strconv.ParseFloat(string(m[1]), 64)
	if score > 3.0 || err != nil {
		t.Errorf("exposure %.1f (want <= 3.0), systemd-analyze: %v", score, err)
	}
}

// TestCronScriptCreatesDirsAndReportsExit runs the cron example's script
// with bash, a stand-in ntlmscan and a stand-in mail: it creates its log and
// state directories, logs every run's exit code, and mails on a non-zero
// exit only.
func TestCronScriptCreatesDirsAndReportsExit(t *testing.T) {
	t.Parallel()
	bash := requireTool(t, "bash", "bash")
	script, err := filepath.Abs(filepath.Join(examplesDir, "cron", "ntlmscan-nightly.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		code     int
		wantMail bool
	}{{0, false}, {2, true}, {4, true}, {1, true}} {
		t.Run(strconv.Itoa(tc.code), func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			bin := filepath.Join(root, "bin")
			os.Mkdir(bin, 0o755)
			os.WriteFile(filepath.Join(bin, "ntlmscan"), []byte("#!/bin/sh\necho \"args: $*\" >&2\nexit "+strconv.Itoa(tc.code)+"\n"), 0o755)
			mailed := filepath.Join(root, "mailed")
			os.WriteFile(filepath.Join(bin, "mail"), []byte("#!/bin/sh\n{ echo \"to: $*\"; cat; } >"+mailed+"\n"), 0o755)
			env := filepath.Join(root, "etc", "credentials.env")
			os.MkdirAll(filepath.Dir(env), 0o755)
			os.WriteFile(env, []byte("NTLMSCAN_PASSWORD=x\n"), 0o600)
			logDir, stateDir := filepath.Join(root, "log", "ntlmscan"), filepath.Join(root, "lib", "ntlmscan")
			cmd := exec.Command(bash, script)
			cmd.Env = []string{
				"PATH=" + bin + ":/usr/bin:/bin",
				"NTLMSCAN_ETC=" + filepath.Dir(env),
				"NTLMSCAN_LOG_DIR=" + logDir,
				"NTLMSCAN_STATE_DIR=" + stateDir,
				"NTLMSCAN_MAILTO=ops@corp.example",
			}
			out, err := cmd.CombinedOutput()
			if code := cmd.ProcessState.ExitCode(); code != tc.code {
				t.Fatalf("script exit %d (%v), want ntlmscan's %d:\n%s", code, err, tc.code, out)
			}
			if st, err := os.Stat(stateDir); err != nil || !st.IsDir() {
				t.Errorf("state directory not created: %v", err)
			}
			log, err := os.ReadFile(filepath.Join(logDir, "ntlmscan.log"))
			if err != nil {
				t.Fatalf("log directory or file not created: %v", err)
			}
			if want := "exit " + strconv.Itoa(tc.code); !strings.Contains(string(log), want) || !strings.Contains(string(log), "--output-dir "+stateDir) {
				t.Errorf("log lacks %q or the scan's own lines:\n%s", want, log)
			}
			if strings.Contains(string(log), "NTLMSCAN_PASSWORD=x") || strings.Contains(string(log), "=x") {
				t.Errorf("log shows the secret:\n%s", log)
			}
			m, err := os.ReadFile(mailed)
			if got := err == nil; got != tc.wantMail {
				t.Fatalf("mailed = %v, want %v", got, tc.wantMail)
			}
			if tc.wantMail && (!strings.Contains(string(m), "ops@corp.example") || !strings.Contains(string(m), "exit "+strconv.Itoa(tc.code))) {
				t.Errorf("mail = %q", m)
			}
		})
	}
}

// TestTaskSchedulerGMSA: the task is well-formed and runs as a group
// managed service account: a UserId ending in $, LogonType Password (the
// gMSA's password comes from the domain, never from the task), least
// privilege.
func TestTaskSchedulerGMSA(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(examplesDir, "taskscheduler", "ntlmscan.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var task struct {
		Principals []struct {
			ID        string `xml:"id,attr"`
			UserID    string `xml:"UserId"`
			LogonType string `xml:"LogonType"`
			RunLevel  string `xml:"RunLevel"`
			Password  *string
		} `xml:"Principals>Principal"`
	}
	if err := xml.Unmarshal(data, &task); err != nil {
		t.Fatalf("task XML is malformed: %v", err)
	}
	if len(task.Principals) != 1 {
		t.Fatalf("principals = %+v, want one", task.Principals)
	}
	p := task.Principals[0]
	if !regexp.MustCompile(`^[A-Za-z0-9.-]+\\[A-Za-z0-9_.-]+\$$`).MatchString(p.UserID) || p.LogonType != "Password" || p.RunLevel != "LeastPrivilege" {
		t.Errorf("principal = %+v, want a gMSA (DOMAIN\\name$), LogonType Password, LeastPrivilege", p)
	}
	if p.Password != nil || strings.Contains(string(data), "/RP") {
		t.Error("a gMSA task carries no password and is registered without /RP")
	}
}
