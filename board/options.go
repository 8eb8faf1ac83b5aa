package board

import (
	"fmt"
	"time"

	"github.com/thingyard/thingyard/internal/defaults"
)

// Protocol names what a board speaks.
type Protocol string

// The protocols, and Auto for "find out".
const (
	Auto    Protocol = "auto"
	Plotter Protocol = "plotter"
	Firmata Protocol = "firmata"
	Modbus  Protocol = "modbus"
)

// Protocols lists the values ParseProtocol accepts.
var Protocols = []Protocol{Auto, Plotter, Firmata, Modbus}

// ParseProtocol reads a protocol name ("" is Auto).
func ParseProtocol(s string) (Protocol, error) {
	if s == "" {
		return Auto, nil
	}
	for _, p := range Protocols {
		if string(p) == s {
			return p, nil
		}
	}
	return "", fmt.Errorf("board: unknown protocol %q (valid: auto, plotter, firmata, modbus)", s)
}

// Options configure a Session. Zero fields take the defaults below.
type Options struct {
	Protocol Protocol // Auto by default
	Device   string   // the world's device the board drives (default "board")
	Baud     int      // the line's speed, for Modbus timing (default 115200)
	// DetectFor is how long auto-detection listens for a Firmata version
	// or a plotter line before it probes Modbus (default 2.5 s: an Uno
	// resets when its port opens, and its bootloader waits about 1.5 s).
	DetectFor time.Duration
	// MaxRate is how many reading actions a second reach the world at
	// most (default 10); a faster board's readings are held back and
	// merged, so each action has the latest value of every name the
	// board printed since the last one.
	MaxRate float64

	// Modbus RTU: the slave polled (default 1), the first holding
	// register and how many (default 0 and 2), the coil a command writes
	// (default 0), and the poll period (default 500 ms).
	Slave    byte
	Register uint16
	Count    uint16
	Coil     uint16
	Poll     time.Duration

	// Firmata: the pin a command switches (default 13, the LED), digital
	// inputs to report (none by default), analog sampling in ms.
	LEDPin     int
	Inputs     []int
	SamplingMs int

	// Console, when set, receives what the board said as text: a plotter
	// board's output as it is, Firmata and Modbus decoded, and on lines
	// of their own what Notice is told. It must not block.
	Console func(string)
	// Notice, when set, is told in a sentence or three when the board
	// does not answer (silent): what it was asked, what did not answer
	// and what to check (baud, wiring, slave address, the sketch); and,
	// once, when it answers after all. A Modbus slave is told of at its
	// first unanswered poll, a plotter or Firmata board after SilentAfter
	// without a word in its protocol. It must not block.
	Notice func(silent bool, text string)
	// SilentAfter is how long a plotter or Firmata board may say nothing
	// in its protocol before Notice is told (default DefaultSilentAfter).
	SilentAfter time.Duration
	// Now is the clock (tests replace it).
	Now func() time.Time
}

// Defaults of Options.
const (
	DefaultDevice    = "board"
	DefaultBaud      = 115200
	DefaultDetectFor = 2500 * time.Millisecond
	DefaultMaxRate   = 10
	DefaultSlave     = 1
	DefaultCount     = 2
	DefaultPoll      = 500 * time.Millisecond
	DefaultLEDPin    = 13
	// FirmataBaud is the speed StandardFirmata talks at.
	FirmataBaud = 57600
)

// MaxCount is the most holding registers a Session reads in one poll.
const MaxCount = 32

// ModbusError is a Modbus RTU setting out of range. Field names it:
// "slave", "register", "count" or "coil".
type ModbusError struct {
	Field string
	Msg   string
}

func (e *ModbusError) Error() string { return e.Msg }

// CheckModbus checks the Modbus RTU settings a person gave, as numbers
// before they are narrowed to the types of Options: a slave address 1 to
// 247, a first holding register 0 to 65535, 1 to MaxCount registers that
// end by 65535, and a coil 0 to 65535. The server's flags and the page's
// Real board panel both check with it; the error is a *ModbusError.
func CheckModbus(slave, register, count, coil int) error {
	switch {
	case slave < 1 || slave > 247:
		return &ModbusError{"slave", fmt.Sprintf("a slave address is 1 to 247 (0 is broadcast, 248 to 255 are reserved), not %d", slave)}
	case register < 0 || register > 0xFFFF:
		return &ModbusError{"register", fmt.Sprintf("a holding register is 0 to 65535, not %d", register)}
	case count < 1 || count > MaxCount:
		return &ModbusError{"count", fmt.Sprintf("read 1 to %d registers at once, not %d", MaxCount, count)}
	case register+count-1 > 0xFFFF:
		return &ModbusError{"count", fmt.Sprintf("%d registers from %d run past register 65535", count, register)}
	case coil < 0 || coil > 0xFFFF:
		return &ModbusError{"coil", fmt.Sprintf("a coil is 0 to 65535, not %d", coil)}
	}
	return nil
}

func (o *Options) fill() {
	defaults.Zero(&o.Protocol, Auto)
	defaults.Zero(&o.Device, DefaultDevice)
	defaults.Positive(&o.Baud, DefaultBaud)
	defaults.Positive(&o.DetectFor, DefaultDetectFor)
	defaults.Positive(&o.MaxRate, DefaultMaxRate)
	defaults.Zero(&o.Slave, DefaultSlave)
	defaults.Zero(&o.Count, DefaultCount)
	defaults.Positive(&o.Poll, DefaultPoll)
	defaults.Positive(&o.LEDPin, DefaultLEDPin)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Console == nil {
		o.Console = func(string) {}
	}
	defaults.Positive(&o.SilentAfter, DefaultSilentAfter)
}
