package ui

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/thingyard/thingyard/sim"
)

// A burst is one announcement, and the next waits its turn.
func TestAnnouncerCoalesces(t *testing.T) {
	a := NewAnnouncer(2 * time.Second)
	t0 := time.Unix(1000, 0)
	if got := a.Next(t0); got != "" {
		t.Fatalf("nothing said yet, announced %q", got)
	}
	a.Say("The internet is cut.")
	if got := a.Next(t0); got != "The internet is cut." {
		t.Fatalf("first announcement %q", got)
	}
	a.Say("Lamp is offline.")
	a.Say("Lamp is offline.")
	a.Say("Refused: no.")
	if got := a.Next(t0.Add(time.Second)); got != "" {
		t.Errorf("a second after the last, announced %q; want to wait", got)
	}
	if got := a.Next(t0.Add(2 * time.Second)); got != "Lamp is offline. Refused: no." {
		t.Errorf("the burst was announced as %q", got)
	}
	for _, s := range []string{"a.", "b.", "c.", "d.", "e.", "f."} {
		a.Say(s)
	}
	if got := a.Next(t0.Add(4 * time.Second)); got != "a. b. c. And 3 more changes: see the list of devices." {
		t.Errorf("a long burst was announced as %q", got)
	}
	if got := a.Next(t0.Add(6 * time.Second)); got != "" {
		t.Errorf("what was counted was said again: %q", got)
	}
}

func TestWatchChanges(t *testing.T) {
	w := world(t, twoSides+`
  - {id: up, medium: internet, members: [broker, lamp]}
`)
	var v sim.View
	look := func(watch *Watch, members int) []string {
		w.View(&v)
		txt, at := w.LastRefusal()
		return watch.Changes("Two sides", &v, txt, at, members)
	}
	apply := func(a sim.Action) {
		t.Helper()
		a.At = w.Tick()
		w.Apply(a)
		w.Step(10)
	}
	var watch Watch
	steps := []struct {
		do      func()
		members int
		want    []string
	}{
		{func() {}, 2, []string{"Scene loaded: Two sides."}},
		{func() {}, 2, nil},
		{func() { apply(sim.Action{Kind: sim.ActCut, Link: sim.Internet}) }, 2, []string{"The internet is cut."}},
		{func() { apply(sim.Action{Kind: sim.ActRestore, Link: sim.Internet}) }, 3,
			[]string{"The internet is back.", "Someone joined the room: 3 browsers."}},
		{func() { apply(sim.Action{Kind: sim.ActPower, Device: "temp", On: false}) }, 2,
			[]string{"temp is offline.", "Someone left the room: 2 browsers."}},
		{func() { apply(sim.Action{Kind: sim.ActPower, Device: "temp", On: true}) }, 2, []string{"temp is back online."}},
		{func() { apply(sim.Action{Kind: sim.ActCut, Link: "bus"}) }, 2, []string{"plc and temp are offline."}},
		{func() { apply(sim.Action{Kind: sim.ActAdd, Link: "lan", DeviceKind: "sensor", Count: 100}) }, 2, nil},
	}
	for i, s := range steps {
		s.do()
		if got := look(&watch, s.members); !reflect.DeepEqual(got, s.want) {
			t.Errorf("step %d: said %q, want %q", i, got, s.want)
		}
	}
	// A refusal is said with its reason.
	apply(sim.Action{Kind: sim.ActAdd, Link: "bus", DeviceKind: "sensor", Count: 300})
	got := look(&watch, 2)
	if len(got) != 1 || !strings.HasPrefix(got[0], "Refused: ") || len(got[0]) < 20 {
		t.Errorf("adding 300 slaves to an RS-485 bus said %q, want the refusal and why", got)
	}
}
