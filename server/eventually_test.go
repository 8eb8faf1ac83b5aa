package main

import (
	"testing"
	"time"
)

// eventuallyWithin is how long eventually waits for a condition (20 s): far
// longer than anything here takes on a loaded machine.
const eventuallyWithin = 20 * time.Second

// eventually waits until cond holds, checking every 10 ms, and fails the
// test saying what it waited for when it does not within eventuallyWithin.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(eventuallyWithin)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", eventuallyWithin, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
