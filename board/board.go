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
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/thingyard/thingyard/board/firmata"
	"github.com/thingyard/thingyard/board/modbus"
	"github.com/thingyard/thingyard/board/plotter"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/sim/proto"
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
	if o.Protocol == "" {
		o.Protocol = Auto
	}
	if o.Device == "" {
		o.Device = DefaultDevice
	}
	if o.Baud <= 0 {
		o.Baud = DefaultBaud
	}
	if o.DetectFor <= 0 {
		o.DetectFor = DefaultDetectFor
	}
	if o.MaxRate <= 0 {
		o.MaxRate = DefaultMaxRate
	}
	if o.Slave == 0 {
		o.Slave = DefaultSlave
	}
	if o.Count == 0 {
		o.Count = DefaultCount
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.LEDPin <= 0 {
		o.LEDPin = DefaultLEDPin
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Console == nil {
		o.Console = func(string) {}
	}
	if o.SilentAfter <= 0 {
		o.SilentAfter = DefaultSilentAfter
	}
}

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

// stream reads a port from one goroutine, so detection, the decoders and
// the Modbus master (through SetReadDeadline) share one reader.
type stream struct {
	port io.ReadWriter
	ch   chan []byte
	done chan struct{} // closed when the port failed
	err  error

	mu       sync.Mutex
	pending  []byte
	deadline time.Time
}

func newStream(port io.ReadWriter) *stream {
	s := &stream{port: port, ch: make(chan []byte, 64), done: make(chan struct{})}
	go s.pump()
	return s
}

func (s *stream) pump() {
	for {
		buf := make([]byte, 512)
		n, err := s.port.Read(buf)
		if n > 0 {
			s.ch <- buf[:n]
		}
		if err != nil {
			if isTimeout(err) {
				continue // a port with a read timeout: keep reading
			}
			if errors.Is(err, io.EOF) {
				err = fmt.Errorf("board: the port closed (unplugged?): %w", err)
			}
			s.err = err
			close(s.done)
			return
		}
	}
}

func (s *stream) failed() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// unread puts bytes back before whatever comes next.
func (s *stream) unread(p []byte) {
	s.mu.Lock()
	s.pending = append(append([]byte(nil), p...), s.pending...)
	s.mu.Unlock()
}

// Discard drops what was read from the port and not yet taken, and
// returns how many bytes: the Modbus master's way to start a request on a
// quiet line.
func (s *stream) Discard() int {
	s.mu.Lock()
	n := len(s.pending)
	s.pending = nil
	s.mu.Unlock()
	for {
		select {
		case p := <-s.ch:
			n += len(p)
		default:
			return n
		}
	}
}

// next returns the next chunk, waiting until deadline (zero: no limit).
func (s *stream) next(ctx context.Context, deadline time.Time) ([]byte, error) {
	s.mu.Lock()
	if len(s.pending) > 0 {
		p := s.pending
		s.pending = nil
		s.mu.Unlock()
		return p, nil
	}
	s.mu.Unlock()
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		timeout = t.C
	}
	select {
	case p := <-s.ch:
		return p, nil
	default:
	}
	select {
	case p := <-s.ch:
		return p, nil
	case <-s.done:
		select {
		case p := <-s.ch:
			return p, nil
		default:
		}
		return nil, s.err
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-timeout:
		return nil, os.ErrDeadlineExceeded
	}
}

// Read and SetReadDeadline make the stream a port for the Modbus master.
func (s *stream) Read(p []byte) (int, error) {
	s.mu.Lock()
	dl := s.deadline
	s.mu.Unlock()
	chunk, err := s.next(context.Background(), dl)
	n := copy(p, chunk)
	if n < len(chunk) {
		s.unread(chunk[n:])
	}
	return n, err
}

func (s *stream) SetReadDeadline(t time.Time) error {
	s.mu.Lock()
	s.deadline = t
	s.mu.Unlock()
	return nil
}

func (s *stream) Write(p []byte) (int, error) {
	if err := s.failed(); err != nil {
		return 0, err
	}
	return s.port.Write(p)
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
