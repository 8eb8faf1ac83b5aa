package relay_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

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
