package proto

import "fmt"

// Modbus function codes used by Thingyard (Modbus Application Protocol
// Specification V1.1b3, section 6).
const (
	FuncReadCoils              = 0x01
	FuncReadDiscreteInputs     = 0x02
	FuncReadHoldingRegisters   = 0x03
	FuncReadInputRegisters     = 0x04
	FuncWriteSingleCoil        = 0x05
	FuncWriteSingleRegister    = 0x06
	FuncWriteMultipleCoils     = 0x0F
	FuncWriteMultipleRegisters = 0x10
)

// Modbus quantity limits from the specification. Encoders write what they
// are given; masters and slaves use these to stay within what real devices
// accept.
const (
	ModbusMaxReadBits       = 2000 // coils or discrete inputs per read
	ModbusMaxReadRegisters  = 125  // holding or input registers per read
	ModbusMaxWriteCoils     = 1968 // coils per write-multiple
	ModbusMaxWriteRegisters = 123  // registers per write-multiple
	ModbusExceptionLen      = 5    // slave, function|0x80, code, CRC
	ModbusMaxFrameLen       = 256  // RTU ADU limit: 1 + 253 PDU + 2 CRC
	ModbusCoilOn            = 0xFF00
	ModbusCoilOff           = 0x0000
)

// crcTable is the Modbus CRC-16 table (see reflectedTable).
var crcTable = reflectedTable(uint16(0xA001))

// CRC16 returns the Modbus CRC-16 of b (reflected polynomial 0xA001, initial
// value 0xFFFF). A frame carries it low byte first.
func CRC16(b []byte) uint16 {
	crc := uint16(0xFFFF)
	for _, c := range b {
		crc = crc>>8 ^ crcTable[byte(crc)^c]
	}
	return crc
}

// AppendCRC appends the CRC-16 of all of dst, low byte first. Encoders that
// append to a buffer holding earlier frames use appendCRCFrom instead.
func AppendCRC(dst []byte) []byte {
	return appendCRCFrom(dst, 0)
}

func appendCRCFrom(dst []byte, start int) []byte {
	crc := CRC16(dst[start:])
	return append(dst, byte(crc), byte(crc>>8))
}

// CheckCRC reports whether the last two bytes of frame are the CRC-16 of the
// bytes before them. A Modbus RTU frame is at least 4 bytes (slave, function,
// CRC); a shorter one is ErrShortFrame.
func CheckCRC(frame []byte) error {
	if len(frame) < 4 {
		return frameErr(ErrShortFrame, len(frame), "%d bytes, a Modbus RTU frame has at least 4", len(frame))
	}
	n := len(frame) - 2
	got := uint16(frame[n]) | uint16(frame[n+1])<<8
	if want := CRC16(frame[:n]); got != want {
		return frameErr(ErrCRC, n, "CRC 0x%04X, computed 0x%04X", got, want)
	}
	return nil
}

func appendU16(dst []byte, v uint16) []byte { return append(dst, byte(v>>8), byte(v)) }

func be16(b []byte) uint16 { return uint16(b[0])<<8 | uint16(b[1]) }

// AppendModbusRead appends a read request (function 1 to 4) for count items
// starting at addr, with its CRC. The request is 8 bytes.
func AppendModbusRead(dst []byte, slave, fn byte, addr, count uint16) []byte {
	start := len(dst)
	dst = append(dst, slave, fn)
	dst = appendU16(dst, addr)
	dst = appendU16(dst, count)
	return appendCRCFrom(dst, start)
}

// AppendModbusWriteSingle appends a write-single request: function 5 (value
// ModbusCoilOn or ModbusCoilOff) or function 6 (a register value), with its
// CRC. The slave's reply is the same 8 bytes echoed.
func AppendModbusWriteSingle(dst []byte, slave, fn byte, addr, value uint16) []byte {
	return AppendModbusRead(dst, slave, fn, addr, value) // same layout
}

// AppendModbusWriteMultipleRegisters appends a function 16 request writing
// values from addr on, with its CRC. Callers keep len(values) within
// ModbusMaxWriteRegisters; the byte count field is one byte.
func AppendModbusWriteMultipleRegisters(dst []byte, slave byte, addr uint16, values []uint16) []byte {
	start := len(dst)
	dst = append(dst, slave, FuncWriteMultipleRegisters)
	dst = appendU16(dst, addr)
	dst = appendU16(dst, uint16(len(values)))
	dst = append(dst, byte(2*len(values)))
	for _, v := range values {
		dst = appendU16(dst, v)
	}
	return appendCRCFrom(dst, start)
}

// AppendModbusWriteMultipleCoils appends a function 15 request writing coils
// from addr on, packed eight to a byte with the first coil in the lowest bit,
// with its CRC.
func AppendModbusWriteMultipleCoils(dst []byte, slave byte, addr uint16, coils []bool) []byte {
	start := len(dst)
	dst = append(dst, slave, FuncWriteMultipleCoils)
	dst = appendU16(dst, addr)
	dst = appendU16(dst, uint16(len(coils)))
	dst = append(dst, byte((len(coils)+7)/8))
	dst = appendBits(dst, coils)
	return appendCRCFrom(dst, start)
}

// appendBits packs bits eight to a byte, first bit in the lowest bit, the
// way Modbus carries coils and discrete inputs.
func appendBits(dst []byte, bits []bool) []byte {
	var b byte
	for i, on := range bits {
		if on {
			b |= 1 << (i % 8)
		}
		if i%8 == 7 || i == len(bits)-1 {
			dst = append(dst, b)
			b = 0
		}
	}
	return dst
}

// AppendModbusReadResponse appends a slave's reply to a read (function 1 to
// 4): byte count, data, CRC. For registers data holds big-endian words; for
// bits it holds bytes packed eight bits each, the first bit lowest.
func AppendModbusReadResponse(dst []byte, slave, fn byte, data []byte) []byte {
	start := len(dst)
	dst = append(dst, slave, fn, byte(len(data)))
	dst = append(dst, data...)
	return appendCRCFrom(dst, start)
}

// AppendModbusRegisters appends values as big-endian words, the data of a
// register read reply.
func AppendModbusRegisters(dst []byte, values []uint16) []byte {
	for _, v := range values {
		dst = appendU16(dst, v)
	}
	return dst
}

// AppendModbusWriteResponse appends a slave's reply to function 15 or 16:
// the start address and quantity written, with CRC.
func AppendModbusWriteResponse(dst []byte, slave, fn byte, addr, count uint16) []byte {
	return AppendModbusRead(dst, slave, fn, addr, count) // same layout
}

// AppendModbusException appends an exception reply: the function code with
// its high bit set, then the exception code, with CRC.
func AppendModbusException(dst []byte, slave, fn, code byte) []byte {
	start := len(dst)
	dst = append(dst, slave, fn|0x80, code)
	return appendCRCFrom(dst, start)
}

// ModbusPDU is a decoded Modbus RTU frame. Which fields are set depends on
// the function and on whether it is a request or a response:
//
//	request  fn 1-4:   Addr, Count (items to read)
//	request  fn 5, 6:  Addr, Value
//	request  fn 15,16: Addr, Count (items), Data (packed values)
//	response fn 1-4:   Count (byte count field), Data
//	response fn 5, 6:  Addr, Value (echo)
//	response fn 15,16: Addr, Count
//	exception:         Func (high bit cleared), Exception
type ModbusPDU struct {
	Slave, Func byte
	Exception   byte // 0 = none
	Addr, Count uint16
	Value       uint16
	Data        []byte // aliases the frame
}

// Register returns the i-th big-endian word of Data (register replies and
// function 16 requests), or 0 past its end.
func (p ModbusPDU) Register(i int) uint16 {
	if i < 0 || 2*i+1 >= len(p.Data) {
		return 0
	}
	return be16(p.Data[2*i:])
}

// Bit returns the i-th packed bit of Data (coil and discrete input replies,
// function 15 requests), or false past its end.
func (p ModbusPDU) Bit(i int) bool {
	if i < 0 || i/8 >= len(p.Data) {
		return false
	}
	return p.Data[i/8]&(1<<(i%8)) != 0
}

// ModbusException is an exception code a slave returned. It is an error so a
// master can return it as is; ParseModbusResponse returns one for an
// exception reply.
type ModbusException byte

// Exception codes (Modbus Application Protocol V1.1b3, section 7).
const (
	ExceptionIllegalFunction    ModbusException = 1
	ExceptionIllegalDataAddress ModbusException = 2
	ExceptionIllegalDataValue   ModbusException = 3
	ExceptionSlaveDeviceFailure ModbusException = 4
	ExceptionAcknowledge        ModbusException = 5
	ExceptionSlaveDeviceBusy    ModbusException = 6
	ExceptionGatewayPath        ModbusException = 0x0A
	ExceptionGatewayTarget      ModbusException = 0x0B
)

func (e ModbusException) Error() string {
	return fmt.Sprintf("modbus exception %d (%s)", byte(e), e.name())
}

func (e ModbusException) name() string {
	switch e {
	case ExceptionIllegalFunction:
		return "illegal function"
	case ExceptionIllegalDataAddress:
		return "illegal data address"
	case ExceptionIllegalDataValue:
		return "illegal data value"
	case ExceptionSlaveDeviceFailure:
		return "slave device failure"
	case ExceptionAcknowledge:
		return "acknowledge"
	case ExceptionSlaveDeviceBusy:
		return "slave device busy"
	case 8:
		return "memory parity error"
	case ExceptionGatewayPath:
		return "gateway path unavailable"
	case ExceptionGatewayTarget:
		return "gateway target device failed to respond"
	}
	return "unknown"
}

// ModbusFuncName names a function code for people, e.g. "read holding
// registers".
func ModbusFuncName(fn byte) string {
	switch fn {
	case FuncReadCoils:
		return "read coils"
	case FuncReadDiscreteInputs:
		return "read discrete inputs"
	case FuncReadHoldingRegisters:
		return "read holding registers"
	case FuncReadInputRegisters:
		return "read input registers"
	case FuncWriteSingleCoil:
		return "write single coil"
	case FuncWriteSingleRegister:
		return "write single register"
	case FuncWriteMultipleCoils:
		return "write multiple coils"
	case FuncWriteMultipleRegisters:
		return "write multiple registers"
	}
	return "unknown function"
}

// ModbusRequestLen returns the length of a request frame once its first
// bytes are known, so a slave knows when a frame is complete: 8 for
// functions 1 to 6, 9 + byte count for 15 and 16 (pass the first 7 bytes),
// -1 while more bytes are needed to tell, and 0 for an unknown function.
func ModbusRequestLen(head []byte) int {
	if len(head) < 2 {
		return -1
	}
	switch head[1] {
	case 1, 2, 3, 4, 5, 6:
		return 8
	case FuncWriteMultipleCoils, FuncWriteMultipleRegisters:
		if len(head) < 7 {
			return -1
		}
		return 9 + int(head[6])
	}
	return 0
}

// ModbusResponseLen returns the length of a normal reply to a request with
// function fn for count items, so a master knows when a frame is complete.
// An exception reply is shorter (ModbusExceptionLen): a master checks for
// fn|0x80 in the second byte. It returns 0 for an unknown function.
func ModbusResponseLen(fn byte, count uint16) int {
	switch fn {
	case FuncReadCoils, FuncReadDiscreteInputs:
		return 5 + (int(count)+7)/8
	case FuncReadHoldingRegisters, FuncReadInputRegisters:
		return 5 + 2*int(count)
	case FuncWriteSingleCoil, FuncWriteSingleRegister, FuncWriteMultipleCoils, FuncWriteMultipleRegisters:
		return 8
	}
	return 0
}

// ParseModbusRequest decodes a request frame (master to slave) and checks
// its CRC and its length against the function. For an unknown function it
// returns Slave and Func set and an ErrUnsupported error, so a slave can
// answer with ExceptionIllegalFunction.
func ParseModbusRequest(frame []byte) (ModbusPDU, error) {
	var p ModbusPDU
	var err error
	if err := CheckCRC(frame); err != nil {
		return p, err
	}
	p.Slave, p.Func = frame[0], frame[1]
	body := frame[2 : len(frame)-2]
	switch p.Func {
	case FuncReadCoils, FuncReadDiscreteInputs, FuncReadHoldingRegisters, FuncReadInputRegisters:
		if p.Addr, p.Count, err = modbusPair(frame); err != nil {
			return p, err
		}
	case FuncWriteSingleCoil, FuncWriteSingleRegister:
		if p.Addr, p.Value, err = modbusPair(frame); err != nil {
			return p, err
		}
		if p.Func == FuncWriteSingleCoil && p.Value != ModbusCoilOn && p.Value != ModbusCoilOff {
			return p, frameErr(ErrMalformed, 4, "coil value 0x%04X, want 0xFF00 or 0x0000", p.Value)
		}
	case FuncWriteMultipleCoils, FuncWriteMultipleRegisters:
		if len(body) < 5 {
			return p, frameErr(ErrShortFrame, len(frame)-2, "%d bytes, a write-multiple request has at least 9", len(frame))
		}
		p.Addr, p.Count = be16(body), be16(body[2:])
		n := int(body[4])
		if err := wantLen(frame, 9+n); err != nil {
			return p, err
		}
		p.Data = body[5:]
		want := 2 * int(p.Count)
		if p.Func == FuncWriteMultipleCoils {
			want = (int(p.Count) + 7) / 8
		}
		if n != want {
			return p, frameErr(ErrMalformed, 6, "byte count %d, quantity %d needs %d", n, p.Count, want)
		}
	default:
		p.Data = body
		return p, frameErr(ErrUnsupported, 1, "function 0x%02X", p.Func)
	}
	return p, nil
}

// modbusPair reads the two 16-bit fields of an 8-byte frame: an address,
// then a quantity or a value.
func modbusPair(frame []byte) (addr, v uint16, err error) {
	if err := wantLen(frame, 8); err != nil {
		return 0, 0, err
	}
	return be16(frame[2:]), be16(frame[4:]), nil
}

func wantLen(frame []byte, n int) error {
	if len(frame) < n {
		return frameErr(ErrShortFrame, len(frame), "%d bytes, function 0x%02X needs %d", len(frame), frame[1], n)
	}
	if len(frame) > n {
		return frameErr(ErrMalformed, n, "%d bytes, function 0x%02X needs %d", len(frame), frame[1], n)
	}
	return nil
}

// ParseModbusResponse decodes a reply (slave to master) to a request with
// function reqFunc, checking CRC, function and length. reqFunc 0 takes the
// function from the frame. For an exception reply it returns the PDU with
// Exception set and a ModbusException as the error.
func ParseModbusResponse(frame []byte, reqFunc byte) (ModbusPDU, error) {
	var p ModbusPDU
	var err error
	if err := CheckCRC(frame); err != nil {
		return p, err
	}
	p.Slave, p.Func = frame[0], frame[1]&0x7F
	if reqFunc != 0 && p.Func != reqFunc {
		return p, frameErr(ErrMalformed, 1, "function 0x%02X, request was 0x%02X", frame[1], reqFunc)
	}
	body := frame[2 : len(frame)-2]
	if frame[1]&0x80 != 0 {
		if err := wantLen(frame, ModbusExceptionLen); err != nil {
			return p, err
		}
		p.Exception = body[0]
		return p, ModbusException(p.Exception)
	}
	switch p.Func {
	case FuncReadCoils, FuncReadDiscreteInputs, FuncReadHoldingRegisters, FuncReadInputRegisters:
		if len(body) < 1 {
			return p, frameErr(ErrShortFrame, 2, "no byte count")
		}
		p.Count = uint16(body[0])
		if err := wantLen(frame, 5+int(body[0])); err != nil {
			return p, err
		}
		p.Data = body[1:]
		if (p.Func == FuncReadHoldingRegisters || p.Func == FuncReadInputRegisters) && body[0]%2 != 0 {
			return p, frameErr(ErrMalformed, 2, "byte count %d is odd for a register reply", body[0])
		}
	case FuncWriteSingleCoil, FuncWriteSingleRegister:
		if p.Addr, p.Value, err = modbusPair(frame); err != nil {
			return p, err
		}
	case FuncWriteMultipleCoils, FuncWriteMultipleRegisters:
		if p.Addr, p.Count, err = modbusPair(frame); err != nil {
			return p, err
		}
	default:
		p.Data = body
		return p, frameErr(ErrUnsupported, 1, "function 0x%02X", p.Func)
	}
	return p, nil
}

// ModbusFrameTime returns how long bytes take on an RTU line at baud, in
// microseconds, including the silent interval that ends the frame.
//
// Each byte is 11 bits: start, 8 data, parity (or a second stop bit when
// there is no parity), stop. The frame is followed by at least 3.5
// character times of silence, 3.5 × 11 = 38.5 bits. So at baud ≤ 19200
//
//	µs = (11·bytes + 38.5) × 1e6 / baud
//
// e.g. an 8-byte request at 9600 baud: (88 + 38.5) / 9600 s = 13177 µs.
// Above 19200 baud the specification (Modbus over Serial Line V1.02,
// 2.5.1.1) fixes the silent interval at 1750 µs instead, since UARTs could
// not time shorter gaps; that is what real masters do and what this returns.
// Results round to the nearest microsecond; baud ≤ 0 gives 0.
func ModbusFrameTime(bytes int, baud int) (micros int64) {
	if baud <= 0 || bytes < 0 {
		return 0
	}
	b := int64(baud)
	if baud > 19200 {
		return (int64(bytes)*11*1_000_000+b/2)/b + 1750
	}
	halfBits := int64(bytes)*22 + 77 // (11·bytes + 38.5) × 2
	return (halfBits*1_000_000 + b) / (2 * b)
}
