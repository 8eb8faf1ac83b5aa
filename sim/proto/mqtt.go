package proto

import "encoding/binary"

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
