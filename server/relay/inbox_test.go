package relay_test

import (
	"bufio"
	"context"
	"errors"
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
	res, err := http.Get(srv + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "thingyard_messages_in_total "); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("metrics: %q: %v", sc.Text(), err)
			}
			return n
		}
	}
	t.Fatal("metrics: no thingyard_messages_in_total")
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

// A member sending at exactly its rate limit is read at its own pace
// while the store stalls: nothing it sent is refused as a burst, and
// once the store goes on, the room logs all of it, in order.
func TestAStalledStoreDoesNotMakeAPaceABurst(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	st := &stallingStore{Store: store.NewMemory(store.Limits{})}
	const rate = 30
	_, srv := newServer(t, relay.Options{Store: st, Rate: rate, Burst: 2 * rate, Now: clock.Now})
	sender := dial(t, srv, "room=stallroom1&scene=overview")
	welcome(t, sender)
	witness := dial(t, srv, "room=stallroom1")
	welcome(t, witness)
	sender.nextKind(wire.KindPresence) // the witness joined: the room is quiet now

	st.hold()
	const n = 5 * rate // five seconds at the limit: more than the burst
	for i := range n {
		sender.send("action", fmt.Sprintf(`{"kind":"set","device":"fan","key":"label","text":"%d"}`, i))
		untilRead(t, srv.URL, i+1)
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

// A member whose frames wait too long for the store is told the server
// is behind and to send again, not that it sent too fast.
func TestAFullInboxSaysTheServerIsBehind(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	st := &stallingStore{Store: store.NewMemory(store.Limits{})}
	const rate, inbox = 30, 8
	_, srv := newServer(t, relay.Options{Store: st, Rate: rate, Burst: 2 * rate, InboxLen: inbox, Now: clock.Now})
	sender := dial(t, srv, "room=stallroom2&scene=overview")
	welcome(t, sender)

	st.hold()
	defer st.release()
	// The first frame is taken by the room and waits for the store; the
	// inbox holds the next ones; the one after them does not fit.
	for i := range inbox + 2 {
		sender.send("action", fmt.Sprintf(`{"kind":"set","device":"fan","key":"label","text":"%d"}`, i))
		clock.add(time.Second / rate)
	}
	_, _, err := sender.conn.Read(sender.ctx)
	for err == nil {
		_, _, err = sender.conn.Read(sender.ctx)
	}
	if got := websocket.CloseStatus(err); got != websocket.StatusTryAgainLater {
		t.Fatalf("closed with %v (%v), want %v", got, err, websocket.StatusTryAgainLater)
	}
	var ce websocket.CloseError
	if errors.As(err, &ce) && !strings.Contains(ce.Reason, "behind") {
		t.Errorf("close reason %q does not say the server is behind", ce.Reason)
	}
}
