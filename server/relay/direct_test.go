package relay_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/server/store"
	"github.com/thingyard/thingyard/wire"
)

// What a server appends it delivers at once, without waiting for its
// subscription to the store to bring it back: here the subscription is
// held shut, and the members still get every action. Once it opens, it
// brings nothing twice.
func TestAppendsAreDeliveredWithoutTheSubscription(t *testing.T) {
	shared := store.NewMemory(store.Limits{})
	t.Cleanup(func() { shared.Close() })
	held := heldStore{Store: shared, open: make(chan struct{})}
	_, srv := newServer(t, relay.Options{Store: held})
	if err := shared.Create(context.Background(), store.Room{ID: "heldroom", Scene: "protocols", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	a := dial(t, srv, "room=heldroom")
	welcome(t, a)
	b := dial(t, srv, "room=heldroom")
	welcome(t, b)
	var last uint64
	for i := range 3 {
		a.send("action", fmt.Sprintf(`{"kind":"move","device":"plc","x":%d}`, i))
		ea, eb := a.nextKind(wire.KindAction), b.nextKind(wire.KindAction)
		if ea.Seq <= last || eb.Seq != ea.Seq {
			t.Fatalf("action %d: seq %d to its sender and %d to the other member, after seq %d", i, ea.Seq, eb.Seq, last)
		}
		last = ea.Seq
	}
	close(held.open)
	a.send("action", `{"kind":"move","device":"plc","x":99}`)
	for _, c := range []*client{a, b} {
		if e := c.nextKind(wire.KindAction); e.Seq != last+1 || !strings.Contains(string(e.Body), `"x":99`) {
			t.Errorf("after the subscription opened, a member got seq %d (%s), want seq %d, the new action", e.Seq, e.Body, last+1)
		}
	}
}
