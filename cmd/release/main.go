// Command release builds the ntlmscan release binaries: static (CGO_ENABLED=0),
// reproducible paths (-trimpath), the version stamped in, one binary per
// platform and a SHA256SUMS file. Run it from a clone of the repository:
//
//	go run ./cmd/release -version v0.3.0 -out dist/
//
// It checks what it claims: every Linux binary is a static ELF (no
// interpreter, no shared libraries), every binary carries the version, and
// the binary for the machine it runs on prints it from `ntlmscan version`.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
)

const (
	mainPkg    = "github.com/ntlmscan/ntlmscan/cmd/ntlmscan"
	versionVar = "github.com/ntlmscan/ntlmscan/cmd/internal/cli.Version"
)

// target is one GOOS/GOARCH pair.
type target struct{ goos, goarch string }

func (t target) String() string { return t.goos + "/" + t.goarch }

func (t target) binaryName(version string) string {
	n := "ntlmscan-" + version + "-" + t.goos + "-" + t.goarch
	if t.goos == "windows" {
		n += ".exe"
	}
	return n
}

var defaultTargets = []target{
	{"linux", "amd64"}, {"linux", "arm64"}, {"windows", "amd64"}, {"darwin", "amd64"}, {"darwin", "arm64"},
}

type options struct {
	version string
	out     string
	targets []target
	pkg     string
}

// artifact is one built binary.
type artifact struct {
	name   string // file name inside the output directory
	sha256 string // hex
}

// semver as Go modules write it: v1.2.3, v1.2.3-rc.1, v1.2.3+meta.
var versionRE = regexp.MustCompile(`^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

func parseArgs(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("release", flag.ContinueOnError)
	fs.SetOutput(stderr)
	version := fs.String("version", "", "version to stamp, like v1.2.3 (required)")
	out := fs.String("out", "dist", "output directory")
	targets := fs.String("targets", "", "comma-separated os/arch list (default: linux/amd64,linux/arm64,windows/amd64,darwin/amd64,darwin/arm64)")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	o := options{version: *version, out: *out, targets: defaultTargets, pkg: mainPkg}
	switch {
	case o.version == "":
		return o, errors.New("-version is required, e.g. -version v0.3.0")
	case !versionRE.MatchString(o.version):
		return o, fmt.Errorf("-version %q: want a version like v1.2.3 (optionally -rc.1)", o.version)
	}
	if *targets != "" {
		o.targets = nil
		for t := range strings.SplitSeq(*targets, ",") {
			goos, goarch, ok := strings.Cut(strings.TrimSpace(t), "/")
			if !ok || goos == "" || goarch == "" {
				return o, fmt.Errorf("-targets: %q is not os/arch (e.g. linux/amd64)", t)
			}
			o.targets = append(o.targets, target{goos, goarch})
		}
	}
	return o, nil
}

// release builds every target into o.out and writes SHA256SUMS.
func release(ctx context.Context, o options, log io.Writer) ([]artifact, error) {
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	var arts []artifact
	for _, t := range o.targets {
		a, err := build(ctx, o, t, log)
		if err != nil {
			return nil, err
		}
		arts = append(arts, a)
	}
	var sums bytes.Buffer
	writeSums(&sums, arts)
	if err := writeFile(filepath.Join(o.out, "SHA256SUMS"), sums.Bytes()); err != nil {
		return nil, err
	}
	return arts, nil
}

func build(ctx context.Context, o options, t target, log io.Writer) (artifact, error) {
	name := t.binaryName(o.version)
	path := filepath.Join(o.out, name)
	tmp := path + ".tmp"
	fmt.Fprintf(log, "building %s\n", name)
	// -s -w and an empty build ID keep the binary small and the same for
	// the same source; -trimpath drops this machine's paths.
	ldflags := "-s -w -buildid= -X " + versionVar + "=" + o.version
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", ldflags, "-o", tmp, o.pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+t.goos, "GOARCH="+t.goarch)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		_ = os.Remove(tmp)
		return artifact{}, fmt.Errorf("go build for %s failed: %w", t, err)
	}
	data, err := os.ReadFile(tmp)
	if err != nil {
		return artifact{}, err
	}
	if !bytes.Contains(data, []byte(o.version)) {
		_ = os.Remove(tmp)
		return artifact{}, fmt.Errorf("%s: the version %s was not stamped into the binary (is %s still the version variable?)", name, o.version, versionVar)
	}
	if t.goos == "linux" {
		if err := checkStaticELF(tmp); err != nil {
			_ = os.Remove(tmp)
			return artifact{}, fmt.Errorf("%s is not static: %w", name, err)
		}
	}
	if t.goos == runtime.GOOS && t.goarch == runtime.GOARCH {
		if err := checkVersion(ctx, tmp, o.version); err != nil {
			_ = os.Remove(tmp)
			return artifact{}, fmt.Errorf("%s: %w", name, err)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return artifact{}, err
	}
	sum := sha256.Sum256(data)
	return artifact{name: name, sha256: hex.EncodeToString(sum[:])}, nil
}

// checkStaticELF fails for an ELF file that asks for a dynamic loader
// (PT_INTERP) or names shared libraries (DT_NEEDED).
func checkStaticELF(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return errors.New("it has an ELF interpreter (PT_INTERP): it is dynamically linked")
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return fmt.Errorf("reading its dynamic section: %w", err)
	}
	if len(libs) > 0 {
		return fmt.Errorf("it needs shared libraries (DT_NEEDED): %s", strings.Join(libs, ", "))
	}
	return nil
}

// checkVersion runs `bin version` and checks the stamped version is printed.
func checkVersion(ctx context.Context, bin, version string) error {
	out, err := exec.CommandContext(ctx, bin, "version").Output()
	if err != nil {
		return fmt.Errorf("running version: %w", err)
	}
	if !strings.HasPrefix(string(out), "ntlmscan "+version+" (") {
		return fmt.Errorf("`version` printed %q, want ntlmscan %s", strings.TrimSpace(string(out)), version)
	}
	return nil
}

// writeSums writes SHA256SUMS in the format `sha256sum -c` reads.
func writeSums(w io.Writer, arts []artifact) {
	sorted := append([]artifact(nil), arts...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	for _, a := range sorted {
		fmt.Fprintf(w, "%s  %s\n", a.sha256, a.name)
	}
}

func writeFile(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func main() {
	o, err := parseArgs(os.Args[1:], os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	arts, err := release(ctx, o, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
	for _, a := range arts {
		fmt.Printf("%s  %s\n", a.sha256, filepath.Join(o.out, a.name))
	}
	fmt.Printf("checksums in %s\n", filepath.Join(o.out, "SHA256SUMS"))
}
