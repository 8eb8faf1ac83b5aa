package proto

import (
	"encoding/binary"
	"iter"
)

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
	p, cur, err := parseMQTTFixed(frame, version, d)
	if err != nil {
		return p, err
	}
	c := &cur
	switch p.Type {
	case MQTTConnect:
		err = parseMQTTConnect(c, &p)
	case MQTTConnack:
		err = parseMQTTConnack(c, &p)
	case MQTTPublish:
		err = parseMQTTPublish(c, &p)
	case MQTTPuback, MQTTPubrec, MQTTPubrel, MQTTPubcomp:
		if p.PacketID, err = c.u16("packet id"); err == nil {
			err = c.reason(&p)
		}
	case MQTTSubscribe, MQTTUnsubscribe:
		err = parseMQTTSubscribe(c, &p)
	case MQTTSuback, MQTTUnsuback:
		err = parseMQTTSuback(c, &p)
	case MQTTPingreq, MQTTPingresp:
	case MQTTDisconnect, MQTTAuth:
		err = c.reason(&p)
	default:
		return p, frameErr(ErrMalformed, 0, "packet type 0 is reserved")
	}
	if err != nil {
		return p, err
	}
	if c.off != p.Len {
		return p, frameErr(ErrMalformed, c.off, "%d bytes left over in %s", p.Len-c.off, MQTTTypeName(p.Type))
	}
	return p, nil
}

// parseMQTTFixed reads the fixed header of the packet at the start of
// frame: its type and flags, checked against what the type allows, and its
// length. The cursor it returns is at the start of the packet's body.
func parseMQTTFixed(frame []byte, version byte, d *dissector) (MQTTPacket, mqttCursor, error) {
	var p MQTTPacket
	if version == 0 {
		version = MQTTv311
	}
	p.Version = version
	if len(frame) < 2 {
		return p, mqttCursor{}, frameErr(ErrShortFrame, len(frame), "%d bytes, an MQTT packet has at least 2", len(frame))
	}
	p.Type, p.Flags = frame[0]>>4, frame[0]&0x0F
	rem, size, err := ParseMQTTVarint(frame[1:])
	if err != nil {
		return p, mqttCursor{}, offsetBy(err, 1)
	}
	if d != nil {
		d.add("packet type", 0, 1, "%d %s, flags 0x%X%s", p.Type, MQTTTypeName(p.Type), p.Flags, mqttFlagText(p.Type, p.Flags))
		d.add("remaining length", 1, size, "%d", rem)
	}
	start := 1 + size
	p.Len = start + rem
	if p.Len > len(frame) {
		return p, mqttCursor{}, frameErr(ErrShortFrame, len(frame), "remaining length %d, only %d bytes follow", rem, len(frame)-start)
	}
	wantFlags := byte(0)
	switch p.Type {
	case MQTTPubrel, MQTTSubscribe, MQTTUnsubscribe:
		wantFlags = 2
	case MQTTPublish:
		wantFlags = p.Flags
	}
	if p.Flags != wantFlags {
		return p, mqttCursor{}, frameErr(ErrMalformed, 0, "flags 0x%X, %s needs 0x%X", p.Flags, MQTTTypeName(p.Type), wantFlags)
	}
	return p, mqttCursor{b: frame, off: start, end: p.Len, d: d}, nil
}

// props5 reads the property block into p.Properties when p is MQTT 5, and
// nothing from an older packet.
func (c *mqttCursor) props5(p *MQTTPacket) (err error) {
	if p.Version == MQTTv5 {
		p.Properties, err = c.props()
	}
	return err
}

// idProps reads what SUBSCRIBE, UNSUBSCRIBE and their acknowledgements
// begin with: a packet id, then in MQTT 5 properties.
func (c *mqttCursor) idProps(p *MQTTPacket) (err error) {
	if p.PacketID, err = c.u16("packet id"); err != nil {
		return err
	}
	return c.props5(p)
}

// reason reads what may end an MQTT 5 acknowledgement, DISCONNECT or AUTH
// when the packet goes on: a reason code, then properties.
func (c *mqttCursor) reason(p *MQTTPacket) (err error) {
	if p.Version != MQTTv5 || c.off >= p.Len {
		return nil
	}
	if p.ReasonCode, err = c.u8("reason code"); err != nil {
		return err
	}
	if c.d != nil {
		c.d.add("reason code", c.off-1, 1, "0x%02X", p.ReasonCode)
	}
	if c.off < p.Len {
		p.Properties, err = c.props()
	}
	return err
}

func parseMQTTConnack(c *mqttCursor, p *MQTTPacket) error {
	flags, err := c.u8("acknowledge flags")
	if err != nil {
		return err
	}
	if flags&^1 != 0 {
		return frameErr(ErrMalformed, c.off-1, "acknowledge flags 0x%02X, only bit 0 is defined", flags)
	}
	p.SessionPresent = flags == 1
	if p.ReasonCode, err = c.u8("return code"); err != nil {
		return err
	}
	if c.d != nil {
		c.d.add("acknowledge flags", c.off-2, 1, "0x%02X session present %v", flags, p.SessionPresent)
		c.d.add("return code", c.off-1, 1, "0x%02X %s", p.ReasonCode, mqttConnackText(p.Version, p.ReasonCode))
	}
	return c.props5(p)
}

func parseMQTTPublish(c *mqttCursor, p *MQTTPacket) (err error) {
	p.QoS, p.Retain, p.Dup = p.Flags>>1&3, p.Flags&1 != 0, p.Flags&8 != 0
	if p.QoS == 3 {
		return frameErr(ErrMalformed, 0, "QoS 3 is not allowed")
	}
	if p.Topic, err = c.str("topic"); err != nil {
		return err
	}
	if p.QoS > 0 {
		if p.PacketID, err = c.u16("packet id"); err != nil {
			return err
		}
	}
	if err = c.props5(p); err != nil {
		return err
	}
	p.Payload = c.b[c.off:p.Len]
	if c.d != nil {
		c.d.add("payload", c.off, len(p.Payload), "%s", printable(p.Payload))
	}
	c.off = p.Len
	return nil
}

// parseMQTTSubscribe reads SUBSCRIBE and UNSUBSCRIBE: a packet id, then
// at least one topic filter, each with an options byte in SUBSCRIBE.
func parseMQTTSubscribe(c *mqttCursor, p *MQTTPacket) (err error) {
	if err = c.idProps(p); err != nil {
		return err
	}
	listStart := c.off
	for c.off < p.Len {
		if _, err := c.str("topic filter"); err != nil {
			return err
		}
		if p.Type == MQTTSubscribe {
			o, err := c.u8("options")
			if err != nil {
				return err
			}
			if c.d != nil {
				c.d.add("options", c.off-1, 1, "0x%02X max QoS %d", o, o&3)
			}
		}
	}
	if c.off == listStart {
		return frameErr(ErrMalformed, c.off, "%s without a topic filter", MQTTTypeName(p.Type))
	}
	p.List = c.b[listStart:p.Len]
	return nil
}

// parseMQTTSuback reads SUBACK and UNSUBACK: a packet id, then the rest
// of the packet is reason codes (an MQTT 3.1.1 UNSUBACK has none).
func parseMQTTSuback(c *mqttCursor, p *MQTTPacket) (err error) {
	if err = c.idProps(p); err != nil {
		return err
	}
	p.List = c.b[c.off:p.Len]
	if c.d != nil && p.Type == MQTTSuback {
		for i, code := range p.List {
			c.d.add("reason code", c.off+i, 1, "0x%02X %s", code, subackText(code))
		}
	}
	c.off = p.Len
	return nil
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
	if err = c.props5(p); err != nil {
		return err
	}
	if p.ClientID, err = c.str("client id"); err != nil {
		return err
	}
	if f&0x04 != 0 {
		if p.Version == MQTTv5 {
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
