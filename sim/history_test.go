package sim_test

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
)

// walk is a world walked forward in steps of 1 to 40 ticks, stirred now
// and then, with its history and what was seen on the way: the hash after
// every step, the tick of every frame sent, and the actions given.
type walk struct {
	w      *sim.World
	h      *sim.History
	hashes map[int64]uint64
	ticks  []int64 // the steps' ticks, in order
	frames []int64 // ticks at which frames were sent, ascending, repeats kept
	acts   []sim.Action
}

func walkForward(t *testing.T, spec sim.Spec, seed uint64, steps int, window int64) *walk {
	t.Helper()
	wk := &walk{w: newWorld(t, spec, seed), hashes: map[int64]uint64{}}
	wk.w.OnFrame(func(*sim.Frame) { wk.frames = append(wk.frames, wk.w.Tick()) })
	wk.h = sim.NewHistory(wk.w, window, sim.HistoryBudget)
	wk.hashes[0], wk.ticks = wk.w.Hash(), []int64{0}
	r := rand.New(rand.NewPCG(seed, 7))
	for i := range steps {
		wk.w.Step(1 + r.IntN(40))
		wk.h.Record(wk.w)
		var acts []sim.Action
		switch {
		case i%60 == 30:
			acts = stirActions(wk.w, i)
		case i%250 == 100:
			// A long cut: devices buffer across a copy, and flush after.
			acts = []sim.Action{{At: wk.w.Tick(), Kind: sim.ActCut, Link: sim.Internet}}
		case i%250 == 240:
			acts = []sim.Action{{At: wk.w.Tick() + 2, Kind: sim.ActRestore, Link: sim.Internet}}
		}
		{
			for _, a := range acts {
				wk.acts = append(wk.acts, a)
				wk.h.Add(a)
				wk.w.Apply(a) // refused or not, alike in a replay
			}
		}
		wk.hashes[wk.w.Tick()] = wk.w.Hash()
		wk.ticks = append(wk.ticks, wk.w.Tick())
	}
	return wk
}

// fresh is the walk's world built again from its spec and every action,
// stepped to tick: what any tick of the walk was, without its history.
func (wk *walk) fresh(t *testing.T, tick int64) *sim.World {
	t.Helper()
	w := newWorld(t, wk.w.Spec(), wk.w.Seed())
	for _, a := range wk.acts {
		w.Apply(a)
	}
	w.Step(int(tick))
	return w
}

// Going back shows the exact earlier world: a scene walked forward 1,000
// steps, then taken back and forth at random across the whole run, has at
// every tick reached the hash it had there on the way forward, and shows
// the same to anyone reading it.
func TestHistoryGoesBackExactly(t *testing.T) {
	for _, name := range []string{"demo", "internet-outage", "scalability"} {
		t.Run(name, func(t *testing.T) {
			spec := sim.Demo()
			if name != "demo" {
				sc, err := scenes.Builtin(name)
				if err != nil {
					t.Fatal(err)
				}
				spec = sc.Spec
			}
			wk := walkForward(t, spec, 11, 1000, sim.HistoryWindow)
			if wk.h.Oldest() != 0 || wk.h.Len() < 5 {
				t.Fatalf("the history keeps %d copies from tick %d over %d ticks; want every tick from 0 and copies on the way",
					wk.h.Len(), wk.h.Oldest(), wk.w.Tick())
			}
			r := rand.New(rand.NewPCG(3, 5))
			for i := range 300 {
				tick := wk.ticks[r.IntN(len(wk.ticks))]
				got, err := wk.h.At(tick)
				if err != nil {
					t.Fatalf("At(%d): %v", tick, err)
				}
				if got.Tick() != tick || got.Hash() != wk.hashes[tick] {
					t.Fatalf("seek %d: At(%d) is at tick %d with hash %x; on the way forward it was %x",
						i, tick, got.Tick(), got.Hash(), wk.hashes[tick])
				}
				if i%50 == 0 {
					if d := diff(fingerprint(wk.fresh(t, tick)), fingerprint(got)); d != "" {
						t.Fatalf("At(%d) shows what the world did not: %s", tick, d)
					}
				}
			}
			// The world followed is where it was, and a world from the
			// past steps on to the same present.
			last := wk.ticks[len(wk.ticks)-1]
			if wk.w.Hash() != wk.hashes[last] {
				t.Fatal("going back changed the world followed")
			}
			past, _ := wk.h.At(wk.ticks[len(wk.ticks)/3])
			past.Step(int(last - past.Tick()))
			if past.Hash() != wk.hashes[last] {
				t.Fatalf("a world from tick %d stepped on to %d has hash %x; the world followed %x",
					wk.ticks[len(wk.ticks)/3], last, past.Hash(), wk.hashes[last])
			}
		})
	}
}

// A step back goes to the tick of the last frame sent before, and a step
// forward to the tick of the next: the frames seen on the way forward.
func TestHistoryStepsByFrame(t *testing.T) {
	wk := walkForward(t, sim.Demo(), 5, 400, sim.HistoryWindow)
	r := rand.New(rand.NewPCG(9, 9))
	last := wk.w.Tick()
	for range 100 {
		tick := 1 + r.Int64N(last)
		i, _ := slices.BinarySearch(wk.frames, tick) // first frame at or after tick
		want := int64(0)
		if i > 0 {
			want = wk.frames[i-1]
		}
		back, err := wk.h.Back(tick)
		if err != nil {
			t.Fatalf("Back(%d): %v", tick, err)
		}
		if back.Tick() != want || back.Hash() != wk.fresh(t, want).Hash() {
			t.Fatalf("Back(%d) is at tick %d, hash %x; the last frame before was sent at %d, hash %x",
				tick, back.Tick(), back.Hash(), want, wk.fresh(t, want).Hash())
		}
		j, _ := slices.BinarySearch(wk.frames, back.Tick()+1)
		if j == len(wk.frames) {
			continue
		}
		if n := back.StepToFrame(60_000); back.Tick() != wk.frames[j] {
			t.Fatalf("StepToFrame from %d stepped %d ticks to %d; the next frame was sent at %d",
				want, n, back.Tick(), wk.frames[j])
		}
	}
	if _, err := wk.h.Back(0); !errors.Is(err, sim.ErrNotKept) {
		t.Errorf("Back(0): %v, want ErrNotKept", err)
	}
}

// A history keeps its window and forgets what is older: ticks before the
// newest copy at or before the window's start are refused, and what is
// kept is still exact.
func TestHistoryForgetsBeyondItsWindow(t *testing.T) {
	const window = 5000
	wk := walkForward(t, sim.Demo(), 2, 1000, window)
	now := wk.w.Tick()
	if old := wk.h.Oldest(); old > now-window || old < now-window-wk.h.Every() {
		t.Fatalf("the oldest tick kept is %d at tick %d; want within %d ticks before %d", old, now, wk.h.Every(), now-window)
	}
	if _, err := wk.h.At(wk.h.Oldest() - 1); !errors.Is(err, sim.ErrNotKept) {
		t.Errorf("At(%d), before the oldest kept: %v, want ErrNotKept", wk.h.Oldest()-1, err)
	}
	if _, err := wk.h.At(now + 1); !errors.Is(err, sim.ErrNotKept) {
		t.Errorf("At(%d), ahead of the world: %v, want ErrNotKept", now+1, err)
	}
	for _, tick := range wk.ticks {
		if tick < now-window {
			continue
		}
		got, err := wk.h.At(tick)
		if err != nil || got.Hash() != wk.hashes[tick] {
			t.Fatalf("At(%d) after forgetting: %v, hash %x, want %x", tick, err, got.Hash(), wk.hashes[tick])
		}
	}
}
