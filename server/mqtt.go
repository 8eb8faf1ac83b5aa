package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/server/replica"
	"github.com/thingyard/thingyard/sim"
)

// MQTT limits and timing.
const (
	// publishEvery is how often the broker publishes the open devices'
	// readings of every live room, and only while a client is connected:
	// 1 s of the room's clock, 100 ticks. A sensor that samples faster has
	// its latest value published.
	publishEvery = time.Second
	maxTopic     = 256     // bytes in a topic a client publishes to
	maxSet       = 1024    // bytes in a set payload
	maxPacket    = 8 << 10 // bytes in any packet a client sends
	maxClients   = 1000    // connected MQTT clients at once
	setRate      = 10      // set publishes a second one client may make
	setBurst     = 20      // set publishes one client may make at once
)

// broker is the embedded MQTT broker of the open API. The open (IoT)
// devices of every live room publish, retained,
//
//	thingyard/{room}/{device}/{metric}  {"value":…,"unit":…,"time":…,"tick":…}
//
// with a metric per quantity measured, "on" for actuators and boards and
// "online" for all; a publish to thingyard/{room}/{device}/set becomes an
// action in the room (see parseSet). The closed (M2M) devices have no
// topics. Clients may subscribe to anything and publish only to set topics.
type broker struct {
	mqtt.HookBase
	srv  *mqtt.Server
	rel  *relay.Relay
	reps *replica.Set
	log  *slog.Logger
	wake chan struct{}

	mu      sync.Mutex
	last    map[string]map[string]string // room -> topic -> what was last published
	buckets map[string]*bucket           // client id -> its set allowance

	// published counts the broker's own publishes of readings, sets the
	// client publishes that became actions, refused those it turned down.
	published, sets, refused atomic.Int64
}

type bucket struct {
	tokens float64
	last   time.Time
}

// newBroker listens on addr and returns the address it listens on; start
// serves MQTT for the relay's rooms.
func newBroker(addr string, reps *replica.Set, log *slog.Logger) (*broker, string, error) {
	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumPacketSize = maxPacket
	caps.MaximumClients = maxClients
	caps.MaximumQos = 1
	// The broker's own log keeps only errors: a client that hangs up
	// without a DISCONNECT is normal, and the broker's refusals are logged
	// here with their reason.
	quiet := slog.New(errorsOnly{log.Handler()}).With("part", "mqtt")
	srv := mqtt.New(&mqtt.Options{InlineClient: true, Capabilities: caps, Logger: quiet})
	b := &broker{srv: srv, reps: reps, log: log, wake: make(chan struct{}, 1),
		last: map[string]map[string]string{}, buckets: map[string]*bucket{}}
	if err := srv.AddHook(b, nil); err != nil {
		return nil, "", err
	}
	tcp := listeners.NewTCP(listeners.Config{ID: "tcp", Address: addr})
	if err := srv.AddListener(tcp); err != nil {
		return nil, "", fmt.Errorf("mqtt: listen on %s: %w", addr, err)
	}
	return b, tcp.Address(), nil
}

// start serves MQTT until ctx ends.
func (b *broker) start(ctx context.Context, rel *relay.Relay) error {
	b.rel = rel
	if err := b.srv.Serve(); err != nil {
		return fmt.Errorf("mqtt: %w", err)
	}
	go b.run(ctx)
	return nil
}

// errorsOnly passes on only records of level error and above.
type errorsOnly struct{ slog.Handler }

func (h errorsOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelError && h.Handler.Enabled(ctx, l)
}
func (h errorsOnly) WithAttrs(as []slog.Attr) slog.Handler {
	return errorsOnly{h.Handler.WithAttrs(as)}
}
func (h errorsOnly) WithGroup(n string) slog.Handler { return errorsOnly{h.Handler.WithGroup(n)} }

// ID names the hook.
func (b *broker) ID() string { return "thingyard" }

// Provides says which hooks the broker implements.
func (b *broker) Provides(h byte) bool {
	return bytes.Contains([]byte{mqtt.OnConnectAuthenticate, mqtt.OnACLCheck, mqtt.OnPublish, mqtt.OnSubscribed, mqtt.OnDisconnect}, []byte{h})
}

// OnConnectAuthenticate lets anyone in: the open API is open.
func (b *broker) OnConnectAuthenticate(*mqtt.Client, packets.Packet) bool { return true }

// OnACLCheck lets a client read any topic and write only set topics.
func (b *broker) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	if !write {
		return true
	}
	if _, _, err := setTopic(topic); err != nil {
		b.reject(cl, topic, err.Error())
		return false
	}
	return true
}

// OnSubscribed publishes at once, so a new subscriber does not wait a
// period for the first values.
func (b *broker) OnSubscribed(*mqtt.Client, packets.Packet, []byte) {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// OnDisconnect forgets a client's allowance.
func (b *broker) OnDisconnect(cl *mqtt.Client, _ error, _ bool) {
	b.mu.Lock()
	delete(b.buckets, cl.ID)
	b.mu.Unlock()
}

// OnPublish turns a publish to a set topic into an action in the room.
func (b *broker) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if cl.Net.Inline {
		return pk, nil
	}
	refuse := func(code packets.Code, why string) (packets.Packet, error) {
		b.reject(cl, pk.TopicName, why)
		if cl.Properties.ProtocolVersion == 5 && pk.FixedHeader.Qos > 0 {
			return pk, code
		}
		return pk, packets.ErrRejectPacket
	}
	room, device, err := setTopic(pk.TopicName)
	if err != nil {
		return refuse(packets.ErrTopicNameInvalid, err.Error())
	}
	if len(pk.Payload) > maxSet {
		return refuse(packets.ErrPacketTooLarge, fmt.Sprintf("a set payload is at most %d bytes, this one %d", maxSet, len(pk.Payload)))
	}
	if !b.allow(cl.ID) {
		return refuse(packets.ErrQuotaExceeded, fmt.Sprintf("at most %d set publishes a second", setRate))
	}
	rep := b.reps.Get(room)
	if rep == nil {
		return refuse(packets.ErrTopicNameInvalid, fmt.Sprintf("no live room %q", room))
	}
	var d sim.DeviceInfo
	var ok bool
	rep.Read(func(w *sim.World, _ uint64) { d, ok = w.Device(device) })
	switch {
	case !ok:
		return refuse(packets.ErrTopicNameInvalid, fmt.Sprintf("room %s has no device %q", room, device))
	case d.Side != openSide:
		return refuse(packets.ErrNotAuthorized, fmt.Sprintf("%s is on the M2M side, which has no open API", device))
	}
	act, err := parseSet(device, d.Kind, pk.Payload)
	if err != nil {
		return refuse(packets.ErrPayloadFormatInvalid, err.Error())
	}
	body, _ := json.Marshal(act)
	res, err := submit(b.rel, rep, room, "mqtt:"+cl.ID, body)
	if err != nil {
		return refuse(packets.ErrImplementationSpecificError, err.Error())
	}
	b.sets.Add(1)
	b.log.Info("mqtt set became an action", "client", cl.ID, "topic", pk.TopicName, "room", room, "seq", res.Seq, "kind", act.Kind)
	pk.FixedHeader.Retain = false // a command is an event, not a state
	return pk, nil
}

// WriteMetrics writes the broker's counters in Prometheus' text format,
// after the relay's on /metrics.
func (b *broker) WriteMetrics(w io.Writer) {
	clients := atomic.LoadInt64(&b.srv.Info.ClientsConnected)
	fmt.Fprintf(w, "# HELP thingyard_mqtt_clients Connected MQTT clients.\n# TYPE thingyard_mqtt_clients gauge\nthingyard_mqtt_clients %d\n", clients)
	fmt.Fprintf(w, "# HELP thingyard_mqtt_published_total Readings the broker published for the open devices.\n# TYPE thingyard_mqtt_published_total counter\nthingyard_mqtt_published_total %d\n", b.published.Load())
	fmt.Fprintf(w, "# HELP thingyard_mqtt_sets_total Client publishes to set topics that became actions.\n# TYPE thingyard_mqtt_sets_total counter\nthingyard_mqtt_sets_total %d\n", b.sets.Load())
	fmt.Fprintf(w, "# HELP thingyard_mqtt_refused_total Client publishes refused (wrong topic, payload, device or rate).\n# TYPE thingyard_mqtt_refused_total counter\nthingyard_mqtt_refused_total %d\n", b.refused.Load())
}

func (b *broker) reject(cl *mqtt.Client, topic, why string) {
	b.refused.Add(1)
	b.log.Warn("mqtt publish refused", "client", cl.ID, "topic", truncate(topic, maxTopic), "why", why)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// allow takes one set publish from a client's allowance.
func (b *broker) allow(client string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	bk := b.buckets[client]
	if bk == nil {
		bk = &bucket{tokens: setBurst, last: now}
		b.buckets[client] = bk
	}
	bk.tokens = min(setBurst, bk.tokens+now.Sub(bk.last).Seconds()*setRate)
	bk.last = now
	if bk.tokens < 1 {
		return false
	}
	bk.tokens--
	return true
}

// setTopic splits thingyard/{room}/{device}/set.
func setTopic(topic string) (room, device string, err error) {
	if len(topic) > maxTopic {
		return "", "", fmt.Errorf("topic longer than %d bytes", maxTopic)
	}
	parts := strings.Split(topic, "/")
	if len(parts) != 4 || parts[0] != topicPrefix || parts[3] != "set" || parts[1] == "" || parts[2] == "" {
		return "", "", errors.New("clients publish only to thingyard/{room}/{device}/set; readings come from the room")
	}
	return parts[1], parts[2], nil
}

// parseSet reads the payload of a set topic:
//
//	on | off | {"on":true}          command an actuator or a board
//	{"power":false}                 switch any device off (or on)
//	{"key":"period_ms","value":500} set a key ({"key":"label","text":"…"})
func parseSet(device, kind string, payload []byte) (sim.Action, error) {
	switch strings.ToLower(strings.TrimSpace(string(payload))) {
	case "on", "off":
		payload = []byte(`{"on":` + fmt.Sprint(strings.EqualFold(strings.TrimSpace(string(payload)), "on")) + `}`)
	}
	var p struct {
		On    *bool    `json:"on"`
		Power *bool    `json:"power"`
		Key   string   `json:"key"`
		Value *float64 `json:"value"`
		Text  string   `json:"text"`
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return sim.Action{}, fmt.Errorf(`the payload must be on, off, {"on":true}, {"power":false} or {"key":"period_ms","value":500}: %v`, err)
	}
	forms := 0
	for _, set := range []bool{p.On != nil, p.Power != nil, p.Key != ""} {
		if set {
			forms++
		}
	}
	if forms != 1 {
		return sim.Action{}, errors.New(`the payload must hold exactly one of on, power or key`)
	}
	switch {
	case p.On != nil:
		if kind != sim.KindActuator.String() && kind != sim.KindBoard.String() {
			return sim.Action{}, fmt.Errorf(`%s is a %s; {"on":…} commands actuators and boards (switch it with {"power":…})`, device, kind)
		}
		return sim.Action{Kind: sim.ActCommand, Device: device, On: *p.On}, nil
	case p.Power != nil:
		return sim.Action{Kind: sim.ActPower, Device: device, On: *p.Power}, nil
	}
	a := sim.Action{Kind: sim.ActSet, Device: device, Key: p.Key, Text: p.Text}
	if p.Value != nil {
		a.Value = *p.Value
	}
	return a, a.Check()
}

// run publishes the readings every period and when a client subscribes,
// until ctx ends.
func (b *broker) run(ctx context.Context) {
	t := time.NewTicker(publishEvery)
	defer t.Stop()
	defer b.srv.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-b.wake:
		}
		b.publish()
	}
}

// reading is the payload of a reading topic.
type reading struct {
	Value any    `json:"value"`
	Unit  string `json:"unit,omitempty"`
	Time  string `json:"time"` // RFC 3339, by the room's clock
	Tick  int64  `json:"tick"` // the world's tick it was measured at
}

// publish sends what changed in the open devices of every live room, while
// any client is connected, and clears the retained topics of rooms gone.
func (b *broker) publish() {
	live := map[string]bool{}
	clients := atomic.LoadInt64(&b.srv.Info.ClientsConnected) > 0
	var v sim.View
	b.reps.Each(func(r *replica.Replica) {
		live[r.ID] = true
		if !clients {
			return
		}
		type msg struct{ topic, key string }
		var out []msg
		var payloads [][]byte
		r.Read(func(w *sim.World, _ uint64) {
			now := w.Tick()
			for _, d := range devicesOf(r.ID, w, &v) {
				if !d.Open {
					continue
				}
				add := func(metric string, p reading, key string) {
					b, _ := json.Marshal(p)
					out = append(out, msg{d.Topic + "/" + metric, key})
					payloads = append(payloads, b)
				}
				for _, rd := range d.Readings {
					add(rd.Metric, reading{Value: rd.Value, Unit: rd.Unit, Time: r.Time(rd.SampledMs), Tick: rd.SampledMs}, fmt.Sprint(rd.Value, rd.SampledMs))
				}
				if d.On != nil {
					add("on", reading{Value: *d.On, Time: r.Time(now), Tick: now}, fmt.Sprint(*d.On))
				}
				add("online", reading{Value: d.Online, Time: r.Time(now), Tick: now}, fmt.Sprint(d.Online))
			}
		})
		b.mu.Lock()
		last := b.last[r.ID]
		if last == nil {
			last = map[string]string{}
			b.last[r.ID] = last
		}
		var send []int
		for i, m := range out {
			if last[m.topic] != m.key {
				last[m.topic] = m.key
				send = append(send, i)
			}
		}
		b.mu.Unlock()
		for _, i := range send {
			if err := b.srv.Publish(out[i].topic, payloads[i], true, 0); err == nil {
				b.published.Add(1)
			}
		}
	})
	b.mu.Lock()
	var gone []string
	for room, topics := range b.last {
		if live[room] {
			continue
		}
		for topic := range topics {
			gone = append(gone, topic)
		}
		delete(b.last, room)
	}
	b.mu.Unlock()
	for _, topic := range gone {
		b.srv.Publish(topic, nil, true, 0) // an empty retained message clears the topic
	}
}
