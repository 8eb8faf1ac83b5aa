package proto

import (
	"encoding/binary"
	"fmt"
	"strings"
)

func mqttVersionName(v byte) string {
	switch v {
	case 3:
		return "MQTT 3.1"
	case MQTTv311:
		return "MQTT 3.1.1"
	case MQTTv5:
		return "MQTT 5"
	}
	return "unknown"
}

func mqttFlagText(t, f byte) string {
	if t != MQTTPublish {
		return ""
	}
	s := fmt.Sprintf(": QoS %d", f>>1&3)
	if f&8 != 0 {
		s += ", dup"
	}
	if f&1 != 0 {
		s += ", retain"
	}
	return s
}

func connectFlagText(f byte) string {
	var parts []string
	if f&0x80 != 0 {
		parts = append(parts, "user name")
	}
	if f&0x40 != 0 {
		parts = append(parts, "password")
	}
	if f&0x04 != 0 {
		w := fmt.Sprintf("will QoS %d", f>>3&3)
		if f&0x20 != 0 {
			w += " retained"
		}
		parts = append(parts, w)
	}
	if f&0x02 != 0 {
		parts = append(parts, "clean start")
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, ", ")
}

func mqttConnackText(version, code byte) string {
	if version != MQTTv5 {
		switch code {
		case 0:
			return "connection accepted"
		case 1:
			return "unacceptable protocol version"
		case 2:
			return "identifier rejected"
		case 3:
			return "server unavailable"
		case 4:
			return "bad user name or password"
		case 5:
			return "not authorized"
		}
		return "reserved"
	}
	switch code {
	case 0:
		return "success"
	case 0x80:
		return "unspecified error"
	case 0x84:
		return "unsupported protocol version"
	case 0x85:
		return "client identifier not valid"
	case 0x86:
		return "bad user name or password"
	case 0x87:
		return "not authorized"
	case 0x88:
		return "server unavailable"
	case 0x89:
		return "server busy"
	}
	return "error"
}

func subackText(code byte) string {
	if code < 3 {
		return fmt.Sprintf("granted QoS %d", code)
	}
	return "failure"
}

// MQTT 5 property value kinds (MQTT 5 section 2.2.2.2).
const (
	propByte = iota + 1
	propU16
	propU32
	propVarint
	propString
	propBinary
	propPair
)

var mqttProps = map[byte]struct {
	name string
	kind int
}{
	1: {"payload format indicator", propByte}, 2: {"message expiry interval", propU32},
	3: {"content type", propString}, 8: {"response topic", propString}, 9: {"correlation data", propBinary},
	11: {"subscription identifier", propVarint}, 17: {"session expiry interval", propU32},
	18: {"assigned client identifier", propString}, 19: {"server keep alive", propU16},
	21: {"authentication method", propString}, 22: {"authentication data", propBinary},
	23: {"request problem information", propByte}, 24: {"will delay interval", propU32},
	25: {"request response information", propByte}, 26: {"response information", propString},
	28: {"server reference", propString}, 31: {"reason string", propString},
	33: {"receive maximum", propU16}, 34: {"topic alias maximum", propU16}, 35: {"topic alias", propU16},
	36: {"maximum QoS", propByte}, 37: {"retain available", propByte}, 38: {"user property", propPair},
	39: {"maximum packet size", propU32}, 40: {"wildcard subscription available", propByte},
	41: {"subscription identifier available", propByte}, 42: {"shared subscription available", propByte},
}

// dissectMQTTProps lists the properties in b[off:end].
func dissectMQTTProps(d *dissector, b []byte, off, end int) error {
	short := func(at int, name string) error {
		return frameErr(ErrShortFrame, at, "property %s ends early", name)
	}
	str := func(at int, name string) (int, error) {
		if at+2 > end {
			return 0, short(at, name)
		}
		n := int(binary.BigEndian.Uint16(b[at:]))
		if at+2+n > end {
			return 0, short(at, name)
		}
		return 2 + n, nil
	}
	for off < end {
		id := b[off]
		p, ok := mqttProps[id]
		if !ok {
			return frameErr(ErrMalformed, off, "unknown property id 0x%02X", id)
		}
		at := off + 1
		var n int
		var val string
		switch p.kind {
		case propByte, propU16, propU32:
			n = map[int]int{propByte: 1, propU16: 2, propU32: 4}[p.kind]
			if at+n > end {
				return short(at, p.name)
			}
			var v uint32
			for _, c := range b[at : at+n] {
				v = v<<8 | uint32(c)
			}
			val = fmt.Sprint(v)
		case propVarint:
			v, size, err := ParseMQTTVarint(b[at:end])
			if err != nil {
				return offsetBy(err, at)
			}
			n, val = size, fmt.Sprint(v)
		case propString, propBinary:
			size, err := str(at, p.name)
			if err != nil {
				return err
			}
			n, val = size, printable(b[at+2:at+size])
		case propPair:
			k, err := str(at, p.name)
			if err != nil {
				return err
			}
			v, err := str(at+k, p.name)
			if err != nil {
				return err
			}
			n, val = k+v, printable(b[at+2:at+k])+" = "+printable(b[at+k+2:at+k+v])
		}
		d.add("property "+p.name, off, 1+n, "%s", val)
		off = at + n
	}
	return nil
}
