package mqttbridge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"strings"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/thingyard/thingyard/server/api"
	"github.com/thingyard/thingyard/sim"
)

// ID names the hook.
func (b *Broker) ID() string { return "thingyard" }

// Provides says which hooks the broker implements.
func (b *Broker) Provides(h byte) bool {
	return bytes.Contains([]byte{mqtt.OnConnect, mqtt.OnConnectAuthenticate, mqtt.OnACLCheck, mqtt.OnSubscribe,
		mqtt.OnSubscribed, mqtt.OnPublish, mqtt.OnWill, mqtt.OnDisconnect}, []byte{h})
}

// room is the room a client connected to; "" on an open broker.
func (b *Broker) room(cl *mqtt.Client) string {
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
func (b *Broker) OnConnect(cl *mqtt.Client, pk packets.Packet) error {
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
func (b *Broker) refuseConnect(cl *mqtt.Client, pk packets.Packet, code packets.Code, why string) error {
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
func (b *Broker) OnConnectAuthenticate(*mqtt.Client, packets.Packet) bool { return true }

// mayRead says whether a client may read a topic or subscribe to a filter,
// and why not.
func (b *Broker) mayRead(cl *mqtt.Client, topic string) (bool, string) {
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
func (b *Broker) mayWrite(cl *mqtt.Client, topic string) error {
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
func (b *Broker) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
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
func (b *Broker) OnSubscribe(cl *mqtt.Client, pk packets.Packet) packets.Packet {
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
func (b *Broker) OnSubscribed(*mqtt.Client, packets.Packet, []byte) {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// OnDisconnect forgets a client's own allowance; its address's stays, until
// the limiter forgets the addresses whose allowance is full again.
func (b *Broker) OnDisconnect(cl *mqtt.Client, _ error, _ bool) {
	b.clients.Forget(cl.ID)
}

// OnPublish turns a publish to a set topic into an action in the room.
func (b *Broker) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
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
func (b *Broker) OnWill(cl *mqtt.Client, will mqtt.Will) (mqtt.Will, error) {
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
func (b *Broker) set(cl *mqtt.Client, topic string, payload []byte) *refusal {
	refuse := func(code packets.Code, why string) *refusal { return &refusal{code, why} }
	if err := b.mayWrite(cl, topic); err != nil {
		return refuse(packets.ErrNotAuthorized, err.Error())
	}
	room, device, _ := setTopic(topic)
	if len(payload) > maxSet {
		return refuse(packets.ErrPacketTooLarge, fmt.Sprintf("a set payload is at most %d bytes, this one %d", maxSet, len(payload)))
	}
	if why := b.allow(cl.ID, addrOf(cl)); why != "" {
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
		_, closed = api.Closed(w, &v, sim.Action{Device: device})
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
	res, err := api.Submit(b.rel, room, "mqtt:"+name, body)
	if err != nil {
		return refuse(packets.ErrImplementationSpecificError, err.Error())
	}
	b.sets.Add(1)
	b.log.Info("mqtt set became an action", "client", cl.ID, "topic", topic, "room", room, "seq", res.Seq, "kind", act.Kind)
	return nil
}

// allow takes one set publish from a client's and its address's
// allowance, or says why it cannot; it takes from neither when one has
// none left.
func (b *Broker) allow(client, addr string) string {
	perAddr := fmt.Sprintf("at most %d set publishes a second from one address (%s), whatever the client ids", addrSetRate, addr)
	switch {
	case !b.clients.Ready(client):
		return fmt.Sprintf("at most %d set publishes a second per client", setRate)
	case !b.addrs.Ready(addr):
		return perAddr
	case !b.clients.Allow(client) || !b.addrs.Allow(addr):
		return perAddr // another set from the address took the last one
	}
	return ""
}

// addrOf is the host a client connects from.
func addrOf(cl *mqtt.Client) string {
	host, _, err := net.SplitHostPort(cl.Net.Remote)
	if err != nil {
		return cl.Net.Remote
	}
	return host
}
