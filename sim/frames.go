package sim

import (
	"encoding/binary"
	"strconv"

	"github.com/thingyard/thingyard/sim/proto"
)

// encode writes the bytes message mi carries on link li as device from
// sends it: a Modbus RTU frame on a serial line, a CAN frame on a CAN bus, a
// radio frame on Zigbee, BLE or LoRaWAN, and the device's application
// protocol (MQTT, CoAP or HTTP) on an IP medium. A gateway that puts a
// message on a medium of another protocol than it arrived in has translated
// it, and the side's metrics count that.
func (w *World) encode(mi, li, from int32) {
	m := &w.msgs[mi]
	l := &w.links[li]
	enc := l.medium.native()
	if enc == 0 {
		enc = m.app
		if enc == 0 || !enc.IP() {
			enc = ProtoMQTT
		}
	}
	if m.enc != 0 && m.enc != enc && w.devices[from].kind == KindGateway {
		w.metrics[m.side].translations++
	}
	m.enc = enc
	b := m.buf[:0]
	switch enc {
	case ProtoModbusRTU:
		b = w.modbusFrame(b, m)
	case ProtoCAN:
		b = proto.AppendCANFrame(b, w.canFrame(m))
	case ProtoMQTT:
		b = w.mqttFrame(b, m)
	case ProtoCoAP:
		b = w.coapFrame(b, m)
	case ProtoHTTP:
		b = w.httpFrame(b, m)
	case ProtoZigbee:
		b = w.zigbeeFrame(b, m, from)
	case ProtoBLE:
		b = w.bleFrame(b, m)
	case ProtoLoRaWAN:
		b = w.lorawanFrame(b, m, from)
	}
	m.buf = b
}

// Modbus function codes the world uses.
const (
	fnReadInput   = 0x04
	fnWriteCoil   = 0x05
	fnWriteRegs   = 0x10
	coilOn        = 0xFF00
	registerValue = 0 // the register a sensor's value is read from
)

// modbusFrame is a master's request, a slave's reply, or a reading pushed
// over a serial line as a write of two registers.
func (w *World) modbusFrame(b []byte, m *message) []byte {
	switch m.kind {
	case mPoll:
		return proto.AppendModbusRead(b, w.slaveAddr(m.dst), fnReadInput, registerValue, 2)
	case mWrite, mCommand:
		v := uint16(0)
		if m.on {
			v = coilOn
		}
		return proto.AppendModbusWriteSingle(b, w.slaveAddr(m.dst), fnWriteCoil, 0, v)
	case mReply:
		if m.trigger == -1 { // the echo of a coil write
			v := uint16(0)
			if w.devices[m.origin].on {
				v = coilOn
			}
			return proto.AppendModbusWriteSingle(b, w.slaveAddr(m.origin), fnWriteCoil, 0, v)
		}
		var data [4]byte
		binary.BigEndian.PutUint32(data[:], uint32(int32(m.value)))
		return proto.AppendModbusReadResponse(b, w.slaveAddr(m.origin), fnReadInput, data[:])
	}
	v := uint32(int32(m.value))
	return proto.AppendModbusWriteMultipleRegisters(b, w.slaveAddr(m.dst), registerValue,
		[]uint16{uint16(v >> 16), uint16(v)})
}

func (w *World) slaveAddr(i int32) byte {
	if a := w.devices[i].addr; a > 0 && a <= 247 {
		return byte(a)
	}
	return 1
}

// canFrame carries a reading as a signed 32-bit value, or a command as one
// byte, under the sender's identifier: the lower the identifier, the higher
// the priority on the bus.
func (w *World) canFrame(m *message) proto.CANFrame {
	f := proto.CANFrame{ID: uint32(w.devices[m.from].addr) & proto.CANMaxID}
	if m.kind == mCommand || m.kind == mWrite {
		f.DLC = 2
		f.Data[0] = byte(w.devices[m.dst].addr)
		if m.on {
			f.Data[1] = 1
		}
		return f
	}
	f.DLC = 4
	binary.BigEndian.PutUint32(f.Data[:4], uint32(int32(m.value)))
	return f
}

// topic is where an IoT device publishes: thingyard/<side>/<device>/<what>
// (see Topic).
func (w *World) topic(m *message) string {
	if m.kind == mCommand {
		d := &w.devices[m.dst]
		if d.setTopic == "" {
			d.setTopic = Topic(w.sides[d.side], d.id, TopicSet)
		}
		return d.setTopic
	}
	src := m.sensor
	if src < 0 {
		src = m.origin
	}
	d := &w.devices[src]
	if d.topic == "" {
		q := d.quantity
		if q == "" {
			q = "value"
		}
		d.topic = Topic(w.sides[d.side], d.id, q)
	}
	return d.topic
}

// payload is the JSON an IoT device sends: {"v":21.53} or {"on":true}.
func (w *World) payload(m *message) []byte {
	p := w.scratch[:0]
	if m.kind == mCommand {
		if m.on {
			p = append(p, `{"on":true}`...)
		} else {
			p = append(p, `{"on":false}`...)
		}
	} else {
		p = append(p, `{"v":`...)
		p = appendMilli(p, m.value)
		p = append(p, '}')
	}
	w.scratch = p
	return p
}

// appendMilli writes a milli-unit value with two decimals: 21530 -> 21.53.
func appendMilli(b []byte, v int64) []byte {
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	c := (v + 5) / 10
	b = strconv.AppendInt(b, c/100, 10)
	b = append(b, '.')
	if c%100 < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, c%100, 10)
}

func (w *World) mqttFrame(b []byte, m *message) []byte {
	pm := proto.MQTTMessage{Topic: w.topic(m), Payload: w.payload(m), QoS: m.qos}
	if m.qos > 0 {
		pm.PacketID = uint16(m.id) | 1
	}
	return proto.AppendMQTTPublish(b, proto.MQTTv311, pm)
}

// transportOverhead is what carries a frame on a medium beyond the frame
// itself: IPv4 and TCP or UDP headers on IP media, plus the medium's own
// framing. Field media count their framing in the frame (CRC, CAN's bits).
func transportOverhead(md Medium, p Protocol) int {
	if !p.IP() {
		return 0
	}
	n := tcpIPv4
	if p == ProtoCoAP {
		n = udpIPv4
	}
	switch md {
	case MediumEthernet:
		n += 18 // MAC header and FCS
	case MediumWiFi:
		n += 34 // 802.11 data header, LLC/SNAP and FCS
	}
	return n
}

// txTime is how long n bytes occupy link l: a serial character is 11 bits
// (start, 8 data, parity or second stop, stop) and an RTU frame is followed
// by 3.5 characters of silence; a CAN frame's bits are counted exactly; other
// media send 8 bits a byte at their rate.
func txTime(l *link, n int) int64 {
	switch l.medium {
	case MediumRS232, MediumRS485:
		return proto.ModbusFrameTime(n, int(l.bitrate))
	case MediumCAN:
		f := proto.CANFrame{DLC: uint8(min(max(n-proto.CANSocketFrameLen+8, 0), 8))}
		return proto.CANFrameTime(f, int(l.bitrate))
	}
	return (int64(n)*8*1_000_000 + l.bitrate - 1) / l.bitrate
}

// txOf is how long message m occupies link l; for CAN the frame's own bits,
// stuffing included, decide.
func txOf(l *link, m *message) int64 {
	if l.medium == MediumCAN && len(m.buf) == proto.CANSocketFrameLen {
		if f, err := proto.ParseCANFrame(m.buf); err == nil {
			return proto.CANFrameTime(f, int(l.bitrate))
		}
	}
	return txTime(l, len(m.buf))
}
