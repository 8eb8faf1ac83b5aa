package proto

import (
	"errors"
	"fmt"
)

// Protocol names Dissect understands. They are plain strings so that the
// sim package, the inspector and tests can pass the names they already hold
// without importing one another; the sim writes "modbus-rtu" for Modbus,
// which Dissect accepts as well.
const (
	ProtoModbus  = "modbus"  // Modbus RTU request or response
	ProtoCAN     = "can"     // CAN 2.0 frame in SocketCAN layout
	ProtoMQTT    = "mqtt"    // MQTT 3.1.1 control packet
	ProtoMQTT5   = "mqtt5"   // MQTT 5 control packet
	ProtoCoAP    = "coap"    // CoAP message over UDP (RFC 7252)
	ProtoHTTP    = "http"    // HTTP/1.1 request or response
	ProtoZigbee  = "zigbee"  // IEEE 802.15.4 frame, Zigbee layers inside
	ProtoBLE     = "ble"     // BLE link-layer data PDU carrying ATT
	ProtoBLEAdv  = "ble-adv" // BLE legacy advertising PDU
	ProtoLoRaWAN = "lorawan" // LoRaWAN PHYPayload
)

// Field is one decoded field of a frame, for the inspector: the bytes at
// Offset..Offset+Len and what they mean. Len 0 marks a derived value (a
// computed CRC, a bit count) that has no bytes of its own. Children, when
// present, break the field down further (the bits of a flags byte, the
// parts of a request line); they lie within the parent's bytes.
type Field struct {
	Name        string
	Offset, Len int
	Value       string // human-readable, e.g. "0x03 read holding registers"
	Children    []Field
}

// dissector collects fields while a decoder walks a frame. Decoders take a
// *dissector that is nil on the fast path; every call site checks for nil
// before formatting so decoding allocates nothing when no one inspects.
type dissector struct{ fields []Field }

func (d *dissector) add(name string, off, n int, format string, args ...any) {
	d.fields = append(d.fields, Field{Name: name, Offset: off, Len: n, Value: fmt.Sprintf(format, args...)})
}

// sub adds a child to the last field added.
func (d *dissector) sub(name string, off, n int, format string, args ...any) {
	if len(d.fields) == 0 {
		return
	}
	last := &d.fields[len(d.fields)-1]
	last.Children = append(last.Children, Field{Name: name, Offset: off, Len: n, Value: fmt.Sprintf(format, args...)})
}

// end returns the offset just past the furthest byte a field explains.
func (d *dissector) end() int {
	n := 0
	for _, f := range d.fields {
		n = max(n, f.Offset+f.Len)
	}
	return n
}

// fail records err as a final "error" field: it covers the bytes no field
// explains yet, or points at the offending byte when all are explained, so
// a person sees where decoding stopped and why.
func (d *dissector) fail(err error, frameLen int) {
	off := d.end()
	n := frameLen - off
	if n <= 0 {
		n = 0
		var fe *FrameError
		if errors.As(err, &fe) {
			off = min(max(fe.Offset, 0), frameLen)
		}
	}
	d.fields = append(d.fields, Field{Name: "error", Offset: off, Len: n, Value: err.Error()})
}

// printable renders b for a Value: as a quoted string when it is text,
// else as hex, shortened past 64 bytes.
func printable(b []byte) string {
	const max = 64
	text := true
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' || c >= 0x7F {
			text = false
			break
		}
	}
	cut := ""
	if len(b) > max {
		b, cut = b[:max], fmt.Sprintf("… (%d bytes)", len(b))
	}
	if text {
		return fmt.Sprintf("%q%s", b, cut)
	}
	return fmt.Sprintf("% X%s", b, cut)
}

func onOff(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
