package modbus_test

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/thingyard/thingyard/board/boardtest"
	"github.com/thingyard/thingyard/board/modbus"
	"github.com/thingyard/thingyard/internal/testkit"
	"github.com/thingyard/thingyard/sim/proto"
)

// libmodbusSlave joins the C slave (boardtest.Libmodbus) to a socat pty
// pair and returns the master's end, opened raw.
func libmodbusSlave(t *testing.T) *os.File {
	t.Helper()
	cable := boardtest.NewCable(t)
	boardtest.Libmodbus(t, cable.Board)
	return boardtest.Open(t, cable.Host)
}

func TestMasterAgainstLibmodbus(t *testing.T) {
	port := libmodbusSlave(t)
	m := modbus.NewMaster(port, 9600)

	regs, err := m.ReadHoldingRegisters(17, 2, 3)
	if err != nil || len(regs) != 3 || regs[0] != 102 || regs[2] != 104 {
		t.Fatalf("read holding: %v %v", regs, err)
	}
	in, err := m.ReadInputRegisters(17, 0, 2)
	if err != nil || in[0] != 200 || in[1] != 201 {
		t.Fatalf("read input: %v %v", in, err)
	}
	bits, err := m.ReadDiscreteInputs(17, 0, 4)
	if err != nil || bits[0] || !bits[1] || bits[2] || !bits[3] {
		t.Fatalf("read discrete inputs: %v %v", bits, err)
	}
	if err := m.WriteSingleRegister(17, 5, 4242); err != nil {
		t.Fatal(err)
	}
	if err := m.WriteMultipleRegisters(17, 8, []uint16{7, 8, 9}); err != nil {
		t.Fatal(err)
	}
	if regs, err = m.ReadHoldingRegisters(17, 5, 6); err != nil || regs[0] != 4242 || regs[3] != 7 || regs[5] != 9 {
		t.Fatalf("after writes: %v %v", regs, err)
	}
	if err := m.WriteSingleCoil(17, 3, true); err != nil {
		t.Fatal(err)
	}
	if err := m.WriteMultipleCoils(17, 8, []bool{true, false, true}); err != nil {
		t.Fatal(err)
	}
	coils, err := m.ReadCoils(17, 0, 11)
	if err != nil || !coils[3] || !coils[8] || coils[9] || !coils[10] || coils[0] {
		t.Fatalf("coils: %v %v", coils, err)
	}

	// Past the slave's 16 registers: an exception, as a typed error.
	_, err = m.ReadHoldingRegisters(17, 100, 2)
	var ex proto.ModbusException
	if !errors.As(err, &ex) || ex != proto.ExceptionIllegalDataAddress {
		t.Fatalf("read past the end: %v, want illegal data address", err)
	}
	// Another slave address: nobody answers. (Last: libmodbus then
	// sleeps and flushes its line for its own timeout.)
	m.Timeout = 200 * time.Millisecond
	if _, err := m.ReadHoldingRegisters(9, 0, 1); !errors.Is(err, modbus.ErrTimeout) {
		t.Fatalf("absent slave: %v, want a timeout", err)
	}
}

// slowLine is a line with a slow adapter between the master and Debian's
// libmodbus slave: two socat pty pairs joined by the test, which passes
// requests on at once and holds replies back, until release (hold) or
// for a fixed delay (delay), in the order they came.
type slowLine struct {
	master *os.File // the master's end

	mu      sync.Mutex
	up      []byte // what the master wrote
	held    []byte // replies held back
	holding bool
	delay   time.Duration
	out     chan delayed
}

type delayed struct {
	p   []byte
	due time.Time
}

func newSlowLine(t *testing.T) *slowLine {
	t.Helper()
	near, far := boardtest.NewCable(t), boardtest.NewCable(t)
	boardtest.Libmodbus(t, far.Board)
	l := &slowLine{master: boardtest.Open(t, near.Host), out: make(chan delayed, 64)}
	board, slave := boardtest.Open(t, near.Board), boardtest.Open(t, far.Host)
	go func() { // requests, at once
		buf := make([]byte, 512)
		for {
			n, err := board.Read(buf)
			if err != nil {
				return
			}
			l.mu.Lock()
			l.up = append(l.up, buf[:n]...)
			l.mu.Unlock()
			if _, err := slave.Write(buf[:n]); err != nil {
				return
			}
		}
	}()
	go func() { // replies, held or delayed
		buf := make([]byte, 512)
		for {
			n, err := slave.Read(buf)
			if err != nil {
				return
			}
			l.mu.Lock()
			if l.holding {
				l.held = append(l.held, buf[:n]...)
			} else {
				l.out <- delayed{append([]byte(nil), buf[:n]...), time.Now().Add(l.delay)}
			}
			l.mu.Unlock()
		}
	}()
	go func() { // the adapter's latency
		for {
			select {
			case d := <-l.out:
				time.Sleep(time.Until(d.due))
				if _, err := board.Write(d.p); err != nil {
					return
				}
			case <-t.Context().Done():
				return
			}
		}
	}()
	return l
}

func (l *slowLine) hold() { l.mu.Lock(); l.holding = true; l.mu.Unlock() }

// release lets the held replies through, and the ones after them.
func (l *slowLine) release() {
	l.mu.Lock()
	l.holding = false
	if len(l.held) > 0 {
		l.out <- delayed{l.held, time.Now()}
		l.held = nil
	}
	l.mu.Unlock()
}

func (l *slowLine) heldLen() int { l.mu.Lock(); defer l.mu.Unlock(); return len(l.held) }

func (l *slowLine) wrote(req []byte) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Contains(l.up, req)
}

// A poll's reply that comes after its timeout, and after the next
// request (a command) was written, is not taken for the command's echo:
// the command is confirmed, carried out, and the line reads on.
func TestMasterAfterALateReply(t *testing.T) {
	line := newSlowLine(t)
	m := modbus.NewMaster(line.master, 9600)
	m.Timeout = 200 * time.Millisecond

	line.hold()
	if _, err := m.ReadHoldingRegisters(17, 2, 3); !errors.Is(err, modbus.ErrTimeout) {
		t.Fatalf("a held reply: %v, want a timeout", err)
	}
	testkit.Eventually(t, 5*time.Second, "the slave's reply held", func() bool { return line.heldLen() == 11 })
	// From here the line holds the echo until the test releases it, which
	// on a busy machine can be later than any short timeout: the command
	// waits for it, so that what is tested is which bytes it takes.
	m.Timeout = time.Minute
	done := make(chan error, 1)
	go func() { done <- m.WriteSingleCoil(17, 3, true) }()
	coil := proto.AppendModbusWriteSingle(nil, 17, proto.FuncWriteSingleCoil, 3, proto.ModbusCoilOn)
	testkit.Eventually(t, 10*time.Second, "the command written", func() bool { return line.wrote(coil) })
	testkit.Eventually(t, 5*time.Second, "the slave's echo held", func() bool { return line.heldLen() == 11+8 })
	line.release() // the late reply, then the echo
	if err := <-done; err != nil {
		t.Fatalf("the command after a late reply: %v", err)
	}
	coils, err := m.ReadCoils(17, 0, 8)
	if err != nil || !coils[3] {
		t.Fatalf("coils after the command: %v %v, want coil 3 on", coils, err)
	}
	if regs, err := m.ReadHoldingRegisters(17, 5, 3); err != nil || !slices.Equal(regs, []uint16{105, 106, 107}) {
		t.Fatalf("registers 5 to 7 after: %v %v", regs, err)
	}
}

// A late reply that reaches the master before its next request is not
// read as that request's reply: registers 5 to 7 read as themselves,
// not as the late reply's 2 to 4.
func TestMasterDropsALateReplyBeforeARequest(t *testing.T) {
	line := newSlowLine(t)
	m := modbus.NewMaster(line.master, 9600)
	m.Timeout = 500 * time.Millisecond

	line.hold()
	if _, err := m.ReadHoldingRegisters(17, 2, 3); !errors.Is(err, modbus.ErrTimeout) {
		t.Fatalf("a held reply: %v, want a timeout", err)
	}
	testkit.Eventually(t, 5*time.Second, "the slave's reply held", func() bool { return line.heldLen() == 11 })
	line.release()
	m.Timeout = time.Minute // the late reply is on its way; which reply is taken is the point
	if regs, err := m.ReadHoldingRegisters(17, 5, 3); err != nil || !slices.Equal(regs, []uint16{105, 106, 107}) {
		t.Fatalf("registers 5 to 7 after a late reply: %v %v", regs, err)
	}
}

// On a line slower than Timeout (an adapter that takes 1.5 Timeouts to
// pass a reply on), the first request times out and its late reply
// shows how slow the line is: the requests after it get their replies.
func TestMasterAdaptsToASlowLine(t *testing.T) {
	line := newSlowLine(t)
	const timeout = time.Second
	line.delay = timeout * 3 / 2
	m := modbus.NewMaster(line.master, 9600)
	m.Timeout = timeout

	if _, err := m.ReadHoldingRegisters(17, 2, 3); !errors.Is(err, modbus.ErrTimeout) {
		t.Fatalf("the first request on a slow line: %v, want a timeout", err)
	}
	for _, first := range []uint16{5} {
		regs, err := m.ReadHoldingRegisters(17, first, 3)
		if want := []uint16{100 + first, 101 + first, 102 + first}; err != nil || !slices.Equal(regs, want) {
			t.Fatalf("registers %d to %d on a slow line: %v %v, want %v", first, first+2, regs, err, want)
		}
	}
	if err := m.WriteSingleRegister(17, 1, 4242); err != nil {
		t.Fatalf("a write on a slow line: %v", err)
	}
}

// pipePort is a port made of two pipes, with read deadlines.
type pipePort struct{ r, w *os.File }

func (p pipePort) Read(b []byte) (int, error)        { return p.r.Read(b) }
func (p pipePort) Write(b []byte) (int, error)       { return p.w.Write(b) }
func (p pipePort) SetReadDeadline(t time.Time) error { return p.r.SetReadDeadline(t) }

// scripted is a master on a pipe whose far end answers each request with
// what answer makes of it.
func scripted(t *testing.T, answer func(req []byte) []byte) *modbus.Master {
	t.Helper()
	toSlave, fromMaster, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	fromSlave, toMaster, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { toSlave.Close(); fromMaster.Close(); fromSlave.Close(); toMaster.Close() })
	go func() {
		buf := make([]byte, 256)
		for {
			n, err := toSlave.Read(buf)
			if err != nil {
				return
			}
			if _, err := toMaster.Write(answer(buf[:n])); err != nil {
				return
			}
		}
	}()
	m := modbus.NewMaster(pipePort{fromSlave, fromMaster}, 115200)
	m.Timeout = 100 * time.Millisecond
	return m
}

// What comes before a reply (a late reply to another request, noise, a
// reply from another slave, an old echo) is skipped, and the reply is
// taken; without a valid reply the error says what came.
func TestMasterFindsTheReply(t *testing.T) {
	regs := proto.AppendModbusReadResponse(nil, 17, proto.FuncReadHoldingRegisters, proto.AppendModbusRegisters(nil, []uint16{103, 104, 105}))
	garble := func(b []byte) []byte { b = bytes.Clone(b); b[len(b)-1] ^= 0xFF; return b }
	coilOn := proto.AppendModbusWriteSingle(nil, 17, proto.FuncWriteSingleCoil, 5, proto.ModbusCoilOn)
	tests := []struct {
		name   string
		write  bool // WriteSingleCoil(17, 5, true), else ReadHoldingRegisters(17, 3, 3)
		answer func(req []byte) []byte
		want   string // "" or what the error says
		is     error
	}{
		{"a late poll reply before the echo", true, func(req []byte) []byte { return append(bytes.Clone(regs), req...) }, "", nil},
		{"half a late reply before the echo", true, func(req []byte) []byte { return append(bytes.Clone(regs[:6]), req...) }, "", nil},
		{"an old echo of another coil before the echo", true, func(req []byte) []byte {
			return append(proto.AppendModbusWriteSingle(nil, 17, proto.FuncWriteSingleCoil, 4, proto.ModbusCoilOff), req...)
		}, "", nil},
		{"noise before the reply", false, func([]byte) []byte { return append([]byte{0x11, 0x03, 0xFF, 0x00}, regs...) }, "", nil},
		{"another slave's reply before the reply", false, func([]byte) []byte {
			return append(proto.AppendModbusReadResponse(nil, 9, proto.FuncReadHoldingRegisters, proto.AppendModbusRegisters(nil, []uint16{1, 2, 3})), regs...)
		}, "", nil},
		{"a late coil echo before the reply", false, func([]byte) []byte { return append(bytes.Clone(coilOn), regs...) }, "", nil},
		{"an exception", false, func([]byte) []byte {
			return proto.AppendModbusException(nil, 17, proto.FuncReadHoldingRegisters, byte(proto.ExceptionIllegalDataAddress))
		}, "illegal data address", proto.ExceptionIllegalDataAddress},
		{"a garbled echo only", true, func(req []byte) []byte { return garble(req) }, "crc mismatch", modbus.ErrGarbled},
		{"the echo of another value only", true, func([]byte) []byte {
			return proto.AppendModbusWriteSingle(nil, 17, proto.FuncWriteSingleCoil, 5, proto.ModbusCoilOff)
		}, "the reply echoes 00 05 00 00, the request said 00 05 FF 00", modbus.ErrGarbled},
		{"a late poll reply only", true, func([]byte) []byte { return regs }, "got 0 of 8 bytes, and 11 bytes that were not its reply", modbus.ErrTimeout},
		{"half a reply", false, func([]byte) []byte { return regs[:4] }, "got 4 of 11 bytes", modbus.ErrTimeout},
		{"nothing", false, func([]byte) []byte { return nil }, "got 0 of 11 bytes", modbus.ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := scripted(t, tt.answer)
			var err error
			if tt.write {
				err = m.WriteSingleCoil(17, 5, true)
			} else {
				var got []uint16
				got, err = m.ReadHoldingRegisters(17, 3, 3)
				if err == nil && !slices.Equal(got, []uint16{103, 104, 105}) {
					t.Errorf("read %v, want [103 104 105]", got)
				}
			}
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("got %v, want the reply", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, tt.is)):
				t.Errorf("got %v, want %v saying %q", err, tt.is, tt.want)
			}
		})
	}
}
