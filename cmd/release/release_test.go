package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestReleaseLinuxStatic builds the release binary for this machine's Linux
// architecture exactly as a release does, then checks that it is static
// (no ELF interpreter, no shared libraries), that `ntlmscan version` prints
// the stamped version, and that SHA256SUMS matches the file.
func TestReleaseLinuxStatic(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("runs the built Linux binary")
	}
	if testing.Short() {
		t.Skip("builds ntlmscan (about a minute); CI runs it")
	}
	out := t.TempDir()
	const version = "v0.0.0-test.1"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	arts, err := release(ctx, options{version: version, out: out, targets: []target{{"linux", runtime.GOARCH}}, pkg: mainPkg}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) != 1 {
		t.Fatalf("%d artifacts, want 1", len(arts))
	}
	bin := filepath.Join(out, arts[0].name)
	if want := "ntlmscan-" + version + "-linux-" + runtime.GOARCH; arts[0].name != want {
		t.Errorf("artifact %q, want %q", arts[0].name, want)
	}
	if err := checkStaticELF(bin); err != nil {
		t.Fatalf("not a static binary: %v", err)
	}
	got, err := exec.CommandContext(ctx, bin, "version").Output()
	if err != nil {
		t.Fatalf("%s version: %v", bin, err)
	}
	if !strings.HasPrefix(string(got), "ntlmscan "+version+" (") {
		t.Errorf("version output %q does not carry %s", got, version)
	}

	sums, err := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(bin)
	sum := sha256.Sum256(data)
	if want := hex.EncodeToString(sum[:]) + "  " + arts[0].name + "\n"; string(sums) != want {
		t.Errorf("SHA256SUMS = %q, want %q", sums, want)
	}
	// sha256sum -c accepts the file as written, where coreutils is present.
	if _, err := exec.LookPath("sha256sum"); err == nil {
		cmd := exec.CommandContext(ctx, "sha256sum", "-c", "SHA256SUMS")
		cmd.Dir = out
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("sha256sum -c: %v\n%s", err, b)
		}
	}
}

// TestCheckStaticELFRejectsDynamic: the static check can fail — a dynamically
// linked system binary has an interpreter and DT_NEEDED entries.
func TestCheckStaticELFRejectsDynamic(t *testing.T) {
	for _, p := range []string{"/bin/ls", "/usr/bin/env", "/bin/sh"} {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		if err := checkStaticELF(p); err == nil {
			t.Errorf("%s passed as static", p)
		}
		return
	}
	t.Skip("no dynamically linked system binary to check against")
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
		targets int
	}{
		{[]string{"-version", "v0.3.0"}, "", 5},
		{[]string{"-version", "v0.3.0", "-targets", "linux/amd64,windows/amd64"}, "", 2},
		{[]string{}, "-version is required", 0},
		{[]string{"-version", "0.3.0"}, "like v1.2.3", 0},
		{[]string{"-version", "v0.3.0 x"}, "like v1.2.3", 0},
		{[]string{"-version", "v0.3.0", "-targets", "plan9"}, "os/arch", 0},
		{[]string{"-version", "v0.3.0", "stray"}, "unexpected argument", 0},
	}
	for _, tc := range tests {
		o, err := parseArgs(tc.args, &bytes.Buffer{})
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: err %v, want %q", tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil || len(o.targets) != tc.targets || o.out != "dist" {
			t.Errorf("%q: %+v, %v", tc.args, o, err)
		}
	}
}

func TestDefaultTargets(t *testing.T) {
	want := []string{"linux/amd64", "linux/arm64", "windows/amd64", "darwin/amd64", "darwin/arm64"}
	var got []string
	for _, tg := range defaultTargets {
		got = append(got, tg.String())
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("targets %v, want %v", got, want)
	}
	if n := (target{"windows", "amd64"}).binaryName("v1.0.0"); n != "ntlmscan-v1.0.0-windows-amd64.exe" {
		t.Errorf("windows binary %q", n)
	}
}

// TestSumsFormat: SHA256SUMS lines are "<hex>  <name>", sorted by name.
func TestSumsFormat(t *testing.T) {
	var b bytes.Buffer
	writeSums(&b, []artifact{{name: "b", sha256: "22"}, {name: "a", sha256: "11"}})
	sc := bufio.NewScanner(&b)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if strings.Join(lines, "|") != "11  a|22  b" {
		t.Errorf("SHA256SUMS %q", lines)
	}
}
