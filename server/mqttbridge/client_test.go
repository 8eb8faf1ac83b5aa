package mqttbridge

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/thingyard/thingyard/internal/testkit"
	"github.com/thingyard/thingyard/server/api/apitest"
)

// startTestBroker adds the MQTT broker to an API server.
func startTestBroker(t *testing.T, s *apitest.Server) (string, *testkit.Buffer) {
	t.Helper()
	_, addr, logs := startTestBrokerOf(t, s, false)
	return addr, logs
}

// startTestBrokerOf starts a broker for s's rooms, open or not, whose rate
// limits run on s's clock.
func startTestBrokerOf(t *testing.T, s *apitest.Server, open bool) (*Broker, string, *testkit.Buffer) {
	t.Helper()
	logs := &testkit.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	b, addr, err := New("127.0.0.1:0", s.Reps, open, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	b.now = s.Clock.Now
	if err := b.Start(ctx, s.Rel); err != nil {
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
	n    map[string]int  // messages received per topic
}

// connectMQTT connects a paho client (MQTT 5) with cp, and returns the
// server's CONNACK and the error Connect returned.
func connectMQTT(t *testing.T, addr string, cp paho.Connect) (*mqttClient, *paho.Connack, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	mc := &mqttClient{got: map[string][]byte{}, keep: map[string]bool{}, n: map[string]int{}}
	mc.Client = paho.NewClient(paho.ClientConfig{ClientID: cp.ClientID, Conn: conn,
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(p paho.PublishReceived) (bool, error) {
			mc.mu.Lock()
			mc.got[p.Packet.Topic] = p.Packet.Payload
			mc.keep[p.Packet.Topic] = p.Packet.Retain
			mc.n[p.Packet.Topic]++
			mc.mu.Unlock()
			return true, nil
		}}})
	if cp.KeepAlive == 0 {
		cp.KeepAlive = 30
	}
	ca, err := mc.Connect(ctx, &cp)
	if err != nil {
		conn.Close()
		return mc, ca, err
	}
	t.Cleanup(func() { mc.Disconnect(&paho.Disconnect{}) })
	return mc, ca, nil
}

// login is a CONNECT of client id to room with the room's token.
func login(s *apitest.Server, id, room string) paho.Connect {
	return paho.Connect{ClientID: id, CleanStart: true, UsernameFlag: true, Username: room,
		PasswordFlag: true, Password: []byte(s.Rel.Token(room))}
}

// dialMQTT connects client id to room with the room's credentials.
func dialMQTT(t *testing.T, s *apitest.Server, addr, id, room string) *mqttClient {
	t.Helper()
	mc, _, err := connectMQTT(t, addr, login(s, id, room))
	if err != nil {
		t.Fatalf("connect %s to room %s: %v", id, room, err)
	}
	return mc
}

func (mc *mqttClient) subscribe(t *testing.T, filter string) {
	t.Helper()
	if codes := mc.trySubscribe(t, filter); codes[0] >= 0x80 {
		t.Fatalf("subscribe to %s: reason code %#x", filter, codes[0])
	}
}

// trySubscribe subscribes to each filter and returns the SUBACK's reason
// codes, one per filter.
func (mc *mqttClient) trySubscribe(t *testing.T, filters ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var subs []paho.SubscribeOptions
	for _, f := range filters {
		subs = append(subs, paho.SubscribeOptions{Topic: f, QoS: 0})
	}
	sa, err := mc.Subscribe(ctx, &paho.Subscribe{Subscriptions: subs})
	if sa == nil {
		t.Fatalf("subscribe to %v: %v", filters, err)
	}
	return sa.Reasons
}

// topics is every topic received so far.
func (mc *mqttClient) topics() []string {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	return keys(mc.got)
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
