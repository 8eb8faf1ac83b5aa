package capture_test

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"slices"
	"strings"
	"testing"

	"github.com/thingyard/thingyard/capture"
	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/sim/proto"
)

// A frame of each medium, as a world would hand them over.
func sampleFrames() []sim.Frame {
	dev := func(f sim.Frame, from, to int32, fk, tk sim.Kind) sim.Frame {
		f.FromIndex, f.ToIndex, f.FromKind, f.ToKind = from, to, fk, tk
		f.From, f.To = map[int32]string{0: "plc", 1: "temp", 2: "hub", 3: "broker", 4: "app"}[from], map[int32]string{0: "plc", 1: "temp", 2: "hub", 3: "broker", 4: "app"}[to]
		f.Side, f.Kind, f.Link = "iot", "reading", "l"
		return f
	}
	mqtt := func(topic string) []byte {
		return proto.AppendMQTTPublish(nil, proto.MQTTv311, proto.MQTTMessage{Topic: topic, Payload: []byte(`{"v":21.53}`)})
	}
	return []sim.Frame{
		dev(sim.Frame{At: 1000, Medium: sim.MediumRS485, Protocol: sim.ProtoModbusRTU, Bytes: proto.AppendModbusRead(nil, 1, 4, 0, 2)}, 0, 1, sim.KindController, sim.KindSensor),
		dev(sim.Frame{At: 2000, Medium: sim.MediumCAN, Protocol: sim.ProtoCAN, Bytes: proto.AppendCANFrame(nil, proto.CANFrame{ID: 0x101, DLC: 4, Data: [8]byte{0, 0, 0x54, 0x1A}})}, 1, 0, sim.KindSensor, sim.KindController),
		dev(sim.Frame{At: 3000, Medium: sim.MediumZigbee, Protocol: sim.ProtoZigbee, Bytes: proto.AppendZigbeeReport(nil, 7, 0x1234, 2, 1, 2, 1, 2153)}, 1, 2, sim.KindSensor, sim.KindGateway),
		dev(sim.Frame{At: 4000, Medium: sim.MediumBLE, Protocol: sim.ProtoBLE, Bytes: proto.AppendBLENotify(nil, 0x2A, 21530)}, 1, 2, sim.KindSensor, sim.KindGateway),
		dev(sim.Frame{At: 5000, Medium: sim.MediumLoRaWAN, Protocol: sim.ProtoLoRaWAN, Bytes: proto.AppendLoRaWANUplink(nil, 0x26000001, 9, []byte{0, 0, 0x54, 0x1A})}, 1, 2, sim.KindSensor, sim.KindGateway),
		dev(sim.Frame{At: 6000, Medium: sim.MediumWiFi, Protocol: sim.ProtoMQTT, Bytes: mqtt("thingyard/iot/temp/temp")}, 2, 3, sim.KindGateway, sim.KindBroker),
		dev(sim.Frame{At: 7000, Medium: sim.MediumWiFi, Protocol: sim.ProtoMQTT, Bytes: mqtt("thingyard/iot/temp/temp")}, 2, 3, sim.KindGateway, sim.KindBroker),
		dev(sim.Frame{At: 8000, Medium: sim.MediumInternet, Protocol: sim.ProtoMQTT, Bytes: mqtt("thingyard/iot/temp/temp")}, 3, 4, sim.KindBroker, sim.KindApp),
		dev(sim.Frame{At: 9000, Medium: sim.MediumInternet, Protocol: sim.ProtoCoAP, Bytes: proto.AppendCoAPPost(nil, 4, 4, "s", []byte(`{"v":1}`)), Lost: sim.LostOnLink}, 2, 3, sim.KindGateway, sim.KindBroker),
		dev(sim.Frame{At: 10000, Medium: sim.MediumWiFi, Protocol: sim.ProtoMQTT, Bytes: mqtt("thingyard/iot/app/set")}, 3, 2, sim.KindBroker, sim.KindGateway),
	}
}

func write(t *testing.T, opts capture.Options, frames []sim.Frame) *pcapFile {
	t.Helper()
	var buf bytes.Buffer
	w, err := capture.NewWriter(&buf, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range frames {
		if err := w.Write(&frames[i]); err != nil {
			t.Fatal(err)
		}
	}
	f, err := readPcapng(buf.Bytes())
	if err != nil {
		t.Fatalf("the capture is not valid pcapng: %v", err)
	}
	if len(f.packets) != w.Frames() {
		t.Fatalf("Frames says %d, the file holds %d", w.Frames(), len(f.packets))
	}
	return f
}

// Every frame is captured the way a sniffer of its medium shows it, on an
// interface of its medium, at its simulated time, with who sent it to whom.
func TestEachMediumItsLinkType(t *testing.T) {
	frames := sampleFrames()
	f := write(t, capture.Options{Comment: "scene test"}, frames)
	if f.comment != "scene test" || f.appl != "Thingyard" {
		t.Errorf("section comment %q, application %q", f.comment, f.appl)
	}
	want := []struct {
		name     string
		linkType uint16
	}{{"rs485", 147}, {"can", 227}, {"zigbee", 195}, {"ble", 256}, {"lorawan", 270}, {"wifi", 228}, {"internet", 228}}
	if len(f.ifaces) != len(want) {
		t.Fatalf("interfaces %+v", f.ifaces)
	}
	for i, w := range want {
		if got := f.ifaces[i]; got.name != w.name || got.linkType != w.linkType || got.tsresol != 6 || got.descr == "" {
			t.Errorf("interface %d: %+v, want %s with link type %d and microseconds", i, got, w.name, w.linkType)
		}
	}
	if len(f.packets) != len(frames) {
		t.Fatalf("%d packets of %d frames", len(f.packets), len(frames))
	}
	for i, p := range f.packets {
		fr := frames[i]
		if p.ts != uint64(fr.At) || int(p.origLen) != len(p.data) || f.ifaces[p.iface].name != fr.Medium.String() {
			t.Errorf("packet %d: at %d on %s, want %d on %s", i, p.ts, f.ifaces[p.iface].name, fr.At, fr.Medium)
		}
		if !strings.HasPrefix(p.comment, fr.From+" -> "+fr.To+": "+fr.Protocol.String()+" reading") {
			t.Errorf("packet %d: comment %q", i, p.comment)
		}
	}
	if !strings.HasSuffix(f.packets[8].comment, "; lost: "+sim.LostOnLink) {
		t.Errorf("a lost frame's comment %q", f.packets[8].comment)
	}

	// Modbus RTU and Zigbee as they are.
	if !bytes.Equal(f.packets[0].data, frames[0].Bytes) || !bytes.Equal(f.packets[2].data, frames[2].Bytes) {
		t.Errorf("Modbus % X, Zigbee % X", f.packets[0].data, f.packets[2].data)
	}
	// SocketCAN: the identifier in network byte order.
	if want := []byte{0, 0, 1, 1, 4, 0, 0, 0, 0, 0, 0x54, 0x1A, 0, 0, 0, 0}; !bytes.Equal(f.packets[1].data, want) {
		t.Errorf("CAN % X, want % X", f.packets[1].data, want)
	}
	// BLE: sniffer header, the access address twice (reference and on
	// air), the PDU; a data PDU from a peripheral, its CRC checked and valid.
	ble := f.packets[3].data
	if len(ble) != 14+len(frames[3].Bytes) || !bytes.Equal(ble[14:], frames[3].Bytes) || !bytes.Equal(ble[4:8], ble[10:14]) ||
		binary.LittleEndian.Uint32(ble[10:]) == proto.BLEAdvAccessAddress || binary.LittleEndian.Uint16(ble[8:]) != 0x0001|0x0010|0x0400|0x0800|3<<7 {
		t.Errorf("BLE % X", ble)
	}
	// LoRaTap: a 15-byte version 0 header with the public LoRaWAN sync word.
	lora := f.packets[4].data
	if len(lora) != 15+len(frames[4].Bytes) || lora[0] != 0 || binary.BigEndian.Uint16(lora[2:]) != 15 || lora[14] != 0x34 ||
		binary.BigEndian.Uint32(lora[4:]) != 868_100_000 || !bytes.Equal(lora[15:], frames[4].Bytes) {
		t.Errorf("LoRaTap % X", lora)
	}
}

// IP frames travel in IPv4 packets whose checksums hold, on TCP streams
// whose sequence numbers follow on (so an analyser reassembles them) or in
// UDP datagrams, between addresses named after the devices.
func TestIPStreams(t *testing.T) {
	frames := sampleFrames()
	f := write(t, capture.Options{}, frames)
	type seg struct {
		src, dst         [4]byte
		sport, dport     uint16
		seq, ack         uint32
		proto            byte
		payload, segment []byte
	}
	parse := func(i int) seg {
		t.Helper()
		p := f.packets[i].data
		if p[0] != 0x45 || int(binary.BigEndian.Uint16(p[2:])) != len(p) || onesSum(p[:20]) != 0xFFFF {
			t.Fatalf("packet %d: IPv4 header % X (sum %04X)", i, p[:20], onesSum(p[:20]))
		}
		s := seg{src: [4]byte(p[12:16]), dst: [4]byte(p[16:20]), proto: p[9], segment: p[20:]}
		s.sport, s.dport = binary.BigEndian.Uint16(p[20:]), binary.BigEndian.Uint16(p[22:])
		pseudo := append(append(append([]byte{}, p[12:20]...), 0, p[9]), byte(len(s.segment)>>8), byte(len(s.segment)))
		if sum := onesSum(append(pseudo, s.segment...)); sum != 0xFFFF {
			t.Errorf("packet %d: transport checksum does not hold (sum %04X)", i, sum)
		}
		if p[9] == 6 {
			s.seq, s.ack = binary.BigEndian.Uint32(p[24:]), binary.BigEndian.Uint32(p[28:])
			s.payload = p[40:]
		} else {
			s.payload = p[28:]
		}
		if !bytes.Equal(s.payload, frames[i].Bytes) {
			t.Errorf("packet %d carries % X, not the frame", i, s.payload)
		}
		return s
	}
	a, b, c, d, e := parse(5), parse(6), parse(7), parse(8), parse(9)
	// hub -> broker twice: one stream, to the MQTT port, the second
	// segment where the first ended.
	if a.proto != 6 || a.dport != 1883 || a.sport < 49152 || b.sport != a.sport || b.seq != a.seq+uint32(len(a.payload)) {
		t.Errorf("MQTT stream: %d->%d seq %d, then %d->%d seq %d", a.sport, a.dport, a.seq, b.sport, b.dport, b.seq)
	}
	// broker -> hub is the same connection the other way, acknowledging
	// all the hub sent.
	if e.sport != 1883 || e.dport != a.sport || e.ack != b.seq+uint32(len(b.payload)) || e.src != a.dst || e.dst != a.src {
		t.Errorf("the reply way: %d->%d ack %d, want %d->%d ack %d", e.sport, e.dport, e.ack, 1883, a.sport, b.seq+uint32(len(b.payload)))
	}
	// broker -> app: the broker is the server, whichever end sends.
	if c.sport != 1883 || c.dport < 49152 {
		t.Errorf("broker to app: %d->%d", c.sport, c.dport)
	}
	// CoAP on UDP to 5683.
	if d.proto != 17 || d.dport != 5683 {
		t.Errorf("CoAP: protocol %d, port %d", d.proto, d.dport)
	}
	for addr, want := range map[[4]byte]string{a.src: "hub", a.dst: "broker", c.dst: "app"} {
		if f.names[addr] != want {
			t.Errorf("%v is named %q, want %q", addr, f.names[addr], want)
		}
	}
}

func onesSum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xFFFF {
		s = s&0xFFFF + s>>16
	}
	return uint16(s)
}

// A window keeps the frames that start in it and the interfaces they use.
func TestWindow(t *testing.T) {
	f := write(t, capture.Options{From: 2000, To: 5000}, sampleFrames())
	if len(f.packets) != 3 || f.packets[0].ts != 2000 || f.packets[2].ts != 4000 || len(f.ifaces) != 3 {
		t.Errorf("%d packets from %d, %d interfaces", len(f.packets), f.packets[0].ts, len(f.ifaces))
	}
}

// A Stream writes, while the world runs, exactly the file that writing
// every frame of the run in time order at the end makes; in it no frame
// comes before one that started earlier.
func TestStreamWritesInTimeOrder(t *testing.T) {
	sc, err := scenes.Builtin("overview")
	if err != nil {
		t.Fatal(err)
	}
	scen := scenes.Scenario{Scene: sc, Seed: sc.Seed}
	world := func() *sim.World {
		w, err := sim.New(scen.Spec(), scen.Seed)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	const ticks = 20_000
	var streamed bytes.Buffer
	w := world()
	st, err := capture.NewStream(&streamed, w, capture.Options{Comment: "c"})
	if err != nil {
		t.Fatal(err)
	}
	for w.Tick() < ticks {
		w.Step(137) // not a divisor of anything the world schedules
		if err := st.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	var all []sim.Frame
	w = world()
	w.OnFrame(func(f *sim.Frame) {
		c := *f
		c.Bytes = bytes.Clone(f.Bytes)
		all = append(all, c)
	})
	w.Step(int(ticks + 137 - ticks%137))
	slices.SortStableFunc(all, func(a, b sim.Frame) int { return cmp.Compare(a.At, b.At) })
	var whole bytes.Buffer
	cw, _ := capture.NewWriter(&whole, capture.Options{Comment: "c"})
	for i := range all {
		cw.Write(&all[i])
	}
	if !bytes.Equal(streamed.Bytes(), whole.Bytes()) {
		t.Errorf("streamed %d bytes (%d frames), written whole %d bytes (%d frames)", streamed.Len(), st.Frames(), whole.Len(), cw.Frames())
	}
	f, err := readPcapng(streamed.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(f.packets) < 500 {
		t.Fatalf("%d frames in %d ticks", len(f.packets), ticks)
	}
	for i := 1; i < len(f.packets); i++ {
		if f.packets[i].ts < f.packets[i-1].ts {
			t.Fatalf("frame %d at %d µs after frame %d at %d µs", i+1, f.packets[i].ts, i, f.packets[i-1].ts)
		}
	}
}
