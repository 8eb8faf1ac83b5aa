package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/thingyard/thingyard"
	"github.com/thingyard/thingyard/board/boardtest"
	"github.com/thingyard/thingyard/board/firmata"
	"github.com/thingyard/thingyard/internal/testkit"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// syncBuf is an output the server writes while the test reads it.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// startServer runs the real program (run) with args on a free port and
// returns its address.
func startServer(t testing.TB, args ...string) string {
	t.Helper()
	addr, _ := startServerLog(t, args...)
	return addr
}

// startServerLog is startServer that also returns the server's log.
func startServerLog(t testing.TB, args ...string) (string, *syncBuf) {
	t.Helper()
	// -dev serves a page from the working directory: these tests need the
	// relay, not a built WebAssembly program.
	t.Chdir(t.TempDir())
	if err := os.WriteFile("index.html", []byte("<!doctype html><title>t</title>"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuf
	var runErr error
	finished := make(chan struct{})
	go func() {
		runErr = run(ctx, append([]string{"serve", "-dev", "-store", "memory", "-addr", "127.0.0.1:0"}, args...), &stdout, &stderr)
		close(finished)
	}()
	t.Cleanup(func() {
		cancel()
		<-finished
		if runErr != nil {
			t.Errorf("server: %v", runErr)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", stderr.String())
		}
	})
	re := regexp.MustCompile(`serving on http://([^/]+)/`)
	var addr string
	testkit.Eventually(t, 10*time.Second, "the server to listen", func() bool {
		select {
		case <-finished:
			t.Fatalf("server ended: %v\n%s", runErr, stderr.String())
		default:
		}
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			addr = m[1]
		}
		return addr != ""
	})
	return addr, &stderr
}

// member is a WebSocket client in a room, as a browser is.
type member struct {
	t    testing.TB
	conn *websocket.Conn
	ctx  context.Context
}

func joinRoom(t testing.TB, addr, room string) *member {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	conn, _, err := websocket.Dial(ctx, "ws://"+addr+"/ws?room="+room, nil)
	if err != nil {
		t.Fatalf("join %s: %v", room, err)
	}
	conn.SetReadLimit(1 << 20)
	t.Cleanup(func() { conn.CloseNow() })
	return &member{t: t, conn: conn, ctx: ctx}
}

func (m *member) send(kind string, body any) {
	m.t.Helper()
	b, _ := json.Marshal(body)
	frame, _ := json.Marshal(wire.Envelope{Kind: kind, Body: b})
	if err := m.conn.Write(m.ctx, websocket.MessageText, frame); err != nil {
		m.t.Fatalf("send: %v", err)
	}
}

// action waits for the next action or reading envelope that holds an
// action matching want.
func (m *member) action(what string, want func(sim.Action) bool) sim.Action {
	m.t.Helper()
	for {
		_, data, err := m.conn.Read(m.ctx)
		if err != nil {
			m.t.Fatalf("waiting for %s: %v", what, err)
		}
		var e wire.Envelope
		json.Unmarshal(data, &e)
		if e.Kind == wire.KindWelcome {
			var w wire.Welcome
			json.Unmarshal(e.Body, &w)
			for _, le := range w.Log {
				var a sim.Action
				if json.Unmarshal(le.Body, &a) == nil && (le.Kind == wire.KindAction || le.Kind == wire.KindReading) && want(a) {
					return a
				}
			}
			continue
		}
		if e.Kind != wire.KindAction && e.Kind != wire.KindReading {
			continue
		}
		var a sim.Action
		if err := json.Unmarshal(e.Body, &a); err != nil {
			m.t.Fatalf("bad action %s", e.Body)
		}
		if want(a) {
			return a
		}
	}
}

func readingOf(names string) func(sim.Action) bool {
	return func(a sim.Action) bool {
		var got []string
		for _, r := range a.Readings {
			got = append(got, r.Name)
		}
		return a.Kind == sim.ActReading && a.Device == "board" && strings.Join(got, " ") == names
	}
}

func power(on bool) func(sim.Action) bool {
	return func(a sim.Action) bool { return a.Kind == sim.ActPower && a.Device == "board" && a.On == on }
}

// A board on a pty joins a live room through the server: its readings
// reach a browser in the room, commands from the room reach the board
// (as a command action and as a command envelope), and an unplug makes
// the device offline until the board is back.
func TestSerialGateway(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		board    func(ctx context.Context, t *testing.T, port io.ReadWriter) (led func() bool)
		libmod   bool
		readings string
	}{
		{"plotter sketch", nil, func(ctx context.Context, t *testing.T, port io.ReadWriter) func() bool {
			sk := &boardtest.Sketch{Period: 20 * time.Millisecond}
			go sk.Serve(ctx, port)
			return sk.LED
		}, false, "temp light"},
		{"StandardFirmata", []string{"-baud", "57600"}, func(ctx context.Context, t *testing.T, port io.ReadWriter) func() bool {
			u := firmata.NewUno()
			u.SetAnalog(2, 700)
			go u.Serve(ctx, port, 1)
			return func() bool { _, v := u.Pin(13); return v == 1 }
		}, false, "A0 A1 A2 A3 A4 A5"},
		{"Modbus RTU slave (libmodbus)", []string{"-baud", "9600", "-serial-protocol", "modbus", "-modbus-slave", "17", "-modbus-register", "1", "-modbus-count", "2"},
			nil, true, "hr1 hr2"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cable := boardtest.NewCable(t)
			room := fmt.Sprintf("bench-%d-room", i)
			var led func() bool
			plug := func() context.CancelFunc {
				ctx, cancel := context.WithCancel(context.Background())
				if tt.libmod {
					boardtest.Libmodbus(t, cable.Board)
					led = func() bool { return true }
				} else {
					led = tt.board(ctx, t, boardtest.Open(t, cable.Board))
				}
				return cancel
			}
			stop := plug()
			defer func() { stop() }()
			addr := startServer(t, append([]string{"-serial", cable.Host, "-serial-room", room}, tt.args...)...)

			browser := joinRoom(t, addr, room)
			browser.action("the board online", power(true))
			r := browser.action("a reading", readingOf(tt.readings))
			if r.At <= 0 {
				t.Errorf("reading at tick %d", r.At)
			}
			// Someone in the room commands the board on: a command action
			// (what the inspector's button sends).
			browser.send(wire.KindAction, sim.Action{Kind: sim.ActCommand, Device: "board", On: true, At: r.At + wire.Lead})
			testkit.Eventually(t, 10*time.Second, "the command at the board", led)
			// A command envelope goes to the member holding the board.
			browser.send(wire.KindCommand, wire.Command{Device: "board", On: false})
			if !tt.libmod {
				testkit.Eventually(t, 10*time.Second, "the off command at the board", func() bool { return !led() })
			}

			// Unplugged: the device goes offline; plugged back, it is
			// reopened and reads again. A second browser joining in
			// between sees it all from the room's log.
			cable.Unplug()
			stop()
			browser.action("the board offline", power(false))
			cable.Plug()
			stop = plug()
			browser.action("the board back online", power(true))
			browser.action("a reading after the replug", readingOf(tt.readings))
			late := joinRoom(t, addr, room)
			late.action("the log's reading", readingOf(tt.readings))
		})
	}
}

func TestSerialFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-serial", "/dev/ttyACM0"}, "-serial needs -serial-room"},
		{[]string{"-serial-room", "classroom"}, "-serial-room needs -serial"},
		{[]string{"-serial", "/dev/x", "-serial-room", "classroom", "-serial-protocol", "midi"}, "valid: auto, plotter, firmata, modbus"},
		{[]string{"-serial", "/dev/x", "-serial-room", "classroom", "-baud", "0"}, "-baud 0"},
		{[]string{"-serial", "/dev/x", "-serial-room", "classroom", "-modbus-slave", "300"}, "1 to 247"},
		{[]string{"-serial", "/dev/x", "-serial-room", "classroom", "-modbus-count", "40"}, "-modbus-count 40: read 1 to 32 registers"},
		{[]string{"-serial", "/dev/x", "-serial-room", "classroom", "-modbus-register", "65535", "-modbus-count", "2"}, "-modbus-count 2: 2 registers from 65535 run past"},
		{[]string{"-serial", "/dev/x", "-serial-room", "classroom", "-modbus-coil", "70000"}, "-modbus-coil 70000: a coil is 0 to 65535"},
		{[]string{"-serial", "/dev/x", "-serial-room", "bad room!"}, "-serial-room bad room!"},
	}
	t.Chdir(t.TempDir())
	os.WriteFile("index.html", []byte("<!doctype html>"), 0o644)
	for _, tt := range tests {
		err := run(context.Background(), append([]string{"serve", "-dev", "-store", "memory", "-addr", "127.0.0.1:0"}, tt.args...), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want %q", tt.args, err, tt.want)
		}
	}
}

// The ready-to-flash examples travel inside the binary, served beside the
// page, so a classroom machine has them without the repository.
func TestExamplesAreEmbedded(t *testing.T) {
	for _, name := range []string{"README.md", "plotter/plotter.ino", "micropython/main.py", "modbus/modbus_slave.ino"} {
		want, err := os.ReadFile("../assets/boards/" + name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := fs.ReadFile(thingyard.Web, "assets/boards/"+name)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: embedded %d bytes, %v", name, len(got), err)
		}
	}
}

// A board that does not answer is said so in the log and to the pages in
// its room (a board announcement with a note): what was asked, of what,
// and what to check (baud, wiring, slave address, the sketch).
func TestSerialSilentBoard(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"Modbus slave 17", []string{"-baud", "9600", "-serial-protocol", "modbus", "-modbus-slave", "17"},
			[]string{"No answer from Modbus slave 17", "at 9600 baud", "Check the baud rate", "the wiring", "the slave's address is 17"}},
		{"StandardFirmata", []string{"-baud", "57600", "-serial-protocol", "firmata"},
			[]string{"No answer from the board", "StandardFirmata's version", "at 57600 baud", "Check the baud rate", "StandardFirmata is uploaded", "cable"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cable := boardtest.NewCable(t)
			boardtest.Open(t, cable.Board) // open, and never a word
			room := fmt.Sprintf("silent-%d-room", i)
			addr, logs := startServerLog(t, append([]string{"-serial", cable.Host, "-serial-room", room}, tt.args...)...)
			page := joinRoom(t, addr, room)
			note := page.boardNote()
			if !note.Silent {
				t.Errorf("the page got a note %+v not marked silent", note)
			}
			for _, w := range tt.want {
				if !strings.Contains(note.Note, w) {
					t.Errorf("the page's note does not say %q:\n%s", w, note.Note)
				}
			}
			testkit.Eventually(t, 20*time.Second, "a log line that the board does not answer", func() bool {
				return strings.Contains(logs.String(), "board not answering")
			})
			var line string
			for _, l := range strings.Split(logs.String(), "\n") {
				if strings.Contains(l, "board not answering") {
					line = l
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(line, w) {
					t.Errorf("the log line does not say %q:\n%s", w, line)
				}
			}
		})
	}
}

// boardNote waits for a board announcement with a note, in the welcome's
// log or live.
func (m *member) boardNote() wire.Board {
	m.t.Helper()
	for {
		_, data, err := m.conn.Read(m.ctx)
		if err != nil {
			m.t.Fatalf("waiting for a board note: %v", err)
		}
		var e wire.Envelope
		json.Unmarshal(data, &e)
		envs := []wire.Envelope{e}
		if e.Kind == wire.KindWelcome {
			var w wire.Welcome
			json.Unmarshal(e.Body, &w)
			envs = w.Log
		}
		for _, e := range envs {
			var b wire.Board
			if e.Kind == wire.KindBoard && json.Unmarshal(e.Body, &b) == nil && b.Note != "" {
				return b
			}
		}
	}
}
