package store_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/thingyard/thingyard/server/store"
	"github.com/thingyard/thingyard/wire"
)

func TestRemove(t *testing.T) {
	each(t, func(t *testing.T, k kind) {
		r := k.open(t, store.Limits{}, true)
		s, other := r.s, r.other(t)
		room(t, s, "room-gone")
		appendN(t, s, "room-gone", 1, 11)
		if err := s.PutSnapshot(ctx(t), "room-gone", store.Snapshot{Seq: 4, Scene: "x"}); err != nil {
			t.Fatal(err)
		}
		here, err := s.Subscribe(ctx(t), "room-gone", 10)
		if err != nil {
			t.Fatal(err)
		}
		defer here.Close()
		there, err := other.Subscribe(ctx(t), "room-gone", 10)
		if err != nil {
			t.Fatal(err)
		}
		defer there.Close()
		if _, err := other.Append(ctx(t), "room-gone", env("room-gone", 11)); err != nil {
			t.Fatal(err)
		}

		if err := s.Remove(ctx(t), "room-gone"); err != nil {
			t.Fatalf("Remove: %v", err)
		}
		for name, sub := range map[string]*store.Subscription{"here": here, "there": there} {
			for {
				e, ok := recv(t, sub)
				if !ok {
					break
				}
				if e.Seq != 11 {
					t.Errorf("%s: got seq %d", name, e.Seq)
				}
			}
			if err := sub.Err(); !errors.Is(err, store.ErrNoRoom) {
				t.Errorf("%s: Err of a removed room's subscription = %v", name, err)
			}
		}
		for _, st := range []store.Store{s, other} {
			if _, err := st.Find(ctx(t), "room-gone"); !errors.Is(err, store.ErrNoRoom) {
				t.Errorf("Find after Remove: %v", err)
			}
			if _, err := st.Append(ctx(t), "room-gone", env("room-gone", 12)); !errors.Is(err, store.ErrNoRoom) {
				t.Errorf("Append after Remove: %v", err)
			}
			if _, err := st.Read(ctx(t), "room-gone", 4, 0); !errors.Is(err, store.ErrNoRoom) {
				t.Errorf("Read after Remove: %v", err)
			}
			if _, err := st.Snapshot(ctx(t), "room-gone"); !errors.Is(err, store.ErrNoRoom) {
				t.Errorf("Snapshot after Remove: %v", err)
			}
		}
		if err := other.Remove(ctx(t), "room-gone"); !errors.Is(err, store.ErrNoRoom) {
			t.Errorf("Remove again: %v", err)
		}
		if list, err := s.List(ctx(t)); err != nil || len(list) != 0 {
			t.Errorf("List after Remove = %+v, %v", list, err)
		}

		// The id made again is a new, empty room.
		room(t, other, "room-gone")
		if _, err := s.Snapshot(ctx(t), "room-gone"); !errors.Is(err, store.ErrNoSnapshot) {
			t.Errorf("Snapshot of the new room: %v", err)
		}
		if got, err := s.Append(ctx(t), "room-gone", env("room-gone", 1)); err != nil || got.Seq != 1 {
			t.Fatalf("Append to the new room = seq %d, %v", got.Seq, err)
		}
		checkLog(t, readAll(t, other, "room-gone", 0, 0), 1, func(seq uint64) int { return int(seq) })
	})
}

func TestClose(t *testing.T) {
	each(t, func(t *testing.T, k kind) {
		s := k.open(t, store.Limits{}, false).s
		room(t, s, "room-closing")
		appendN(t, s, "room-closing", 1, 3)
		sub, err := s.Subscribe(ctx(t), "room-closing", 2)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if _, ok := recv(t, sub); ok {
			t.Error("a subscription delivered after Close")
		}
		if err := sub.Err(); !errors.Is(err, store.ErrClosed) {
			t.Errorf("Err of a subscription after Close = %v", err)
		}
		if _, err := s.Append(ctx(t), "room-closing", env("room-closing", 3)); !errors.Is(err, store.ErrClosed) {
			t.Errorf("Append after Close: %v", err)
		}
		if err := s.Create(ctx(t), store.Room{ID: "room-later"}); !errors.Is(err, store.ErrClosed) {
			t.Errorf("Create after Close: %v", err)
		}
	})
}

func mustJSON(t *testing.T, e wire.Envelope) []byte {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
