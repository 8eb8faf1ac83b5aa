package proto

import (
	"encoding/binary"
	"fmt"
)

// Bluetooth Low Energy link-layer values (Core Specification 5.x, Vol 6,
// Part B, 2.3 and 2.4).
const (
	// BLEAdvAccessAddress is the access address of every advertising
	// packet; it precedes the PDU on air and is not part of the bytes the
	// Append functions write.
	BLEAdvAccessAddress = 0x8E89BED6
	// BLEAdvCRCInit is the CRC-24 preset for advertising packets.
	BLEAdvCRCInit = 0x555555
	// BLEDataCRCInit is the CRC-24 preset AppendBLENotify uses. A real
	// connection takes a random CRCInit from its CONNECT_IND; the world
	// makes no connections, so it uses the advertising preset instead and
	// says so here.
	BLEDataCRCInit = BLEAdvCRCInit

	BLEAdvInd        = 0 // ADV_IND: connectable, scannable
	BLEAdvDirectInd  = 1 // ADV_DIRECT_IND
	BLEAdvNonconnInd = 2 // ADV_NONCONN_IND: a beacon
	BLEAdvScanInd    = 6 // ADV_SCAN_IND

	BLEADFlags            = 0x01 // AD type: flags
	BLEADCompleteName     = 0x09 // AD type: complete local name
	BLEADServiceData16    = 0x16 // AD type: service data, 16-bit UUID
	BLEADManufacturerData = 0xFF // AD type: manufacturer specific data

	BLEMaxAdvData  = 31 // legacy advertising data
	BLEATTNotify   = 0x1B
	BLEL2CAPATT    = 0x0004 // L2CAP channel of the attribute protocol
	bleLLIDStart   = 2      // LL data PDU: start of an L2CAP message
	bleCRCLen      = 3
	bleAdvAddrLen  = 6
	bleL2CAPHdrLen = 4
)

// BLEAdvertisement is a legacy advertising PDU: what a BLE beacon or an
// unconnected sensor broadcasts on channels 37, 38 and 39.
type BLEAdvertisement struct {
	PDUType    uint8   // BLEAdvInd, BLEAdvNonconnInd, ...
	RandomAddr bool    // TxAdd: AdvA is a random address
	AdvA       [6]byte // advertiser address as written, most significant byte first
	Data       []byte  // AD structures (see AppendBLEAD), at most 31 bytes
}

// BLENotification is an ATT Handle Value Notification in a link-layer
// data PDU: how a connected BLE sensor pushes a changed characteristic.
type BLENotification struct {
	Handle uint16
	Value  []byte // aliases the frame when parsed
}

// AppendBLEAD appends one AD structure (length, type, data) to advertising
// data.
func AppendBLEAD(dst []byte, adType byte, data []byte) []byte {
	dst = append(dst, byte(len(data)+1), adType)
	return append(dst, data...)
}

// AppendBLEAdvertising appends an advertising PDU: 2-byte header (PDU
// type, TxAdd, length), AdvA least significant byte first as on air, the
// advertising data (cut to 31 bytes) and the CRC-24 with the advertising
// preset. The preamble and access address that precede it on air, and the
// whitening applied to it, are left out as packet sniffers leave them out.
func AppendBLEAdvertising(dst []byte, a BLEAdvertisement) []byte {
	start := len(dst)
	data := a.Data[:min(len(a.Data), BLEMaxAdvData)]
	h := a.PDUType & 0x0F
	if a.RandomAddr {
		h |= 1 << 6
	}
	dst = append(dst, h, byte(bleAdvAddrLen+len(data)))
	for i := 5; i >= 0; i-- {
		dst = append(dst, a.AdvA[i])
	}
	dst = append(dst, data...)
	return appendBLECRC(dst, start, BLEAdvCRCInit)
}

// AppendBLENotification appends a link-layer data PDU (LLID start of
// L2CAP message) holding an L2CAP basic header on the ATT channel and an
// ATT Handle Value Notification of value, then the CRC-24 with
// BLEDataCRCInit. value is cut to the 20 bytes a default 23-byte ATT MTU
// allows.
func AppendBLENotification(dst []byte, handle uint16, value []byte) []byte {
	start := len(dst)
	value = value[:min(len(value), 20)]
	attLen := 3 + len(value)
	dst = append(dst, bleLLIDStart, byte(bleL2CAPHdrLen+attLen))
	dst = binary.LittleEndian.AppendUint16(dst, uint16(attLen))
	dst = binary.LittleEndian.AppendUint16(dst, BLEL2CAPATT)
	dst = append(dst, BLEATTNotify)
	dst = binary.LittleEndian.AppendUint16(dst, handle)
	dst = append(dst, value...)
	return appendBLECRC(dst, start, BLEDataCRCInit)
}

// AppendBLENotify appends a notification of a 32-bit little-endian value,
// the reading a BLE sensor sends: 18 bytes with the CRC.
func AppendBLENotify(dst []byte, handle uint16, value int32) []byte {
	var v [4]byte
	binary.LittleEndian.PutUint32(v[:], uint32(value))
	return AppendBLENotification(dst, handle, v[:])
}

func appendBLECRC(dst []byte, start int, init uint32) []byte {
	crc := CRC24BLE(init, dst[start:])
	return append(dst, byte(crc), byte(crc>>8), byte(crc>>16))
}

// CRC24BLE returns the BLE link-layer CRC (polynomial x²⁴+x¹⁰+x⁹+x⁶+x⁴+
// x³+x+1) of a PDU as its bytes are sent, least significant bit first,
// from the shift register preset to init (BLEAdvCRCInit for advertising).
// The result is laid out as the three CRC bytes follow the PDU: low byte
// first. With init 0x555555 over "123456789" it is the CRC catalogue's
// CRC-24/BLE check value 0xC25A56.
func CRC24BLE(init uint32, b []byte) uint32 {
	crc := reverse24(init)
	for _, c := range b {
		crc = crc>>8 ^ crc24Table[byte(crc)^c]
	}
	return crc
}

// crc24Table holds the reflected CRC-24 remainder of every byte value.
var crc24Table = reflectedTable(uint32(0xDA6000)) // 0x00065B reflected

func reverse24(v uint32) uint32 {
	var r uint32
	for range 24 {
		r = r<<1 | v&1
		v >>= 1
	}
	return r
}

// ParseBLEAdvertising decodes a legacy advertising PDU with AdvA
// (ADV_IND, ADV_NONCONN_IND, ADV_SCAN_IND) and checks its CRC.
func ParseBLEAdvertising(b []byte) (BLEAdvertisement, error) {
	return parseBLEAdv(b, nil)
}

var bleAdvTypes = [16]string{"ADV_IND", "ADV_DIRECT_IND", "ADV_NONCONN_IND", "SCAN_REQ", "SCAN_RSP", "CONNECT_IND", "ADV_SCAN_IND", "ADV_EXT_IND",
	"AUX_CONNECT_RSP", "reserved", "reserved", "reserved", "reserved", "reserved", "reserved", "reserved"}

func parseBLEAdv(b []byte, d *dissector) (BLEAdvertisement, error) {
	var a BLEAdvertisement
	if len(b) < 2+bleCRCLen {
		return a, frameErr(ErrShortFrame, len(b), "%d bytes, an advertising PDU has at least 5", len(b))
	}
	a.PDUType, a.RandomAddr = b[0]&0x0F, b[0]&(1<<6) != 0
	n := int(b[1])
	if d != nil {
		d.add("header", 0, 2, "%s, %s address, length %d", bleAdvTypes[a.PDUType], [2]string{"public", "random"}[b[0]>>6&1], n)
		d.sub("PDU type", 0, 1, "%d %s", a.PDUType, bleAdvTypes[a.PDUType])
		d.sub("TxAdd", 0, 1, "%s", [2]string{"public", "random"}[b[0]>>6&1])
		d.sub("length", 1, 1, "%d", n)
	}
	if err := bleLen(b, n); err != nil {
		return a, err
	}
	switch a.PDUType {
	case BLEAdvInd, BLEAdvNonconnInd, BLEAdvScanInd:
	default:
		return a, frameErr(ErrUnsupported, 0, "%s PDUs are not decoded", bleAdvTypes[a.PDUType])
	}
	if n < bleAdvAddrLen || n > bleAdvAddrLen+BLEMaxAdvData {
		return a, frameErr(ErrMalformed, 1, "length %d, an advertising PDU carries 6 to 37 bytes", n)
	}
	for i := range 6 {
		a.AdvA[i] = b[2+5-i]
	}
	a.Data = b[2+bleAdvAddrLen : 2+n]
	if d != nil {
		d.add("AdvA", 2, 6, "%02X:%02X:%02X:%02X:%02X:%02X", a.AdvA[0], a.AdvA[1], a.AdvA[2], a.AdvA[3], a.AdvA[4], a.AdvA[5])
	}
	for i := 2 + bleAdvAddrLen; i < 2+n; {
		l := int(b[i])
		if l == 0 || i+1+l > 2+n {
			if d != nil {
				d.add("AD structure", i, 2+n-i, "% X", b[i:2+n])
			}
			return a, frameErr(ErrMalformed, i, "AD structure of length %d runs past the advertising data", l)
		}
		if d != nil {
			d.add("AD "+bleADName(b[i+1]), i, 1+l, "%s", printable(b[i+2:i+1+l]))
			d.sub("length", i, 1, "%d", l)
			d.sub("type", i+1, 1, "0x%02X", b[i+1])
		}
		i += 1 + l
	}
	return a, bleCheckCRC(b, 2+n, BLEAdvCRCInit, d)
}

func bleLen(b []byte, n int) error {
	if 2+n+bleCRCLen > len(b) {
		return frameErr(ErrShortFrame, len(b), "length field says %d bytes of payload and CRC, %d follow", n+bleCRCLen, len(b)-2)
	}
	if 2+n+bleCRCLen < len(b) {
		return frameErr(ErrMalformed, 2+n+bleCRCLen, "%d bytes after the CRC", len(b)-2-n-bleCRCLen)
	}
	return nil
}

func bleCheckCRC(b []byte, n int, init uint32, d *dissector) error {
	got := uint32(b[n]) | uint32(b[n+1])<<8 | uint32(b[n+2])<<16
	want := CRC24BLE(init, b[:n])
	if got != want {
		if d != nil {
			d.add("CRC-24", n, 3, "0x%06X, wrong: computed 0x%06X with preset 0x%06X", got, want, init)
		}
		return frameErr(ErrCRC, n, "CRC-24 0x%06X, computed 0x%06X", got, want)
	}
	if d != nil {
		d.add("CRC-24", n, 3, "0x%06X (correct, preset 0x%06X)", got, init)
	}
	return nil
}

func bleADName(t byte) string {
	switch t {
	case BLEADFlags:
		return "flags"
	case 0x08:
		return "shortened name"
	case BLEADCompleteName:
		return "complete name"
	case 0x0A:
		return "tx power"
	case 0x03:
		return "16-bit service UUIDs"
	case BLEADServiceData16:
		return "service data"
	case BLEADManufacturerData:
		return "manufacturer data"
	}
	return fmt.Sprintf("type 0x%02X", t)
}

// ParseBLENotification decodes a data PDU that AppendBLENotification
// wrote, checking the CRC-24 from crcInit (BLEDataCRCInit for the world's
// frames; a captured connection's own CRCInit otherwise).
func ParseBLENotification(b []byte, crcInit uint32) (BLENotification, error) {
	return parseBLENotify(b, crcInit, nil)
}

func parseBLENotify(b []byte, crcInit uint32, d *dissector) (BLENotification, error) {
	var nt BLENotification
	if len(b) < 2+bleCRCLen {
		return nt, frameErr(ErrShortFrame, len(b), "%d bytes, a data PDU has at least 5", len(b))
	}
	llid, n := b[0]&3, int(b[1])
	if d != nil {
		d.add("LL header", 0, 2, "LLID %d%s, NESN %d, SN %d, MD %d, length %d", llid, map[byte]string{1: " continuation or empty", 2: " start of L2CAP", 3: " LL control"}[llid],
			b[0]>>2&1, b[0]>>3&1, b[0]>>4&1, n)
	}
	if err := bleLen(b, n); err != nil {
		return nt, err
	}
	if llid != bleLLIDStart {
		return nt, frameErr(ErrUnsupported, 0, "LLID %d: only the start of an L2CAP message is decoded", llid)
	}
	if n < bleL2CAPHdrLen+3 {
		return nt, frameErr(ErrShortFrame, 2+n, "payload of %d bytes, L2CAP and ATT headers need 7", n)
	}
	l2len, cid := int(binary.LittleEndian.Uint16(b[2:])), binary.LittleEndian.Uint16(b[4:])
	if d != nil {
		d.add("L2CAP length", 2, 2, "%d", l2len)
		d.add("L2CAP channel", 4, 2, "0x%04X%s", cid, map[bool]string{true: " attribute protocol"}[cid == BLEL2CAPATT])
	}
	if l2len != n-bleL2CAPHdrLen {
		return nt, frameErr(ErrMalformed, 2, "L2CAP length %d, %d bytes follow", l2len, n-bleL2CAPHdrLen)
	}
	if cid != BLEL2CAPATT || b[6] != BLEATTNotify {
		return nt, frameErr(ErrUnsupported, 4, "channel 0x%04X opcode 0x%02X: only ATT notifications are decoded", cid, b[6])
	}
	nt.Handle = binary.LittleEndian.Uint16(b[7:])
	nt.Value = b[9 : 2+n]
	if d != nil {
		d.add("ATT opcode", 6, 1, "0x1B Handle Value Notification")
		d.add("attribute handle", 7, 2, "0x%04X", nt.Handle)
		v := printable(nt.Value)
		if len(nt.Value) == 4 {
			v = fmt.Sprintf("%s = %d (int32, little-endian)", v, int32(binary.LittleEndian.Uint32(nt.Value)))
		}
		d.add("value", 9, len(nt.Value), "%s", v)
	}
	return nt, bleCheckCRC(b, 2+n, crcInit, d)
}
