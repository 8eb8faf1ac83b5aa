package mqttbridge

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/thingyard/thingyard/internal/testkit"
	"github.com/thingyard/thingyard/server/api"
	"github.com/thingyard/thingyard/server/api/apitest"
	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// The open devices of a live room publish their readings, retained, as the
// REST API reports them; the closed ones publish nothing.
func TestMQTTReadings(t *testing.T) {
	s := apitest.New(t)
	addr, _ := startTestBroker(t, s)
	id := s.NewRoom(t, "open-api")
	s.Clock.Advance(30_000)
	p := "thingyard/" + id + "/"
	sub := dialMQTT(t, s, addr, "reader", id)
	sub.subscribe(t, p+"#")
	got := sub.waitTopics(t, p+"meter/power", p+"air/co2", p+"fan/on", p+"broker/online", p+"outside/online")
	for topic := range got {
		for _, closed := range []string{"plc", "press", "guard"} {
			if strings.HasPrefix(topic, p+closed+"/") {
				t.Errorf("the M2M device %s published on %s", closed, topic)
			}
		}
	}
	var r struct {
		Value float64
		Unit  string
		Time  string
		Tick  int64
	}
	if err := json.Unmarshal(got[p+"meter/power"], &r); err != nil {
		t.Fatalf("payload %s: %v", got[p+"meter/power"], err)
	}
	var meter api.Device
	s.Do(t, "GET", "/api/rooms/"+id+"/devices/meter", "", &meter)
	if len(meter.Readings) != 1 || r.Value != meter.Readings[0].Value || r.Unit != "W" || r.Tick != meter.Readings[0].SampledMs {
		t.Errorf("MQTT says %+v, REST says %+v", r, meter.Readings)
	}
	if _, err := time.Parse(time.RFC3339, r.Time); err != nil {
		t.Errorf("time %q: %v", r.Time, err)
	}

	// A late subscriber gets the last values at once, retained.
	late := dialMQTT(t, s, addr, "late", id)
	late.subscribe(t, p+"meter/#")
	late.waitTopics(t, p+"meter/power", p+"meter/online")
	late.mu.Lock()
	retained := late.keep[p+"meter/power"]
	late.mu.Unlock()
	if !retained {
		t.Error("a late subscriber's first power reading is not retained")
	}
}

// A publish to a set topic is an action every browser of the room gets;
// anything else a client publishes is refused with a log line.
func TestMQTTSet(t *testing.T) {
	s := apitest.New(t)
	addr, logs := startTestBroker(t, s)
	id := s.NewRoom(t, "open-api")
	ws := s.DialRoom(t, id)
	ws.Kind(t, wire.KindPresence)
	s.Clock.Advance(1000)
	pub := dialMQTT(t, s, addr, "writer", id)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := "thingyard/" + id + "/"
	refused := []struct{ topic, payload, why string }{
		{p + "press/set", `{"power":false}`, "M2M side"},
		{p + "meter/power", `{"value":1}`, "only to thingyard/{room}/{device}/set"},
		{p + "meter/set", `{"on":true}`, "is a sensor"},
		{p + "fan/set", `{"spin":true}`, "unknown field"},
		{p + "ghost/set", `on`, "has no device"},
		{"thingyard/nosuchroom1/fan/set", `on`, "publishes only to thingyard/" + id + "/{device}/set"},
		{p + "fan/set", strings.Repeat("x", maxSet+1), "at most 1024 bytes"},
	}
	for _, r := range refused {
		if _, err := pub.Publish(ctx, &paho.Publish{Topic: r.topic, Payload: []byte(r.payload), QoS: 0}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pub.Publish(ctx, &paho.Publish{Topic: p + "fan/set", Payload: []byte(`{"on":true}`), QoS: 1}); err != nil {
		t.Fatal(err)
	}
	e := ws.Kind(t, wire.KindAction)
	var act sim.Action
	json.Unmarshal(e.Body, &act)
	if act.Kind != sim.ActCommand || act.Device != "fan" || !act.On || e.From != "mqtt:writer" {
		t.Errorf("the browser got %s from %s", e.Body, e.From)
	}
	// The refusals came before the command, on the same connection.
	l := logs.String()
	for _, r := range refused {
		if !strings.Contains(l, "mqtt publish refused") || !strings.Contains(l, r.why) {
			t.Errorf("no log line saying %q for %s:\n%s", r.why, r.topic, l)
		}
	}
	if _, err := pub.Publish(ctx, &paho.Publish{Topic: p + "meter/set", Payload: []byte(`{"key":"label","text":"Hall meter"}`), QoS: 1}); err != nil {
		t.Fatal(err)
	}
	ws.Kind(t, wire.KindAction)
	s.Clock.Advance(5000)
	var meter api.Device
	s.Do(t, "GET", "/api/rooms/"+id+"/devices/meter", "", &meter)
	if meter.Label != "Hall meter" {
		t.Errorf("the meter was not relabelled: %+v", meter)
	}
}

func TestParseSet(t *testing.T) {
	tests := []struct {
		kind, payload string
		want          sim.Action
		err           string
	}{
		{"actuator", "on", sim.Action{Kind: sim.ActCommand, Device: "d", On: true}, ""},
		{"actuator", " OFF\n", sim.Action{Kind: sim.ActCommand, Device: "d"}, ""},
		{"board", `{"on":true}`, sim.Action{Kind: sim.ActCommand, Device: "d", On: true}, ""},
		{"sensor", `{"power":false}`, sim.Action{Kind: sim.ActPower, Device: "d"}, ""},
		{"sensor", `{"key":"period_ms","value":500}`, sim.Action{Kind: sim.ActSet, Device: "d", Key: "period_ms", Value: 500}, ""},
		{"sensor", `{"key":"label","text":"Hall"}`, sim.Action{Kind: sim.ActSet, Device: "d", Key: "label", Text: "Hall"}, ""},
		{"sensor", `{"on":true}`, sim.Action{}, "is a sensor"},
		{"sensor", `{"key":"colour","value":1}`, sim.Action{}, "unknown device key"},
		{"sensor", `{"on":true,"power":true}`, sim.Action{}, "exactly one"},
		{"sensor", `{}`, sim.Action{}, "exactly one"},
		{"sensor", `maybe`, sim.Action{}, "the payload must be"},
	}
	for _, tt := range tests {
		got, err := parseSet("d", tt.kind, []byte(tt.payload))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s %q: err %v, want %q", tt.kind, tt.payload, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s %q: %+v, %v; want %+v", tt.kind, tt.payload, got, err, tt.want)
		}
	}
}

// scrape reads the broker's metrics into sample name -> value.
func scrape(t *testing.T, b *Broker) map[string]float64 {
	t.Helper()
	var page strings.Builder
	b.WriteMetrics(&page)
	got := map[string]float64{}
	for _, l := range strings.Split(page.String(), "\n") {
		name, v, ok := strings.Cut(l, " ")
		if !ok || strings.HasPrefix(l, "#") {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", l, err)
		}
		got[name] = f
	}
	return got
}

// The metrics count the broker's clients, its own publishes, the set
// publishes that became actions and those it refused.
func TestMQTTMetrics(t *testing.T) {
	s := apitest.New(t)
	b, addr, _ := startTestBrokerOf(t, s, false)
	id := s.NewRoom(t, "open-api")
	ws := s.DialRoom(t, id)
	ws.Kind(t, wire.KindPresence)
	s.Clock.Advance(1000)
	p := "thingyard/" + id + "/"

	m := scrape(t, b)
	for _, name := range []string{"thingyard_mqtt_clients", "thingyard_mqtt_published_total", "thingyard_mqtt_sets_total", "thingyard_mqtt_refused_total"} {
		if v, ok := m[name]; !ok || v != 0 {
			t.Errorf("before any client: %s = %v (present %v), want 0", name, v, ok)
		}
	}

	sub := dialMQTT(t, s, addr, "reader", id)
	sub.subscribe(t, p+"#")
	got := sub.waitTopics(t, p+"meter/power", p+"fan/on")
	pub := dialMQTT(t, s, addr, "writer", id)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := pub.Publish(ctx, &paho.Publish{Topic: p + "press/set", Payload: []byte("on"), QoS: 0}); err != nil {
		t.Fatal(err)
	}
	if _, err := pub.Publish(ctx, &paho.Publish{Topic: p + "fan/set", Payload: []byte("on"), QoS: 1}); err != nil {
		t.Fatal(err)
	}
	ws.Kind(t, wire.KindAction) // the accepted set, after the refused one on the same connection

	m = scrape(t, b)
	want := map[string]float64{"thingyard_mqtt_clients": 2, "thingyard_mqtt_sets_total": 1, "thingyard_mqtt_refused_total": 1}
	for name, v := range want {
		if m[name] != v {
			t.Errorf("%s = %v, want %v", name, m[name], v)
		}
	}
	if n := m["thingyard_mqtt_published_total"]; n < float64(len(got)) {
		t.Errorf("thingyard_mqtt_published_total = %v, but a subscriber got %d topics", n, len(got))
	}
}

// The broker steps and publishes only the rooms a connected client
// follows, and drops a room's retained topics once nobody follows it.
func TestMQTTPublishesOnlyFollowedRooms(t *testing.T) {
	s := apitest.New(t)
	b, addr, _ := startTestBrokerOf(t, s, false)
	a := s.NewRoom(t, "open-api")
	other := s.NewRoom(t, "open-api")
	s.Clock.Advance(3000)
	var devs struct {
		Tick    int64
		Devices []api.Device
	}
	s.Do(t, "GET", "/api/rooms/"+a+"/devices", "", &devs)
	pa := "thingyard/" + a + "/"
	mc := dialMQTT(t, s, addr, "follower", a)
	mc.subscribe(t, pa+"#")
	mc.waitTopics(t, pa+"meter/power")
	b.publish() // a whole round, whatever the broker's own were doing
	if got, want := s.Reps.Stats().Ticks, devs.Tick*int64(len(devs.Devices)); got != want {
		t.Errorf("the replicas stepped %d device-ticks, room A alone %d: a room nobody follows was stepped", got, want)
	}
	if n := len(b.srv.Topics.Messages("thingyard/" + other + "/#")); n > 0 {
		t.Errorf("a room nobody follows has %d retained topics", n)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := mc.Unsubscribe(ctx, &paho.Unsubscribe{Topics: []string{pa + "#"}}); err != nil {
		t.Fatal(err)
	}
	b.publish()
	if n := len(b.srv.Topics.Messages(pa + "#")); n > 0 {
		t.Errorf("room A keeps %d retained topics after its last follower left", n)
	}
}

// A removed room's retained topics go, and so do its MQTT clients.
func TestMQTTRoomRemoved(t *testing.T) {
	s := apitest.New(t)
	b, addr, logs := startTestBrokerOf(t, s, false)
	id := s.NewRoom(t, "open-api")
	s.Clock.Advance(1000)
	p := "thingyard/" + id + "/"
	mc := dialMQTT(t, s, addr, "follower", id)
	mc.subscribe(t, p+"#")
	mc.waitTopics(t, p+"meter/power")
	s.Clock.Advance(relay.DefaultIdleAfter.Milliseconds() / wire.MsPerTick)
	if n := s.Rel.Sweep(); n != 1 {
		t.Fatalf("swept %d rooms, want the idle one", n)
	}
	b.publish()
	if n := len(b.srv.Topics.Messages(p + "#")); n > 0 {
		t.Errorf("a removed room keeps %d retained topics", n)
	}
	select {
	case <-mc.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("the client of a removed room is still connected")
	}
	if l := logs.String(); !strings.Contains(l, "its room was removed") {
		t.Errorf("no log line saying why the client was dropped:\n%s", l)
	}
}

// A room keeps at most maxRoomTopics retained topics, however many open
// devices it has, and the log says it publishes only part of it.
func TestMQTTRoomTopicsBounded(t *testing.T) {
	s := apitest.New(t)
	b, addr, logs := startTestBrokerOf(t, s, false)
	id := s.NewRoom(t, "open-api")
	const sensors = maxRoomTopics * 3 / 5 // a reading and online each: more topics than the bound
	if res := s.Do(t, "POST", "/api/rooms/"+id+"/actions", fmt.Sprintf(`{"kind":"add","count":%d,"device_kind":"sensor","link":"net"}`, sensors), nil); res.StatusCode != http.StatusAccepted {
		t.Fatalf("add sensors: %d", res.StatusCode)
	}
	s.Clock.Advance(1000)
	p := "thingyard/" + id + "/"
	mc := dialMQTT(t, s, addr, "follower", id)
	mc.subscribe(t, p+"#")
	b.publish()
	if n := len(b.srv.Topics.Messages(p + "#")); n != maxRoomTopics {
		t.Errorf("the room has %d retained topics, want %d", n, maxRoomTopics)
	}
	if l := logs.String(); !strings.Contains(l, "mqtt publishes only part of a room") {
		t.Errorf("no log line saying the room is published in part:\n%s", l)
	}
}

// A board's named readings (plotter lines such as temp:21.5,hum:40) are a
// metric each, on REST and on MQTT, as the room's log has them.
func TestBoardReadingsKeepTheirNames(t *testing.T) {
	s := apitest.New(t)
	b, addr, _ := startTestBrokerOf(t, s, false)
	id := s.NewRoom(t, "real-board")
	ws := s.DialRoom(t, id)
	ws.Kind(t, wire.KindPresence)
	s.Clock.Advance(100)
	ws.Send(t, wire.KindReading, sim.Action{Kind: sim.ActReading, Device: "board", At: 100 + wire.Lead,
		Readings: []sim.Reading{{Name: "temp", Value: 21.5}, {Name: "hum", Value: 40}, {Name: "on", Value: 1}}})
	ws.Kind(t, wire.KindReading)
	s.Clock.Advance(100)

	var board api.Device
	s.Do(t, "GET", "/api/rooms/"+id+"/devices/board", "", &board)
	got := map[string]float64{}
	for _, r := range board.Readings {
		got[r.Metric] = r.Value
		if r.SampledMs != 100+wire.Lead {
			t.Errorf("%s sampled at %d, want %d", r.Metric, r.SampledMs, 100+wire.Lead)
		}
	}
	want := map[string]float64{"temp": 21.5, "hum": 40, "reading_on": 1}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("REST has the board's readings %v, want %v", got, want)
	}

	p := "thingyard/" + id + "/board/"
	mc := dialMQTT(t, s, addr, "reader", id)
	mc.subscribe(t, p+"#")
	b.publish()
	topics := mc.waitTopics(t, p+"temp", p+"hum", p+"reading_on", p+"on")
	for metric, v := range want {
		var r reading
		if err := json.Unmarshal(topics[p+metric], &r); err != nil || r.Value != v {
			t.Errorf("%s%s: %s, want value %v", p, metric, topics[p+metric], v)
		}
	}
	var on reading
	if json.Unmarshal(topics[p+"on"], &on); on.Value != false {
		t.Errorf("%son is %s: a reading named on took the board's own on topic", p, topics[p+"on"])
	}
	if _, ok := topics[p+"value"]; ok {
		t.Errorf("the board still publishes %svalue beside its named readings", p)
	}
}

// last is the last payload received on topic, decoded, and how many
// messages came on it.
func (mc *mqttClient) last(t *testing.T, topic string) (reading, int) {
	t.Helper()
	mc.mu.Lock()
	defer mc.mu.Unlock()
	var r reading
	if b := mc.got[topic]; b != nil {
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("%s: payload %s: %v", topic, b, err)
		}
	}
	return r, mc.n[topic]
}

// What an outside MQTT client sees follows the world: once the internet
// is cut, nothing new comes from the devices whose path to the broker is
// cut, their last values are republished once marked stale and their
// online topics say false; when it is back, fresh values come again.
func TestMQTTFollowsTheCut(t *testing.T) {
	s := apitest.New(t)
	b, addr, _ := startTestBrokerOf(t, s, false)
	id := s.NewRoom(t, "open-api")
	s.Clock.Advance(30_000)
	p := "thingyard/" + id + "/"
	mc := dialMQTT(t, s, addr, "reader", id)
	mc.subscribe(t, p+"#")
	b.publish()
	mc.waitTopics(t, p+"meter/power", p+"meter/online", p+"fan/on")
	before, _ := mc.last(t, p+"meter/power")
	fanBefore, _ := mc.last(t, p+"fan/on")

	if res := s.Do(t, "POST", "/api/rooms/"+id+"/actions", `{"kind":"cut","link":"internet"}`, nil); res.StatusCode != http.StatusAccepted {
		t.Fatalf("cut the internet: %d", res.StatusCode)
	}
	s.Clock.Advance(5000)
	b.publish()
	// One publish sends the three topics one after another, so all three
	// are waited for: the fan's may still be on its way when the meter's
	// have come.
	testkit.Eventually(t, 20*time.Second, "meter/online false, meter/power and fan/on stale", func() bool {
		on, _ := mc.last(t, p+"meter/online")
		pw, _ := mc.last(t, p+"meter/power")
		fan, _ := mc.last(t, p+"fan/on")
		return on.Value == false && pw.Stale && fan.Stale
	})
	stale, n := mc.last(t, p+"meter/power")
	if stale.Value != before.Value || stale.Tick != before.Tick {
		t.Errorf("the stale power reading is %+v, want the last one the broker had, %+v", stale, before)
	}
	if fan, _ := mc.last(t, p+"fan/on"); fan.Value != fanBefore.Value || fan.Tick != fanBefore.Tick {
		t.Errorf("fan/on is %+v, want its last state before the cut, %+v, marked stale", fan, fanBefore)
	}
	// Ten more seconds of the room: the meter measures on, but nothing of
	// it reaches the broker, so nothing new is published.
	s.Clock.Advance(10_000)
	b.publish()
	b.publish()
	var meter api.Device
	s.Do(t, "GET", "/api/rooms/"+id+"/devices/meter", "", &meter)
	if meter.ReachesBroker || meter.Online || len(meter.Readings) != 1 || meter.Readings[0].SampledMs <= before.Tick {
		t.Errorf("REST says %+v: want a meter that measures on, offline, its path to the broker cut", meter)
	}
	if got, m := mc.last(t, p+"meter/power"); m != n || got != stale {
		t.Errorf("meter/power got %d more messages while cut, the last %+v", m-n, got)
	}

	if res := s.Do(t, "POST", "/api/rooms/"+id+"/actions", `{"kind":"restore","link":"internet"}`, nil); res.StatusCode != http.StatusAccepted {
		t.Fatalf("restore the internet: %d", res.StatusCode)
	}
	s.Clock.Advance(5000)
	b.publish()
	testkit.Eventually(t, 20*time.Second, "fresh readings after the internet is back", func() bool {
		on, _ := mc.last(t, p+"meter/online")
		pw, _ := mc.last(t, p+"meter/power")
		return on.Value == true && !pw.Stale && pw.Tick > before.Tick
	})
}

// The open API is for outside programs and reaches the IoT side only:
// REST refuses an action on an M2M device or link with the words MQTT
// refuses a set with, and logs nothing; the IoT side takes them, and the
// echo of a power-off says "on": false.
func TestAPIReachesTheOpenSideOnly(t *testing.T) {
	s := apitest.New(t)
	addr, logs := startTestBroker(t, s)
	id := s.NewRoom(t, "open-api")
	s.Clock.Advance(1000)
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
		var p apitest.Problem
		res := s.Do(t, "POST", path, tt.body, &p)
		if res.StatusCode != http.StatusForbidden || p.Field != tt.field || !strings.Contains(p.Detail, tt.detail) || !strings.Contains(p.Detail, "outside programs (REST, MQTT)") {
			t.Errorf("POST %s: %d %+v; want 403, field %q, detail with %q", tt.body, res.StatusCode, p, tt.field, tt.detail)
		}
		if strings.Contains(tt.body, `"plc"`) {
			plcWhy = p.Detail
		}
	}
	var room api.Room
	if s.Do(t, "GET", "/api/rooms/"+id, "", &room); room.Seq != 0 {
		t.Errorf("the room logged %d refused actions", room.Seq)
	}
	s.Clock.Advance(1000)
	var plc api.Device
	if s.Do(t, "GET", "/api/rooms/"+id+"/devices/plc", "", &plc); !plc.Powered {
		t.Error("a refused power-off switched the PLC off")
	}

	// MQTT says the same of the same device.
	pub := dialMQTT(t, s, addr, "writer", id)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := pub.Publish(ctx, &paho.Publish{Topic: "thingyard/" + id + "/plc/set", Payload: []byte(`{"power":false}`), QoS: 0}); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 20*time.Second, "the MQTT refusal in the log", func() bool { return strings.Contains(logs.String(), "mqtt publish refused") })
	if l := logs.String(); plcWhy == "" || !strings.Contains(l, plcWhy) {
		t.Errorf("MQTT refused plc/set without REST's words %q:\n%s", plcWhy, l)
	}

	// The IoT side takes them; a power-off echoes as one.
	for _, body := range []string{`{"kind":"power","device":"fan","on":false}`, `{"kind":"cut","link":"internet"}`, `{"kind":"cut","link":"net"}`} {
		var res map[string]any
		r := s.Do(t, "POST", path, body, &res)
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
