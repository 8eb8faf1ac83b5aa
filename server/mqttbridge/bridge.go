// Package mqttbridge is the open API over MQTT: an embedded broker
// (mochi-mqtt) on which the open (IoT) devices of every followed live room
// publish their readings, and whose set topics become actions in the
// room. A room is private to whoever holds its link: user name the room's
// id, password its token.
package mqttbridge

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"

	"github.com/thingyard/thingyard/server/limit"
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

// Broker is the embedded MQTT broker of the open API. The open (IoT)
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
type Broker struct {
	mqtt.HookBase
	srv  *mqtt.Server
	rel  *relay.Relay
	reps *replica.Set
	log  *slog.Logger
	open bool             // -mqtt-open: no credentials, every room readable
	now  func() time.Time // the rate limits' clock; tests replace it
	wake chan struct{}

	// clients and addrs are the set publishes' rate limits, per client
	// (while connected) and per remote address: a client with a fresh id
	// from the same address gets no more.
	clients, addrs *limit.Keyed
	round          sync.Mutex           // held by a publish round: one at a time, whoever calls it
	views          map[string]*sim.View // room -> its world's view, kept from round to round (with round held)

	mu     sync.Mutex
	last   map[string]map[string]published // room -> retained topic -> what was last published
	capped map[string]bool                 // rooms with more topics than maxRoomTopics, logged once

	// published counts the broker's own publishes of readings, sets the
	// client publishes that became actions, refused the connections,
	// subscriptions and publishes it turned down.
	published, sets, refused atomic.Int64
}

// New listens on addr and returns the address it listens on: Start
// serves MQTT for the relay's rooms. An open broker asks no credentials and
// lets every client read every room.
func New(addr string, reps *replica.Set, open bool, log *slog.Logger) (*Broker, string, error) {
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
	b := &Broker{srv: srv, reps: reps, log: log, open: open, now: time.Now, wake: make(chan struct{}, 1),
		last: map[string]map[string]published{}, capped: map[string]bool{}, views: map[string]*sim.View{}}
	clock := func() time.Time { return b.now() }
	b.clients = limit.New(setRate, setBurst, clock)
	b.addrs = limit.New(addrSetRate, addrSetBurst, clock)
	if err := srv.AddHook(b, nil); err != nil {
		return nil, "", err
	}
	tcp := listeners.NewTCP(listeners.Config{ID: "tcp", Address: addr})
	if err := srv.AddListener(tcp); err != nil {
		return nil, "", fmt.Errorf("mqtt: listen on %s: %w", addr, err)
	}
	return b, tcp.Address(), nil
}

// Start serves MQTT for rel's rooms until ctx ends.
func (b *Broker) Start(ctx context.Context, rel *relay.Relay) error {
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

// Banner is what the server prints at start about its broker on addr.
func (b *Broker) Banner(addr string) string {
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

// WriteMetrics writes the broker's counters in Prometheus' text format,
// after the relay's on /metrics.
func (b *Broker) WriteMetrics(w io.Writer) {
	clients := atomic.LoadInt64(&b.srv.Info.ClientsConnected)
	metrics.WriteGaugeUint64(w, "thingyard_mqtt_clients", uint64(clients))                      // Connected MQTT clients.
	metrics.WriteCounterUint64(w, "thingyard_mqtt_published_total", uint64(b.published.Load())) // Readings the broker published for the open devices.
	metrics.WriteCounterUint64(w, "thingyard_mqtt_sets_total", uint64(b.sets.Load()))           // Client publishes to set topics that became actions.
	metrics.WriteCounterUint64(w, "thingyard_mqtt_refused_total", uint64(b.refused.Load()))     // Client connections (credentials, will), subscriptions and publishes (topic, payload, device, rate) refused.
}

func (b *Broker) reject(cl *mqtt.Client, topic, why string) {
	b.refused.Add(1)
	b.log.Warn("mqtt publish refused", "client", cl.ID, "topic", truncate(topic, maxTopic), "why", why)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
