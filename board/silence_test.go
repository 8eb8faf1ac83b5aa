package board_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/thingyard/thingyard/board"
	"github.com/thingyard/thingyard/board/boardtest"
	"github.com/thingyard/thingyard/board/firmata"
	"github.com/thingyard/thingyard/internal/testkit"
)

// told keeps what a session's Notice and Console were told.
type told struct {
	mu      sync.Mutex
	notices []string // "silent: …" or "answers: …"
	console strings.Builder
}

func (k *told) notice(silent bool, text string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	state := "answers"
	if silent {
		state = "silent"
	}
	k.notices = append(k.notices, state+": "+text)
}

func (k *told) write(s string) { k.mu.Lock(); k.console.WriteString(s); k.mu.Unlock() }

func (k *told) get() ([]string, string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.notices...), k.console.String()
}

// A board that does not answer is told of once, in words a person can act
// on (what was asked, what did not answer, what to check), to Notice and
// on a line of its own in the console the page's Real board panel shows;
// once it answers, that is told too, once.
func TestSilentBoardIsToldOf(t *testing.T) {
	tests := []struct {
		name   string
		opt    board.Options
		silent []string // what the silent notice says
		speak  func(ctx context.Context, t *testing.T, c *boardtest.Cable)
		answer string
	}{
		{"Modbus slave 17", board.Options{Protocol: board.Modbus, Slave: 17, Register: 1, Count: 2, Baud: 9600, Poll: 50 * time.Millisecond},
			[]string{"No answer from Modbus slave 17", "asked slave 17 for 2 holding registers from 1 (function 3) at 9600 baud", "no reply came in 500ms",
				"Check the baud rate (the slave's must be 9600", "the wiring (RS-485 A and B swapped", "the slave's address is 17"},
			func(ctx context.Context, t *testing.T, c *boardtest.Cable) { boardtest.Libmodbus(t, c.Board) },
			"answers: Modbus slave 17 answers now."},
		{"StandardFirmata", board.Options{Protocol: board.Firmata, Baud: 57600, SilentAfter: 300 * time.Millisecond},
			[]string{"No answer from the board", "asked the board for StandardFirmata's version, firmware and pins at 57600 baud", "nothing came back in 300ms",
				"Check the baud rate (StandardFirmata talks at 57600)", "File > Examples > Firmata > StandardFirmata", "cable"},
			func(ctx context.Context, t *testing.T, c *boardtest.Cable) {
				go firmata.NewUno().Serve(ctx, boardtest.Open(t, c.Board), 1)
			},
			"answers: The board answers in Firmata now."},
		{"plotter found out", board.Options{Baud: 115200, Slave: 5, DetectFor: 200 * time.Millisecond, SilentAfter: 300 * time.Millisecond},
			[]string{"Nothing from the board in 300ms at 115200 baud", "neither a Firmata version query nor a Modbus read of slave 5 got an answer",
				"Check the baud rate", "prints a line of numbers such as temp:21.5"},
			func(ctx context.Context, t *testing.T, c *boardtest.Cable) {
				go (&boardtest.Sketch{Period: 20 * time.Millisecond}).Serve(ctx, boardtest.Open(t, c.Board))
			},
			"answers: Readings come from the board now."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cable := boardtest.NewCable(t)
			quiet := boardtest.Open(t, cable.Board) // open, and never a word
			var k told
			tt.opt.Notice, tt.opt.Console = k.notice, k.write
			s, err := board.Open(ctx, boardtest.Open(t, cable.Host), tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			var got collect
			go s.Run(ctx, got.emit)
			testkit.Eventually(t, 10*time.Second, "a notice that the board does not answer", func() bool { n, _ := k.get(); return len(n) > 0 })
			notices, console := k.get()
			text, ok := strings.CutPrefix(notices[0], "silent: ")
			if !ok {
				t.Fatalf("the first notice is %q, want one that the board is silent", notices[0])
			}
			for _, w := range tt.silent {
				if !strings.Contains(text, w) {
					t.Errorf("the notice does not say %q:\n%s", w, text)
				}
			}
			if !strings.HasPrefix(console, text+"\n") && !strings.Contains(console, "\n"+text+"\n") {
				t.Errorf("the console does not have the notice on a line of its own:\n%s", console)
			}

			// The board speaks: that is told once, and no more while it does.
			quiet.Close()
			tt.speak(ctx, t, cable)
			testkit.Eventually(t, 10*time.Second, "a notice that the board answers", func() bool { n, _ := k.get(); return len(n) >= 2 })
			testkit.Eventually(t, 10*time.Second, "readings", func() bool { return got.n() >= 3 })
			if notices, _ = k.get(); len(notices) != 2 || notices[1] != tt.answer {
				t.Errorf("after the board spoke the notices are %q, want one more: %q", notices[1:], tt.answer)
			}
		})
	}
}
