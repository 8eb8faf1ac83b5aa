// Package modbus is a Modbus RTU master over any byte stream: a USB serial
// adapter opened by the server, or a board's port through Web Serial in
// the browser. Frames, CRCs and timing come from sim/proto, the same code
// the simulated world's buses speak.
package modbus

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/thingyard/thingyard/sim/proto"
)

// Deadliner is a port whose reads can time out (os.File on a tty, a pty,
// net.Conn). A port without it relies on its reads returning by themselves.
type Deadliner interface {
	SetReadDeadline(time.Time) error
}

// Discarder is a port that can drop what it has received but not yet
// handed to a reader. On a Modbus line a slave speaks only when asked, so
// whatever waits there before a request is stale (a reply that came after
// its timeout, noise) and would be read as the start of the next reply:
// the master drops it first. That alone is not enough, as a late reply
// may still be on its way (in a USB adapter, in the browser): a port
// with read deadlines is also read until the line falls quiet.
type Discarder interface {
	Discard() int
}

// Master asks slaves on one line, one request at a time.
//
// Modbus RTU has no transaction numbers, and over a USB adapter or Web
// Serial a reply can come after the master stopped waiting for it (a
// slow adapter, a busy browser). So the master takes as the reply only a
// frame from the slave it asked, with the function it asked, whose CRC
// holds and, for a write, that echoes the write; it skips what comes
// before such a frame. After a request that got no valid reply it waits
// out the line before the next one, and a late reply it sees there makes
// it wait longer for the replies after (see wait).
type Master struct {
	port io.ReadWriter
	baud int
	// Timeout is the least time the master waits for a reply (default
	// 500 ms). It waits longer when the line has shown slower replies,
	// up to MaxTimeout.
	Timeout time.Duration
	// MaxTimeout bounds how long a slow line makes the master wait for a
	// reply (default 5 s). A Timeout above it is kept as it is.
	MaxTimeout time.Duration

	buf   []byte
	rtt   replyTimes
	stale *unanswered // the last request, if it got no valid reply
}

// Defaults of Master.
const (
	DefaultTimeout    = 500 * time.Millisecond
	DefaultMaxTimeout = 5 * time.Second
)

// Errors of a request that got no reply: nothing, or only part of one,
// came in time (ErrTimeout), or bytes came but none of them formed the
// reply (ErrGarbled). Either way the slave may or may not have carried
// the request out.
var (
	ErrTimeout = errors.New("modbus: no reply in time")
	ErrGarbled = errors.New("modbus: no valid reply")
)

// NewMaster makes a master on a port at a baud rate (for the inter-frame
// silence it keeps).
func NewMaster(port io.ReadWriter, baud int) *Master {
	return &Master{port: port, baud: baud, Timeout: DefaultTimeout, MaxTimeout: DefaultMaxTimeout}
}

// ReadHoldingRegisters reads count registers from addr of slave.
func (m *Master) ReadHoldingRegisters(slave byte, addr, count uint16) ([]uint16, error) {
	return m.readRegs(slave, proto.FuncReadHoldingRegisters, addr, count)
}

// ReadInputRegisters reads count input registers from addr of slave.
func (m *Master) ReadInputRegisters(slave byte, addr, count uint16) ([]uint16, error) {
	return m.readRegs(slave, proto.FuncReadInputRegisters, addr, count)
}

// ReadCoils reads count coils from addr of slave.
func (m *Master) ReadCoils(slave byte, addr, count uint16) ([]bool, error) {
	return m.readBits(slave, proto.FuncReadCoils, addr, count)
}

// ReadDiscreteInputs reads count discrete inputs from addr of slave.
func (m *Master) ReadDiscreteInputs(slave byte, addr, count uint16) ([]bool, error) {
	return m.readBits(slave, proto.FuncReadDiscreteInputs, addr, count)
}

// WriteSingleRegister writes one register.
func (m *Master) WriteSingleRegister(slave byte, addr, value uint16) error {
	_, err := m.do(proto.AppendModbusWriteSingle(nil, slave, proto.FuncWriteSingleRegister, addr, value), proto.FuncWriteSingleRegister, 1)
	return err
}

// WriteSingleCoil switches one coil.
func (m *Master) WriteSingleCoil(slave byte, addr uint16, on bool) error {
	v := uint16(0)
	if on {
		v = 0xFF00
	}
	_, err := m.do(proto.AppendModbusWriteSingle(nil, slave, proto.FuncWriteSingleCoil, addr, v), proto.FuncWriteSingleCoil, 1)
	return err
}

// WriteMultipleRegisters writes consecutive registers.
func (m *Master) WriteMultipleRegisters(slave byte, addr uint16, values []uint16) error {
	_, err := m.do(proto.AppendModbusWriteMultipleRegisters(nil, slave, addr, values), proto.FuncWriteMultipleRegisters, uint16(len(values)))
	return err
}

// WriteMultipleCoils writes consecutive coils.
func (m *Master) WriteMultipleCoils(slave byte, addr uint16, coils []bool) error {
	_, err := m.do(proto.AppendModbusWriteMultipleCoils(nil, slave, addr, coils), proto.FuncWriteMultipleCoils, uint16(len(coils)))
	return err
}

func (m *Master) readRegs(slave, fn byte, addr, count uint16) ([]uint16, error) {
	return read(m, slave, fn, addr, count, 125, "registers", proto.ModbusPDU.Register)
}

func (m *Master) readBits(slave, fn byte, addr, count uint16) ([]bool, error) {
	return read(m, slave, fn, addr, count, 2000, "bits", proto.ModbusPDU.Bit)
}

// read asks for count items (1 to most, as the function allows) from
// addr on and takes each from the reply with item.
func read[T any](m *Master, slave, fn byte, addr, count, most uint16, what string, item func(proto.ModbusPDU, int) T) ([]T, error) {
	if count == 0 || count > most {
		return nil, fmt.Errorf("modbus: %d %s; a request reads 1 to %d", count, what, most)
	}
	p, err := m.do(proto.AppendModbusRead(nil, slave, fn, addr, count), fn, count)
	if err != nil {
		return nil, err
	}
	out := make([]T, count)
	for i := range out {
		out[i] = item(p, i)
	}
	return out, nil
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
