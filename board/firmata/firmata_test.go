package firmata_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/thingyard/thingyard/board/firmata"
)

// unhex reads bytes written as hex with spaces, newlines and # comments.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	var clean strings.Builder
	for _, line := range strings.Split(s, "\n") {
		line, _, _ = strings.Cut(line, "#")
		clean.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(clean.String())
	if err != nil {
		t.Fatalf("bad hex in test: %v", err)
	}
	return b
}

// The bytes StandardFirmata 2.5 (firmata/arduino, FirmataConstants.h:
// firmware 2.5, protocol 2.5) writes on an Arduino Uno, byte for byte as
// StandardFirmata.ino and Boards.h (ATmega328P, NUM_ANALOG_INPUTS 6)
// produce them. They are written out here by hand, not by this package's
// encoder, so the decoder and the emulator are both checked against them.
const (
	// At start-up: Firmata.begin sends REPORT_VERSION, then REPORT_FIRMWARE
	// with the sketch's file name as two 7-bit bytes per character.
	capBoot = `
F9 02 05                      # protocol version 2.5
F0 79 02 05                   # firmware 2.5, then "StandardFirmata.ino"
53 00 74 00 61 00 6E 00 64 00 61 00 72 00 64 00
46 00 69 00 72 00 6D 00 61 00 74 00 61 00 2E 00 69 00 6E 00 6F 00
F7`
	// The reply to F0 6B F7: per pin its (mode, resolution) pairs, 7F
	// after each pin. 0=input 0B=pullup 01=output 02=analog(10 bits)
	// 03=pwm(8 bits) 04=servo(14 bits) 06=i2c.
	capCapabilities = `
F0 6C
7F                                       # pin 0 (RX): nothing
7F                                       # pin 1 (TX): nothing
00 01 0B 01 01 01 04 0E 7F               # pin 2
00 01 0B 01 01 01 03 08 04 0E 7F         # pin 3 (PWM)
00 01 0B 01 01 01 04 0E 7F               # pin 4
00 01 0B 01 01 01 03 08 04 0E 7F         # pin 5 (PWM)
00 01 0B 01 01 01 03 08 04 0E 7F         # pin 6 (PWM)
00 01 0B 01 01 01 04 0E 7F               # pin 7
00 01 0B 01 01 01 04 0E 7F               # pin 8
00 01 0B 01 01 01 03 08 04 0E 7F         # pin 9 (PWM)
00 01 0B 01 01 01 03 08 04 0E 7F         # pin 10 (PWM)
00 01 0B 01 01 01 03 08 04 0E 7F         # pin 11 (PWM)
00 01 0B 01 01 01 04 0E 7F               # pin 12
00 01 0B 01 01 01 04 0E 7F               # pin 13 (LED)
00 01 0B 01 01 01 02 0A 04 0E 7F         # pin 14 = A0
00 01 0B 01 01 01 02 0A 04 0E 7F         # pin 15 = A1
00 01 0B 01 01 01 02 0A 04 0E 7F         # pin 16 = A2
00 01 0B 01 01 01 02 0A 04 0E 7F         # pin 17 = A3
00 01 0B 01 01 01 02 0A 04 0E 06 01 7F   # pin 18 = A4, SDA
00 01 0B 01 01 01 02 0A 04 0E 06 01 7F   # pin 19 = A5, SCL
F7`
	// The reply to F0 69 F7: 7F for pins without an analog channel.
	capMapping = `F0 6A 7F 7F 7F 7F 7F 7F 7F 7F 7F 7F 7F 7F 7F 7F 00 01 02 03 04 05 F7`
)

func TestDecodeCaptures(t *testing.T) {
	var d firmata.Decoder
	msgs := d.Feed(unhex(t, capBoot+capCapabilities+capMapping+`
E0 7F 03    # A0 = 511
E5 00 08    # A5 = 1024 (0x400)
90 04 00    # port 0: pin 2 high
91 00 01    # port 1: bit 7 is pin 15
F0 71 48 00 69 00 F7   # STRING_DATA "Hi"
F0 6E 0D 01 01 F7      # pin 13 is an output, high
`))
	if d.Bad != 0 || d.Stray != 0 {
		t.Fatalf("bad %d stray %d (%v)", d.Bad, d.Stray, d.Last)
	}
	want := []string{
		"version 2.5", "firmware 2.5 StandardFirmata.ino", "capabilities 20 pins", "mapping 20",
		"analog 0=511", "analog 5=1024", "digital 0=4", "digital 1=128", "string Hi", "pinstate 13 output 1",
	}
	var got []string
	for _, m := range msgs {
		got = append(got, describe(m))
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	caps := msgs[2].Pins
	if !reflect.DeepEqual(caps, firmata.UnoCapabilities()) {
		t.Errorf("capabilities differ from the Uno's:\n%v\n%v", caps, firmata.UnoCapabilities())
	}
	if len(caps[3]) != 5 || caps[3][3] != (firmata.Capability{Mode: firmata.ModePWM, Resolution: 8}) {
		t.Errorf("pin 3: %v", caps[3])
	}
	if len(caps[0]) != 0 || len(caps[19]) != 6 {
		t.Errorf("pin 0 %v, pin 19 %v", caps[0], caps[19])
	}
	if !bytes.Equal(msgs[3].Mapping, firmata.UnoMapping()) {
		t.Errorf("mapping %v", msgs[3].Mapping)
	}
}

func describe(m firmata.Message) string {
	switch m.Kind {
	case firmata.KindVersion:
		return fmt.Sprintf("version %d.%d", m.Major, m.Minor)
	case firmata.KindFirmware:
		return fmt.Sprintf("firmware %d.%d %s", m.Major, m.Minor, m.Name)
	case firmata.KindCapabilities:
		return fmt.Sprintf("capabilities %d pins", len(m.Pins))
	case firmata.KindAnalogMapping:
		return fmt.Sprintf("mapping %d", len(m.Mapping))
	case firmata.KindAnalog:
		return fmt.Sprintf("analog %d=%d", m.Pin, m.Value)
	case firmata.KindDigital:
		return fmt.Sprintf("digital %d=%d", m.Port, m.Value)
	case firmata.KindString:
		return "string " + m.Name
	case firmata.KindPinState:
		return fmt.Sprintf("pinstate %d %s %d", m.Pin, m.Mode, m.Value)
	case firmata.KindExtendedAnalog:
		return fmt.Sprintf("extanalog %d=%d", m.Pin, m.Value)
	case firmata.KindSysex:
		return fmt.Sprintf("sysex %02X % X", m.Sysex, m.Data)
	case firmata.KindVersionQuery:
		return "version?"
	case firmata.KindReset:
		return "reset"
	case firmata.KindReportAnalog:
		return fmt.Sprintf("report analog %d %d", m.Pin, m.Value)
	case firmata.KindReportDigital:
		return fmt.Sprintf("report digital %d %d", m.Port, m.Value)
	case firmata.KindSetPinMode:
		return fmt.Sprintf("mode %d %s", m.Pin, m.Mode)
	case firmata.KindSetDigitalPin:
		return fmt.Sprintf("pin %d=%d", m.Pin, m.Value)
	}
	return fmt.Sprintf("kind %d", m.Kind)
}

// The stream survives whatever a line carries: every split, noise before
// the board starts (a bootloader, a previous sketch's text), a message
// cut by a new command, an overlong sysex.
func TestDecoderKeepsTheStream(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      []string
		bad, skip int
	}{
		{"noise before the version", "74 65 6D 70 0A F9 02 05", []string{"version 2.5"}, 0, 5},
		{"cut by a command", "E0 05 E1 10 00", []string{"analog 1=16"}, 1, 0},
		{"sysex cut by a command", "F0 71 41 E0 01 00", []string{"analog 0=1"}, 1, 0},
		{"end without start", "F7 E0 01 00", []string{"analog 0=1"}, 0, 1},
		{"unknown sysex", "F0 0B 01 02 F7", []string{"sysex 0B 01 02"}, 0, 0},
		{"empty sysex", "F0 F7 F9 02 05", []string{"version 2.5"}, 1, 0},
		{"capability without 7F", "F0 6C 00 01 F7", nil, 1, 0},
		{"capability odd", "F0 6C 00 7F F7", nil, 1, 0},
		{"extended analog", "F0 6F 10 7F 7F 01 F7", []string{"extanalog 16=32767"}, 0, 0},
		{"host commands ignored from a board", "F4 0D 01 E0 01 00", []string{"analog 0=1"}, 0, 3},
	}
	for _, tt := range tests {
		in := unhex(t, tt.in)
		// Fed whole and one byte at a time, the result is the same.
		for _, split := range []int{len(in), 1} {
			var d firmata.Decoder
			var got []string
			for i := 0; i < len(in); i += split {
				for _, m := range d.Feed(in[i:min(i+split, len(in))]) {
					got = append(got, describe(m))
				}
			}
			if !reflect.DeepEqual(got, tt.want) || d.Bad != tt.bad || d.Stray != tt.skip {
				t.Errorf("%s (split %d): got %q bad %d stray %d, want %q bad %d stray %d (%v)",
					tt.name, split, got, d.Bad, d.Stray, tt.want, tt.bad, tt.skip, d.Last)
			}
		}
	}
	var d firmata.Decoder
	long := append([]byte{0xF0, 0x71}, bytes.Repeat([]byte{0x41}, firmata.MaxSysex+10)...)
	long = append(long, 0xF7, 0xF9, 2, 5)
	got := d.Feed(long)
	if len(got) != 1 || got[0].Kind != firmata.KindVersion || d.Bad != 1 {
		t.Errorf("overlong sysex: %v, bad %d", got, d.Bad)
	}
}

// What a host sends, decoded as a board does, matched against the bytes
// the specification gives for each command.
func TestEncodeHostCommands(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
		msg  string
	}{
		{"version query", firmata.AppendVersionQuery(nil), "F9", "version?"},
		{"firmware query", firmata.AppendFirmwareQuery(nil), "F0 79 F7", "sysex 79 "},
		{"capability query", firmata.AppendCapabilityQuery(nil), "F0 6B F7", "sysex 6B "},
		{"analog mapping query", firmata.AppendAnalogMappingQuery(nil), "F0 69 F7", "sysex 69 "},
		{"report A2", firmata.AppendReportAnalog(nil, 2, true), "C2 01", "report analog 2 1"},
		{"report port 1 off", firmata.AppendReportDigital(nil, 1, false), "D1 00", "report digital 1 0"},
		{"pin 13 output", firmata.AppendSetPinMode(nil, 13, firmata.ModeOutput), "F4 0D 01", "mode 13 output"},
		{"pin 13 high", firmata.AppendSetDigitalPin(nil, 13, true), "F5 0D 01", "pin 13=1"},
		{"port 1 = pins 8 and 13", firmata.AppendDigitalPort(nil, 1, 0x21), "91 21 00", "digital 1=33"},
		{"port 0 = pin 7", firmata.AppendDigitalPort(nil, 0, 0x80), "90 00 01", "digital 0=128"},
		{"PWM pin 9 at 200", firmata.AppendAnalogWrite(nil, 9, 200), "E9 48 01", "analog 9=200"},
		{"PWM pin 16 (extended)", firmata.AppendAnalogWrite(nil, 16, 200), "F0 6F 10 48 01 F7", "extanalog 16=200"},
		{"servo config pin 9", firmata.AppendServoConfig(nil, 9, 544, 2400), "F0 70 09 20 04 60 12 F7", "sysex 70 09 20 04 60 12"},
		{"sampling 100 ms", firmata.AppendSamplingInterval(nil, 100), "F0 7A 64 00 F7", "sysex 7A 64 00"},
		{"reset", firmata.AppendReset(nil), "FF", "reset"},
	}
	for _, tt := range tests {
		if want := unhex(t, tt.want); !bytes.Equal(tt.got, want) {
			t.Errorf("%s: % X, want % X", tt.name, tt.got, want)
		}
		d := firmata.Decoder{FromHost: true}
		msgs := d.Feed(tt.got)
		if len(msgs) != 1 || describe(msgs[0]) != tt.msg {
			var got []string
			for _, m := range msgs {
				got = append(got, describe(m))
			}
			t.Errorf("%s decoded as a board would: %q, want %q", tt.name, got, tt.msg)
		}
	}
}

// The emulator answers the handshake with exactly the captured bytes.
func TestUnoAnswersLikeStandardFirmata(t *testing.T) {
	u := firmata.NewUno()
	if got, want := u.Boot(), unhex(t, capBoot); !bytes.Equal(got, want) {
		t.Errorf("boot:\n% X\nwant\n% X", got, want)
	}
	tests := []struct{ ask, want string }{
		{"F9", "F9 02 05"},
		{"F0 6B F7", capCapabilities},
		{"F0 69 F7", capMapping},
		{"F0 79 F7", capBoot[strings.Index(capBoot, "F0"):]},
		{"F0 6D 0D F7", "F0 6E 0D 01 00 F7"}, // pin 13: output, low
		{"F0 6D 0E F7", "F0 6E 0E 02 00 F7"}, // pin 14: analog
	}
	for _, tt := range tests {
		if got := u.Feed(unhex(t, tt.ask)); !bytes.Equal(got, unhex(t, tt.want)) {
			t.Errorf("ask %s:\n% X\nwant\n% X", tt.ask, got, unhex(t, tt.want))
		}
	}
}
