package proto_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/thingyard/thingyard/sim/proto"
)

// unhex turns "01 03 00 0A" into bytes.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func spaced(b []byte) string {
	var sb strings.Builder
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(strings.ToUpper(hex.EncodeToString([]byte{c})))
	}
	return sb.String()
}

func TestCRC16(t *testing.T) {
	tests := []struct {
		in   string
		want uint16
	}{
		{"31 32 33 34 35 36 37 38 39", 0x4B37}, // CRC-16/MODBUS check value of "123456789"
		{"01 03 00 00 00 0A", 0xCDC5},          // sent as C5 CD
		{"11 03 00 6B 00 03", 0x8776},
		{"11 03 06 AE 41 56 52 43 40", 0xAD49},
		{"", 0xFFFF},
	}
	for _, tt := range tests {
		if got := proto.CRC16(unhex(t, tt.in)); got != tt.want {
			t.Errorf("CRC16(%s) = 0x%04X, want 0x%04X", tt.in, got, tt.want)
		}
	}
}

func TestCheckCRC(t *testing.T) {
	tests := []struct {
		frame string
		want  error
	}{
		{"01 03 00 00 00 0A C5 CD", nil},
		{"01 03 00 00 00 0A CD C5", proto.ErrCRC},
		{"01 03 00 00 00 0B C5 CD", proto.ErrCRC},
		{"01 03 C5", proto.ErrShortFrame},
		{"", proto.ErrShortFrame},
	}
	for _, tt := range tests {
		err := proto.CheckCRC(unhex(t, tt.frame))
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("CheckCRC(%s) = %v, want %v", tt.frame, err, tt.want)
		}
	}
	var fe *proto.FrameError
	if err := proto.CheckCRC(unhex(t, "01 03 00 00 00 0A CD C5")); !errors.As(err, &fe) || fe.Offset != 6 {
		t.Errorf("CRC error %v: want a FrameError at offset 6", err)
	}
}

func TestAppendCRC(t *testing.T) {
	got := proto.AppendCRC(unhex(t, "01 03 00 00 00 0A"))
	if want := "01 03 00 00 00 0A C5 CD"; spaced(got) != want {
		t.Errorf("AppendCRC = %s, want %s", spaced(got), want)
	}
}

// Frames from the Modbus specification's examples and the widely published
// Simply Modbus examples (slave 0x11).
func TestModbusEncoders(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"read 10 holding registers", proto.AppendModbusRead(nil, 1, proto.FuncReadHoldingRegisters, 0, 10), "01 03 00 00 00 0A C5 CD"},
		{"read holding registers", proto.AppendModbusRead(nil, 0x11, proto.FuncReadHoldingRegisters, 0x6B, 3), "11 03 00 6B 00 03 76 87"},
		{"read coils", proto.AppendModbusRead(nil, 0x11, proto.FuncReadCoils, 0x13, 0x25), "11 01 00 13 00 25 0E 84"},
		{"read input registers", proto.AppendModbusRead(nil, 0x11, proto.FuncReadInputRegisters, 8, 1), "11 04 00 08 00 01 B2 98"},
		{"write single coil", proto.AppendModbusWriteSingle(nil, 0x11, proto.FuncWriteSingleCoil, 0xAC, proto.ModbusCoilOn), "11 05 00 AC FF 00 4E 8B"},
		{"write single register", proto.AppendModbusWriteSingle(nil, 0x11, proto.FuncWriteSingleRegister, 1, 3), "11 06 00 01 00 03 9A 9B"},
		{"write multiple registers", proto.AppendModbusWriteMultipleRegisters(nil, 0x11, 1, []uint16{0x000A, 0x0102}), "11 10 00 01 00 02 04 00 0A 01 02 C6 F0"},
		{"write multiple coils", proto.AppendModbusWriteMultipleCoils(nil, 0x11, 0x13, []bool{
			true, false, true, true, false, false, true, true, // 0xCD
			true, false, // 0x01
		}), "11 0F 00 13 00 0A 02 CD 01 BF 0B"},
		{"read registers reply", proto.AppendModbusReadResponse(nil, 0x11, proto.FuncReadHoldingRegisters,
			proto.AppendModbusRegisters(nil, []uint16{0xAE41, 0x5652, 0x4340})), "11 03 06 AE 41 56 52 43 40 49 AD"},
		{"read input registers reply", proto.AppendModbusReadResponse(nil, 0x11, proto.FuncReadInputRegisters, []byte{0, 0x0A}), "11 04 02 00 0A F8 F4"},
		{"read coils reply", proto.AppendModbusReadResponse(nil, 0x11, proto.FuncReadCoils, unhex(t, "CD 6B B2 0E 1B")), "11 01 05 CD 6B B2 0E 1B 45 E6"},
		{"write multiple registers reply", proto.AppendModbusWriteResponse(nil, 0x11, proto.FuncWriteMultipleRegisters, 1, 2), "11 10 00 01 00 02 12 98"},
		{"exception", proto.AppendModbusException(nil, 0x0A, proto.FuncReadCoils, 2), "0A 81 02 B0 53"},
		// A buffer that already holds a frame: the CRC covers only the new one.
		{"appends after a frame", proto.AppendModbusRead(unhex(t, "FF"), 1, 3, 0, 10), "FF 01 03 00 00 00 0A C5 CD"},
	}
	for _, tt := range tests {
		if got := spaced(tt.got); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestParseModbusRequest(t *testing.T) {
	tests := []struct {
		frame string
		want  proto.ModbusPDU
	}{
		{"01 03 00 00 00 0A C5 CD", proto.ModbusPDU{Slave: 1, Func: 3, Count: 10}},
		{"11 01 00 13 00 25 0E 84", proto.ModbusPDU{Slave: 0x11, Func: 1, Addr: 0x13, Count: 0x25}},
		{"11 05 00 AC FF 00 4E 8B", proto.ModbusPDU{Slave: 0x11, Func: 5, Addr: 0xAC, Value: 0xFF00}},
		{"11 06 00 01 00 03 9A 9B", proto.ModbusPDU{Slave: 0x11, Func: 6, Addr: 1, Value: 3}},
		{"11 10 00 01 00 02 04 00 0A 01 02 C6 F0", proto.ModbusPDU{Slave: 0x11, Func: 0x10, Addr: 1, Count: 2, Data: unhex(t, "00 0A 01 02")}},
		{"11 0F 00 13 00 0A 02 CD 01 BF 0B", proto.ModbusPDU{Slave: 0x11, Func: 0x0F, Addr: 0x13, Count: 10, Data: unhex(t, "CD 01")}},
	}
	for _, tt := range tests {
		got, err := proto.ParseModbusRequest(unhex(t, tt.frame))
		if err != nil {
			t.Errorf("ParseModbusRequest(%s): %v", tt.frame, err)
			continue
		}
		checkPDU(t, tt.frame, got, tt.want)
	}
}

func checkPDU(t *testing.T, frame string, got, want proto.ModbusPDU) {
	t.Helper()
	same := got.Slave == want.Slave && got.Func == want.Func && got.Exception == want.Exception &&
		got.Addr == want.Addr && got.Count == want.Count && got.Value == want.Value
	if !same || !bytes.Equal(got.Data, want.Data) {
		t.Errorf("%s: got %+v, want %+v", frame, got, want)
	}
}

func TestParseModbusRequestErrors(t *testing.T) {
	tests := []struct {
		name   string
		frame  []byte
		want   error
		offset int
	}{
		{"bad crc", unhex(t, "01 03 00 00 00 0A C5 CE"), proto.ErrCRC, 6},
		{"too short", unhex(t, "01 03"), proto.ErrShortFrame, 2},
		{"read too long", proto.AppendCRC(unhex(t, "01 03 00 00 00 0A 00")), proto.ErrMalformed, 8},
		{"read too short", proto.AppendCRC(unhex(t, "01 03 00 00 00")), proto.ErrShortFrame, 7},
		{"coil value", proto.AppendModbusWriteSingle(nil, 1, 5, 0, 0x1234), proto.ErrMalformed, 4},
		{"byte count vs quantity", proto.AppendCRC(unhex(t, "01 10 00 00 00 02 02 00 01")), proto.ErrMalformed, 6},
		{"byte count past end", proto.AppendCRC(unhex(t, "01 10 00 00 00 02 04 00 01")), proto.ErrShortFrame, 11},
		{"unknown function", proto.AppendCRC(unhex(t, "01 2B 0E 01 00")), proto.ErrUnsupported, 1},
	}
	for _, tt := range tests {
		_, err := proto.ParseModbusRequest(tt.frame)
		var fe *proto.FrameError
		if !errors.Is(err, tt.want) || !errors.As(err, &fe) || fe.Offset != tt.offset {
			t.Errorf("%s: err %v, want %v at offset %d", tt.name, err, tt.want, tt.offset)
		}
	}
}

func TestParseModbusResponse(t *testing.T) {
	tests := []struct {
		frame   string
		reqFunc byte
		want    proto.ModbusPDU
	}{
		{"11 03 06 AE 41 56 52 43 40 49 AD", 3, proto.ModbusPDU{Slave: 0x11, Func: 3, Count: 6, Data: unhex(t, "AE 41 56 52 43 40")}},
		{"11 01 05 CD 6B B2 0E 1B 45 E6", 1, proto.ModbusPDU{Slave: 0x11, Func: 1, Count: 5, Data: unhex(t, "CD 6B B2 0E 1B")}},
		{"11 05 00 AC FF 00 4E 8B", 5, proto.ModbusPDU{Slave: 0x11, Func: 5, Addr: 0xAC, Value: 0xFF00}},
		{"11 10 00 01 00 02 12 98", 0x10, proto.ModbusPDU{Slave: 0x11, Func: 0x10, Addr: 1, Count: 2}},
		{"11 10 00 01 00 02 12 98", 0, proto.ModbusPDU{Slave: 0x11, Func: 0x10, Addr: 1, Count: 2}},
	}
	for _, tt := range tests {
		got, err := proto.ParseModbusResponse(unhex(t, tt.frame), tt.reqFunc)
		if err != nil {
			t.Errorf("ParseModbusResponse(%s): %v", tt.frame, err)
			continue
		}
		checkPDU(t, tt.frame, got, tt.want)
	}
	p, _ := proto.ParseModbusResponse(unhex(t, "11 03 06 AE 41 56 52 43 40 49 AD"), 3)
	if got := p.Register(2); got != 0x4340 {
		t.Errorf("Register(2) = 0x%04X, want 0x4340", got)
	}
	if got := p.Register(3); got != 0 {
		t.Errorf("Register(3) past end = 0x%04X, want 0", got)
	}
	c, _ := proto.ParseModbusResponse(unhex(t, "11 01 05 CD 6B B2 0E 1B 45 E6"), 1)
	for i, want := range []bool{true, false, true, true, false, false, true, true, true, true} {
		if got := c.Bit(i); got != want {
			t.Errorf("Bit(%d) = %v, want %v", i, got, want)
		}
	}
}

func TestParseModbusResponseException(t *testing.T) {
	p, err := proto.ParseModbusResponse(unhex(t, "0A 81 02 B0 53"), proto.FuncReadCoils)
	var ex proto.ModbusException
	if !errors.As(err, &ex) || ex != proto.ExceptionIllegalDataAddress {
		t.Fatalf("err = %v, want exception 2", err)
	}
	if got, want := err.Error(), "modbus exception 2 (illegal data address)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if p.Slave != 0x0A || p.Func != 1 || p.Exception != 2 {
		t.Errorf("pdu = %+v, want slave 10, func 1, exception 2", p)
	}
	_, err = proto.ParseModbusResponse(unhex(t, "0A 81 02 B0 53"), proto.FuncReadHoldingRegisters)
	if !errors.Is(err, proto.ErrMalformed) {
		t.Errorf("reply to another function: err = %v, want ErrMalformed", err)
	}
	_, err = proto.ParseModbusResponse(proto.AppendCRC(unhex(t, "01 03 03 00 01 02")), 3)
	if !errors.Is(err, proto.ErrMalformed) {
		t.Errorf("odd register byte count: err = %v, want ErrMalformed", err)
	}
}

func TestModbusResponseLen(t *testing.T) {
	tests := []struct {
		fn    byte
		count uint16
		want  int
	}{
		{proto.FuncReadHoldingRegisters, 10, 25},
		{proto.FuncReadInputRegisters, 1, 7},
		{proto.FuncReadCoils, 0x25, 10}, // 37 coils -> 5 bytes
		{proto.FuncReadDiscreteInputs, 8, 6},
		{proto.FuncWriteSingleCoil, 1, 8},
		{proto.FuncWriteMultipleRegisters, 2, 8},
		{0x2B, 1, 0},
	}
	for _, tt := range tests {
		if got := proto.ModbusResponseLen(tt.fn, tt.count); got != tt.want {
			t.Errorf("ModbusResponseLen(0x%02X, %d) = %d, want %d", tt.fn, tt.count, got, tt.want)
		}
	}
	// The length a master expects is the length a slave's reply has.
	reply := proto.AppendModbusReadResponse(nil, 1, 3, make([]byte, 20))
	if got := proto.ModbusResponseLen(3, 10); got != len(reply) {
		t.Errorf("ModbusResponseLen(3, 10) = %d, reply is %d bytes", got, len(reply))
	}
}

func TestModbusRequestLen(t *testing.T) {
	tests := []struct {
		head string
		want int
	}{
		{"01", -1},
		{"01 03", 8},
		{"11 10 00 01 00", -1},
		{"11 10 00 01 00 02 04", 13},
		{"01 2B", 0},
	}
	for _, tt := range tests {
		if got := proto.ModbusRequestLen(unhex(t, tt.head)); got != tt.want {
			t.Errorf("ModbusRequestLen(%s) = %d, want %d", tt.head, got, tt.want)
		}
	}
}

func TestModbusFrameTime(t *testing.T) {
	tests := []struct {
		bytes, baud int
		want        int64
	}{
		{8, 9600, 13177},    // (88 + 38.5) bits / 9600 = 13177.08 µs
		{25, 9600, 32656},   // (275 + 38.5) / 9600 = 32656.25 µs
		{8, 19200, 6589},    // 126.5 / 19200 = 6588.54 µs
		{8, 115200, 2514},   // 88 / 115200 = 763.9 µs, + 1750 fixed gap
		{256, 38400, 75083}, // 2816 / 38400 = 73333.3 µs, + 1750
		{8, 0, 0},
	}
	for _, tt := range tests {
		if got := proto.ModbusFrameTime(tt.bytes, tt.baud); got != tt.want {
			t.Errorf("ModbusFrameTime(%d, %d) = %d, want %d", tt.bytes, tt.baud, got, tt.want)
		}
	}
}

func TestModbusAppendNoAlloc(t *testing.T) {
	buf := make([]byte, 0, 512)
	regs := []uint16{1, 2, 3, 4}
	coils := []bool{true, false, true}
	tests := []struct {
		name string
		fn   func()
	}{
		{"read", func() { buf = proto.AppendModbusRead(buf[:0], 1, 3, 0, 10) }},
		{"write single", func() { buf = proto.AppendModbusWriteSingle(buf[:0], 1, 6, 0, 10) }},
		{"write registers", func() { buf = proto.AppendModbusWriteMultipleRegisters(buf[:0], 1, 0, regs) }},
		{"write coils", func() { buf = proto.AppendModbusWriteMultipleCoils(buf[:0], 1, 0, coils) }},
		{"read response", func() { buf = proto.AppendModbusReadResponse(buf[:0], 1, 3, buf[:8]) }},
		{"exception", func() { buf = proto.AppendModbusException(buf[:0], 1, 3, 2) }},
		{"parse", func() { _, _ = proto.ParseModbusRequest(proto.AppendModbusRead(buf[:0], 1, 3, 0, 10)) }},
	}
	for _, tt := range tests {
		if got := testing.AllocsPerRun(100, tt.fn); got != 0 {
			t.Errorf("%s: %v allocations, want 0", tt.name, got)
		}
	}
}

func BenchmarkAppendModbusRead(b *testing.B) {
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf = proto.AppendModbusRead(buf[:0], 1, 3, 0, 10)
	}
}

func BenchmarkAppendModbusReadResponse(b *testing.B) {
	buf := make([]byte, 0, 300)
	data := make([]byte, 250)
	b.ReportAllocs()
	b.SetBytes(255)
	for b.Loop() {
		buf = proto.AppendModbusReadResponse(buf[:0], 1, 3, data)
	}
}

func BenchmarkParseModbusResponse(b *testing.B) {
	frame := proto.AppendModbusReadResponse(nil, 1, 3, make([]byte, 20))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := proto.ParseModbusResponse(frame, 3); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzParseModbusRequest(f *testing.F) {
	for _, s := range []string{"01 03 00 00 00 0A C5 CD", "11 10 00 01 00 02 04 00 0A 01 02 C6 F0", "11 0F 00 13 00 0A 02 CD 01 BF 0B", "0A 81 02 B0 53"} {
		f.Add(unhex(f, s))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		p, err := proto.ParseModbusRequest(frame)
		if err != nil {
			return
		}
		// A valid request re-encodes to the same bytes.
		var again []byte
		switch p.Func {
		case 1, 2, 3, 4:
			again = proto.AppendModbusRead(nil, p.Slave, p.Func, p.Addr, p.Count)
		case 5, 6:
			again = proto.AppendModbusWriteSingle(nil, p.Slave, p.Func, p.Addr, p.Value)
		default:
			return
		}
		if !bytes.Equal(again, frame) {
			t.Errorf("re-encoded %x, parsed from %x", again, frame)
		}
	})
}

func FuzzParseModbusResponse(f *testing.F) {
	for _, s := range []string{"11 03 06 AE 41 56 52 43 40 49 AD", "0A 81 02 B0 53", "11 10 00 01 00 02 12 98"} {
		f.Add(unhex(f, s), byte(0))
	}
	f.Fuzz(func(t *testing.T, frame []byte, fn byte) {
		p, err := proto.ParseModbusResponse(frame, fn)
		if err == nil && len(p.Data) > len(frame) {
			t.Errorf("data longer than frame")
		}
	})
}
