package firmata

import (
	"strconv"

	"github.com/thingyard/thingyard/sim"
)

// Client is the host's side of a Firmata board: it asks for what the
// board is, turns reporting on once it knows, and keeps the latest value
// of every input. It does no I/O: Start and Feed return the bytes to send.
type Client struct {
	// SamplingMs is the analog reporting interval asked for once the
	// board is known (default 100 ms; StandardFirmata's own is 19 ms).
	SamplingMs int
	// Inputs are digital pins to read (set to input with pull-up and
	// reported as D<pin>).
	Inputs []int

	Major, Minor     byte   // protocol version
	FirmwareName     string // e.g. "StandardFirmata.ino"
	FirmwareMajor    byte
	FirmwareMinor    byte
	Pins             [][]Capability
	Mapping          []byte // each pin's analog channel or NoAnalog
	Strings          []string
	Version, Started bool // a version report came; reporting was turned on

	analog   [16]int // latest value per analog channel, -1 unknown
	lastCh   int     // the highest channel reporting: its message ends a cycle
	ports    [16]int
	modes    map[int]Mode
	dec      Decoder
	haveCaps bool
	haveMap  bool
}

// DefaultSamplingMs is Client's default analog reporting interval.
const DefaultSamplingMs = 100

// Start returns the handshake: the version, firmware, capability and
// analog mapping queries.
func (c *Client) Start(b []byte) []byte {
	for i := range c.analog {
		c.analog[i] = -1
	}
	c.lastCh = -1
	b = AppendVersionQuery(b)
	b = AppendFirmwareQuery(b)
	b = AppendCapabilityQuery(b)
	return AppendAnalogMappingQuery(b)
}

// Feed takes what the board sent and returns the bytes to send in reply
// (reporting requests, once capabilities and mapping are known), the
// messages decoded, and whether a reading is complete: the last analog
// channel of a sampling cycle arrived, or a digital input changed.
func (c *Client) Feed(p []byte, reply []byte) ([]byte, []Message, bool) {
	msgs := c.dec.Feed(p)
	complete := false
	for _, m := range msgs {
		switch m.Kind {
		case KindVersion:
			c.Major, c.Minor, c.Version = m.Major, m.Minor, true
		case KindFirmware:
			c.FirmwareName, c.FirmwareMajor, c.FirmwareMinor = m.Name, m.Major, m.Minor
		case KindCapabilities:
			c.Pins, c.haveCaps = m.Pins, true
		case KindAnalogMapping:
			c.Mapping, c.haveMap = m.Mapping, true
		case KindString:
			if len(c.Strings) == 16 {
				c.Strings = c.Strings[1:]
			}
			c.Strings = append(c.Strings, m.Name)
		case KindAnalog:
			c.analog[m.Pin] = m.Value
			if m.Pin == c.lastCh || c.lastCh < 0 {
				complete = true
			}
		case KindDigital:
			if c.ports[m.Port] != m.Value && c.inputOn(m.Port) {
				complete = true
			}
			c.ports[m.Port] = m.Value
		}
	}
	if c.haveCaps && c.haveMap && !c.Started {
		c.Started = true
		reply = c.startReporting(reply)
	}
	return reply, msgs, complete
}

func (c *Client) inputOn(port int) bool {
	for _, p := range c.Inputs {
		if p/8 == port {
			return true
		}
	}
	return false
}

// startReporting asks for analog reports on every analog channel and
// digital reports on the ports of the chosen inputs.
func (c *Client) startReporting(b []byte) []byte {
	ms := c.SamplingMs
	if ms <= 0 {
		ms = DefaultSamplingMs
	}
	b = AppendSamplingInterval(b, ms)
	for _, ch := range c.Mapping {
		if ch != NoAnalog && ch < 16 {
			b = AppendReportAnalog(b, int(ch), true)
			c.lastCh = max(c.lastCh, int(ch))
		}
	}
	ports := map[int]bool{}
	for _, p := range c.Inputs {
		if c.Supports(p, ModePullup) {
			b = c.PinMode(b, p, ModePullup)
		} else {
			b = c.PinMode(b, p, ModeInput)
		}
		if !ports[p/8] {
			ports[p/8] = true
			b = AppendReportDigital(b, p/8, true)
		}
	}
	return b
}

// Supports reports whether pin has mode among its capabilities (true
// when the capabilities are not known).
func (c *Client) Supports(pin int, m Mode) bool {
	if !c.haveCaps {
		return true
	}
	if pin < 0 || pin >= len(c.Pins) {
		return false
	}
	for _, cp := range c.Pins[pin] {
		if cp.Mode == m {
			return true
		}
	}
	return false
}

// PinMode sets a pin's mode, once (it is remembered).
func (c *Client) PinMode(b []byte, pin int, m Mode) []byte {
	if c.modes == nil {
		c.modes = map[int]Mode{}
	}
	if old, ok := c.modes[pin]; ok && old == m {
		return b
	}
	c.modes[pin] = m
	return AppendSetPinMode(b, pin, m)
}

// DigitalWrite sets an output pin, making it an output first.
func (c *Client) DigitalWrite(b []byte, pin int, high bool) []byte {
	b = c.PinMode(b, pin, ModeOutput)
	return AppendSetDigitalPin(b, pin, high)
}

// AnalogWrite sets a PWM duty (0..255 at 8 bits), making the pin PWM.
func (c *Client) AnalogWrite(b []byte, pin int, duty int) []byte {
	b = c.PinMode(b, pin, ModePWM)
	return AppendAnalogWrite(b, pin, duty)
}

// ServoWrite attaches a servo to pin (pulses of 544..2400 µs, the Servo
// library's defaults) and turns it to angle degrees.
func (c *Client) ServoWrite(b []byte, pin int, angle int) []byte {
	if m, ok := c.modes[pin]; !ok || m != ModeServo {
		b = AppendServoConfig(b, pin, 544, 2400)
		if c.modes == nil {
			c.modes = map[int]Mode{}
		}
		c.modes[pin] = ModeServo
	}
	return AppendAnalogWrite(b, pin, angle)
}

// Readings are the latest inputs: A0… for each analog channel heard
// from (raw, 0..1023 at 10 bits), D<pin> (0 or 1) for each input.
func (c *Client) Readings() []sim.Reading {
	var rs []sim.Reading
	for ch, v := range c.analog {
		if v >= 0 && len(rs) < sim.MaxReadings {
			rs = append(rs, sim.Reading{Name: "A" + strconv.Itoa(ch), Value: float64(v)})
		}
	}
	for _, p := range c.Inputs {
		if len(rs) < sim.MaxReadings && p >= 0 && p < 128 {
			rs = append(rs, sim.Reading{Name: "D" + strconv.Itoa(p), Value: float64(c.ports[p/8] >> (p % 8) & 1)})
		}
	}
	return rs
}

// Stats are the decoder's counts of skipped bytes and dropped messages.
func (c *Client) Stats() (stray, bad int) { return c.dec.Stray, c.dec.Bad }
