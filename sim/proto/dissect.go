package proto

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Dissect decodes a frame into the fields an inspector shows beside its hex
// dump, as a protocol analyser does. protocol is one of the Proto names
// (the sim's "modbus-rtu" is accepted for ProtoModbus).
//
// Top-level fields follow the frame in order and, for a frame that
// decodes, explain every byte; derived values (a CAN frame's CRC-15 and
// bit count) come last with Len 0. A damaged or truncated frame yields the
// fields decoded so far, then a field named "error" over the bytes left
// unexplained that says what is wrong, and the error itself. A frame that
// is well formed but uses a feature this package does not decode gets a
// "note" field instead and no error. Dissect never panics.
//
// A Modbus RTU frame does not say whether it is a request or a response;
// Dissect decides from its length and byte count, as analysers without the
// other direction do.
func Dissect(protocol string, frame []byte) ([]Field, error) {
	d := &dissector{}
	var err error
	switch protocol {
	case ProtoModbus, "modbus-rtu":
		err = dissectModbus(d, frame)
	case ProtoCAN:
		err = dissectCAN(d, frame)
	case ProtoMQTT:
		err = dissectMQTT(d, frame, MQTTv311)
	case ProtoMQTT5:
		err = dissectMQTT(d, frame, MQTTv5)
	case ProtoCoAP:
		_, err = parseCoAP(frame, d)
	case ProtoHTTP:
		err = dissectHTTP(d, frame)
	case ProtoZigbee:
		_, err = parseZigbee(frame, d)
	case ProtoBLE:
		_, err = parseBLENotify(frame, BLEDataCRCInit, d)
	case ProtoBLEAdv:
		_, err = parseBLEAdv(frame, d)
	case ProtoLoRaWAN:
		_, err = parseLoRaWAN(frame, d)
	default:
		return nil, fmt.Errorf("%w %q: want one of modbus, can, mqtt, mqtt5, coap, http, zigbee, ble, ble-adv, lorawan", ErrUnknownProtocol, protocol)
	}
	if errors.Is(err, ErrUnsupported) {
		if end := d.end(); end < len(frame) {
			d.add("undecoded", end, len(frame)-end, "% X", frame[end:])
		}
		d.add("note", 0, 0, "%v", err)
		return d.fields, nil
	}
	if err != nil {
		d.fail(err, len(frame))
	}
	return d.fields, err
}

func dissectMQTT(d *dissector, f []byte, version byte) error {
	p, err := parseMQTT(f, version, d)
	if err == nil && p.Len < len(f) {
		d.add("next packet", p.Len, len(f)-p.Len, "%d more bytes (MQTT packets follow one another on a TCP stream)", len(f)-p.Len)
	}
	return err
}

func dissectModbus(d *dissector, f []byte) error {
	if len(f) < 4 {
		return frameErr(ErrShortFrame, len(f), "%d bytes, a Modbus RTU frame has at least 4 (address, function, CRC)", len(f))
	}
	n := len(f)
	d.add("slave address", 0, 1, "%d%s", f[0], map[bool]string{true: " (broadcast)"}[f[0] == 0])
	fn := f[1] &^ 0x80
	body := f[2 : n-2]
	if f[1]&0x80 != 0 {
		d.add("function", 1, 1, "0x%02X: exception to 0x%02X %s", f[1], fn, ModbusFuncName(fn))
		if len(body) != 1 {
			d.add("data", 2, len(body), "% X", body)
			return frameErr(ErrMalformed, 2, "exception reply of %d bytes, want 5", n)
		}
		d.add("exception code", 2, 1, "%d %s", f[2], ModbusException(f[2]).name())
		return modbusCRC(d, f)
	}
	d.add("function", 1, 1, "0x%02X %s", f[1], ModbusFuncName(fn))
	u16 := func(i int) uint16 { return binary.BigEndian.Uint16(body[i:]) }
	byteCountOK := len(body) > 0 && int(body[0]) == len(body)-1
	switch {
	case fn >= 1 && fn <= 4 && len(body) == 4 && !(fn <= 2 && byteCountOK):
		d.add("starting address", 2, 2, "%d", u16(0))
		d.add("quantity", 4, 2, "%d", u16(2))
	case fn >= 1 && fn <= 4 && byteCountOK:
		d.add("byte count", 2, 1, "%d", body[0])
		if fn <= 2 {
			d.add("status bits", 3, len(body)-1, "% X", body[1:])
			break
		}
		for i := 1; i+1 < len(body); i += 2 {
			v := binary.BigEndian.Uint16(body[i:])
			d.add(fmt.Sprintf("register %d", (i-1)/2), 2+i, 2, "0x%04X (%d)", v, v)
		}
		if len(body)%2 == 0 {
			return frameErr(ErrMalformed, 2, "byte count %d is odd for a register reply", body[0])
		}
	case (fn == 5 || fn == 6) && len(body) == 4:
		d.add("address", 2, 2, "%d", u16(0))
		if fn == 5 {
			d.add("value", 4, 2, "0x%04X%s", u16(2), map[uint16]string{ModbusCoilOn: " (on)", ModbusCoilOff: " (off)"}[u16(2)])
		} else {
			d.add("value", 4, 2, "0x%04X (%d)", u16(2), u16(2))
		}
	case (fn == 15 || fn == 16) && len(body) == 4:
		d.add("starting address", 2, 2, "%d", u16(0))
		d.add("quantity written", 4, 2, "%d", u16(2))
	case (fn == 15 || fn == 16) && len(body) >= 5 && int(body[4]) == len(body)-5:
		d.add("starting address", 2, 2, "%d", u16(0))
		d.add("quantity", 4, 2, "%d", u16(2))
		d.add("byte count", 6, 1, "%d", body[4])
		if fn == 15 {
			d.add("coil values", 7, len(body)-5, "% X", body[5:])
			break
		}
		for i := 5; i+1 < len(body); i += 2 {
			v := binary.BigEndian.Uint16(body[i:])
			d.add(fmt.Sprintf("register %d", (i-5)/2), 2+i, 2, "0x%04X (%d)", v, v)
		}
		if (len(body)-5)%2 != 0 {
			return frameErr(ErrMalformed, 6, "byte count %d is odd for registers", body[4])
		}
	default:
		if len(body) > 0 {
			d.add("data", 2, len(body), "% X", body)
		}
		if ModbusFuncName(fn) == "unknown function" {
			err := modbusCRC(d, f)
			if err != nil {
				return err
			}
			return frameErr(ErrUnsupported, 1, "function 0x%02X is not decoded", fn)
		}
		d.add("CRC-16", n-2, 2, "0x%04X", binary.LittleEndian.Uint16(f[n-2:]))
		return frameErr(ErrMalformed, 2, "%d bytes do not fit function 0x%02X", len(body), fn)
	}
	return modbusCRC(d, f)
}

func modbusCRC(d *dissector, f []byte) error {
	n := len(f)
	got := binary.LittleEndian.Uint16(f[n-2:])
	if want := CRC16(f[:n-2]); got != want {
		d.add("CRC-16", n-2, 2, "0x%04X, wrong: computed 0x%04X", got, want)
		return frameErr(ErrCRC, n-2, "CRC 0x%04X, computed 0x%04X", got, want)
	}
	d.add("CRC-16", n-2, 2, "0x%04X (correct)", got)
	return nil
}

func dissectCAN(d *dissector, f []byte) error {
	fr, err := ParseCANFrame(f)
	if err != nil {
		return err
	}
	raw := binary.LittleEndian.Uint32(f)
	kind, digits := "standard 11-bit", 3
	if fr.Extended {
		kind, digits = "extended 29-bit", 8
	}
	d.add("can_id", 0, 4, "0x%0*X (%s%s)", digits, fr.ID, kind, map[bool]string{true: ", remote request"}[fr.Remote])
	d.sub("identifier", 0, 4, "0x%0*X: lower wins arbitration", digits, fr.ID)
	d.sub("extended (EFF)", 3, 1, "%s", onOff(raw&canEFFFlag != 0))
	d.sub("remote (RTR)", 3, 1, "%s", onOff(raw&canRTRFlag != 0))
	d.add("len", 4, 1, "%d data bytes", f[4])
	d.add("padding, reserved", 5, 2, "% X", f[5:7])
	d.add("len8_dlc", 7, 1, "%d", f[7])
	if n := fr.Len(); n > 0 {
		d.add("data", 8, n, "% X", fr.Payload())
	}
	if n := fr.Len(); n < 8 {
		d.add("data padding", 8+n, 8-n, "% X", f[8+n:])
	}
	d.add("bits on the wire", 0, 0, "%d, %d of them stuff bits (plus %d bits of intermission)", CANFrameBits(fr), CANStuffBits(fr), CANIntermissionBits)
	d.add("CRC-15", 0, 0, "0x%04X (computed: the controller sends it, SocketCAN does not store it)", CANCRC(fr))
	return nil
}

// HexDump formats a frame as an analyser does: a 4-digit hex offset, 16
// bytes in hex split into two groups of 8, and their printable ASCII
// characters with '.' for the rest. Every line ends in a newline; an empty
// frame gives "".
func HexDump(b []byte) string {
	var s strings.Builder
	const hexdig = "0123456789abcdef"
	s.Grow((len(b) + 15) / 16 * 75)
	for off := 0; off < len(b); off += 16 {
		line := b[off:min(off+16, len(b))]
		fmt.Fprintf(&s, "%04x  ", off)
		for i := range 16 {
			if i < len(line) {
				s.WriteByte(hexdig[line[i]>>4])
				s.WriteByte(hexdig[line[i]&0xF])
				s.WriteByte(' ')
			} else {
				s.WriteString("   ")
			}
			if i == 7 {
				s.WriteByte(' ')
			}
		}
		s.WriteByte(' ')
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
