package firmata

import (
	"context"
	"io"
	"sync"
	"time"
)

// Uno emulates StandardFirmata 2.5 on an Arduino Uno, for tests and for
// trying Thingyard without a board: it answers the handshake with the
// bytes the sketch sends (StandardFirmata.ino with Boards.h's ATmega328P
// pins: 20 pins, 6 analog, PWM on 3, 5, 6, 9, 10, 11, I2C on 18 and 19),
// keeps pin modes and values as the sketch does, and reports enabled
// analog channels and digital ports.
type Uno struct {
	mu       sync.Mutex
	dec      Decoder
	modes    [UnoPins]Mode
	state    [UnoPins]int // output level, PWM duty or servo angle
	analog   [6]int       // what analogRead returns per channel
	inputs   [UnoPins]bool
	repA     [6]bool
	repD     [3]bool
	sentPort [3]int
	interval int
	servoMin [UnoPins]int // pulse range of an attached servo, 0 when none
	servoMax [UnoPins]int
}

// UnoPins is the number of pins StandardFirmata reports on an Uno.
const UnoPins = 20

// UnoFirmware is the name StandardFirmata reports (from __FILE__).
const UnoFirmware = "StandardFirmata.ino"

// NewUno makes an Uno freshly reset: analog pins in analog mode, the
// other digital pins outputs at low, nothing reporting.
func NewUno() *Uno {
	u := &Uno{interval: 19}
	u.dec.FromHost = true
	u.reset()
	return u
}

func (u *Uno) reset() {
	for p := range u.modes {
		switch {
		case p >= 14:
			u.modes[p] = ModeAnalog
		case p >= 2:
			u.modes[p] = ModeOutput
		}
		u.state[p] = 0
		u.servoMin[p], u.servoMax[p] = 0, 0
	}
	u.repA, u.repD, u.sentPort = [6]bool{}, [3]bool{}, [3]int{}
}

// UnoCapabilities are the pins' modes as StandardFirmata lists them.
func UnoCapabilities() [][]Capability {
	pins := make([][]Capability, UnoPins)
	for p := range pins {
		c := []Capability{}
		if p >= 2 {
			c = append(c, Capability{ModeInput, 1}, Capability{ModePullup, 1}, Capability{ModeOutput, 1})
		}
		if p >= 14 {
			c = append(c, Capability{ModeAnalog, 10})
		}
		if unoPWM(p) {
			c = append(c, Capability{ModePWM, 8})
		}
		if p >= 2 {
			c = append(c, Capability{ModeServo, 14})
		}
		if p == 18 || p == 19 {
			c = append(c, Capability{ModeI2C, 1})
		}
		pins[p] = c
	}
	return pins
}

func unoPWM(p int) bool { return p == 3 || p == 5 || p == 6 || p == 9 || p == 10 || p == 11 }

// UnoMapping is the Uno's analog mapping: pins 14..19 are A0..A5.
func UnoMapping() []byte {
	m := make([]byte, UnoPins)
	for p := range m {
		m[p] = NoAnalog
		if p >= 14 {
			m[p] = byte(p - 14)
		}
	}
	return m
}

// Boot is what the sketch sends when it starts (after the reset that
// opening the port causes): its protocol version, then its firmware.
func (u *Uno) Boot() []byte {
	b := AppendVersion(nil, 2, 5)
	return AppendFirmware(b, 2, 5, UnoFirmware)
}

// Feed handles what the host sent and returns the board's replies.
func (u *Uno) Feed(p []byte) []byte {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []byte
	for _, m := range u.dec.Feed(p) {
		out = u.handle(m, out)
	}
	return out
}

func (u *Uno) handle(m Message, out []byte) []byte {
	digital := func(p int) bool { return p >= 2 && p < UnoPins }
	switch m.Kind {
	case KindVersionQuery:
		out = AppendVersion(out, 2, 5)
	case KindReset:
		u.reset()
	case KindReportAnalog:
		if m.Pin < 6 {
			u.repA[m.Pin] = m.Value != 0
			if m.Value != 0 {
				out = AppendAnalog(out, m.Pin, u.analog[m.Pin])
			}
		}
	case KindReportDigital:
		if m.Port < 3 {
			u.repD[m.Port] = m.Value != 0
			if m.Value != 0 {
				v := u.port(m.Port)
				u.sentPort[m.Port] = v
				out = AppendDigitalPort(out, m.Port, v)
			}
		}
	case KindSetPinMode:
		if digital(m.Pin) && u.supports(m.Pin, m.Mode) {
			u.modes[m.Pin], u.state[m.Pin] = m.Mode, 0
			if m.Mode == ModePullup {
				u.state[m.Pin] = 1
			}
		} else if _, known := modeNames[m.Mode]; !known || m.Mode == ModeShift || m.Mode >= ModeOneWire && m.Mode <= ModeEncoder {
			out = AppendString(out, "Unknown pin mode") // the sketch's default case
		}
	case KindSetDigitalPin:
		if digital(m.Pin) && u.modes[m.Pin] == ModeOutput {
			u.state[m.Pin] = m.Value & 1
		}
	case KindDigital: // a port write: only pins that are outputs change
		for i := 0; i < 8; i++ {
			p := m.Port*8 + i
			if digital(p) && u.modes[p] == ModeOutput {
				u.state[p] = m.Value >> i & 1
			}
		}
	case KindAnalog:
		u.analogWrite(m.Pin, m.Value)
	case KindExtendedAnalog:
		u.analogWrite(m.Pin, m.Value)
	case KindSysex:
		out = u.sysex(m, out)
	}
	return out
}

func (u *Uno) analogWrite(pin, v int) {
	if pin < 0 || pin >= UnoPins {
		return
	}
	if u.modes[pin] == ModePWM || u.modes[pin] == ModeServo {
		u.state[pin] = v
	}
}

func (u *Uno) supports(pin int, m Mode) bool {
	for _, c := range UnoCapabilities()[pin] {
		if c.Mode == m {
			return true
		}
	}
	return false
}

func (u *Uno) sysex(m Message, out []byte) []byte {
	switch m.Sysex {
	case ReportFirmware:
		out = AppendFirmware(out, 2, 5, UnoFirmware)
	case CapabilityQuery:
		out = AppendCapabilities(out, UnoCapabilities())
	case AnalogMappingQuery:
		out = AppendAnalogMapping(out, UnoMapping())
	case SamplingInterval:
		if len(m.Data) >= 2 {
			u.interval = max(1, int(join7(m.Data[:2])))
		}
	case ServoConfig:
		if len(m.Data) >= 5 && int(m.Data[0]) >= 2 && int(m.Data[0]) < UnoPins {
			p := int(m.Data[0])
			u.servoMin[p], u.servoMax[p] = int(join7(m.Data[1:3])), int(join7(m.Data[3:5]))
			u.modes[p], u.state[p] = ModeServo, 0
		}
	case PinStateQuery:
		if len(m.Data) >= 1 {
			p := int(m.Data[0])
			body := []byte{byte(p)}
			if p < UnoPins {
				body = append(body, byte(u.modes[p]), byte(u.state[p]&0x7F))
				if u.state[p] > 0x7F {
					body = append(body, byte(u.state[p]>>7&0x7F))
				}
			}
			out = AppendSysex(out, PinStateResponse, body...)
		}
	}
	return out
}

// port is a digital port's value as the sketch reads it: input pins only.
func (u *Uno) port(port int) int {
	v := 0
	for i := 0; i < 8; i++ {
		p := port*8 + i
		if p < UnoPins && (u.modes[p] == ModeInput || u.modes[p] == ModePullup) && u.inputLevel(p) {
			v |= 1 << i
		}
	}
	return v
}

func (u *Uno) inputLevel(p int) bool {
	if u.modes[p] == ModePullup {
		return !u.inputs[p] // pressed pulls the pin to ground
	}
	return u.inputs[p]
}

// Sample is one sampling interval of the sketch's loop: a report of each
// enabled analog channel whose pin is in analog mode, and of each
// reported digital port that changed.
func (u *Uno) Sample() []byte {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []byte
	for port := range u.repD {
		if v := u.port(port); u.repD[port] && v != u.sentPort[port] {
			u.sentPort[port] = v
			out = AppendDigitalPort(out, port, v)
		}
	}
	for ch := range u.repA {
		if u.repA[ch] && u.modes[14+ch] == ModeAnalog {
			out = AppendAnalog(out, ch, u.analog[ch])
		}
	}
	return out
}

// SetAnalog sets what analogRead returns on channel ch (0..1023).
func (u *Uno) SetAnalog(ch, v int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if ch >= 0 && ch < len(u.analog) {
		u.analog[ch] = min(max(v, 0), 1023)
	}
}

// Press holds an input pin's button down (or releases it): with pull-up
// the pin then reads low.
func (u *Uno) Press(pin int, down bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if pin >= 0 && pin < UnoPins {
		u.inputs[pin] = down
	}
}

// Pin is a pin's mode and state (output level, PWM duty, servo angle).
func (u *Uno) Pin(pin int) (Mode, int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if pin < 0 || pin >= UnoPins {
		return 0, 0
	}
	return u.modes[pin], u.state[pin]
}

// Servo is the pulse range configured for a servo on pin.
func (u *Uno) Servo(pin int) (minPulse, maxPulse int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.servoMin[pin], u.servoMax[pin]
}

// Interval is the sampling interval the host asked for, in milliseconds.
func (u *Uno) Interval() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.interval
}

// Serve runs the emulator on a port until ctx ends or the port fails:
// it boots, answers what arrives and samples at the host's interval.
// The interval is scaled by speedup, so tests need not wait.
func (u *Uno) Serve(ctx context.Context, port io.ReadWriter, speedup int) error {
	if speedup < 1 {
		speedup = 1
	}
	var wmu sync.Mutex
	write := func(b []byte) error {
		if len(b) == 0 {
			return nil
		}
		wmu.Lock()
		defer wmu.Unlock()
		_, err := port.Write(b)
		return err
	}
	if err := write(u.Boot()); err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() {
		buf := make([]byte, 256)
		for {
			n, err := port.Read(buf)
			if n > 0 {
				if werr := write(u.Feed(buf[:n])); werr != nil {
					errc <- werr
					return
				}
			}
			if err != nil {
				errc <- err
				return
			}
		}
	}()
	for {
		t := time.NewTimer(time.Duration(u.Interval()) * time.Millisecond / time.Duration(speedup))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case err := <-errc:
			t.Stop()
			return err
		case <-t.C:
			if err := write(u.Sample()); err != nil {
				return err
			}
		}
	}
}
