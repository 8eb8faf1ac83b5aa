//go:build js && wasm

package main

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/thingyard/thingyard/board"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wasm/ui"
	"github.com/thingyard/thingyard/wasm/webserial"
	"github.com/thingyard/thingyard/wire"
)

// boardLink is the browser's real board: a Web Serial port read by a
// board.Session (the same code the server runs for -serial) on its own
// goroutine. What the session reports reaches the game loop on in, so
// the world changes only there.
type boardLink struct {
	in chan boardEvent

	mu            sync.Mutex
	sess          *board.Session
	port          *webserial.Port
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

// connectBoard runs inside the click on "Connect a board", as Web Serial
// requires for choosing a port.
func (a *app) connectBoard(ch ui.BoardChoice) {
	p, err := board.ParseProtocol(ch.Protocol)
	if err != nil {
		notice(err.Error())
		return
	}
	opt := board.Options{Protocol: p, Baud: ch.Baud}
	if p == board.Modbus {
		if err := board.CheckModbus(ch.Slave, ch.Register, ch.Count, ch.Coil); err != nil {
			notice(err.Error())
			return
		}
		opt.Slave, opt.Register, opt.Count, opt.Coil = byte(ch.Slave), uint16(ch.Register), uint16(ch.Count), uint16(ch.Coil)
	}
	l := &a.brd
	gen := l.stop()
	webserial.Request(ch.Baud, func(port *webserial.Port, err error) {
		if err != nil {
			l.push(boardEvent{gen: gen, state: "closed", detail: err.Error()})
			return
		}
		go l.run(gen, port, opt, a.board.Device)
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
func (l *boardLink) run(gen int, port *webserial.Port, opt board.Options, device string) {
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
		stop := webserial.OnReconnect(opt.Baud, func(np *webserial.Port, err error) {
			if err != nil {
				l.push(boardEvent{gen: gen, state: "error", detail: err.Error()})
				return
			}
			go l.run(gen, np, opt, device)
		})
		l.mu.Lock()
		l.stopReconnect = stop
		l.mu.Unlock()
		return
	}
	l.push(boardEvent{gen: gen, state: "error", detail: err.Error()})
}

// session is the open board's session, or nil.
func (l *boardLink) session() *board.Session {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sess
}

// boardEvents applies what the board link reported, on the game loop.
func (a *app) boardEvents() bool {
	changed := false
	for {
		var ev boardEvent
		select {
		case ev = <-a.brd.in:
		default:
			return changed
		}
		changed = true
		if ev.gen != a.brd.gen {
			continue // from a connection since replaced
		}
		switch {
		case ev.console != "":
			a.console(ev.console)
		case ev.reading != nil:
			rs := ev.reading.Readings
			a.board.Lines++
			a.board.Last = ui.ReadingsText(rs)
			if a.board.Device != "" {
				a.apply(*ev.reading)
			}
		case ev.state != "":
			a.boardState(ev)
		}
	}
}

func (a *app) boardState(ev boardEvent) {
	was := a.board.State
	a.board.State, a.board.Detail = ev.state, ev.detail
	switch ev.state {
	case "detecting":
		a.board.Device = a.boardDevice()
		if a.board.Device == "" {
			notice("This scene has no board device: choose the real-board scene to see your board in the world.")
		}
	case "open":
		a.board.Protocol = string(ev.protocol)
		if a.board.Device != "" {
			a.apply(sim.Action{Kind: sim.ActPower, Device: a.board.Device, On: true})
			if a.room != nil {
				a.room.Send(wire.KindBoard, wire.Board{Device: a.board.Device})
			}
		}
	case "unplugged", "closed", "error":
		if was == "open" && a.board.Device != "" {
			a.apply(sim.Action{Kind: sim.ActPower, Device: a.board.Device, On: false})
		}
	}
}

// boardDevice is the world's first device of kind board.
func (a *app) boardDevice() string {
	for _, d := range a.scene.Devices {
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
func (a *app) toBoard(act sim.Action) {
	s := a.brd.session()
	if act.Kind != sim.ActCommand || s == nil || act.Device != a.board.Device {
		return
	}
	word := "off"
	if act.On {
		word = "on"
	}
	a.console("> " + word + "\n")
	go func() {
		if _, err := s.Handle(act); err != nil {
			a.brd.push(boardEvent{gen: a.brd.gen, console: "command not written: " + err.Error() + "\n"})
		}
	}()
}

// boardCommand handles a command envelope the room addressed to the
// member holding the board.
func (a *app) boardCommand(body json.RawMessage) {
	var c wire.Command
	if json.Unmarshal(body, &c) == nil {
		a.toBoard(sim.Action{Kind: sim.ActCommand, Device: c.Device, On: c.On})
	}
}

// sendBoard writes the console's text to the board as it is.
func (a *app) sendBoard(text string) {
	s := a.brd.session()
	if s == nil {
		notice("No board is connected.")
		return
	}
	a.console("> " + text)
	go s.Write([]byte(text))
}

// consoleMax is how much of the board's output the console keeps.
const consoleMax = 2000

func (a *app) console(s string) {
	c := a.board.Console + s
	if len(c) > consoleMax {
		c = c[len(c)-consoleMax:]
	}
	a.board.Console = c
}
