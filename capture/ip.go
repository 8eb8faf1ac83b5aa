package capture

import (
	"encoding/binary"

	"github.com/thingyard/thingyard/sim"
)

// Ports of the application protocols the world speaks over IP.
const (
	portMQTT      = 1883
	portHTTP      = 80
	portCoAP      = 5683
	ephemeralBase = 49152 // first of the client ports, one per stream
	ipTTL         = 64
	tcpWindow     = 64240
	tcpISN        = 1_000_000 // every stream's first sequence number, each way
)

// deviceAddr is a device's IPv4 address: 10.0.0.0 plus its index plus 1,
// so the first device is 10.0.0.1.
func deviceAddr(i int32) [4]byte {
	var a [4]byte
	binary.BigEndian.PutUint32(a[:], 0x0A000000+uint32(i)+1)
	return a
}

// streamKey names a conversation: two devices, one transport and
// application protocol.
type streamKey struct {
	a, b  int32 // a < b
	proto sim.Protocol
}

// stream is one TCP connection (or UDP flow) between two devices: the
// client's port, and the next sequence number each way, so that every
// segment follows the one before and an analyser reassembles the stream.
type stream struct {
	client, server int32
	clientPort     uint16
	serverPort     uint16
	seq            [2]uint32 // next byte, client to server and server to client
}

// ipState is what a capture remembers of the IP traffic so far.
type ipState struct {
	streams map[streamKey]*stream
	ipID    map[int32]uint16 // next IPv4 identification of each sender
}

// stream finds or opens the stream a frame travels on. The server is the
// broker when one end is one, else whoever the first frame went to: the
// device that opened the connection is the one that had something to say.
func (s *ipState) stream(f *sim.Frame) *stream {
	k := streamKey{a: min(f.FromIndex, f.ToIndex), b: max(f.FromIndex, f.ToIndex), proto: f.Protocol}
	if st, ok := s.streams[k]; ok {
		return st
	}
	st := &stream{client: f.FromIndex, server: f.ToIndex, seq: [2]uint32{tcpISN, tcpISN}}
	if f.FromKind == sim.KindBroker && f.ToKind != sim.KindBroker {
		st.client, st.server = f.ToIndex, f.FromIndex
	}
	st.clientPort = ephemeralBase + uint16(len(s.streams)%(65536-ephemeralBase))
	switch f.Protocol {
	case sim.ProtoHTTP:
		st.serverPort = portHTTP
	case sim.ProtoCoAP:
		st.serverPort = portCoAP
	default:
		st.serverPort = portMQTT
	}
	s.streams[k] = st
	return st
}

// packet appends the IPv4 packet that carries a frame's bytes on its
// stream: TCP for MQTT and HTTP, UDP for CoAP, checksums computed.
func (s *ipState) packet(dst []byte, f *sim.Frame) []byte {
	st := s.stream(f)
	up := f.FromIndex == st.client
	srcPort, dstPort := st.serverPort, st.clientPort
	if up {
		srcPort, dstPort = st.clientPort, st.serverPort
	}
	udp := f.Protocol == sim.ProtoCoAP
	hdr := 20
	proto := byte(6)
	if udp {
		hdr, proto = 8, 17
	}
	id := s.ipID[f.FromIndex]
	s.ipID[f.FromIndex] = id + 1
	src, dstAddr := deviceAddr(f.FromIndex), deviceAddr(f.ToIndex)

	start := len(dst)
	dst = append(dst, 0x45, 0) // version 4, 20-byte header, no DSCP
	dst = binary.BigEndian.AppendUint16(dst, uint16(20+hdr+len(f.Bytes)))
	dst = binary.BigEndian.AppendUint16(dst, id)
	dst = append(dst, 0x40, 0, ipTTL, proto, 0, 0) // don't fragment; checksum below
	dst = append(dst, src[:]...)
	dst = append(dst, dstAddr[:]...)
	binary.BigEndian.PutUint16(dst[start+10:], checksum(0, dst[start:start+20]))

	t := len(dst)
	dst = binary.BigEndian.AppendUint16(dst, srcPort)
	dst = binary.BigEndian.AppendUint16(dst, dstPort)
	if udp {
		dst = binary.BigEndian.AppendUint16(dst, uint16(8+len(f.Bytes)))
		dst = append(dst, 0, 0)
	} else {
		dir := 0
		if !up {
			dir = 1
		}
		dst = binary.BigEndian.AppendUint32(dst, st.seq[dir])
		dst = binary.BigEndian.AppendUint32(dst, st.seq[1-dir]) // everything the other way is acknowledged
		st.seq[dir] += uint32(len(f.Bytes))
		dst = append(dst, 5<<4, 0x18) // 20-byte header; PSH, ACK
		dst = binary.BigEndian.AppendUint16(dst, tcpWindow)
		dst = append(dst, 0, 0, 0, 0) // checksum below, urgent pointer
	}
	// The transport checksum covers a pseudo-header, its header and the
	// data; the data is not copied here but summed where it lies.
	var pseudo [12]byte
	copy(pseudo[0:], src[:])
	copy(pseudo[4:], dstAddr[:])
	pseudo[9] = proto
	binary.BigEndian.PutUint16(pseudo[10:], uint16(hdr+len(f.Bytes)))
	sum := sum16(sum16(sum16(0, pseudo[:]), dst[t:]), f.Bytes)
	c := ^fold(sum)
	if udp && c == 0 {
		c = 0xFFFF // a computed zero is sent as all ones (RFC 768)
	}
	off := 16
	if udp {
		off = 6
	}
	binary.BigEndian.PutUint16(dst[t+off:], c)
	return dst
}

// sum16 adds b to a running ones' complement sum as 16-bit big-endian
// words; b of odd length must come last.
func sum16(sum uint32, b []byte) uint32 {
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	return sum
}

func fold(sum uint32) uint16 {
	for sum > 0xFFFF {
		sum = sum&0xFFFF + sum>>16
	}
	return uint16(sum)
}

// checksum is the Internet checksum (RFC 1071) of b.
func checksum(sum uint32, b []byte) uint16 { return ^fold(sum16(sum, b)) }
