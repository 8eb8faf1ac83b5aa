package sim

import "encoding/binary"

// The IP header sizes transportOverhead counts.
const (
	tcpIPv4 = 40 // IPv4 20 + TCP 20, no options
	udpIPv4 = 28 // IPv4 20 + UDP 8
)

// coapFrame is a confirmable CoAP POST (RFC 7252) to /<quantity> with the
// JSON payload.
func (w *World) coapFrame(b []byte, m *message) []byte {
	b = append(b, 0x40|0x04, 0x02) // ver 1, CON, TKL 4; POST
	b = binary.BigEndian.AppendUint16(b, uint16(m.id))
	b = binary.BigEndian.AppendUint32(b, uint32(m.id))
	path := "s"
	if m.kind == mCommand {
		path = "set"
	}
	b = append(b, 0xB0|byte(len(path))) // Uri-Path (11)
	b = append(b, path...)
	b = append(b, 0x11, 50) // Content-Format (12): application/json
	b = append(b, 0xFF)
	return append(b, w.payload(m)...)
}

// httpFrame is an HTTP/1.1 POST of the JSON payload.
func (w *World) httpFrame(b []byte, m *message) []byte {
	p := w.payload(m)
	b = append(b, "POST /"...)
	b = append(b, w.topic(m)...)
	b = append(b, " HTTP/1.1\r\nHost: cloud.example\r\nContent-Type: application/json\r\nContent-Length: "...)
	b = appendInt(b, int64(len(p)))
	b = append(b, "\r\n\r\n"...)
	return append(b, p...)
}

// zigbeeFrame is an IEEE 802.15.4 data frame carrying a Zigbee NWK, APS and
// ZCL attribute report.
func (w *World) zigbeeFrame(b []byte, m *message, from int32) []byte {
	start := len(b)
	b = append(b, 0x41, 0x88, byte(m.id)) // FCF: data, PAN compression, short addrs; seq
	b = append(b, 0x34, 0x12)             // PAN id
	b = binary.LittleEndian.AppendUint16(b, uint16(m.to))
	b = binary.LittleEndian.AppendUint16(b, uint16(from))
	b = append(b, 0x08, 0x00) // NWK frame control
	b = binary.LittleEndian.AppendUint16(b, uint16(m.dst))
	b = binary.LittleEndian.AppendUint16(b, uint16(m.origin))
	b = append(b, 0x1E, byte(m.id>>8)) // radius, NWK seq
	b = append(b, 0x40, 0x01, 0x02, 0x04, 0x04, 0x01, 0x01, byte(m.id))
	b = append(b, 0x18, byte(m.id), 0x0A, 0x00, 0x00, 0x29) // ZCL report, int16
	b = binary.LittleEndian.AppendUint16(b, uint16(m.value/10))
	crc := crcKermit(b[start:])
	return binary.LittleEndian.AppendUint16(b, crc)
}

// bleFrame is an ATT Handle Value Notification in an L2CAP and LL data PDU.
func (w *World) bleFrame(b []byte, m *message) []byte {
	b = append(b, 0x02, 11)         // LL header: LLID start, length
	b = append(b, 7, 0, 0x04, 0x00) // L2CAP length, ATT channel
	b = append(b, 0x1B, 0x2A, 0x00) // notification, handle 0x002A
	b = binary.LittleEndian.AppendUint32(b, uint32(int32(m.value)))
	return append(b, 0, 0, 0) // CRC-24
}

// lorawanFrame is an unconfirmed data uplink: MHDR, FHDR, FPort, payload
// and a 4-byte MIC.
func (w *World) lorawanFrame(b []byte, m *message, from int32) []byte {
	b = append(b, 0x40)
	b = binary.LittleEndian.AppendUint32(b, 0x26000000|uint32(from))
	b = append(b, 0x00)
	b = binary.LittleEndian.AppendUint16(b, uint16(m.id))
	b = append(b, 1)
	b = binary.BigEndian.AppendUint32(b, uint32(int32(m.value)))
	return append(b, 0, 0, 0, 0)
}

func crcKermit(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0x8408
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}

func appendInt(b []byte, v int64) []byte {
	if v >= 10 {
		b = appendInt(b, v/10)
	}
	return append(b, byte('0'+v%10))
}
