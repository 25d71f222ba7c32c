package scanner

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestExpiredSeesAPassedDeadlineBeforeTheTimer(t *testing.T) {
	// A deadline in the past whose context timer has not been observed yet
	// is simulated with a custom context: Err() nil, Deadline() passed.
	ctx := stuckContext{Context: context.Background(), dl: time.Now().Add(-time.Millisecond)}
	if err := expired(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("expired = %v, want DeadlineExceeded", err)
	}
	live, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	if err := expired(live); err != nil {
		t.Fatalf("live context reported %v", err)
	}
	canceled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if err := expired(canceled); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled context reported %v", err)
	}
}

type stuckContext struct {
	context.Context
	dl time.Time
}

func (c stuckContext) Deadline() (time.Time, bool) { return c.dl, true }
