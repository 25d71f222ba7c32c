package scanner

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"testing"
)

func TestSmoke(t *testing.T) {
	srv := startLab(t, "lab-mixed.yaml")
	f := newFleet(t, srv, "DC01", "CORE01", "AGENT01", "AGENT03", "WG01", "KERB01")
	f.useLocal("AGENT03")
	f.useLocal("WG01")
	f.makeCore("CORE01", map[string]string{"AGENT01": "AGENT01", "AGENT03": "127.0.3.33"}, "fs01.corp.example")
	res := Run(context.Background(), f.inv, Options{Password: labPasswords, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	b, _ := json.MarshalIndent(res, "", " ")
	t.Logf("%s", b)
}
