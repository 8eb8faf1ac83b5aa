package ui

import (
	"strings"
	"testing"

	"github.com/thingyard/thingyard/sim"
)

func TestParseModbus(t *testing.T) {
	tests := []struct {
		text [4]string
		want BoardChoice
		err  string
	}{
		{[4]string{"1", "0", "2", "0"}, BoardChoice{Slave: 1, Count: 2}, ""},
		{[4]string{" 17 ", "100", "32", "5"}, BoardChoice{Slave: 17, Register: 100, Count: 32, Coil: 5}, ""},
		{[4]string{"0", "0", "2", "0"}, BoardChoice{}, "Slave: a slave address is 1 to 247 (0 is broadcast, 248 to 255 are reserved), not 0."},
		{[4]string{"248", "0", "2", "0"}, BoardChoice{}, "Slave: a slave address is 1 to 247"},
		{[4]string{"", "0", "2", "0"}, BoardChoice{}, "Slave: give a number (1 to 247)."},
		{[4]string{"1", "x1", "2", "0"}, BoardChoice{}, `First register: "x1" is not a whole number (a holding register, 0 to 65535).`},
		{[4]string{"1", "1.5", "2", "0"}, BoardChoice{}, `First register: "1.5" is not a whole number`},
		{[4]string{"1", "99999999999999999999", "2", "0"}, BoardChoice{}, "First register: a holding register is 0 to 65535"},
		{[4]string{"1", "0", "33", "0"}, BoardChoice{}, "Count: read 1 to 32 registers at once, not 33."},
		{[4]string{"1", "65535", "2", "0"}, BoardChoice{}, "Count: 2 registers from 65535 run past register 65535."},
		{[4]string{"1", "0", "2", "-1"}, BoardChoice{}, "Coil: a coil is 0 to 65535, not -1."},
	}
	for _, tt := range tests {
		var got BoardChoice
		err := ParseModbus(tt.text, &got)
		if tt.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
				t.Errorf("ParseModbus(%q) = %v, want %q", tt.text, err, tt.err)
			}
			if got != (BoardChoice{}) {
				t.Errorf("ParseModbus(%q) set %+v despite the error", tt.text, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseModbus(%q) = %+v, %v; want %+v", tt.text, got, err, tt.want)
		}
	}
	// The defaults the panel starts with are valid.
	var def [4]string
	for i, f := range ModbusFields {
		def[i] = f.Default
	}
	if err := ParseModbus(def, new(BoardChoice)); err != nil {
		t.Errorf("the defaults: %v", err)
	}
}

func TestModbusNote(t *testing.T) {
	tests := []struct {
		text [4]string
		want string
	}{
		{[4]string{"1", "0", "2", "0"}, "Reads holding registers 0 to 1 of slave 1 twice a second (readings hr0 to hr1); on and off write coil 0."},
		{[4]string{"17", "40", "1", "5"}, "Reads holding register 40 of slave 17 twice a second (readings hr40); on and off write coil 5."},
		{[4]string{"0", "0", "2", "0"}, ""},
	}
	for _, tt := range tests {
		c := &Root{Model: &Model{}}
		for i := range tt.text {
			c.modbus[i] = &tt.text[i]
		}
		if got := c.modbusNote(); got != tt.want {
			t.Errorf("%q: %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestTopicsText(t *testing.T) {
	tests := []struct {
		dev  sim.DeviceInfo
		want string
	}{
		{sim.DeviceInfo{ID: "meter", Kind: "sensor", Quantity: "power"}, "thingyard/r1/meter/power, …/online; commands on …/set"},
		{sim.DeviceInfo{ID: "fan", Kind: "actuator"}, "thingyard/r1/fan/on, …/online; commands on …/set"},
		{sim.DeviceInfo{ID: "board", Kind: "board"}, "thingyard/r1/board/value, …/on, …/online; commands on …/set"},
		{sim.DeviceInfo{ID: "board", Kind: "board", Quantity: "value", Readings: []sim.NamedReading{{Name: "temp"}, {Name: "hum"}}},
			"thingyard/r1/board/temp, …/hum, …/on, …/online; commands on …/set"},
		{sim.DeviceInfo{ID: "broker", Kind: "broker"}, "thingyard/r1/broker/online; commands on …/set"},
	}
	for _, tt := range tests {
		c := &Root{Model: &Model{Room: "r1", Device: &tt.dev}}
		if got := c.topicsText(); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.dev.ID, got, tt.want)
		}
	}
}

// TestReadingsText: every name of a line reaches the panel's "last", not
// only the first.
func TestReadingsText(t *testing.T) {
	got := ReadingsText([]sim.Reading{{Name: "temp", Value: 21.5}, {Name: "hum", Value: 40}})
	if want := "temp 21.5, hum 40"; got != want {
		t.Errorf("ReadingsText = %q, want %q", got, want)
	}
}

// TestHeldText: a board the server's gateway holds and that does not
// answer says so in the panel, with what to check.
func TestHeldText(t *testing.T) {
	note := "Modbus slave 17 did not answer a read of 2 registers at 9600 baud: check the baud, the wiring and the slave address"
	got := heldText(HeldBoard{Device: "board", Note: note, Silent: true})
	for _, want := range []string{"board", "does not answer", note} {
		if !strings.Contains(got, want) {
			t.Errorf("%q does not say %q", got, want)
		}
	}
	if got := heldText(HeldBoard{Device: "board", Note: "answering again"}); strings.Contains(got, "does not answer") || !strings.Contains(got, "answering again") {
		t.Errorf("an answering board's note reads %q", got)
	}
}
