package board_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/thingyard/thingyard/board"
	"github.com/thingyard/thingyard/board/boardtest"
	"github.com/thingyard/thingyard/internal/testkit"
	"github.com/thingyard/thingyard/sim"
)

// The ready-to-flash examples in assets/boards, run on this machine (the
// sketches built against a stand-in Arduino core, the MicroPython script
// under python3) on the far end of a pty: each is detected with nothing
// said, its readings reach the device, and an on command lights its LED.
func TestExamples(t *testing.T) {
	tests := []struct {
		name     string
		argv     func(t *testing.T) []string
		opt      board.Options
		want     board.Protocol
		readings string
	}{
		{"plotter.ino", func(t *testing.T) []string { return []string{boardtest.BuildSketch(t, "plotter/plotter.ino")} },
			board.Options{}, board.Plotter, "temp light"},
		{"modbus_slave.ino", func(t *testing.T) []string { return []string{boardtest.BuildSketch(t, "modbus/modbus_slave.ino")} },
			board.Options{Baud: 9600, DetectFor: 300 * time.Millisecond, Poll: 50 * time.Millisecond}, board.Modbus, "hr0 hr1"},
		{"micropython main.py", func(t *testing.T) []string {
			return []string{"python3", "-u", filepath.Join(boardtest.Examples(), "micropython", "main.py")}
		}, board.Options{}, board.Plotter, "temp light"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			led := filepath.Join(t.TempDir(), "led")
			cable := boardtest.NewProgramCable(t, []string{"THINGYARD_LED=" + led}, tt.argv(t)...)
			s, err := board.Open(ctx, boardtest.Open(t, cable.Host), tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if s.Protocol() != tt.want {
				t.Fatalf("detected %q, want %q", s.Protocol(), tt.want)
			}
			var got collect
			go s.Run(ctx, got.emit)
			testkit.Eventually(t, 10*time.Second, "readings", func() bool { return got.n() >= 2 })
			var names []string
			for _, r := range got.last().Readings {
				names = append(names, r.Name)
			}
			if strings.Join(names, " ") != tt.readings {
				t.Errorf("readings %v, want %s", got.last().Readings, tt.readings)
			}
			for _, on := range []bool{true, false} {
				if _, err := s.Handle(sim.Action{Kind: sim.ActCommand, Device: "board", On: on}); err != nil {
					t.Fatal(err)
				}
				want := "0"
				if on {
					want = "1"
				}
				testkit.Eventually(t, 5*time.Second, "the LED at "+want, func() bool {
					b, _ := os.ReadFile(led)
					return strings.TrimSpace(string(b)) == want
				})
			}
		})
	}
}
