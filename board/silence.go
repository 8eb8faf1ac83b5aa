package board

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/thingyard/thingyard/board/modbus"
	"github.com/thingyard/thingyard/sim/proto"
)

// DefaultSilentAfter is how long a plotter or Firmata board may say
// nothing in its protocol before the session tells a person (5 s: an Uno
// resets when its port opens and its bootloader waits about 1.5 s, and a
// sketch may print once a second or two).
const DefaultSilentAfter = 5 * time.Second

// notify tells a person how the board answers: on a line of its own in
// the console (what the page's Real board panel shows) and to Notice.
// silent says whether the board stopped answering or answers again.
func (s *Session) notify(silent bool, text string) {
	line := text + "\n"
	if s.midLine {
		line = "\n" + line
	}
	s.console(line)
	if s.opt.Notice != nil {
		s.opt.Notice(silent, text)
	}
}

// console writes to Console, minding whether the text left a line open.
func (s *Session) console(text string) {
	if text == "" {
		return
	}
	s.midLine = !strings.HasSuffix(text, "\n")
	s.opt.Console(text)
}

// watch follows whether a plotter or Firmata board answers, to tell a
// person once when it has said nothing in its protocol for SilentAfter,
// and once when it speaks after all.
type watch struct {
	s      *Session
	start  time.Time
	bytes  int  // bytes that came, whatever they were
	heard  bool // the board said something in its protocol
	silent bool // the person was told it does not answer
}

// due is when the board has been quiet too long, or zero when it spoke or
// the person was told.
func (w *watch) due() time.Time {
	if w.heard || w.silent {
		return time.Time{}
	}
	return w.start.Add(w.s.opt.SilentAfter)
}

// check tells the person, once, that the board has said nothing in its
// protocol since the session started.
func (w *watch) check(now time.Time) {
	if d := w.due(); !d.IsZero() && !now.Before(d) {
		w.silent = true
		w.s.notify(true, w.s.silence(w.bytes))
	}
}

// got counts n bytes from the board, valid when they held something in
// its protocol (a plotter line of numbers, a Firmata message).
func (w *watch) got(n int, valid bool) {
	w.bytes += n
	if !valid || w.heard {
		return
	}
	w.heard = true
	if w.silent {
		w.silent = false
		w.s.notify(false, w.s.answers())
	}
}

// firmataHow is how a person gets StandardFirmata onto a board.
const firmataHow = "StandardFirmata is uploaded (Arduino IDE: File > Examples > Firmata > StandardFirmata)"

// plotterHow is what a plotter sketch prints.
const plotterHow = "the sketch prints a line of numbers such as temp:21.5,light:300 (its Serial.begin sets the baud; the examples use 115200)"

// silence says what a plotter or Firmata board was asked, that it did not
// answer, and what to check; n bytes came that were not its protocol.
func (s *Session) silence(n int) string {
	after := s.opt.SilentAfter
	if s.proto == Firmata {
		asked := fmt.Sprintf("asked the board for StandardFirmata's version, firmware and pins at %d baud", s.opt.Baud)
		if n > 0 {
			return fmt.Sprintf("The board says nothing in Firmata: %s, and in %v %d bytes came that were not Firmata. Check the baud rate (StandardFirmata talks at %d), and that %s; a sketch that prints lines is read as plotter lines.", asked, after, n, FirmataBaud, firmataHow)
		}
		return fmt.Sprintf("No answer from the board: %s, and nothing came back in %v. Check the baud rate (StandardFirmata talks at %d), that %s, and the USB cable and port.", asked, after, FirmataBaud, firmataHow)
	}
	var why string
	if s.guessed {
		why = fmt.Sprintf(" Finding out what it speaks, neither a Firmata version query nor a Modbus read of slave %d got an answer, so it is taken for a plotter sketch that has not printed yet.", s.opt.Slave)
	}
	if n > 0 {
		return fmt.Sprintf("No readings from the board: in %v at %d baud %d bytes came, but no line of numbers.%s Check the baud rate, and that %s.", after, s.opt.Baud, n, why, plotterHow)
	}
	return fmt.Sprintf("Nothing from the board in %v at %d baud.%s Check the baud rate, that %s, and the USB cable and port.", after, s.opt.Baud, why, plotterHow)
}

// answers says that a board that had been silent speaks.
func (s *Session) answers() string {
	if s.proto == Firmata {
		return "The board answers in Firmata now."
	}
	return "Readings come from the board now."
}

// modbusSilence says what a Modbus slave was asked, how it did not
// answer (err, from a read of its holding registers), and what to check.
func (s *Session) modbusSilence(err error) string {
	o := &s.opt
	asked := fmt.Sprintf("asked slave %d for %d holding registers from %d (function 3) at %d baud", o.Slave, o.Count, o.Register, o.Baud)
	if o.Count == 1 {
		asked = fmt.Sprintf("asked slave %d for holding register %d (function 3) at %d baud", o.Slave, o.Register, o.Baud)
	}
	var ex proto.ModbusException
	switch {
	case errors.Is(err, modbus.ErrTimeout):
		return fmt.Sprintf("No answer from Modbus slave %d: %s, and no reply came in %v (%v). Check the baud rate (the slave's must be %d, 8 data bits, no parity, 1 stop bit), the wiring (RS-485 A and B swapped, no common ground, the adapter's TX and RX), and that the slave's address is %d.",
			o.Slave, asked, s.master.Timeout, err, o.Baud, o.Slave)
	case errors.Is(err, modbus.ErrGarbled):
		return fmt.Sprintf("No valid answer from Modbus slave %d: %s, and bytes came that did not form its reply (%v). Check the baud rate and framing (the slave's must be %d, 8 data bits, no parity, 1 stop bit), the wiring (RS-485 A and B, termination), and that no other master shares the line.",
			o.Slave, asked, err, o.Baud)
	case errors.As(err, &ex):
		return fmt.Sprintf("Modbus slave %d refused: %s, and it answered with an exception (%v). Check the first register and how many are read: the slave must have them as holding registers.", o.Slave, asked, err)
	}
	return fmt.Sprintf("Modbus slave %d does not answer: %s: %v.", o.Slave, asked, err)
}
