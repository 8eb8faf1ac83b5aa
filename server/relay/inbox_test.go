package relay_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/server/store"
	"github.com/thingyard/thingyard/wire"
)

// stallingStore is the in-memory store whose appends wait while it is
// stalled, as a JetStream's do while its disk or its cluster is slow.
type stallingStore struct {
	store.Store
	mu    sync.Mutex
	stall chan struct{} // nil while appends go through
}

func (s *stallingStore) Append(ctx context.Context, id string, e wire.Envelope) (wire.Envelope, error) {
	s.mu.Lock()
	stall := s.stall
	s.mu.Unlock()
	if stall != nil {
		select {
		case <-stall:
		case <-ctx.Done():
			return e, ctx.Err()
		}
	}
	return s.Store.Append(ctx, id, e)
}

func (s *stallingStore) hold() {
	s.mu.Lock()
	s.stall = make(chan struct{})
	s.mu.Unlock()
}

func (s *stallingStore) release() {
	s.mu.Lock()
	close(s.stall)
	s.stall = nil
	s.mu.Unlock()
}

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// framesIn reads thingyard_messages_in_total: the frames the relay took
// off its members' sockets.
func framesIn(t *testing.T, srv string) int {
	t.Helper()
	return metric(t, srv, "thingyard_messages_in_total")
}

// metric reads one of the relay's counters from its /metrics.
func metric(t *testing.T, srv, name string) int {
	t.Helper()
	res, err := http.Get(srv + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("metrics: %q: %v", sc.Text(), err)
			}
			return n
		}
	}
	t.Fatalf("metrics: no %s", name)
	return 0
}

// untilRead waits until the relay has taken n frames off its sockets.
func untilRead(t *testing.T, srv string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for framesIn(t, srv) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the relay took %d frames off the socket, want %d: it stopped reading while the store was stalled", framesIn(t, srv), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// sendAction sends action i, a label naming i.
func sendAction(c *client, i int) {
	c.send("action", fmt.Sprintf(`{"kind":"set","device":"fan","key":"label","text":"%d"}`, i))
}

// A member sending at exactly its rate limit while the store stalls is
// never cut off: its frames wait in its inbox, then in its socket, and once
// the store goes on the room logs all of them, in order.
func TestAStalledStoreDoesNotMakeAPaceABurst(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	st := &stallingStore{Store: store.NewMemory(store.Limits{})}
	const rate, inbox = 30, 8
	_, srv := newServer(t, relay.Options{Store: st, Rate: rate, Burst: 2 * rate, InboxLen: inbox, Now: clock.Now})
	sender := dial(t, srv, "room=stallroom1&scene=overview")
	welcome(t, sender)
	witness := dial(t, srv, "room=stallroom1")
	welcome(t, witness)
	sender.nextKind(wire.KindPresence) // the witness joined: the room is quiet now

	st.hold()
	// One frame waits for the store, the inbox holds the next ones, and
	// the one after them waits to be put in: the socket is no longer read.
	const read = inbox + 2
	for i := range read {
		sendAction(sender, i)
		untilRead(t, srv.URL, i+1)
		clock.add(time.Second / rate)
	}
	// Five seconds at the limit in all, far more than the burst, wait in
	// the socket meanwhile.
	const n = 5 * rate
	for i := read; i < n; i++ {
		sendAction(sender, i)
		clock.add(time.Second / rate)
	}
	st.release()
	for i := range n {
		e := witness.nextKind(wire.KindAction)
		if want := fmt.Sprintf(`"text":"%d"`, i); !strings.Contains(string(e.Body), want) {
			t.Fatalf("action %d is %s, want %s", i, e.Body, want)
		}
	}
}

// A flooder is cut off for its rate even when its frames piled up while
// the store stalled: the time it waited lets through only what a member
// at the limit would have sent.
func TestAStalledStoreStillCutsAFlooder(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	st := &stallingStore{Store: store.NewMemory(store.Limits{})}
	const rate, inbox = 30, 8
	_, srv := newServer(t, relay.Options{Store: st, Rate: rate, Burst: 2 * rate, InboxLen: inbox, Now: clock.Now})
	flooder := dial(t, srv, "room=stallroom2&scene=overview")
	welcome(t, flooder)

	st.hold()
	const read = inbox + 2
	for i := range read {
		sendAction(flooder, i)
		untilRead(t, srv.URL, i+1)
	}
	for i := read; i < 20*rate; i++ { // twenty seconds' worth in one
		sendAction(flooder, i)
	}
	clock.add(time.Second)
	st.release()
	if got := closeStatus(t, flooder); got != websocket.StatusPolicyViolation {
		t.Fatalf("closed with %v, want %v (rate limit)", got, websocket.StatusPolicyViolation)
	}
}

// A member whose reader waits for a stalled store is not dropped for an
// unanswered ping: its pong waits unread in the socket, and the fault is
// the server's, not the member's.
func TestAHeldMemberIsNotTakenForASilentOne(t *testing.T) {
	st := &stallingStore{Store: store.NewMemory(store.Limits{})}
	const inbox, ping = 4, 20 * time.Millisecond
	_, srv := newServer(t, relay.Options{Store: st, InboxLen: inbox, PingEvery: ping})
	sender := dial(t, srv, "room=stallroom3&scene=overview")
	welcome(t, sender)
	// The sender reads what comes, answering pings, as a browser does.
	texts := make(chan string, 64)
	go func() {
		defer close(texts)
		for {
			_, data, err := sender.conn.Read(sender.ctx)
			if err != nil {
				texts <- err.Error()
				return
			}
			var e wire.Envelope
			if json.Unmarshal(data, &e) == nil && e.Kind == wire.KindAction {
				texts <- string(e.Body)
			}
		}
	}()

	st.hold()
	const n = inbox + 2 // the last waits to be put in the inbox
	for i := range n {
		sendAction(sender, i)
		untilRead(t, srv.URL, i+1)
	}
	time.Sleep(10 * ping) // the stall lasts ten ping periods
	st.release()
	sendAction(sender, n) // still a member
	for i := range n + 1 {
		got := <-texts
		if want := fmt.Sprintf(`"text":"%d"`, i); !strings.Contains(got, want) {
			t.Fatalf("action %d: %s, want %s", i, got, want)
		}
	}
}
