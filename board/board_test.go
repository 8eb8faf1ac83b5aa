package board_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/thingyard/thingyard/board"
	"github.com/thingyard/thingyard/board/boardtest"
	"github.com/thingyard/thingyard/board/firmata"
	"github.com/thingyard/thingyard/internal/testkit"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/sim/proto"
)

func TestSniff(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want board.Protocol
	}{
		{"firmata boot", "\xF9\x02\x05\xF0\x79", board.Firmata},
		{"firmata after bootloader noise", "\x00\x14\x10\xF9\x02\x05", board.Firmata},
		{"version cut", "\xF9\x02", ""},
		{"plotter line", "temp:21.5,light:300\r\n", board.Plotter},
		{"plotter after a partial line", "ht:300\r\ntemp:21.5\r\n", board.Plotter},
		{"partial line", "temp:21.5", ""},
		{"text that is not numbers", "hello world\r\n", ""},
		{"nothing", "", ""},
	}
	for _, tt := range tests {
		if got := board.Sniff([]byte(tt.in)); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestParseProtocol(t *testing.T) {
	for _, s := range []string{"", "auto", "plotter", "firmata", "modbus"} {
		if _, err := board.ParseProtocol(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	if _, err := board.ParseProtocol("midi"); err == nil || !strings.Contains(err.Error(), "valid: auto, plotter") {
		t.Errorf("midi: %v", err)
	}
}

// collect gathers a session's readings.
type collect struct {
	mu   sync.Mutex
	acts []sim.Action
}

func (c *collect) emit(a sim.Action) { c.mu.Lock(); c.acts = append(c.acts, a); c.mu.Unlock() }
func (c *collect) n() int            { c.mu.Lock(); defer c.mu.Unlock(); return len(c.acts) }
func (c *collect) last() sim.Action  { c.mu.Lock(); defer c.mu.Unlock(); return c.acts[len(c.acts)-1] }

// Each kind of board on a pty, detected with nothing said about it, its
// readings turned into actions and a command carried to it.
func TestSessionOnEachBoard(t *testing.T) {
	tests := []struct {
		name    string
		plug    func(t *testing.T, ctx context.Context, cable *boardtest.Cable) (commanded func() bool)
		opt     board.Options
		want    board.Protocol
		reading string // the names and values of a reading
	}{
		{"plotter sketch", func(t *testing.T, ctx context.Context, c *boardtest.Cable) func() bool {
			sk := &boardtest.Sketch{Period: 20 * time.Millisecond}
			go sk.Serve(ctx, boardtest.Open(t, c.Board))
			return sk.LED
		}, board.Options{}, board.Plotter, "temp light"},
		{"StandardFirmata", func(t *testing.T, ctx context.Context, c *boardtest.Cable) func() bool {
			u := firmata.NewUno()
			u.SetAnalog(0, 321)
			go u.Serve(ctx, boardtest.Open(t, c.Board), 4)
			return func() bool { _, v := u.Pin(13); return v == 1 }
		}, board.Options{}, board.Firmata, "A0 A1 A2 A3 A4 A5"},
		{"libmodbus slave", func(t *testing.T, ctx context.Context, c *boardtest.Cable) func() bool {
			boardtest.Libmodbus(t, c.Board)
			return func() bool { return true } // a nil error from Command is the slave's echo
		}, board.Options{Slave: 17, Register: 2, Count: 3, Baud: 9600, DetectFor: 300 * time.Millisecond, Poll: 50 * time.Millisecond},
			board.Modbus, "hr2 hr3 hr4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cable := boardtest.NewCable(t)
			commanded := tt.plug(t, ctx, cable)
			port := boardtest.Open(t, cable.Host)
			s, err := board.Open(ctx, port, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if s.Protocol() != tt.want {
				t.Fatalf("detected %q, want %q", s.Protocol(), tt.want)
			}
			var got collect
			done := make(chan error, 1)
			go func() { done <- s.Run(ctx, got.emit) }()
			testkit.Eventually(t, 10*time.Second, "a reading", func() bool { return got.n() >= 2 })
			a := got.last()
			var names []string
			for _, r := range a.Readings {
				names = append(names, r.Name)
			}
			if a.Kind != sim.ActReading || a.Device != "board" || strings.Join(names, " ") != tt.reading {
				t.Errorf("reading %+v, want names %q", a, tt.reading)
			}
			if err := a.Check(); err != nil {
				t.Error(err)
			}
			if ok, err := s.Handle(sim.Action{Kind: sim.ActCommand, Device: "board", On: true}); !ok || err != nil {
				t.Fatalf("command: %v %v", ok, err)
			}
			if ok, _ := s.Handle(sim.Action{Kind: sim.ActCommand, Device: "fan", On: true}); ok {
				t.Error("a command for another device was taken")
			}
			testkit.Eventually(t, 5*time.Second, "the command at the board", commanded)

			// Unplugged: Run ends with an error.
			cable.Unplug()
			select {
			case err := <-done:
				if err == nil {
					t.Error("Run ended without an error after the unplug")
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not notice the unplug")
			}
		})
	}
	_ = fmt.Sprint
}

// A protocol given by hand is used without detection; a silent board
// under auto is taken for a plotter sketch that has not printed yet.
func TestSessionOverride(t *testing.T) {
	ctx := context.Background()
	cable := boardtest.NewCable(t)
	board0 := boardtest.Open(t, cable.Board)
	s, err := board.Open(ctx, boardtest.Open(t, cable.Host), board.Options{Protocol: board.Firmata})
	if err != nil || s.Protocol() != board.Firmata {
		t.Fatalf("%v %v", s.Protocol(), err)
	}
	s, err = board.Open(ctx, boardtest.Open(t, cable.Host), board.Options{DetectFor: 200 * time.Millisecond, Slave: 5})
	if err != nil || s.Protocol() != board.Plotter {
		t.Fatalf("silent board: %v %v", s.Protocol(), err)
	}
	// The detection asked for a Firmata version and probed Modbus slave 5.
	buf := make([]byte, 64)
	n, _ := board0.Read(buf)
	if n == 0 || buf[0] != firmata.ReportVersion {
		t.Errorf("the board was sent % X", buf[:n])
	}
	if _, err := board.Open(ctx, board0, board.Options{Protocol: "midi"}); err == nil {
		t.Error("an unknown protocol was accepted")
	}
}

func FuzzSniff(f *testing.F) {
	f.Add([]byte("\xF9\x02\x05"))
	f.Add([]byte("temp:1\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		p := board.Sniff(in)
		// More bytes never undo a decision.
		if p != "" && board.Sniff(append(in, "garbage\xF0"...)) == "" {
			t.Fatalf("%q decided %q, then nothing", in, p)
		}
	})
}

// A board faster than MaxRate is thinned, and its latest reading still
// arrives (held back until the gap has passed), so the world never keeps
// a stale value.
func TestMaxRateKeepsTheLatest(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cable := boardtest.NewCable(t)
	far := boardtest.Open(t, cable.Board)
	s, err := board.Open(ctx, boardtest.Open(t, cable.Host), board.Options{Protocol: board.Plotter, MaxRate: 5})
	if err != nil {
		t.Fatal(err)
	}
	var got collect
	go s.Run(ctx, got.emit)
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(far, "n:%d\n", i)
	}
	testkit.Eventually(t, 5*time.Second, "the last line's reading", func() bool {
		return got.n() > 0 && got.last().Readings[0].Value == 20
	})
	if n := got.n(); n > 3 {
		t.Errorf("%d readings from a burst at 5 a second", n)
	}
}

// A sketch that prints one sensor a line (temp, then hum), faster than
// MaxRate: every action but the first and the last has both names, the
// last value of each arrives, and no action follows another sooner than
// 1/MaxRate on the session's clock.
func TestMaxRateKeepsEveryName(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cable := boardtest.NewCable(t)
	far := boardtest.Open(t, cable.Board)
	// now is the time the session last read, which is the time it sent
	// an action at when emit is called (both run on the session's
	// goroutine).
	var now time.Time
	clock := func() time.Time { now = time.Now(); return now }
	s, err := board.Open(ctx, boardtest.Open(t, cable.Host), board.Options{Protocol: board.Plotter, MaxRate: 10, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var acts []sim.Action
	var sentAt []time.Time
	go s.Run(ctx, func(a sim.Action) {
		mu.Lock()
		acts, sentAt = append(acts, a), append(sentAt, now)
		mu.Unlock()
	})
	const lines = 80
	tick := time.NewTicker(5 * time.Millisecond) // 200 lines a second
	for i := 1; i <= lines; i++ {
		<-tick.C
		name := "temp"
		if i%2 == 0 {
			name = "hum"
		}
		fmt.Fprintf(far, "%s:%d\n", name, i)
	}
	tick.Stop()
	latest := func() map[string]float64 {
		mu.Lock()
		defer mu.Unlock()
		m := map[string]float64{}
		for _, a := range acts {
			for _, r := range a.Readings {
				m[r.Name] = r.Value
			}
		}
		return m
	}
	testkit.Eventually(t, 10*time.Second, "the last line of each name", func() bool {
		m := latest()
		return m["temp"] == lines-1 && m["hum"] == lines
	})
	mu.Lock()
	defer mu.Unlock()
	for i, a := range acts {
		if err := a.Check(); err != nil {
			t.Errorf("action %d: %v", i, err)
		}
		if i > 0 && i < len(acts)-1 && len(a.Readings) != 2 {
			t.Errorf("action %d of %d carries %v: a name was lost", i, len(acts), a.Readings)
		}
		if i > 0 && sentAt[i].Sub(sentAt[i-1]) < 100*time.Millisecond {
			t.Errorf("action %d came %v after the one before, sooner than 1/MaxRate", i, sentAt[i].Sub(sentAt[i-1]))
		}
	}
}

func TestCheckModbus(t *testing.T) {
	tests := []struct {
		slave, register, count, coil int
		field, msg                   string
	}{
		{1, 0, 2, 0, "", ""},
		{247, 65534, 2, 65535, "", ""},
		{17, 100, 32, 5, "", ""},
		{0, 0, 2, 0, "slave", "0 is broadcast"},
		{248, 0, 2, 0, "slave", "1 to 247"},
		{1, -1, 2, 0, "register", "0 to 65535, not -1"},
		{1, 65536, 1, 0, "register", "not 65536"},
		{1, 0, 0, 0, "count", "1 to 32 registers at once, not 0"},
		{1, 0, 33, 0, "count", "not 33"},
		{1, 65535, 2, 0, "count", "2 registers from 65535 run past register 65535"},
		{1, 0, 2, 65536, "coil", "a coil is 0 to 65535, not 65536"},
	}
	for _, tt := range tests {
		err := board.CheckModbus(tt.slave, tt.register, tt.count, tt.coil)
		if tt.field == "" {
			if err != nil {
				t.Errorf("CheckModbus(%d, %d, %d, %d) = %v, want nil", tt.slave, tt.register, tt.count, tt.coil, err)
			}
			continue
		}
		var me *board.ModbusError
		if !errors.As(err, &me) || me.Field != tt.field || !strings.Contains(me.Msg, tt.msg) {
			t.Errorf("CheckModbus(%d, %d, %d, %d) = %v, want field %s saying %q", tt.slave, tt.register, tt.count, tt.coil, err, tt.field, tt.msg)
		}
	}
}

// lateSlave is a Modbus line whose slave the test answers by hand:
// what the master writes arrives on written, what the test sends on in
// is what the master reads.
type lateSlave struct {
	mu      sync.Mutex
	reads   int // Read calls begun
	in      chan []byte
	written chan []byte
}

func (p *lateSlave) Read(b []byte) (int, error) {
	p.mu.Lock()
	p.reads++
	p.mu.Unlock()
	chunk, ok := <-p.in
	if !ok {
		return 0, io.EOF
	}
	return copy(b, chunk), nil
}

func (p *lateSlave) Write(b []byte) (int, error) {
	p.written <- append([]byte(nil), b...)
	return len(b), nil
}

func (p *lateSlave) readsBegun() int { p.mu.Lock(); defer p.mu.Unlock(); return p.reads }

// A reply that comes after its timeout is not taken for the reply to the
// next request: the command after it is written and confirmed.
func TestModbusLateReplyIsDropped(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	line := &lateSlave{in: make(chan []byte), written: make(chan []byte, 4)}
	defer close(line.in)
	var console struct {
		sync.Mutex
		text string
	}
	s, err := board.Open(ctx, line, board.Options{Protocol: board.Modbus, Slave: 17, Register: 3, Count: 3, Coil: 5, Baud: 9600, Poll: time.Hour,
		Console: func(c string) { console.Lock(); console.text += c; console.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	go s.Run(ctx, func(sim.Action) {})
	poll := <-line.written
	if want := proto.AppendModbusRead(nil, 17, proto.FuncReadHoldingRegisters, 3, 3); !bytes.Equal(poll, want) {
		t.Fatalf("poll % x, want % x", poll, want)
	}
	testkit.Eventually(t, 5*time.Second, "the poll's timeout", func() bool {
		console.Lock()
		defer console.Unlock()
		return strings.Contains(console.text, "no reply in time")
	})
	// The reply comes late, and is read into the session before the
	// command is written.
	begun := line.readsBegun()
	line.in <- proto.AppendModbusReadResponse(nil, 17, proto.FuncReadHoldingRegisters, proto.AppendModbusRegisters(nil, []uint16{103, 104, 105}))
	testkit.Eventually(t, 5*time.Second, "the late reply read", func() bool { return line.readsBegun() > begun })

	done := make(chan error, 1)
	go func() { done <- s.Command(true) }()
	req := <-line.written
	if want := proto.AppendModbusWriteSingle(nil, 17, proto.FuncWriteSingleCoil, 5, 0xFF00); !bytes.Equal(req, want) {
		t.Fatalf("command % x, want % x", req, want)
	}
	line.in <- req // the slave's echo
	if err := <-done; err != nil {
		t.Errorf("the command after a late reply: %v", err)
	}
}

// A command whose echo comes garbled is written again, and the second
// echo confirms it; when that one is garbled too, Command says so.
func TestModbusCommandIsWrittenAgain(t *testing.T) {
	for _, tt := range []struct {
		name    string
		garbled int // how many echoes come garbled
		want    string
	}{
		{"one garbled echo", 1, ""},
		{"two garbled echoes", 2, "coil 5 of slave 17 not confirmed in 2 tries: modbus: no valid reply"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			line := &lateSlave{in: make(chan []byte), written: make(chan []byte, 4)}
			defer close(line.in)
			s, err := board.Open(ctx, line, board.Options{Protocol: board.Modbus, Slave: 17, Coil: 5, Baud: 9600})
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- s.Command(true) }()
			want := proto.AppendModbusWriteSingle(nil, 17, proto.FuncWriteSingleCoil, 5, proto.ModbusCoilOn)
			for try := 1; ; try++ {
				var req []byte
				select {
				case req = <-line.written:
				case err := <-done:
					t.Fatalf("Command ended after %d writes: %v", try-1, err)
				}
				if !bytes.Equal(req, want) {
					t.Fatalf("write %d: % x, want % x", try, req, want)
				}
				echo := bytes.Clone(req)
				if try <= tt.garbled {
					echo[len(echo)-1] ^= 0xFF
				}
				line.in <- echo
				if try == 2 || try > tt.garbled {
					break
				}
			}
			err = <-done
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("the command: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("the command: %v, want an error saying %q", err, tt.want)
			}
		})
	}
}
