package proto

import (
	"encoding/binary"
	"fmt"
)

// IEEE 802.15.4 MAC frame types (frame control bits 0-2).
const (
	IEEE802154Beacon  = 0
	IEEE802154Data    = 1
	IEEE802154Ack     = 2
	IEEE802154Command = 3
)

// IEEE 802.15.4 sizes.
const (
	IEEE802154MaxFrameLen = 127    // aMaxPHYPacketSize: MAC header, payload and FCS
	IEEE802154Broadcast   = 0xFFFF // short address every device accepts
	ieee802154FCSLen      = 2
)

// IEEE802154Frame is an IEEE 802.15.4 MAC frame of the shape Zigbee sends
// between neighbours: a data (or command) frame with 16-bit short
// addresses and one PAN id (PAN ID compression), or an acknowledgement,
// which has no addresses. Frames with 64-bit addresses or MAC security are
// reported as ErrUnsupported by ParseIEEE802154.
type IEEE802154Frame struct {
	Type         uint8 // IEEE802154Data, IEEE802154Ack, ...
	Seq          uint8 // sequence number; an ACK repeats the one it answers
	AckRequest   bool
	FramePending bool
	PAN          uint16 // destination PAN id, also the source's
	Dst, Src     uint16 // short addresses
	Payload      []byte // MAC payload (the Zigbee NWK frame); aliases when parsed
}

// AppendIEEE802154 appends f with its frame check sequence, CRC-16/KERMIT
// of everything before it, low byte first. An ACK is 5 bytes; a data
// frame is 11 bytes of header and FCS around its payload.
func AppendIEEE802154(dst []byte, f IEEE802154Frame) []byte {
	start := len(dst)
	fcf := uint16(f.Type & 7)
	if f.FramePending {
		fcf |= 1 << 4
	}
	if f.AckRequest {
		fcf |= 1 << 5
	}
	addressed := f.Type != IEEE802154Ack
	if addressed {
		fcf |= 1<<6 | 2<<10 | 2<<14 // PAN ID compression, short destination and source
	}
	dst = binary.LittleEndian.AppendUint16(dst, fcf)
	dst = append(dst, f.Seq)
	if addressed {
		dst = binary.LittleEndian.AppendUint16(dst, f.PAN)
		dst = binary.LittleEndian.AppendUint16(dst, f.Dst)
		dst = binary.LittleEndian.AppendUint16(dst, f.Src)
		dst = append(dst, f.Payload...)
	}
	return binary.LittleEndian.AppendUint16(dst, CRCKermit(dst[start:]))
}

// ParseIEEE802154 decodes a MAC frame (without the PHY's length byte) and
// checks its FCS.
func ParseIEEE802154(b []byte) (IEEE802154Frame, error) {
	f, _, err := parseIEEE802154(b, nil)
	return f, err
}

var ieee802154Types = [8]string{"beacon", "data", "ack", "MAC command", "reserved", "multipurpose", "fragment", "extended"}

// parseIEEE802154 returns the frame and the offset of its payload.
func parseIEEE802154(b []byte, d *dissector) (IEEE802154Frame, int, error) {
	var f IEEE802154Frame
	if len(b) < 5 {
		return f, 0, frameErr(ErrShortFrame, len(b), "%d bytes, an 802.15.4 frame has at least 5", len(b))
	}
	if len(b) > IEEE802154MaxFrameLen {
		return f, 0, frameErr(ErrMalformed, IEEE802154MaxFrameLen, "%d bytes, an 802.15.4 frame has at most 127", len(b))
	}
	fcf := binary.LittleEndian.Uint16(b)
	f.Type, f.Seq = uint8(fcf&7), b[2]
	f.FramePending, f.AckRequest = fcf&(1<<4) != 0, fcf&(1<<5) != 0
	security, panCompress := fcf&(1<<3) != 0, fcf&(1<<6) != 0
	dstMode, version, srcMode := fcf>>10&3, fcf>>12&3, fcf>>14&3
	if d != nil {
		d.add("frame control", 0, 2, "0x%04X: %s", fcf, ieee802154Types[f.Type])
		d.sub("frame type", 0, 1, "%d %s", f.Type, ieee802154Types[f.Type])
		d.sub("security enabled", 0, 1, "%s", onOff(security))
		d.sub("frame pending", 0, 1, "%s", onOff(f.FramePending))
		d.sub("ack request", 0, 1, "%s", onOff(f.AckRequest))
		d.sub("PAN ID compression", 0, 1, "%s", onOff(panCompress))
		d.sub("destination addressing", 1, 1, "%s", addrModeName(dstMode))
		d.sub("frame version", 1, 1, "%d", version)
		d.sub("source addressing", 1, 1, "%s", addrModeName(srcMode))
		d.add("sequence number", 2, 1, "%d", f.Seq)
	}
	n := len(b) - ieee802154FCSLen
	got, want := binary.LittleEndian.Uint16(b[n:]), CRCKermit(b[:n])
	if security {
		return f, 3, frameErr(ErrUnsupported, 0, "MAC security is on; the auxiliary security header is not decoded")
	}
	off := 3
	switch {
	case dstMode == 0 && srcMode == 0:
	case dstMode == 2 && srcMode == 2 && panCompress:
		if n < off+6 {
			return f, off, frameErr(ErrShortFrame, len(b), "%d bytes, short addresses need 11", len(b))
		}
		f.PAN = binary.LittleEndian.Uint16(b[off:])
		f.Dst = binary.LittleEndian.Uint16(b[off+2:])
		f.Src = binary.LittleEndian.Uint16(b[off+4:])
		if d != nil {
			d.add("destination PAN", off, 2, "0x%04X", f.PAN)
			d.add("destination", off+2, 2, "0x%04X%s", f.Dst, broadcastNote(f.Dst))
			d.add("source", off+4, 2, "0x%04X", f.Src)
		}
		off += 6
	default:
		return f, off, frameErr(ErrUnsupported, 1, "addressing %s to %s (PAN ID compression %s): only short addresses in one PAN are decoded",
			addrModeName(srcMode), addrModeName(dstMode), onOff(panCompress))
	}
	if off < n {
		f.Payload = b[off:n]
	}
	if got != want {
		return f, off, frameErr(ErrCRC, n, "FCS 0x%04X, computed 0x%04X", got, want)
	}
	return f, off, nil
}

func addrModeName(m uint16) string {
	return [4]string{"none", "reserved", "short (16-bit)", "extended (64-bit)"}[m&3]
}

func broadcastNote(a uint16) string {
	if a == IEEE802154Broadcast {
		return " (broadcast)"
	}
	return ""
}

// ZigbeeReport is what AppendZigbeeReport sends: a ZCL "report attributes"
// of one signed 16-bit attribute (a Temperature Measurement MeasuredValue,
// in hundredths of a degree) inside Zigbee APS and NWK headers inside an
// IEEE 802.15.4 data frame.
type ZigbeeReport struct {
	Seq            uint8  // MAC, NWK, APS and ZCL sequence numbers alike
	PAN            uint16 // PAN id
	MACDst, MACSrc uint16 // this hop
	NWKDst, NWKSrc uint16 // end to end, through routers
	Radius         uint8  // hops the NWK frame may still take
	Endpoint       uint8  // destination and source endpoint
	Cluster        uint16 // ZCL cluster, 0x0402 Temperature Measurement
	Profile        uint16 // application profile, 0x0104 Home Automation
	Attribute      uint16 // attribute id, 0x0000 MeasuredValue
	Value          int16
}

// Zigbee values AppendZigbeeReport writes.
const (
	ZigbeeClusterTemperature = 0x0402
	ZigbeeProfileHA          = 0x0104
	zigbeeNWKData            = 0x0008 // data frame, protocol version 2 (Zigbee PRO)
	zigbeeAPSData            = 0x40   // data, unicast, ack requested
	zigbeeZCLFromServer      = 0x18   // global command, server to client, no default response
	zigbeeZCLReport          = 0x0A   // report attributes
	zigbeeTypeInt16          = 0x29
	zigbeeDefaultRadius      = 30
)

// AppendZigbeeReport appends an IEEE 802.15.4 data frame carrying a Zigbee
// NWK and APS header and a ZCL attribute report of a signed 16-bit value
// (attribute 0 of cluster 0x0402, Home Automation profile, endpoint 1),
// with its FCS (CRC-16/KERMIT). Real Zigbee networks encrypt the NWK
// payload (AES-CCM* with the network key); Thingyard holds no keys, so the
// security bit is clear and the report readable, and the frame is 4 bytes
// of auxiliary header and 4 bytes of MIC shorter than it would be.
func AppendZigbeeReport(dst []byte, seq byte, pan, macDst, macSrc, nwkDst, nwkSrc uint16, value int16) []byte {
	return appendZigbee(dst, ZigbeeReport{Seq: seq, PAN: pan, MACDst: macDst, MACSrc: macSrc, NWKDst: nwkDst, NWKSrc: nwkSrc,
		Radius: zigbeeDefaultRadius, Endpoint: 1, Cluster: ZigbeeClusterTemperature, Profile: ZigbeeProfileHA, Value: value})
}

// AppendZigbee appends r as AppendZigbeeReport does, with every field of r
// as given.
func AppendZigbee(dst []byte, r ZigbeeReport) []byte { return appendZigbee(dst, r) }

func appendZigbee(dst []byte, r ZigbeeReport) []byte {
	start := len(dst)
	dst = append(dst, 0x41, 0x88, r.Seq) // data, PAN ID compression, short addresses
	dst = binary.LittleEndian.AppendUint16(dst, r.PAN)
	dst = binary.LittleEndian.AppendUint16(dst, r.MACDst)
	dst = binary.LittleEndian.AppendUint16(dst, r.MACSrc)
	dst = binary.LittleEndian.AppendUint16(dst, zigbeeNWKData)
	dst = binary.LittleEndian.AppendUint16(dst, r.NWKDst)
	dst = binary.LittleEndian.AppendUint16(dst, r.NWKSrc)
	dst = append(dst, r.Radius, r.Seq, zigbeeAPSData, r.Endpoint)
	dst = binary.LittleEndian.AppendUint16(dst, r.Cluster)
	dst = binary.LittleEndian.AppendUint16(dst, r.Profile)
	dst = append(dst, r.Endpoint, r.Seq, zigbeeZCLFromServer, r.Seq, zigbeeZCLReport)
	dst = binary.LittleEndian.AppendUint16(dst, r.Attribute)
	dst = append(dst, zigbeeTypeInt16)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(r.Value))
	return binary.LittleEndian.AppendUint16(dst, CRCKermit(dst[start:]))
}

// ZigbeeReportLen is the size of every frame AppendZigbeeReport writes.
const ZigbeeReportLen = 35

// ParseZigbeeReport decodes a frame AppendZigbeeReport wrote, checking
// the FCS and every header value it relies on.
func ParseZigbeeReport(b []byte) (ZigbeeReport, error) {
	return parseZigbee(b, nil)
}

func parseZigbee(b []byte, d *dissector) (ZigbeeReport, error) {
	var r ZigbeeReport
	mac, off, err := parseIEEE802154(b, d)
	r.Seq, r.PAN, r.MACDst, r.MACSrc = mac.Seq, mac.PAN, mac.Dst, mac.Src
	crcErr := err
	if err != nil && !isCRC(err) {
		return r, err
	}
	if mac.Type != IEEE802154Data || len(mac.Payload) == 0 {
		return r, zigbeeNoReport(d, b, mac, off, crcErr)
	}
	// The layers in turn: NWK, APS and ZCL headers, 8 bytes each here.
	end := off + len(mac.Payload)
	if err := r.parseNWK(d, b, off, end, crcErr); err != nil {
		return r, err
	}
	if err := r.parseAPS(d, b, off+8, end, crcErr); err != nil {
		return r, err
	}
	return r, r.parseZCL(d, b, off+16, end, crcErr)
}

// zigbeeNoReport is what a frame without a Zigbee payload at off is: a
// CRC error first, else a whole frame to an analyser when it is an ACK
// or a beacon, else an error that says what it is.
func zigbeeNoReport(d *dissector, b []byte, mac IEEE802154Frame, off int, crcErr error) error {
	if d != nil && len(mac.Payload) > 0 {
		d.add("MAC payload", off, len(mac.Payload), "% X", mac.Payload)
	}
	if d != nil {
		dissectFCS(d, b, crcErr)
	}
	if crcErr != nil {
		return crcErr
	}
	if mac.Type != IEEE802154Data && d != nil {
		return nil // an ACK or beacon is a whole frame to an analyser
	}
	if mac.Type != IEEE802154Data {
		return frameErr(ErrUnsupported, 0, "802.15.4 %s frame carries no Zigbee report", ieee802154Types[mac.Type])
	}
	return frameErr(ErrShortFrame, off, "data frame without payload")
}

// parseNWK reads the network header at b[off], the payload ending at end.
func (r *ZigbeeReport) parseNWK(d *dissector, b []byte, off, end int, crcErr error) error {
	p := b[off:end]
	if len(p) < 8 {
		return zigbeeRest(d, b, off, end, crcErr, frameErr(ErrShortFrame, off, "%d bytes of MAC payload, a Zigbee NWK header needs 8", len(p)))
	}
	nfc := binary.LittleEndian.Uint16(p)
	r.NWKDst, r.NWKSrc = binary.LittleEndian.Uint16(p[2:]), binary.LittleEndian.Uint16(p[4:])
	r.Radius = p[6]
	if d != nil {
		d.add("NWK frame control", off, 2, "0x%04X: %s, protocol version %d", nfc, [4]string{"data", "NWK command", "reserved", "inter-PAN"}[nfc&3], nfc>>2&0xF)
		d.sub("security", off+1, 1, "%s", onOff(nfc&(1<<9) != 0))
		d.add("NWK destination", off+2, 2, "0x%04X%s", r.NWKDst, broadcastNote(r.NWKDst))
		d.add("NWK source", off+4, 2, "0x%04X", r.NWKSrc)
		d.add("radius", off+6, 1, "%d", p[6])
		d.add("NWK sequence", off+7, 1, "%d", p[7])
	}
	if nfc&3 != 0 || nfc&0xFF00 != 0 {
		return zigbeeRest(d, b, off+8, end, crcErr, frameErr(ErrUnsupported, off, "NWK frame control 0x%04X: only plain data frames (no security, no source route, no IEEE addresses) are decoded", nfc))
	}
	return nil
}

// parseAPS reads the application support header at b[a].
func (r *ZigbeeReport) parseAPS(d *dissector, b []byte, a, end int, crcErr error) error {
	if end-a < 8 {
		return zigbeeRest(d, b, a, end, crcErr, frameErr(ErrShortFrame, a, "%d bytes left, the APS header needs 8", end-a))
	}
	afc := b[a]
	r.Endpoint = b[a+1]
	r.Cluster, r.Profile = binary.LittleEndian.Uint16(b[a+2:]), binary.LittleEndian.Uint16(b[a+4:])
	if d != nil {
		d.add("APS frame control", a, 1, "0x%02X: %s, ack request %s", afc, [4]string{"data", "command", "ack", "inter-PAN"}[afc&3], onOff(afc&0x40 != 0))
		d.add("destination endpoint", a+1, 1, "%d", b[a+1])
		d.add("cluster", a+2, 2, "0x%04X%s", r.Cluster, clusterNote(r.Cluster))
		d.add("profile", a+4, 2, "0x%04X%s", r.Profile, profileNote(r.Profile))
		d.add("source endpoint", a+6, 1, "%d", b[a+6])
		d.add("APS counter", a+7, 1, "%d", b[a+7])
	}
	if afc&0x0F != 0 || afc&0xA0 != 0 {
		return zigbeeRest(d, b, a+8, end, crcErr, frameErr(ErrUnsupported, a, "APS frame control 0x%02X: only unicast data without security is decoded", afc))
	}
	return nil
}

// parseZCL reads the attribute report at b[z], the last of the payload,
// and returns the CRC error, if any, once it is decoded.
func (r *ZigbeeReport) parseZCL(d *dissector, b []byte, z, end int, crcErr error) error {
	if end-z < 8 {
		return zigbeeRest(d, b, z, end, crcErr, frameErr(ErrShortFrame, z, "%d bytes left, a ZCL attribute report of an int16 needs 8", end-z))
	}
	if d != nil {
		d.add("ZCL frame control", z, 1, "0x%02X: %s, %s", b[z], [4]string{"global", "cluster specific", "reserved", "reserved"}[b[z]&3],
			[2]string{"client to server", "server to client"}[b[z]>>3&1])
		d.add("ZCL sequence", z+1, 1, "%d", b[z+1])
		d.add("ZCL command", z+2, 1, "0x%02X%s", b[z+2], map[bool]string{true: " report attributes"}[b[z+2] == zigbeeZCLReport])
	}
	if b[z]&3 != 0 || b[z]&4 != 0 || b[z+2] != zigbeeZCLReport || b[z+5] != zigbeeTypeInt16 || end-z != 8 {
		return zigbeeRest(d, b, z+3, end, crcErr, frameErr(ErrUnsupported, z, "only a global report of one int16 attribute is decoded"))
	}
	r.Attribute = binary.LittleEndian.Uint16(b[z+3:])
	r.Value = int16(binary.LittleEndian.Uint16(b[z+6:]))
	if d != nil {
		d.add("attribute", z+3, 2, "0x%04X%s", r.Attribute, map[bool]string{true: " MeasuredValue"}[r.Attribute == 0 && r.Cluster == ZigbeeClusterTemperature])
		d.add("data type", z+5, 1, "0x29 int16")
		d.add("value", z+6, 2, "%d", r.Value)
		dissectFCS(d, b, crcErr)
	}
	return crcErr
}

// zigbeeRest shows the undecoded bytes of the payload and the FCS, and
// returns the error that stopped decoding (a CRC error first).
func zigbeeRest(d *dissector, b []byte, from, end int, crcErr, err error) error {
	if d != nil {
		if from < end {
			d.add("undecoded payload", from, end-from, "% X", b[from:end])
		}
		dissectFCS(d, b, crcErr)
	}
	if crcErr != nil {
		return crcErr
	}
	return err
}

func dissectFCS(d *dissector, b []byte, crcErr error) {
	n := len(b) - ieee802154FCSLen
	got := binary.LittleEndian.Uint16(b[n:])
	if crcErr != nil {
		d.add("FCS (CRC-16/KERMIT)", n, 2, "0x%04X, wrong: computed 0x%04X", got, CRCKermit(b[:n]))
		return
	}
	d.add("FCS (CRC-16/KERMIT)", n, 2, "0x%04X (correct)", got)
}

func isCRC(err error) bool {
	fe, ok := err.(*FrameError)
	return ok && fe.Err == ErrCRC
}

func clusterNote(c uint16) string {
	switch c {
	case 0x0006:
		return " On/Off"
	case 0x0402:
		return " Temperature Measurement"
	case 0x0405:
		return " Relative Humidity"
	}
	return ""
}

func profileNote(p uint16) string {
	if p == ZigbeeProfileHA {
		return " Home Automation"
	}
	return fmt.Sprintf(" (%d)", p)
}

// CRCKermit is CRC-16/KERMIT (reflected polynomial 0x1021, initial value
// 0), the IEEE 802.15.4 frame check sequence, sent low byte first.
func CRCKermit(b []byte) uint16 {
	crc := uint16(0)
	for _, c := range b {
		crc = crc>>8 ^ kermitTable[byte(crc)^c]
	}
	return crc
}

var kermitTable = reflectedTable(uint16(0x8408))
