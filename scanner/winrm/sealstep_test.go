package winrm

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	mzwinrm "github.com/masterzen/winrm"
)

// TestUnsealedRefusalDropsSealedConnection: a host that refuses a sealed
// message before WinRM unseals it (HTTP 413 for a request over
// MaxEnvelopeSizekb, an empty HTTP 500) has not advanced its side of the
// connection's sealing state while ours has, so the next message must go
// on a new, freshly authenticated connection, even if the host kept this
// one open; reusing it would fail the next signature check.
func TestUnsealedRefusalDropsSealedConnection(t *testing.T) {
	var n atomic.Int32
	fake := newFakeHost(t, sealFlags, 0, func(w http.ResponseWriter, _ []byte) {
		if n.Add(1) == 1 {
			w.WriteHeader(http.StatusRequestEntityTooLarge) // connection kept open
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tr := NewTransport(ctx, Config{Auth: NewNTLM(`CORP\user`, "secret"), MaxConns: 1})
	defer tr.Close()
	ep := fake.endpoint(t)
	if err := tr.Transport(&mzwinrm.Endpoint{Host: ep.Host, Port: ep.Port}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		res, err := tr.call("Send", []byte("<s:Envelope/>"))
		if err != nil {
			t.Fatal(err)
		}
		res.release()
		if st := tr.Stats(); st.Handshakes != i+1 {
			t.Fatalf("after %d refused sealed messages: %d handshakes (the refused connection was reused)", i+1, st.Handshakes)
		}
	}
}
