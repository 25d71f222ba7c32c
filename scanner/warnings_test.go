package scanner

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
)

// syncBuffer is a bytes.Buffer safe for concurrent loggers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// The warning a failed host gets on stderr carries the class the report
// carries: a refusal is classified once, after every host is done, and
// that result is what is logged and reported.
func TestWarningClassMatchesReport(t *testing.T) {
	srv := startLab(t, "lab-mixed.yaml")
	// AGENT03 refuses NTLM for domain accounts. It is scanned first, so its
	// 401 is seen before AGENT01 proves the credential good (which AGENT01
	// may try only with ContinueOnBadCredential: by default a credential
	// refused before it worked anywhere is tried on no other host).
	f := newFleet(t, srv, "AGENT03", "AGENT01")
	var logs syncBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	res := Run(context.Background(), f.inv, Options{Password: labPasswords, Concurrency: 1, Logger: log, ContinueOnBadCredential: true})

	final := map[string]string{}
	for _, r := range res {
		if r.Error != nil {
			final[r.Host] = string(r.Error.Class)
		}
	}
	if final["AGENT03"] != "auth-refused-ntlm-policy" {
		t.Fatalf("AGENT03 reported as %q, want auth-refused-ntlm-policy", final["AGENT03"])
	}
	warned := map[string]int{}
	dec := json.NewDecoder(bytes.NewReader(logs.b.Bytes()))
	for dec.More() {
		var rec struct {
			Msg, Host, Class string
		}
		if err := dec.Decode(&rec); err != nil {
			t.Fatal(err)
		}
		if rec.Msg != "host not collected" {
			continue
		}
		warned[rec.Host]++
		if rec.Class != final[rec.Host] {
			t.Errorf("%s: stderr warning says %q, report says %q", rec.Host, rec.Class, final[rec.Host])
		}
	}
	for host := range final {
		if warned[host] != 1 {
			t.Errorf("%s: warned %d times, want once", host, warned[host])
		}
	}
}
