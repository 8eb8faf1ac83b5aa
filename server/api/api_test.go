package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/thingyard/thingyard/internal/testkit"
	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/server/api"
	"github.com/thingyard/thingyard/server/api/apitest"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

func TestAPIRoomAndDevices(t *testing.T) {
	s := apitest.New(t)
	id := s.NewRoom(t, "open-api")
	s.Clock.Advance(30_000)
	var room api.Room
	if res := s.Do(t, "GET", "/api/rooms/"+id, "", &room); res.StatusCode != 200 {
		t.Fatalf("GET room: %d", res.StatusCode)
	}
	want := reference(t, "open-api", 30_000)
	if room.ID != id || room.Scene != "open-api" || room.Tick != 30_000 || room.Hash != sim.HashString(want.Hash()) || room.Members == nil {
		t.Errorf("room %+v, want tick 30000 and hash %s", room, sim.HashString(want.Hash()))
	}
	var devs struct {
		Room    string
		Tick    int64
		Devices []api.Device
	}
	s.Do(t, "GET", "/api/rooms/"+id+"/devices", "", &devs)
	byID := map[string]api.Device{}
	for _, d := range devs.Devices {
		byID[d.ID] = d
	}
	meter, press, fan := byID["meter"], byID["press"], byID["fan"]
	info, _ := want.Device("meter")
	if !meter.Open || meter.Side != "iot" || meter.Topic != "thingyard/"+id+"/meter" || !meter.Online || len(meter.Readings) != 1 ||
		meter.Readings[0] != (api.Reading{Metric: "power", Value: info.Value, Unit: "W", SampledMs: info.SampledMs}) {
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
	var one api.Device
	if s.Do(t, "GET", "/api/rooms/"+id+"/devices/meter", "", &one); one.ID != "meter" || one.Topic != meter.Topic {
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
	s := apitest.New(t)
	id := s.NewRoom(t, "open-api")
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
		var p apitest.Problem
		res := s.Do(t, tt.method, tt.path, tt.body, &p)
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
	s := apitest.New(t)
	id := s.NewRoom(t, "open-api")
	ws := s.DialRoom(t, id)
	ws.Kind(t, wire.KindPresence)
	s.Clock.Advance(1000)
	var res api.ActionResult
	if r := s.Do(t, "POST", "/api/rooms/"+id+"/actions", `{"kind":"power","device":"fan"}`, &res); r.StatusCode != 202 {
		t.Fatalf("POST action: %d", r.StatusCode)
	}
	if res.Seq != 2 || res.At != 1000+wire.Lead {
		t.Errorf("result %+v, want seq 2 at %d", res, 1000+wire.Lead)
	}
	e := ws.Kind(t, wire.KindAction)
	var act sim.Action
	json.Unmarshal(e.Body, &act)
	if e.Seq != 2 || e.From != "api" || act.Kind != sim.ActPower || act.Device != "fan" || act.On || act.At != res.At {
		t.Errorf("the browser got %+v %+v", e, act)
	}
	// The logged body says off, so event streams and logs read it so.
	if !strings.Contains(string(e.Body), `"on":false`) {
		t.Errorf("the logged power-off is %s, without \"on\":false", e.Body)
	}
	s.Clock.Advance(5000)
	var fan api.Device
	s.Do(t, "GET", "/api/rooms/"+id+"/devices/fan", "", &fan)
	if fan.Powered || fan.Online {
		t.Errorf("the fan is still powered in the replica: %+v", fan)
	}
}

// Hash reports from a browser are checked by the replica: a true one
// passes, a false one is a divergence in the replicas' metrics.
func TestHashReportsAreChecked(t *testing.T) {
	s := apitest.New(t)
	id := s.NewRoom(t, "open-api")
	ws := s.DialRoom(t, id)
	ws.Kind(t, wire.KindPresence)
	s.Clock.Advance(2600)
	mark, _ := reference(t, "open-api", 2000).HashAt(2000)
	ws.Send(t, wire.KindHash, wire.Hash{Tick: 2000, Hash: sim.HashString(mark)})
	ws.Send(t, wire.KindHash, wire.Hash{Tick: 2000, Hash: "0000000000000bad"})
	var metrics string
	testkit.Eventually(t, 20*time.Second, "both hash reports checked", func() bool {
		var b strings.Builder
		s.Reps.WriteMetrics(&b)
		metrics = b.String()
		return strings.Contains(metrics, "thingyard_replica_hash_checks_total 2\n")
	})
	if !strings.Contains(metrics, "thingyard_replica_divergences_total 1\n") || !strings.Contains(metrics, "thingyard_replicas 1\n") {
		t.Errorf("metrics:\n%s", metrics)
	}
}

// The event stream sends the room's envelopes with their seq as id, and
// resumes after Last-Event-ID.
func TestAPIEvents(t *testing.T) {
	s := apitest.New(t)
	id := s.NewRoom(t, "open-api")
	for _, b := range []string{`{"kind":"cut","link":"internet"}`, `{"kind":"restore","link":"internet"}`} {
		s.Do(t, "POST", "/api/rooms/"+id+"/actions", b, nil)
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
				s.Do(t, "POST", "/api/rooms/"+id+"/actions", `{"kind":"cut","link":"net"}`, nil)
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

// The API names its two clocks: tick and sampled_ms are world time (one
// tick a simulated ms), time is the room's real-time clock, and a room's
// world runs ten times slower than it: ten real seconds are 1,000 ticks.
func TestAPIClocks(t *testing.T) {
	s := apitest.New(t)
	start := s.Clock.Now()
	id := s.NewRoom(t, "open-api")
	s.Clock.Advance(1000) // moves the room's clock on by 10 s
	var room api.Room
	s.Do(t, "GET", "/api/rooms/"+id, "", &room)
	if got := s.Clock.Now().Sub(start); got != 10*time.Second {
		t.Fatalf("the test clock moved %v", got)
	}
	if room.Tick != 1000 || room.RealMsPerTick != 10 || room.Time != "2026-03-01T09:00:10.000Z" {
		t.Errorf("after 10 real seconds: tick %d, real_ms_per_tick %d, time %q; want 1000, 10 and 09:00:10", room.Tick, room.RealMsPerTick, room.Time)
	}
	var meter api.Device
	s.Do(t, "GET", "/api/rooms/"+id+"/devices/meter", "", &meter)
	if len(meter.Readings) != 1 || meter.Readings[0].SampledMs <= 0 || meter.Readings[0].SampledMs > room.Tick {
		t.Errorf("meter readings %+v: sampled_ms is not on the clock of tick %d", meter.Readings, room.Tick)
	}
}
