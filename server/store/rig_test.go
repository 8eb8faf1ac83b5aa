package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/thingyard/thingyard/server/store"
	"github.com/thingyard/thingyard/wire"
)

// patience is how long a test waits for something that should come at
// once before it fails (20 s: a loaded 2-core machine under -race).
const patience = 20 * time.Second

// rig is one implementation under test, on fresh storage.
type rig struct {
	s store.Store
	// other returns a second instance on the same storage; for memory it
	// is the same store, there being no other.
	other func(t *testing.T) store.Store
	// restart closes s and opens the storage again; nil when nothing
	// survives a restart.
	restart func(t *testing.T) store.Store
}

// kind makes a rig on fresh storage; shared asks for storage a second
// instance can reach.
type kind struct {
	name string
	open func(t *testing.T, lim store.Limits, shared bool) *rig
}

var kinds = []kind{
	{"memory", func(t *testing.T, lim store.Limits, _ bool) *rig {
		s := store.NewMemory(lim)
		t.Cleanup(func() { s.Close() })
		return &rig{s: s, other: func(*testing.T) store.Store { return s }}
	}},
	{"jetstream", openJetStream},
}

// openJetStream embeds a nats-server in a temporary directory; when
// shared, it listens on a loopback port and other connects to it there.
func openJetStream(t *testing.T, lim store.Limits, shared bool) *rig {
	t.Helper()
	dir := t.TempDir()
	opt := store.JetStreamOptions{Dir: dir, Limits: lim}
	if shared {
		opt.Listen = "127.0.0.1:0"
	}
	s := newJetStream(t, opt)
	r := &rig{s: s}
	r.other = func(t *testing.T) store.Store {
		t.Helper()
		if !shared {
			t.Fatal("a second instance needs a shared rig")
		}
		return newJetStream(t, store.JetStreamOptions{URLs: []string{s.ClientURL()}, Limits: lim})
	}
	r.restart = func(t *testing.T) store.Store {
		t.Helper()
		if err := s.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		s = newJetStream(t, store.JetStreamOptions{Dir: dir, Limits: lim})
		r.s = s
		return s
	}
	return r
}

func newJetStream(t *testing.T, opt store.JetStreamOptions) *store.JetStream {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), patience)
	defer cancel()
	s, err := store.NewJetStream(ctx, opt)
	if err != nil {
		t.Fatalf("NewJetStream: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// each runs test against every implementation.
func each(t *testing.T, test func(t *testing.T, k kind)) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) { test(t, k) })
	}
}

// ctx is a test's context with a deadline.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), patience)
	t.Cleanup(cancel)
	return c
}

// room makes a room named id.
func room(t *testing.T, s store.Store, id string) {
	t.Helper()
	if err := s.Create(ctx(t), store.Room{ID: id, Scene: "overview", Created: time.Unix(1700000000, 0).UTC()}); err != nil {
		t.Fatalf("Create %s: %v", id, err)
	}
}

// env is an action envelope whose body says n.
func env(room string, n int) wire.Envelope {
	return wire.Envelope{Room: room, From: "m1", Kind: wire.KindAction, At: int64(10 * n), Body: json.RawMessage(fmt.Sprintf(`{"n":%d}`, n))}
}

// bodyN reads the n of an env body.
func bodyN(t *testing.T, e wire.Envelope) int {
	t.Helper()
	var b struct{ N int }
	if err := json.Unmarshal(e.Body, &b); err != nil {
		t.Fatalf("body of seq %d: %v", e.Seq, err)
	}
	return b.N
}

// appendN appends envelopes n = from … to-1 to room id and checks their
// seqs follow seq.
func appendN(t *testing.T, s store.Store, id string, from, to int) {
	t.Helper()
	for n := from; n < to; n++ {
		if _, err := s.Append(ctx(t), id, env(id, n)); err != nil {
			t.Fatalf("Append %d to %s: %v", n, id, err)
		}
	}
}

// readAll pages through room id after since, page envelopes at a time.
func readAll(t *testing.T, s store.Store, id string, since uint64, page int) []wire.Envelope {
	t.Helper()
	var all []wire.Envelope
	for {
		got, err := s.Read(ctx(t), id, since, page)
		if err != nil {
			t.Fatalf("Read %s after %d: %v", id, since, err)
		}
		if len(got) == 0 {
			return all
		}
		if page > 0 && len(got) > page {
			t.Fatalf("Read %s after %d, max %d: %d envelopes", id, since, page, len(got))
		}
		all = append(all, got...)
		since = got[len(got)-1].Seq
	}
}

// checkLog checks that log holds seqs first, first+1, … with bodies n
// given by want(seq).
func checkLog(t *testing.T, log []wire.Envelope, first uint64, want func(seq uint64) int) {
	t.Helper()
	for i, e := range log {
		if e.Seq != first+uint64(i) {
			t.Fatalf("log[%d] has seq %d, want %d", i, e.Seq, first+uint64(i))
		}
		if got := bodyN(t, e); got != want(e.Seq) {
			t.Fatalf("seq %d has n %d, want %d", e.Seq, got, want(e.Seq))
		}
	}
}

// recv takes the next envelope of a subscription; ok is false when its
// channel was closed.
func recv(t *testing.T, s *store.Subscription) (wire.Envelope, bool) {
	t.Helper()
	select {
	case e, ok := <-s.C:
		return e, ok
	case <-time.After(patience):
		t.Fatalf("no envelope after %s", patience)
		return wire.Envelope{}, false
	}
}
