package relay_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/thingyard/thingyard/internal/testkit"
	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/server/store"
	"github.com/thingyard/thingyard/wire"
)

// heldStore is a store whose subscriptions start only once open is
// closed: a server whose copy of a room falls behind the room's log, as
// one does while its NATS node is replaced.
type heldStore struct {
	store.Store
	open chan struct{}
}

func (h heldStore) Subscribe(ctx context.Context, id string, since uint64) (*store.Subscription, error) {
	select {
	case <-h.open:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return h.Store.Subscribe(ctx, id, since)
}

// A member that had the room's envelopes up to seq N on one server and
// joins another server, whose copy of the room is still behind N, with
// since=N is not sent envelopes 1 to N again when that server catches up:
// a page would apply its actions twice.
func TestJoiningAServerBehindSendsNothingTwice(t *testing.T) {
	shared := store.NewMemory(store.Limits{})
	t.Cleanup(func() { shared.Close() })
	_, srvAhead := newServer(t, relay.Options{Store: shared})
	held := heldStore{Store: shared, open: make(chan struct{})}
	behind := relay.New(relay.Options{Store: held}, nil)
	mux := http.NewServeMux()
	mux.Handle("GET /ws", behind)
	srvBehind := httptest.NewServer(mux)
	t.Cleanup(srvBehind.Close)

	if err := shared.Create(context.Background(), store.Room{ID: "behindroom", Scene: "protocols", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	// The server behind opens the room, empty so far, and stays there.
	_, _, sub, err := behind.Subscribe("behindroom", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	a := dial(t, srvAhead, "room=behindroom")
	welcome(t, a)
	var last uint64
	for i := range 3 {
		a.send("action", fmt.Sprintf(`{"kind":"move","device":"plc","x":%d}`, i))
		last = a.nextKind(wire.KindAction).Seq
	}

	b := dial(t, srvBehind, fmt.Sprintf("room=behindroom&since=%d", last))
	close(held.open)
	w := welcome(t, b)
	if w.Seq < last {
		t.Errorf("the welcome says seq %d to a member that had %d", w.Seq, last)
	}
	if e := b.next(); e.Seq <= last {
		t.Fatalf("a member that had seqs up to %d was sent seq %d (%s) again", last, e.Seq, e.Kind)
	}
}

// A server whose copy of a room fell behind while another server folded
// the room's log and dropped the envelopes before the fold opens the room
// again from the snapshot: its event streams end (to be made again), and
// a new one has the whole room, the fold and what came after, and goes on
// with the room.
func TestAServerBehindAFoldOpensTheRoomAgain(t *testing.T) {
	shared := store.NewMemory(store.Limits{})
	t.Cleanup(func() { shared.Close() })
	_, srvAhead := newServer(t, relay.Options{Store: shared, FoldEvery: 5})
	held := heldStore{Store: shared, open: make(chan struct{})}
	behind := relay.New(relay.Options{Store: held, FoldEvery: 5}, nil)
	if err := shared.Create(context.Background(), store.Room{ID: "foldroom", Scene: "protocols", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	_, _, old, err := behind.Subscribe("foldroom", 0)
	if err != nil {
		t.Fatal(err)
	}
	a := dial(t, srvAhead, "room=foldroom")
	welcome(t, a)
	var last uint64
	for i := range 8 { // past a fold at 5, which drops seqs 1 to 4
		a.send("action", fmt.Sprintf(`{"kind":"move","device":"plc","x":%d}`, i))
		last = a.nextKind(wire.KindAction).Seq
	}
	// The server ahead stores its snapshot, which drops what it folded,
	// after delivering: the server behind subscribes once seq 1 is gone.
	testkit.EventuallySays(t, 20*time.Second, func() (bool, string) {
		h, err := shared.Head(context.Background(), "foldroom")
		return err == nil && h.First > 1, fmt.Sprintf("the server ahead never dropped the envelopes it folded: %+v, %v", h, err)
	})
	close(held.open)
	select {
	case _, ok := <-old.C:
		if ok {
			t.Fatal("the server behind delivered an envelope it could not have")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the event stream of the server behind a fold never ended")
	}
	snap, backlog, sub, err := behind.Subscribe("foldroom", 0)
	if err != nil {
		t.Fatalf("subscribe again: %v", err)
	}
	defer sub.Close()
	if snap == nil || snap.Seq < 5 || snap.Seq+uint64(len(backlog)) != last {
		t.Fatalf("subscribed again: a fold %+v and %v, want the fold and the rest up to seq %d", snap, seqs(backlog), last)
	}
	a.send("action", `{"kind":"cut","link":"internet"}`)
	select {
	case e := <-sub.C:
		if e.Seq != last+1 {
			t.Errorf("then seq %d, want %d", e.Seq, last+1)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the room opened again does not go on")
	}
}
