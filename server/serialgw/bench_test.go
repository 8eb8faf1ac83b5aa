package serialgw

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/thingyard/thingyard/board/boardtest"
	"github.com/thingyard/thingyard/server/api/apitest"
	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// BenchmarkSerialRoundTrip measures a command's round trip through the
// server's serial path against a raw echo over the same kind of pty pair,
// in one run, so the overhead reads as a ratio:
//
//   - raw-pty-echo: a line written to a socat pty pair comes back from an
//     echo on the far end;
//   - server-gateway: a browser in a live room sends a command action; the
//     relay orders it, the -serial gateway writes "on"/"off" to the board
//     over the pty, the board answers with a plotter line (led:1), and the
//     reading it becomes reaches the browser through the room.
//
// Run it with: go test -run '^$' -bench SerialRoundTrip -benchtime 200x ./server/serialgw
func BenchmarkSerialRoundTrip(b *testing.B) {
	b.Run("raw-pty-echo", func(b *testing.B) {
		cable := boardtest.NewCable(b)
		far, near := boardtest.Open(b, cable.Board), boardtest.Open(b, cable.Host)
		go io.Copy(far, far) // the echo
		r := bufio.NewReader(near)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := io.WriteString(near, "on\n"); err != nil {
				b.Fatal(err)
			}
			if _, err := r.ReadString('\n'); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("server-gateway", func(b *testing.B) {
		cable := boardtest.NewCable(b)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go answer(ctx, boardtest.Open(b, cable.Board))
		room := "bench-round-trip"
		addr := startServer(b, relay.Options{Rate: 100000, Burst: 100000}, "-serial", cable.Host, "-serial-room", room,
			"-serial-protocol", "plotter", "-serial-rate", "10000")
		m := apitest.Dial(b, addr, room)
		m.Action(b, "the board online", power(true))
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			on := i%2 == 0
			// At 0: the server schedules each command just ahead of the
			// room's now, as it does an outside program's. Ticks counted up
			// from the first would run past the window the room accepts
			// after a few hundred round trips.
			m.Send(b, wire.KindAction, sim.Action{Kind: sim.ActCommand, Device: "board", On: on})
			want := 0.0
			if on {
				want = 1
			}
			m.Action(b, "the board's answer", func(a sim.Action) bool {
				return a.Kind == sim.ActReading && len(a.Readings) == 1 && a.Readings[0].Name == "led" && a.Readings[0].Value == want
			})
		}
	})
}

// answer is a board that replies to each on/off line with its LED's state
// as a plotter line, at once.
func answer(ctx context.Context, port io.ReadWriter) {
	sc := bufio.NewScanner(port)
	for sc.Scan() && ctx.Err() == nil {
		switch strings.TrimSpace(sc.Text()) {
		case "on":
			fmt.Fprint(port, "led:1\r\n")
		case "off":
			fmt.Fprint(port, "led:0\r\n")
		}
	}
}
