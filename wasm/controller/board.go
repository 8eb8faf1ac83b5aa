package controller

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/thingyard/thingyard/board"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wasm/ui"
	"github.com/thingyard/thingyard/wire"
)

// boardLink is the browser's real board: a serial port read by a
// board.Session (the same code the server runs for -serial) on its own
// goroutine. What the session reports reaches the game loop on in, so
// the world changes only there.
type boardLink struct {
	in chan boardEvent

	mu            sync.Mutex
	sess          *board.Session
	port          Port
	cancel        context.CancelFunc
	stopReconnect func()
	gen           int // which connection the events belong to
}

// boardEvent is one thing the board link reported.
type boardEvent struct {
	gen      int
	state    string // "detecting", "open", "closed", "unplugged", "error"
	detail   string
	protocol board.Protocol
	console  string
	reading  *sim.Action
}

func newBoardLink() boardLink { return boardLink{in: make(chan boardEvent, 1024)} }

// push hands the game loop an event without blocking; when the loop is
// far behind, console text and readings are dropped first.
func (l *boardLink) push(ev boardEvent) {
	select {
	case l.in <- ev:
	default:
	}
}

// ConnectBoard connects the board ch says: it runs inside the click on
// "Connect a board", as Web Serial requires for choosing a port.
func (c *Controller) ConnectBoard(ch ui.BoardChoice) {
	p, err := board.ParseProtocol(ch.Protocol)
	if err != nil {
		c.page.Notice(err.Error())
		return
	}
	opt := board.Options{Protocol: p, Baud: ch.Baud}
	if p == board.Modbus {
		if err := board.CheckModbus(ch.Slave, ch.Register, ch.Count, ch.Coil); err != nil {
			c.page.Notice(err.Error())
			return
		}
		opt.Slave, opt.Register, opt.Count, opt.Coil = byte(ch.Slave), uint16(ch.Register), uint16(ch.Count), uint16(ch.Coil)
	}
	l := &c.brd
	gen := l.stop()
	device := c.board.Device
	c.serial.Request(ch.Baud, func(port Port, err error) {
		if err != nil {
			l.push(boardEvent{gen: gen, state: "closed", detail: err.Error()})
			return
		}
		go l.run(c.serial, gen, port, opt, device)
	})
}

// stop closes the current connection, if any, and returns the number of
// the next one.
func (l *boardLink) stop() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cancel != nil {
		l.cancel()
	}
	if l.port != nil {
		l.port.Close()
	}
	if l.stopReconnect != nil {
		l.stopReconnect()
	}
	l.sess, l.port, l.cancel, l.stopReconnect = nil, nil, nil, nil
	l.gen++
	return l.gen
}

// run detects what the board speaks and reads it until it goes; an
// unplugged board is opened again when the browser sees it come back.
func (l *boardLink) run(serial Serial, gen int, port Port, opt board.Options, device string) {
	ctx, cancel := context.WithCancel(context.Background())
	l.mu.Lock()
	if gen != l.gen {
		l.mu.Unlock()
		cancel()
		port.Close()
		return
	}
	l.port, l.cancel = port, cancel
	l.mu.Unlock()
	l.push(boardEvent{gen: gen, state: "detecting"})
	if device == "" {
		device = board.DefaultDevice
	}
	opt.Device = device
	opt.Console = func(s string) { l.push(boardEvent{gen: gen, console: s}) }
	sess, err := board.Open(ctx, port, opt)
	if err == nil {
		l.mu.Lock()
		l.sess = sess
		l.mu.Unlock()
		l.push(boardEvent{gen: gen, state: "open", protocol: sess.Protocol()})
		err = sess.Run(ctx, func(act sim.Action) { l.push(boardEvent{gen: gen, reading: &act}) })
	}
	l.mu.Lock()
	current := gen == l.gen
	if current {
		l.sess = nil
	}
	l.mu.Unlock()
	port.Close()
	if !current || ctx.Err() != nil {
		return
	}
	if port.Unplugged() {
		l.push(boardEvent{gen: gen, state: "unplugged", detail: "the board was unplugged"})
		stop := serial.OnReconnect(opt.Baud, func(np Port, err error) {
			if err != nil {
				l.push(boardEvent{gen: gen, state: "error", detail: err.Error()})
				return
			}
			go l.run(serial, gen, np, opt, device)
		})
		l.mu.Lock()
		if gen == l.gen {
			l.stopReconnect = stop
			stop = nil
		}
		l.mu.Unlock()
		if stop != nil { // stopped meanwhile
			stop()
		}
		return
	}
	l.push(boardEvent{gen: gen, state: "error", detail: err.Error()})
}

// current is the number of the current connection.
func (l *boardLink) current() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.gen
}

// session is the open board's session, or nil.
func (l *boardLink) session() *board.Session {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sess
}

// boardEvents applies what the board link reported, on the game loop.
func (c *Controller) boardEvents() bool {
	changed := false
	for {
		var ev boardEvent
		select {
		case ev = <-c.brd.in:
		default:
			return changed
		}
		changed = true
		if ev.gen != c.brd.current() {
			continue // from a connection since replaced
		}
		switch {
		case ev.console != "":
			c.console(ev.console)
		case ev.reading != nil:
			rs := ev.reading.Readings
			c.board.Lines++
			c.board.Last = ui.ReadingsText(rs)
			if c.board.Device != "" {
				c.apply(*ev.reading)
			}
		case ev.state != "":
			c.boardState(ev)
		}
	}
}

func (c *Controller) boardState(ev boardEvent) {
	was := c.board.State
	c.board.State, c.board.Detail = ev.state, ev.detail
	switch ev.state {
	case "detecting":
		c.board.Device = c.boardDevice()
		if c.board.Device == "" {
			c.page.Notice("This scene has no board device: choose the real-board scene to see your board in the world.")
		}
	case "open":
		c.board.Protocol = string(ev.protocol)
		if c.board.Device != "" {
			c.apply(sim.Action{Kind: sim.ActPower, Device: c.board.Device, On: true})
			if c.room != nil {
				c.room.Send(wire.KindBoard, wire.Board{Device: c.board.Device})
			}
		}
	case "unplugged", "closed", "error":
		if was == "open" && c.board.Device != "" {
			c.apply(sim.Action{Kind: sim.ActPower, Device: c.board.Device, On: false})
		}
	}
}

// boardDevice is the world's first device of kind board.
func (c *Controller) boardDevice() string {
	for _, d := range c.scene.Devices {
		if d.Kind == sim.KindBoard.String() {
			return d.ID
		}
	}
	return ""
}

// toBoard carries a command for the board device to the real board, in
// the protocol it speaks (an "on"/"off" line, a Firmata pin, a Modbus
// coil). The write runs off the game loop: a Modbus slave's echo takes a
// while.
func (c *Controller) toBoard(act sim.Action) {
	s := c.brd.session()
	if act.Kind != sim.ActCommand || s == nil || act.Device != c.board.Device {
		return
	}
	word := "off"
	if act.On {
		word = "on"
	}
	c.console("> " + word + "\n")
	gen := c.brd.current()
	go func() {
		if _, err := s.Handle(act); err != nil {
			c.brd.push(boardEvent{gen: gen, console: "command not written: " + err.Error() + "\n"})
		}
	}()
}

// boardCommand handles a command envelope the room addressed to the
// member holding the board.
func (c *Controller) boardCommand(body json.RawMessage) {
	var wc wire.Command
	if err := json.Unmarshal(body, &wc); err != nil {
		c.page.Info("a board command of the room: " + err.Error())
		return
	}
	c.toBoard(sim.Action{Kind: sim.ActCommand, Device: wc.Device, On: wc.On})
}

// sendBoard writes the console's text to the board as it is.
func (c *Controller) sendBoard(text string) {
	s := c.brd.session()
	if s == nil {
		c.page.Notice("No board is connected.")
		return
	}
	c.console("> " + text)
	gen := c.brd.current()
	go func() {
		if _, err := s.Write([]byte(text)); err != nil {
			c.brd.push(boardEvent{gen: gen, console: "not written: " + err.Error() + "\n"})
		}
	}()
}

// consoleMax is how much of the board's output the console keeps.
const consoleMax = 2000

func (c *Controller) console(s string) {
	all := c.board.Console + s
	if len(all) > consoleMax {
		all = all[len(all)-consoleMax:]
	}
	c.board.Console = all
}
