package proto_test

import (
	"bytes"
	"testing"

	"github.com/eclipse/paho.golang/packets"

	"github.com/thingyard/thingyard/sim/proto"
)

// Our MQTT 5 packets are read by Eclipse Paho's packet decoder, and
// Paho's are read by ours.
func TestMQTTWithPaho(t *testing.T) {
	msg := proto.MQTTMessage{Topic: "thingyard/iot/living-temp/temp", Payload: []byte(`{"v":21.53}`), QoS: 1, PacketID: 77}
	frame := proto.AppendMQTTPublish(nil, proto.MQTTv5, msg)
	cp, err := packets.ReadPacket(bytes.NewReader(frame))
	if err != nil {
		t.Fatalf("paho cannot read our PUBLISH % x: %v", frame, err)
	}
	pub, ok := cp.Content.(*packets.Publish)
	if !ok || pub.Topic != msg.Topic || string(pub.Payload) != string(msg.Payload) || pub.QoS != 1 || pub.PacketID != 77 {
		t.Fatalf("paho read %+v", cp.Content)
	}
	if n := proto.MQTTPublishLen(proto.MQTTv5, len(msg.Topic), len(msg.Payload), 1); n != len(frame) {
		t.Errorf("MQTTPublishLen %d, frame %d", n, len(frame))
	}

	sub := proto.AppendMQTTSubscribe(nil, proto.MQTTv5, 9, []proto.MQTTSubscription{{Filter: "thingyard/#", QoS: 1}})
	cp, err = packets.ReadPacket(bytes.NewReader(sub))
	if err != nil {
		t.Fatalf("paho cannot read our SUBSCRIBE % x: %v", sub, err)
	}
	if s, ok := cp.Content.(*packets.Subscribe); !ok || s.PacketID != 9 || len(s.Subscriptions) != 1 || s.Subscriptions[0].Topic != "thingyard/#" || s.Subscriptions[0].QoS != 1 {
		t.Fatalf("paho read %+v", cp.Content)
	}

	conn := proto.AppendMQTTConnect(nil, &proto.MQTTConnectOptions{Version: proto.MQTTv5, ClientID: "plc-7", KeepAlive: 30, CleanStart: true})
	cp, err = packets.ReadPacket(bytes.NewReader(conn))
	if err != nil {
		t.Fatalf("paho cannot read our CONNECT % x: %v", conn, err)
	}
	if c, ok := cp.Content.(*packets.Connect); !ok || c.ClientID != "plc-7" || c.KeepAlive != 30 || !c.CleanStart {
		t.Fatalf("paho read %+v", cp.Content)
	}

	// And the other way.
	var buf bytes.Buffer
	p := packets.NewControlPacket(packets.PUBLISH)
	pp := p.Content.(*packets.Publish)
	pp.Topic, pp.Payload, pp.QoS, pp.PacketID = "a/b", []byte("hello"), 1, 5
	if _, err := p.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := proto.ParseMQTT(buf.Bytes(), proto.MQTTv5)
	if err != nil || got.Type != proto.MQTTPublish || string(got.Topic) != "a/b" || string(got.Payload) != "hello" || got.PacketID != 5 {
		t.Fatalf("we read paho's PUBLISH % x as %+v, %v", buf.Bytes(), got, err)
	}
}

func FuzzParseMQTT(f *testing.F) {
	f.Add(proto.AppendMQTTPublish(nil, proto.MQTTv311, proto.MQTTMessage{Topic: "t", Payload: []byte("p")}), byte(4))
	f.Fuzz(func(t *testing.T, b []byte, v byte) {
		proto.ParseMQTT(b, v)
	})
}
