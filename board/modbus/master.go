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
// the master drops it first.
type Discarder interface {
	Discard() int
}

// Master asks slaves on one line, one request at a time.
type Master struct {
	port io.ReadWriter
	baud int
	// Timeout is how long a reply may take to arrive (default 500 ms).
	Timeout time.Duration
	buf     []byte
}

// ErrTimeout is returned when a slave does not answer in time.
var ErrTimeout = errors.New("modbus: no reply in time")

// NewMaster makes a master on a port at a baud rate (for the inter-frame
// silence it keeps).
func NewMaster(port io.ReadWriter, baud int) *Master {
	return &Master{port: port, baud: baud, Timeout: 500 * time.Millisecond}
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
	if count == 0 || count > 125 {
		return nil, fmt.Errorf("modbus: %d registers; a request reads 1 to 125", count)
	}
	p, err := m.do(proto.AppendModbusRead(nil, slave, fn, addr, count), fn, count)
	if err != nil {
		return nil, err
	}
	out := make([]uint16, count)
	for i := range out {
		out[i] = p.Register(i)
	}
	return out, nil
}

func (m *Master) readBits(slave, fn byte, addr, count uint16) ([]bool, error) {
	if count == 0 || count > 2000 {
		return nil, fmt.Errorf("modbus: %d bits; a request reads 1 to 2000", count)
	}
	p, err := m.do(proto.AppendModbusRead(nil, slave, fn, addr, count), fn, count)
	if err != nil {
		return nil, err
	}
	out := make([]bool, count)
	for i := range out {
		out[i] = p.Bit(i)
	}
	return out, nil
}

// do sends a request after the line's silent interval and reads the reply:
// a normal reply of the expected length, or a 5-byte exception.
func (m *Master) do(req []byte, fn byte, count uint16) (proto.ModbusPDU, error) {
	silence := time.Duration(proto.ModbusFrameTime(0, m.baud)) * time.Microsecond
	time.Sleep(silence) // the 3.5-character gap that separates frames on the line
	if d, ok := m.port.(Discarder); ok {
		d.Discard()
	}
	if _, err := m.port.Write(req); err != nil {
		return proto.ModbusPDU{}, fmt.Errorf("modbus: write request: %w", err)
	}
	want := proto.ModbusResponseLen(fn, count)
	deadline := time.Now().Add(m.Timeout + time.Duration(proto.ModbusFrameTime(want, m.baud))*time.Microsecond)
	if d, ok := m.port.(Deadliner); ok {
		d.SetReadDeadline(deadline)
		defer d.SetReadDeadline(time.Time{})
	}
	m.buf = m.buf[:0]
	var chunk [256]byte
	for {
		if len(m.buf) >= 2 && m.buf[1]&0x80 != 0 && len(m.buf) >= 5 {
			want = 5
		}
		if len(m.buf) >= want {
			break
		}
		if time.Now().After(deadline) {
			return proto.ModbusPDU{}, fmt.Errorf("%w (slave %d, %s, got %d of %d bytes)", ErrTimeout, req[0], proto.ModbusFuncName(fn), len(m.buf), want)
		}
		n, err := m.port.Read(chunk[:])
		m.buf = append(m.buf, chunk[:n]...)
		if err != nil {
			if errors.Is(err, io.EOF) || isTimeout(err) {
				return proto.ModbusPDU{}, fmt.Errorf("%w (slave %d, %s, got %d of %d bytes)", ErrTimeout, req[0], proto.ModbusFuncName(fn), len(m.buf), want)
			}
			return proto.ModbusPDU{}, fmt.Errorf("modbus: read reply: %w", err)
		}
	}
	p, err := proto.ParseModbusResponse(m.buf[:want], fn)
	if err != nil {
		return p, err
	}
	if p.Slave != req[0] {
		return p, fmt.Errorf("modbus: reply from slave %d to a request for %d", p.Slave, req[0])
	}
	return p, nil
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
