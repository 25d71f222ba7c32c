package winrmtest

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

type recording struct {
	Messages []struct {
		Request        string `yaml:"request"`
		Response       string `yaml:"response"`
		TransportError *struct {
			Code int `yaml:"code"`
		} `yaml:"transport_error"`
	} `yaml:"messages"`
}

// envelopeShape describes a response the way the replay compares it: root
// namespace declarations, element paths in order (ActivityId dropped: it is
// version-dependent), attribute names, the texts that carry protocol meaning,
// and the decoded streams.
type envelopeShape struct {
	Namespaces []string
	Paths      []string
	Stdout     string
	Stderr     string
}

var guidRE = regexp.MustCompile(`[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}`)

func shapeOf(t *testing.T, doc string) envelopeShape {
	t.Helper()
	var sh envelopeShape
	dec := xml.NewDecoder(strings.NewReader(doc))
	var stack []string
	var text strings.Builder
	var stream string
	depth := 0
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("response is not XML: %v\n%s", err, doc)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 {
				for _, a := range tk.Attr {
					if a.Name.Space == "xmlns" {
						sh.Namespaces = append(sh.Namespaces, a.Name.Local+"="+a.Value)
					}
				}
				sort.Strings(sh.Namespaces)
			}
			stack = append(stack, tk.Name.Local)
			path := strings.Join(stack, "/")
			var attrs []string
			stream = ""
			for _, a := range tk.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					continue
				}
				v := ""
				switch a.Name.Local {
				case "Name", "End", "State", "Code", "lang", "provider":
					v = "=" + a.Value
				}
				if a.Name.Local == "Name" && (a.Value == "stdout" || a.Value == "stderr") {
					stream = a.Value
				}
				attrs = append(attrs, a.Name.Local+v)
			}
			sort.Strings(attrs)
			if tk.Name.Local != "ActivityId" {
				sh.Paths = append(sh.Paths, path+"["+strings.Join(attrs, ",")+"]")
			}
			text.Reset()
		case xml.CharData:
			text.Write(tk)
		case xml.EndElement:
			name := stack[len(stack)-1]
			s := text.String()
			switch name {
			case "Action", "Value", "ExitCode", "Text", "Message", "FaultDetail", "ResourceURI", "ResourceUri", "InputStreams", "OutputStreams", "To":
				if strings.TrimSpace(s) != "" {
					sh.Paths = append(sh.Paths, strings.Join(stack, "/")+" = "+guidRE.ReplaceAllString(s, "GUID"))
				}
			case "Stream":
				data, _ := base64.StdEncoding.DecodeString(s)
				if stream == "stdout" {
					sh.Stdout += string(data)
				} else {
					sh.Stderr += string(data)
				}
			}
			text.Reset()
			stack = stack[:len(stack)-1]
			depth--
		}
	}
	// Windows splits output into as many Stream elements as the process made
	// writes; compare the element pattern, not the count.
	var paths []string
	for _, p := range sh.Paths {
		if len(paths) > 0 && paths[len(paths)-1] == p {
			continue
		}
		paths = append(paths, p)
	}
	sh.Paths = paths
	return sh
}

// TestReplayWindowsEnvelopes replays recorded Windows exchanges and checks
// the simulator answers each request with the structure Windows used.
func TestReplayWindowsEnvelopes(t *testing.T) {
	lab := newLab(t, `
hosts:
  - name: REPLAY1
    address: 127.0.0.1
    os: {caption: Microsoft Windows Server 2019 Standard, build: 17763}
    winrm: {basic: true, allowUnencrypted: true}
    users: [{name: vagrant, password: vagrant}]
`)
	srv := startLab(t, lab)
	ep, _ := srv.Host("REPLAY1")

	files := []string{
		"test_winrs_standard.yml",
		"test_winrs_stderr_rc.yml",
		"test_winrs_bad_cmd_id.yml",
		"test_winrs_send.yml",
		"test_winrs_unicode.yml",
		"test_winrs_operation_timeout.yml",
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			data, err := os.ReadFile("testdata/windows-wsman/" + f)
			if err != nil {
				t.Fatal(err)
			}
			var rec recording
			if err := yaml.Unmarshal(data, &rec); err != nil {
				t.Fatal(err)
			}
			ids := map[string]string{} // recorded id -> simulator id
			for i, m := range rec.Messages {
				req := m.Request
				if f == "test_winrs_operation_timeout.yml" {
					req = strings.ReplaceAll(req, "PT10S", "PT1S")
					req = strings.ReplaceAll(req, "Start-Sleep 30", "Start-Sleep -Milliseconds 2500")
				}
				for rid, sid := range ids {
					req = strings.ReplaceAll(req, rid, sid)
				}
				status, body := postBasic(t, ep.HTTPURL, "vagrant", "vagrant", req)
				wantStatus := 200
				if m.TransportError != nil {
					wantStatus = m.TransportError.Code
				}
				if status != wantStatus {
					t.Fatalf("message %d: status %d, Windows answered %d\n%s", i, status, wantStatus, body)
				}
				learnIDs(ids, m.Response, body)
				got, want := shapeOf(t, body), shapeOf(t, m.Response)
				if d := diffShapes(want, got); d != "" {
					t.Errorf("message %d (%s) differs from Windows:\n%s", i, actionOf(m.Request), d)
				}
				if !strings.Contains(body, "<p:ActivityId>") {
					t.Errorf("message %d: no p:ActivityId from a 2016+ host", i)
				}
				wantRelates := regexp.MustCompile(`MessageID>([^<]+)<`).FindStringSubmatch(req)[1]
				if !strings.Contains(body, "<a:RelatesTo>"+wantRelates+"</a:RelatesTo>") {
					t.Errorf("message %d: RelatesTo does not echo %s", i, wantRelates)
				}
			}
		})
	}
}

func actionOf(req string) string {
	m := regexp.MustCompile(`Action[^>]*>([^<]+)<`).FindStringSubmatch(req)
	if m == nil {
		return "?"
	}
	return shortAction(m[1])
}

// learnIDs maps the shell and command ids Windows returned to ours.
func learnIDs(ids map[string]string, recorded, ours string) {
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`<rsp:ShellId>([^<]+)</rsp:ShellId>`),
		regexp.MustCompile(`<rsp:CommandId>([^<]+)</rsp:CommandId>`),
	} {
		r, o := re.FindStringSubmatch(recorded), re.FindStringSubmatch(ours)
		if r != nil && o != nil {
			ids[r[1]] = o[1]
		}
	}
}

func diffShapes(want, got envelopeShape) string {
	var b strings.Builder
	if strings.Join(want.Namespaces, " ") != strings.Join(got.Namespaces, " ") {
		fmt.Fprintf(&b, "namespaces:\n  windows %v\n  sim     %v\n", want.Namespaces, got.Namespaces)
	}
	if strings.Join(want.Paths, "\n") != strings.Join(got.Paths, "\n") {
		fmt.Fprintf(&b, "elements:\n  windows:\n    %s\n  sim:\n    %s\n", strings.Join(want.Paths, "\n    "), strings.Join(got.Paths, "\n    "))
	}
	if want.Stdout != got.Stdout || want.Stderr != got.Stderr {
		fmt.Fprintf(&b, "streams: windows (%q, %q), sim (%q, %q)\n", want.Stdout, want.Stderr, got.Stdout, got.Stderr)
	}
	return b.String()
}

func postBasic(t *testing.T, url, user, pass, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, pass)
	req.Header.Set("Content-Type", soapContentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode < 400 && ct != soapContentType {
		t.Errorf("Content-Type %q", ct)
	}
	return resp.StatusCode, string(b)
}

// TestShapeDetectsDifferences keeps the replay comparison honest: it must
// notice a missing namespace, another fault subcode and other stream bytes.
func TestShapeDetectsDifferences(t *testing.T) {
	data, err := os.ReadFile("testdata/windows-wsman/test_winrs_bad_cmd_id.yml")
	if err != nil {
		t.Fatal(err)
	}
	var rec recording
	if err := yaml.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	fault := rec.Messages[2].Response
	done := ""
	for _, m := range rec.Messages {
		if strings.Contains(m.Response, "CommandState/Done") {
			done = m.Response
		}
	}
	mutations := []struct{ name, doc, from, to string }{
		{"namespace", fault, ` xmlns:e="http://schemas.xmlsoap.org/ws/2004/08/eventing"`, ""},
		{"subcode", fault, "w:InvalidSelectors", "w:TimedOut"},
		{"fault code", fault, `Code="2150858843"`, `Code="2150858793"`},
		{"header order", fault, "<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To><a:RelatesTo>", "<a:RelatesTo>"},
	}
	if done != "" {
		mutations = append(mutations, struct{ name, doc, from, to string }{"exit code", done, "<rsp:ExitCode>0<", "<rsp:ExitCode>1<"})
	}
	for _, m := range mutations {
		changed := strings.Replace(m.doc, m.from, m.to, 1)
		if changed == m.doc {
			t.Fatalf("%s: mutation did not apply", m.name)
		}
		if diffShapes(shapeOf(t, m.doc), shapeOf(t, changed)) == "" {
			t.Errorf("%s: difference not detected", m.name)
		}
	}
}
