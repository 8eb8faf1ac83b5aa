package relay_test

import (
	"context"
	"encoding/json"
	"fmt"
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

// BenchmarkJoin is what a join costs at a room's log of 100 and of 100,000
// action envelopes (the overview scene, an action every 100 ms of the
// room's clock, logs folded into world states as the server folds them):
// ns/op and B/op are the server's work for one join (its welcome made and
// read back by an in-process member, who leaves again), welcome-bytes what
// the joiner is sent, and rebuild-ms what the joiner then does to have the
// room's world at the room's now: unpack the state, apply the actions
// after it, step. A join at 100,000 envelopes costs about what one at 100
// does: the actions since the last state, never the room's history.
func BenchmarkJoin(b *testing.B) {
	for _, n := range []int{100, 100_000} {
		b.Run(fmt.Sprintf("envelopes=%d", n), func(b *testing.B) {
			clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			st := store.NewMemory(store.Limits{})
			defer st.Close()
			reps := replica.New(replica.Options{Now: clk.Now}, nil)
			rel := relay.New(relay.Options{Store: st, Gate: gate.New(gate.Limits{}, nil), Observer: reps, Folder: reps,
				Scenes: scenes.Names(), Now: clk.Now}, nil)
			id, err := rel.Create("overview")
			if err != nil {
				b.Fatal(err)
			}
			for i := range n {
				body := benchJoinActions[i%len(benchJoinActions)]
				if _, err := rel.Publish(id, "api", wire.KindAction, []byte(body)); err != nil {
					b.Fatalf("action %d: %v", i, err)
				}
				clk.add(100 * time.Millisecond)
				for info, _ := rel.Info(id); info.Folding; info, _ = rel.Info(id) {
					runtime.Gosched() // the room waits for its folds, as a test does
				}
			}
			join := func() wire.Envelope {
				l, err := rel.JoinLocal(id, "overview")
				if err != nil {
					b.Fatal(err)
				}
				e, err := l.Next(b.Context())
				if err != nil || e.Kind != wire.KindWelcome {
					b.Fatalf("first envelope %q: %v", e.Kind, err)
				}
				l.Leave()
				return e
			}
			e := join()
			began := time.Now()
			tick := rebuild(b, e)
			rebuildMs := float64(time.Since(began).Microseconds()) / 1000
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				e = join()
			}
			b.ReportMetric(float64(len(e.Body)), "welcome-bytes")
			b.ReportMetric(rebuildMs, "rebuild-ms")
			b.ReportMetric(float64(tick), "room-ticks")
		})
	}
}

// The actions of BenchmarkJoin, in turn, on the overview scene.
var benchJoinActions = []string{
	`{"kind":"power","device":"lamp","on":false}`,
	`{"kind":"power","device":"lamp","on":true}`,
	`{"kind":"cut","link":"uplink"}`,
	`{"kind":"restore","link":"uplink"}`,
	`{"kind":"set","device":"door","key":"label","text":"Front door"}`,
}

// rebuild does what a joining page does with a welcome: its world from
// the state (or the scene) and the actions after it, stepped to the
// room's now; it returns that tick.
func rebuild(b *testing.B, e wire.Envelope) int64 {
	b.Helper()
	var w wire.Welcome
	if err := json.Unmarshal(e.Body, &w); err != nil {
		b.Fatal(err)
	}
	var tl *sim.Timeline
	if w.World != nil {
		world, err := wire.UnpackWorld(w.World)
		if err != nil {
			b.Fatal(err)
		}
		tl = sim.NewTimelineAt(world)
	} else {
		sc, err := scenes.Builtin(w.Scene)
		if err != nil {
			b.Fatal(err)
		}
		if tl, err = sim.NewTimeline(sc.Spec, sc.Seed); err != nil {
			b.Fatal(err)
		}
	}
	var acts []sim.Action
	if w.Actions != nil {
		if err := json.Unmarshal(w.Actions, &acts); err != nil {
			b.Fatal(err)
		}
	}
	for _, le := range w.Log {
		var a sim.Action
		if (le.Kind == wire.KindAction || le.Kind == wire.KindReading) && json.Unmarshal(le.Body, &a) == nil {
			acts = append(acts, a)
		}
	}
	tl.AddAll(acts)
	tick := w.Now / wire.MsPerTick
	tl.AdvanceTo(tick)
	return tick
}
