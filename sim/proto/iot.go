package proto

import (
	"encoding/binary"
	"strconv"
)

// Header sizes below the application frame on IP media.
const (
	TCPIPv4Overhead = 40 // IPv4 20 + TCP 20, no options
	UDPIPv4Overhead = 28 // IPv4 20 + UDP 8
)

// CoAP (RFC 7252) values the world uses.
const (
	CoAPConfirmable     = 0
	CoAPCodePOST        = 0x02
	CoAPOptionURIPath   = 11
	CoAPOptionFormat    = 12
	CoAPFormatJSON      = 50
	coapPayloadMarker   = 0xFF
	coapVersion         = 1
	coapTokenLen        = 4
	coapSmallOptionMax  = 12
	coapOptionExtByte   = 13
	coapOptionExtOffset = 13
)

// AppendCoAPPost appends a confirmable CoAP POST to /path with a 4-byte
// token and a JSON payload (Content-Format 50).
func AppendCoAPPost(dst []byte, msgID uint16, token uint32, path string, payload []byte) []byte {
	dst = append(dst, coapVersion<<6|CoAPConfirmable<<4|coapTokenLen, CoAPCodePOST)
	dst = binary.BigEndian.AppendUint16(dst, msgID)
	dst = binary.BigEndian.AppendUint32(dst, token)
	dst = appendCoAPOption(dst, CoAPOptionURIPath, []byte(path))
	dst = appendCoAPOption(dst, CoAPOptionFormat-CoAPOptionURIPath, []byte{CoAPFormatJSON})
	dst = append(dst, coapPayloadMarker)
	return append(dst, payload...)
}

// appendCoAPOption appends an option with its delta from the previous one.
func appendCoAPOption(dst []byte, delta int, val []byte) []byte {
	nib := func(v int) (byte, []byte) {
		switch {
		case v <= coapSmallOptionMax:
			return byte(v), nil
		case v < 269:
			return coapOptionExtByte, []byte{byte(v - coapOptionExtOffset)}
		}
		return 14, binary.BigEndian.AppendUint16(nil, uint16(v-269))
	}
	d, dx := nib(delta)
	l, lx := nib(len(val))
	dst = append(dst, d<<4|l)
	dst = append(dst, dx...)
	dst = append(dst, lx...)
	return append(dst, val...)
}

// AppendHTTPPost appends an HTTP/1.1 POST of a JSON body.
func AppendHTTPPost(dst []byte, host, path string, body []byte) []byte {
	dst = append(dst, "POST "...)
	dst = append(dst, path...)
	dst = append(dst, " HTTP/1.1\r\nHost: "...)
	dst = append(dst, host...)
	dst = append(dst, "\r\nContent-Type: application/json\r\nContent-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(body)), 10)
	dst = append(dst, "\r\n\r\n"...)
	return append(dst, body...)
}

// AppendZigbeeReport appends an IEEE 802.15.4 data frame carrying a Zigbee
// NWK and APS header and a ZCL attribute report of a signed 16-bit value,
// with its FCS (CRC-16/KERMIT). The layout matches Dissect's.
func AppendZigbeeReport(dst []byte, seq byte, pan, macDst, macSrc, nwkDst, nwkSrc uint16, value int16) []byte {
	start := len(dst)
	dst = append(dst, 0x41, 0x88, seq) // FCF: data, PAN compression, short addresses
	dst = binary.LittleEndian.AppendUint16(dst, pan)
	dst = binary.LittleEndian.AppendUint16(dst, macDst)
	dst = binary.LittleEndian.AppendUint16(dst, macSrc)
	dst = append(dst, 0x08, 0x00) // NWK frame control
	dst = binary.LittleEndian.AppendUint16(dst, nwkDst)
	dst = binary.LittleEndian.AppendUint16(dst, nwkSrc)
	dst = append(dst, 0x1E, seq)                                     // radius, NWK sequence
	dst = append(dst, 0x40, 0x01, 0x02, 0x04, 0x04, 0x01, 0x01, seq) // APS: data, endpoint 1, cluster 0x0402, profile 0x0104
	dst = append(dst, 0x18, seq, 0x0A, 0x00, 0x00, 0x29)             // ZCL: report attributes, attribute 0, int16
	dst = binary.LittleEndian.AppendUint16(dst, uint16(value))
	return binary.LittleEndian.AppendUint16(dst, CRCKermit(dst[start:]))
}

// AppendBLENotify appends a BLE link-layer data PDU carrying an L2CAP ATT
// Handle Value Notification of a 32-bit value. The 3-byte CRC-24 is left
// zero: the radio computes it.
func AppendBLENotify(dst []byte, handle uint16, value int32) []byte {
	dst = append(dst, 0x02, 11, 7, 0, 0x04, 0x00, 0x1B)
	dst = binary.LittleEndian.AppendUint16(dst, handle)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(value))
	return append(dst, 0, 0, 0)
}

// AppendLoRaWANUplink appends an unconfirmed data uplink (MHDR, DevAddr,
// FCtrl, FCnt, FPort 1, payload). Thingyard holds no session keys, so the
// payload is not encrypted and the 4-byte MIC is zero: the sizes, which
// decide the airtime, are the real ones.
func AppendLoRaWANUplink(dst []byte, devAddr uint32, fcnt uint16, payload []byte) []byte {
	dst = append(dst, 0x40)
	dst = binary.LittleEndian.AppendUint32(dst, devAddr)
	dst = append(dst, 0x00)
	dst = binary.LittleEndian.AppendUint16(dst, fcnt)
	dst = append(dst, 1)
	dst = append(dst, payload...)
	return append(dst, 0, 0, 0, 0)
}

// CRCKermit is CRC-16/KERMIT (reflected 0x1021, init 0), the IEEE 802.15.4
// frame check sequence.
func CRCKermit(b []byte) uint16 {
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
