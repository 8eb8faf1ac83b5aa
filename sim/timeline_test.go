package sim_test

import (
	"testing"

	"github.com/thingyard/thingyard/sim"
)

// Two parties of a room get the same actions; one gets some of them after
// their tick has passed. Both end in the same state.
func TestTimelineLateActionsConverge(t *testing.T) {
	prompt, late := newTimeline(t), newTimeline(t)
	for i, a := range scriptedActions() {
		a.At = int64(2000 * (i + 1))
		prompt.AdvanceTo(a.At - 100)
		if err := prompt.Add(a); err != nil {
			t.Fatalf("prompt Add(%+v): %v", a, err)
		}
		late.AdvanceTo(a.At + int64(50*i)) // the action reaches it 0..350 ticks late
		if err := late.Add(a); err != nil {
			t.Fatalf("late Add(%+v): %v", a, err)
		}
	}
	prompt.AdvanceTo(30 * second)
	late.AdvanceTo(30 * second)
	if p, l := prompt.World().Hash(), late.World().Hash(); p != l {
		t.Fatalf("hashes differ: prompt %x, late %x", p, l)
	}
	if prompt.Rebuilds() != 0 {
		t.Errorf("the prompt party rebuilt %d times", prompt.Rebuilds())
	}
	if late.Rebuilds() == 0 {
		t.Error("late actions did not rebuild the world")
	}
	if n := len(late.Log()); n != len(scriptedActions()) {
		t.Errorf("log has %d actions", n)
	}
}

// A spec whose events are a timeline's log reproduces it: how a share link
// and a folded room log replay.
func TestTimelineLogAsEvents(t *testing.T) {
	tl := newTimeline(t)
	for i, a := range scriptedActions() {
		a.At = int64(1500 * (i + 1))
		tl.AdvanceTo(a.At)
		if err := tl.Add(a); err != nil {
			t.Fatal(err)
		}
	}
	tl.AdvanceTo(20 * second)
	spec := sim.Demo()
	spec.Events = tl.Log()
	w := newWorld(t, spec, 5)
	w.Step(20 * second)
	if w.Hash() != tl.World().Hash() {
		t.Fatalf("replayed %x, timeline %x", w.Hash(), tl.World().Hash())
	}
}

func newTimeline(t *testing.T) *sim.Timeline {
	t.Helper()
	tl, err := sim.NewTimeline(sim.Demo(), 5)
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

// A party catching up on many late actions at once replays its world once,
// and ends where one that had each on time ends.
func TestTimelineAddAllReplaysOnce(t *testing.T) {
	prompt, batched := newTimeline(t), newTimeline(t)
	acts := scriptedActions()
	for i := range acts {
		acts[i].At = int64(1000 * (i + 1))
	}
	for _, a := range acts {
		prompt.AdvanceTo(a.At - 1)
		prompt.Add(a)
	}
	batched.AdvanceTo(int64(1000*len(acts)) + 500) // every action is late
	if n := batched.AddAll(acts); n != len(acts) {
		t.Fatalf("kept %d of %d", n, len(acts))
	}
	if batched.Rebuilds() != 1 {
		t.Errorf("%d late actions replayed the world %d times, want once", len(acts), batched.Rebuilds())
	}
	prompt.AdvanceTo(30 * second)
	batched.AdvanceTo(30 * second)
	if p, b := prompt.World().Hash(), batched.World().Hash(); p != b {
		t.Fatalf("hashes differ: prompt %x, batched %x", p, b)
	}
}
