package relay_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/thingyard/thingyard/server/gate"
	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/server/store"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

func newServer(t *testing.T, opt relay.Options) (*relay.Relay, *httptest.Server) {
	t.Helper()
	r := relay.New(opt, nil)
	mux := http.NewServeMux()
	mux.Handle("GET /ws", r)
	mux.HandleFunc("POST /rooms", r.HandleCreate("overview"))
	mux.HandleFunc("GET /metrics", r.HandleMetrics)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return r, srv
}

type client struct {
	t    *testing.T
	conn *websocket.Conn
	ctx  context.Context
}

func dial(t *testing.T, srv *httptest.Server, query string) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/ws?"+query, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", query, err)
	}
	conn.SetReadLimit(1 << 20)
	t.Cleanup(func() { conn.CloseNow() })
	return &client{t: t, conn: conn, ctx: ctx}
}

func (c *client) send(kind, body string) {
	c.t.Helper()
	if err := c.conn.Write(c.ctx, websocket.MessageText, []byte(`{"kind":"`+kind+`","body":`+body+`}`)); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

func (c *client) next() wire.Envelope {
	c.t.Helper()
	_, data, err := c.conn.Read(c.ctx)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	var e wire.Envelope
	if err := json.Unmarshal(data, &e); err != nil {
		c.t.Fatalf("bad envelope %s: %v", data, err)
	}
	return e
}

// nextKind skips envelopes until one of kind.
func (c *client) nextKind(kind string) wire.Envelope {
	c.t.Helper()
	for {
		if e := c.next(); e.Kind == kind {
			return e
		}
	}
}

func welcome(t *testing.T, c *client) wire.Welcome {
	t.Helper()
	e := c.next()
	if e.Kind != wire.KindWelcome {
		t.Fatalf("first envelope is %s, want welcome", e.Kind)
	}
	var w wire.Welcome
	if err := json.Unmarshal(e.Body, &w); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestOrderingIsGapFreeAndShared(t *testing.T) {
	_, srv := newServer(t, relay.Options{Rate: 1000, Burst: 1000})
	const senders, each = 3, 40
	cs := make([]*client, senders)
	for i := range cs {
		cs[i] = dial(t, srv, "room=orderroom1&scene=overview")
		welcome(t, cs[i])
	}
	// Drain the presence of later joiners so all start in the same place.
	for i := range cs {
		for j := i + 1; j < senders; j++ {
			cs[i].nextKind(wire.KindPresence)
		}
	}
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range each {
				c.conn.Write(c.ctx, websocket.MessageText, []byte(fmt.Sprintf(`{"kind":"action","body":{"kind":"move","device":"d%d","x":%d}}`, i, n)))
			}
		}()
	}
	orders := make([][]uint64, senders)
	for i, c := range cs {
		var last uint64
		for len(orders[i]) < senders*each {
			e := c.nextKind(wire.KindAction)
			if last != 0 && e.Seq != last+1 {
				t.Fatalf("client %d: seq %d after %d", i, e.Seq, last)
			}
			if e.From == "" || e.Room != "orderroom1" {
				t.Fatalf("envelope not stamped: %+v", e)
			}
			last = e.Seq
			orders[i] = append(orders[i], e.Seq)
		}
	}
	wg.Wait()
	for i := 1; i < senders; i++ {
		if fmt.Sprint(orders[i]) != fmt.Sprint(orders[0]) {
			t.Fatalf("clients saw different orders")
		}
	}
}

func TestWelcomeAndResume(t *testing.T) {
	_, srv := newServer(t, relay.Options{})
	a := dial(t, srv, "room=resumeroom&scene=protocols")
	w := welcome(t, a)
	if w.Scene != "protocols" || w.You == "" || len(w.Members) != 1 || w.Room != "resumeroom" {
		t.Fatalf("welcome %+v", w)
	}
	a.nextKind(wire.KindPresence)
	for i := range 5 {
		a.send("action", fmt.Sprintf(`{"kind":"move","device":"plc","x":%d}`, i))
		a.nextKind(wire.KindAction)
	}
	b := dial(t, srv, "room=resumeroom&since=3")
	wb := welcome(t, b)
	if p := a.nextKind(wire.KindPresence); !strings.Contains(string(p.Body), `"joined":true`) {
		t.Errorf("presence %s", p.Body)
	}
	if len(wb.Log) == 0 || wb.Log[0].Seq != 4 || wb.Log[len(wb.Log)-1].Seq != wb.Seq {
		t.Fatalf("resume after 3: log %v, room seq %d", seqs(wb.Log), wb.Seq)
	}
	for i, e := range wb.Log {
		if e.Seq != 4+uint64(i) {
			t.Fatalf("log has a gap: %v", seqs(wb.Log))
		}
	}
	// Then everything new, in order, to both.
	a.send("action", `{"kind":"cut","link":"internet"}`)
	ea, eb := a.nextKind(wire.KindAction), b.nextKind(wire.KindAction)
	if ea.Seq != eb.Seq || ea.Seq <= wb.Seq {
		t.Errorf("new action seq %d / %d after welcome seq %d", ea.Seq, eb.Seq, wb.Seq)
	}
}

func seqs(es []wire.Envelope) []uint64 {
	var out []uint64
	for _, e := range es {
		out = append(out, e.Seq)
	}
	return out
}

func TestCreateRoom(t *testing.T) {
	_, srv := newServer(t, relay.Options{Scenes: []string{"overview", "protocols"}, CreateRate: 20})
	ids := map[string]bool{}
	for range 20 {
		res, err := http.Post(srv.URL+"/rooms", "application/json", strings.NewReader(`{"scene":"protocols"}`))
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ ID, Scene string }
		json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if res.StatusCode != 201 || !regexp.MustCompile(`^[a-z2-7]{26}$`).MatchString(body.ID) || body.Scene != "protocols" {
			t.Fatalf("POST /rooms: %d %+v", res.StatusCode, body)
		}
		ids[body.ID] = true
	}
	if len(ids) != 20 {
		t.Errorf("ids repeat: %d unique of 20", len(ids))
	}
	res, err := http.Post(srv.URL+"/rooms", "application/json", strings.NewReader(`{"scene":"nowhere"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 422 || res.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("unknown scene: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	// One address has made its 20 rooms of the minute: the next is refused
	// with when to come back, and the 20 rooms are still there.
	res, err = http.Post(srv.URL+"/rooms", "application/json", strings.NewReader(`{"scene":"protocols"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Errorf("the 21st room of the minute: %d, Retry-After %q; want 429 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"))
	}
	res, err = http.Get(srv.URL + "/ws?room=nosuchroom1")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Errorf("unknown room: %d, want 404", res.StatusCode)
	}
}

func closeStatus(t *testing.T, c *client) websocket.StatusCode {
	t.Helper()
	for {
		_, _, err := c.conn.Read(c.ctx)
		if err != nil {
			return websocket.CloseStatus(err)
		}
	}
}

func TestHostileClients(t *testing.T) {
	_, srv := newServer(t, relay.Options{Rate: 5, Burst: 10})
	t.Run("oversize", func(t *testing.T) {
		c := dial(t, srv, "room=hostile01&scene=overview")
		c.conn.Write(c.ctx, websocket.MessageText, []byte(`{"kind":"action","body":{"x":"`+strings.Repeat("a", wire.MaxFrame)+`"}}`))
		if got := closeStatus(t, c); got != websocket.StatusMessageTooBig {
			t.Errorf("close status %v, want %v", got, websocket.StatusMessageTooBig)
		}
	})
	t.Run("garbage", func(t *testing.T) {
		c := dial(t, srv, "room=hostile02&scene=overview")
		welcome(t, c)
		c.conn.Write(c.ctx, websocket.MessageText, []byte(`{"kind":"welcome","body":{}}`))
		e := c.nextKind(wire.KindError)
		if !strings.Contains(string(e.Body), "kind not allowed") {
			t.Errorf("error %s", e.Body)
		}
		c.send("action", `{"kind":"cut","link":"internet"}`) // still connected
		c.nextKind(wire.KindAction)
	})
	t.Run("flood", func(t *testing.T) {
		c := dial(t, srv, "room=hostile03&scene=overview")
		go func() {
			for range 100 {
				c.conn.Write(c.ctx, websocket.MessageText, []byte(`{"kind":"action","body":{"kind":"cut","link":"x"}}`))
			}
		}()
		if got := closeStatus(t, c); got != websocket.StatusPolicyViolation {
			t.Errorf("close status %v, want policy violation", got)
		}
	})
	t.Run("origin", func(t *testing.T) {
		req, _ := http.NewRequest("GET", srv.URL+"/ws?room=hostile04&scene=overview", nil)
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "websocket")
		req.Header.Set("Sec-WebSocket-Version", "13")
		req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		req.Header.Set("Origin", "https://evil.example")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("foreign origin: %d, want 403", res.StatusCode)
		}
	})
}

func TestSlowReaderIsDropped(t *testing.T) {
	_, srv := newServer(t, relay.Options{QueueLen: 8, Rate: 10000, Burst: 10000})
	slow := dial(t, srv, "room=slowroom1&scene=overview")
	fast := dial(t, srv, "room=slowroom1")
	welcome(t, fast)
	big := `{"kind":"action","body":{"kind":"set","key":"label","text":"` + strings.Repeat("x", 60000) + `"}}`
	got := 0
	// The fast member reads every echo before sending again; the slow one
	// never reads, so its queue fills once the socket buffers are full.
	for range 2000 {
		if err := fast.conn.Write(fast.ctx, websocket.MessageText, []byte(big)); err != nil {
			t.Fatal(err)
		}
		for {
			e := fast.next()
			if e.Kind == wire.KindPresence && strings.Contains(string(e.Body), `"joined":false`) {
				if got == 0 {
					t.Error("the fast reader got nothing")
				}
				if st := closeStatus(t, slow); st != websocket.StatusPolicyViolation {
					t.Errorf("slow reader closed with %v", st)
				}
				return
			}
			if e.Kind == wire.KindAction {
				got++
				break
			}
		}
	}
	t.Fatal("2000 frames of 60 KB and the reader that never reads was not dropped")
}

func TestCapsAndIdleRooms(t *testing.T) {
	now := time.Unix(1e9, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	r, srv := newServer(t, relay.Options{MaxMembers: 2, MaxRooms: 2, IdleAfter: time.Minute, Now: clock})
	a := dial(t, srv, "room=caproom01&scene=overview")
	welcome(t, a) // a member once welcomed, not only upgraded
	welcome(t, dial(t, srv, "room=caproom01"))
	res, err := http.Get(srv.URL + "/ws?room=caproom01")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 503 {
		t.Errorf("third member: %d, want 503", res.StatusCode)
	}
	if _, err := r.Create("overview"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Create("overview"); err == nil {
		t.Error("a third room was made past MaxRooms 2")
	}
	if n := r.Sweep(); n != 0 {
		t.Errorf("swept %d rooms at once", n)
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	if n := r.Sweep(); n != 1 {
		t.Errorf("swept %d idle rooms, want the one nobody joined", n)
	}
	if _, ok := r.Info("caproom01"); !ok {
		t.Error("a room with members was removed")
	}
	a.conn.Close(websocket.StatusNormalClosure, "")
	res, err = http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), "thingyard_rooms 1") || !strings.Contains(string(body), "thingyard_refused_total 1") {
		t.Errorf("metrics:\n%s", body)
	}
}

// headCounter is the in-memory store counting, per room, the heads read.
type headCounter struct {
	store.Store
	mu    sync.Mutex
	heads map[string]int
}

func (s *headCounter) Head(ctx context.Context, id string) (store.Head, error) {
	s.mu.Lock()
	s.heads[id]++
	s.mu.Unlock()
	return s.Store.Head(ctx, id)
}

// reset forgets the heads read so far.
func (s *headCounter) reset() {
	s.mu.Lock()
	clear(s.heads)
	s.mu.Unlock()
}

func (s *headCounter) read(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.heads[id]
}

// The sweep reads from the store only the heads of rooms it might
// expire: not those of rooms with members here, and not a room's again
// before it may be due; on JetStream each read loads the block that
// holds the envelope into memory.
func TestSweepReadsAHeadOnlyWhenItsRoomMayExpire(t *testing.T) {
	st := &headCounter{Store: store.NewMemory(store.Limits{}), heads: map[string]int{}}
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	r, srv := newServer(t, relay.Options{Store: st, Now: clock.Now, IdleAfter: time.Minute, RoomTTL: time.Hour})
	welcome(t, dial(t, srv, "room=inuse0001&scene=overview"))
	empty, err := r.Create("overview")
	if err != nil {
		t.Fatal(err)
	}
	left := dial(t, srv, "room=leftroom1&scene=overview")
	welcome(t, left)
	left.conn.Close(websocket.StatusNormalClosure, "")
	deadline := time.Now().Add(20 * time.Second)
	for info, _ := r.Info("leftroom1"); len(info.Members) != 0; info, _ = r.Info("leftroom1") {
		if time.Now().After(deadline) {
			t.Fatal("the member that left is still in its room after 20 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	sweep := func(when string, want map[string]int) {
		t.Helper()
		st.reset() // joining and making rooms read heads too
		r.Sweep()
		for id, n := range want {
			if got := st.read(id); got != n {
				t.Errorf("%s, the sweep read the head of room %s %d times; want %d", when, id, got, n)
			}
		}
	}
	// A room made again under its id by another server, so long ago that
	// it is due: what the sweep read of the first one does not hold.
	remade := store.Room{ID: "remade0001", Scene: "overview", Created: clock.Now()}
	if err := st.Create(t.Context(), remade); err != nil {
		t.Fatal(err)
	}
	sweep("at first", map[string]int{"inuse0001": 0, empty: 1, "leftroom1": 1, remade.ID: 1})
	if err := st.Remove(t.Context(), remade.ID); err != nil {
		t.Fatal(err)
	}
	remade.Created = clock.Now().Add(-2 * time.Minute)
	if err := st.Create(t.Context(), remade); err != nil {
		t.Fatal(err)
	}
	sweep("a moment later", map[string]int{"inuse0001": 0, empty: 0, "leftroom1": 0, remade.ID: 1})
	if _, err := st.Find(t.Context(), remade.ID); err == nil {
		t.Error("the room made again long ago was not removed")
	}
	clock.add(time.Minute)
	sweep("once the room nobody joined may expire", map[string]int{"inuse0001": 0, empty: 1, "leftroom1": 0})
	if _, ok := r.Info(empty); ok {
		t.Error("the room nobody joined is still there after IdleAfter")
	}
	clock.add(time.Hour)
	sweep("once the room left may expire", map[string]int{"inuse0001": 0, "leftroom1": 1})
	if _, ok := r.Info("leftroom1"); ok {
		t.Error("the room left is still there an hour after its last envelope")
	}
	if _, ok := r.Info("inuse0001"); !ok {
		t.Error("the room in use is gone")
	}
}

func TestCommandsReachTheBoardHolder(t *testing.T) {
	_, srv := newServer(t, relay.Options{})
	holder := dial(t, srv, "room=boardroom&scene=real-board")
	other := dial(t, srv, "room=boardroom")
	third := dial(t, srv, "room=boardroom")
	for _, c := range []*client{holder, other, third} {
		welcome(t, c)
	}
	holder.send("board", `{"device":"board"}`)
	other.nextKind(wire.KindBoard)
	other.send("command", `{"device":"board","on":true}`)
	if e := holder.nextKind(wire.KindCommand); !strings.Contains(string(e.Body), `"on":true`) {
		t.Errorf("holder got %s", e.Body)
	}
	other.nextKind(wire.KindCommand) // the sender sees its own command
	third.send("action", `{"kind":"cut","link":"internet"}`)
	if e := third.nextKind(wire.KindAction); e.Kind != wire.KindAction {
		t.Fatal(e)
	}
	// third never saw the command: the next non-presence envelope it got
	// was its own action (checked by nextKind skipping only presence).
	other.send("command", `{"device":"nothing","on":true}`)
	if e := other.nextKind(wire.KindError); !strings.Contains(string(e.Body), "holds board") {
		t.Errorf("error %s", e.Body)
	}
}

// A long log is folded into a snapshot of its actions: a fresh joiner
// gets the snapshot and the short tail after it, never the presence or the
// whole log; a reconnecting member still gets exactly what it missed.
func TestLongLogsAreFolded(t *testing.T) {
	_, srv := newServer(t, relay.Options{FoldEvery: 20, Rate: 1000, Burst: 1000})
	a := dial(t, srv, "room=foldroom1&scene=overview")
	welcome(t, a)
	for i := range 30 {
		a.send("action", fmt.Sprintf(`{"kind":"move","device":"plc","x":%d}`, i))
		a.nextKind(wire.KindAction)
	}
	// seq 1 is a's presence, 2..31 its moves: the fold came at seq 20.
	b := dial(t, srv, "room=foldroom1")
	w := welcome(t, b)
	var acts []sim.Action
	if err := json.Unmarshal(w.Actions, &acts); err != nil {
		t.Fatalf("welcome actions %s: %v", w.Actions, err)
	}
	if w.FoldedSeq != 20 || len(acts) != 19 || acts[0].X != 0 || acts[18].X != 18 {
		t.Fatalf("welcome folded at %d with %d actions %v", w.FoldedSeq, len(acts), acts)
	}
	if got := seqs(w.Log); fmt.Sprint(got) != "[21 22 23 24 25 26 27 28 29 30 31]" {
		t.Fatalf("welcome tail %v", got)
	}
	c := dial(t, srv, "room=foldroom1&since=25")
	if w := welcome(t, c); w.FoldedSeq != 0 || len(w.Actions) != 0 || len(w.Log) == 0 || w.Log[0].Seq != 26 {
		t.Fatalf("resume got folded %d, log %v", w.FoldedSeq, seqs(w.Log))
	}
}

// recorder is an Observer that keeps what it saw.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(s string) { r.mu.Lock(); r.events = append(r.events, s); r.mu.Unlock() }
func (r *recorder) Created(room, scene string, _ time.Time) {
	r.add("created " + scene)
}
func (r *recorder) Envelope(room string, e wire.Envelope) {
	r.add(fmt.Sprintf("%s %d %s", e.Kind, e.Seq, e.Body))
}
func (r *recorder) Removed(room string) { r.add("removed") }
func (r *recorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}

// The observer sees a room's life in order: creation, every logged
// envelope, hash reports (with the seq they follow), removal; checked-out
// actions are refused before the log, from a browser and from Publish.
func TestObserverCheckAndPublish(t *testing.T) {
	rec := &recorder{}
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	r, srv := newServer(t, relay.Options{Observer: rec, Gate: gate.New(gate.Limits{}, nil), Now: clock, IdleAfter: time.Minute})
	c := dial(t, srv, "room=observed-room&scene=overview")
	welcome(t, c)
	c.nextKind(wire.KindPresence)
	c.send(wire.KindHash, `{"tick":1000,"hash":"00000000000000aa"}`)
	c.send(wire.KindAction, `{"kind":"explode"}`) // its refusal says the hash was read
	if e := c.nextKind(wire.KindError); !strings.Contains(string(e.Body), `unknown kind \"explode\"`) {
		t.Errorf("refusal %s", e.Body)
	}
	e, err := r.Publish("observed-room", "api", wire.KindAction, json.RawMessage(`{"at":50,"kind":"cut","link":"internet"}`))
	if err != nil || e.Seq != 2 || e.From != "api" {
		t.Fatalf("Publish = %+v, %v", e, err)
	}
	if got := c.nextKind(wire.KindAction); got.Seq != 2 || got.From != "api" {
		t.Errorf("the member got %+v", got)
	}
	if _, err := r.Publish("observed-room", "api", wire.KindAction, json.RawMessage(`{"kind":"explode"}`)); err == nil {
		t.Error("Publish let a refused action in")
	}
	if _, err := r.Publish("no-such-room", "api", wire.KindAction, json.RawMessage(`{"kind":"cut"}`)); !errors.Is(err, relay.ErrNoRoom) {
		t.Errorf("Publish to no room: %v", err)
	}
	if _, err := r.Publish("observed-room", "api", wire.KindWelcome, json.RawMessage(`{}`)); err == nil {
		t.Error("Publish sent a welcome")
	}
	c.conn.Close(websocket.StatusNormalClosure, "")
	deadline := time.Now().Add(10 * time.Second)
	// The room hears that the member left before it is swept.
	for info, _ := r.Info("observed-room"); len(info.Members) > 0 && time.Now().Before(deadline); info, _ = r.Info("observed-room") {
		time.Sleep(10 * time.Millisecond)
	}
	for r.Sweep() == 0 && time.Now().Before(deadline) {
		mu.Lock()
		now = now.Add(2 * time.Minute)
		mu.Unlock()
	}
	want := []string{
		"created overview",
		`presence 1 {"member":"m1","joined":true,"members":["m1"]}`,
		`hash 1 {"tick":1000,"hash":"00000000000000aa"}`,
		`action 2 {"at":50,"kind":"cut","link":"internet"}`,
		`presence 3 {"member":"m1","joined":false,"members":[]}`,
		"removed",
	}
	// Member ids name the server and its run: compare them by number.
	ids := regexp.MustCompile(`[0-9a-f]+\.[0-9a-f]+\.(m[0-9]+)`)
	if got := ids.ReplaceAllString(strings.Join(rec.seen(), "\n"), "$1"); got != strings.Join(want, "\n") {
		t.Errorf("the observer saw\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
}

// A subscriber gets the log after its seq, then what comes, with no gap;
// one that does not read is cut off rather than slowing the room.
func TestSubscribe(t *testing.T) {
	r, _ := newServer(t, relay.Options{SubQueue: 4})
	id, err := r.Create("overview")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		r.Publish(id, "api", wire.KindAction, json.RawMessage(`{"kind":"cut","link":"internet"}`))
	}
	_, backlog, sub, err := r.Subscribe(id, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := seqs(backlog); fmt.Sprint(got) != "[2 3]" {
		t.Errorf("backlog %v, want [2 3]", got)
	}
	r.Publish(id, "api", wire.KindAction, json.RawMessage(`{"kind":"restore","link":"internet"}`))
	if e := <-sub.C; e.Seq != 4 {
		t.Errorf("next %d, want 4", e.Seq)
	}
	for range 5 {
		r.Publish(id, "api", wire.KindAction, json.RawMessage(`{"kind":"cut","link":"internet"}`))
	}
	n := 0
	for range sub.C {
		n++
	}
	if n != 4 || !errors.Is(sub.Err(), relay.ErrCutOff) {
		t.Errorf("a stalled subscriber got %d then %v, want 4 then cut off", n, sub.Err())
	}
	if _, _, _, err := r.Subscribe("no-such-room", 0); !errors.Is(err, relay.ErrNoRoom) {
		t.Errorf("Subscribe to no room: %v", err)
	}
}
