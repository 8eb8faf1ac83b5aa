package relay_test

import (
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/thingyard/thingyard/internal/testkit"
	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/server/gate"
	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/server/replica"
	"github.com/thingyard/thingyard/server/store"
)

// countedFolder is the replica's Fold, counting the world states it makes.
type countedFolder struct {
	*replica.Set
	folds atomic.Int64
}

func (f *countedFolder) Fold(scene string, world []byte, acts []json.RawMessage, tick int64) ([]byte, error) {
	f.folds.Add(1)
	return f.Set.Fold(scene, world, acts, tick)
}

// A room that goes quiet after actions that reach no fold limit (fewer
// than a fold's envelopes, a state's actions or bytes) has them folded
// into its world state by the next sweep once it was quiet for Quiet
// ticks, and the store drops its log: before, it kept them until the
// room's next envelope, which a quiet room never sends. A sweep before
// Quiet, and every sweep after the state holds every action, steps no
// world.
func TestAQuietRoomFoldsOnTheSweep(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1e9, 0)}
	st := store.NewMemory(store.Limits{})
	t.Cleanup(func() { st.Close() })
	reps := replica.New(replica.Options{Now: clk.Now}, nil)
	folder := &countedFolder{Set: reps}
	r, _ := newServer(t, relay.Options{Store: st, Gate: gate.New(gate.Limits{}, nil), Observer: reps, Folder: folder, Now: clk.Now,
		Scenes: scenes.Names(), FoldEvery: 40, World: relay.WorldLimits{Actions: 100, Quiet: 3_000}})
	id, err := r.Create("overview")
	if err != nil {
		t.Fatal(err)
	}
	clk.add(90 * time.Second) // past the state's Behind, so a state can be taken
	logged, _ := drive(t, r, clk, id, 30)
	last := len(logged)
	head, err := st.Head(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}

	clk.add(20 * time.Second) // 2,000 ticks: not quiet yet
	r.Sweep()
	if n := folder.folds.Load(); n != 0 {
		t.Fatalf("a sweep before the room was quiet made %d world states", n)
	}
	clk.add(20 * time.Second)
	r.Sweep()
	info := waitFolded(t, r, id)
	if info.WorldSeq != head.Seq {
		t.Fatalf("after the room was quiet, its world state holds seq %d, want its last, %d (%d actions)", info.WorldSeq, head.Seq, last)
	}
	testkit.Eventually(t, 20*time.Second, "the store keeping the world state and dropping the room's log before it", func() bool {
		h, err := st.Head(t.Context(), id)
		snap, serr := st.Snapshot(t.Context(), id)
		return err == nil && h.First >= head.Seq && serr == nil && snap.World == head.Seq
	})
	if n := folder.folds.Load(); n != 1 {
		t.Fatalf("%d world states made, want 1", n)
	}
	clk.add(10 * time.Minute)
	r.Sweep()
	if n := folder.folds.Load(); n != 1 {
		t.Fatalf("a sweep of a room whose state holds every action made a world state again (%d in all)", n)
	}
}
