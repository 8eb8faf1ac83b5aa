//go:build !js

package room_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/thingyard/thingyard/internal/testkit"
	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/server/gate"
	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/server/replica"
	"github.com/thingyard/thingyard/server/store"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wasm/room"
	"github.com/thingyard/thingyard/wire"
)

// roomID names the tests' room (8 to 64 letters, digits, - or _).
const roomID = "roomclienttest"

// testOptions reconnect at once, so a test waits for the reconnect it
// caused, not for the page's backoff.
var testOptions = room.Options{MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond}

// serve runs the real relay over st on ln, as the server does.
func serve(t *testing.T, st store.Store, ln net.Listener) *httptest.Server {
	t.Helper()
	_, srv := serveRelay(t, relay.Options{Store: st}, ln)
	return srv
}

func serveRelay(t *testing.T, opt relay.Options, ln net.Listener) (*relay.Relay, *httptest.Server) {
	t.Helper()
	r := relay.New(opt, nil)
	mux := http.NewServeMux()
	mux.Handle("GET /ws", r)
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return r, srv
}

func listen(t *testing.T, addr string) *listener {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	return &listener{Listener: ln}
}

// listener keeps the connections it accepted, so a test can stop the
// server as a stopped process would: every socket closed, WebSockets
// included (httptest.Server forgets those once they are hijacked).
type listener struct {
	net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.conns = append(l.conns, c)
		l.mu.Unlock()
	}
	return c, err
}

// stop closes the listener and every connection it accepted.
func (l *listener) stop() {
	l.Listener.Close()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		c.Close()
	}
}

// dialer is the real WebSocket transport with a hand on its connections:
// it records the URLs dialled and can drop the open connection, at once
// or after it has read some frames.
type dialer struct {
	mu        sync.Mutex
	urls      []string
	conn      *conn
	dropAfter int // frames the next connection reads before it drops (0: never)
}

func (d *dialer) dial(ctx context.Context, url string) (room.Conn, error) {
	c, err := room.DialWebSocket(ctx, url)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.urls = append(d.urls, url)
	d.conn = &conn{Conn: c, left: d.dropAfter}
	d.dropAfter = 0
	return d.conn, nil
}

// drop cuts the open connection as a network would.
func (d *dialer) drop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn != nil {
		d.conn.Close()
	}
}

func (d *dialer) dialled() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.urls...)
}

type conn struct {
	room.Conn
	mu   sync.Mutex
	left int
}

var errDropped = errors.New("dropped by the test")

func (c *conn) Read(ctx context.Context) ([]byte, float64, error) {
	c.mu.Lock()
	if c.left == 1 {
		c.mu.Unlock()
		c.Close()
		return nil, 0, errDropped
	}
	if c.left > 1 {
		c.left--
	}
	c.mu.Unlock()
	return c.Conn.Read(ctx)
}

// member is a page in the room: a Session over a Client, and what the
// session did to the page.
type member struct {
	t       *testing.T
	d       *dialer
	s       *room.Session
	loads   int
	applied []sim.Action
}

func (m *member) Load(*scenes.Scene, string) error { m.loads++; return nil }
func (m *member) Applied(act sim.Action, _ error)  { m.applied = append(m.applied, act) }
func (m *member) Command(json.RawMessage)          {}

func join(t *testing.T, url string, opt room.Options) *member {
	t.Helper()
	m := &member{t: t, d: &dialer{}}
	c := room.New(url+"/ws?room="+roomID+"&scene="+scenes.Default, m.d.dial, opt)
	m.s = room.NewSession(roomID, c, m)
	t.Cleanup(c.Close)
	return m
}

// until handles the room's envelopes until cond holds, failing the test
// if it does not within a deadline.
func (m *member) until(what string, cond func() bool) {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for !cond() {
		e, err := m.s.Client.Next(ctx)
		if err != nil {
			m.t.Fatalf("waiting for %s: %v (seq %d, %d actions, %s, dialled %q, members %q)", what, err, m.s.Seq, len(m.applied), m.s.Status(), m.d.dialled(), m.s.Members)
		}
		if err := m.s.Handle(e, 0); err != nil {
			m.t.Fatalf("handle %s: %v", e.Kind, err)
		}
	}
}

// pair joins a to the room, which makes it, then b, as pages join a room
// made with POST /rooms; both are live when it returns and see each other.
func pair(t *testing.T, url string, aOpt, bOpt room.Options) (a, b *member) {
	t.Helper()
	a = join(t, url, aOpt)
	a.live()
	b = join(t, url, bOpt)
	b.live()
	a.until("b joining", func() bool { return slices.Contains(a.s.Members, b.s.You) })
	return a, b
}

func (m *member) live() {
	m.t.Helper()
	m.until("the welcome", func() bool { return m.s.TL != nil && m.s.Status() == room.Live })
}

// power is the nth action a test sends: devices of the default scene
// switched off and on in turn, each a change of the world's hash.
func power(n int, at int64) sim.Action {
	devs := []string{"plc", "valve", "door", "oven-temp"}
	return sim.Action{At: at, Kind: sim.ActPower, Device: devs[n%len(devs)], On: n/len(devs)%2 == 1}
}

// send sends actions first..last-1 from m, each at tick at(n).
func (m *member) send(first, last int, at func(int) int64) {
	m.t.Helper()
	for n := first; n < last; n++ {
		if !m.s.Send(wire.KindAction, power(n, at(n))) {
			m.t.Fatalf("send action %d: not connected", n)
		}
	}
}

func later(n int) int64 { return 1000 + int64(n) }

// sameLog fails unless got are actions 0..n-1 in order.
func sameLog(t *testing.T, who string, got []sim.Action, n int, at func(int) int64) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("%s applied %d actions, want %d: %v", who, len(got), n, got)
	}
	for i, a := range got {
		if want := power(i, at(i)); !reflect.DeepEqual(a, want) {
			t.Fatalf("%s's action %d is %+v, want %+v", who, i, a, want)
		}
	}
}

// TestResumeAfterDrop: a connection dropped in the middle of the room's
// log resumes after the last envelope it had, so the page applies every
// action once, in the room's order.
func TestResumeAfterDrop(t *testing.T) {
	srv := serve(t, store.NewMemory(store.Limits{}), listen(t, "127.0.0.1:0"))
	a, b := pair(t, srv.URL, testOptions, testOptions)
	b.send(0, 5, later)
	a.until("5 actions", func() bool { return len(a.applied) == 5 })
	seq := a.s.Seq

	// a's next connection reads 3 frames of what b sends, then drops.
	a.d.mu.Lock()
	a.d.dropAfter = 4 // the welcome, then 3 frames
	a.d.mu.Unlock()
	a.d.drop()
	a.until("the second welcome", func() bool { return len(a.d.dialled()) >= 2 && a.s.Status() == room.Live })
	b.send(5, 20, later)
	b.until("its 20 actions", func() bool { return len(b.applied) == 20 })
	a.until("20 actions", func() bool { return len(a.applied) == 20 })

	sameLog(t, "a", a.applied, 20, later)
	sameLog(t, "b", b.applied, 20, later)
	urls := a.d.dialled()
	if len(urls) < 3 {
		t.Fatalf("a dialled %d times, want a reconnect after each drop: %v", len(urls), urls)
	}
	if want := "since=" + itoa(seq); !strings.HasSuffix(urls[1], want) {
		t.Errorf("a's first reconnect dialled %s, want it to resume with %s", urls[1], want)
	}
}

func itoa(n uint64) string { b, _ := json.Marshal(n); return string(b) }

// TestOrder: two members sending at once see one order, the room's, and
// their worlds agree.
func TestOrder(t *testing.T) {
	srv := serve(t, store.NewMemory(store.Limits{}), listen(t, "127.0.0.1:0"))
	a, b := pair(t, srv.URL, testOptions, testOptions)
	var wg sync.WaitGroup
	for _, m := range []*member{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range 30 {
				m.s.Send(wire.KindAction, power(n, later(n)))
			}
		}()
	}
	wg.Wait()
	a.until("60 actions", func() bool { return len(a.applied) == 60 })
	b.until("60 actions", func() bool { return len(b.applied) == 60 })
	for i := range a.applied {
		if !reflect.DeepEqual(a.applied[i], b.applied[i]) {
			t.Fatalf("action %d: a applied %+v, b %+v", i, a.applied[i], b.applied[i])
		}
	}
	a.s.TL.AdvanceTo(2000)
	b.s.TL.AdvanceTo(2000)
	if ha, hb := a.s.TL.World().Hash(), b.s.TL.World().Hash(); ha != hb {
		t.Errorf("at tick 2000 a's world is %s, b's %s", sim.HashString(ha), sim.HashString(hb))
	}
}

// TestServerRestart: the relay goes away and comes back on the same
// address over the same store; the pages reconnect, resume, and miss
// nothing of what was sent before or after.
func TestServerRestart(t *testing.T) {
	st := store.NewMemory(store.Limits{})
	ln := listen(t, "127.0.0.1:0")
	srv := serve(t, st, ln)
	addr := ln.Addr().String()
	a, b := pair(t, srv.URL, testOptions, testOptions)
	b.send(0, 4, later)
	a.until("4 actions", func() bool { return len(a.applied) == 4 })
	b.until("its 4 actions", func() bool { return len(b.applied) == 4 })

	ln.stop()
	srv.Close()
	serve(t, st, listen(t, addr))
	for _, m := range []*member{a, b} {
		m.until("a welcome from the new server", func() bool { return len(m.d.dialled()) >= 2 && m.s.Status() == room.Live })
	}
	b.send(4, 10, later)
	a.until("10 actions", func() bool { return len(a.applied) == 10 })
	sameLog(t, "a", a.applied, 10, later)
	if a.loads != 1 {
		t.Errorf("a loaded the scene %d times, want once: a resumed room keeps its world", a.loads)
	}
}

// TestFullQueue: a page that takes nothing for a while (a hidden tab)
// drops its connection rather than an envelope, and gets every action
// once it reads again.
func TestFullQueue(t *testing.T) {
	srv := serve(t, store.NewMemory(store.Limits{}), listen(t, "127.0.0.1:0"))
	opt := testOptions
	opt.QueueLen = 4
	a, b := pair(t, srv.URL, opt, testOptions)
	b.send(0, 30, later)
	b.until("its 30 actions", func() bool { return len(b.applied) == 30 })
	a.until("30 actions", func() bool { return len(a.applied) == 30 })
	sameLog(t, "a", a.applied, 30, later)
	if n := len(a.d.dialled()); n < 2 {
		t.Errorf("a dialled %d times: its queue of 4 never filled", n)
	}
}

// TestLateAction: an action that reaches a page after its tick rebuilds
// the page's world with the action in its place, so it is the world of a
// page that had it in time.
func TestLateAction(t *testing.T) {
	srv := serve(t, store.NewMemory(store.Limits{}), listen(t, "127.0.0.1:0"))
	a, b := pair(t, srv.URL, testOptions, testOptions)
	a.s.TL.AdvanceTo(3000)
	early := func(n int) int64 { return 100 + int64(n)*10 }
	b.send(0, 3, early)
	a.until("3 actions", func() bool { return len(a.applied) == 3 })
	if a.s.TL.World().Tick() != 3000 {
		t.Fatalf("a's world is at tick %d, want 3000", a.s.TL.World().Tick())
	}

	sc, err := scenes.Builtin(scenes.Default)
	if err != nil {
		t.Fatal(err)
	}
	want, err := sim.NewTimeline(sc.Spec, sc.Seed)
	if err != nil {
		t.Fatal(err)
	}
	for n := range 3 {
		want.Add(power(n, early(n)))
	}
	want.AdvanceTo(3000)
	if got, w := a.s.TL.World().Hash(), want.World().Hash(); got != w {
		t.Errorf("a's world after 3 late actions is %s, want %s (the world that had them in time)", sim.HashString(got), sim.HashString(w))
	}
}

// TestHeldBoards: a member's board announcement is listed until that
// member leaves the room.
func TestHeldBoards(t *testing.T) {
	srv := serve(t, store.NewMemory(store.Limits{}), listen(t, "127.0.0.1:0"))
	a, b := pair(t, srv.URL, testOptions, testOptions)
	if !b.s.Send(wire.KindBoard, wire.Board{Device: "valve", Note: "answers"}) {
		t.Fatal("b could not announce its board")
	}
	a.until("b's board", func() bool { return len(a.s.Held()) == 1 })
	if got := a.s.Held()[0]; got.Device != "valve" || got.Note != "answers" {
		t.Errorf("a lists %+v, want b's valve", got)
	}
	b.s.Close()
	a.until("b leaving", func() bool { return !slices.Contains(a.s.Members, b.s.You) })
	if h := a.s.Held(); len(h) != 0 {
		t.Errorf("a still lists %+v after b left", h)
	}
}

// TestWorldState: a page joining a room whose log was folded into a world
// state starts its world there, and it is the world of a page that was in
// the room from the start.
func TestWorldState(t *testing.T) {
	reps := replica.New(replica.Options{}, nil)
	r, srv := serveRelay(t, relay.Options{Store: store.NewMemory(store.Limits{}), Gate: gate.New(gate.Limits{}, nil),
		Observer: reps, Folder: reps, Scenes: scenes.Names(), FoldEvery: 10, World: relay.WorldLimits{Actions: 20, Behind: 1}},
		listen(t, "127.0.0.1:0"))
	a := join(t, srv.URL, testOptions)
	a.live()
	n := 0
	publish := func() {
		t.Helper()
		body := `{"kind":"power","device":"oven-temp","on":` + strconv.FormatBool(n%2 == 1) + `}`
		if _, err := r.Publish(roomID, "api", wire.KindAction, json.RawMessage(body)); err != nil {
			t.Fatalf("action %d: %v", n, err)
		}
		n++
	}
	for range 50 {
		publish()
	}
	// A world state made is taken into the log with the next envelope.
	testkit.Eventually(t, 20*time.Second, "the room's world state", func() bool {
		publish()
		info, ok := r.Info(roomID)
		return ok && info.WorldSeq > 0
	})
	a.until("the actions", func() bool { return len(a.applied) == n })

	c := join(t, srv.URL, testOptions)
	c.live()
	if c.s.TL.Horizon() == 0 {
		t.Fatal("c's world starts at tick 0: the welcome's world state was not loaded")
	}
	if len(c.applied) >= n {
		t.Errorf("c applied %d actions: the world state should have held some", len(c.applied))
	}
	end := a.applied[n-1].At + 500
	a.s.TL.AdvanceTo(end)
	c.s.TL.AdvanceTo(end)
	if ha, hc := a.s.TL.World().Hash(), c.s.TL.World().Hash(); ha != hc {
		t.Errorf("at tick %d the world of a page there from the start is %s, of one that joined later %s", end, sim.HashString(ha), sim.HashString(hc))
	}
}
