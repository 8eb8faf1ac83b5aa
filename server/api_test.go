package main

import (
	"bufio"
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
	"github.com/eclipse/paho.golang/paho"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/server/gate"
	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/server/replica"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// testClock is the rooms' clock in API tests.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Advance moves the room clock on by n world ticks.
func (c *testClock) Advance(ticks int64) {
	c.mu.Lock()
	c.t = c.t.Add(time.Duration(ticks*wire.MsPerTick) * time.Millisecond)
	c.mu.Unlock()
}

// apiServer is the real server's handlers (relay, replicas, open API) on
// a loopback port, with a clock the test moves.
type apiServer struct {
	*httptest.Server
	clock *testClock
	rel   *relay.Relay
	reps  *replica.Set
}

func newAPIServer(t *testing.T) *apiServer {
	t.Helper()
	clk := &testClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	reps := replica.New(replica.Options{Now: clk.Now}, nil)
	rel := relay.New(relay.Options{Scenes: scenes.Names(), Gate: gate.New(gate.Limits{}, nil), Observer: reps, Now: clk.Now}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go reps.Run(ctx)
	mux := http.NewServeMux()
	routes(mux, nil, rel, nil)
	apiRoutes(mux, &api{rel: rel, reps: reps})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &apiServer{Server: srv, clock: clk, rel: rel, reps: reps}
}

// do sends a request and decodes a JSON answer into out (when not nil).
func (s *apiServer) do(t *testing.T, method, path, body string, out any) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
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
	b, _ := io.ReadAll(res.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, res.StatusCode, b, err)
		}
	}
	return res
}

func (s *apiServer) newRoom(t *testing.T, scene string) string {
	t.Helper()
	var created struct{ ID, Scene string }
	if res := s.do(t, "POST", "/rooms", `{"scene":"`+scene+`"}`, &created); res.StatusCode != http.StatusCreated || created.Scene != scene {
		t.Fatalf("POST /rooms: %d %+v", res.StatusCode, created)
	}
	return created.ID
}

type problemJSON struct {
	Type, Title, Detail, Field string
	Status                     int
}

func TestAPIRoomAndDevices(t *testing.T) {
	s := newAPIServer(t)
	id := s.newRoom(t, "open-api")
	s.clock.Advance(30_000)
	var room roomJSON
	if res := s.do(t, "GET", "/api/rooms/"+id, "", &room); res.StatusCode != 200 {
		t.Fatalf("GET room: %d", res.StatusCode)
	}
	want := reference(t, "open-api", 30_000)
	if room.ID != id || room.Scene != "open-api" || room.Tick != 30_000 || room.Hash != sim.HashString(want.Hash()) || room.Members == nil {
		t.Errorf("room %+v, want tick 30000 and hash %s", room, sim.HashString(want.Hash()))
	}
	var devs struct {
		Room    string
		Tick    int64
		Devices []deviceJSON
	}
	s.do(t, "GET", "/api/rooms/"+id+"/devices", "", &devs)
	byID := map[string]deviceJSON{}
	for _, d := range devs.Devices {
		byID[d.ID] = d
	}
	meter, press, fan := byID["meter"], byID["press"], byID["fan"]
	info, _ := want.Device("meter")
	if !meter.Open || meter.Side != "iot" || meter.Topic != "thingyard/"+id+"/meter" || !meter.Online || len(meter.Readings) != 1 ||
		meter.Readings[0] != (readingJSON{Metric: "power", Value: info.Value, Unit: "W", SampledMs: info.SampledMs}) {
		t.Errorf("meter %+v, want open with its power reading %v W", meter, info.Value)
	}
	if press.Open || press.Side != "m2m" || press.Topic != "" || !strings.Contains(press.Closed, "M2M") || len(press.Readings) != 0 || press.On != nil {
		t.Errorf("press %+v, want closed with a reason, without its readings", press)
	}
	if guard := byID["guard"]; guard.On != nil || guard.Open {
		t.Errorf("guard %+v, want closed without its state", guard)
	}
	if fan.On == nil || fan.Kind != "actuator" {
		t.Errorf("fan %+v, want an on state", fan)
	}
	var one deviceJSON
	if s.do(t, "GET", "/api/rooms/"+id+"/devices/meter", "", &one); one.ID != "meter" || one.Topic != meter.Topic {
		t.Errorf("one device: %+v", one)
	}
}

// reference runs a built-in scene with no actions to tick.
func reference(t *testing.T, scene string, tick int64) *sim.World {
	t.Helper()
	sc, _ := scenes.Builtin(scene)
	w, err := sim.New(sc.Spec, sc.Seed)
	if err != nil {
		t.Fatal(err)
	}
	w.Step(int(tick))
	return w
}

func TestAPIErrors(t *testing.T) {
	s := newAPIServer(t)
	id := s.newRoom(t, "open-api")
	tests := []struct {
		method, path, body string
		status             int
		field, detail      string
	}{
		{"POST", "/api/rooms/" + id + "/actions", `{"kind":"explode"}`, 422, "kind", "unknown kind"},
		{"POST", "/api/rooms/" + id + "/actions", `{"kind":"power","device":"ghost"}`, 422, "device", `no device "ghost"`},
		{"POST", "/api/rooms/" + id + "/actions", `{"kind":"set","device":"meter","key":"colour"}`, 422, "key", "unknown device key"},
		{"POST", "/api/rooms/" + id + "/actions", `{"kind":"cut","link":"nowhere"}`, 422, "link", `no link "nowhere"`},
		{"POST", "/api/rooms/" + id + "/actions", `{"kind":"power","device":"fan","colour":1}`, 422, "colour", "unknown field"},
		{"POST", "/api/rooms/" + id + "/actions", `{"kind":"move","device":"fan","x":"left"}`, 422, "x", "cannot unmarshal"},
		{"POST", "/api/rooms/" + id + "/actions", `{"kind":"reading","device":"meter","readings":[]}`, 422, "readings", "0 readings"},
		{"POST", "/api/rooms/" + id + "/actions", `not json`, 422, "", "not an action"},
		{"POST", "/api/rooms/nosuchroom1/actions", `{"kind":"cut","link":"internet"}`, 404, "", "no live room"},
		{"GET", "/api/rooms/nosuchroom1", "", 404, "", "no live room"},
		{"GET", "/api/rooms/" + id + "/devices/ghost", "", 404, "", `no device "ghost"`},
		{"GET", "/api/rooms/" + id + "/events?since=x", "", 400, "since", "not a sequence number"},
		{"GET", "/api/teleport", "", 404, "", "openapi.json"},
		{"POST", "/rooms", `{"scene":"atlantis"}`, 422, "", "unknown scene"},
	}
	for _, tt := range tests {
		var p problemJSON
		res := s.do(t, tt.method, tt.path, tt.body, &p)
		if res.StatusCode != tt.status || p.Status != tt.status || p.Field != tt.field || !strings.Contains(p.Detail, tt.detail) ||
			res.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %s %s: %d %s %+v; want %d, field %q, detail with %q", tt.method, tt.path, tt.body,
				res.StatusCode, res.Header.Get("Content-Type"), p, tt.status, tt.field, tt.detail)
		}
	}
}

// An action posted to the API reaches every browser of the room, and the
// replica applies it at its tick.
func TestAPIActionReachesTheRoom(t *testing.T) {
	s := newAPIServer(t)
	id := s.newRoom(t, "open-api")
	ws := dialRoom(t, s, id)
	ws.kind(t, wire.KindPresence)
	s.clock.Advance(1000)
	var res actionResult
	if r := s.do(t, "POST", "/api/rooms/"+id+"/actions", `{"kind":"power","device":"fan"}`, &res); r.StatusCode != 202 {
		t.Fatalf("POST action: %d", r.StatusCode)
	}
	if res.Seq != 2 || res.At != 1000+apiLead {
		t.Errorf("result %+v, want seq 2 at %d", res, 1000+apiLead)
	}
	e := ws.kind(t, wire.KindAction)
	var act sim.Action
	json.Unmarshal(e.Body, &act)
	if e.Seq != 2 || e.From != "api" || act.Kind != sim.ActPower || act.Device != "fan" || act.On || act.At != res.At {
		t.Errorf("the browser got %+v %+v", e, act)
	}
	// The logged body says off, so event streams and logs read it so.
	if !strings.Contains(string(e.Body), `"on":false`) {
		t.Errorf("the logged power-off is %s, without \"on\":false", e.Body)
	}
	s.clock.Advance(5000)
	var fan deviceJSON
	s.do(t, "GET", "/api/rooms/"+id+"/devices/fan", "", &fan)
	if fan.Powered || fan.Online {
		t.Errorf("the fan is still powered in the replica: %+v", fan)
	}
}

// wsClient is a browser's WebSocket in a room.
type wsClient struct {
	conn *websocket.Conn
	ctx  context.Context
}

func dialRoom(t *testing.T, s *apiServer, id string) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.URL, "http")+"/ws?room="+id, nil)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadLimit(1 << 20)
	t.Cleanup(func() { conn.CloseNow() })
	return &wsClient{conn: conn, ctx: ctx}
}

func (c *wsClient) kind(t *testing.T, kind string) wire.Envelope {
	t.Helper()
	for {
		_, data, err := c.conn.Read(c.ctx)
		if err != nil {
			t.Fatalf("waiting for %s: %v", kind, err)
		}
		var e wire.Envelope
		json.Unmarshal(data, &e)
		if e.Kind == kind {
			return e
		}
	}
}

func (c *wsClient) send(t *testing.T, kind string, body any) {
	t.Helper()
	b, _ := json.Marshal(body)
	data, _ := json.Marshal(wire.Envelope{Kind: kind, Body: b})
	if err := c.conn.Write(c.ctx, websocket.MessageText, data); err != nil {
		t.Fatal(err)
	}
}

// Hash reports from a browser are checked by the replica: a true one
// passes, a false one is a divergence on /metrics.
func TestHashReportsAreChecked(t *testing.T) {
	s := newAPIServer(t)
	id := s.newRoom(t, "open-api")
	ws := dialRoom(t, s, id)
	ws.kind(t, wire.KindPresence)
	s.clock.Advance(2600)
	mark, _ := reference(t, "open-api", 2000).HashAt(2000)
	ws.send(t, wire.KindHash, wire.Hash{Tick: 2000, Hash: sim.HashString(mark)})
	ws.send(t, wire.KindHash, wire.Hash{Tick: 2000, Hash: "0000000000000bad"})
	deadline := time.Now().Add(20 * time.Second)
	var metrics string
	for time.Now().Before(deadline) {
		res, err := http.Get(s.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		metrics = string(b)
		if strings.Contains(metrics, "thingyard_replica_hash_checks_total 2\n") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(metrics, "thingyard_replica_hash_checks_total 2\n") || !strings.Contains(metrics, "thingyard_replica_divergences_total 1\n") ||
		!strings.Contains(metrics, "thingyard_replicas 1\n") {
		t.Errorf("metrics:\n%s", metrics)
	}
}

// The event stream sends the room's envelopes with their seq as id, and
// resumes after Last-Event-ID.
func TestAPIEvents(t *testing.T) {
	s := newAPIServer(t)
	id := s.newRoom(t, "open-api")
	for _, b := range []string{`{"kind":"cut","link":"internet"}`, `{"kind":"restore","link":"internet"}`} {
		s.do(t, "POST", "/api/rooms/"+id+"/actions", b, nil)
	}
	read := func(query, lastID string, n int) []string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/api/rooms/"+id+"/events"+query, nil)
		if lastID != "" {
			req.Header.Set("Last-Event-ID", lastID)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
			t.Fatalf("Content-Type %q", ct)
		}
		var ids []string
		sc := bufio.NewScanner(res.Body)
		for len(ids) < n && sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "id: "); ok {
				ids = append(ids, v)
			}
			if len(ids) == 2 && lastID == "" && query != "" {
				// the stream is live: what comes now arrives too
				s.do(t, "POST", "/api/rooms/"+id+"/actions", `{"kind":"cut","link":"net"}`, nil)
			}
		}
		return ids
	}
	if got := strings.Join(read("?since=0", "", 3), ","); got != "1,2,3" {
		t.Errorf("ids %s, want 1,2,3", got)
	}
	if got := strings.Join(read("", "2", 1), ","); got != "3" {
		t.Errorf("after Last-Event-ID 2: ids %s, want 3", got)
	}
}

// The open API is for outside programs and reaches the IoT side only:
// REST refuses an action on an M2M device or link with the words MQTT
// refuses a set with, and logs nothing; the IoT side takes them, and the
// echo of a power-off says "on": false.
func TestAPIReachesTheOpenSideOnly(t *testing.T) {
	s := newAPIServer(t)
	addr, logs := startTestBroker(t, s)
	id := s.newRoom(t, "open-api")
	s.clock.Advance(1000)
	path := "/api/rooms/" + id + "/actions"
	refused := []struct{ body, field, detail string }{
		{`{"kind":"power","device":"plc","on":false}`, "device", "plc is on the M2M side, which has no open API"},
		{`{"kind":"command","device":"guard","on":true}`, "device", "guard is on the M2M side"},
		{`{"kind":"set","device":"press","key":"period_ms","value":50}`, "device", "press is on the M2M side"},
		{`{"kind":"cut","link":"bus"}`, "link", "bus is a link of the M2M side, which has no open API"},
		{`{"kind":"add","link":"bus","device_kind":"sensor","count":2}`, "link", "bus is a link of the M2M side"},
		{`{"kind":"connect","device":"meter","link":"bus"}`, "link", "bus is a link of the M2M side"},
	}
	var plcWhy string
	for _, tt := range refused {
		var p problemJSON
		res := s.do(t, "POST", path, tt.body, &p)
		if res.StatusCode != http.StatusForbidden || p.Field != tt.field || !strings.Contains(p.Detail, tt.detail) || !strings.Contains(p.Detail, "outside programs (REST, MQTT)") {
			t.Errorf("POST %s: %d %+v; want 403, field %q, detail with %q", tt.body, res.StatusCode, p, tt.field, tt.detail)
		}
		if strings.Contains(tt.body, `"plc"`) {
			plcWhy = p.Detail
		}
	}
	var room roomJSON
	if s.do(t, "GET", "/api/rooms/"+id, "", &room); room.Seq != 0 {
		t.Errorf("the room logged %d refused actions", room.Seq)
	}
	s.clock.Advance(1000)
	var plc deviceJSON
	if s.do(t, "GET", "/api/rooms/"+id+"/devices/plc", "", &plc); !plc.Powered {
		t.Error("a refused power-off switched the PLC off")
	}

	// MQTT says the same of the same device.
	pub := dialMQTT(t, s, addr, "writer", id)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := pub.Publish(ctx, &paho.Publish{Topic: "thingyard/" + id + "/plc/set", Payload: []byte(`{"power":false}`), QoS: 0}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the MQTT refusal in the log", func() bool { return strings.Contains(logs.String(), "mqtt publish refused") })
	if l := logs.String(); plcWhy == "" || !strings.Contains(l, plcWhy) {
		t.Errorf("MQTT refused plc/set without REST's words %q:\n%s", plcWhy, l)
	}

	// The IoT side takes them; a power-off echoes as one.
	for _, body := range []string{`{"kind":"power","device":"fan","on":false}`, `{"kind":"cut","link":"internet"}`, `{"kind":"cut","link":"net"}`} {
		var res map[string]any
		r := s.do(t, "POST", path, body, &res)
		act, _ := res["action"].(map[string]any)
		if r.StatusCode != http.StatusAccepted || act == nil {
			t.Errorf("POST %s: %d %v", body, r.StatusCode, res)
			continue
		}
		if on, ok := act["on"]; strings.Contains(body, `"power"`) && (!ok || on != false) {
			t.Errorf("POST %s echoes %v: a power-off must say \"on\": false", body, act)
		}
	}
}

// The API names its two clocks: tick and sampled_ms are world time (one
// tick a simulated ms), time is the room's real-time clock, and a room's
// world runs ten times slower than it: ten real seconds are 1,000 ticks.
func TestAPIClocks(t *testing.T) {
	s := newAPIServer(t)
	start := s.clock.Now()
	id := s.newRoom(t, "open-api")
	s.clock.Advance(1000) // moves the room's clock on by 10 s
	var room roomJSON
	s.do(t, "GET", "/api/rooms/"+id, "", &room)
	if got := s.clock.Now().Sub(start); got != 10*time.Second {
		t.Fatalf("the test clock moved %v", got)
	}
	if room.Tick != 1000 || room.RealMsPerTick != 10 || room.Time != "2026-03-01T09:00:10.000Z" {
		t.Errorf("after 10 real seconds: tick %d, real_ms_per_tick %d, time %q; want 1000, 10 and 09:00:10", room.Tick, room.RealMsPerTick, room.Time)
	}
	var meter deviceJSON
	s.do(t, "GET", "/api/rooms/"+id+"/devices/meter", "", &meter)
	if len(meter.Readings) != 1 || meter.Readings[0].SampledMs <= 0 || meter.Readings[0].SampledMs > room.Tick {
		t.Errorf("meter readings %+v: sampled_ms is not on the clock of tick %d", meter.Readings, room.Tick)
	}
}
