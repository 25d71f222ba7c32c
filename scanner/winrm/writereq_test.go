package winrm

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/url"
	"testing"
)

// TestWriteRequest: what writeRequest puts on the wire is an HTTP/1.1 POST
// net/http reads back with every header and the body; bad header names or
// values (CRLF injection) are refused.
func TestWriteRequest(t *testing.T) {
	u, _ := url.Parse("http://127.0.0.1:5985/wsman")
	tests := []struct {
		name    string
		header  http.Header
		body    string
		wantErr bool
	}{
		{"sealed", http.Header{"Content-Type": {EncryptedContentType}}, "--Encrypted Boundary\r\n...", false},
		{"auth leg, empty body", http.Header{"Authorization": {"Negotiate TlRMTVNTUAAB"}}, "", false},
		{"nil header", nil, "<x/>", false},
		{"value injection", http.Header{"Content-Type": {"a\r\nX-Evil: 1"}}, "", true},
		{"name injection", http.Header{"Bad Name": {"v"}}, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			w := bufio.NewWriter(&out)
			err := writeRequest(w, u, tc.header, []byte(tc.body))
			if tc.wantErr {
				if err == nil {
					t.Fatal("accepted")
				}
				return
			}
			if err != nil || w.Flush() != nil {
				t.Fatal(err)
			}
			req, err := http.ReadRequest(bufio.NewReader(&out))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(req.Body)
			if req.Method != http.MethodPost || req.URL.Path != "/wsman" || req.Host != u.Host || req.ContentLength != int64(len(tc.body)) ||
				string(body) != tc.body || req.UserAgent() != "ntlmscan" {
				t.Errorf("read back %s %s host %s len %d ua %q body %q", req.Method, req.URL, req.Host, req.ContentLength, req.UserAgent(), body)
			}
			for k, v := range tc.header {
				if req.Header.Get(k) != v[0] {
					t.Errorf("header %s = %q, want %q", k, req.Header.Get(k), v[0])
				}
			}
		})
	}
}
