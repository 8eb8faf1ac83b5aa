//go:build !js

package controller_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wasm/controller"
	"github.com/thingyard/thingyard/wasm/ui"
)

func actPower(device string, on bool) sim.Action {
	return sim.Action{Kind: sim.ActPower, Device: device, On: on}
}

// port is a USB board's serial port: what the board prints is written to
// board, and what the page writes to it is kept in written.
type port struct {
	in        *io.PipeReader
	board     *io.PipeWriter
	unplugged atomic.Bool

	mu      sync.Mutex
	written bytes.Buffer
}

func newPort() *port {
	r, w := io.Pipe()
	return &port{in: r, board: w}
}

func (p *port) Read(b []byte) (int, error) { return p.in.Read(b) }
func (p *port) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.written.Write(b)
}
func (p *port) Close() error    { return p.in.Close() }
func (p *port) Unplugged() bool { return p.unplugged.Load() }

func (p *port) wrote() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.written.String()
}

// unplug ends the port as a board pulled out does.
func (p *port) unplug() {
	p.unplugged.Store(true)
	p.board.CloseWithError(io.EOF)
}

// serial is Web Serial: the person picks the port next, and a board
// plugged in again comes back through the reconnect it was given.
type serial struct {
	mu        sync.Mutex
	next      *port
	refuse    error
	reconnect func(controller.Port, error)
}

func (s *serial) Request(_ int, done func(controller.Port, error)) {
	s.mu.Lock()
	p, err := s.next, s.refuse
	s.mu.Unlock()
	if err != nil {
		done(nil, err)
		return
	}
	done(p, nil)
}

func (s *serial) OnReconnect(_ int, done func(controller.Port, error)) (stop func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reconnect = done
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.reconnect = nil
	}
}

func (s *serial) plugIn(p *port) bool {
	s.mu.Lock()
	done := s.reconnect
	s.mu.Unlock()
	if done == nil {
		return false
	}
	done(p, nil)
	return true
}

// powered reports whether the world's device id is switched on.
func powered(f *fixture, id string) bool {
	d, ok := f.c.World().Device(id)
	return ok && d.Powered
}

// powerLog is the power actions of the log for device id, as on/off.
func powerLog(f *fixture, id string) []bool {
	var out []bool
	for _, a := range f.c.Log() {
		if a.Kind == sim.ActPower && a.Device == id {
			out = append(out, a.On)
		}
	}
	return out
}

func TestBoardLifecycle(t *testing.T) {
	f := open(t, origin+"/", noServer)
	f.do(ui.LoadScene{Name: "real-board"})
	m := f.c.Model()
	p := newPort()
	f.serial.next = p
	f.c.ConnectBoard(ui.BoardChoice{Protocol: "plotter", Baud: 9600})
	f.until(t, func() (bool, string) {
		return m.Board.State == "open", "the board open, state " + m.Board.State
	})
	if m.Board.Device != "board" || m.Board.Protocol != "plotter" {
		t.Errorf("open board drives %q speaking %q", m.Board.Device, m.Board.Protocol)
	}
	if got := powerLog(f, "board"); len(got) != 1 || !got[0] {
		t.Errorf("power actions for the board %v, want it switched on once", got)
	}

	go p.board.Write([]byte("temp:21.5\n"))
	f.until(t, func() (bool, string) {
		return m.Board.Lines == 1 && strings.Contains(m.Board.Last, "21.5"), "the board's reading in the panel: " + m.Board.Last
	})
	f.until(t, func() (bool, string) {
		for _, a := range f.c.Log() {
			if a.Kind == sim.ActReading && a.Device == "board" {
				return true, ""
			}
		}
		return false, "the reading in the world's log"
	})

	f.do(ui.Act{Action: sim.Action{Kind: sim.ActCommand, Device: "board", On: true}})
	f.until(t, func() (bool, string) {
		return p.wrote() == "on\n", "the command written to the board: " + p.wrote()
	})
	if !strings.Contains(m.Board.Console, "> on") {
		t.Errorf("console %q, want the command echoed", m.Board.Console)
	}

	p.unplug()
	f.until(t, func() (bool, string) {
		return m.Board.State == "unplugged" && !powered(f, "board"), "the board unplugged and off, state " + m.Board.State
	})
	if got := powerLog(f, "board"); len(got) != 2 || got[1] {
		t.Errorf("power actions for the board %v, want on then off", got)
	}

	back := newPort()
	f.until(t, func() (bool, string) { return f.serial.plugIn(back), "the page waiting for the board to come back" })
	f.until(t, func() (bool, string) {
		return m.Board.State == "open" && powered(f, "board"), "the board open again, state " + m.Board.State
	})

	// Connecting another board ends this one: its port is closed.
	other := newPort()
	f.serial.next = other
	f.c.ConnectBoard(ui.BoardChoice{Protocol: "plotter", Baud: 9600})
	if _, err := back.board.Write([]byte("temp:99\n")); !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("the replaced board's port took a line (%v): it should be closed", err)
	}
	f.until(t, func() (bool, string) { return m.Board.State == "open", "the new board open, state " + m.Board.State })
	go other.board.Write([]byte("temp:30\n"))
	f.until(t, func() (bool, string) {
		return strings.Contains(m.Board.Last, "30"), "the new board's reading: " + m.Board.Last
	})
}

func TestBoardErrors(t *testing.T) {
	f := open(t, origin+"/", noServer)
	m := f.c.Model()
	f.c.ConnectBoard(ui.BoardChoice{Protocol: "morse", Baud: 9600})
	if note := f.page.lastNotice(); !strings.Contains(note, `unknown protocol "morse"`) {
		t.Errorf("notice %q for an unknown protocol", note)
	}
	f.c.ConnectBoard(ui.BoardChoice{Protocol: "modbus", Baud: 9600, Slave: 0, Count: 1})
	if note := f.page.lastNotice(); !strings.Contains(note, "slave") {
		t.Errorf("notice %q for Modbus slave 0", note)
	}
	f.serial.refuse = errors.New("no port selected")
	f.c.ConnectBoard(ui.BoardChoice{Protocol: "plotter", Baud: 9600})
	f.until(t, func() (bool, string) {
		return m.Board.State == "closed" && m.Board.Detail == "no port selected", "the refusal in the panel: " + m.Board.State + " " + m.Board.Detail
	})

	// The default scene has no board device: the board still connects,
	// and the page says where it would show.
	f.serial.refuse, f.serial.next = nil, newPort()
	f.c.ConnectBoard(ui.BoardChoice{Protocol: "plotter", Baud: 9600})
	f.until(t, func() (bool, string) { return m.Board.State == "open", "the board open, state " + m.Board.State })
	if note := f.page.lastNotice(); !strings.Contains(note, "no board device") {
		t.Errorf("notice %q in a scene without a board device", note)
	}
	f.do(ui.SendBoard{Text: "hello\n"})
	f.until(t, func() (bool, string) { return f.serial.next.wrote() == "hello\n", "the console's text on the port" })
}
