package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
	"golang.org/x/time/rate"

	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/server/replica"
	"github.com/thingyard/thingyard/sim"
)

// MQTT limits and timing.
const (
	// publishEvery is how often the broker publishes the open devices'
	// readings of every room a client subscribes to: 1 s of the room's
	// clock, 100 ticks. A sensor that samples faster has its latest value
	// published.
	publishEvery  = time.Second
	maxTopic      = 256     // bytes in a topic a client publishes to
	maxSet        = 1024    // bytes in a set payload
	maxPacket     = 8 << 10 // bytes in any packet a client sends
	maxClients    = 1000    // connected MQTT clients at once
	maxRoomTopics = 1000    // retained topics one room keeps (about 400 open devices)
	// maxSessionExpiry is how long the broker keeps a disconnected
	// client's session (subscriptions, messages in flight) at most,
	// whatever the client asks for: 600 s, as long as an empty room.
	maxSessionExpiry = 600
	setRate          = 10 // set publishes a second one client may make
	setBurst         = 20 // set publishes one client may make at once
	// addrSetRate and addrSetBurst bound the set publishes of every client
	// of one remote address together, as client ids are free: as much as
	// one browser may send (30 a second, 60 at once).
	addrSetRate  = 30
	addrSetBurst = 60
)

// broker is the embedded MQTT broker of the open API. The open (IoT)
// devices of a live room publish, retained,
//
//	thingyard/{room}/{device}/{metric}  {"value":…,"unit":…,"time":…,"tick":…}
//
// with a metric per quantity measured, "on" for actuators and boards and
// "online" for all; a publish to thingyard/{room}/{device}/set becomes an
// action in the room (see parseSet). The closed (M2M) devices have no
// topics.
//
// A room is private to whoever holds its link: a client connects with the
// room id as user name and the room's token (relay.Token) as password, and
// reads and writes under thingyard/{room}/ only. Its will is held to the
// same rule (a will on a set topic becomes an action when it fires, never
// a retained message), and $SYS is closed. An open broker (-mqtt-open)
// lets anyone in to read every room and write every room's set topics.
type broker struct {
	mqtt.HookBase
	srv  *mqtt.Server
	rel  *relay.Relay
	reps *replica.Set
	log  *slog.Logger
	open bool             // -mqtt-open: no credentials, every room readable
	now  func() time.Time // the rate limits' clock; tests replace it
	wake chan struct{}

	limits allowance
	round  sync.Mutex // held by a publish round: one at a time, whoever calls it

	mu     sync.Mutex
	last   map[string]map[string]published // room -> retained topic -> what was last published
	capped map[string]bool                 // rooms with more topics than maxRoomTopics, logged once

	// published counts the broker's own publishes of readings, sets the
	// client publishes that became actions, refused the connections,
	// subscriptions and publishes it turned down.
	published, sets, refused atomic.Int64
}

// newBroker listens on addr and returns the address it listens on; start
// serves MQTT for the relay's rooms. An open broker asks no credentials and
// lets every client read every room.
func newBroker(addr string, reps *replica.Set, open bool, log *slog.Logger) (*broker, string, error) {
	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumPacketSize = maxPacket
	caps.MaximumClients = maxClients
	caps.MaximumQos = 1
	caps.MaximumSessionExpiryInterval = maxSessionExpiry
	// The broker's own log keeps only errors: a client that hangs up
	// without a DISCONNECT is normal, and the broker's refusals are logged
	// here with their reason.
	quiet := slog.New(errorsOnly{log.Handler()}).With("part", "mqtt")
	srv := mqtt.New(&mqtt.Options{InlineClient: true, Capabilities: caps, Logger: quiet})
	b := &broker{srv: srv, reps: reps, log: log, open: open, now: time.Now, wake: make(chan struct{}, 1),
		last: map[string]map[string]published{}, capped: map[string]bool{}}
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
	if b.open {
		b.log.Warn("the MQTT broker is OPEN (-mqtt-open): anyone who reaches it reads every live room and commands every room's open devices, without credentials")
	}
	go b.run(ctx)
	return nil
}

// banner is what the server prints at start about its broker on addr.
func (b *broker) banner(addr string) string {
	if b.open {
		return fmt.Sprintf("MQTT broker on %s is OPEN (-mqtt-open): anyone who reaches it reads every live room (thingyard/#) and commands every room's open devices, without credentials", addr)
	}
	return fmt.Sprintf("MQTT broker on %s: topics thingyard/{room}/{device}/{metric}, commands on .../set; user name = the room id, password = the room's token (the inspector shows both)", addr)
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
	return bytes.Contains([]byte{mqtt.OnConnect, mqtt.OnConnectAuthenticate, mqtt.OnACLCheck, mqtt.OnSubscribe,
		mqtt.OnSubscribed, mqtt.OnPublish, mqtt.OnWill, mqtt.OnDisconnect}, []byte{h})
}

// room is the room a client connected to; "" on an open broker.
func (b *broker) room(cl *mqtt.Client) string {
	if b.open {
		return ""
	}
	return string(cl.Properties.Username)
}

// OnConnect checks a client's credentials and will before the broker
// takes it: a room that does not exist and a wrong token are refused alike
// (bad user name or password), so that nobody learns which rooms exist; the
// log says which it was. A will the client could not publish itself is
// refused (not authorized). A client's id is its room's: the same id in
// two rooms is two clients, and neither can take the other's session over.
func (b *broker) OnConnect(cl *mqtt.Client, pk packets.Packet) error {
	if !b.open {
		user := string(pk.Connect.Username)
		valid := b.rel.ValidToken(user, string(pk.Connect.Password))
		live := b.reps.Get(user) != nil
		switch {
		case !pk.Connect.UsernameFlag || user == "":
			return b.refuseConnect(cl, pk, packets.ErrBadUsernameOrPassword, "no user name: connect with user name = the room id and password = the room's token (the inspector shows both)")
		case !live:
			return b.refuseConnect(cl, pk, packets.ErrBadUsernameOrPassword, fmt.Sprintf("no live room %s (the user name is the room id)", truncate(user, 64)))
		case !valid:
			return b.refuseConnect(cl, pk, packets.ErrBadUsernameOrPassword, fmt.Sprintf("wrong token for room %s (the password is the room's token, which the inspector shows)", user))
		}
		cl.ID = user + "/" + cl.ID
	}
	if pk.Connect.WillFlag {
		if err := b.mayWrite(cl, pk.Connect.WillTopic); err != nil {
			return b.refuseConnect(cl, pk, packets.ErrNotAuthorized, fmt.Sprintf("will on %s: %v", truncate(pk.Connect.WillTopic, maxTopic), err))
		}
	}
	return nil
}

// refuseConnect answers a CONNECT with code (its MQTT 3.1.1 twin for an old
// client) and logs why.
func (b *broker) refuseConnect(cl *mqtt.Client, pk packets.Packet, code packets.Code, why string) error {
	ack := code
	if cl.Properties.ProtocolVersion < 5 {
		ack = packets.Err3NotAuthorized
		if code == packets.ErrBadUsernameOrPassword {
			ack = packets.ErrMalformedUsernameOrPassword // 0x04, "bad user name or password" in 3.1.1
		}
	}
	b.refused.Add(1)
	b.log.Warn("mqtt connection refused", "client", truncate(pk.Connect.ClientIdentifier, 64), "remote", cl.Net.Remote,
		"code", fmt.Sprintf("%#x", ack.Code), "why", why)
	if err := b.srv.SendConnack(cl, ack, false, nil); err != nil {
		return fmt.Errorf("mqtt: refuse %s: %w", cl.Net.Remote, err)
	}
	return code
}

// OnConnectAuthenticate lets in every client OnConnect did not refuse:
// OnConnect can answer with the reason code that fits.
func (b *broker) OnConnectAuthenticate(*mqtt.Client, packets.Packet) bool { return true }

// mayRead says whether a client may read a topic or subscribe to a filter,
// and why not.
func (b *broker) mayRead(cl *mqtt.Client, topic string) (bool, string) {
	if strings.HasPrefix(topic, "$") {
		return false, "$SYS and the other $ topics are closed"
	}
	if b.open {
		return true, ""
	}
	p := sim.SpaceTopic(b.room(cl))
	if topic == p || strings.HasPrefix(topic, p+"/") {
		return true, ""
	}
	return false, fmt.Sprintf("a client of room %s reads only under %s/ (subscribe to %s/#)", b.room(cl), p, p)
}

// mayWrite says why a client may not publish to a topic, or nil.
func (b *broker) mayWrite(cl *mqtt.Client, topic string) error {
	room, _, err := setTopic(topic)
	if err != nil {
		return err
	}
	if !b.open && room != b.room(cl) {
		return fmt.Errorf("a client of room %s publishes only to %s", b.room(cl), sim.Topic(b.room(cl), "{device}", sim.TopicSet))
	}
	return nil
}

// OnACLCheck lets a client read its room's topics (every room's on an open
// broker) and write only its room's set topics. It is asked for every
// filter subscribed to and every message delivered.
func (b *broker) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	if !write {
		ok, _ := b.mayRead(cl, topic)
		return ok
	}
	if err := b.mayWrite(cl, topic); err != nil {
		b.reject(cl, topic, err.Error())
		return false
	}
	return true
}

// OnSubscribe logs the filters OnACLCheck is about to refuse, with why.
func (b *broker) OnSubscribe(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	for _, f := range pk.Filters {
		if ok, why := b.mayRead(cl, f.Filter); !ok {
			b.refused.Add(1)
			b.log.Warn("mqtt subscription refused", "client", cl.ID, "filter", truncate(f.Filter, maxTopic), "why", why)
		}
	}
	return pk
}

// OnSubscribed publishes at once, so a new subscriber does not wait a
// period for the first values.
func (b *broker) OnSubscribed(*mqtt.Client, packets.Packet, []byte) {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// OnDisconnect forgets a client's own allowance; its address's stays until
// it is full again.
func (b *broker) OnDisconnect(cl *mqtt.Client, _ error, _ bool) {
	b.limits.forget(cl.ID)
}

// OnPublish turns a publish to a set topic into an action in the room.
func (b *broker) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if cl.Net.Inline {
		return pk, nil
	}
	if r := b.set(cl, pk.TopicName, pk.Payload); r != nil {
		b.reject(cl, pk.TopicName, r.why)
		if cl.Properties.ProtocolVersion == 5 && pk.FixedHeader.Qos > 0 {
			return pk, r.code
		}
		return pk, packets.ErrRejectPacket
	}
	pk.FixedHeader.Retain = false // a command is an event, not a state
	return pk, nil
}

// OnWill makes a will, which OnConnect let only onto a set topic the
// client may write, an action in the room, as if the client had published
// it as it went; the will is never retained.
func (b *broker) OnWill(cl *mqtt.Client, will mqtt.Will) (mqtt.Will, error) {
	will.Retain = false
	if r := b.set(cl, will.TopicName, will.Payload); r != nil {
		b.refused.Add(1)
		b.log.Warn("mqtt will refused", "client", cl.ID, "topic", truncate(will.TopicName, maxTopic), "why", r.why)
	}
	return will, nil
}

// refusal is why a set publish was turned down, with its reason code.
type refusal struct {
	code packets.Code
	why  string
}

// set turns a publish to a set topic into an action in the room, after the
// checks every way into a room passes, or says why not.
func (b *broker) set(cl *mqtt.Client, topic string, payload []byte) *refusal {
	refuse := func(code packets.Code, why string) *refusal { return &refusal{code, why} }
	if err := b.mayWrite(cl, topic); err != nil {
		return refuse(packets.ErrNotAuthorized, err.Error())
	}
	room, device, _ := setTopic(topic)
	if len(payload) > maxSet {
		return refuse(packets.ErrPacketTooLarge, fmt.Sprintf("a set payload is at most %d bytes, this one %d", maxSet, len(payload)))
	}
	if why := b.limits.take(cl.ID, addrOf(cl), b.now()); why != "" {
		return refuse(packets.ErrQuotaExceeded, why)
	}
	rep := b.reps.Get(room)
	if rep == nil {
		return refuse(packets.ErrTopicNameInvalid, fmt.Sprintf("no live room %q", room))
	}
	var d sim.DeviceInfo
	var ok bool
	var closed string
	var v sim.View
	rep.Read(func(w *sim.World, _ uint64) {
		d, ok = w.Device(device)
		_, closed = closedTo(w, &v, sim.Action{Device: device})
	})
	switch {
	case !ok:
		return refuse(packets.ErrTopicNameInvalid, fmt.Sprintf("room %s has no device %q", room, device))
	case closed != "":
		return refuse(packets.ErrNotAuthorized, closed)
	}
	act, err := parseSet(device, d.Kind, payload)
	if err != nil {
		return refuse(packets.ErrPayloadFormatInvalid, err.Error())
	}
	body, _ := json.Marshal(act)
	name := cl.ID
	if !b.open {
		name = strings.TrimPrefix(name, room+"/") // the client's own id, as in OnConnect
	}
	res, err := submit(b.rel, rep, room, "mqtt:"+name, body)
	if err != nil {
		return refuse(packets.ErrImplementationSpecificError, err.Error())
	}
	b.sets.Add(1)
	b.log.Info("mqtt set became an action", "client", cl.ID, "topic", topic, "room", room, "seq", res.Seq, "kind", act.Kind)
	return nil
}

// addrOf is the host a client connects from.
func addrOf(cl *mqtt.Client) string {
	host, _, err := net.SplitHostPort(cl.Net.Remote)
	if err != nil {
		return cl.Net.Remote
	}
	return host
}

// allowance holds the set publishes' rate limits, per client and per
// remote address: a client with a fresh id from the same address gets no
// more.
type allowance struct {
	mu      sync.Mutex
	clients map[string]*rate.Limiter // client id -> its allowance, while connected
	addrs   map[string]*rate.Limiter // remote host -> the allowance of all its clients, until full again
}

// take takes one set publish from a client's and its address's allowance,
// or says why it cannot.
func (a *allowance) take(client, addr string, now time.Time) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.clients == nil {
		a.clients, a.addrs = map[string]*rate.Limiter{}, map[string]*rate.Limiter{}
	}
	lc := a.clients[client]
	if lc == nil {
		lc = rate.NewLimiter(setRate, setBurst)
		a.clients[client] = lc
	}
	la := a.addrs[addr]
	if la == nil {
		la = rate.NewLimiter(addrSetRate, addrSetBurst)
		a.addrs[addr] = la
	}
	switch {
	case lc.TokensAt(now) < 1:
		return fmt.Sprintf("at most %d set publishes a second per client", setRate)
	case la.TokensAt(now) < 1:
		return fmt.Sprintf("at most %d set publishes a second from one address (%s), whatever the client ids", addrSetRate, addr)
	}
	lc.AllowN(now, 1)
	la.AllowN(now, 1)
	return ""
}

// forget drops a client's allowance.
func (a *allowance) forget(client string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.clients, client)
}

// sweep drops the addresses' allowances that are full again: a fresh one
// is the same.
func (a *allowance) sweep(now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for addr, l := range a.addrs {
		if l.TokensAt(now) >= addrSetBurst {
			delete(a.addrs, addr)
		}
	}
}

// WriteMetrics writes the broker's counters in Prometheus' text format,
// after the relay's on /metrics.
func (b *broker) WriteMetrics(w io.Writer) {
	clients := atomic.LoadInt64(&b.srv.Info.ClientsConnected)
	fmt.Fprintf(w, "# HELP thingyard_mqtt_clients Connected MQTT clients.\n# TYPE thingyard_mqtt_clients gauge\nthingyard_mqtt_clients %d\n", clients)
	fmt.Fprintf(w, "# HELP thingyard_mqtt_published_total Readings the broker published for the open devices.\n# TYPE thingyard_mqtt_published_total counter\nthingyard_mqtt_published_total %d\n", b.published.Load())
	fmt.Fprintf(w, "# HELP thingyard_mqtt_sets_total Client publishes to set topics that became actions.\n# TYPE thingyard_mqtt_sets_total counter\nthingyard_mqtt_sets_total %d\n", b.sets.Load())
	fmt.Fprintf(w, "# HELP thingyard_mqtt_refused_total Client connections (credentials, will), subscriptions and publishes (topic, payload, device, rate) refused.\n# TYPE thingyard_mqtt_refused_total counter\nthingyard_mqtt_refused_total %d\n", b.refused.Load())
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

// setTopic splits thingyard/{room}/{device}/set.
func setTopic(topic string) (room, device string, err error) {
	if len(topic) > maxTopic {
		return "", "", fmt.Errorf("topic longer than %d bytes", maxTopic)
	}
	room, device, leaf, ok := sim.SplitTopic(topic)
	if !ok || leaf != sim.TopicSet {
		return "", "", errors.New("clients publish only to thingyard/{room}/{device}/set; readings come from the room")
	}
	return room, device, nil
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
