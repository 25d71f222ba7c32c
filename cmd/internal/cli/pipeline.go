package cli

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ntlmscan/ntlmscan/cmd/internal/outdir"
	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/inventory/safetext"
	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/render"
	"github.com/ntlmscan/ntlmscan/report/verdict"
	"github.com/ntlmscan/ntlmscan/report/waiver"
	"github.com/ntlmscan/ntlmscan/report/whatif"
	"github.com/ntlmscan/ntlmscan/scanner"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// scanFlags are the flags shared by `scan` and `demo`.
type scanFlags struct {
	Concurrency      int
	HostTimeout      time.Duration
	Deadline         time.Duration
	OperationTimeout time.Duration
	Retries          int
	EvidenceDays     int // NTLM event read window; 0 = no event read
	// ContinueOnBadCredential: try a refused domain credential on every host.
	ContinueOnBadCredential bool

	Format       string
	Output       string // file for --format; "" or "-" = stdout
	CSVFile      string
	JSONFile     string
	HTMLFile     string
	MarkdownFile string
	// MarkdownSummaryFile: --markdown-summary, the ticket-sized summary.
	MarkdownSummaryFile string
	OutputDir           string
	MetricsFile         string
	Keep                int
	BaselinePath        string
	WaiversPath         string
	FailOn              string
	Strict              bool
	AssumePath          string
	Quiet               bool
	NoColor             bool
	SMBProbe            bool
	SMBAuth             bool
	Limit               string
	Drift               bool
	viewFlags
}

func addScanFlags(cmd *cobra.Command, o *scanFlags) {
	fl := cmd.Flags()
	fl.IntVar(&o.Concurrency, "concurrency", scanner.DefaultConcurrency, "hosts collected at once")
	fl.DurationVar(&o.HostTimeout, "host-timeout", scanner.DefaultHostTimeout, "deadline for one host, retries included (the inventory's winrm.timeout wins)")
	fl.DurationVar(&o.Deadline, "timeout", 0, "deadline for the whole scan (0 = none); hosts not finished by then are reported, not lost")
	fl.DurationVar(&o.OperationTimeout, "operation-timeout", scanner.DefaultOperationTimeout, "WS-Management OperationTimeout (one Receive long poll)")
	fl.IntVar(&o.Retries, "retries", scanner.DefaultRetries, "extra attempts after a transient failure (never after refused credentials)")
	fl.IntVar(&o.EvidenceDays, "evidence-days", facts.DefaultEvidenceDays, "days of the NTLM operational log read on every host as evidence (0 = do not read it)")
	fl.BoolVar(&o.ContinueOnBadCredential, "continue-on-bad-credential", false,
		"try a domain credential on every host even after one refused it before it worked anywhere (risks one failed logon per host: account lockout)")
	fl.StringVarP(&o.Format, "format", "f", render.FormatTable, "output `FORMAT`: "+strings.Join(render.Formats(), ", "))
	fl.StringVarP(&o.Output, "output", "o", "", "write the --format output to this `FILE` instead of stdout")
	fl.StringVar(&o.CSVFile, "csv", "", "also write the path CSV (for change tickets) to this `FILE`")
	fl.StringVar(&o.JSONFile, "json", "", "also write the JSON report (input of report, diff and plan) to this `FILE`")
	fl.StringVar(&o.HTMLFile, "html", "", "also write a self-contained HTML report to this `FILE`")
	fl.StringVar(&o.MarkdownFile, "markdown", "", "also write a Markdown report to this `FILE`")
	fl.StringVar(&o.MarkdownSummaryFile, "markdown-summary", "", "also write a ticket-sized Markdown summary (under 32 KB for any estate: counts, newly blocked, top problems, where the full reports are) to this `FILE`")
	fl.StringVar(&o.OutputDir, "output-dir", "", "nightly mode: write timestamped JSON, CSV, HTML and Markdown summary files and latest.json to this `DIR`, under a lock")
	fl.StringVar(&o.MetricsFile, "metrics-file", "", "write Prometheus metrics to this `FILE` (for node_exporter's textfile collector), atomically")
	fl.IntVar(&o.Keep, "keep", 30, "with --output-dir: keep the newest N runs (0 = all)")
	fl.StringVar(&o.BaselinePath, "baseline", "", "earlier JSON report `FILE` to compare with (default with --output-dir: its latest.json)")
	fl.StringVar(&o.WaiversPath, "waivers", "", "waivers `FILE`: accepted risks with owner and expiry")
	fl.StringVar(&o.FailOn, "fail-on", "blocked", "exit 2 when findings reach `LEVEL`: "+strings.Join(report.FailOnValues(), ", ")+"; add ,no-unscanned to keep unscanned hosts out of exit 4")
	fl.BoolVar(&o.Strict, "strict", false, "Quest's advice: anything short of an explicit \"Allow all\" is at-risk")
	fl.StringVar(&o.AssumePath, "assume", "", "what-if overlay `FILE` of planned settings; every path shows its verdict before and after")
	fl.BoolVarP(&o.Quiet, "quiet", "q", false, "no progress bar and no terminal report (files and exit code only)")
	fl.BoolVar(&o.NoColor, "no-color", false, "never colour the terminal output (NO_COLOR is honoured too)")
	fl.BoolVar(&o.SMBProbe, "smb-probe", true, "probe each repository host's SMB service (NEGOTIATE) from this machine; --smb-probe=false skips it")
	fl.BoolVar(&o.Drift, "drift", true, "ask each collected Core's Rapid Recovery module what it protects and warn where the inventory differs (--drift=false skips it)")
	fl.StringVar(&o.Limit, "limit", "", "scan only the paths of hosts matching `PATTERN` (names, globs, groups, tag:TAG; a:b union, a:&b intersection, !a exclusion) and the hosts they need")
	fl.BoolVar(&o.SMBAuth, "smb-auth", false, "also try one NTLM logon per repository account and host, with the credentials: entry naming that account")
	addViewFlags(cmd, &o.viewFlags)
}

func (o *scanFlags) check() error {
	if _, err := render.New(o.Format); err != nil {
		return &FlagError{Err: fmt.Errorf("--format: %w", err)}
	}
	if err := o.viewFlags.check(o.Format); err != nil {
		return err
	}
	failOn, err := report.ParseFailOn(o.FailOn)
	if err != nil {
		return &FlagError{Err: fmt.Errorf("--fail-on: %w", err)}
	}
	o.FailOn = failOn
	if o.Concurrency < 1 {
		return FlagErrorf("--concurrency must be at least 1, got %d", o.Concurrency)
	}
	if o.Retries < 0 {
		return FlagErrorf("--retries must not be negative, got %d", o.Retries)
	}
	if o.Keep < 0 {
		return FlagErrorf("--keep must not be negative, got %d", o.Keep)
	}
	if o.HostTimeout <= 0 {
		return FlagErrorf("--host-timeout must be positive, got %s", o.HostTimeout)
	}
	if o.Limit != "" {
		if _, err := inventory.ParseLimit(o.Limit); err != nil {
			return &FlagError{Err: err}
		}
		if o.OutputDir != "" {
			// A partial scan must not become tomorrow's baseline.
			return FlagErrorf("--limit and --output-dir exclude each other: a limited scan would replace latest.json, the next night's baseline, with part of the estate")
		}
	}
	if o.EvidenceDays < 0 {
		return FlagErrorf("--evidence-days must not be negative, got %d", o.EvidenceDays)
	}
	return nil
}

// scanInputs is what a scan needs besides flags; `scan` loads it from
// files, `demo` from the embedded example fleet.
type scanInputs struct {
	InventoryPath string
	Inventory     *inventory.Inventory
	Overlay       *whatif.Overlay
	Password      func(*inventory.Credential) (string, error)
	Krb5Conf      string // krb5.conf text (the demo's lab KDC); "": KRB5_CONFIG
}

// scanJob is everything a scan reads before it contacts a host.
type scanJob struct {
	scanInputs
	waivers  *waiver.File
	baseline *report.Report
	dir      *outdir.Dir // --output-dir, locked; nil without it
	// previous is the output directory's latest.json (nil without one):
	// the run whose trend this one carries forward.
	previous *report.Report
}

func (j *scanJob) close() {
	if j.dir != nil {
		j.dir.Close()
	}
}

// runScan is the scan pipeline shared by `scan` and `demo`: load the
// waivers, output directory and baseline, collect, judge, publish. It
// returns how the scan ended; scanOutcome.exitCode turns that into the
// exit status.
func runScan(ctx context.Context, o *scanOptions, in scanInputs) (scanOutcome, error) {
	full := in.Inventory
	if o.Limit != "" {
		l, err := inventory.ParseLimit(o.Limit)
		if err != nil {
			return scanOutcome{}, &FlagError{Err: err}
		}
		restricted, leftOut, err := in.Inventory.Restrict(l)
		if err != nil {
			return scanOutcome{}, err
		}
		in.Inventory = restricted
		fmt.Fprintf(o.IO.ErrOut, "--limit %s: left out %s\n", safetext.Escape(o.Limit), strings.Join(leftOut, " and "))
	}
	job, err := o.loadJob(in)
	if err != nil {
		return scanOutcome{}, err
	}
	defer job.close()
	started := o.Now()
	results, interrupted := o.collect(ctx, job)
	if o.Drift && !interrupted {
		o.driftCheck(ctx, job, full, results)
	}
	rep := o.judge(job, results)
	errPublish := o.publish(rep, job.dir, interrupted)
	out := outcomeOf(rep, o.FailOn, interrupted)
	if o.MetricsFile != "" {
		// Written even when an output failed: monitoring must see the run.
		code := out.exitCode()
		if errPublish != nil {
			code = ExitError
		}
		m := runMetrics{Started: started, Finished: o.Now(), ExitCode: code, Success: code != ExitError && !interrupted}
		errPublish = errors.Join(errPublish, writeMetricsFile(o.MetricsFile, rep, m))
	}
	if errPublish != nil {
		return scanOutcome{}, errPublish
	}
	return out, nil
}

// loadJob reads the waivers, locks the output directory and reads the
// baseline: every input that can fail before a host is contacted.
func (o *scanOptions) loadJob(in scanInputs) (*scanJob, error) {
	log := o.logger()
	job := &scanJob{scanInputs: in}
	if o.WaiversPath != "" {
		w, err := loadWaivers(o.WaiversPath)
		if err != nil {
			return nil, err
		}
		job.waivers = w
	}
	if o.OutputDir != "" {
		d, err := outdir.Open(o.OutputDir)
		if err != nil {
			return nil, err
		}
		job.dir = d
		// Temporary files of runs killed mid-write; we hold the lock.
		if removed, err := d.PruneTemps(outdir.StaleTempAge); err != nil {
			log.Warn("could not remove leftover temporary files", "dir", o.OutputDir, "error", err)
		} else if len(removed) > 0 {
			log.Info("removed temporary files of interrupted runs", "dir", o.OutputDir, "files", len(removed))
		}
		if o.BaselinePath == "" {
			// An unreadable latest.json (a run from an older ntlmscan, a
			// disk error) must not stop every night's run from now on: the
			// scan goes ahead without a comparison and writes a new one.
			if latest := filepath.Join(o.OutputDir, outdir.LatestName); fileExists(latest) {
				if b, err := loadReport(latest); err != nil {
					log.Warn("previous latest.json is not usable as the baseline; comparing with nothing this time", "error", err)
				} else {
					job.baseline, job.previous = b, b
				}
			}
		} else if latest := filepath.Join(o.OutputDir, outdir.LatestName); fileExists(latest) {
			// Only for the trend: a latest.json it cannot read starts a new one.
			job.previous, _ = loadReport(latest)
		}
	}
	if o.BaselinePath != "" {
		b, err := loadReport(o.BaselinePath)
		if err != nil {
			job.close()
			return nil, fmt.Errorf("baseline: %w", err)
		}
		job.baseline = b
	}
	if note := job.baseline.MigrationNote(); note != "" {
		log.Warn("baseline from an older ntlmscan", "note", note)
	}
	if mode, _, _ := strings.Cut(o.FailOn, ","); mode == report.FailOnNew && job.baseline == nil {
		log.Warn("--fail-on new without a baseline: every blocked path counts as new")
	}
	return job, nil
}

// collect scans every host of the inventory, with a progress bar on a
// terminal. interrupted is true when Ctrl-C or --timeout left hosts
// unscanned.
func (o *scanOptions) collect(ctx context.Context, job *scanJob) (results []facts.HostResult, interrupted bool) {
	log := o.logger()
	// The scanner reads 0 as "default"; on the command line 0 means none.
	retries := o.Retries
	if retries == 0 {
		retries = -1
	}
	toScan := len(job.Inventory.ScannedHosts())
	bar := newScanProgress(o.IO.ErrOut, toScan, !o.Quiet && o.IO.IsStderrTTY())
	// Log lines written while the bar redraws would tear it apart: hold them
	// back and print them once the bar is gone.
	scanLog := log
	var held *lockedBuffer
	if bar != nil {
		held = &lockedBuffer{}
		scanLog = o.LoggerTo(held)
	}
	results = scanner.Run(ctx, job.Inventory, scanner.Options{
		Concurrency:             o.Concurrency,
		HostTimeout:             o.HostTimeout,
		Deadline:                o.Deadline,
		OperationTimeout:        o.OperationTimeout,
		Retries:                 retries,
		Logger:                  scanLog,
		ContinueOnBadCredential: o.ContinueOnBadCredential,
		Password:                job.Password,
		LookupEnv:               o.lookupEnv(),
		Krb5Conf:                job.Krb5Conf,
		SMBProbe:                o.SMBProbe || o.SMBAuth,
		SMBAuth:                 o.SMBAuth,
		EvidenceDays:            evidenceDays(o.EvidenceDays),
		Progress: func(done, total int, r *facts.HostResult) {
			bar.hostDone(!r.OK())
		},
	})
	bar.stop()
	if held != nil {
		held.WriteTo(o.IO.ErrOut)
	}
	// Ctrl-C, or a --timeout that left hosts unstarted: their paths would
	// read as unknown, and tomorrow's comparison would call blocked paths
	// "fixed". Such a run is reported but never becomes the baseline.
	interrupted = ctx.Err() != nil || anyNotStarted(results)
	if interrupted {
		log.Warn("scan incomplete (interrupted or out of time): reporting the hosts gathered so far; latest.json is left unchanged")
	}
	return results, interrupted
}

// judge evaluates every path and builds the report, with the waivers
// applied and the comparison with the baseline.
func (o *scanOptions) judge(job *scanJob, results []facts.HostResult) *report.Report {
	now := o.Now().UTC()
	matrix := verdict.Evaluate(job.Inventory, results, job.Overlay, verdict.Options{Strict: o.Strict})
	report.SetHostTags(results, job.Inventory)
	rep := &report.Report{
		RunID:       newRunID(now),
		GeneratedAt: now,
		ToolVersion: o.Version,
		Inventory:   job.InventoryPath,
		Options:     report.Options{Strict: o.Strict, FailOn: o.FailOn},
		Hosts:       results,
		Matrix:      *matrix,
	}
	if job.Overlay != nil {
		rep.Options.Overlay = job.Overlay.Name
	}
	// Waivers first: Compare marks the changes an active waiver covers.
	if job.waivers != nil {
		waiver.Apply(rep, job.waivers, now)
	}
	if job.baseline != nil {
		rep.Baseline = report.Compare(job.baseline, rep)
	}
	if job.dir != nil {
		rep.Trend = report.NextTrend(job.previous, rep, report.TrendRuns)
	}
	return rep
}

// anyNotStarted reports hosts the scan never started (Ctrl-C or --timeout).
func anyNotStarted(results []facts.HostResult) bool {
	for i := range results {
		if e := results[i].Error; e != nil && e.Class == facts.ErrCanceled {
			return true
		}
	}
	return false
}

// outcomeOf counts what the exit code depends on in a finished report.
func outcomeOf(rep *report.Report, failOn string, interrupted bool) scanOutcome {
	out := scanOutcome{Findings: report.Findings(rep, failOn), Interrupted: interrupted}
	out.Scanned = rep.ScannedHosts()
	// Described-only hosts (NAS) are not failures; a host an active host
	// waiver accepts, or any with --fail-on ...,no-unscanned, does not count.
	failed, counted := len(rep.FailedHosts()), len(rep.UnwaivedFailedHosts())
	if !report.FailOnUnscanned(failOn) {
		counted = 0
	}
	out.Failed, out.Accepted = counted, failed-counted
	return out
}

// publish writes every output the flags ask for.
func (o *scanOptions) publish(rep *report.Report, dir *outdir.Dir, interrupted bool) error {
	color := o.IO.IsStdoutTTY() && !o.NoColor && o.getenv("NO_COLOR") == ""
	width := o.IO.Width()
	if !o.IO.IsStdoutTTY() {
		width = 0
	}
	// One unwritable output (a mistyped --csv directory) must not cost the
	// others, least of all the --output-dir run files: every output is
	// attempted and the errors are reported together.
	var errs []error
	main, _ := render.New(o.Format)
	files := o.files(rep, dir, interrupted)
	if !o.Quiet || (o.Output != "" && o.Output != "-") {
		o.warnNoMatch(o.IO.ErrOut, rep, o.Format)
	}
	switch {
	case o.Output != "" && o.Output != "-":
		if err := writeRenderedOpts(o.Output, o.Format, rep, o.options(false, 0, files)); err != nil {
			errs = append(errs, err)
		}
	case !o.Quiet:
		if err := main.Render(o.IO.Out, rep, o.options(color, width, files)); err != nil {
			errs = append(errs, fmt.Errorf("write report: %w", err))
		}
	}
	for _, extra := range []struct{ path, format string }{
		{o.CSVFile, render.FormatCSV}, {o.JSONFile, render.FormatJSON},
		{o.HTMLFile, render.FormatHTML}, {o.MarkdownFile, render.FormatMarkdown},
		{o.MarkdownSummaryFile, render.FormatMarkdownSummary},
	} {
		if extra.path != "" {
			if err := writeRendered(extra.path, extra.format, rep, files); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if dir != nil {
		errs = append(errs, o.writeRunFiles(rep, dir, interrupted, files))
	}
	return errors.Join(errs...)
}

// runFormats are the files --output-dir writes per run, JSON first (it
// becomes latest.json), with their name endings.
var runFormats = []struct{ format, ext string }{
	{render.FormatJSON, "json"}, {render.FormatCSV, "csv"}, {render.FormatHTML, "html"},
	{render.FormatMarkdownSummary, "summary.md"},
}

// runFileName is the --output-dir file of one run in one format.
func runFileName(rep *report.Report, dir *outdir.Dir, ext string, interrupted bool) string {
	if interrupted {
		ext = "partial." + ext
	}
	return filepath.Join(dir.Path, outdir.RunName(rep.GeneratedAt, ext))
}

// files names the report files this run writes, for the summary and the
// terminal's hints: the --csv/--json/--html files, else -o's, else
// --output-dir's.
func (o *scanOptions) files(rep *report.Report, dir *outdir.Dir, interrupted bool) render.Files {
	f := render.Files{CSV: o.CSVFile, JSON: o.JSONFile, HTML: o.HTMLFile, Command: o.Command}
	if o.Output != "" && o.Output != "-" {
		switch strings.ToLower(o.Format) {
		case render.FormatCSV:
			f.CSV = cmp.Or(f.CSV, o.Output)
		case render.FormatJSON:
			f.JSON = cmp.Or(f.JSON, o.Output)
		case render.FormatHTML:
			f.HTML = cmp.Or(f.HTML, o.Output)
		}
	}
	if dir != nil {
		f.CSV = cmp.Or(f.CSV, runFileName(rep, dir, "csv", interrupted))
		f.JSON = cmp.Or(f.JSON, runFileName(rep, dir, "json", interrupted))
		f.HTML = cmp.Or(f.HTML, runFileName(rep, dir, "html", interrupted))
	}
	return f
}

// writeRunFiles writes the --output-dir files of one run, replaces
// latest.json after a complete run and prunes old runs. Every file is
// streamed to disk: a 5,000-host report is never held in memory as text.
func (o *scanOptions) writeRunFiles(rep *report.Report, dir *outdir.Dir, interrupted bool, files render.Files) error {
	var jsonName string
	for _, rf := range runFormats {
		name := filepath.Base(runFileName(rep, dir, rf.ext, interrupted))
		if err := dir.WriteAtomicFunc(name, renderTo(rf.format, rep, files)); err != nil {
			return err
		}
		if rf.format == render.FormatJSON {
			jsonName = name
		}
	}
	// An interrupted scan would make every unscanned path look "fixed" in
	// tomorrow's comparison, so it never becomes the baseline.
	if !interrupted {
		err := dir.WriteAtomicFunc(outdir.LatestName, func(w io.Writer) error {
			src, err := os.Open(filepath.Join(dir.Path, jsonName))
			if err != nil {
				return err
			}
			defer src.Close()
			_, err = io.Copy(w, src)
			return err
		})
		if err != nil {
			return err
		}
	}
	removed, err := dir.Prune(o.Keep)
	if err != nil {
		return err
	}
	if len(removed) > 0 {
		o.logger().Info("removed old runs", "dir", dir.Path, "files", len(removed))
	}
	return nil
}

// renderTo returns a writer function that renders rep in format.
func renderTo(format string, rep *report.Report, files render.Files) func(io.Writer) error {
	return renderToOpts(format, rep, render.Options{Files: files})
}

// renderToOpts is renderTo with render options (the --format output's
// filter and companion files).
func renderToOpts(format string, rep *report.Report, opts render.Options) func(io.Writer) error {
	return func(w io.Writer) error {
		r, err := render.New(format)
		if err != nil {
			return err
		}
		if err := r.Render(w, rep, opts); err != nil {
			return fmt.Errorf("render %s: %w", format, err)
		}
		return nil
	}
}

func writeRendered(path, format string, rep *report.Report, files render.Files) error {
	return outdir.WriteFileAtomicFunc(path, renderTo(format, rep, files))
}

func writeRenderedOpts(path, format string, rep *report.Report, opts render.Options) error {
	return outdir.WriteFileAtomicFunc(path, renderToOpts(format, rep, opts))
}

func loadReport(path string) (*report.Report, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open report: %w", err)
	}
	defer fh.Close()
	rep, err := report.Decode(fh)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// The file may have been edited: every PowerShell line shown from it is
	// rebuilt from its change, never its own text.
	rep.Matrix.RebuildScripts()
	return rep, nil
}

func loadWaivers(path string) (*waiver.File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open waivers file: %w", err)
	}
	defer fh.Close()
	return waiver.Parse(fh, path)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// newRunID is sortable by time and unique across concurrent runs.
func newRunID(now time.Time) string {
	var b [3]byte
	if _, err := io.ReadFull(rand.Reader, b[:]); err != nil {
		return now.Format("20060102T150405Z")
	}
	return now.Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// describeInventoryError prints every inventory problem with file:line.
func describeInventoryError(err error) error {
	if ve, ok := inventory.AsValidationError(err); ok {
		return WithCode(ExitError, fmt.Errorf("inventory has problems:\n%s", ve.Error()))
	}
	var pathErr *os.PathError
	if errors.As(err, &pathErr) {
		return WithCode(ExitError, fmt.Errorf("read inventory: %w", err))
	}
	return WithCode(ExitError, err)
}

// evidenceDays maps --evidence-days to scanner.Options.EvidenceDays, where
// 0 means the default and a negative value no event read.
func evidenceDays(flag int) int {
	if flag == 0 {
		return -1
	}
	return flag
}
