package firmata_test

import (
	"fmt"
	"testing"

	"github.com/thingyard/thingyard/board/firmata"
)

// talk passes the client's bytes to the emulator and back until neither
// has anything more to say, and returns whether a reading completed.
func talk(t *testing.T, c *firmata.Client, u *firmata.Uno, toBoard, toHost []byte) bool {
	t.Helper()
	complete := false
	for i := 0; len(toBoard) > 0 || len(toHost) > 0; i++ {
		if i > 20 {
			t.Fatal("the client and the board never stop talking")
		}
		toHost = append(toHost, u.Feed(toBoard)...)
		var done bool
		toBoard, _, done = c.Feed(toHost, nil)
		complete = complete || done
		toHost = nil
	}
	return complete
}

func TestClientWithUno(t *testing.T) {
	u := firmata.NewUno()
	u.SetAnalog(0, 512)
	u.SetAnalog(3, 7)
	c := &firmata.Client{Inputs: []int{2}}
	talk(t, c, u, c.Start(nil), u.Boot())
	if !c.Version || c.Major != 2 || c.Minor != 5 || c.FirmwareName != "StandardFirmata.ino" || !c.Started {
		t.Fatalf("handshake: version %v %d.%d firmware %q started %v", c.Version, c.Major, c.Minor, c.FirmwareName, c.Started)
	}
	if len(c.Pins) != firmata.UnoPins || !c.Supports(9, firmata.ModePWM) || c.Supports(8, firmata.ModePWM) {
		t.Fatalf("capabilities: %d pins", len(c.Pins))
	}
	if got := u.Interval(); got != firmata.DefaultSamplingMs {
		t.Errorf("sampling interval %d, want %d", got, firmata.DefaultSamplingMs)
	}
	if m, v := u.Pin(2); m != firmata.ModePullup || v != 1 {
		t.Errorf("pin 2: %v %d, want a pull-up input", m, v)
	}

	// A sampling cycle reports A0..A5; the last one completes a reading.
	if !talk(t, c, u, nil, u.Sample()) {
		t.Fatal("a full sampling cycle did not complete a reading")
	}
	if got := fmt.Sprint(c.Readings()); got != "[{A0 512} {A1 0} {A2 0} {A3 7} {A4 0} {A5 0} {D2 1}]" {
		t.Errorf("readings %s", got)
	}
	// A button on pin 2 pulls it low: a digital report, a new reading.
	u.Press(2, true)
	u.SetAnalog(0, 100)
	if !talk(t, c, u, nil, u.Sample()) {
		t.Fatal("no reading after the button")
	}
	if got := fmt.Sprint(c.Readings()); got != "[{A0 100} {A1 0} {A2 0} {A3 7} {A4 0} {A5 0} {D2 0}]" {
		t.Errorf("readings after the button %s", got)
	}

	tests := []struct {
		name string
		send []byte
		pin  int
		mode firmata.Mode
		val  int
	}{
		{"LED on", c.DigitalWrite(nil, 13, true), 13, firmata.ModeOutput, 1},
		{"LED off", c.DigitalWrite(nil, 13, false), 13, firmata.ModeOutput, 0},
		{"port write", firmata.AppendDigitalPort(nil, 1, 1<<4), 12, firmata.ModeOutput, 1},
		{"PWM", c.AnalogWrite(nil, 9, 200), 9, firmata.ModePWM, 200},
		{"servo", c.ServoWrite(nil, 6, 90), 6, firmata.ModeServo, 90},
		{"extended analog", firmata.AppendExtendedAnalog(nil, 6, 170), 6, firmata.ModeServo, 170},
		{"write to an analog pin does nothing", firmata.AppendSetDigitalPin(nil, 14, true), 14, firmata.ModeAnalog, 0},
	}
	for _, tt := range tests {
		talk(t, c, u, tt.send, nil)
		if m, v := u.Pin(tt.pin); m != tt.mode || v != tt.val {
			t.Errorf("%s: pin %d is %v %d, want %v %d", tt.name, tt.pin, m, v, tt.mode, tt.val)
		}
	}
	if lo, hi := u.Servo(6); lo != 544 || hi != 2400 {
		t.Errorf("servo pulses %d..%d", lo, hi)
	}
	// Reset: pins back to their defaults, reporting off.
	talk(t, c, u, firmata.AppendReset(nil), nil)
	if m, v := u.Pin(13); m != firmata.ModeOutput || v != 0 {
		t.Errorf("after reset pin 13 %v %d", m, v)
	}
	if s := u.Sample(); len(s) != 0 {
		t.Errorf("after reset the board still reports % X", s)
	}
}

func FuzzDecoder(f *testing.F) {
	f.Add(unhex(f, capBoot+capCapabilities+capMapping))
	f.Add(unhex(f, "E0 7F 03 90 04 00 F0 71 48 00 F7 F0 6E 0D 01 01 F7"))
	f.Add(unhex(f, "F0 6C 00 01 F7 F0 F7 F7 E0"))
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, host := range []bool{false, true} {
			whole := firmata.Decoder{FromHost: host}
			a := whole.Feed(in)
			bytewise := firmata.Decoder{FromHost: host}
			var b []firmata.Message
			for i := range in {
				b = append(b, bytewise.Feed(in[i:i+1])...)
			}
			if len(a) != len(b) || whole.Bad != bytewise.Bad || whole.Stray != bytewise.Stray {
				t.Fatalf("split changes the result: %d/%d messages", len(a), len(b))
			}
			for _, m := range a {
				if m.Pin < 0 || m.Pin > 127 || m.Value < 0 || len(m.Pins) > firmata.MaxPins {
					t.Fatalf("out of range: %+v", m)
				}
			}
		}
		// A client fed garbage never panics and its readings stay valid.
		var c firmata.Client
		c.Start(nil)
		c.Feed(in, nil)
		for _, r := range c.Readings() {
			if r.Value < 0 || r.Value > 1<<14 {
				t.Fatalf("reading %v", r)
			}
		}
		// Nor does the emulator fed what a host might send.
		firmata.NewUno().Feed(in)
	})
}
