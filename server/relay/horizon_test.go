package relay_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/thingyard/thingyard/server/gate"
	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/server/replica"
	"github.com/thingyard/thingyard/server/store"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// An append can take longer than the lead an action is given. The room's
// replica, asked about the room meanwhile, steps no further than the
// action's tick, so the action is not late when it comes and the replica
// does not replay the room for it.
func TestAReplicaWaitsForAnActionStillBeingAppended(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	st := &stallingStore{Store: store.NewMemory(store.Limits{})}
	var r *relay.Relay
	reps := replica.New(replica.Options{Now: clock.Now, Horizon: func(id string) (int64, bool) { return r.Horizon(id) }}, nil)
	r = relay.New(relay.Options{Store: st, Gate: gate.New(gate.Limits{}, nil), Observer: reps, Now: clock.Now}, nil)
	id, err := r.Create("open-api")
	if err != nil {
		t.Fatal(err)
	}
	tick := func() (tick int64, off bool) {
		t.Helper()
		err := reps.Get(id).Read(func(w *sim.World, _ uint64) {
			tick = w.Tick()
			d, _ := w.Device("meter")
			off = !d.Powered
		})
		if err != nil {
			t.Fatal(err)
		}
		return tick, off
	}
	tick() // the replica is built

	st.hold()
	appended := make(chan error, 1)
	go func() {
		_, err := r.Publish(id, "api", wire.KindAction, json.RawMessage(`{"kind":"power","device":"meter","on":false}`))
		appended <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	at, ok := r.Horizon(id)
	for !ok {
		if time.Now().After(deadline) {
			t.Fatal("the relay never reported the action it was appending")
		}
		time.Sleep(time.Millisecond)
		at, ok = r.Horizon(id)
	}
	clock.add(time.Second) // 100 ticks: far past the action's lead
	if got, _ := tick(); got > at {
		t.Errorf("the replica stepped to tick %d, past the tick %d of an action still being appended", got, at)
	}

	st.release()
	if err := <-appended; err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Horizon(id); ok {
		t.Error("the relay still reports an action it appended")
	}
	got, off := tick()
	if want := wire.Tick(time.Second.Milliseconds()); got < want || !off {
		t.Errorf("after the append the replica is at tick %d with the meter off %v; want tick %d or later, off", got, off, want)
	}
	if n := reps.Stats().Rebuilds; n != 0 {
		t.Errorf("the replica replayed the room %d times for an action that was never late", n)
	}
}
