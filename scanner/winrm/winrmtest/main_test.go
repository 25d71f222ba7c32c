package winrmtest

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind: Close
// must stop every listener, long poll and connection the server started.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
