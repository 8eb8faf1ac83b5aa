package proto

import "encoding/binary"

// CANFrame is a classical CAN 2.0 data or remote frame: 2.0A with an 11-bit
// identifier, 2.0B (Extended) with a 29-bit one.
type CANFrame struct {
	ID       uint32 // 11 bits, or 29 when Extended
	Extended bool   // 29-bit identifier (CAN 2.0B)
	Remote   bool   // remote transmission request: DLC but no data
	DLC      uint8  // data length code 0..15; more than 8 still means 8 bytes
	Data     [8]byte
}

// CAN on-wire constants.
const (
	CANMaxID         = 0x7FF      // largest 11-bit identifier
	CANMaxExtendedID = 0x1FFFFFFF // largest 29-bit identifier
	// CANIntermissionBits is the bus idle time that must separate frames;
	// add it to CANFrameBits for back-to-back traffic.
	CANIntermissionBits = 3
	// CANSocketFrameLen is the size of the bytes AppendCANFrame writes.
	CANSocketFrameLen = 16
)

// SocketCAN can_id flags (linux/can.h).
const (
	canEFFFlag = 0x80000000
	canRTRFlag = 0x40000000
	canERRFlag = 0x20000000
)

// Len returns the number of data bytes the frame carries on the wire.
func (f CANFrame) Len() int {
	if f.Remote {
		return 0
	}
	return min(int(f.DLC), 8)
}

// Payload returns the data bytes the frame carries.
func (f *CANFrame) Payload() []byte { return f.Data[:f.Len()] }

// AppendCANFrame appends f as Linux SocketCAN's 16-byte struct can_frame
// as a SocketCAN program holds it in memory, so the hex dump reads like a
// candump program's (a capture file, LINKTYPE_CAN_SOCKETCAN, holds can_id
// in network byte order instead: package capture writes it so):
//
//	0..3  can_id, little-endian (x86 and WebAssembly byte order): identifier
//	      in bits 0-28, 0x80000000 extended, 0x40000000 remote
//	4     len (data length, 0..8)
//	5..7  padding, reserved, len8_dlc (the raw DLC when it exceeds 8)
//	8..15 data, zero padded
//
// The bits on the wire are not bytes; CANFrameBits counts them.
func AppendCANFrame(dst []byte, f CANFrame) []byte {
	id := f.ID & CANMaxExtendedID
	if f.Extended {
		id |= canEFFFlag
	} else {
		id &= CANMaxID
	}
	if f.Remote {
		id |= canRTRFlag
	}
	dst = binary.LittleEndian.AppendUint32(dst, id)
	dlc := f.DLC & 0x0F
	var dlc8 byte
	if dlc > 8 {
		dlc8 = dlc
	}
	dst = append(dst, min(dlc, 8), 0, 0, dlc8)
	var data [8]byte
	copy(data[:], f.Data[:f.Len()])
	return append(dst, data[:]...)
}

// ParseCANFrame decodes the 16-byte SocketCAN layout AppendCANFrame writes.
// Data holds the frame's data bytes and zeros after them, whatever padding
// the buffer carried, so equal frames compare equal.
func ParseCANFrame(b []byte) (CANFrame, error) {
	var f CANFrame
	if len(b) < CANSocketFrameLen {
		return f, frameErr(ErrShortFrame, len(b), "%d bytes, a SocketCAN frame is 16", len(b))
	}
	if len(b) > CANSocketFrameLen {
		return f, frameErr(ErrMalformed, CANSocketFrameLen, "%d bytes, a SocketCAN frame is 16", len(b))
	}
	id := binary.LittleEndian.Uint32(b)
	if id&canERRFlag != 0 {
		return f, frameErr(ErrUnsupported, 3, "error frame (can_id 0x%08X)", id)
	}
	f.Extended = id&canEFFFlag != 0
	f.Remote = id&canRTRFlag != 0
	f.ID = id & CANMaxExtendedID
	if !f.Extended && f.ID > CANMaxID {
		return f, frameErr(ErrMalformed, 0, "identifier 0x%X has more than 11 bits in a standard frame", f.ID)
	}
	if b[4] > 8 {
		return f, frameErr(ErrMalformed, 4, "length %d, at most 8", b[4])
	}
	f.DLC = b[4]
	if b[7] > 8 && b[7] <= 15 && b[4] == 8 {
		f.DLC = b[7]
	}
	copy(f.Data[:f.Len()], b[8:16]) // bytes past the length are padding
	return f, nil
}

// canBits feeds the bits of a frame one at a time, keeping the CRC-15 and
// counting the stuff bits the transmitter must insert: after five equal
// bits comes one of the opposite value, from SOF to the end of the CRC.
type canBits struct {
	crc     uint16
	last    uint8
	run     int
	bits    int // bits fed, without stuff bits
	stuffed int // stuff bits inserted
}

func (w *canBits) put(bit uint8, inCRC bool) {
	if inCRC {
		next := bit ^ uint8(w.crc>>14&1)
		w.crc = w.crc << 1 & 0x7FFF
		if next != 0 {
			w.crc ^= 0x4599
		}
	}
	w.bits++
	if w.run > 0 && bit == w.last {
		w.run++
	} else {
		w.last, w.run = bit, 1
	}
	if w.run == 5 {
		w.stuffed++
		w.last, w.run = bit^1, 1
	}
}

func (w *canBits) putN(v uint32, n int) {
	for i := n - 1; i >= 0; i-- {
		w.put(uint8(v>>i&1), true)
	}
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// walk feeds every stuffed bit of f (SOF through CRC sequence), CRC last.
func (f CANFrame) walk(w *canBits) {
	w.put(0, true) // SOF, dominant
	if f.Extended {
		id := f.ID & CANMaxExtendedID
		w.putN(id>>18, 11)       // base identifier
		w.putN(1, 1)             // SRR, recessive
		w.putN(1, 1)             // IDE, recessive: extended
		w.putN(id&0x3FFFF, 18)   // identifier extension
		w.putN(b2u(f.Remote), 1) // RTR
		w.putN(0, 2)             // r1, r0
	} else {
		w.putN(f.ID&CANMaxID, 11)
		w.putN(b2u(f.Remote), 1) // RTR
		w.putN(0, 2)             // IDE dominant: standard; r0
	}
	w.putN(uint32(f.DLC&0x0F), 4)
	for _, b := range f.Data[:f.Len()] {
		w.putN(uint32(b), 8)
	}
	crc := w.crc
	for i := 14; i >= 0; i-- {
		w.put(uint8(crc>>i&1), false)
	}
	w.crc = crc
}

// CANFrameBits returns the number of bits f occupies on the bus, from start
// of frame to the end of the end-of-frame field, stuff bits included:
// SOF 1, arbitration 12 (extended 32), control 6, data 8·len, CRC 15,
// CRC delimiter 1, ACK 2, EOF 7, plus one stuff bit after every run of five
// equal bits from SOF to the end of the CRC. A standard frame with 8 bytes
// is 108 bits before stuffing (extended 128). Multiply by the bit time for the time on
// the wire; add CANIntermissionBits between frames.
func CANFrameBits(f CANFrame) int {
	var w canBits
	f.walk(&w)
	return w.bits + w.stuffed + 1 + 2 + 7
}

// CANStuffBits returns how many stuff bits f needs, for the inspector.
func CANStuffBits(f CANFrame) int {
	var w canBits
	f.walk(&w)
	return w.stuffed
}

// CANCRC returns the frame's CRC-15 (polynomial 0x4599) over SOF,
// arbitration, control and data fields, as sent on the wire.
func CANCRC(f CANFrame) uint16 {
	var w canBits
	f.walk(&w)
	return w.crc
}

// CANArbitrationKey returns the frame's arbitration field as a number, so
// that when several nodes start sending at once the frame with the lowest
// key wins: the bits are sent most significant first, a dominant 0 beats a
// recessive 1, and the first differing bit decides. The key lays the
// arbitration bits out left-aligned in 32 bits: base identifier, then RTR
// (standard) or SRR (extended), IDE, then the extension and RTR. So a lower
// identifier wins, a data frame beats a remote frame with the same
// identifier, and a standard frame beats an extended one with the same
// base identifier.
func CANArbitrationKey(f CANFrame) uint32 {
	if !f.Extended {
		return (f.ID&CANMaxID)<<21 | b2u(f.Remote)<<20 // IDE bit 19 = 0
	}
	id := f.ID & CANMaxExtendedID
	return (id>>18)<<21 | 1<<20 | 1<<19 | (id&0x3FFFF)<<1 | b2u(f.Remote)
}

// CANFrameTime returns the time f occupies a bus at bitrate bits per second,
// in microseconds rounded up, intermission included.
func CANFrameTime(f CANFrame, bitrate int) int64 {
	if bitrate <= 0 {
		return 0
	}
	bits := int64(CANFrameBits(f) + CANIntermissionBits)
	return (bits*1_000_000 + int64(bitrate) - 1) / int64(bitrate)
}
