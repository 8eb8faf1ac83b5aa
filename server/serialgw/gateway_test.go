package serialgw

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/thingyard/thingyard/board/boardtest"
	"github.com/thingyard/thingyard/board/firmata"
	"github.com/thingyard/thingyard/internal/testkit"
	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/server/api/apitest"
	"github.com/thingyard/thingyard/server/gate"
	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// startServer runs a relay on a free port with the gateway that args
// (the -serial flags) configure, and returns its address; relay sets the
// relay's options beyond the defaults.
func startServer(t testing.TB, relay relay.Options, args ...string) string {
	t.Helper()
	addr, _ := startServerLog(t, relay, args...)
	return addr
}

// startServerLog is startServer that also returns the server's log.
func startServerLog(t testing.TB, opt relay.Options, args ...string) (string, *testkit.Buffer) {
	t.Helper()
	var logs testkit.Buffer
	addr, err := serve(t, opt, &logs, args...)
	if err != nil {
		t.Fatalf("-serial %v: %v", args, err)
	}
	return addr, &logs
}

// serve parses args as the server does and starts the gateway beside a
// relay served on a loopback port, until the test ends.
func serve(t testing.TB, opt relay.Options, logs io.Writer, args ...string) (string, error) {
	t.Helper()
	fl := flag.NewFlagSet("thingyard serve", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	var cfg Config
	cfg.Flags(fl)
	if err := fl.Parse(args); err != nil {
		return "", err
	}
	if err := cfg.Check(); err != nil {
		return "", err
	}
	log := slog.New(slog.NewTextHandler(logs, nil))
	opt.Scenes, opt.Gate = scenes.Names(), gate.New(gate.Limits{}, nil)
	rel := relay.New(opt, log)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go rel.Run(ctx)
	srv := httptest.NewServer(rel)
	t.Cleanup(srv.Close)
	if err := Start(ctx, cfg, rel, log); err != nil {
		return "", err
	}
	return strings.TrimPrefix(srv.URL, "http://"), nil
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
			addr := startServer(t, relay.Options{}, append([]string{"-serial", cable.Host, "-serial-room", room}, tt.args...)...)

			browser := apitest.Dial(t, addr, room)
			browser.Action(t, "the board online", power(true))
			r := browser.Action(t, "a reading", readingOf(tt.readings))
			if r.At <= 0 {
				t.Errorf("reading at tick %d", r.At)
			}
			// Someone in the room commands the board on: a command action
			// (what the inspector's button sends).
			browser.Send(t, wire.KindAction, sim.Action{Kind: sim.ActCommand, Device: "board", On: true, At: r.At + wire.Lead})
			testkit.Eventually(t, 10*time.Second, "the command at the board", led)
			// A command envelope goes to the member holding the board.
			browser.Send(t, wire.KindCommand, wire.Command{Device: "board", On: false})
			if !tt.libmod {
				testkit.Eventually(t, 10*time.Second, "the off command at the board", func() bool { return !led() })
			}

			// Unplugged: the device goes offline; plugged back, it is
			// reopened and reads again. A second browser joining in
			// between sees it all from the room's log.
			cable.Unplug()
			stop()
			browser.Action(t, "the board offline", power(false))
			cable.Plug()
			stop = plug()
			browser.Action(t, "the board back online", power(true))
			browser.Action(t, "a reading after the replug", readingOf(tt.readings))
			late := apitest.Dial(t, addr, room)
			late.Action(t, "the log's reading", readingOf(tt.readings))
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
	for _, tt := range tests {
		_, err := serve(t, relay.Options{}, io.Discard, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want %q", tt.args, err, tt.want)
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
			addr, logs := startServerLog(t, relay.Options{}, append([]string{"-serial", cable.Host, "-serial-room", room}, tt.args...)...)
			page := apitest.Dial(t, addr, room)
			note := boardNote(t, page)
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
func boardNote(t *testing.T, m *apitest.WS) wire.Board {
	t.Helper()
	for {
		e := m.Next(t, "a board note")
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
