package replica_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/server/replica"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// crowd is the action that grows a room of the open-api scene by 10,000
// sensors.
var crowd = sim.Action{At: 10, Kind: sim.ActAdd, Link: "net", DeviceKind: "sensor", Count: sim.MaxAddCount}

// A large room's replica keeps the copies it replays late actions from as
// encoded states, not as worlds: with a late window's worth of copies it
// holds less than twice its world's memory (copies as worlds made it more
// than three times), and a late action still replays in its place.
func TestALargeRoomsReplicaKeepsSmallCopies(t *testing.T) {
	const tick = 2*replica.DefaultLate + 500
	sc, err := scenes.Builtin("open-api")
	if err != nil {
		t.Fatal(err)
	}
	before := heapInUse()
	w, err := sim.New(sc.Spec, sc.Seed)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Apply(crowd); err != nil {
		t.Fatal(err)
	}
	w.Step(int(tick))
	world := int64(heapInUse()) - int64(before)
	runtime.KeepAlive(w)
	w = nil

	set, clk, _ := newSet(t)
	start := clk.Now()
	before = heapInUse()
	set.Created("room-one", "open-api", start)
	set.Envelope("room-one", envelope(t, 1, wire.KindAction, crowd))
	at := func(tick int64) { clk.Set(start.Add(time.Duration(tick) * wire.MsPerTick * time.Millisecond)) }
	at(tick)
	r := set.Get("room-one")
	if err := r.Read(func(*sim.World, uint64) {}); err != nil {
		t.Fatal(err)
	}
	held := int64(heapInUse()) - int64(before)
	runtime.KeepAlive(set)
	t.Logf("a world of %d devices: %.1f MB; its replica with its copies: %.1f MB (%.2f×)", sim.MaxAddCount, float64(world)/1e6, float64(held)/1e6, float64(held)/float64(world))
	if held > 2*world {
		t.Errorf("the replica of a room of %d devices holds %.1f MB, %.2f× its world's %.1f MB (at most 2×)", sim.MaxAddCount, float64(held)/1e6, float64(held)/float64(world), float64(world)/1e6)
	}

	// A late action, back across a copy, replays as a browser has it.
	late := sim.Action{At: tick - replica.DefaultLate/2 - 100, Kind: sim.ActCut, Link: sim.Internet}
	set.Envelope("room-one", envelope(t, 2, wire.KindAction, late))
	var got uint64
	if err := r.Read(func(w *sim.World, _ uint64) { got = w.Hash() }); err != nil {
		t.Fatal(err)
	}
	if want := reference(t, "open-api", tick, crowd, late).Hash(); got != want {
		t.Errorf("after a late action the replica's world is %x, a browser's %x", got, want)
	}
	if set.Stats().Rebuilds != 1 {
		t.Errorf("%d rebuilds for one late action, want 1", set.Stats().Rebuilds)
	}
}
