package ui

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/thingyard/thingyard/board"
	"github.com/thingyard/thingyard/sim"
)

// BoardChoice is what a person chose in the Real board panel before
// pressing Connect a board.
type BoardChoice struct {
	Baud     int
	Protocol string
	// Modbus RTU, when Protocol is modbus (zero takes board's defaults):
	// the slave polled, its first holding register, how many registers,
	// and the coil an on/off command writes.
	Slave, Register, Count, Coil int
}

// ModbusField is one Modbus RTU setting of the Real board panel.
type ModbusField struct {
	ID, Label, Default, Hint string
}

// ModbusFields are the panel's Modbus RTU settings, in the order of
// BoardChoice's Slave, Register, Count and Coil; the defaults are the
// server's (-modbus-slave and the rest) and the example sketch's.
var ModbusFields = [4]ModbusField{
	{"modbus-slave", "Slave", strconv.Itoa(board.DefaultSlave), "1 to 247"},
	{"modbus-register", "First register", "0", "a holding register, 0 to 65535"},
	{"modbus-count", "Count", strconv.Itoa(board.DefaultCount), "registers read, 1 to " + strconv.Itoa(board.MaxCount)},
	{"modbus-coil", "Coil", "0", "written by on and off, 0 to 65535"},
}

// ParseModbus reads the Modbus RTU settings as typed into c, or says which
// one is wrong and why, named as the panel labels it.
func ParseModbus(text [4]string, c *BoardChoice) error {
	var v [4]int
	for i, s := range text {
		f := ModbusFields[i]
		s = strings.TrimSpace(s)
		n, err := strconv.Atoi(s)
		switch {
		case errors.Is(err, strconv.ErrRange):
			n = math.MaxInt32 // out of every range: CheckModbus says which
		case s == "":
			return fmt.Errorf("%s: give a number (%s).", f.Label, f.Hint)
		case err != nil:
			return fmt.Errorf("%s: %q is not a whole number (%s).", f.Label, s, f.Hint)
		}
		v[i] = n
	}
	if err := board.CheckModbus(v[0], v[1], v[2], v[3]); err != nil {
		label := "Modbus"
		var me *board.ModbusError
		if errors.As(err, &me) {
			for i, name := range []string{"slave", "register", "count", "coil"} {
				if name == me.Field {
					label = ModbusFields[i].Label
				}
			}
		}
		return fmt.Errorf("%s: %v.", label, err)
	}
	c.Slave, c.Register, c.Count, c.Coil = v[0], v[1], v[2], v[3]
	return nil
}

// ReadingsText is a line's readings as the Real board panel shows them:
// every name with its value ("temp 21.5, hum 40").
func ReadingsText(rs []sim.Reading) string {
	var b strings.Builder
	for i, r := range rs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(r.Name)
		b.WriteByte(' ')
		b.WriteString(strconv.FormatFloat(r.Value, 'g', 6, 64))
	}
	return b.String()
}

// heldText says of a board someone else in the room holds what the people
// in the room can act on: whose it is to fix, and its holder's note.
func heldText(h HeldBoard) string {
	name := strconv.Quote(h.Device)
	switch {
	case h.Silent:
		return name + " (a real board held by someone else in this room) does not answer: " + h.Note
	case h.Note != "":
		return name + " (a real board held by someone else in this room): " + h.Note
	}
	return name + " is a real board held by someone else in this room: its readings and your commands pass through them."
}

func (c *Root) heldClass(h HeldBoard) string {
	if h.Silent {
		return "ty-errors ty-note"
	}
	return "ty-muted ty-note"
}
