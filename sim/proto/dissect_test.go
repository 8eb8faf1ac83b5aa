package proto_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/thingyard/thingyard/sim/proto"
)

// checkCovers asserts that the fields with bytes follow one another from
// offset 0 to n with no gap and no overlap, and that children lie within
// their parent.
func checkCovers(t *testing.T, fields []proto.Field, n int) {
	t.Helper()
	at := 0
	for _, f := range fields {
		if f.Len == 0 {
			continue
		}
		if f.Offset != at {
			t.Fatalf("field %q at %d, want %d (fields %v)", f.Name, f.Offset, at, fields)
		}
		for _, c := range f.Children {
			if c.Offset < f.Offset || c.Offset+c.Len > f.Offset+f.Len {
				t.Fatalf("child %q (%d+%d) outside %q (%d+%d)", c.Name, c.Offset, c.Len, f.Name, f.Offset, f.Len)
			}
		}
		at += f.Len
	}
	if at != n {
		t.Fatalf("fields cover %d of %d bytes: %v", at, n, fields)
	}
}

func fieldMap(fields []proto.Field) map[string]proto.Field {
	m := map[string]proto.Field{}
	for _, f := range fields {
		if _, dup := m[f.Name]; !dup {
			m[f.Name] = f
		}
	}
	return m
}

// sample frames of every protocol, as the world makes them.
func samples(t testing.TB) map[string][][]byte {
	return map[string][][]byte{
		proto.ProtoModbus: {
			unhex(t, "11 03 00 6B 00 03 76 87"),          // read 3 holding registers from 107 of slave 17
			unhex(t, "11 03 06 AE 41 56 52 43 40 49 AD"), // its response
			proto.AppendModbusWriteSingle(nil, 1, proto.FuncWriteSingleCoil, 172, proto.ModbusCoilOn),
			proto.AppendModbusWriteMultipleRegisters(nil, 17, 1, []uint16{10, 258}),
			proto.AppendModbusWriteResponse(nil, 17, proto.FuncWriteMultipleRegisters, 1, 2),
			proto.AppendModbusWriteMultipleCoils(nil, 17, 19, []bool{true, false, true, true, false, false, true, true, true, false}),
			proto.AppendModbusReadResponse(nil, 1, proto.FuncReadCoils, []byte{0xCD, 0x6B, 0x05}),
			proto.AppendModbusException(nil, 10, 1, 2),
		},
		proto.ProtoCAN: {
			proto.AppendCANFrame(nil, canFrame(0x123, false, false, 0x11, 0x22)),
			proto.AppendCANFrame(nil, canFrame(0x18FEF100, true, false, 1, 2, 3, 4, 5, 6, 7, 8)),
		},
		proto.ProtoMQTT: {
			proto.AppendMQTTPublish(nil, proto.MQTTv311, proto.MQTTMessage{Topic: "thingyard/iot/s1/temp", Payload: []byte(`{"v":21.5}`), QoS: 1, PacketID: 3}),
			proto.AppendMQTTConnect(nil, &proto.MQTTConnectOptions{ClientID: "s1", KeepAlive: 60, CleanStart: true, Username: "u", Password: []byte("p")}),
			proto.AppendMQTTSubscribe(nil, proto.MQTTv311, 1, []proto.MQTTSubscription{{Filter: "thingyard/#", QoS: 1}}),
			proto.AppendMQTTSuback(nil, proto.MQTTv311, 1, []byte{1}),
		},
		proto.ProtoMQTT5: {
			proto.AppendMQTTPublish(nil, proto.MQTTv5, proto.MQTTMessage{Topic: "t", Payload: []byte("1")}),
			proto.AppendMQTTConnack(nil, proto.MQTTv5, false, 0),
		},
		proto.ProtoCoAP: {
			proto.AppendCoAPPost(nil, 0x1234, 0xCAFEBABE, "/thingyard/iot/s1", []byte(`{"v":1}`)),
			proto.AppendCoAPAck(nil, 0x1234, 0xCAFEBABE, proto.CoAPCodeChanged),
		},
		proto.ProtoHTTP: {
			proto.AppendHTTPPost(nil, "cloud.example", "/thingyard/iot/s1/temp", []byte(`{"v":21.5}`)),
			proto.AppendHTTPResponse(nil, 204, "", nil),
			proto.AppendHTTPRequest(nil, "GET", "cloud.example", "/rooms", "", nil),
		},
		proto.ProtoZigbee: {
			proto.AppendZigbeeReport(nil, 7, 0x1234, 1, 2, 0, 3, 2153),
			proto.AppendIEEE802154(nil, proto.IEEE802154Frame{Type: proto.IEEE802154Ack, Seq: 7}),
		},
		proto.ProtoBLE:    {proto.AppendBLENotify(nil, 0x2A, 21530)},
		proto.ProtoBLEAdv: {proto.AppendBLEAdvertising(nil, proto.BLEAdvertisement{PDUType: proto.BLEAdvNonconnInd, AdvA: [6]byte{0xC0, 1, 2, 3, 4, 5}, Data: proto.AppendBLEAD(nil, proto.BLEADCompleteName, []byte("t1"))})},
		proto.ProtoLoRaWAN: {
			proto.AppendLoRaWANUplink(nil, 0x26011BDA, 3, []byte{1, 2, 3, 4}),
			unhex(t, "40 F1 7D BE 49 00 02 00 01 95 43 78 76 2B 11 FF 0D"), // lora-packet's published uplink, real MIC
		},
	}
}

// selfDelimiting protocols say how long a frame is (a length field, a CRC
// at the end), so every truncation is detectable.
var selfDelimiting = map[string]bool{
	proto.ProtoModbus: true, proto.ProtoCAN: true, proto.ProtoMQTT: true, proto.ProtoMQTT5: true, proto.ProtoHTTP: true,
	proto.ProtoZigbee: true, proto.ProtoBLE: true, proto.ProtoBLEAdv: true,
}

// Every sample dissects without error into fields that explain every
// byte; every truncation of it dissects into an error field, never a panic.
func TestDissectCoversEveryByte(t *testing.T) {
	for p, frames := range samples(t) {
		for _, frame := range frames {
			fields, err := proto.Dissect(p, frame)
			if err != nil {
				t.Errorf("%s % X: %v", p, frame, err)
				continue
			}
			for _, f := range fields {
				if f.Name == "note" || f.Name == "error" {
					t.Errorf("%s % X: %s: %s", p, frame, f.Name, f.Value)
				}
			}
			checkCovers(t, fields, len(frame))
			for n := range len(frame) {
				cut := frame[:n]
				fields, err := proto.Dissect(p, cut)
				if err == nil && !selfDelimiting[p] {
					// A CoAP or LoRaWAN frame has no length field: the UDP
					// datagram or radio packet ends it, so a cut one may
					// still be a whole message, and must read as one.
					checkCovers(t, fields, n)
					continue
				}
				if err == nil {
					t.Errorf("%s cut to %d bytes % X: no error", p, n, cut)
					continue
				}
				last := fields[len(fields)-1]
				if last.Name != "error" || last.Value == "" {
					t.Errorf("%s cut to %d: last field %+v, want an error note", p, n, last)
				}
				if last.Len > 0 {
					checkCovers(t, fields, n)
				}
			}
		}
	}
}

func TestDissectModbus(t *testing.T) {
	tests := []struct {
		frame string
		want  map[string]string
	}{
		// The specification's example: read 3 holding registers from 107 of
		// slave 17, and its reply.
		{"11 03 00 6B 00 03 76 87", map[string]string{"slave address": "17", "function": "0x03 read holding registers",
			"starting address": "107", "quantity": "3", "CRC-16": "0x8776 (correct)"}},
		{"11 03 06 AE 41 56 52 43 40 49 AD", map[string]string{"byte count": "6", "register 0": "0xAE41 (44609)", "register 2": "0x4340 (17216)"}},
		{"0A 81 02 B0 53", map[string]string{"function": "0x81: exception to 0x01 read coils", "exception code": "2 illegal data address"}},
		{"11 10 00 01 00 02 12 98", map[string]string{"starting address": "1", "quantity written": "2"}},
	}
	for _, tt := range tests {
		fields, err := proto.Dissect("modbus-rtu", unhex(t, tt.frame))
		if err != nil {
			t.Fatalf("%s: %v", tt.frame, err)
		}
		got := fieldMap(fields)
		for k, v := range tt.want {
			if got[k].Value != v {
				t.Errorf("%s: %s = %q, want %q", tt.frame, k, got[k].Value, v)
			}
		}
	}
	frame := unhex(t, "11 03 00 6B 00 03 76 88")
	fields, err := proto.Dissect(proto.ProtoModbus, frame)
	if !errors.Is(err, proto.ErrCRC) {
		t.Fatalf("damaged CRC: %v", err)
	}
	if last := fields[len(fields)-1]; last.Name != "error" || last.Offset != 6 || !strings.Contains(last.Value, "crc") {
		t.Errorf("error field %+v", last)
	}
}

func TestDissectCAN(t *testing.T) {
	f := canFrame(0x123, false, false, 0x11, 0x22)
	fields, err := proto.Dissect(proto.ProtoCAN, proto.AppendCANFrame(nil, f))
	if err != nil {
		t.Fatal(err)
	}
	got := fieldMap(fields)
	if !strings.HasPrefix(got["can_id"].Value, "0x123 (standard") || got["data"].Value != "11 22" || got["data"].Offset != 8 {
		t.Errorf("fields %v", fields)
	}
	if !strings.HasPrefix(got["bits on the wire"].Value, itoa(proto.CANFrameBits(f))+",") || got["CRC-15"].Len != 0 {
		t.Errorf("derived %+v %+v", got["bits on the wire"], got["CRC-15"])
	}
}

func TestDissectMQTT(t *testing.T) {
	frame := proto.AppendMQTTPublish(nil, proto.MQTTv311, proto.MQTTMessage{Topic: "a/b", Payload: []byte("hello"), QoS: 1, PacketID: 10})
	got := fieldMap(mustDissect(t, proto.ProtoMQTT, frame))
	for k, v := range map[string]string{"packet type": "3 PUBLISH, flags 0x2: QoS 1", "remaining length": "12", "topic": `"a/b"`, "packet id": "10", "payload": `"hello"`} {
		if got[k].Value != v {
			t.Errorf("%s = %q, want %q", k, got[k].Value, v)
		}
	}
	// Two packets back to back, as on a TCP stream: the second is pointed at.
	two := append(proto.AppendMQTTPuback(nil, 1), proto.AppendMQTTPingreq(nil)...)
	fields := mustDissect(t, proto.ProtoMQTT, two)
	if last := fields[len(fields)-1]; last.Name != "next packet" || last.Offset != 4 || last.Len != 2 {
		t.Errorf("last field %+v", last)
	}
}

func TestDissectHTTP(t *testing.T) {
	frame := proto.AppendHTTPPost(nil, "cloud.example", "/s1", []byte(`{"v":1}`))
	fields := mustDissect(t, proto.ProtoHTTP, frame)
	got := fieldMap(fields)
	if got["request line"].Value != `"POST /s1 HTTP/1.1"` || got["Host"].Value != "cloud.example" || got["Content-Length"].Value != "7" || got["body"].Value != `"{\"v\":1}"` {
		t.Errorf("fields %v", fields)
	}
	if c := got["request line"].Children; len(c) != 3 || c[1].Name != "target" || c[1].Value != "/s1" || c[1].Offset != 5 {
		t.Errorf("request line children %+v", c)
	}
	// A body longer than Content-Length is an error at the first extra byte.
	bad := []byte("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\n{}")
	if _, err := proto.Dissect(proto.ProtoHTTP, bad); !errors.Is(err, proto.ErrMalformed) {
		t.Errorf("long body: %v", err)
	}
}

func TestDissectErrors(t *testing.T) {
	if _, err := proto.Dissect("pigeon", nil); !errors.Is(err, proto.ErrUnknownProtocol) {
		t.Errorf("unknown protocol: %v", err)
	}
	for p := range samples(t) {
		for _, f := range [][]byte{nil, {0x00}} {
			fields, err := proto.Dissect(p, f)
			if err == nil {
				t.Errorf("%s % X: no error", p, f)
				continue
			}
			if last := fields[len(fields)-1]; last.Name != "error" {
				t.Errorf("%s % X: last field %+v", p, f, last)
			}
		}
	}
}

func mustDissect(t *testing.T, p string, frame []byte) []proto.Field {
	t.Helper()
	fields, err := proto.Dissect(p, frame)
	if err != nil {
		t.Fatalf("%s % X: %v", p, frame, err)
	}
	checkCovers(t, fields, len(frame))
	return fields
}

func itoa(n int) string { return strconv.Itoa(n) }

func FuzzDissect(f *testing.F) {
	for p, frames := range samples(f) {
		for _, fr := range frames {
			f.Add(p, fr)
		}
	}
	f.Fuzz(func(t *testing.T, p string, b []byte) {
		fields, err := proto.Dissect(p, b)
		if errors.Is(err, proto.ErrUnknownProtocol) {
			return
		}
		for _, fl := range fields {
			if fl.Offset < 0 || fl.Len < 0 || fl.Offset+fl.Len > len(b) {
				t.Fatalf("%s % X: field %+v outside the frame", p, b, fl)
			}
		}
		if err != nil && (len(fields) == 0 || fields[len(fields)-1].Name != "error") {
			t.Fatalf("%s % X: error %v without an error field", p, b, err)
		}
	})
}

func TestHexDump(t *testing.T) {
	got := proto.HexDump([]byte("Hello, Modbus!\x00\x01\x02"))
	want := "0000  48 65 6c 6c 6f 2c 20 4d  6f 64 62 75 73 21 00 01  Hello, Modbus!..\n" +
		"0010  02                                                .\n"
	if got != want {
		t.Errorf("HexDump:\n%q\nwant\n%q", got, want)
	}
	if got := proto.HexDump(nil); got != "" {
		t.Errorf("HexDump(nil) = %q", got)
	}
	// Exactly 16 bytes is one full line.
	if got := proto.HexDump(make([]byte, 16)); strings.Count(got, "\n") != 1 || !strings.HasSuffix(got, " ................\n") {
		t.Errorf("16 bytes: %q", got)
	}
}
