package relay_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/thingyard/thingyard/internal/testkit"
	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/server/gate"
	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/server/replica"
	"github.com/thingyard/thingyard/server/store"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// worldRoom is a relay whose rooms fold their logs into world states
// early (lowered limits), with the server's replica as its folder and
// observer, on a clock the test moves.
func worldRoom(t *testing.T, st store.Store, clk *fakeClock) (*relay.Relay, *replica.Set, string, *httptest.Server) {
	t.Helper()
	reps := replica.New(replica.Options{Now: clk.Now}, nil)
	opt := relay.Options{Store: st, Gate: gate.New(gate.Limits{}, nil), Observer: reps, Folder: reps, Now: clk.Now,
		Scenes: scenes.Names(), FoldEvery: 40, MaxLogBytes: 16 << 10, World: relay.WorldLimits{Actions: 100, Bytes: 8 << 10}}
	r, srv := newServer(t, opt)
	id, err := r.Create("overview")
	if err != nil {
		t.Fatal(err)
	}
	return r, reps, id, srv
}

// waitFolded waits until room id has no world state being made.
func waitFolded(t *testing.T, r *relay.Relay, id string) relay.Room {
	t.Helper()
	var info relay.Room
	testkit.Eventually(t, 20*time.Second, "room "+id+"'s world state made", func() bool {
		var ok bool
		info, ok = r.Info(id)
		return ok && !info.Folding
	})
	return info
}

// overviewActions are what people do to the overview scene, in turn.
var overviewActions = []string{
	`{"kind":"power","device":"oven-temp","on":false}`,
	`{"kind":"power","device":"oven-temp","on":true}`,
	`{"kind":"cut","link":"internet"}`,
	`{"kind":"restore","link":"internet"}`,
	`{"kind":"set","device":"living-temp","key":"label","text":"Hall temperature, sensor number %06d of the building"}`,
}

// drive publishes n actions into room id, the room's clock moving a
// second (100 ticks) after each, waiting for every world state being made;
// it returns the actions as logged, and their bytes. No action may be
// refused.
func drive(t *testing.T, r *relay.Relay, clk *fakeClock, id string, n int) ([]sim.Action, int) {
	t.Helper()
	var logged []sim.Action
	var bytes int
	for i := range n {
		body := overviewActions[i%len(overviewActions)]
		if i%len(overviewActions) == 4 {
			body = fmt.Sprintf(body, i)
		}
		e, err := r.Publish(id, "api", wire.KindAction, []byte(body))
		if errors.Is(err, relay.ErrLogFull) {
			t.Fatalf("action %d, after %d bytes of actions: %v", i, bytes, err)
		}
		if err != nil {
			t.Fatalf("action %d: %v", i, err)
		}
		bytes += len(e.Body)
		var a sim.Action
		if err := json.Unmarshal(e.Body, &a); err != nil {
			t.Fatal(err)
		}
		logged = append(logged, a)
		clk.add(time.Second)
		waitFolded(t, r, id)
	}
	return logged, bytes
}

// joinWorld joins room id over a WebSocket and builds the member's world
// from its welcome as the page does: from the world state it carries,
// then the actions after it and the log's tail. It returns the timeline
// and the welcome.
func joinWorld(t *testing.T, srv *httptest.Server, id string) (*sim.Timeline, wire.Welcome) {
	t.Helper()
	c := dial(t, srv, "room="+id)
	w := welcome(t, c)
	if w.World == nil || w.WorldSeq == 0 {
		t.Fatalf("the welcome at seq %d carries no world state", w.Seq)
	}
	world, err := wire.UnpackWorld(w.World)
	if err != nil {
		t.Fatal(err)
	}
	var after []sim.Action
	if w.Actions != nil {
		if err := json.Unmarshal(w.Actions, &after); err != nil {
			t.Fatal(err)
		}
	}
	if len(after) > 200+40 {
		t.Errorf("the welcome carries %d actions after its world state: more than a state's and a fold's worth", len(after))
	}
	joined := sim.NewTimelineAt(world)
	joined.AddAll(after)
	for _, e := range w.Log {
		var a sim.Action
		if (e.Kind == wire.KindAction || e.Kind == wire.KindReading) && json.Unmarshal(e.Body, &a) == nil {
			joined.Add(a)
		}
	}
	return joined, w
}

// sameWorlds checks that a joiner's world, the replica's and one replayed
// from tick 0 with every action logged have the same hash at the
// replica's tick.
func sameWorlds(t *testing.T, reps *replica.Set, id string, joined *sim.Timeline, logged []sim.Action) {
	t.Helper()
	sc, err := scenes.Builtin("overview")
	if err != nil {
		t.Fatal(err)
	}
	var tick int64
	var replicaHash uint64
	if err := reps.Get(id).Read(func(w *sim.World, _ uint64) { tick, replicaHash = w.Tick(), w.Hash() }); err != nil {
		t.Fatal(err)
	}
	full, err := sim.NewTimeline(sc.Spec, sc.Seed)
	if err != nil {
		t.Fatal(err)
	}
	full.AddAll(logged)
	full.AdvanceTo(tick)
	joined.AdvanceTo(tick)
	if got, want := joined.World().Hash(), full.World().Hash(); got != want || got != replicaHash {
		t.Fatalf("at tick %d the joiner's world has hash %x, the replica's %x, one replayed from tick 0 %x", tick, got, replicaHash, want)
	}
}

// A room driven far past its log's limit (16 KiB of actions here, 16 MiB
// by default) keeps taking actions: its log is folded into world states as
// it goes. A member joining then gets the latest state and the actions
// after it, not the room's history, and its world, stepped to the
// replica's tick, has the replica's hash and that of a world that replayed
// every action from tick 0.
func TestALongRoomFoldsIntoItsWorld(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1e9, 0)}
	st := store.NewMemory(store.Limits{})
	t.Cleanup(func() { st.Close() })
	r, reps, id, srv := worldRoom(t, st, clk)
	logged, bytes := drive(t, r, clk, id, 1500)
	if info := waitFolded(t, r, id); info.WorldSeq == 0 {
		t.Fatal("the room's log was never folded into a world state")
	}
	if bytes < 4*(16<<10) {
		t.Fatalf("only %d bytes of actions: this test proves nothing", bytes)
	}
	joined, w := joinWorld(t, srv, id)
	start := joined.Horizon()
	sameWorlds(t, reps, id, joined, logged)
	t.Logf("%d actions, %d bytes; the joiner started at tick %d (seq %d) with %d packed bytes of state", len(logged), bytes, start, w.WorldSeq, len(w.World))
}

// A server restarted on its JetStream store opens a room again from the
// room's world state, whose log before it the store dropped: a member
// joining the restarted server gets the state, and its world, the
// restarted replica's and one replayed from tick 0 agree.
func TestARestartOpensTheRoomFromItsWorld(t *testing.T) {
	dir := t.TempDir()
	openStore := func() *store.JetStream {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		st, err := store.NewJetStream(ctx, store.JetStreamOptions{Dir: dir})
		if err != nil {
			t.Fatalf("NewJetStream: %v", err)
		}
		return st
	}
	clk := &fakeClock{now: time.Unix(1e9, 0)}
	st := openStore()
	r, _, id, _ := worldRoom(t, st, clk)
	logged, _ := drive(t, r, clk, id, 600)
	// One more envelope takes the last state made into a snapshot; wait
	// for the store to keep it.
	more, _ := drive(t, r, clk, id, 1)
	logged = append(logged, more...)
	info := waitFolded(t, r, id)
	if info.WorldSeq == 0 {
		t.Fatal("the room's log was never folded into a world state")
	}
	testkit.Eventually(t, 20*time.Second, "the store keeping the world state of the room's last snapshot", func() bool {
		snap, err := st.Snapshot(t.Context(), id)
		var kept struct {
			WorldSeq uint64 `json:"world_seq"`
		}
		return err == nil && json.Unmarshal([]byte(snap.Scene), &kept) == nil && kept.WorldSeq == info.WorldSeq
	})
	head, err := st.Head(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if head.First <= 1 {
		t.Fatalf("the store kept the room's whole log (from seq %d): nothing was dropped", head.First)
	}
	st.Close()

	st2 := openStore()
	t.Cleanup(func() { st2.Close() })
	reps2 := replica.New(replica.Options{Now: clk.Now}, nil)
	_, srv2 := newServer(t, relay.Options{Store: st2, Gate: gate.New(gate.Limits{}, nil), Observer: reps2, Folder: reps2, Now: clk.Now,
		Scenes: scenes.Names(), FoldEvery: 40, MaxLogBytes: 16 << 10, World: relay.WorldLimits{Actions: 100, Bytes: 8 << 10}})
	joined, w := joinWorld(t, srv2, id)
	if w.WorldSeq != info.WorldSeq {
		t.Errorf("the restarted server's welcome has the world state of seq %d, want %d", w.WorldSeq, info.WorldSeq)
	}
	sameWorlds(t, reps2, id, joined, logged)
}
