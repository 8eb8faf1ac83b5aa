// Package board joins a real board to a Thingyard world. A Session reads
// a board's byte stream, works out which of the three supported
// protocols it speaks (or is told), and turns what the board says into
// reading actions for one device of the world; a command action for
// that device goes back to the board in its protocol:
//
//   - the Arduino Serial Plotter format (board/plotter): lines such as
//     temp:21.5,light:300; a command is the line "on" or "off";
//   - StandardFirmata (board/firmata): the analog inputs A0… are the
//     readings; a command switches a pin (13, the LED, by default);
//   - Modbus RTU (board/modbus): holding registers polled from a slave
//     are the readings; a command writes a coil.
//
// The browser (through Web Serial) and the server (through a local
// serial port) run the same Session over their own io.ReadWriter.
package board

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/thingyard/thingyard/board/firmata"
	"github.com/thingyard/thingyard/board/modbus"
	"github.com/thingyard/thingyard/board/plotter"
	"github.com/thingyard/thingyard/sim"
)

// Session is one board joined to one device of a world.
type Session struct {
	opt   Options
	proto Protocol
	s     *stream

	guessed bool // auto took a board that answered nothing for a plotter sketch
	midLine bool // the console's last text left a line open (Run's goroutine only)

	mu     sync.Mutex // guards the protocol state below and writes
	plot   plotter.Decoder
	fc     firmata.Client
	master *modbus.Master
}

// Open starts a session on a port: with Protocol Auto it detects what the
// board speaks first (which takes up to DetectFor, and a Modbus probe).
// The session reads the port from its own goroutine until the port
// fails; close the port to end it.
func Open(ctx context.Context, port io.ReadWriter, opt Options) (*Session, error) {
	opt.fill()
	if _, err := ParseProtocol(string(opt.Protocol)); err != nil {
		return nil, err
	}
	s := &Session{opt: opt, proto: opt.Protocol, s: newStream(port)}
	s.master = modbus.NewMaster(s.s, opt.Baud)
	s.fc = firmata.Client{Inputs: opt.Inputs, SamplingMs: opt.SamplingMs}
	if s.proto == Auto {
		p, err := s.detect(ctx)
		if err != nil {
			return nil, err
		}
		s.proto = p
	}
	return s, nil
}

// Protocol is what the board speaks.
func (s *Session) Protocol() Protocol { return s.proto }

// Device is the world's device the board drives.
func (s *Session) Device() string { return s.opt.Device }

// Run reads the board until the port fails or ctx ends, passing each
// reading action to emit (at most MaxRate a second). Its error says why
// it ended: an unplugged board is an error like any other.
func (s *Session) Run(ctx context.Context, emit func(sim.Action)) error {
	switch s.proto {
	case Modbus:
		return s.runModbus(ctx, emit)
	case Firmata:
		s.mu.Lock()
		_, err := s.s.Write(s.fc.Start(nil))
		s.mu.Unlock()
		if err != nil {
			return fmt.Errorf("board: firmata handshake: %w", err)
		}
	}
	th := &thinner{gap: s.gap()}
	quiet := &watch{s: s, start: s.opt.Now()}
	for {
		chunk, err := s.s.next(ctx, earliest(th.due(), quiet.due()))
		if isTimeout(err) {
			quiet.check(s.opt.Now())
			s.reading(th, emit)
			continue
		}
		if err != nil {
			return err
		}
		s.mu.Lock()
		if s.proto == Firmata {
			reply, msgs, complete := s.fc.Feed(chunk, nil)
			if len(reply) > 0 {
				if _, err := s.s.Write(reply); err != nil {
					s.mu.Unlock()
					return err
				}
			}
			quiet.got(len(chunk), len(msgs) > 0)
			for _, m := range msgs {
				s.console(firmataText(m))
			}
			if complete {
				th.add(s.fc.Readings())
			}
		} else {
			s.console(string(chunk))
			lines := s.plot.Feed(chunk)
			quiet.got(len(chunk), len(lines) > 0)
			for _, rs := range lines {
				th.add(rs)
			}
		}
		s.mu.Unlock()
		quiet.check(s.opt.Now())
		s.reading(th, emit)
	}
}

// earliest is the earlier of two deadlines, zero meaning none.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// gap is the least time between two reading actions: 1/MaxRate. A board
// printing at about MaxRate loses nothing to jitter: a line that comes a
// little early waits for the rest of the gap.
func (s *Session) gap() time.Duration {
	return time.Duration(float64(time.Second) / s.opt.MaxRate)
}

// reading emits the readings th holds once the gap since the last action
// has passed; until then they wait, merged with newer ones, so the latest
// value of every name arrives.
func (s *Session) reading(th *thinner, emit func(sim.Action)) {
	if rs := th.take(s.opt.Now()); rs != nil {
		emit(sim.Action{Kind: sim.ActReading, Device: s.opt.Device, Readings: rs})
	}
}

func (s *Session) runModbus(ctx context.Context, emit func(sim.Action)) error {
	s.master.Timeout = modbus.DefaultTimeout
	t := time.NewTicker(s.opt.Poll)
	defer t.Stop()
	th := &thinner{gap: s.gap()}
	silent := false // the person was told the slave does not answer
	for {
		s.mu.Lock()
		regs, err := s.master.ReadHoldingRegisters(s.opt.Slave, s.opt.Register, s.opt.Count)
		s.mu.Unlock()
		switch {
		case err == nil:
			rs := make([]sim.Reading, len(regs))
			for i, v := range regs {
				rs[i] = sim.Reading{Name: "hr" + strconv.Itoa(int(s.opt.Register)+i), Value: float64(v)}
			}
			s.console(fmt.Sprintf("slave %d holding %d..: %v\n", s.opt.Slave, s.opt.Register, regs))
			if silent {
				silent = false
				s.notify(false, fmt.Sprintf("Modbus slave %d answers now.", s.opt.Slave))
			}
			th.add(rs)
		case s.s.failed() != nil:
			return s.s.failed()
		default:
			s.console(err.Error() + "\n")
			if !silent {
				silent = true
				s.notify(true, s.modbusSilence(err))
			}
		}
		s.reading(th, emit)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Handle carries out an action if it is a command for the session's
// device, and reports whether it was.
func (s *Session) Handle(act sim.Action) (bool, error) {
	if act.Kind != sim.ActCommand || act.Device != s.opt.Device {
		return false, nil
	}
	return true, s.Command(act.On)
}

// commandTries is how many times a Modbus command is written before its
// error is returned: twice.
const commandTries = 2

// Command switches the board on or off in its protocol: the line "on" or
// "off" for a plotter sketch, the LED pin for Firmata, a coil for Modbus
// (written a second time when the slave's echo does not come or comes
// garbled).
func (s *Session) Command(on bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch s.proto {
	case Firmata:
		_, err := s.s.Write(s.fc.DigitalWrite(nil, s.opt.LEDPin, on))
		return err
	case Modbus:
		// A write the slave may not have heard, or whose echo was lost or
		// garbled, is written again: a coil written twice is as written
		// once (the master waits out the line in between).
		var err error
		for range commandTries {
			err = s.master.WriteSingleCoil(s.opt.Slave, s.opt.Coil, on)
			if !errors.Is(err, modbus.ErrTimeout) && !errors.Is(err, modbus.ErrGarbled) {
				return err
			}
		}
		return fmt.Errorf("board: coil %d of slave %d not confirmed in %d tries: %w", s.opt.Coil, s.opt.Slave, commandTries, err)
	}
	line := "off\n"
	if on {
		line = "on\n"
	}
	_, err := s.s.Write([]byte(line))
	return err
}

// Write sends raw bytes to the board (the console's send box).
func (s *Session) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.s.Write(p)
}

// Firmata is the session's Firmata client, for PWM and servo writes; use
// it only with Write, under no other lock.
func (s *Session) Firmata() *firmata.Client { return &s.fc }

func firmataText(m firmata.Message) string {
	switch m.Kind {
	case firmata.KindVersion:
		return fmt.Sprintf("Firmata protocol %d.%d\n", m.Major, m.Minor)
	case firmata.KindFirmware:
		return fmt.Sprintf("firmware %s %d.%d\n", m.Name, m.Major, m.Minor)
	case firmata.KindCapabilities:
		return fmt.Sprintf("%d pins\n", len(m.Pins))
	case firmata.KindString:
		return "board says: " + m.Name + "\n"
	case firmata.KindAnalog:
		return fmt.Sprintf("A%d=%d ", m.Pin, m.Value)
	case firmata.KindDigital:
		return fmt.Sprintf("port %d=%08b ", m.Port, m.Value)
	}
	return ""
}
