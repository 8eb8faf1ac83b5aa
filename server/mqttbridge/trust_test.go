package mqttbridge

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"os/exec"
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

// mosquitto runs one of Debian's mosquitto clients (MQTT 3.1.1) against
// the broker at addr and returns what it printed and how it ended.
func mosquitto(t *testing.T, tool, addr string, args ...string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Fatalf("%s not found: run sudo apt-get install mosquitto-clients (make test does it)", tool)
	}
	host, port, _ := net.SplitHostPort(addr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, tool, append([]string{"-h", host, "-p", port}, args...)...).CombinedOutput()
	return string(out), err
}

// A client without the credentials of a live room is refused with "bad
// user name or password", whatever was wrong (so nobody learns whether a
// room exists), and the log says which it was; the room's id and token
// (as REST tells them) let a client in, paho's (MQTT 5) and mosquitto's
// (MQTT 3.1.1) alike.
func TestMQTTCredentials(t *testing.T) {
	s := apitest.New(t)
	b, addr, logs := startTestBrokerOf(t, s, false)
	id := s.NewRoom(t, "open-api")
	other := s.NewRoom(t, "open-api")
	gone := relay.NewRoomID()
	as := func(user, pass string) paho.Connect {
		return paho.Connect{ClientID: "guest", CleanStart: true, UsernameFlag: true, Username: user, PasswordFlag: true, Password: []byte(pass)}
	}
	tests := []struct {
		name string
		cp   paho.Connect
		why  string
	}{
		{"no credentials", paho.Connect{ClientID: "guest", CleanStart: true}, "no user name"},
		{"a wrong token", as(id, "letmein"), "wrong token for room " + id},
		{"another room's token", as(id, s.Rel.Token(other)), "wrong token for room " + id},
		{"a room that does not exist", as(gone, s.Rel.Token(gone)), "no live room " + gone},
	}
	for _, tt := range tests {
		_, ca, err := connectMQTT(t, addr, tt.cp)
		if err == nil || ca == nil || ca.ReasonCode != 0x86 {
			t.Errorf("%s: connected (%v, CONNACK %+v), want bad user name or password (0x86)", tt.name, err, ca)
		}
		if l := logs.String(); !strings.Contains(l, "mqtt connection refused") || !strings.Contains(l, tt.why) {
			t.Errorf("%s: no log line saying %q:\n%s", tt.name, tt.why, l)
		}
	}
	dialMQTT(t, s, addr, "member", id)

	p := "thingyard/" + id + "/"
	if out, err := mosquitto(t, "mosquitto_sub", addr, "-u", id, "-P", "letmein", "-t", p+"#", "-C", "1", "-W", "20"); err == nil || !strings.Contains(out, "bad user name or password") {
		t.Errorf("mosquitto_sub with a wrong token: %v\n%s", err, out)
	}
	s.Clock.Advance(1000)
	var room api.Room // REST tells whoever holds the link the room's token
	s.Do(t, "GET", "/api/rooms/"+id, "", &room)
	out, err := mosquitto(t, "mosquitto_sub", addr, "-u", id, "-P", room.Token, "-t", p+"meter/#", "-v", "-C", "1", "-W", "20")
	if err != nil || !strings.HasPrefix(out, p+"meter/") {
		t.Errorf("mosquitto_sub with the room's credentials: %v\n%s", err, out)
	}
	if out, err := mosquitto(t, "mosquitto_pub", addr, "-u", id, "-P", s.Rel.Token(id), "-t", p+"fan/set", "-m", "on"); err != nil {
		t.Errorf("mosquitto_pub with the room's credentials: %v\n%s", err, out)
	}
	testkit.Eventually(t, 20*time.Second, "mosquitto_pub's set to become an action", func() bool { return b.sets.Load() == 1 })
}

// A client of room A sees nothing of room B however it subscribes, cannot
// command it, and gets nothing from $SYS; mosquitto_sub's # and
// thingyard/# print room A's topics only.
func TestMQTTRoomsArePrivate(t *testing.T) {
	s := apitest.New(t)
	b, addr, logs := startTestBrokerOf(t, s, false)
	a := s.NewRoom(t, "open-api")
	other := s.NewRoom(t, "open-api")
	s.Clock.Advance(1000)
	pa, pb := "thingyard/"+a+"/", "thingyard/"+other+"/"
	// Room B has a follower, so its topics are live and retained.
	bs := dialMQTT(t, s, addr, "reader", other)
	bs.subscribe(t, pb+"#")
	bs.waitTopics(t, pb+"meter/power", pb+"fan/on")

	as := dialMQTT(t, s, addr, "reader", a) // the same client id, in another room
	filters := []string{"#", "thingyard/#", "+/#", "+/" + other + "/#", pb + "#", pb + "meter/power",
		"thingyard/+/meter/power", "$SYS/#", "$share/g/thingyard/#", "thingyard/" + a + "x/#"}
	for i, code := range as.trySubscribe(t, filters...) {
		if code < 0x80 {
			t.Errorf("a client of room A subscribed to %s (reason code %#x)", filters[i], code)
		}
	}
	if l := logs.String(); !strings.Contains(l, "mqtt subscription refused") || !strings.Contains(l, "reads only under "+pa) || !strings.Contains(l, "$SYS and the other $ topics are closed") {
		t.Errorf("no log lines saying why the subscriptions were refused:\n%s", l)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pr, err := as.Publish(ctx, &paho.Publish{Topic: pb + "fan/set", Payload: []byte("on"), QoS: 1})
	if err == nil || pr == nil || pr.ReasonCode != 0x87 {
		t.Errorf("a client of room A commanded room B's fan: %v %+v", err, pr)
	}
	if n := b.sets.Load(); n != 0 {
		t.Errorf("%d sets became actions", n)
	}
	// Its own room it sees; what the refused filters would have matched,
	// retained, would have come first.
	as.subscribe(t, pa+"#")
	as.waitTopics(t, pa+"meter/power", pa+"fan/on")
	s.Clock.Advance(1000)
	b.publish()
	for _, topic := range as.topics() {
		if !strings.HasPrefix(topic, pa) {
			t.Errorf("a client of room A got %s", topic)
		}
	}
	// The same with mosquitto_sub: # and thingyard/# are refused, the
	// room's filter is granted.
	out, err := mosquitto(t, "mosquitto_sub", addr, "-u", a, "-P", s.Rel.Token(a), "-t", "#", "-t", "thingyard/#", "-t", "$SYS/#", "-t", pa+"#", "-v", "-C", "5", "-W", "20")
	if err != nil {
		t.Fatalf("mosquitto_sub: %v\n%s", err, out)
	}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(l, pa) {
			t.Errorf("mosquitto_sub of room A printed %q", l)
		}
	}
}

// A will is held to the rules of a publish: one on a reading topic (or on
// another room's, or on $SYS) is refused at CONNECT, so nobody forges a
// reading; one on the room's set topic becomes an action when the client
// vanishes, and is never retained.
func TestMQTTWills(t *testing.T) {
	s := apitest.New(t)
	b, addr, logs := startTestBrokerOf(t, s, false)
	a := s.NewRoom(t, "open-api")
	other := s.NewRoom(t, "open-api")
	ws := s.DialRoom(t, a)
	ws.Kind(t, wire.KindPresence)
	s.Clock.Advance(1000)
	pa, pb := "thingyard/"+a+"/", "thingyard/"+other+"/"
	for _, topic := range []string{pa + "meter/power", pa + "fan/online", pb + "fan/set", "$SYS/broker/version"} {
		cp := login(s, "forger", a)
		cp.WillMessage = &paho.WillMessage{Topic: topic, Payload: []byte(`{"value":99999}`), Retain: true}
		mc, ca, err := connectMQTT(t, addr, cp)
		if err == nil || ca == nil || ca.ReasonCode != 0x87 {
			t.Errorf("a will on %s: connected (%v, CONNACK %+v), want not authorized (0x87)", topic, err, ca)
			mc.TerminateConnectionForTest() // its will goes out now
		}
		if l := logs.String(); !strings.Contains(l, "mqtt connection refused") || !strings.Contains(l, "will on "+topic) {
			t.Errorf("no log line refusing the will on %s:\n%s", topic, l)
		}
	}

	cp := login(s, "controller", a)
	cp.WillMessage = &paho.WillMessage{Topic: pa + "fan/set", Payload: []byte("on"), Retain: true}
	mc, _, err := connectMQTT(t, addr, cp)
	if err != nil {
		t.Fatalf("a will on the room's set topic: %v", err)
	}
	mc.TerminateConnectionForTest()
	e := ws.Kind(t, wire.KindAction)
	var act sim.Action
	json.Unmarshal(e.Body, &act)
	if act.Kind != sim.ActCommand || act.Device != "fan" || !act.On || e.From != "mqtt:controller" {
		t.Errorf("the will became %s from %s", e.Body, e.From)
	}
	for _, pk := range b.srv.Topics.Messages("#") {
		if strings.HasPrefix(pk.TopicName, "thingyard/") {
			t.Errorf("retained %s %s, with nobody subscribed", pk.TopicName, pk.Payload)
		}
	}
}

// Set publishes are limited per client and per remote address: clients
// with fresh ids from the same address share one allowance.
func TestMQTTSetRateLimitedPerAddress(t *testing.T) {
	s := apitest.New(t)
	b, addr, logs := startTestBrokerOf(t, s, false)
	id := s.NewRoom(t, "open-api")
	s.Clock.Advance(1000) // and no further: the allowances do not refill
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	set := func(mc *mqttClient, n int) (done, quota int) {
		t.Helper()
		for range n {
			pr, err := mc.Publish(ctx, &paho.Publish{Topic: "thingyard/" + id + "/fan/set", Payload: []byte("on"), QoS: 1})
			switch {
			case err == nil:
				done++
			case pr != nil && pr.ReasonCode == 0x97:
				quota++
			default:
				t.Fatalf("set: %v", err)
			}
		}
		return done, quota
	}
	if done, quota := set(dialMQTT(t, s, addr, "greedy", id), setBurst+5); done != setBurst || quota != 5 {
		t.Errorf("one client: %d sets done, %d refused; want %d and 5", done, quota, setBurst)
	}
	if l := logs.String(); !strings.Contains(l, "per client") {
		t.Errorf("no log line saying the client went over its rate:\n%s", l)
	}
	var done, quota int
	for i := range 5 {
		d, q := set(dialMQTT(t, s, addr, fmt.Sprintf("fresh-%d", i), id), 15)
		done, quota = done+d, quota+q
	}
	if want := addrSetBurst - setBurst; done != want || quota != 5*15-want {
		t.Errorf("five fresh client ids from the same address: %d sets done, %d refused; want %d and %d", done, quota, want, 5*15-want)
	}
	if l := logs.String(); !strings.Contains(l, "from one address") {
		t.Errorf("no log line saying the address went over its rate:\n%s", l)
	}
	if n := b.sets.Load(); n != addrSetBurst {
		t.Errorf("%d sets became actions, want %d", n, addrSetBurst)
	}
}

// An open broker (-mqtt-open) asks no credentials and shows every room, as
// Thingyard's broker used to; wills still cannot forge readings, and $SYS
// stays closed. The server says so when it starts.
func TestMQTTOpen(t *testing.T) {
	s := apitest.New(t)
	b, addr, logs := startTestBrokerOf(t, s, true)
	a := s.NewRoom(t, "open-api")
	other := s.NewRoom(t, "open-api")
	s.Clock.Advance(1000)
	mc, _, err := connectMQTT(t, addr, paho.Connect{ClientID: "lab", CleanStart: true})
	if err != nil {
		t.Fatalf("an open broker refused a client without credentials: %v", err)
	}
	mc.subscribe(t, "thingyard/#")
	mc.waitTopics(t, "thingyard/"+a+"/meter/power", "thingyard/"+other+"/meter/power")
	if codes := mc.trySubscribe(t, "$SYS/#"); codes[0] < 0x80 {
		t.Errorf("an open broker let a client subscribe to $SYS/# (%#x)", codes[0])
	}
	cp := paho.Connect{ClientID: "forger", CleanStart: true, WillMessage: &paho.WillMessage{Topic: "thingyard/" + a + "/meter/power", Payload: []byte(`{"value":1}`), Retain: true}}
	if _, ca, err := connectMQTT(t, addr, cp); err == nil || ca == nil || ca.ReasonCode != 0x87 {
		t.Errorf("an open broker took a will on a reading topic: %v %+v", err, ca)
	}
	if l := logs.String(); !strings.Contains(l, "MQTT broker is OPEN") {
		t.Errorf("the log does not say the broker is open:\n%s", l)
	}
	if !strings.Contains(b.Banner(addr), "is OPEN (-mqtt-open)") {
		t.Errorf("the banner does not say the broker is open: %s", b.Banner(addr))
	}
}

// A disconnected client's session is kept at most maxSessionExpiry
// seconds, whatever it asks for, so that sessions cannot pile up.
func TestMQTTSessionsExpire(t *testing.T) {
	s := apitest.New(t)
	_, addr, _ := startTestBrokerOf(t, s, false)
	id := s.NewRoom(t, "open-api")
	cp := login(s, "keeper", id)
	forever := uint32(math.MaxUint32)
	cp.CleanStart = false
	cp.Properties = &paho.ConnectProperties{SessionExpiryInterval: &forever}
	_, ca, err := connectMQTT(t, addr, cp)
	if err != nil {
		t.Fatal(err)
	}
	if ca.Properties == nil || ca.Properties.SessionExpiryInterval == nil || *ca.Properties.SessionExpiryInterval != maxSessionExpiry {
		t.Errorf("CONNACK %+v: the session is kept longer than %d s", ca.Properties, maxSessionExpiry)
	}
}
