package proto_test

import (
	"testing"

	"github.com/thingyard/thingyard/sim/proto"
)

// canFieldBits lays out a standard data frame's bits from SOF to the end
// of the data field, written out independently of the package.
func canFieldBits(id uint32, data []byte) []byte {
	var b []byte
	put := func(v uint32, n int) {
		for i := n - 1; i >= 0; i-- {
			b = append(b, byte(v>>i&1))
		}
	}
	put(0, 1)                 // SOF
	put(id, 11)               // identifier
	put(0, 1)                 // RTR: data frame
	put(0, 1)                 // IDE: standard
	put(0, 1)                 // r0
	put(uint32(len(data)), 4) // DLC
	for _, d := range data {
		put(uint32(d), 8)
	}
	return b
}

// crc15 is the CAN CRC by the specification's shift-register algorithm
// (ISO 11898-1, 10.4.2.6), computed here on its own.
func crc15(bits []byte) uint16 {
	var crc uint16
	for _, bit := range bits {
		next := bit ^ byte(crc>>14&1)
		crc = crc << 1 & 0x7FFF
		if next == 1 {
			crc ^= 0x4599
		}
	}
	return crc
}

func stuffCount(bits []byte) int {
	n, run, last := 0, 0, byte(2)
	for i := 0; i < len(bits); i++ {
		if bits[i] == last {
			run++
		} else {
			last, run = bits[i], 1
		}
		if run == 5 {
			// a stuff bit of the opposite value starts a new run
			n++
			last, run = 1-last, 1
		}
	}
	return n
}

func TestCANFrameArithmetic(t *testing.T) {
	for _, tt := range []struct {
		id   uint32
		data []byte
	}{
		{0x123, []byte{0x11, 0x22}},
		{0x000, []byte{0, 0, 0, 0, 0, 0, 0, 0}},
		{0x7FF, []byte{0xFF, 0xFF}},
		{0x65, nil},
	} {
		f := proto.CANFrame{ID: tt.id, DLC: uint8(len(tt.data))}
		copy(f.Data[:], tt.data)
		bits := canFieldBits(tt.id, tt.data)
		if got, want := proto.CANCRC(f), crc15(bits); got != want {
			t.Errorf("id %#x: CRC %#04x, want %#04x", tt.id, got, want)
		}
		var crc []byte
		for i := 14; i >= 0; i-- {
			crc = append(crc, byte(crc15(bits)>>i&1))
		}
		stuffed := stuffCount(append(bits, crc...))
		if got := proto.CANStuffBits(f); got != stuffed {
			t.Errorf("id %#x: %d stuff bits, want %d", tt.id, got, stuffed)
		}
		// SOF..data, CRC 15, delimiter, ACK 2, EOF 7, and the stuffing.
		if got, want := proto.CANFrameBits(f), len(bits)+15+1+2+7+stuffed; got != want {
			t.Errorf("id %#x: %d bits, want %d", tt.id, got, want)
		}
		back, err := proto.ParseCANFrame(proto.AppendCANFrame(nil, f))
		if err != nil || back != f {
			t.Errorf("round trip %+v -> %+v, %v", f, back, err)
		}
	}
}

func TestCANArbitration(t *testing.T) {
	std := func(id uint32) proto.CANFrame { return proto.CANFrame{ID: id} }
	key := proto.CANArbitrationKey
	if !(key(std(0x100)) < key(std(0x101))) {
		t.Error("a lower identifier must win")
	}
	if !(key(std(0x100)) < key(proto.CANFrame{ID: 0x100, Remote: true})) {
		t.Error("a data frame must beat a remote frame of the same identifier")
	}
	if !(key(std(0x100)) < key(proto.CANFrame{ID: 0x100 << 18, Extended: true})) {
		t.Error("a standard frame must beat an extended one with the same base identifier")
	}
	// 8 bytes at 500 kbit/s: at least 108 bits before stuffing, 216 µs.
	f := proto.CANFrame{ID: 0x100, DLC: 8}
	if us := proto.CANFrameTime(f, 500_000); us < 216 || us > 270 {
		t.Errorf("frame time %d µs", us)
	}
}
