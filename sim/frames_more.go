package sim

import (
	"encoding/binary"

	"github.com/thingyard/thingyard/sim/proto"
)

// The IP header sizes transportOverhead counts.
const (
	tcpIPv4 = proto.TCPIPv4Overhead
	udpIPv4 = proto.UDPIPv4Overhead
)

// coapFrame is a confirmable CoAP POST to /s (a reading) or /set (a
// command) with the JSON payload.
func (w *World) coapFrame(b []byte, m *message) []byte {
	path := "s"
	if m.kind == mCommand {
		path = "set"
	}
	return proto.AppendCoAPPost(b, uint16(m.id), uint32(m.id), path, w.payload(m))
}

// httpFrame is an HTTP/1.1 POST of the JSON payload to the device's topic.
func (w *World) httpFrame(b []byte, m *message) []byte {
	p := w.payload(m)
	w.path = append(append(w.path[:0], '/'), w.topic(m)...)
	return proto.AppendHTTPPost(b, "cloud.example", string(w.path), p)
}

// zigbeeFrame is a ZCL attribute report of the value in hundredths.
func (w *World) zigbeeFrame(b []byte, m *message, from int32) []byte {
	return proto.AppendZigbeeReport(b, byte(m.id), 0x1234, uint16(m.to), uint16(from), uint16(m.dst), uint16(m.origin), int16(m.value/10))
}

// bleFrame is an ATT notification of the value.
func (w *World) bleFrame(b []byte, m *message) []byte {
	return proto.AppendBLENotify(b, 0x002A, int32(m.value))
}

// lorawanFrame is an unconfirmed uplink carrying the value.
func (w *World) lorawanFrame(b []byte, m *message, from int32) []byte {
	var v [4]byte
	binary.BigEndian.PutUint32(v[:], uint32(int32(m.value)))
	return proto.AppendLoRaWANUplink(b, 0x26000000|uint32(from), uint16(m.id), v[:])
}
