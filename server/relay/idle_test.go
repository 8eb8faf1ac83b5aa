package relay_test

import (
	"bytes"
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/thingyard/thingyard/server/relay"
)

// relayGoroutines counts the goroutines running the relay's code, and
// returns the stack of each.
func relayGoroutines() (int, []string) {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var stacks []string
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte("thingyard/server/relay.")) {
			stacks = append(stacks, string(g))
		}
	}
	return len(stacks), stacks
}

// An idle member, one that was welcomed and has nothing to send or to be
// sent, is served by one goroutine, its reader: its writer and the
// goroutine handing the room what it sends run only while they have
// frames, and one pinger pings every member in turns.
func TestAnIdleMemberIsOneGoroutine(t *testing.T) {
	_, srv := newServer(t, relay.Options{})
	first := dial(t, srv, "room=idleroom1&scene=overview")
	welcome(t, first)
	base, _ := relayGoroutines() // the room's and the first member's

	const n = 20
	for range n {
		c := dial(t, srv, "room=idleroom1")
		welcome(t, c)
	}
	// The last members' writers may still be ending after their frames
	// were written.
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, stacks := relayGoroutines()
		if got-base <= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d idle members are served by %d goroutines (%.1f each), want one each:\n\n%s",
				n, got-base, float64(got-base)/n, stacks[len(stacks)-1])
		}
		time.Sleep(time.Millisecond)
	}
}

// When the relay's Run ends (the server is stopping), every member is
// told that the server is going away and its connection closed: members
// are not served on the request's goroutine, whose end would have ended
// them.
func TestMembersAreToldTheServerIsGoingAway(t *testing.T) {
	r, srv := newServer(t, relay.Options{})
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { defer close(ran); r.Run(ctx) }()
	c := dial(t, srv, "room=goingaway1&scene=overview")
	welcome(t, c)
	stop()
	<-ran
	if got := closeStatus(t, c); got != websocket.StatusGoingAway {
		t.Fatalf("closed with %v, want %v", got, websocket.StatusGoingAway)
	}
}
