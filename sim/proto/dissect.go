package proto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Dissect decodes a frame into the fields an inspector shows beside its hex
// dump, as a protocol analyser does. protocol is a protocol's name as the
// sim package writes it: modbus-rtu, can, mqtt, coap, http, zigbee, ble or
// lorawan. A damaged frame yields the fields decoded so far and an error
// saying where decoding stopped.
func Dissect(protocol string, frame []byte) ([]Field, error) {
	d := &dissector{}
	var err error
	switch protocol {
	case "modbus-rtu", "modbus":
		err = dissectModbus(d, frame)
	case "can":
		err = dissectCAN(d, frame)
	case "mqtt":
		_, err = parseMQTT(frame, MQTTv311, d)
	case "coap":
		err = dissectCoAP(d, frame)
	case "http":
		err = dissectHTTP(d, frame)
	case "zigbee":
		err = dissectLayout(d, frame, zigbeeLayout)
	case "ble":
		err = dissectLayout(d, frame, bleLayout)
	case "lorawan":
		err = dissectLayout(d, frame, lorawanLayout)
	default:
		return nil, fmt.Errorf("%w %q", ErrUnknownProtocol, protocol)
	}
	return d.fields, err
}

func dissectModbus(d *dissector, f []byte) error {
	if len(f) < 4 {
		return fmt.Errorf("modbus: frame of %d bytes is shorter than the 4 of the smallest", len(f))
	}
	d.add("slave address", 0, 1, "%d", f[0])
	fn := f[1] &^ 0x80
	if f[1]&0x80 != 0 {
		d.add("function", 1, 1, "0x%02X exception to %s", f[1], ModbusFuncName(fn))
		d.add("exception code", 2, 1, "%d", f[2])
	} else {
		d.add("function", 1, 1, "0x%02X %s", f[1], ModbusFuncName(fn))
		body := f[2 : len(f)-2]
		isReq := ModbusRequestLen(f) == len(f)
		switch {
		case isReq && (fn <= 6) && len(body) == 4:
			d.add("address", 2, 2, "%d", binary.BigEndian.Uint16(body))
			if fn <= 4 {
				d.add("count", 4, 2, "%d", binary.BigEndian.Uint16(body[2:]))
			} else {
				d.add("value", 4, 2, "0x%04X", binary.BigEndian.Uint16(body[2:]))
			}
		case len(body) > 0 && int(body[0]) == len(body)-1:
			d.add("byte count", 2, 1, "%d", body[0])
			for i := 1; i+1 < len(body); i += 2 {
				d.add(fmt.Sprintf("register %d", (i-1)/2), 2+i, 2, "0x%04X (%d)", binary.BigEndian.Uint16(body[i:]), binary.BigEndian.Uint16(body[i:]))
			}
		case len(body) >= 5 && fn == 16:
			d.add("address", 2, 2, "%d", binary.BigEndian.Uint16(body))
			d.add("count", 4, 2, "%d", binary.BigEndian.Uint16(body[2:]))
			d.add("byte count", 6, 1, "%d", body[4])
			for i := 5; i+1 < len(body); i += 2 {
				d.add(fmt.Sprintf("register %d", (i-5)/2), 2+i, 2, "0x%04X", binary.BigEndian.Uint16(body[i:]))
			}
		default:
			d.add("data", 2, len(body), "% X", body)
		}
	}
	n := len(f)
	got := binary.LittleEndian.Uint16(f[n-2:])
	if want := CRC16(f[:n-2]); got != want {
		d.add("CRC-16", n-2, 2, "0x%04X, wrong: should be 0x%04X", got, want)
		return fmt.Errorf("modbus: CRC 0x%04X, want 0x%04X", got, want)
	}
	d.add("CRC-16", n-2, 2, "0x%04X (correct)", got)
	return nil
}

func dissectCAN(d *dissector, f []byte) error {
	fr, err := ParseCANFrame(f)
	if err != nil {
		return err
	}
	kind := "standard 11-bit"
	if fr.Extended {
		kind = "extended 29-bit"
	}
	d.add("identifier", 0, 4, "0x%03X (%s; lower wins arbitration)", fr.ID, kind)
	d.add("data length", 4, 1, "%d", fr.Len())
	d.add("data", 8, fr.Len(), "% X", fr.Payload())
	d.add("bits on the wire", 0, 0, "%d (%d of them stuffing)", CANFrameBits(fr), CANStuffBits(fr))
	d.add("CRC-15", 0, 0, "0x%04X (computed; SocketCAN does not store it)", CANCRC(fr))
	return nil
}

var coapTypes = [...]string{"confirmable", "non-confirmable", "acknowledgement", "reset"}

func dissectCoAP(d *dissector, f []byte) error {
	if len(f) < 4 {
		return fmt.Errorf("coap: %d bytes, the header needs 4", len(f))
	}
	tkl := int(f[0] & 0x0F)
	d.add("version, type, token length", 0, 1, "v%d, %s, %d", f[0]>>6, coapTypes[f[0]>>4&3], tkl)
	d.add("code", 1, 1, "%d.%02d %s", f[1]>>5, f[1]&0x1F, coapCodeName(f[1]))
	d.add("message id", 2, 2, "%d", binary.BigEndian.Uint16(f[2:]))
	if 4+tkl > len(f) {
		return errors.New("coap: token runs past the end")
	}
	d.add("token", 4, tkl, "% X", f[4:4+tkl])
	i, num := 4+tkl, 0
	for i < len(f) && f[i] != 0xFF {
		delta, length := int(f[i]>>4), int(f[i]&0x0F)
		start, j := i, i+1
		ext := func(v int) (int, error) {
			switch v {
			case 13:
				if j >= len(f) {
					return 0, errors.New("coap: option runs past the end")
				}
				j++
				return int(f[j-1]) + 13, nil
			case 14:
				if j+1 >= len(f) {
					return 0, errors.New("coap: option runs past the end")
				}
				j += 2
				return int(binary.BigEndian.Uint16(f[j-2:])) + 269, nil
			case 15:
				return 0, errors.New("coap: reserved option nibble 15")
			}
			return v, nil
		}
		var err error
		if delta, err = ext(delta); err != nil {
			return err
		}
		if length, err = ext(length); err != nil {
			return err
		}
		if j+length > len(f) {
			return errors.New("coap: option value runs past the end")
		}
		num += delta
		if v := f[j : j+length]; num == 6 || num == 12 || num == 14 || num == 17 || num == 60 {
			var u uint64
			for _, c := range v {
				u = u<<8 | uint64(c)
			}
			d.add("option "+coapOptionName(num), start, j+length-start, "%d", u)
		} else {
			d.add("option "+coapOptionName(num), start, j+length-start, "%s", printable(v))
		}
		i = j + length
	}
	if i < len(f) {
		d.add("payload marker", i, 1, "0xFF")
		d.add("payload", i+1, len(f)-i-1, "%s", printable(f[i+1:]))
	}
	return nil
}

func coapCodeName(c byte) string {
	switch c {
	case 1:
		return "GET"
	case 2:
		return "POST"
	case 3:
		return "PUT"
	case 4:
		return "DELETE"
	case 0x41:
		return "Created"
	case 0x44:
		return "Changed"
	case 0x45:
		return "Content"
	}
	return ""
}

func coapOptionName(n int) string {
	switch n {
	case 11:
		return "Uri-Path"
	case 12:
		return "Content-Format"
	case 6:
		return "Observe"
	case 15:
		return "Uri-Query"
	}
	return fmt.Sprint(n)
}

func dissectHTTP(d *dissector, f []byte) error {
	head, body, ok := bytes.Cut(f, []byte("\r\n\r\n"))
	off := 0
	for i, line := range strings.Split(string(head), "\r\n") {
		name := "header"
		if i == 0 {
			name = "request line"
		} else if k, _, ok := strings.Cut(line, ":"); ok {
			name = k
		}
		d.add(name, off, len(line)+2, "%q", line)
		off += len(line) + 2
	}
	if !ok {
		return errors.New("http: no blank line ends the headers")
	}
	d.add("blank line", off-2, 2, "end of headers")
	d.add("body", off+2, len(body), "%s", printable(body))
	return nil
}

// layoutField is one fixed-size field of a link-layer frame.
type layoutField struct {
	name string
	n    int // bytes; -1 for the rest up to the trailer
}

// Frames of the radios as Thingyard builds them: real header layouts with
// the application bytes inside.
var (
	zigbeeLayout = []layoutField{{"802.15.4 frame control", 2}, {"sequence", 1}, {"PAN id", 2}, {"destination", 2}, {"source", 2},
		{"NWK frame control", 2}, {"NWK destination", 2}, {"NWK source", 2}, {"radius, NWK sequence", 2},
		{"APS header", 8}, {"ZCL header, attribute report", 6}, {"value", -1}, {"FCS (CRC-16/KERMIT)", 2}}
	bleLayout     = []layoutField{{"LL header", 2}, {"L2CAP length, channel", 4}, {"ATT notification, handle", 3}, {"value", -1}, {"CRC-24", 3}}
	lorawanLayout = []layoutField{{"MHDR (unconfirmed up)", 1}, {"DevAddr", 4}, {"FCtrl", 1}, {"FCnt", 2}, {"FPort", 1}, {"FRMPayload", -1}, {"MIC", 4}}
)

func dissectLayout(d *dissector, f []byte, layout []layoutField) error {
	fixed := 0
	for _, l := range layout {
		if l.n > 0 {
			fixed += l.n
		}
	}
	if len(f) < fixed {
		return fmt.Errorf("frame of %d bytes, its headers need %d", len(f), fixed)
	}
	off := 0
	for _, l := range layout {
		n := l.n
		if n < 0 {
			n = len(f) - fixed
		}
		d.add(l.name, off, n, "% X", f[off:off+n])
		off += n
	}
	return nil
}

// HexDump formats a frame as an analyser does: offset, 16 bytes in hex, and
// their printable characters.
func HexDump(b []byte) string {
	var s strings.Builder
	for off := 0; off < len(b); off += 16 {
		line := b[off:min(off+16, len(b))]
		fmt.Fprintf(&s, "%04x  ", off)
		for i := range 16 {
			if i < len(line) {
				fmt.Fprintf(&s, "%02x ", line[i])
			} else {
				s.WriteString("   ")
			}
			if i == 7 {
				s.WriteByte(' ')
			}
		}
		s.WriteString(" ")
		for _, c := range line {
			if c < 0x20 || c >= 0x7F {
				c = '.'
			}
			s.WriteByte(c)
		}
		s.WriteByte('\n')
	}
	return s.String()
}
