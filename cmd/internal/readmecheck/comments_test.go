package readmecheck

import (
	"bytes"
	"fmt"
	"go/scanner"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// A comment may cite only what a reader of the repository has: a file of this
// repository, or a published document by its title ([MS-NLMP], an RFC, a
// Microsoft Learn page, a Quest KB). It must not cite a file that is not in
// the repository, a path on somebody's machine, or the project's private
// notes. The rules, applied to the comments of every tracked source file and
// to the whole text of Markdown files:
//
//   - A file name must name a tracked file. A file name is a word ending in
//     one of sourceExt, or in one of dataExt with at least one directory
//     ("testdata/lab.yaml"): a bare data-file name such as "latest.json" is
//     almost always a file the program reads or writes at run time. It is
//     looked up relative to the citing file's directory, then to the
//     repository root, then as a path suffix ("winrmtest/lab.go", "lab.go")
//     that exactly one tracked file ends with. Not file citations: URLs,
//     module and host paths (a first element with a dot, github.com/...),
//     globs, Windows paths, and a file of another published project, named
//     with the project right before it ("pywinrm's encryption.py",
//     "jborean93/pypsrp tests/x.yml"). In Markdown only names with a
//     directory are checked: a bare name there is mostly the reader's own
//     file in an example command.
//   - No absolute path of a machine: a home, work or temporary directory
//     (see homeRE, tmpRE). Registry paths (HKLM\...), Windows system paths
//     such as C:\Windows, MIT Kerberos' default cache /tmp/krb5cc_<uid> and
//     URLs are facts, not such paths. In Markdown a temporary directory in
//     an example command is the reader's own scratch space, so Markdown is
//     checked for home and work directories only.
//   - No name of the project's private notes or their source tags, nor the
//     task notes the code was written from (see privateRE), and no section
//     sign that does not follow the name of a published specification
//     ([MS-xxx], RFC nnnn) in the 100 bytes before it: a bare section
//     number numbers notes the reader lacks.

// sourceExt make any word a file citation; dataExt only a word with a
// directory.
var (
	sourceExt = []string{"md", "go", "ps1", "py", "cjs", "tmpl"}
	dataExt   = []string{"yaml", "yml", "json", "txt", "golden", "xml", "csv"}
)

var (
	// wordRE finds the path-like words a file citation is one of.
	wordRE = regexp.MustCompile(`[\w.~:/\\@*{},+%=-]+`)
	// fileRE is a word that names a file (see the rules above).
	fileRE = regexp.MustCompile(`^(?:(?:[\w.-]+/)*[\w-][\w.-]*\.(?:` + strings.Join(sourceExt, "|") + `)` +
		`|(?:[\w.-]+/)+[\w-][\w.-]*\.(?:` + strings.Join(dataExt, "|") + `))$`)
	// foreignRE ends the text before a file of another published project:
	// the project's possessive or its owner/name.
	foreignRE = regexp.MustCompile(`(?:[\w.-]+'s|\b[\w.-]+/[\w.-]+)\s+\x60?$`)
	// homeRE and tmpRE are absolute paths in a user's or a build machine's
	// own directories (the names are split so that this file does not
	// itself contain such a path).
	homeRE = regexp.MustCompile(`(?:^|[\s"'(\x60=,;<\[])(?:/(?:wor` + `k|ho` + `me|Us` + `ers|root|mnt|private/var|var/folders)/[\w.~-]|~/[\w.]|(?i:[a-z]:\\(?:users|home|work|temp|tmp|src|dev)\\))`)
	tmpRE  = regexp.MustCompile(`(?:^|[\s"'(\x60=,;<\[])/t` + `mp/(?:[\w.~-]+)`)
	// privateRE names the project's private notes (rule book, protocol
	// notes, style notes, demo design, collection design), their source
	// tags, or the task notes.
	privateRE = regexp.MustCompile(`NTLM-RULES|WINRM-PROTOCOL|STYLE\.md|DEMO-FLEET|COLLECTION\.md|\[S\d+\]|\[(?:PCAP|PYPSRP|MZ|AZ|BG|PYW)\]|(?i:\bbriefs?\b)`)
	// lineSuffixRE is the ":line" or ":line:column" after a cited file.
	lineSuffixRE = regexp.MustCompile(`(?::\d+)+$`)
	// specRE is the name of a published specification that a section sign
	// may follow.
	specRE = regexp.MustCompile(`MS-[A-Z0-9]{2,}\]?|RFC ?\d{3,5}`)
)

// commentLine is one line of a comment (or of Markdown text) and where it is.
type commentLine struct {
	line int
	text string
}

// commentBlock is consecutive comment lines, checked together so that a
// specification named on one line covers a section sign on the next.
type commentBlock []commentLine

// offence is one problem found in a comment.
type offence struct {
	line int
	what string
}

// repoTree is the set of tracked files, slash-separated, relative to the root.
type repoTree struct {
	files map[string]bool
	list  []string
}

func newRepoTree(files []string) *repoTree {
	t := &repoTree{files: map[string]bool{}, list: files}
	for _, f := range files {
		t.files[f] = true
	}
	return t
}

// resolve reports whether name, cited from a file in dir, names exactly one
// tracked file, and why not.
func (t *repoTree) resolve(dir, name string) (bool, string) {
	if t.files[path.Join(dir, name)] || t.files[path.Clean(name)] {
		return true, ""
	}
	var matches []string
	for _, f := range t.list {
		if f == name || strings.HasSuffix(f, "/"+name) {
			matches = append(matches, f)
		}
	}
	switch len(matches) {
	case 1:
		return true, ""
	case 0:
		return false, "no file of the repository is " + name
	default:
		return false, fmt.Sprintf("%q is ambiguous (%d files: %s, ...); give its path", name, len(matches), matches[0])
	}
}

// checkBlock returns every offence in one comment block of the file rel.
func (t *repoTree) checkBlock(rel string, markdown bool, b commentBlock) []offence {
	var text strings.Builder
	starts := make([]int, len(b))
	for i, l := range b {
		starts[i] = text.Len()
		text.WriteString(l.text)
		text.WriteByte('\n')
	}
	s := text.String()
	lineAt := func(off int) int {
		i, _ := slices.BinarySearch(starts, off+1)
		return b[i-1].line
	}
	var out []offence
	for _, loc := range privateRE.FindAllStringIndex(s, -1) {
		out = append(out, offence{lineAt(loc[0]), fmt.Sprintf("cites %q, which readers do not have; cite the published source by title", s[loc[0]:loc[1]])})
	}
	for i := strings.Index(s, "§"); i >= 0; {
		if !specRE.MatchString(s[max(0, i-100):i]) {
			out = append(out, offence{lineAt(i), "a § that follows no published specification ([MS-xxx], RFC nnnn) numbers notes readers do not have"})
		}
		next := strings.Index(s[i+len("§"):], "§")
		if next < 0 {
			break
		}
		i += len("§") + next
	}
	machine := []*regexp.Regexp{homeRE}
	if !markdown {
		machine = append(machine, tmpRE)
	}
	for _, re := range machine {
		for _, loc := range re.FindAllStringIndex(s, -1) {
			at := strings.IndexByte(s[loc[0]:], '/') + loc[0]
			if strings.HasPrefix(s[at:], "/t"+"mp/krb5cc_") {
				continue // MIT Kerberos' default credential cache
			}
			end := min(len(s), at+32)
			if nl := strings.IndexAny(s[at:end], "\n \x60\"'"); nl >= 0 {
				end = at + nl
			}
			out = append(out, offence{lineAt(at), fmt.Sprintf("names a path on a machine (%s)", s[at:end])})
		}
	}
	dir := path.Dir(rel)
	private := privateRE.FindAllStringIndex(s, -1)
	for _, loc := range wordRE.FindAllStringIndex(s, -1) {
		w := strings.TrimRight(s[loc[0]:loc[1]], ".,:;")
		w = lineSuffixRE.ReplaceAllString(strings.TrimPrefix(w, "./"), "")
		if !fileRE.MatchString(w) {
			continue // not a file name, or a URL, glob, module@version or Windows path
		}
		if first, _, ok := strings.Cut(w, "/"); ok && strings.Contains(first, ".") && first != ".." {
			continue // a module or host path such as github.com/owner/repo/file.go
		}
		if foreignRE.MatchString(s[max(0, loc[0]-64):loc[0]]) {
			continue // a file of another published project, named with it
		}
		if markdown && !strings.Contains(w, "/") {
			continue
		}
		if slices.ContainsFunc(private, func(p []int) bool { return p[0] < loc[1] && loc[0] < p[1] }) {
			continue // reported above
		}
		if ok, why := t.resolve(dir, w); !ok {
			out = append(out, offence{lineAt(loc[0]), why})
		}
	}
	slices.SortStableFunc(out, func(a, b offence) int { return a.line - b.line })
	return out
}

// byLine formats offences as one "file:line: what; what" entry per line.
func byLine(rel string, offs []offence) []string {
	var out []string
	for i := 0; i < len(offs); {
		j, whats := i, []string{}
		for ; j < len(offs) && offs[j].line == offs[i].line; j++ {
			if !slices.Contains(whats, offs[j].what) {
				whats = append(whats, offs[j].what)
			}
		}
		out = append(out, fmt.Sprintf("%s:%d: %s", rel, offs[i].line, strings.Join(whats, "; ")))
		i = j
	}
	return out
}

// goComments returns the comments of a Go file, one block per /* */ comment
// or run of // comments on consecutive lines.
func goComments(src []byte) []commentBlock {
	fset := token.NewFileSet()
	file := fset.AddFile("", fset.Base(), len(src))
	var s scanner.Scanner
	s.Init(file, src, func(token.Position, string) {}, scanner.ScanComments)
	var out []commentBlock
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			return out
		}
		if tok != token.COMMENT {
			continue
		}
		first := file.Line(pos)
		var b commentBlock
		for i, l := range strings.Split(lit, "\n") {
			b = append(b, commentLine{first + i, l})
		}
		if n := len(out); n > 0 && strings.HasPrefix(lit, "//") && out[n-1][len(out[n-1])-1].line == first-1 &&
			strings.HasPrefix(out[n-1][0].text, "//") {
			out[n-1] = append(out[n-1], b...)
			continue
		}
		out = append(out, b)
	}
}

// hashComments returns the comments of a file whose comments start with #
// (YAML, PowerShell, Python, shell, systemd, cron): the text after a # that
// is outside quotes, plus PowerShell's <# ... #> blocks. Consecutive comment
// lines form one block.
func hashComments(src []byte, powershell bool) []commentBlock {
	var out []commentBlock
	var cur commentBlock
	inBlock := false
	flush := func() {
		if len(cur) > 0 {
			out = append(out, cur)
			cur = nil
		}
	}
	for i, line := range strings.Split(string(src), "\n") {
		n := i + 1
		if powershell && inBlock {
			cur = append(cur, commentLine{n, line})
			if strings.Contains(line, "#>") {
				inBlock = false
			}
			continue
		}
		if powershell && strings.Contains(line, "<#") && !strings.Contains(line[strings.Index(line, "<#"):], "#>") {
			inBlock = true
			cur = append(cur, commentLine{n, line[strings.Index(line, "<#"):]})
			continue
		}
		if c, ok := hashComment(line); ok {
			cur = append(cur, commentLine{n, c})
			continue
		}
		flush()
	}
	flush()
	return out
}

// hashComment returns the part of line from a # outside quotes.
func hashComment(line string) (string, bool) {
	quote := rune(0)
	for i, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
		case r == '"' || r == '\'':
			quote = r
		case r == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			return line[i:], true
		}
	}
	return "", false
}

// markdownText returns every line of a Markdown file as one block per
// paragraph: all of it is prose for a reader.
func markdownText(src []byte) []commentBlock {
	var out []commentBlock
	var cur commentBlock
	for i, line := range strings.Split(string(src), "\n") {
		if strings.TrimSpace(line) == "" {
			if len(cur) > 0 {
				out = append(out, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, commentLine{i + 1, line})
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// commentsOf returns the comment blocks of the file rel and whether it is
// Markdown; ok is false for files that are not checked (data files, whose
// text is not addressed to a reader of the code).
func commentsOf(rel string, src []byte) (blocks []commentBlock, markdown, ok bool) {
	base := path.Base(rel)
	switch ext := path.Ext(rel); {
	case ext == ".go":
		return goComments(src), false, true
	case ext == ".md":
		return markdownText(src), true, true
	case ext == ".ps1":
		return hashComments(src, true), false, true
	case ext == ".yaml" || ext == ".yml" || ext == ".py" || ext == ".service" || ext == ".timer" || ext == ".cron" ||
		base == "run" && path.Dir(rel) == ".ci":
		return hashComments(src, false), false, true
	}
	return nil, false, false
}

// trackedFiles lists the repository's files: git's index when git can read
// it, otherwise every file under the root outside dot-directories.
func trackedFiles(t *testing.T) []string {
	t.Helper()
	if out, err := exec.Command("git", "-C", root, "ls-files", "-z").Output(); err == nil && len(out) > 0 {
		var files []string
		for _, f := range bytes.Split(bytes.TrimRight(out, "\x00"), []byte{0}) {
			files = append(files, string(f))
		}
		return files
	}
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// Every comment of the repository cites only what a reader has.
func TestCommentsCiteOnlyWhatReadersHave(t *testing.T) {
	t.Parallel()
	files := trackedFiles(t)
	tree := newRepoTree(files)
	var offenders []string
	lines := 0
	for _, rel := range files {
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			if os.IsNotExist(err) {
				continue // deleted in the work tree, not yet in the index
			}
			t.Fatal(err)
		}
		blocks, markdown, ok := commentsOf(rel, src)
		if !ok {
			continue
		}
		for _, b := range blocks {
			lines += len(b)
			offenders = append(offenders, byLine(rel, tree.checkBlock(rel, markdown, b))...)
		}
	}
	if lines < 5000 {
		t.Fatalf("only %d comment lines found in %d files; is the root right?", lines, len(files))
	}
	if len(offenders) > 0 {
		t.Errorf("%d comments cite what a reader of the repository does not have "+
			"(cite a file of the repository or a published document by title):\n%s",
			len(offenders), strings.Join(offenders, "\n"))
	}
}

// The rules themselves, on a small tree: each catches what it must and
// lets through the forms a reader has.
func TestCommentCitationRules(t *testing.T) {
	t.Parallel()
	tree := newRepoTree([]string{
		"README.md", "scanner/facts/collect.ps1", "scanner/winrm/winrmtest/lab.go",
		"scanner/winrm/winrmtest/testdata/lab.yaml", "a/doc.go", "b/doc.go", "examples/lab.yaml",
	})
	work := "/wor" + "k/"
	cases := []struct {
		name, file, text string
		markdown         bool
		want             string // "" = no offence; else a substring of the offence
	}{
		{"repository file from the root", "x/y.go", "// see scanner/facts/collect.ps1", false, ""},
		{"file beside the citing file", "scanner/winrm/winrmtest/x.go", "// as testdata/lab.yaml says", false, ""},
		{"unique path suffix", "report/x.go", "// winrmtest/lab.go and collect.ps1", false, ""},
		{"absent file", "x/y.go", "// the rules in NOTES.md", false, "no file of the repository is NOTES.md"},
		{"absent file with a line", "x/y.go", "// see scanner/gone.go:12:3", false, "no file of the repository is scanner/gone.go"},
		{"repository file with a line", "x/y.go", "// see scanner/facts/collect.ps1:40.", false, ""},
		{"absent data file with a directory", "x/y.go", "// fixtures/vectors.json", false, "no file of the repository is fixtures/vectors.json"},
		{"bare data file is a run-time file", "x/y.go", "// writes latest.json", false, ""},
		{"ambiguous basename", "c/y.go", "// see doc.go", false, "ambiguous"},
		{"URL", "x/y.go", "// https://example.com/a/notes.md", false, ""},
		{"module path", "x/y.go", "// github.com/masterzen/winrm/http.go", false, ""},
		{"file of another project", "x/y.go", "// pywinrm's encryption.py and\n// jborean93/pypsrp `tests/x/y.yml`", false, ""},
		{"glob", "x/y.go", "// every *.go file", false, ""},
		{"work path", "x/y.go", "// read " + work + "shared/x", false, "path on a machine"},
		{"home path", "x/y.go", "// (/ho" + "me/dev/src)", false, "path on a machine"},
		{"Windows user profile", "x/y.go", `// C:\Users\dev\x`, false, "path on a machine"},
		{"temporary file", "x/y.go", "// left in /t" + "mp/scan.out", false, "path on a machine"},
		{"Kerberos default cache", "x/y.go", "// like /t" + "mp/krb5cc_1000", false, ""},
		{"Windows system path and registry", "x/y.go", `// C:\Windows\System32 and HKLM\SYSTEM\x`, false, ""},
		{"temporary file in a Markdown command", "README.md", "ntlmscan simulate --krb5-out /t" + "mp/k.conf", true, ""},
		{"work path in Markdown", "README.md", "copied from `" + work + "x/y`", true, "path on a machine"},
		{"bare name in Markdown", "README.md", "ntlmscan plan -o fixes.ps1", true, ""},
		{"path in Markdown", "README.md", "see [the lab](examples/missing.yaml)", true, "no file of the repository is examples/missing.yaml"},
		{"rule book", "x/y.go", "// (NTLM-" + "RULES §2.4)", false, "NTLM-"},
		{"source tag", "x/y.go", "// quoted in [S17]", false, "[S17]"},
		{"task notes", "x/y.go", "// as the bri" + "ef says", false, "bri"},
		{"bare section", "x/y.go", "// checked first (§2.5)", false, "§"},
		{"specification section", "x/y.go", "// [MS-NLMP] §3.4.4 and MS-APDS §3.1.5", false, ""},
		{"specification on the line before", "x/y.go", "// RFC 2744\n// §3.11", false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var b commentBlock
			for i, l := range strings.Split(tc.text, "\n") {
				b = append(b, commentLine{i + 1, l})
			}
			got := strings.Join(byLine(tc.file, tree.checkBlock(tc.file, tc.markdown, b)), "\n")
			switch {
			case tc.want == "" && got != "":
				t.Errorf("unexpected offence: %s", got)
			case tc.want != "" && !strings.Contains(got, tc.want):
				t.Errorf("offences %q, want one with %q", got, tc.want)
			}
		})
	}
}

// Comments are found where each language puts them, and only there.
func TestCommentExtraction(t *testing.T) {
	t.Parallel()
	goSrc := "package p\n\n// one\n// two\nvar s = \"// not a comment\"\n\n/* three\nfour */\nvar x = 1 // five\n"
	var got []string
	for _, b := range goComments([]byte(goSrc)) {
		var lines []string
		for _, l := range b {
			lines = append(lines, fmt.Sprintf("%d:%s", l.line, l.text))
		}
		got = append(got, strings.Join(lines, "|"))
	}
	want := []string{"3:// one|4:// two", "7:/* three|8:four */", "9:// five"}
	if !slices.Equal(got, want) {
		t.Errorf("Go comments = %q, want %q", got, want)
	}
	psSrc := "# head\n$a = 'x # not' # tail\n<#\nblock\n#>\n$b = \"#no\"\n"
	got = nil
	for _, b := range hashComments([]byte(psSrc), true) {
		for _, l := range b {
			got = append(got, fmt.Sprintf("%d:%s", l.line, l.text))
		}
	}
	want = []string{"1:# head", "2:# tail", "3:<#", "4:block", "5:#>"}
	if !slices.Equal(got, want) {
		t.Errorf("PowerShell comments = %q, want %q", got, want)
	}
}
