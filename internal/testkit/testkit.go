// Package testkit holds what Thingyard's tests in several packages share:
// waiting for a condition that a real process, socket or browser brings
// about in its own time, and tying the processes a test starts to its
// life (DieWithTest).
package testkit

import (
	"bytes"
	"sync"
	"testing"
	"time"
)

// poll is how often a condition is looked at again.
const poll = 10 * time.Millisecond

// Eventually waits until cond holds and fails the test, saying what it
// waited for, when it does not within within. The time is a bound on a
// failure, not a pace: a passing test waits only as long as cond takes.
func Eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	EventuallySays(t, within, func() (bool, string) { return cond(), what })
}

// EventuallySays is Eventually for a condition that says, each time it
// does not hold, what it saw; the last thing it said is the failure.
func EventuallySays(t testing.TB, within time.Duration, cond func() (bool, string)) {
	t.Helper()
	end := time.Now().Add(within)
	for {
		ok, msg := cond()
		if ok {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("not within %v: %s", within, msg)
		}
		time.Sleep(poll)
	}
}

// Buffer is an output that a server writes, its log or its stdout, while
// the test reads it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String is all that was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
