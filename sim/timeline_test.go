package sim_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/thingyard/thingyard/scenes"
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

// scramble is an action of one of a few kinds a person takes in any scene,
// on one of the world's devices, chosen by rng.
func scramble(rng *rand.Rand, w *sim.World) sim.Action {
	var v sim.View
	w.View(&v)
	d := v.Devices[rng.IntN(len(v.Devices))]
	switch rng.IntN(6) {
	case 0:
		return sim.Action{Kind: sim.ActPower, Device: d.ID, On: rng.IntN(2) == 0}
	case 1:
		return sim.Action{Kind: sim.ActMove, Device: d.ID, X: rng.Int32N(1000), Y: rng.Int32N(600)}
	case 2:
		return sim.Action{Kind: sim.ActCut, Link: sim.Internet}
	case 3:
		return sim.Action{Kind: sim.ActRestore, Link: sim.Internet}
	case 4:
		return sim.Action{Kind: sim.ActCommand, Device: d.ID, On: rng.IntN(2) == 0}
	}
	return sim.Action{Kind: sim.ActSet, Device: d.ID, Key: "period_ms", Value: float64(50 + rng.IntN(2000))}
}

// A timeline with checkpoints is the timeline that keeps everything, only
// smaller: given the same actions at the same moments, on time, early, and
// late by anything up to its window, one by one and in batches, both have
// the same world after every step and action, and rebuild as often; the
// one with checkpoints keeps only the end of the log and a few copies. One
// that keeps its copies as states (CheckpointStates) is the same again.
func TestTimelineCheckpointsReplayExactly(t *testing.T) {
	const every, late = 250, 750
	for _, name := range []string{"open-api", "internet-outage", "protocols", "intelligence"} {
		sc, err := scenes.Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		full, err := sim.NewTimeline(sc.Spec, sc.Seed)
		if err != nil {
			t.Fatal(err)
		}
		kept, _ := sim.NewTimeline(sc.Spec, sc.Seed)
		kept.Checkpoints(every, late)
		states, _ := sim.NewTimeline(sc.Spec, sc.Seed)
		states.CheckpointStates(every, late)
		rng := rand.New(rand.NewPCG(uint64(len(name)), 7))
		var tick int64
		var lates int
		for i := range 200 {
			tick += rng.Int64N(60)
			full.AdvanceTo(tick)
			kept.AdvanceTo(tick)
			states.AdvanceTo(tick)
			n := 1
			if i%4 == 3 {
				n = 1 + rng.IntN(6)
			}
			acts := make([]sim.Action, n)
			for j := range acts {
				acts[j] = scramble(rng, full.World())
				// Half of them late, by up to the window, a fifth of
				// those by all of it; the others for now or up to 40
				// ticks ahead.
				switch r := rng.IntN(10); {
				case r == 0:
					acts[j].At = max(0, tick-late)
				case r < 5:
					acts[j].At = max(0, tick-1-rng.Int64N(late))
				default:
					acts[j].At = tick + rng.Int64N(41)
				}
				if acts[j].At < tick {
					lates++
				}
			}
			if n == 1 {
				errFull, errKept, errStates := full.Add(acts[0]), kept.Add(acts[0]), states.Add(acts[0])
				if fmt.Sprint(errFull) != fmt.Sprint(errKept) || fmt.Sprint(errFull) != fmt.Sprint(errStates) {
					t.Fatalf("%s, action %d %+v: %v, with checkpoints %v, with states %v", name, i, acts[0], errFull, errKept, errStates)
				}
			} else if a, b, c := full.AddAll(acts), kept.AddAll(acts), states.AddAll(acts); a != b || a != c {
				t.Fatalf("%s, batch %d: kept %d, with checkpoints %d, with states %d", name, i, a, b, c)
			}
			if f, k := full.World(), kept.World(); f.Tick() != k.Tick() || f.Hash() != k.Hash() {
				t.Fatalf("%s, after action %d at tick %d: %x at %d, with checkpoints %x at %d", name, i, acts[0].At, f.Hash(), f.Tick(), k.Hash(), k.Tick())
			}
			if f, k := full.World(), states.World(); f.Tick() != k.Tick() || f.Hash() != k.Hash() {
				t.Fatalf("%s, after action %d at tick %d: %x at %d, with states %x at %d", name, i, acts[0].At, f.Hash(), f.Tick(), k.Hash(), k.Tick())
			}
		}
		full.AdvanceTo(tick + 3000)
		kept.AdvanceTo(tick + 3000)
		states.AdvanceTo(tick + 3000)
		if d := diff(fingerprint(full.World()), fingerprint(kept.World())); d != "" {
			t.Errorf("%s: the worlds differ at the end: %s", name, d)
		}
		if d := diff(fingerprint(full.World()), fingerprint(states.World())); d != "" {
			t.Errorf("%s: the worlds differ at the end, with states: %s", name, d)
		}
		if full.Rebuilds() != kept.Rebuilds() || full.Rebuilds() != states.Rebuilds() || full.Rebuilds() < lates/8 {
			t.Errorf("%s: %d rebuilds, with checkpoints %d, with states %d, for %d late actions", name, full.Rebuilds(), kept.Rebuilds(), states.Rebuilds(), lates)
		}
		fl, kl := full.Log(), kept.Log()
		if len(kl) >= len(fl)/4 || !reflect.DeepEqual(kl, fl[len(fl)-len(kl):]) {
			t.Errorf("%s: with checkpoints the log keeps %d of %d actions, not only the last ones", name, len(kl), len(fl))
		}
		if n := kept.Checkpointed(); n < 2 || n > late/every+2 {
			t.Errorf("%s: %d checkpoints kept, want 2..%d", name, n, late/every+2)
		}
	}
}

// A timeline with checkpoints forgets only what no action within its
// window can reach back to: an action of its horizon's tick still replays
// exactly, one a tick before it is refused with ErrTooLate and changes
// nothing.
func TestTimelineCheckpointsForgetOnlyTheUnreachable(t *testing.T) {
	const every, late = 100, 300
	full, kept := newTimeline(t), newTimeline(t)
	kept.Checkpoints(every, late)
	acts := scriptedActions()
	for i := range 100 {
		a := acts[i%len(acts)]
		if a.Kind == sim.ActAdd {
			continue
		}
		a.At = int64(50*i) + 20
		full.AdvanceTo(int64(50 * i))
		kept.AdvanceTo(int64(50 * i))
		full.Add(a)
		kept.Add(a)
	}
	full.AdvanceTo(5000)
	kept.AdvanceTo(5000)
	h := kept.Horizon()
	if h != 5000-late || kept.Checkpointed() != late/every+1 {
		t.Fatalf("at tick 5000: horizon %d and %d checkpoints, want %d (the newest checkpoint at least %d ticks old) and %d", h, kept.Checkpointed(), 5000-late, late, late/every+1)
	}
	// A timeline that jumps there in one step keeps the same, and took
	// no copy it would forget at once.
	jump := newTimeline(t)
	jump.Checkpoints(every, late)
	jump.AdvanceTo(5000)
	if jump.Horizon() != h || jump.Checkpointed() != late/every+1 {
		t.Errorf("after one step to 5000: horizon %d and %d checkpoints, want %d and %d", jump.Horizon(), jump.Checkpointed(), h, late/every+1)
	}
	if n := len(kept.Log()); n > (5000-int(h))/50+1 {
		t.Errorf("the log keeps %d actions, more than those since the horizon (%d)", n, h)
	}
	tooLate := sim.Action{At: h - 1, Kind: sim.ActPower, Device: "phone", On: false}
	hash, logged, rebuilds := kept.World().Hash(), len(kept.Log()), kept.Rebuilds()
	if err := kept.Add(tooLate); !errors.Is(err, sim.ErrTooLate) {
		t.Fatalf("an action before the horizon: %v, want ErrTooLate", err)
	}
	if kept.AddAll([]sim.Action{tooLate}) != 0 {
		t.Error("AddAll kept an action before the horizon")
	}
	if kept.World().Hash() != hash || len(kept.Log()) != logged || kept.Rebuilds() != rebuilds {
		t.Error("a refused late action changed the timeline")
	}
	onHorizon := tooLate
	onHorizon.At = h
	if err := full.Add(onHorizon); err != nil {
		t.Fatal(err)
	}
	if err := kept.Add(onHorizon); err != nil {
		t.Fatalf("an action at the horizon: %v", err)
	}
	full.AdvanceTo(8000)
	kept.AdvanceTo(8000)
	if d := diff(fingerprint(full.World()), fingerprint(kept.World())); d != "" {
		t.Errorf("an action at the horizon: %s", d)
	}
}
