package proto_test

import (
	"testing"

	"github.com/thingyard/thingyard/sim/proto"
)

// encoders are the Append functions the world calls per message, each with
// a typical reading's arguments.
var (
	benchPayload = []byte(`{"v":21.53,"u":"C"}`)
	benchMQTT    = proto.MQTTMessage{Topic: "thingyard/iot/living-temp/temp", Payload: benchPayload, QoS: 1, PacketID: 77}
	benchSubs    = []proto.MQTTSubscription{{Filter: "thingyard/#", QoS: 1}}
	benchConnect = &proto.MQTTConnectOptions{Version: proto.MQTTv5, ClientID: "plc-7", KeepAlive: 30, CleanStart: true, Username: "u", Password: []byte("p")}
	benchCoAP    = proto.CoAPMessage{Type: proto.CoAPConfirmable, Code: proto.CoAPCodePOST, MessageID: 1, Token: []byte{1, 2, 3, 4},
		Options: []proto.CoAPOption{{Number: proto.CoAPOptionContentFormat, Value: []byte{50}}, {Number: proto.CoAPOptionURIPath, Value: []byte("s")}}, Payload: benchPayload}
	benchLoRa = proto.LoRaWANFrame{MType: proto.LoRaWANUnconfirmedUp, DevAddr: 0x26011BDA, FCnt: 3, FPort: 1, Payload: []byte{1, 2, 3, 4}}
	benchAdv  = proto.BLEAdvertisement{PDUType: proto.BLEAdvNonconnInd, AdvA: [6]byte{1, 2, 3, 4, 5, 6}, Data: []byte{2, 1, 6, 3, 9, 't', '1'}}
	benchCAN  = proto.CANFrame{ID: 0x123, DLC: 8, Data: [8]byte{1, 2, 3, 4, 5, 6, 7, 8}}
)

var encoders = []struct {
	name string
	fn   func(dst []byte) []byte
}{
	{"CANFrame", func(b []byte) []byte { return proto.AppendCANFrame(b, benchCAN) }},
	{"MQTTPublish311", func(b []byte) []byte { return proto.AppendMQTTPublish(b, proto.MQTTv311, benchMQTT) }},
	{"MQTTPublish5", func(b []byte) []byte { return proto.AppendMQTTPublish(b, proto.MQTTv5, benchMQTT) }},
	{"MQTTConnect", func(b []byte) []byte { return proto.AppendMQTTConnect(b, benchConnect) }},
	{"MQTTSubscribe", func(b []byte) []byte { return proto.AppendMQTTSubscribe(b, proto.MQTTv311, 1, benchSubs) }},
	{"MQTTPuback", func(b []byte) []byte { return proto.AppendMQTTPuback(b, 77) }},
	{"CoAP", func(b []byte) []byte { return proto.AppendCoAP(b, benchCoAP) }},
	{"CoAPPost", func(b []byte) []byte { return proto.AppendCoAPPost(b, 1, 0xCAFEBABE, "thingyard/iot/s1", benchPayload) }},
	{"CoAPAck", func(b []byte) []byte { return proto.AppendCoAPAck(b, 1, 0xCAFEBABE, proto.CoAPCodeChanged) }},
	{"HTTPPost", func(b []byte) []byte {
		return proto.AppendHTTPPost(b, "cloud.example", "/thingyard/iot/s1/temp", benchPayload)
	}},
	{"HTTPResponse", func(b []byte) []byte { return proto.AppendHTTPResponse(b, 204, "", nil) }},
	{"ZigbeeReport", func(b []byte) []byte { return proto.AppendZigbeeReport(b, 7, 0x1234, 1, 2, 0, 3, 2153) }},
	{"BLENotify", func(b []byte) []byte { return proto.AppendBLENotify(b, 0x2A, 21530) }},
	{"BLEAdvertising", func(b []byte) []byte { return proto.AppendBLEAdvertising(b, benchAdv) }},
	{"LoRaWANUplink", func(b []byte) []byte { return proto.AppendLoRaWANUplink(b, 0x26011BDA, 3, benchPayload) }},
	{"LoRaWAN", func(b []byte) []byte { return proto.AppendLoRaWAN(b, benchLoRa) }},
	{"ModbusRead", func(b []byte) []byte { return proto.AppendModbusRead(b, 1, 3, 0, 10) }},
}

// With room in dst, no encoder allocates: the world encodes every message
// it sends.
func TestEncodersDoNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 512)
	for _, e := range encoders {
		if n := testing.AllocsPerRun(100, func() { buf = e.fn(buf[:0]) }); n != 0 {
			t.Errorf("%s: %v allocations per frame, want 0", e.name, n)
		}
	}
	// The decoders the world calls on its own frames do not allocate
	// either (ParseCoAP allocates its option list).
	mqtt := proto.AppendMQTTPublish(nil, proto.MQTTv311, benchMQTT)
	can := proto.AppendCANFrame(nil, benchCAN)
	zb := proto.AppendZigbeeReport(nil, 7, 0x1234, 1, 2, 0, 3, 2153)
	lora := proto.AppendLoRaWAN(nil, benchLoRa)
	for name, fn := range map[string]func(){
		"ParseMQTT":          func() { _, _ = proto.ParseMQTT(mqtt, proto.MQTTv311) },
		"ParseCANFrame":      func() { _, _ = proto.ParseCANFrame(can) },
		"ParseZigbeeReport":  func() { _, _ = proto.ParseZigbeeReport(zb) },
		"ParseLoRaWAN":       func() { _, _ = proto.ParseLoRaWAN(lora) },
		"CANFrameTime":       func() { _ = proto.CANFrameTime(benchCAN, 500_000) },
		"ParseBLEAdvertised": func() { _, _ = proto.ParseBLEAdvertising(proto.AppendBLEAdvertising(buf[:0], benchAdv)) },
	} {
		if n := testing.AllocsPerRun(100, fn); n != 0 {
			t.Errorf("%s: %v allocations, want 0", name, n)
		}
	}
}

func BenchmarkAppend(b *testing.B) {
	for _, e := range encoders {
		b.Run(e.name, func(b *testing.B) {
			buf := make([]byte, 0, 512)
			b.ReportAllocs()
			for b.Loop() {
				buf = e.fn(buf[:0])
			}
			b.SetBytes(int64(len(buf)))
		})
	}
}

func BenchmarkParse(b *testing.B) {
	mqtt := proto.AppendMQTTPublish(nil, proto.MQTTv5, benchMQTT)
	coap := proto.AppendCoAP(nil, benchCoAP)
	can := proto.AppendCANFrame(nil, benchCAN)
	zb := proto.AppendZigbeeReport(nil, 7, 0x1234, 1, 2, 0, 3, 2153)
	for _, p := range []struct {
		name string
		fn   func() error
	}{
		{"MQTT", func() error { _, err := proto.ParseMQTT(mqtt, proto.MQTTv5); return err }},
		{"CoAP", func() error { _, err := proto.ParseCoAP(coap); return err }},
		{"CAN", func() error { _, err := proto.ParseCANFrame(can); return err }},
		{"Zigbee", func() error { _, err := proto.ParseZigbeeReport(zb); return err }},
	} {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := p.fn(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCANFrameBits(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = proto.CANFrameBits(benchCAN)
	}
}

// The inspector dissects one selected message per redraw.
func BenchmarkDissect(b *testing.B) {
	for p, frames := range samples(b) {
		b.Run(p, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := proto.Dissect(p, frames[0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkHexDump(b *testing.B) {
	frame := proto.AppendHTTPPost(nil, "cloud.example", "/thingyard/iot/s1/temp", benchPayload)
	b.ReportAllocs()
	for b.Loop() {
		_ = proto.HexDump(frame)
	}
}
