package relay_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/server/gate"
	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/server/replica"
	"github.com/thingyard/thingyard/server/store"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// The actions a sender of the soak sends, in turn.
var benchActions = []string{
	`{"kind":"power","device":"fan","on":false}`,
	`{"kind":"power","device":"fan","on":true}`,
	`{"kind":"cut","link":"internet"}`,
	`{"kind":"restore","link":"internet"}`,
	`{"kind":"set","device":"meter","key":"label","text":"Hall meter"}`,
}

// Figures of BenchmarkLiveHeapPerAction.
const (
	benchHeapRooms   = 5
	benchHeapActions = 100_000 // over all rooms
	// benchHeapPace is the room clock between two actions: 5 rooms at 30
	// actions a second each, the relay's rate limit, as the soak's senders.
	benchHeapPace = time.Second / (30 * benchHeapRooms)
	// benchHeapRead is how often each room's replica is read, as a
	// browser's hash report (every sim.HashEvery ticks) makes it.
	benchHeapRead = sim.HashEvery * wire.MsPerTick * time.Millisecond
)

// BenchmarkLiveHeapPerAction is what a live room costs the server in
// memory for every action it logs: 100,000 actions published into 5 rooms
// of the open-api scene through the relay (in-memory store, gate) with the
// server's replica following each room and read every 10 s of the room's
// clock, as browsers' hash reports make it. B/action is the live heap
// (after a garbage collection) that the rooms hold at the end, divided by
// the actions logged; B/later-action is how much it grew over the second
// 50,000: what a room's age costs, without what a room costs however old.
func BenchmarkLiveHeapPerAction(b *testing.B) {
	var perAction, perLater float64
	for b.Loop() {
		perAction, perLater = liveHeapPerAction(b)
	}
	b.ReportMetric(perAction, "B/action")
	b.ReportMetric(perLater, "B/later-action")
}

func liveHeapPerAction(b *testing.B) (perAction, perLater float64) {
	b.Helper()
	before := liveHeap()
	clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} // moves only when the benchmark moves it
	st := store.NewMemory(store.Limits{})
	defer st.Close()
	reps := replica.New(replica.Options{Now: clk.Now}, nil)
	rel := relay.New(relay.Options{Store: st, Gate: gate.New(gate.Limits{}, nil), Observer: reps,
		Scenes: scenes.Names(), Now: clk.Now}, nil)
	ids := make([]string, benchHeapRooms)
	for i := range ids {
		id, err := rel.Create("open-api")
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = id
	}
	read := func() {
		for _, id := range ids {
			if err := reps.Get(id).Read(func(*sim.World, uint64) {}); err != nil {
				b.Fatal(err)
			}
		}
	}
	var since time.Duration
	var half uint64
	for i := range benchHeapActions {
		if i == benchHeapActions/2 {
			settle(b, rel, st, ids)
			half = liveHeap()
		}
		id := ids[i%benchHeapRooms]
		body := benchActions[(i/benchHeapRooms)%len(benchActions)]
		if _, err := rel.Publish(id, "api", wire.KindAction, []byte(body)); err != nil {
			b.Fatalf("action %d into room %s: %v", i, id, err)
		}
		clk.add(benchHeapPace)
		if since += benchHeapPace; since >= benchHeapRead {
			since = 0
			read()
		}
	}
	read()
	settle(b, rel, st, ids)
	after := liveHeap()
	runtime.KeepAlive(rel)
	runtime.KeepAlive(reps)
	runtime.KeepAlive(st)
	return float64(int64(after)-int64(before)) / benchHeapActions,
		float64(int64(after)-int64(half)) / (benchHeapActions - benchHeapActions/2)
}

// settle waits for the rooms' snapshots, which are stored in the
// background, so what is measured is what stays.
func settle(b *testing.B, rel *relay.Relay, st store.Store, ids []string) {
	b.Helper()
	for _, id := range ids {
		info, _ := rel.Info(id)
		last := info.Seq - info.Seq%relay.DefaultFoldEvery
		if last == 0 {
			continue
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			s, err := st.Snapshot(context.Background(), id)
			if err == nil && s.Seq == last {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("room %s: the snapshot of seq %d was not stored (have %d, %v)", id, last, s.Seq, err)
			}
			runtime.Gosched()
		}
	}
}

// liveHeap is the heap in use after a full garbage collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
