package relay_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/wire"
)

// A delivery writes to the members it reaches itself, as far as their
// sockets take it at once: members that keep up get every action without
// the relay starting a writer for any of them. (Before, every delivery
// started one writer per member.)
func TestDeliveriesAreWrittenInPassing(t *testing.T) {
	_, srv := newServer(t, relay.Options{PingEvery: time.Hour})
	sender := dial(t, srv, "room=passroom1&scene=overview")
	welcome(t, sender)
	members := []*client{sender}
	for range 3 {
		c := dial(t, srv, "room=passroom1")
		welcome(t, c)
		members = append(members, c)
	}
	// Every member has what came before the first action: the welcomes'
	// writers and the joins are done with.
	sendAction(sender, 0)
	for _, c := range members {
		c.nextKind(wire.KindAction)
	}

	before := metric(t, srv.URL, "thingyard_writers_total")
	const n = 20
	for i := 1; i <= n; i++ {
		sendAction(sender, i)
		for j, c := range members {
			e := c.nextKind(wire.KindAction)
			if want := fmt.Sprintf(`"text":"%d"`, i); !strings.Contains(string(e.Body), want) {
				t.Fatalf("member %d: action %s, want %s", j, e.Body, want)
			}
		}
	}
	if started := metric(t, srv.URL, "thingyard_writers_total") - before; started != 0 {
		t.Fatalf("%d writers were started for %d deliveries to %d members that keep up, want none", started, n, len(members))
	}
}
