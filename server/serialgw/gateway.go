// Package serialgw joins a board plugged into the server's machine to a
// live room (-serial): the board's readings become the room's reading
// envelopes, the room's commands for its device are written to the board,
// and an unplugged board is reopened with backoff.
package serialgw

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.bug.st/serial"

	"github.com/thingyard/thingyard/board"
	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// Reopening an unplugged board: the first retry waits reopenFirst, each
// next one twice as long, up to reopenMax.
const (
	reopenFirst = 250 * time.Millisecond
	reopenMax   = 5 * time.Second
)

// Config is what the -serial flags set: a board plugged into the
// machine that runs the server, joined to a live room as a gateway.
type Config struct {
	path, protocol, room, device, scene string
	baud                                int
	slave, register, count, coil        uint
	detect                              time.Duration
	rate                                float64
}

// Flags defines the -serial flags on fl.
func (c *Config) Flags(fl *flag.FlagSet) {
	fl.StringVar(&c.path, "serial", "", "serial port of a board to join to a room (e.g. /dev/ttyACM0, COM3)")
	fl.IntVar(&c.baud, "baud", board.DefaultBaud, "the board's baud rate (StandardFirmata talks at 57600)")
	fl.StringVar(&c.protocol, "serial-protocol", "auto", "what the board speaks: auto, plotter, firmata or modbus")
	fl.StringVar(&c.room, "serial-room", "", "live room the board joins (made with the scene -serial-scene if new)")
	fl.StringVar(&c.device, "serial-device", board.DefaultDevice, "the room's device the board drives")
	fl.StringVar(&c.scene, "serial-scene", "real-board", "scene of the room when the board makes it")
	fl.UintVar(&c.slave, "modbus-slave", board.DefaultSlave, "Modbus RTU: the slave address polled")
	fl.UintVar(&c.register, "modbus-register", 0, "Modbus RTU: the first holding register read")
	fl.UintVar(&c.count, "modbus-count", board.DefaultCount, "Modbus RTU: how many holding registers are read")
	fl.UintVar(&c.coil, "modbus-coil", 0, "Modbus RTU: the coil an on/off command writes")
	fl.Float64Var(&c.rate, "serial-rate", board.DefaultMaxRate, "readings a second the board may send the room at most; a faster board is thinned, each reading with the latest value of every name")
	fl.DurationVar(&c.detect, "serial-detect", board.DefaultDetectFor, "with auto: how long to listen for Firmata or plotter lines before probing Modbus")
}

// Check says what is wrong with the flags, if anything.
func (c *Config) Check() error {
	if c.path == "" {
		if c.room != "" {
			return errors.New("-serial-room needs -serial PORT")
		}
		return nil
	}
	if c.room == "" {
		return errors.New("-serial needs -serial-room ID: the live room the board joins (8 to 64 letters, digits, - or _)")
	}
	if _, err := board.ParseProtocol(c.protocol); err != nil {
		return fmt.Errorf("-serial-protocol: %w", err)
	}
	if c.baud < 50 || c.baud > 4_000_000 {
		return fmt.Errorf("-baud %d: want a rate such as 9600, 57600 or 115200", c.baud)
	}
	if err := board.CheckModbus(int(c.slave), int(c.register), int(c.count), int(c.coil)); err != nil {
		v := map[string]uint{"slave": c.slave, "register": c.register, "count": c.count, "coil": c.coil}
		field := err.(*board.ModbusError).Field
		return fmt.Errorf("-modbus-%s %d: %w", field, v[field], err)
	}
	if c.rate <= 0 || c.rate > 10000 {
		return fmt.Errorf("-serial-rate %g: between 0 and 10000 readings a second", c.rate)
	}
	if _, err := scenes.Builtin(c.scene); err != nil {
		return fmt.Errorf("-serial-scene: %w", err)
	}
	return nil
}

func (c *Config) options() board.Options {
	p, _ := board.ParseProtocol(c.protocol)
	return board.Options{Protocol: p, Device: c.device, Baud: c.baud, DetectFor: c.detect, MaxRate: c.rate,
		Slave: byte(c.slave), Register: uint16(c.register), Count: uint16(c.count), Coil: uint16(c.coil)}
}

// gateway holds a local board for a room: the board's readings go to the
// room as reading envelopes, the room's commands for its device come
// back and are written to the board. An unplugged board makes the
// device offline and is reopened with backoff; nothing else stops.
type gateway struct {
	cfg  Config
	room *relay.Local
	log  *slog.Logger
	// open opens the port (go.bug.st/serial; tests may swap it).
	open func(path string, baud int) (serial.Port, error)

	mu   sync.Mutex
	sess *board.Session // nil while the board is away
}

// Start joins the configured board's room and runs its gateway
// until ctx ends. Without -serial it does nothing.
func Start(ctx context.Context, cfg Config, rel *relay.Relay, log *slog.Logger) error {
	if cfg.path == "" {
		return nil
	}
	l, err := rel.JoinLocal(cfg.room, cfg.scene)
	if err != nil {
		return fmt.Errorf("-serial-room %s: %w", cfg.room, err)
	}
	g := &gateway{cfg: cfg, room: l, log: log.With("serial", cfg.path, "room", cfg.room, "device", cfg.device),
		open: func(path string, baud int) (serial.Port, error) {
			return serial.Open(path, &serial.Mode{BaudRate: baud})
		}}
	if err := l.Send(wire.KindBoard, wire.Board{Device: cfg.device}); err != nil {
		return err
	}
	go g.commands(ctx)
	go func() {
		g.run(ctx)
		l.Leave()
	}()
	return nil
}

// run opens the board, serves it until it goes, and opens it again.
func (g *gateway) run(ctx context.Context) {
	wait := reopenFirst
	for ctx.Err() == nil {
		err := g.serve(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			g.log.Warn("board away; reopening", "err", err, "in", wait)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, reopenMax)
		if err == nil {
			wait = reopenFirst
		}
	}
}

// serve is one plugged-in spell of the board.
func (g *gateway) serve(ctx context.Context) error {
	port, err := g.open(g.cfg.path, g.cfg.baud)
	if err != nil {
		return fmt.Errorf("open port %s: %w", g.cfg.path, err)
	}
	defer port.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { <-ctx.Done(); port.Close() }()
	opt := g.cfg.options()
	opt.Notice = g.notice
	sess, err := board.Open(ctx, port, opt)
	if err != nil {
		return err
	}
	g.log.Info("board connected", "protocol", sess.Protocol(), "baud", g.cfg.baud)
	g.set(sess)
	g.action(sim.Action{Kind: sim.ActPower, Device: g.cfg.device, On: true})
	err = sess.Run(ctx, g.action)
	g.set(nil)
	if ctx.Err() == nil {
		g.log.Warn("board unplugged", "err", err)
		g.action(sim.Action{Kind: sim.ActPower, Device: g.cfg.device, On: false})
	}
	return nil
}

// notice tells the log and the room what the session says of a board that
// does not answer (what it was asked, what to check), and that it answers
// after all: the room gets it as a board announcement with a note, which
// every page in the room receives.
func (g *gateway) notice(silent bool, text string) {
	if silent {
		g.log.Warn("board not answering", "why", text)
	} else {
		g.log.Info("board answering", "what", text)
	}
	if err := g.room.Send(wire.KindBoard, wire.Board{Device: g.cfg.device, Note: text, Silent: silent}); err != nil {
		g.log.Warn("the room did not take the board's note", "err", err)
	}
}

func (g *gateway) set(s *board.Session) {
	g.mu.Lock()
	g.sess = s
	g.mu.Unlock()
}

// action sends the room an action of the board's, at the room's next
// tick a member may schedule.
func (g *gateway) action(a sim.Action) {
	a.At = wire.Tick(g.room.Now()) + wire.Lead
	if err := a.Check(); err != nil {
		g.log.Warn("dropped a board action", "err", err)
		return
	}
	kind := wire.KindAction
	if a.Kind == sim.ActReading {
		kind = wire.KindReading
	}
	if err := g.room.Send(kind, a); err != nil {
		g.log.Warn("room refused a board action", "err", err)
	}
}

// commands carries the room's commands for the board's device to it:
// command actions anyone applies to the world, and command envelopes
// addressed to the member holding the board.
func (g *gateway) commands(ctx context.Context) {
	for {
		e, err := g.room.Next(ctx)
		if err != nil {
			if ctx.Err() == nil {
				g.log.Error("the gateway left its room", "err", err)
			}
			return
		}
		var on bool
		switch e.Kind {
		case wire.KindAction:
			var a sim.Action
			if json.Unmarshal(e.Body, &a) != nil || a.Kind != sim.ActCommand || a.Device != g.cfg.device {
				continue
			}
			on = a.On
		case wire.KindCommand:
			var c wire.Command
			if json.Unmarshal(e.Body, &c) != nil || c.Device != g.cfg.device {
				continue
			}
			on = c.On
		case wire.KindError:
			g.log.Warn("the room refused a message of the board's", "body", string(e.Body))
			continue
		default:
			continue
		}
		g.mu.Lock()
		s := g.sess
		g.mu.Unlock()
		if s == nil {
			g.log.Info("command for an unplugged board dropped", "on", on)
			continue
		}
		if err := s.Command(on); err != nil {
			g.log.Warn("command not written to the board", "on", on, "err", err)
		} else {
			g.log.Info("command written to the board", "on", on, "from", e.From)
		}
	}
}
