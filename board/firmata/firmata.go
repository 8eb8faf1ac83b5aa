// Package firmata speaks the Firmata protocol (version 2.5/2.6, as
// StandardFirmata implements it), which ships with the Arduino IDE: flash
// File > Examples > Firmata > StandardFirmata and the board needs no
// sketch of its own. The host asks for the board's version, firmware,
// pin capabilities and analog mapping, turns reporting on, and the board
// streams its analog and digital inputs; the host writes pins, PWM duty
// and servo angles.
//
// Everything here works on bytes: a Decoder is fed what the board sent
// (split anywhere) and returns messages, the Append functions encode
// what a host sends, and Client keeps a board's state across both. No
// I/O, so the same code runs in the server and in the browser.
//
// The byte layouts follow the protocol specification
// (github.com/firmata/protocol, protocol.md) and StandardFirmata.ino.
package firmata

import (
	"errors"
	"fmt"
)

// Command bytes (the high bit set). Channel commands carry their pin or
// port in the low nibble.
const (
	DigitalMessage     = 0x90 // digital port value, 0x90|port, LSB, MSB
	AnalogMessage      = 0xE0 // analog value (or PWM duty), 0xE0|pin, LSB, MSB
	ReportAnalog       = 0xC0 // analog reporting on/off, 0xC0|pin, 0 or 1
	ReportDigital      = 0xD0 // digital port reporting on/off, 0xD0|port, 0 or 1
	SetPinMode         = 0xF4 // pin, mode
	SetDigitalPinValue = 0xF5 // pin, 0 or 1
	ReportVersion      = 0xF9 // protocol version: major, minor (a query alone)
	SystemReset        = 0xFF
	StartSysex         = 0xF0
	EndSysex           = 0xF7
)

// Sysex commands (the first byte after StartSysex).
const (
	ServoConfig           = 0x70
	StringData            = 0x71
	ExtendedAnalog        = 0x6F
	CapabilityQuery       = 0x6B
	CapabilityResponse    = 0x6C
	PinStateQuery         = 0x6D
	PinStateResponse      = 0x6E
	AnalogMappingQuery    = 0x69
	AnalogMappingResponse = 0x6A
	ReportFirmware        = 0x79
	SamplingInterval      = 0x7A
)

// Mode is a pin mode.
type Mode byte

// The pin modes of the specification.
const (
	ModeInput   Mode = 0x00
	ModeOutput  Mode = 0x01
	ModeAnalog  Mode = 0x02
	ModePWM     Mode = 0x03
	ModeServo   Mode = 0x04
	ModeShift   Mode = 0x05
	ModeI2C     Mode = 0x06
	ModeOneWire Mode = 0x07
	ModeStepper Mode = 0x08
	ModeEncoder Mode = 0x09
	ModeSerial  Mode = 0x0A
	ModePullup  Mode = 0x0B
)

var modeNames = map[Mode]string{ModeInput: "input", ModeOutput: "output", ModeAnalog: "analog", ModePWM: "pwm",
	ModeServo: "servo", ModeShift: "shift", ModeI2C: "i2c", ModeOneWire: "onewire", ModeStepper: "stepper",
	ModeEncoder: "encoder", ModeSerial: "serial", ModePullup: "pullup"}

func (m Mode) String() string {
	if s, ok := modeNames[m]; ok {
		return s
	}
	return fmt.Sprintf("mode(0x%02X)", byte(m))
}

// NoAnalog marks a pin without an analog channel in an analog mapping.
const NoAnalog = 0x7F

// MaxSysex is the longest sysex message kept (an Arduino Mega's capability
// response is about 560 bytes); a longer one is dropped up to its end.
const MaxSysex = 4096

// MaxPins is the most pins a board may describe.
const MaxPins = 128

// Kind says what a Message is.
type Kind uint8

// The kinds of message a board sends.
const (
	KindVersion        Kind = iota + 1 // Major, Minor: the protocol version
	KindFirmware                       // Major, Minor, Name: the firmware
	KindAnalog                         // Pin (analog channel), Value
	KindDigital                        // Port, Value (a bit per pin of the port)
	KindCapabilities                   // Pins: each pin's modes and resolutions
	KindAnalogMapping                  // Mapping: each pin's analog channel or NoAnalog
	KindPinState                       // Pin, Mode, Value
	KindString                         // Name: a string the board sent
	KindExtendedAnalog                 // Pin, Value (pin beyond 15 or value beyond 14 bits)
	KindSysex                          // Sysex: another sysex command, Data its bytes

	// What a host sends, decoded with FromHost (by a board emulator).
	KindVersionQuery  // REPORT_VERSION alone
	KindReset         // SYSTEM_RESET
	KindReportAnalog  // Pin (analog channel), Value 1 on or 0 off
	KindReportDigital // Port, Value 1 on or 0 off
	KindSetPinMode    // Pin, Mode
	KindSetDigitalPin // Pin, Value
)

// Capability is one mode a pin supports and its resolution in bits.
type Capability struct {
	Mode       Mode
	Resolution byte
}

// Message is one decoded message from a board. Only the fields its Kind
// needs are set.
type Message struct {
	Kind         Kind
	Major, Minor byte
	Name         string
	Pin          int
	Port         int
	Value        int
	Mode         Mode
	Pins         [][]Capability
	Mapping      []byte
	Sysex        byte
	Data         []byte
}

// Errors of the decoder, counted rather than returned: the stream goes on.
var (
	ErrLong    = errors.New("firmata: sysex message too long")
	ErrCut     = errors.New("firmata: message cut short by a new command")
	ErrBadBody = errors.New("firmata: malformed sysex body")
)

// Decoder turns the bytes a board sends (or, with FromHost, what a host
// sends) into messages. It never loses the
// stream: a message split across reads waits for the rest, stray bytes
// are skipped, a command byte in the middle of a message starts over, and
// an overlong sysex is dropped up to its end.
type Decoder struct {
	cmd   byte   // the command being read, 0 when between messages
	buf   []byte // its data bytes so far
	skip  bool   // inside a sysex that grew past MaxSysex
	Stray int    // bytes skipped between messages
	Bad   int    // messages dropped: cut short, too long or malformed
	Last  error  // why the last one was dropped

	// FromHost decodes the host's side of the conversation, as a board
	// does: a REPORT_VERSION query has no data, reporting switches one
	// byte. Analog and digital messages are then writes.
	FromHost bool
}

// Feed adds bytes and returns the messages they complete.
func (d *Decoder) Feed(p []byte) []Message {
	var out []Message
	for _, b := range p {
		if m, ok := d.byte(b); ok {
			out = append(out, m)
		}
	}
	return out
}

func (d *Decoder) drop(err error) {
	d.Bad++
	d.Last = err
}

// need is how many data bytes follow a command byte, or -1 for a byte
// that starts no message in this direction.
func (d *Decoder) need(b byte) int {
	switch {
	case b == StartSysex:
		return 0
	case b == ReportVersion:
		if d.FromHost {
			return 0
		}
		return 2
	case b&0xF0 == DigitalMessage, b&0xF0 == AnalogMessage:
		return 2
	case !d.FromHost:
		return -1
	case b == SetPinMode, b == SetDigitalPinValue:
		return 2
	case b&0xF0 == ReportAnalog, b&0xF0 == ReportDigital:
		return 1
	case b == SystemReset:
		return 0
	}
	return -1
}

func (d *Decoder) byte(b byte) (Message, bool) {
	if b&0x80 != 0 {
		if d.cmd == StartSysex && b == EndSysex {
			d.cmd = 0
			if d.skip {
				d.skip = false
				return Message{}, false
			}
			m, err := sysex(d.buf)
			if err != nil {
				d.drop(err)
				return Message{}, false
			}
			return m, true
		}
		if d.cmd != 0 && !(d.cmd == StartSysex && d.skip) {
			d.drop(fmt.Errorf("%w: 0x%02X inside 0x%02X", ErrCut, b, d.cmd))
		}
		d.skip = false
		d.buf = d.buf[:0]
		d.cmd = 0
		n := d.need(b)
		switch {
		case n < 0:
			d.Stray++ // the end of a sysex never started, an unknown command
		case n == 0 && b != StartSysex:
			return d.message(b), true
		default:
			d.cmd = b
		}
		return Message{}, false
	}
	if d.cmd == 0 {
		d.Stray++
		return Message{}, false
	}
	if d.cmd == StartSysex {
		if d.skip {
			return Message{}, false
		}
		if len(d.buf) >= MaxSysex {
			d.skip = true
			d.buf = d.buf[:0]
			d.drop(ErrLong)
			return Message{}, false
		}
		d.buf = append(d.buf, b)
		return Message{}, false
	}
	d.buf = append(d.buf, b)
	if len(d.buf) < d.need(d.cmd) {
		return Message{}, false
	}
	m := d.message(d.cmd)
	d.cmd, d.buf = 0, d.buf[:0]
	return m, true
}

// message decodes a channel or system command whose data bytes are in buf.
func (d *Decoder) message(cmd byte) Message {
	var v int
	if len(d.buf) == 2 {
		v = int(d.buf[0]) | int(d.buf[1])<<7
	}
	switch {
	case cmd == ReportVersion && d.FromHost:
		return Message{Kind: KindVersionQuery}
	case cmd == ReportVersion:
		return Message{Kind: KindVersion, Major: d.buf[0], Minor: d.buf[1]}
	case cmd == SystemReset:
		return Message{Kind: KindReset}
	case cmd&0xF0 == AnalogMessage:
		return Message{Kind: KindAnalog, Pin: int(cmd & 0x0F), Value: v}
	case cmd&0xF0 == DigitalMessage:
		return Message{Kind: KindDigital, Port: int(cmd & 0x0F), Value: v}
	case cmd&0xF0 == ReportAnalog:
		return Message{Kind: KindReportAnalog, Pin: int(cmd & 0x0F), Value: int(d.buf[0])}
	case cmd&0xF0 == ReportDigital:
		return Message{Kind: KindReportDigital, Port: int(cmd & 0x0F), Value: int(d.buf[0])}
	case cmd == SetPinMode:
		return Message{Kind: KindSetPinMode, Pin: int(d.buf[0]), Mode: Mode(d.buf[1])}
	default: // SetDigitalPinValue
		return Message{Kind: KindSetDigitalPin, Pin: int(d.buf[0]), Value: int(d.buf[1])}
	}
}

// sysex decodes one sysex body (without StartSysex and EndSysex).
func sysex(b []byte) (Message, error) {
	if len(b) == 0 {
		return Message{}, fmt.Errorf("%w: empty", ErrBadBody)
	}
	cmd, body := b[0], b[1:]
	switch cmd {
	case ReportFirmware:
		if len(body) == 0 {
			return Message{Kind: KindSysex, Sysex: cmd}, nil // the query
		}
		if len(body) < 2 {
			return Message{}, fmt.Errorf("%w: firmware report of %d bytes, want a version", ErrBadBody, len(body))
		}
		return Message{Kind: KindFirmware, Major: body[0], Minor: body[1], Name: string14(body[2:])}, nil
	case StringData:
		return Message{Kind: KindString, Name: string14(body)}, nil
	case CapabilityResponse:
		var pins [][]Capability
		cur := []Capability{}
		for i := 0; i < len(body); {
			if body[i] == 0x7F {
				pins = append(pins, cur)
				cur = []Capability{}
				i++
				continue
			}
			if i+1 >= len(body) {
				return Message{}, fmt.Errorf("%w: capability of pin %d has a mode without a resolution", ErrBadBody, len(pins))
			}
			cur = append(cur, Capability{Mode: Mode(body[i]), Resolution: body[i+1]})
			i += 2
		}
		if len(cur) != 0 {
			return Message{}, fmt.Errorf("%w: capability of pin %d not ended by 0x7F", ErrBadBody, len(pins))
		}
		if len(pins) > MaxPins {
			return Message{}, fmt.Errorf("%w: %d pins, at most %d", ErrBadBody, len(pins), MaxPins)
		}
		return Message{Kind: KindCapabilities, Pins: pins}, nil
	case AnalogMappingResponse:
		if len(body) > MaxPins {
			return Message{}, fmt.Errorf("%w: %d pins, at most %d", ErrBadBody, len(body), MaxPins)
		}
		return Message{Kind: KindAnalogMapping, Mapping: append([]byte(nil), body...)}, nil
	case PinStateResponse:
		if len(body) < 3 || len(body) > 6 {
			return Message{}, fmt.Errorf("%w: pin state of %d bytes", ErrBadBody, len(body))
		}
		return Message{Kind: KindPinState, Pin: int(body[0]), Mode: Mode(body[1]), Value: int(join7(body[2:]))}, nil
	case ExtendedAnalog:
		if len(body) < 2 || len(body) > 5 {
			return Message{}, fmt.Errorf("%w: extended analog of %d bytes", ErrBadBody, len(body))
		}
		return Message{Kind: KindExtendedAnalog, Pin: int(body[0]), Value: int(join7(body[1:]))}, nil
	}
	return Message{Kind: KindSysex, Sysex: cmd, Data: append([]byte(nil), body...)}, nil
}

// join7 reads a little-endian number of 7-bit bytes.
func join7(b []byte) uint32 {
	var v uint32
	for i, x := range b {
		v |= uint32(x&0x7F) << (7 * i)
	}
	return v
}

// string14 reads characters sent as two 7-bit bytes each (LSB, MSB).
func string14(b []byte) string {
	r := make([]byte, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		r = append(r, b[i]|b[i+1]<<7)
	}
	return string(r)
}
