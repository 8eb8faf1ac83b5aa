package proto_test

import (
	"math/big"
	"slices"
	"testing"

	"github.com/thingyard/thingyard/sim/proto"
)

// canFieldBits lays out a frame's bits from SOF to the end of the data
// field as ISO 11898-1 draws them, written out here independently of the
// package.
func canFieldBits(f proto.CANFrame) []byte {
	var b []byte
	put := func(v uint32, n int) {
		for i := n - 1; i >= 0; i-- {
			b = append(b, byte(v>>i&1))
		}
	}
	rtr := uint32(0)
	if f.Remote {
		rtr = 1
	}
	put(0, 1) // SOF
	if f.Extended {
		put(f.ID>>18, 11)     // base identifier
		put(1, 1)             // SRR
		put(1, 1)             // IDE: extended
		put(f.ID&0x3FFFF, 18) // identifier extension
		put(rtr, 1)           // RTR
		put(0, 2)             // r1, r0
	} else {
		put(f.ID, 11)
		put(rtr, 1)
		put(0, 1) // IDE: standard
		put(0, 1) // r0
	}
	put(uint32(f.DLC), 4)
	if !f.Remote {
		for _, d := range f.Data[:min(int(f.DLC), 8)] {
			put(uint32(d), 8)
		}
	}
	return b
}

// crc15Division computes the CAN CRC the way the specification defines
// it, rather than the way hardware (and the package) computes it: the bit
// sequence read as a polynomial M(x) over GF(2), multiplied by x^15 and
// divided by G(x) = x^15+x^14+x^10+x^8+x^7+x^4+x^3+1; the CRC is the
// remainder. The long division runs on a math/big integer, one
// subtraction (XOR) of the shifted generator per leading one.
func crc15Division(bits []byte) uint16 {
	m := new(big.Int)
	for _, bit := range bits {
		m.Lsh(m, 1)
		m.SetBit(m, 0, uint(bit))
	}
	m.Lsh(m, 15) // M(x) · x^15
	g := big.NewInt(0xC599)
	for m.BitLen() > 15 {
		m.Xor(m, new(big.Int).Lsh(g, uint(m.BitLen()-16)))
	}
	return uint16(m.Uint64())
}

// stuffCount counts stuff bits over the bits on the wire: after five equal
// bits the transmitter inserts one of the opposite value, which itself
// counts towards the next run.
func stuffCount(bits []byte) int {
	n, run, last := 0, 0, byte(2)
	for _, bit := range bits {
		if bit == last {
			run++
		} else {
			last, run = bit, 1
		}
		if run == 5 {
			n++
			last, run = 1-last, 1
		}
	}
	return n
}

func canFrame(id uint32, ext, remote bool, data ...byte) proto.CANFrame {
	f := proto.CANFrame{ID: id, Extended: ext, Remote: remote, DLC: uint8(len(data))}
	copy(f.Data[:], data)
	return f
}

func TestCANCRCAndBits(t *testing.T) {
	tests := []struct {
		name string
		f    proto.CANFrame
	}{
		{"two bytes", canFrame(0x123, false, false, 0x11, 0x22)},
		{"all zero, 8 bytes: most stuffing", canFrame(0x000, false, false, 0, 0, 0, 0, 0, 0, 0, 0)},
		{"all ones", canFrame(0x7FF, false, false, 0xFF, 0xFF)},
		{"no data", canFrame(0x65, false, false)},
		{"remote", canFrame(0x65, false, true)},
		{"extended", canFrame(0x18FEF100, true, false, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08)},
		{"extended remote", canFrame(0x1ABCDE, true, true)},
	}
	for _, tt := range tests {
		if tt.f.Remote {
			tt.f.DLC = 2 // a remote frame asks for 2 bytes and carries none
		}
		bits := canFieldBits(tt.f)
		wantCRC := crc15Division(bits)
		if got := proto.CANCRC(tt.f); got != wantCRC {
			t.Errorf("%s: CRC-15 %#04x, polynomial division gives %#04x", tt.name, got, wantCRC)
		}
		for i := 14; i >= 0; i-- {
			bits = append(bits, byte(wantCRC>>i&1))
		}
		stuffed := stuffCount(bits)
		if got := proto.CANStuffBits(tt.f); got != stuffed {
			t.Errorf("%s: %d stuff bits, want %d", tt.name, got, stuffed)
		}
		// SOF..CRC, stuffing, CRC delimiter 1, ACK slot and delimiter 2, EOF 7.
		if got, want := proto.CANFrameBits(tt.f), len(bits)+stuffed+1+2+7; got != want {
			t.Errorf("%s: %d bits on the wire, want %d", tt.name, got, want)
		}
	}
}

// The frame sizes textbooks quote: a standard data frame with 8 bytes is
// 108 bits before stuffing (44 + 64), an extended one 128 (64 + 64).
func TestCANFrameBitsUnstuffed(t *testing.T) {
	std := canFrame(0x555, false, false, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55)
	ext := canFrame(0x15555555, true, false, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55)
	for _, tt := range []struct {
		f    proto.CANFrame
		want int
	}{{std, 108}, {ext, 128}} {
		if got := proto.CANFrameBits(tt.f) - proto.CANStuffBits(tt.f); got != tt.want {
			t.Errorf("%+v: %d bits without stuffing, want %d", tt.f, got, tt.want)
		}
	}
	// Alternating bits never need stuffing, whatever the CRC does, in the
	// arbitration and data fields: at most a handful come from the CRC.
	if n := proto.CANStuffBits(std); n > 3 {
		t.Errorf("alternating frame has %d stuff bits", n)
	}
	// At 500 kbit/s the 8-byte frame takes 2 µs a bit, intermission included.
	if got, want := proto.CANFrameTime(std, 500_000), int64(2*(proto.CANFrameBits(std)+proto.CANIntermissionBits)); got != want {
		t.Errorf("frame time %d µs, want %d", got, want)
	}
}

func TestCANArbitration(t *testing.T) {
	// Frames that start together, listed in the order the bus serves them.
	want := []proto.CANFrame{
		canFrame(0x0FF, false, false, 1),
		canFrame(0x100, false, false, 1),
		canFrame(0x100, false, true),              // remote loses to data, same id
		canFrame(0x100<<18, true, false, 1),       // extended loses to standard, same base id
		canFrame(0x100<<18|1, true, false, 1),     // then the extension decides
		canFrame(0x100<<18|1, true, true),         // and RTR last
		canFrame(0x101, false, false, 1),          // a higher base id loses to all of them
		canFrame(0x7FF, false, false, 0xFF, 0xFF), // the highest loses to everything
	}
	got := slices.Clone(want)
	slices.Reverse(got)
	slices.SortStableFunc(got, func(a, b proto.CANFrame) int {
		return int(int64(proto.CANArbitrationKey(a)) - int64(proto.CANArbitrationKey(b)))
	})
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("place %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	// Independently: the first differing bit of the arbitration fields
	// decides, and dominant 0 wins.
	for i := 0; i+1 < len(want); i++ {
		a, b := canFieldBits(want[i]), canFieldBits(want[i+1])
		arb := func(f proto.CANFrame, bits []byte) []byte {
			if f.Extended {
				return bits[1:33]
			}
			return bits[1:13]
		}
		x, y := arb(want[i], a), arb(want[i+1], b)
		for j := 0; j < min(len(x), len(y)); j++ {
			if x[j] != y[j] {
				if x[j] != 0 {
					t.Errorf("%+v should lose to %+v at arbitration bit %d", want[i], want[i+1], j)
				}
				break
			}
		}
	}
}

func TestCANSocketLayout(t *testing.T) {
	// candump prints this frame as "123#1122"; in struct can_frame the id is
	// little-endian, then len, padding, reserved, len8_dlc, 8 data bytes.
	got := proto.AppendCANFrame(nil, canFrame(0x123, false, false, 0x11, 0x22))
	if want := unhex(t, "23 01 00 00 02 00 00 00 11 22 00 00 00 00 00 00"); string(got) != string(want) {
		t.Errorf("got % X\nwant % X", got, want)
	}
	ext := proto.AppendCANFrame(nil, canFrame(0x18FEF100, true, false, 1))
	if ext[3] != 0x98 { // 0x18 | CAN_EFF_FLAG 0x80
		t.Errorf("extended can_id % X", ext[:4])
	}
	rtr := proto.AppendCANFrame(nil, proto.CANFrame{ID: 0x7FF, Remote: true, DLC: 4})
	if want := unhex(t, "FF 07 00 40 04 00 00 00 00 00 00 00 00 00 00 00"); string(rtr) != string(want) {
		t.Errorf("remote frame % X", rtr)
	}
}

func TestParseCANFrameErrors(t *testing.T) {
	for _, s := range []string{
		"23 01 00 00 02 00 00 00 11 22 00 00 00 00 00",       // 15 bytes
		"23 01 00 00 02 00 00 00 11 22 00 00 00 00 00 00 00", // 17 bytes
		"23 01 00 00 09 00 00 00 11 22 00 00 00 00 00 00",    // len 9
		"00 08 00 00 02 00 00 00 11 22 00 00 00 00 00 00",    // 12-bit id in a standard frame
		"01 00 00 20 08 00 00 00 00 00 00 00 00 00 00 00",    // error frame
	} {
		if _, err := proto.ParseCANFrame(unhex(t, s)); err == nil {
			t.Errorf("%s: no error", s)
		}
	}
}

func FuzzParseCANFrame(f *testing.F) {
	f.Add(proto.AppendCANFrame(nil, canFrame(0x123, false, false, 0x11, 0x22)))
	f.Add(proto.AppendCANFrame(nil, canFrame(0x18FEF100, true, true)))
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := proto.ParseCANFrame(b)
		if err != nil {
			return
		}
		// Whatever parses re-encodes and parses to the same frame, and
		// its bit arithmetic stays within the frame sizes CAN allows.
		back, err := proto.ParseCANFrame(proto.AppendCANFrame(nil, fr))
		if err != nil || back != fr {
			t.Fatalf("%+v re-encoded parses as %+v, %v", fr, back, err)
		}
		if bits := proto.CANFrameBits(fr); bits < 44 || bits > 160 {
			t.Fatalf("%+v: %d bits", fr, bits)
		}
	})
}
