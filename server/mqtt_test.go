package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// logBuffer collects log lines that the test reads while servers write.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *logBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// startTestBroker adds the MQTT broker to an API server.
func startTestBroker(t *testing.T, s *apiServer) (string, *logBuffer) {
	t.Helper()
	_, addr, logs := startTestBrokerOf(t, s)
	return addr, logs
}

func startTestBrokerOf(t *testing.T, s *apiServer) (*broker, string, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	b, addr, err := newBroker("127.0.0.1:0", s.reps, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.start(ctx, s.rel); err != nil {
		t.Fatal(err)
	}
	return b, addr, logs
}

// mqttClient is a paho client that keeps what it receives.
type mqttClient struct {
	*paho.Client
	mu   sync.Mutex
	got  map[string][]byte
	keep map[string]bool // retained flags as received
}

func dialMQTT(t *testing.T, addr, id string) *mqttClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	mc := &mqttClient{got: map[string][]byte{}, keep: map[string]bool{}}
	mc.Client = paho.NewClient(paho.ClientConfig{ClientID: id, Conn: conn,
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(p paho.PublishReceived) (bool, error) {
			mc.mu.Lock()
			mc.got[p.Packet.Topic] = p.Packet.Payload
			mc.keep[p.Packet.Topic] = p.Packet.Retain
			mc.mu.Unlock()
			return true, nil
		}}})
	if _, err := mc.Connect(ctx, &paho.Connect{ClientID: id, CleanStart: true, KeepAlive: 30}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mc.Disconnect(&paho.Disconnect{}) })
	return mc
}

func (mc *mqttClient) subscribe(t *testing.T, filter string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := mc.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: filter, QoS: 0}}}); err != nil {
		t.Fatal(err)
	}
}

// waitTopics waits until every topic has arrived and returns what has.
func (mc *mqttClient) waitTopics(t *testing.T, topics ...string) map[string][]byte {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		mc.mu.Lock()
		missing := ""
		for _, tp := range topics {
			if _, ok := mc.got[tp]; !ok {
				missing = tp
			}
		}
		got := map[string][]byte{}
		for k, v := range mc.got {
			got[k] = v
		}
		mc.mu.Unlock()
		if missing == "" {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("no message on %s; got %v", missing, keys(got))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func keys(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// The open devices of a live room publish their readings, retained, as the
// REST API reports them; the closed ones publish nothing.
func TestMQTTReadings(t *testing.T) {
	s := newAPIServer(t)
	addr, _ := startTestBroker(t, s)
	id := s.newRoom(t, "open-api")
	s.clock.Advance(30_000)
	p := "thingyard/" + id + "/"
	sub := dialMQTT(t, addr, "reader")
	sub.subscribe(t, "thingyard/#")
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
	var meter deviceJSON
	s.do(t, "GET", "/api/rooms/"+id+"/devices/meter", "", &meter)
	if len(meter.Readings) != 1 || r.Value != meter.Readings[0].Value || r.Unit != "W" || r.Tick != meter.Readings[0].SampledMs {
		t.Errorf("MQTT says %+v, REST says %+v", r, meter.Readings)
	}
	if _, err := time.Parse(time.RFC3339, r.Time); err != nil {
		t.Errorf("time %q: %v", r.Time, err)
	}

	// A late subscriber gets the last values at once, retained.
	late := dialMQTT(t, addr, "late")
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
	s := newAPIServer(t)
	addr, logs := startTestBroker(t, s)
	id := s.newRoom(t, "open-api")
	ws := dialRoom(t, s, id)
	ws.kind(t, wire.KindPresence)
	s.clock.Advance(1000)
	pub := dialMQTT(t, addr, "writer")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := "thingyard/" + id + "/"
	refused := []struct{ topic, payload, why string }{
		{p + "press/set", `{"power":false}`, "M2M side"},
		{p + "meter/power", `{"value":1}`, "only to thingyard/{room}/{device}/set"},
		{p + "meter/set", `{"on":true}`, "is a sensor"},
		{p + "fan/set", `{"spin":true}`, "unknown field"},
		{p + "ghost/set", `on`, "has no device"},
		{"thingyard/nosuchroom1/fan/set", `on`, "no live room"},
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
	e := ws.kind(t, wire.KindAction)
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
	ws.kind(t, wire.KindAction)
	s.clock.Advance(5000)
	var meter deviceJSON
	s.do(t, "GET", "/api/rooms/"+id+"/devices/meter", "", &meter)
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

// scrape reads a /metrics page into sample name -> value.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	got := map[string]float64{}
	for _, l := range strings.Split(string(b), "\n") {
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

// /metrics counts the broker's clients, its own publishes, the set
// publishes that became actions and those it refused.
func TestMQTTMetrics(t *testing.T) {
	s := newAPIServer(t)
	b, addr, _ := startTestBrokerOf(t, s)
	mux := http.NewServeMux()
	routes(mux, nil, s.rel, nil, b)
	web := httptest.NewServer(mux)
	t.Cleanup(web.Close)
	id := s.newRoom(t, "open-api")
	ws := dialRoom(t, s, id)
	ws.kind(t, wire.KindPresence)
	s.clock.Advance(1000)
	p := "thingyard/" + id + "/"

	m := scrape(t, web.URL+"/metrics")
	for _, name := range []string{"thingyard_mqtt_clients", "thingyard_mqtt_published_total", "thingyard_mqtt_sets_total", "thingyard_mqtt_refused_total"} {
		if v, ok := m[name]; !ok || v != 0 {
			t.Errorf("before any client: %s = %v (present %v), want 0", name, v, ok)
		}
	}
	if m["thingyard_rooms"] != 1 || m["thingyard_replicas"] != 1 {
		t.Errorf("the relay's and replicas' metrics are missing: %v", m)
	}

	sub := dialMQTT(t, addr, "reader")
	sub.subscribe(t, "thingyard/#")
	got := sub.waitTopics(t, p+"meter/power", p+"fan/on")
	pub := dialMQTT(t, addr, "writer")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := pub.Publish(ctx, &paho.Publish{Topic: p + "press/set", Payload: []byte("on"), QoS: 0}); err != nil {
		t.Fatal(err)
	}
	if _, err := pub.Publish(ctx, &paho.Publish{Topic: p + "fan/set", Payload: []byte("on"), QoS: 1}); err != nil {
		t.Fatal(err)
	}
	ws.kind(t, wire.KindAction) // the accepted set, after the refused one on the same connection

	m = scrape(t, web.URL+"/metrics")
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
