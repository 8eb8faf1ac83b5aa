package relay_test

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/server/store"
	"github.com/thingyard/thingyard/wire"
)

// A join costs the server the bytes of what is new to the member, not of
// the room's age: the welcome carries the room's snapshot (every action
// since the room began) as the snapshot's own bytes, shared by every
// joiner, instead of a copy of them per join. A room a class has used for
// hours is joined every few seconds; a copy each time is garbage that
// grows with the room's age, and what a member's queue holds until the
// welcome is written. The welcome a browser gets over its socket is the
// same JSON as before, actions and all.
func TestJoinSharesTheSnapshot(t *testing.T) {
	const actions = 10 * relay.DefaultFoldEvery
	st := store.NewMemory(store.Limits{})
	t.Cleanup(func() { st.Close() })
	r, srv := newServer(t, relay.Options{Store: st})
	id, err := r.Create("open-api")
	if err != nil {
		t.Fatal(err)
	}
	for i := range actions {
		body := fmt.Sprintf(`{"kind":"set","device":"meter","key":"label","text":"meter of the hall, number %06d"}`, i)
		if _, err := r.Publish(id, "api", wire.KindAction, []byte(body)); err != nil {
			t.Fatalf("action %d: %v", i, err)
		}
	}

	// Over a socket: the welcome holds every action, in order.
	c := dial(t, srv, "room="+id)
	w := welcome(t, c)
	var got []struct{ Text string }
	if err := json.Unmarshal(w.Actions, &got); err != nil {
		t.Fatalf("the welcome's actions: %v", err)
	}
	if w.FoldedSeq != actions || len(got) != actions || got[actions-1].Text != fmt.Sprintf("meter of the hall, number %06d", actions-1) {
		t.Fatalf("the welcome folds to seq %d and carries %d actions (the last %+v), want %d", w.FoldedSeq, len(got), got[len(got)-1], actions)
	}
	snapBytes := len(w.Actions)

	// In process: what a join allocates, once the room's snapshot is
	// stored (in the background, which allocates too).
	deadline := time.Now().Add(20 * time.Second)
	for {
		s, err := st.Snapshot(context.Background(), id)
		if err == nil && s.Seq == actions {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the snapshot of seq %d was not stored (have %d, %v)", actions, s.Seq, err)
		}
		runtime.Gosched()
	}
	const joins = 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	locals := make([]*relay.Local, joins)
	for i := range locals {
		if locals[i], err = r.JoinLocal(id, "open-api"); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	perJoin := (after.TotalAlloc - before.TotalAlloc) / joins
	for _, l := range locals {
		e, err := l.Next(t.Context())
		if err != nil || e.Kind != wire.KindWelcome {
			t.Fatalf("a local member's first envelope: %v %+v", err, e.Kind)
		}
		var lw wire.Welcome
		if err := json.Unmarshal(e.Body, &lw); err != nil || len(lw.Actions) != snapBytes {
			t.Fatalf("a local member's welcome carries %d bytes of actions (%v), want %d", len(lw.Actions), err, snapBytes)
		}
		l.Leave()
	}
	if perJoin > uint64(snapBytes)/10 {
		t.Fatalf("a join allocated %d bytes; the room's snapshot is %d: a join copies it", perJoin, snapBytes)
	}
	t.Logf("a join allocated %d bytes; the room's snapshot is %d", perJoin, snapBytes)
}
