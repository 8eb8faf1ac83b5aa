package sim_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/thingyard/thingyard/sim"
)

func TestValidateReportsEveryError(t *testing.T) {
	spec := sim.Spec{
		Devices: []sim.DeviceSpec{
			{ID: "a", Kind: "toaster"},
			{ID: "a", Kind: "sensor"},
			{ID: "b", Kind: "sensor", X: sim.MaxCoord + 1},
		},
		Links: []sim.LinkSpec{{ID: "l", Medium: "pigeon", Members: []string{"a", "ghost"}}},
	}
	err := spec.Validate()
	var es sim.Errors
	if !errors.As(err, &es) {
		t.Fatalf("Validate: %v, want sim.Errors", err)
	}
	paths := map[string]bool{}
	for _, e := range es {
		paths[e.Path] = true
	}
	for _, p := range []string{"devices[0].kind", "devices[1].id", "devices[2].x", "links[0].medium", "links[0].members[1]"} {
		if !paths[p] {
			t.Errorf("no error at %s (got %v)", p, err)
		}
	}
	if !strings.Contains(err.Error(), "valid:") {
		t.Errorf("errors do not say what would be valid: %v", err)
	}
}

func TestActionsAreChecked(t *testing.T) {
	w := newWorld(t, sim.Demo(), 1)
	h := w.Hash()
	for _, a := range []sim.Action{
		{Kind: "explode"},
		{Kind: sim.ActPower, Device: "nobody"},
		{Kind: sim.ActCut, Link: "nowhere"},
		{Kind: sim.ActAdd, Link: "zigbee", DeviceKind: "sensor", Count: sim.MaxAddCount + 1},
		{Kind: sim.ActSet, Link: "zigbee", Key: "loss_pct", Value: 101},
		{Kind: sim.ActSet, Device: "plc", Key: "colour", Text: "red"},
	} {
		if err := w.Apply(a); err == nil {
			t.Errorf("Apply(%+v) = nil, want an error", a)
		}
	}
	if w.Hash() != h {
		t.Error("refused actions changed the world")
	}
}

// The world is deterministic: the same spec, seed and actions give the same
// hashes; another seed gives others.
func TestDeterminism(t *testing.T) {
	run := func(seed uint64) *sim.World {
		w := newWorld(t, sim.Demo(), seed)
		for i, a := range scriptedActions() {
			w.Step(700 * (i + 1))
			apply(t, w, a)
		}
		w.Step(20 * second)
		return w
	}
	a, b, c := run(42), run(42), run(43)
	if a.Hash() != b.Hash() {
		t.Fatalf("same seed, different hashes %x %x", a.Hash(), b.Hash())
	}
	ha, hb := a.Hashes(), b.Hashes()
	if len(ha) < 20 || len(ha) != len(hb) {
		t.Fatalf("hash marks %d and %d", len(ha), len(hb))
	}
	for i := range ha {
		if ha[i] != hb[i] {
			t.Fatalf("diverged at mark %d: %v vs %v", i, ha[i], hb[i])
		}
	}
	if a.Hash() == c.Hash() {
		t.Error("different seeds, same hash")
	}
}

func scriptedActions() []sim.Action {
	return []sim.Action{
		{Kind: sim.ActAdd, Link: "zigbee", DeviceKind: "sensor", Count: 5},
		{Kind: sim.ActCut, Link: sim.Internet},
		{Kind: sim.ActMove, Device: "door", X: 700, Y: 420},
		{Kind: sim.ActRestore, Link: sim.Internet},
		{Kind: sim.ActPower, Device: "oil-temp"},
		{Kind: sim.ActCommand, Device: "lamp", On: true},
		{Kind: sim.ActSet, Link: "zigbee", Key: "loss_pct", Value: 5},
		{Kind: sim.ActReading, Device: "living-temp", Readings: []sim.Reading{{Name: "temp", Value: 30}}},
	}
}

// Actions scheduled as a spec's events reproduce the same world as the same
// actions applied live at those ticks: a share link's replay.
func TestEventsReplayLiveActions(t *testing.T) {
	live := newWorld(t, sim.Demo(), 11)
	spec := sim.Demo()
	for i, a := range scriptedActions() {
		live.Step(700*(i+1) - int(live.Tick()))
		a.At = live.Tick()
		apply(t, live, a)
		spec.Events = append(spec.Events, a)
	}
	replay := newWorld(t, spec, 11)
	replay.Step(int(live.Tick()))
	live.Step(10 * second)
	replay.Step(10 * second)
	if live.Hash() != replay.Hash() {
		t.Fatalf("replay hash %x, live %x", replay.Hash(), live.Hash())
	}
	// Every mark agrees too, also those taken while the replay already
	// knew of actions the live world had not been given yet.
	lh, rh := live.Hashes(), replay.Hashes()
	for i := range lh {
		if lh[i] != rh[i] {
			t.Fatalf("mark at tick %d: live %x, replay %x", lh[i].Tick, lh[i].Hash, rh[i].Hash)
		}
	}
}
