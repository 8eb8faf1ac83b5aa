// Package apitest runs the real server's room handlers (relay, replicas,
// open API) on a loopback port with a clock the test moves, for the tests
// of the open API and the MQTT bridge.
package apitest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/server/api"
	"github.com/thingyard/thingyard/server/gate"
	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/server/replica"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// Clock is the rooms' clock in a test: it moves only when told.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now is the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Advance moves the room clock on by n world ticks.
func (c *Clock) Advance(ticks int64) {
	c.mu.Lock()
	c.t = c.t.Add(time.Duration(ticks*wire.MsPerTick) * time.Millisecond)
	c.mu.Unlock()
}

// Server is the real server's handlers (relay, replicas, open API) on a
// loopback port, with a clock the test moves: POST /rooms, GET /ws and
// /api/.
type Server struct {
	*httptest.Server
	Clock *Clock
	Rel   *relay.Relay
	Reps  *replica.Set
}

// New starts a Server for the length of the test.
func New(t testing.TB) *Server {
	t.Helper()
	return start(t, func(*relay.Options, *replica.Set) {})
}

// NewFolding starts a Server whose rooms fold their logs into world states
// as the real server's do, but early: every foldEvery envelopes, a world
// state once world's limits are reached.
func NewFolding(t testing.TB, foldEvery int, world relay.WorldLimits) *Server {
	t.Helper()
	return start(t, func(o *relay.Options, reps *replica.Set) {
		o.Folder, o.FoldEvery, o.World = reps, foldEvery, world
	})
}

func start(t testing.TB, with func(*relay.Options, *replica.Set)) *Server {
	t.Helper()
	clk := &Clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	reps := replica.New(replica.Options{Now: clk.Now}, nil)
	opt := relay.Options{Scenes: scenes.Names(), Gate: gate.New(gate.Limits{}, nil), Observer: reps, Now: clk.Now}
	with(&opt, reps)
	rel := relay.New(opt, nil)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go reps.Run(ctx)
	mux := http.NewServeMux()
	mux.Handle("GET /ws", rel)
	mux.HandleFunc("POST /rooms", rel.HandleCreate(scenes.Default))
	api.New(rel, reps, nil).Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &Server{Server: srv, Clock: clk, Rel: rel, Reps: reps}
}

// Do sends a request to the server and decodes a JSON answer into out
// (when not nil).
func (s *Server) Do(t testing.TB, method, path, body string, out any) *http.Response {
	t.Helper()
	return DoJSON(t, method, s.URL+path, body, out)
}

// DoJSON sends a request with a JSON body (none when body is "") to url
// and decodes a JSON answer into out (when not nil).
func DoJSON(t testing.TB, method, url, body string, out any) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", method, url, err)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, url, res.StatusCode, b, err)
		}
	}
	return res
}

// NewRoom makes a live room of scene and returns its id.
func (s *Server) NewRoom(t testing.TB, scene string) string {
	t.Helper()
	var created struct{ ID, Scene string }
	if res := s.Do(t, "POST", "/rooms", `{"scene":"`+scene+`"}`, &created); res.StatusCode != http.StatusCreated || created.Scene != scene {
		t.Fatalf("POST /rooms: %d %+v", res.StatusCode, created)
	}
	return created.ID
}

// Problem is an RFC 9457 problem as the server writes it.
type Problem struct {
	Type, Title, Detail, Field string
	Status                     int
}

// WS is a browser's WebSocket in a room.
type WS struct {
	conn *websocket.Conn
	ctx  context.Context
}

// DialRoom joins room id as a browser does.
func (s *Server) DialRoom(t testing.TB, id string) *WS {
	t.Helper()
	return Dial(t, strings.TrimPrefix(s.URL, "http://"), id)
}

// Dial joins room id of the server at addr (host:port) as a browser does,
// for the length of the test.
func Dial(t testing.TB, addr, id string) *WS {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	conn, _, err := websocket.Dial(ctx, "ws://"+addr+"/ws?room="+id, nil)
	if err != nil {
		t.Fatalf("join %s: %v", id, err)
	}
	conn.SetReadLimit(1 << 20)
	t.Cleanup(func() { conn.CloseNow() })
	return &WS{conn: conn, ctx: ctx}
}

// Next waits for the next envelope.
func (c *WS) Next(t testing.TB, what string) wire.Envelope {
	t.Helper()
	_, data, err := c.conn.Read(c.ctx)
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
	var e wire.Envelope
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatalf("waiting for %s: a frame that is no envelope: %v", what, err)
	}
	return e
}

// Action waits for the next action or reading, in the welcome's log or
// live, that matches want.
func (c *WS) Action(t testing.TB, what string, want func(sim.Action) bool) sim.Action {
	t.Helper()
	for {
		e := c.Next(t, what)
		envs := []wire.Envelope{e}
		if e.Kind == wire.KindWelcome {
			var w wire.Welcome
			if err := json.Unmarshal(e.Body, &w); err != nil {
				t.Fatalf("waiting for %s: a bad welcome: %v", what, err)
			}
			envs = w.Log
		}
		for _, e := range envs {
			if e.Kind != wire.KindAction && e.Kind != wire.KindReading {
				continue
			}
			var a sim.Action
			if err := json.Unmarshal(e.Body, &a); err != nil {
				t.Fatalf("waiting for %s: a bad action %s", what, e.Body)
			}
			if want(a) {
				return a
			}
		}
	}
}

// Kind waits for the next envelope of kind.
func (c *WS) Kind(t testing.TB, kind string) wire.Envelope {
	t.Helper()
	for {
		if e := c.Next(t, kind); e.Kind == kind {
			return e
		}
	}
}

// Send sends an envelope of kind with body.
func (c *WS) Send(t testing.TB, kind string, body any) {
	t.Helper()
	b, _ := json.Marshal(body)
	data, _ := json.Marshal(wire.Envelope{Kind: kind, Body: b})
	if err := c.conn.Write(c.ctx, websocket.MessageText, data); err != nil {
		t.Fatal(err)
	}
}
