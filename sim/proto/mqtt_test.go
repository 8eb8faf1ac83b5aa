package proto_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/packets"

	"github.com/thingyard/thingyard/internal/testkit"
	"github.com/thingyard/thingyard/sim/proto"
)

// pahoRead decodes one packet with Eclipse Paho's MQTT 5 decoder and
// checks that it consumed the whole frame.
func pahoRead(t *testing.T, frame []byte) *packets.ControlPacket {
	t.Helper()
	r := bytes.NewReader(frame)
	cp, err := packets.ReadPacket(r)
	if err != nil {
		t.Fatalf("paho cannot read % X: %v", frame, err)
	}
	if r.Len() != 0 {
		t.Fatalf("paho left %d bytes of % X", r.Len(), frame)
	}
	return cp
}

func pahoBytes(t *testing.T, cp *packets.ControlPacket) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := cp.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Our MQTT 5 packets are read by Eclipse Paho's decoder.
func TestMQTT5EncodedReadByPaho(t *testing.T) {
	for _, m := range []proto.MQTTMessage{
		{Topic: "thingyard/iot/living-temp/temp", Payload: []byte(`{"v":21.53}`), QoS: 1, PacketID: 77},
		{Topic: "a", Payload: nil},
		{Topic: "t/retained", Payload: []byte("on"), Retain: true},
		{Topic: "t/exactly-once", Payload: bytes.Repeat([]byte{0xA5}, 200), QoS: 2, Dup: true, PacketID: 65535},
	} {
		frame := proto.AppendMQTTPublish(nil, proto.MQTTv5, m)
		pub, ok := pahoRead(t, frame).Content.(*packets.Publish)
		if !ok || pub.Topic != m.Topic || !bytes.Equal(pub.Payload, m.Payload) || pub.QoS != m.QoS || pub.Retain != m.Retain || pub.Duplicate != m.Dup {
			t.Errorf("PUBLISH %+v read by paho as %+v", m, pub)
		}
		if m.QoS > 0 && pub.PacketID != m.PacketID {
			t.Errorf("packet id %d, want %d", pub.PacketID, m.PacketID)
		}
		if n := proto.MQTTPublishLen(proto.MQTTv5, len(m.Topic), len(m.Payload), m.QoS); n != len(frame) {
			t.Errorf("MQTTPublishLen %d, frame %d", n, len(frame))
		}
	}

	subs := []proto.MQTTSubscription{{Filter: "thingyard/#", QoS: 1}, {Filter: "+/alarm", QoS: 2}, {Filter: "x", QoS: 0}}
	s, ok := pahoRead(t, proto.AppendMQTTSubscribe(nil, proto.MQTTv5, 9, subs)).Content.(*packets.Subscribe)
	if !ok || s.PacketID != 9 || len(s.Subscriptions) != len(subs) {
		t.Fatalf("SUBSCRIBE read by paho as %+v", s)
	}
	for i, sub := range subs {
		if got := s.Subscriptions[i]; got.Topic != sub.Filter || got.QoS != sub.QoS {
			t.Errorf("subscription %d: %+v, want %+v", i, got, sub)
		}
	}
	sa, ok := pahoRead(t, proto.AppendMQTTSuback(nil, proto.MQTTv5, 9, []byte{1, 2, 0x80})).Content.(*packets.Suback)
	if !ok || sa.PacketID != 9 || !bytes.Equal(sa.Reasons, []byte{1, 2, 0x80}) {
		t.Errorf("SUBACK read by paho as %+v", sa)
	}

	opts := &proto.MQTTConnectOptions{Version: proto.MQTTv5, ClientID: "plc-7", KeepAlive: 30, CleanStart: true,
		Username: "teacher", Password: []byte("s3cret"), WillTopic: "thingyard/plc-7/status", WillMessage: []byte("offline"), WillQoS: 1, WillRetain: true}
	c, ok := pahoRead(t, proto.AppendMQTTConnect(nil, opts)).Content.(*packets.Connect)
	if !ok || c.ProtocolName != "MQTT" || c.ProtocolVersion != 5 || c.ClientID != "plc-7" || c.KeepAlive != 30 || !c.CleanStart ||
		c.Username != "teacher" || string(c.Password) != "s3cret" || !c.WillFlag || c.WillTopic != opts.WillTopic ||
		string(c.WillMessage) != "offline" || c.WillQOS != 1 || !c.WillRetain {
		t.Errorf("CONNECT read by paho as %+v", c)
	}
	ca, ok := pahoRead(t, proto.AppendMQTTConnack(nil, proto.MQTTv5, true, 0x87)).Content.(*packets.Connack)
	if !ok || !ca.SessionPresent || ca.ReasonCode != 0x87 {
		t.Errorf("CONNACK read by paho as %+v", ca)
	}
	if pa, ok := pahoRead(t, proto.AppendMQTTPuback(nil, 513)).Content.(*packets.Puback); !ok || pa.PacketID != 513 {
		t.Errorf("PUBACK read by paho as %+v", pa)
	}
	for _, tt := range []struct {
		frame []byte
		typ   byte
	}{
		{proto.AppendMQTTPingreq(nil), packets.PINGREQ},
		{proto.AppendMQTTPingresp(nil), packets.PINGRESP},
		// Not DISCONNECT: MQTT 5 (3.14.2.1) lets E0 00 stand for reason 0,
		// and Paho v0.23.0 wrongly demands the reason byte; Mosquitto takes
		// our DISCONNECT in TestMQTTWithMosquitto.
	} {
		if got := pahoRead(t, tt.frame).Type; got != tt.typ {
			t.Errorf("% X read by paho as type %d, want %d", tt.frame, got, tt.typ)
		}
	}
}

// Paho's MQTT 5 packets, properties included, are read by ours.
func TestMQTT5PahoEncodedReadByUs(t *testing.T) {
	parse := func(frame []byte) proto.MQTTPacket {
		t.Helper()
		p, err := proto.ParseMQTT(frame, proto.MQTTv5)
		if err != nil {
			t.Fatalf("we cannot read paho's % X: %v", frame, err)
		}
		if p.Len != len(frame) {
			t.Fatalf("packet of %d bytes, frame %d", p.Len, len(frame))
		}
		// The dissector must walk the same packet, properties included.
		fields, err := proto.Dissect(proto.ProtoMQTT5, frame)
		if err != nil {
			t.Fatalf("dissect % X: %v", frame, err)
		}
		checkCovers(t, fields, len(frame))
		return p
	}

	cp := packets.NewControlPacket(packets.PUBLISH)
	pp := cp.Content.(*packets.Publish)
	pp.Topic, pp.Payload, pp.QoS, pp.PacketID, pp.Retain = "a/b", []byte("hello"), 1, 5, true
	pp.Properties = &packets.Properties{ContentType: "text/plain", User: []packets.User{{Key: "site", Value: "plant-2"}}}
	p := parse(pahoBytes(t, cp))
	if p.Type != proto.MQTTPublish || string(p.Topic) != "a/b" || string(p.Payload) != "hello" || p.PacketID != 5 || p.QoS != 1 || !p.Retain || len(p.Properties) == 0 {
		t.Errorf("PUBLISH parsed as %+v", p)
	}

	cp = packets.NewControlPacket(packets.CONNECT)
	cc := cp.Content.(*packets.Connect)
	cc.ProtocolName, cc.ProtocolVersion, cc.ClientID, cc.KeepAlive, cc.CleanStart = "MQTT", 5, "dash-1", 60, true
	cc.UsernameFlag, cc.Username, cc.PasswordFlag, cc.Password = true, "u", true, []byte("p")
	exp := uint32(3600)
	cc.Properties = &packets.Properties{SessionExpiryInterval: &exp}
	p = parse(pahoBytes(t, cp))
	if p.Type != proto.MQTTConnect || p.Version != 5 || string(p.ClientID) != "dash-1" || p.KeepAlive != 60 || string(p.Username) != "u" || string(p.Password) != "p" {
		t.Errorf("CONNECT parsed as %+v", p)
	}

	cp = packets.NewControlPacket(packets.CONNACK)
	ck := cp.Content.(*packets.Connack)
	ck.SessionPresent, ck.Properties = true, &packets.Properties{AssignedClientID: "auto-1"}
	p = parse(pahoBytes(t, cp))
	if p.Type != proto.MQTTConnack || !p.SessionPresent || p.ReasonCode != 0 {
		t.Errorf("CONNACK parsed as %+v", p)
	}

	cp = packets.NewControlPacket(packets.SUBSCRIBE)
	sc := cp.Content.(*packets.Subscribe)
	sc.PacketID = 3
	sc.Subscriptions = []packets.SubOptions{{Topic: "thingyard/#", QoS: 1}, {Topic: "alarms", QoS: 2, NoLocal: true}}
	p = parse(pahoBytes(t, cp))
	var got []string
	for f, o := range p.Subscriptions() {
		got = append(got, fmt.Sprintf("%s:%d", f, o&3))
	}
	if p.Type != proto.MQTTSubscribe || p.PacketID != 3 || !slices.Equal(got, []string{"thingyard/#:1", "alarms:2"}) {
		t.Errorf("SUBSCRIBE parsed as %+v with %v", p, got)
	}

	cp = packets.NewControlPacket(packets.SUBACK)
	sa := cp.Content.(*packets.Suback)
	sa.PacketID, sa.Reasons = 3, []byte{1, 0x80}
	if p = parse(pahoBytes(t, cp)); p.Type != proto.MQTTSuback || p.PacketID != 3 || !bytes.Equal(p.List, []byte{1, 0x80}) {
		t.Errorf("SUBACK parsed as %+v", p)
	}

	cp = packets.NewControlPacket(packets.PUBACK)
	cp.Content.(*packets.Puback).PacketID = 5
	if p = parse(pahoBytes(t, cp)); p.Type != proto.MQTTPuback || p.PacketID != 5 {
		t.Errorf("PUBACK parsed as %+v", p)
	}

	cp = packets.NewControlPacket(packets.DISCONNECT)
	cp.Content.(*packets.Disconnect).ReasonCode = 0x8B // server shutting down
	if p = parse(pahoBytes(t, cp)); p.Type != proto.MQTTDisconnect || p.ReasonCode != 0x8B {
		t.Errorf("DISCONNECT parsed as %+v", p)
	}
}

// MQTT 3.1.1 packets with known bytes: the PUBLISH from the OASIS
// specification's topic/packet-id layout, and the fixed two-byte packets.
func TestMQTT311Bytes(t *testing.T) {
	for _, tt := range []struct {
		name  string
		frame []byte
		want  string
	}{
		// Fixed header 0x32 (PUBLISH, QoS 1), remaining 12, topic "a/b" with
		// its two-byte length, packet id 10, payload "hello".
		{"publish", proto.AppendMQTTPublish(nil, proto.MQTTv311, proto.MQTTMessage{Topic: "a/b", Payload: []byte("hello"), QoS: 1, PacketID: 10}),
			"32 0C 00 03 61 2F 62 00 0A 68 65 6C 6C 6F"},
		{"publish qos 0 retained", proto.AppendMQTTPublish(nil, proto.MQTTv311, proto.MQTTMessage{Topic: "t", Payload: []byte("1"), Retain: true}),
			"31 04 00 01 74 31"},
		// CONNECT: "MQTT", level 4, clean session, keep alive 60, client id "c".
		{"connect", proto.AppendMQTTConnect(nil, &proto.MQTTConnectOptions{ClientID: "c", KeepAlive: 60, CleanStart: true}),
			"10 0D 00 04 4D 51 54 54 04 02 00 3C 00 01 63"},
		{"connack", proto.AppendMQTTConnack(nil, proto.MQTTv311, false, 0), "20 02 00 00"},
		{"subscribe", proto.AppendMQTTSubscribe(nil, proto.MQTTv311, 1, []proto.MQTTSubscription{{Filter: "a/#", QoS: 1}}),
			"82 08 00 01 00 03 61 2F 23 01"},
		{"suback", proto.AppendMQTTSuback(nil, proto.MQTTv311, 1, []byte{1}), "90 03 00 01 01"},
		{"puback", proto.AppendMQTTPuback(nil, 10), "40 02 00 0A"},
		{"pingreq", proto.AppendMQTTPingreq(nil), "C0 00"},
		{"pingresp", proto.AppendMQTTPingresp(nil), "D0 00"},
		{"disconnect", proto.AppendMQTTDisconnect(nil), "E0 00"},
	} {
		if got := spaced(tt.frame); got != tt.want {
			t.Errorf("%s: % X, want %s", tt.name, tt.frame, tt.want)
		}
		if _, err := proto.ParseMQTT(tt.frame, proto.MQTTv311); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	// Remaining length 321 takes two bytes: 0xC1 0x02 (the specification's
	// own example of the variable byte integer).
	if got := proto.AppendMQTTVarint(nil, 321); !bytes.Equal(got, []byte{0xC1, 0x02}) {
		t.Errorf("varint 321 = % X", got)
	}
	for _, n := range []int{0, 127, 128, 16383, 16384, 2097151, 2097152, proto.MQTTMaxRemainingLength} {
		b := proto.AppendMQTTVarint(nil, n)
		if got, size, err := proto.ParseMQTTVarint(b); got != n || size != len(b) || err != nil {
			t.Errorf("varint %d -> % X -> %d, %d, %v", n, b, got, size, err)
		}
	}
}

// brokerLog is Mosquitto's log as it is written, line by line.
type brokerLog struct {
	lines chan string
	seen  []string
}

// wait reads the log until a line contains substr, for at most 10 s, and
// returns that line.
func (l *brokerLog) wait(t *testing.T, substr string) string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case line, ok := <-l.lines:
			if !ok {
				t.Fatalf("mosquitto stopped before logging %q:\n%s", substr, strings.Join(l.seen, "\n"))
			}
			l.seen = append(l.seen, line)
			if strings.Contains(line, substr) {
				return line
			}
		case <-deadline:
			t.Fatalf("mosquitto did not log %q within 10 s:\n%s", substr, strings.Join(l.seen, "\n"))
		}
	}
}

// startMosquitto runs Eclipse Mosquitto on a free loopback port and returns
// its address, once it listens, and its log.
func startMosquitto(t *testing.T) (string, *brokerLog) {
	t.Helper()
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		bin = "/usr/sbin/mosquitto"
		if _, err := os.Stat(bin); err != nil {
			t.Skip("mosquitto is not installed (apt-get install mosquitto)")
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)
	conf := filepath.Join(t.TempDir(), "mosquitto.conf")
	if err := os.WriteFile(conf, []byte("listener "+port+" 127.0.0.1\nallow_anonymous true\nlog_dest stderr\nlog_type all\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", conf)
	testkit.DieWithTest(cmd)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start mosquitto: %v", err)
	}
	log := &brokerLog{lines: make(chan string, 1024)}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			log.lines <- sc.Text()
		}
		close(log.lines)
	}()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	log.wait(t, "listen socket on port "+port)
	log.wait(t, " running") // logged once every listener accepts
	return addr, log
}

// readMQTT reads one whole packet from a stream, using the fixed header's
// remaining length.
func readMQTT(t *testing.T, r *bufio.Reader) []byte {
	t.Helper()
	head, err := r.Peek(2)
	if err != nil {
		t.Fatalf("read packet: %v", err)
	}
	var n, size int
	for i := 1; i <= 4; i++ {
		if head, err = r.Peek(i + 1); err != nil {
			t.Fatalf("read packet: %v", err)
		}
		if n, size, err = proto.ParseMQTTVarint(head[1:]); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("remaining length % X: %v", head, err)
	}
	frame := make([]byte, 1+size+n)
	if _, err := io.ReadFull(r, frame); err != nil {
		t.Fatalf("read packet: %v", err)
	}
	return frame
}

// A real broker, Eclipse Mosquitto, accepts our MQTT 3.1.1 and 5 packets
// and routes our PUBLISH back to our own subscription; we read every packet
// it sends. Mosquitto closes the connection on any malformed packet.
func TestMQTTWithMosquitto(t *testing.T) {
	if runtime.GOOS == "js" {
		t.Skip("a broker process and a TCP socket: this test runs in the native pass")
	}
	addr, log := startMosquitto(t)
	for _, version := range []byte{proto.MQTTv311, proto.MQTTv5} {
		t.Run(fmt.Sprintf("level %d", version), func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			r := bufio.NewReader(conn)
			send := func(b []byte) {
				t.Helper()
				if _, err := conn.Write(b); err != nil {
					t.Fatal(err)
				}
			}
			recv := func() proto.MQTTPacket {
				t.Helper()
				frame := readMQTT(t, r)
				p, err := proto.ParseMQTT(frame, version)
				if err != nil {
					t.Fatalf("we cannot read mosquitto's % X: %v", frame, err)
				}
				return p
			}

			send(proto.AppendMQTTConnect(nil, &proto.MQTTConnectOptions{Version: version, ClientID: fmt.Sprintf("thingyard-%d", version),
				KeepAlive: 30, CleanStart: true, WillTopic: "thingyard/test/will", WillMessage: []byte("gone")}))
			if p := recv(); p.Type != proto.MQTTConnack || p.ReasonCode != 0 {
				t.Fatalf("CONNACK %+v", p)
			}
			send(proto.AppendMQTTSubscribe(nil, version, 1, []proto.MQTTSubscription{{Filter: "thingyard/test/#", QoS: 1}}))
			if p := recv(); p.Type != proto.MQTTSuback || p.PacketID != 1 || !bytes.Equal(p.List, []byte{1}) {
				t.Fatalf("SUBACK %+v", p)
			}
			msg := proto.MQTTMessage{Topic: "thingyard/test/temp", Payload: []byte(`{"v":21.5}`), QoS: 1, PacketID: 2}
			send(proto.AppendMQTTPublish(nil, version, msg))
			var acked, delivered bool
			for !acked || !delivered {
				switch p := recv(); p.Type {
				case proto.MQTTPuback:
					if p.PacketID != 2 {
						t.Fatalf("PUBACK for %d, want 2", p.PacketID)
					}
					acked = true
				case proto.MQTTPublish:
					if string(p.Topic) != msg.Topic || !bytes.Equal(p.Payload, msg.Payload) || p.QoS != 1 {
						t.Fatalf("routed PUBLISH %+v", p)
					}
					send(proto.AppendMQTTPuback(nil, p.PacketID))
					delivered = true
				default:
					t.Fatalf("unexpected %s", proto.MQTTTypeName(p.Type))
				}
			}
			send(proto.AppendMQTTPingreq(nil))
			if p := recv(); p.Type != proto.MQTTPingresp {
				t.Fatalf("after PINGREQ: %s", proto.MQTTTypeName(p.Type))
			}
			send(proto.AppendMQTTDisconnect(nil))
			if _, err := r.ReadByte(); !errors.Is(err, io.EOF) {
				t.Fatalf("after DISCONNECT the broker should close the connection, read: %v", err)
			}
			// The broker closes on a malformed packet too; its log tells a
			// DISCONNECT it took ("disconnected.") from a protocol error.
			if line := log.wait(t, fmt.Sprintf("Client thingyard-%d disconnected", version)); !strings.HasSuffix(line, "disconnected.") {
				t.Fatalf("mosquitto: %s", line)
			}
		})
	}
}

func TestParseMQTTErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		hex  string
		want error
	}{
		{"empty", "", proto.ErrShortFrame},
		{"remaining length past end", "30 05 00 01 74", proto.ErrShortFrame},
		{"varint of 5 bytes", "30 FF FF FF FF 01", proto.ErrMalformed},
		{"QoS 3", "36 03 00 01 74", proto.ErrMalformed},
		{"SUBSCRIBE flags 0", "80 06 00 01 00 01 74 00", proto.ErrMalformed},
		{"SUBSCRIBE without filter", "82 02 00 01", proto.ErrMalformed},
		{"topic longer than packet", "30 03 00 05 74", proto.ErrShortFrame},
		{"reserved type", "00 00", proto.ErrMalformed},
		{"CONNECT bad name", "10 0D 00 04 4D 51 54 58 04 02 00 3C 00 01 63", proto.ErrMalformed},
		{"CONNACK left over", "20 03 00 00 00", proto.ErrMalformed},
	} {
		_, err := proto.ParseMQTT(unhex(t, tt.hex), proto.MQTTv311)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}

// Whatever we encode parses back to the same message, in both versions.
func FuzzMQTTPublishRoundTrip(f *testing.F) {
	f.Add("thingyard/iot/s1/temp", []byte(`{"v":21.5}`), byte(1), uint16(7), true, false, false)
	f.Add("", []byte{}, byte(0), uint16(0), false, true, true)
	f.Fuzz(func(t *testing.T, topic string, payload []byte, qos byte, id uint16, retain, dup, v5 bool) {
		if len(topic) > 0xFFFF {
			return
		}
		version := byte(proto.MQTTv311)
		if v5 {
			version = proto.MQTTv5
		}
		m := proto.MQTTMessage{Topic: topic, Payload: payload, QoS: qos % 3, PacketID: id, Retain: retain, Dup: dup}
		frame := proto.AppendMQTTPublish(nil, version, m)
		p, err := proto.ParseMQTT(frame, version)
		if err != nil {
			t.Fatalf("%+v -> % X: %v", m, frame, err)
		}
		if string(p.Topic) != topic || !bytes.Equal(p.Payload, payload) || p.QoS != m.QoS || p.Retain != retain || p.Dup != dup || p.Len != len(frame) ||
			(m.QoS > 0 && p.PacketID != id) {
			t.Fatalf("%+v parsed as %+v", m, p)
		}
		if n := proto.MQTTPublishLen(version, len(topic), len(payload), m.QoS); n != len(frame) {
			t.Fatalf("MQTTPublishLen %d, frame %d", n, len(frame))
		}
	})
}

// Any bytes: no panic, and a packet that parses is no longer than the frame.
func FuzzParseMQTT(f *testing.F) {
	f.Add(proto.AppendMQTTPublish(nil, proto.MQTTv311, proto.MQTTMessage{Topic: "t", Payload: []byte("p")}), byte(4))
	f.Add(proto.AppendMQTTConnect(nil, &proto.MQTTConnectOptions{Version: 5, ClientID: "c", Username: "u", Password: []byte("p"), WillTopic: "w"}), byte(5))
	f.Add(proto.AppendMQTTSubscribe(nil, 5, 1, []proto.MQTTSubscription{{Filter: "a/#"}}), byte(5))
	f.Add(unhex(f, "30 1A 00 03 61 2F 62 0E 03 00 0A 74 65 78 74 2F 70 6C 61 69 6E 68 65 6C 6C 6F"), byte(5))
	f.Fuzz(func(t *testing.T, b []byte, v byte) {
		p, err := proto.ParseMQTT(b, v)
		if err == nil && (p.Len > len(b) || len(p.Payload) > len(b)) {
			t.Fatalf("packet of %d bytes from %d", p.Len, len(b))
		}
	})
}
