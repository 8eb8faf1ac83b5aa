package modbus_test

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/thingyard/thingyard/board/boardtest"
	"github.com/thingyard/thingyard/board/modbus"
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
