package main

import (
	"testing"
	"time"

	"github.com/thingyard/thingyard/internal/testkit"
)

// eventuallyWithin is how long eventually waits for a condition (20 s): far
// longer than anything here takes on a loaded machine.
const eventuallyWithin = 20 * time.Second

// eventually waits until cond holds, and fails the test saying what it
// waited for when it does not within eventuallyWithin.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testkit.Eventually(t, eventuallyWithin, what, cond)
}
