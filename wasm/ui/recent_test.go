package ui

import (
	"testing"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
)

// TestTrackRecent follows the PLC of the default scene for 20 simulated
// seconds as the inspector does, once a tick: its list holds the PLC's
// latest hops, newest first, each once.
func TestTrackRecent(t *testing.T) {
	sc, err := scenes.Builtin(scenes.Default)
	if err != nil {
		t.Fatal(err)
	}
	w, err := sim.New(sc.Spec, sc.Seed)
	if err != nil {
		t.Fatal(err)
	}
	const device = "plc"
	var (
		v      sim.View
		recent []sim.MessageInfo
		hops   []sim.MessageInfo // every hop seen, in the order first seen
	)
	for range 20_000 {
		w.Step(1)
		w.View(&v)
		recent = TrackRecent(recent, &v, device, w.Message)
		if len(recent) > MaxRecent {
			t.Fatalf("the list holds %d messages, at most %d", len(recent), MaxRecent)
		}
		for i := len(recent) - 1; i >= 0; i-- { // what is new is at the front, newest first
			if !seen(hops, recent[i]) {
				hops = append(hops, recent[i])
			}
		}
	}
	if len(hops) <= MaxRecent {
		t.Fatalf("the PLC sent or got %d hops in 20 s: the test needs more than %d", len(hops), MaxRecent)
	}
	want := hops[len(hops)-MaxRecent:]
	for i := range recent {
		got, w := recent[i], want[len(want)-1-i]
		if got.ID != w.ID || got.From != w.From {
			t.Errorf("recent[%d] is message %d from %s, want %d from %s (the latest first)", i, got.ID, got.From, w.ID, w.From)
		}
		if got.From != device && got.To != device {
			t.Errorf("recent[%d] goes from %s to %s: not the PLC's", i, got.From, got.To)
		}
	}
}

func seen(hops []sim.MessageInfo, m sim.MessageInfo) bool {
	for _, h := range hops {
		if h.ID == m.ID && h.From == m.From {
			return true
		}
	}
	return false
}
