package board

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/thingyard/thingyard/board/firmata"
	"github.com/thingyard/thingyard/board/plotter"
	"github.com/thingyard/thingyard/sim/proto"
)

// Sniff says what the first bytes from a board look like: Firmata when
// they hold a version report (0xF9, major 2, minor), Plotter when they
// hold a complete line that reads as numbers, "" while it is not clear.
func Sniff(p []byte) Protocol {
	for i := 0; i+2 < len(p); i++ {
		if p[i] == firmata.ReportVersion && p[i+1] == 2 && p[i+2] < 0x80 {
			return Firmata
		}
	}
	var d plotter.Decoder
	if len(d.Feed(p)) > 0 {
		return Plotter
	}
	return ""
}

// modbusQuiet is how long the line stays quiet after the last Firmata
// query before a Modbus probe: longer than libmodbus' default byte
// timeout (500 ms), after which a slave drops a partial frame.
const modbusQuiet = 600 * time.Millisecond

// modbusProbe is how long detection waits for a slave's answer to its
// probe: a one-register read's reply is 7 bytes, 8 ms at 9600 baud, and
// a slave may take a few tens of ms to turn around. Shorter than a poll's
// timeout (modbus.DefaultTimeout), so a board that is not a Modbus slave
// is passed over quickly.
const modbusProbe = 300 * time.Millisecond

// detect asks for a Firmata version, listens for it or for plotter
// lines, and else probes a Modbus slave; a board that says nothing is
// taken for a plotter sketch that has not printed yet.
func (s *Session) detect(ctx context.Context) (Protocol, error) {
	var seen []byte
	// Ask at once and then each second, but not in the last
	// modbusQuiet: a bootloader may have eaten a query, and a Modbus
	// slave must have dropped the stray byte before it is probed.
	end := s.opt.Now().Add(s.opt.DetectFor)
	deadline, nextAsk := end, s.opt.Now()
	for {
		now := s.opt.Now()
		if !nextAsk.IsZero() && !now.Before(nextAsk) {
			if _, err := s.s.Write(firmata.AppendVersionQuery(nil)); err != nil {
				return "", fmt.Errorf("board: detect: %w", err)
			}
			if quiet := now.Add(modbusQuiet); quiet.After(deadline) {
				deadline = quiet
			}
			nextAsk = nextAsk.Add(time.Second)
			if nextAsk.Add(modbusQuiet).After(end) {
				nextAsk = time.Time{}
			}
		}
		if !now.Before(deadline) {
			break
		}
		wait := deadline
		if !nextAsk.IsZero() && nextAsk.Before(wait) {
			wait = nextAsk
		}
		chunk, err := s.s.next(ctx, wait)
		if err != nil && !isTimeout(err) {
			return "", fmt.Errorf("board: detect: %w", err)
		}
		seen = append(seen, chunk...)
		if p := Sniff(seen); p != "" {
			if p == Plotter {
				// End the line our queries left in the sketch's input.
				if _, err := s.s.Write([]byte("\n")); err != nil {
					return "", fmt.Errorf("board: detect: %w", err)
				}
			}
			s.s.unread(seen)
			return p, nil
		}
		if len(seen) > 64<<10 {
			seen = seen[len(seen)-4096:]
		}
	}
	// Silence, or bytes that are neither: ask a Modbus slave, twice, as
	// the first request may reach it glued to the Firmata query.
	s.master.Timeout = modbusProbe
	for try := 0; try < 2; try++ {
		_, err := s.master.ReadHoldingRegisters(s.opt.Slave, s.opt.Register, 1)
		var ex proto.ModbusException
		if err == nil || errors.As(err, &ex) {
			return Modbus, nil
		}
		if s.s.failed() != nil {
			return "", fmt.Errorf("board: detect: %w", s.s.failed())
		}
	}
	// A plotter sketch that has said nothing yet: end the line the
	// queries left in its input, so its first command reads clean.
	if _, err := s.s.Write([]byte("\n")); err != nil {
		return "", fmt.Errorf("board: detect: %w", err)
	}
	s.s.unread(seen)
	s.guessed = true
	return Plotter, nil
}
