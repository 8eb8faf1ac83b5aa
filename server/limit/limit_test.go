package limit_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/thingyard/thingyard/server/limit"
)

func TestKeyed(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	k := limit.New(2, 3, func() time.Time { return now })
	got := ""
	for range 5 {
		got += fmt.Sprint(k.Allow("a")) + " "
	}
	if want := "true true true false false "; got != want {
		t.Errorf("a burst of 3: %s, want %s", got, want)
	}
	if !k.Allow("b") {
		t.Error("another address shares the first one's bucket")
	}
	now = now.Add(500 * time.Millisecond)
	if !k.Allow("a") || k.Allow("a") {
		t.Error("half a second at 2 a second gives one more, not two")
	}
}

// Addresses quiet long enough are forgotten, so new addresses cannot grow
// the limiter without bound.
func TestKeyedForgets(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	k := limit.New(1, 1, func() time.Time { return now })
	for i := range 10_000 {
		k.Allow(fmt.Sprint("10.0.", i/256, ".", i%256))
		now = now.Add(time.Millisecond)
	}
	if n := k.Len(); n > 5000 {
		t.Errorf("the limiter holds %d addresses after 10,000 came once each over 10 s", n)
	}
}

// Ready tells whether a key has an event without taking it; Forget gives
// a key a full bucket again.
func TestKeyedReadyAndForget(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	k := limit.New(1, 2, func() time.Time { return now })
	if !k.Ready("a") || !k.Ready("a") || !k.Allow("a") || !k.Ready("a") || !k.Allow("a") {
		t.Fatal("a fresh key of burst 2 is not ready twice")
	}
	if k.Ready("a") || k.Allow("a") {
		t.Error("a key with an empty bucket is ready")
	}
	k.Forget("a")
	if !k.Ready("a") || !k.Allow("a") {
		t.Error("a forgotten key has no full bucket")
	}
}
