package proto

import (
	"encoding/binary"
	"iter"
)

// MQTT control packet types (MQTT 3.1.1 section 2.2.1, MQTT 5 section
// 2.1.2).
const (
	MQTTConnect     = 1
	MQTTConnack     = 2
	MQTTPublish     = 3
	MQTTPuback      = 4
	MQTTPubrec      = 5
	MQTTPubrel      = 6
	MQTTPubcomp     = 7
	MQTTSubscribe   = 8
	MQTTSuback      = 9
	MQTTUnsubscribe = 10
	MQTTUnsuback    = 11
	MQTTPingreq     = 12
	MQTTPingresp    = 13
	MQTTDisconnect  = 14
	MQTTAuth        = 15
)

// MQTT protocol levels, as carried in CONNECT.
const (
	MQTTv311 = 4
	MQTTv5   = 5
)

// MQTTMaxRemainingLength is the largest remaining length a four-byte
// variable byte integer can carry (256 MB).
const MQTTMaxRemainingLength = 268_435_455

var mqttTypeNames = [16]string{"reserved", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
	"SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "AUTH"}

// MQTTTypeName names a control packet type, e.g. "PUBLISH".
func MQTTTypeName(t byte) string { return mqttTypeNames[t&0x0F] }

// AppendMQTTVarint appends n as an MQTT variable byte integer: seven bits a
// byte, least significant first, high bit set while more follow. n is
// clamped to 0..MQTTMaxRemainingLength.
func AppendMQTTVarint(dst []byte, n int) []byte {
	n = max(0, min(n, MQTTMaxRemainingLength))
	for {
		b := byte(n & 0x7F)
		n >>= 7
		if n == 0 {
			return append(dst, b)
		}
		dst = append(dst, b|0x80)
	}
}

func mqttVarintLen(n int) int {
	switch {
	case n < 128:
		return 1
	case n < 16_384:
		return 2
	case n < 2_097_152:
		return 3
	}
	return 4
}

// ParseMQTTVarint decodes a variable byte integer at the start of b and
// returns its value and how many bytes it took.
func ParseMQTTVarint(b []byte) (n, size int, err error) {
	for i := 0; i < 4; i++ {
		if i >= len(b) {
			return 0, 0, frameErr(ErrShortFrame, i, "variable byte integer ends early")
		}
		n |= int(b[i]&0x7F) << (7 * i)
		if b[i]&0x80 == 0 {
			return n, i + 1, nil
		}
	}
	return 0, 0, frameErr(ErrMalformed, 3, "variable byte integer longer than 4 bytes")
}

func appendMQTTString(dst []byte, s string) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(s)))
	return append(dst, s...)
}

func appendMQTTBytes(dst []byte, b []byte) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(b)))
	return append(dst, b...)
}

func appendMQTTHeader(dst []byte, typeFlags byte, remaining int) []byte {
	return AppendMQTTVarint(append(dst, typeFlags), remaining)
}

// MQTTConnectOptions is what a client puts in CONNECT. Empty Username,
// nil Password and empty WillTopic leave the matching flag clear.
type MQTTConnectOptions struct {
	Version     byte // MQTTv311 (default when 0) or MQTTv5
	ClientID    string
	Username    string
	Password    []byte
	KeepAlive   uint16 // seconds
	CleanStart  bool   // "clean session" in 3.1.1
	WillTopic   string
	WillMessage []byte
	WillQoS     byte
	WillRetain  bool
}

// AppendMQTTConnect appends a CONNECT packet. In MQTT 5 it carries empty
// property blocks.
func AppendMQTTConnect(dst []byte, c *MQTTConnectOptions) []byte {
	v5 := c.Version == MQTTv5
	version := byte(MQTTv311)
	if v5 {
		version = MQTTv5
	}
	var flags byte
	n := 2 + 4 + 1 + 1 + 2 + 2 + len(c.ClientID) // name, level, flags, keep alive, client id
	if v5 {
		n++ // property length 0
	}
	if c.CleanStart {
		flags |= 0x02
	}
	if c.WillTopic != "" {
		flags |= 0x04 | (c.WillQoS&3)<<3
		if c.WillRetain {
			flags |= 0x20
		}
		n += 2 + len(c.WillTopic) + 2 + len(c.WillMessage)
		if v5 {
			n++ // will property length 0
		}
	}
	if c.Username != "" {
		flags |= 0x80
		n += 2 + len(c.Username)
	}
	if c.Password != nil {
		flags |= 0x40
		n += 2 + len(c.Password)
	}
	dst = appendMQTTHeader(dst, MQTTConnect<<4, n)
	dst = append(dst, 0, 4, 'M', 'Q', 'T', 'T', version, flags)
	dst = binary.BigEndian.AppendUint16(dst, c.KeepAlive)
	if v5 {
		dst = append(dst, 0)
	}
	dst = appendMQTTString(dst, c.ClientID)
	if c.WillTopic != "" {
		if v5 {
			dst = append(dst, 0)
		}
		dst = appendMQTTString(dst, c.WillTopic)
		dst = appendMQTTBytes(dst, c.WillMessage)
	}
	if c.Username != "" {
		dst = appendMQTTString(dst, c.Username)
	}
	if c.Password != nil {
		dst = appendMQTTBytes(dst, c.Password)
	}
	return dst
}

// AppendMQTTConnack appends a CONNACK with a return code (3.1.1: 0 accepted,
// 1-5 refused) or reason code (5: 0 success, 0x80 and up failure).
func AppendMQTTConnack(dst []byte, version byte, sessionPresent bool, code byte) []byte {
	var sp byte
	if sessionPresent {
		sp = 1
	}
	if version == MQTTv5 {
		return append(dst, MQTTConnack<<4, 3, sp, code, 0)
	}
	return append(dst, MQTTConnack<<4, 2, sp, code)
}

// MQTTMessage is what PUBLISH carries.
type MQTTMessage struct {
	Topic    string
	Payload  []byte
	QoS      byte // 0, 1 or 2
	Retain   bool
	Dup      bool
	PacketID uint16 // sent only when QoS > 0
}

// AppendMQTTPublish appends a PUBLISH packet.
func AppendMQTTPublish(dst []byte, version byte, m MQTTMessage) []byte {
	flags := byte(MQTTPublish<<4) | (m.QoS&3)<<1
	if m.Dup {
		flags |= 0x08
	}
	if m.Retain {
		flags |= 0x01
	}
	n := 2 + len(m.Topic) + len(m.Payload)
	if m.QoS > 0 {
		n += 2
	}
	if version == MQTTv5 {
		n++
	}
	dst = appendMQTTHeader(dst, flags, n)
	dst = appendMQTTString(dst, m.Topic)
	if m.QoS > 0 {
		dst = binary.BigEndian.AppendUint16(dst, m.PacketID)
	}
	if version == MQTTv5 {
		dst = append(dst, 0)
	}
	return append(dst, m.Payload...)
}

// MQTTPublishLen returns the size of the PUBLISH AppendMQTTPublish would
// write, for overhead figures without encoding.
func MQTTPublishLen(version byte, topicLen, payloadLen int, qos byte) int {
	n := 2 + topicLen + payloadLen
	if qos > 0 {
		n += 2
	}
	if version == MQTTv5 {
		n++
	}
	return 1 + mqttVarintLen(n) + n
}

// AppendMQTTPuback appends a PUBACK for a QoS 1 PUBLISH. The 4-byte form is
// valid in both 3.1.1 and 5 (reason code 0, success, is implied).
func AppendMQTTPuback(dst []byte, packetID uint16) []byte {
	return append(dst, MQTTPuback<<4, 2, byte(packetID>>8), byte(packetID))
}

// MQTTSubscription is one topic filter of a SUBSCRIBE.
type MQTTSubscription struct {
	Filter string
	QoS    byte // maximum QoS the subscriber accepts
}

// AppendMQTTSubscribe appends a SUBSCRIBE for filters.
func AppendMQTTSubscribe(dst []byte, version byte, packetID uint16, filters []MQTTSubscription) []byte {
	n := 2
	if version == MQTTv5 {
		n++
	}
	for _, f := range filters {
		n += 2 + len(f.Filter) + 1
	}
	dst = appendMQTTHeader(dst, MQTTSubscribe<<4|0x02, n)
	dst = binary.BigEndian.AppendUint16(dst, packetID)
	if version == MQTTv5 {
		dst = append(dst, 0)
	}
	for _, f := range filters {
		dst = appendMQTTString(dst, f.Filter)
		dst = append(dst, f.QoS&3)
	}
	return dst
}

// AppendMQTTSuback appends a SUBACK: one code per filter, the granted QoS
// or 0x80 for failure.
func AppendMQTTSuback(dst []byte, version byte, packetID uint16, codes []byte) []byte {
	n := 2 + len(codes)
	if version == MQTTv5 {
		n++
	}
	dst = appendMQTTHeader(dst, MQTTSuback<<4, n)
	dst = binary.BigEndian.AppendUint16(dst, packetID)
	if version == MQTTv5 {
		dst = append(dst, 0)
	}
	return append(dst, codes...)
}

// AppendMQTTPingreq appends a PINGREQ (C0 00).
func AppendMQTTPingreq(dst []byte) []byte { return append(dst, MQTTPingreq<<4, 0) }

// AppendMQTTPingresp appends a PINGRESP (D0 00).
func AppendMQTTPingresp(dst []byte) []byte { return append(dst, MQTTPingresp<<4, 0) }

// AppendMQTTDisconnect appends a DISCONNECT (E0 00), a normal disconnection
// in both 3.1.1 and 5.
func AppendMQTTDisconnect(dst []byte) []byte { return append(dst, MQTTDisconnect<<4, 0) }

// MQTTPacket is a decoded MQTT control packet. Byte slices alias the frame.
// Which fields are set depends on Type.
type MQTTPacket struct {
	Type    byte // MQTTConnect...
	Flags   byte // low nibble of the first byte
	Version byte // level from CONNECT, else the version passed to ParseMQTT
	Len     int  // bytes of this packet, fixed header included

	// CONNECT
	ConnectFlags byte
	KeepAlive    uint16
	ClientID     []byte
	WillTopic    []byte
	WillMessage  []byte
	Username     []byte
	Password     []byte

	// CONNACK
	SessionPresent bool
	ReasonCode     byte // CONNACK return code, v5 reason code of acks and DISCONNECT

	// PUBLISH (PacketID also in acks, SUBSCRIBE, SUBACK)
	Topic    []byte
	QoS      byte
	Retain   bool
	Dup      bool
	PacketID uint16
	Payload  []byte

	// Properties holds the MQTT 5 property block, without its length.
	Properties []byte
	// List holds SUBSCRIBE's filters with their option bytes (see
	// Subscriptions) or SUBACK's reason codes.
	List []byte
}

// Subscriptions yields the topic filters and option bytes of a SUBSCRIBE
// that ParseMQTT accepted.
func (p *MQTTPacket) Subscriptions() iter.Seq2[[]byte, byte] {
	return func(yield func([]byte, byte) bool) {
		b := p.List
		for len(b) >= 3 {
			n := int(binary.BigEndian.Uint16(b))
			if len(b) < 3+n || !yield(b[2:2+n], b[2+n]) {
				return
			}
			b = b[3+n:]
		}
	}
}

// ParseMQTT decodes the first MQTT packet in frame. version says how to read
// packets other than CONNECT (MQTTv311 when 0), since only CONNECT names
// its version. Bytes after the packet are left alone; Len says where it
// ended.
func ParseMQTT(frame []byte, version byte) (MQTTPacket, error) {
	return parseMQTT(frame, version, nil)
}

// mqttCursor reads the fields of a packet body in order.
type mqttCursor struct {
	b   []byte // whole frame
	off int
	end int
	d   *dissector
}

func (c *mqttCursor) need(n int, what string) error {
	return c.needOf(n, what, "")
}

// needOf is need for the field what+suffix; the name is only joined when
// the field is missing, so reading a good packet allocates nothing.
func (c *mqttCursor) needOf(n int, what, suffix string) error {
	if c.off+n > c.end {
		return frameErr(ErrShortFrame, c.off, "%s%s needs %d bytes, %d left", what, suffix, n, c.end-c.off)
	}
	return nil
}

func (c *mqttCursor) u8(name string) (byte, error) {
	if err := c.need(1, name); err != nil {
		return 0, err
	}
	c.off++
	return c.b[c.off-1], nil
}

func (c *mqttCursor) u16(name string) (uint16, error) {
	if err := c.need(2, name); err != nil {
		return 0, err
	}
	v := binary.BigEndian.Uint16(c.b[c.off:])
	if c.d != nil {
		c.d.add(name, c.off, 2, "%d", v)
	}
	c.off += 2
	return v, nil
}

// str reads a two-byte length and that many bytes.
func (c *mqttCursor) str(name string) ([]byte, error) {
	if err := c.needOf(2, name, " length"); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(c.b[c.off:]))
	if err := c.need(2+n, name); err != nil {
		return nil, err
	}
	s := c.b[c.off+2 : c.off+2+n]
	if c.d != nil {
		c.d.add(name+" length", c.off, 2, "%d", n)
		c.d.add(name, c.off+2, n, "%s", printable(s))
	}
	c.off += 2 + n
	return s, nil
}

// props reads an MQTT 5 property block.
func (c *mqttCursor) props() ([]byte, error) {
	if c.off >= c.end {
		return nil, frameErr(ErrShortFrame, c.off, "property length missing")
	}
	n, size, err := ParseMQTTVarint(c.b[c.off:c.end])
	if err != nil {
		return nil, offsetBy(err, c.off)
	}
	if c.d != nil {
		c.d.add("property length", c.off, size, "%d", n)
	}
	c.off += size
	if err := c.need(n, "properties"); err != nil {
		return nil, err
	}
	p := c.b[c.off : c.off+n]
	if c.d != nil {
		if err := dissectMQTTProps(c.d, c.b, c.off, c.off+n); err != nil {
			return nil, err
		}
	}
	c.off += n
	return p, nil
}

func offsetBy(err error, off int) error {
	if fe, ok := err.(*FrameError); ok {
		return &FrameError{Offset: fe.Offset + off, Msg: fe.Msg, Err: fe.Err}
	}
	return err
}

func parseMQTT(frame []byte, version byte, d *dissector) (MQTTPacket, error) {
	var p MQTTPacket
	if version == 0 {
		version = MQTTv311
	}
	p.Version = version
	if len(frame) < 2 {
		return p, frameErr(ErrShortFrame, len(frame), "%d bytes, an MQTT packet has at least 2", len(frame))
	}
	p.Type, p.Flags = frame[0]>>4, frame[0]&0x0F
	rem, size, err := ParseMQTTVarint(frame[1:])
	if err != nil {
		return p, offsetBy(err, 1)
	}
	if d != nil {
		d.add("packet type", 0, 1, "%d %s, flags 0x%X%s", p.Type, MQTTTypeName(p.Type), p.Flags, mqttFlagText(p.Type, p.Flags))
		d.add("remaining length", 1, size, "%d", rem)
	}
	start := 1 + size
	p.Len = start + rem
	if p.Len > len(frame) {
		return p, frameErr(ErrShortFrame, len(frame), "remaining length %d, only %d bytes follow", rem, len(frame)-start)
	}
	c := &mqttCursor{b: frame, off: start, end: p.Len, d: d}
	wantFlags := byte(0)
	switch p.Type {
	case MQTTPubrel, MQTTSubscribe, MQTTUnsubscribe:
		wantFlags = 2
	case MQTTPublish:
		wantFlags = p.Flags
	}
	if p.Flags != wantFlags {
		return p, frameErr(ErrMalformed, 0, "flags 0x%X, %s needs 0x%X", p.Flags, MQTTTypeName(p.Type), wantFlags)
	}
	v5 := version == MQTTv5
	switch p.Type {
	case MQTTConnect:
		if err := parseMQTTConnect(c, &p); err != nil {
			return p, err
		}
	case MQTTConnack:
		var flags byte
		if flags, err = c.u8("acknowledge flags"); err != nil {
			return p, err
		}
		if flags&^1 != 0 {
			return p, frameErr(ErrMalformed, c.off-1, "acknowledge flags 0x%02X, only bit 0 is defined", flags)
		}
		p.SessionPresent = flags == 1
		if p.ReasonCode, err = c.u8("return code"); err != nil {
			return p, err
		}
		if d != nil {
			d.add("acknowledge flags", c.off-2, 1, "0x%02X session present %v", flags, p.SessionPresent)
			d.add("return code", c.off-1, 1, "0x%02X %s", p.ReasonCode, mqttConnackText(version, p.ReasonCode))
		}
		if v5 {
			if p.Properties, err = c.props(); err != nil {
				return p, err
			}
		}
	case MQTTPublish:
		p.QoS, p.Retain, p.Dup = p.Flags>>1&3, p.Flags&1 != 0, p.Flags&8 != 0
		if p.QoS == 3 {
			return p, frameErr(ErrMalformed, 0, "QoS 3 is not allowed")
		}
		if p.Topic, err = c.str("topic"); err != nil {
			return p, err
		}
		if p.QoS > 0 {
			if p.PacketID, err = c.u16("packet id"); err != nil {
				return p, err
			}
		}
		if v5 {
			if p.Properties, err = c.props(); err != nil {
				return p, err
			}
		}
		p.Payload = frame[c.off:p.Len]
		if d != nil {
			d.add("payload", c.off, len(p.Payload), "%s", printable(p.Payload))
		}
		c.off = p.Len
	case MQTTPuback, MQTTPubrec, MQTTPubrel, MQTTPubcomp, MQTTUnsuback:
		if p.PacketID, err = c.u16("packet id"); err != nil {
			return p, err
		}
		if p.Type == MQTTUnsuback {
			if v5 {
				if p.Properties, err = c.props(); err != nil {
					return p, err
				}
			}
			p.List = frame[c.off:p.Len]
			c.off = p.Len
			break
		}
		if v5 && c.off < p.Len {
			if p.ReasonCode, err = c.u8("reason code"); err != nil {
				return p, err
			}
			if d != nil {
				d.add("reason code", c.off-1, 1, "0x%02X", p.ReasonCode)
			}
			if c.off < p.Len {
				if p.Properties, err = c.props(); err != nil {
					return p, err
				}
			}
		}
	case MQTTSubscribe, MQTTUnsubscribe:
		if p.PacketID, err = c.u16("packet id"); err != nil {
			return p, err
		}
		if v5 {
			if p.Properties, err = c.props(); err != nil {
				return p, err
			}
		}
		listStart := c.off
		for c.off < p.Len {
			if _, err := c.str("topic filter"); err != nil {
				return p, err
			}
			if p.Type == MQTTSubscribe {
				var o byte
				if o, err = c.u8("options"); err != nil {
					return p, err
				}
				if d != nil {
					d.add("options", c.off-1, 1, "0x%02X max QoS %d", o, o&3)
				}
			}
		}
		if c.off == listStart {
			return p, frameErr(ErrMalformed, c.off, "%s without a topic filter", MQTTTypeName(p.Type))
		}
		p.List = frame[listStart:p.Len]
	case MQTTSuback:
		if p.PacketID, err = c.u16("packet id"); err != nil {
			return p, err
		}
		if v5 {
			if p.Properties, err = c.props(); err != nil {
				return p, err
			}
		}
		p.List = frame[c.off:p.Len]
		if d != nil {
			for i, code := range p.List {
				d.add("reason code", c.off+i, 1, "0x%02X %s", code, subackText(code))
			}
		}
		c.off = p.Len
	case MQTTPingreq, MQTTPingresp:
	case MQTTDisconnect, MQTTAuth:
		if v5 && c.off < p.Len {
			if p.ReasonCode, err = c.u8("reason code"); err != nil {
				return p, err
			}
			if d != nil {
				d.add("reason code", c.off-1, 1, "0x%02X", p.ReasonCode)
			}
			if c.off < p.Len {
				if p.Properties, err = c.props(); err != nil {
					return p, err
				}
			}
		}
	default:
		return p, frameErr(ErrMalformed, 0, "packet type 0 is reserved")
	}
	if c.off != p.Len {
		return p, frameErr(ErrMalformed, c.off, "%d bytes left over in %s", p.Len-c.off, MQTTTypeName(p.Type))
	}
	return p, nil
}

func parseMQTTConnect(c *mqttCursor, p *MQTTPacket) error {
	name, err := c.str("protocol name")
	if err != nil {
		return err
	}
	if string(name) != "MQTT" && string(name) != "MQIsdp" {
		return frameErr(ErrMalformed, c.off-len(name), "protocol name %q, want \"MQTT\"", name)
	}
	if p.Version, err = c.u8("protocol level"); err != nil {
		return err
	}
	if p.ConnectFlags, err = c.u8("connect flags"); err != nil {
		return err
	}
	f := p.ConnectFlags
	if c.d != nil {
		c.d.add("protocol level", c.off-2, 1, "%d (%s)", p.Version, mqttVersionName(p.Version))
		c.d.add("connect flags", c.off-1, 1, "0x%02X%s", f, connectFlagText(f))
	}
	if f&1 != 0 {
		return frameErr(ErrMalformed, c.off-1, "reserved connect flag set")
	}
	if p.KeepAlive, err = c.u16("keep alive"); err != nil {
		return err
	}
	v5 := p.Version == MQTTv5
	if v5 {
		if p.Properties, err = c.props(); err != nil {
			return err
		}
	}
	if p.ClientID, err = c.str("client id"); err != nil {
		return err
	}
	if f&0x04 != 0 {
		if v5 {
			if _, err = c.props(); err != nil {
				return err
			}
		}
		if p.WillTopic, err = c.str("will topic"); err != nil {
			return err
		}
		if p.WillMessage, err = c.str("will message"); err != nil {
			return err
		}
	}
	if f&0x80 != 0 {
		if p.Username, err = c.str("user name"); err != nil {
			return err
		}
	}
	if f&0x40 != 0 {
		if p.Password, err = c.str("password"); err != nil {
			return err
		}
	}
	return nil
}
