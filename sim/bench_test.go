package sim_test

import (
	"bytes"
	"compress/flate"
	"fmt"
	"runtime"
	"testing"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
)

// scaleSpec is the demo with n IoT sensors added over cellular and an M2M
// bus of up to 31 slaves, so both sides carry traffic.
func scaleWorld(b *testing.B, n int) *sim.World {
	b.Helper()
	w := newWorld(b, sim.Demo(), 1)
	if err := w.Apply(sim.Action{Kind: sim.ActAdd, Link: "mobile", DeviceKind: "sensor", Count: n}); err != nil {
		b.Fatal(err)
	}
	w.Step(2 * second) // warm: slices and queues have grown
	return w
}

// BenchmarkStep reports the cost of one simulated millisecond and, as
// ns/device-tick, per device.
func BenchmarkStep(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) {
			w := scaleWorld(b, n)
			devices := len(w.DeviceIDs())
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				w.Step(1)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(devices), "ns/device-tick")
		})
	}
}

// BenchmarkView is what a renderer pays per frame to read the world.
func BenchmarkView(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) {
			w := scaleWorld(b, n)
			var v sim.View
			b.ReportAllocs()
			for b.Loop() {
				w.View(&v)
			}
		})
	}
}

func BenchmarkHash(b *testing.B) {
	w := scaleWorld(b, 1000)
	for b.Loop() {
		w.Hash()
	}
}

// BenchmarkLateAction is what one action that arrives 2,000 ticks late
// costs a party of a room with 20,000 actions over 100,000 ticks (an
// action every 5 ticks): a browser replays from tick 0, the server's
// replica (checkpoints every 3,000 ticks for a window of 6,000) from the
// newest copy before the action.
func BenchmarkLateAction(b *testing.B) {
	for _, every := range []int64{0, 3000} {
		name := "from-tick-0"
		if every > 0 {
			name = "from-checkpoint"
		}
		b.Run(name, func(b *testing.B) {
			tl, err := sim.NewTimeline(sim.Demo(), 1)
			if err != nil {
				b.Fatal(err)
			}
			if every > 0 {
				tl.Checkpoints(every, 2*every)
			}
			for i := range 20_000 {
				tick := int64(5 * i)
				tl.AdvanceTo(tick)
				tl.Add(sim.Action{At: tick + 20, Kind: sim.ActPower, Device: "door", On: i%2 == 0})
			}
			now := tl.World().Tick()
			b.ResetTimer()
			i := 0
			for b.Loop() {
				i++
				if err := tl.Add(sim.Action{At: now - 2000, Kind: sim.ActPower, Device: "lamp", On: i%2 == 0}); err != nil {
					b.Fatal(err)
				}
			}
			if tl.Rebuilds() == 0 {
				b.Fatal("no rebuild")
			}
		})
	}
}

// BenchmarkStepHistory is BenchmarkStep with a History recording the
// world after every tick: its ns/device-tick beside BenchmarkStep's is what
// keeping the last ten minutes costs. Run it over more ticks than a copy's
// spacing (copies-taken says how many it took).
func BenchmarkStepHistory(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) {
			w := scaleWorld(b, n)
			devices := len(w.DeviceIDs())
			h := sim.NewHistory(w, sim.HistoryWindow, sim.HistoryBudget)
			first := h.Len()
			b.ResetTimer()
			for b.Loop() {
				w.Step(1)
				h.Record(w)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(devices), "ns/device-tick")
			b.ReportMetric(float64(h.Len()-first), "copies-taken")
			b.ReportMetric(float64(h.Every()), "ticks-between-copies")
		})
	}
}

// BenchmarkHistoryMemory runs the world of 10,000 devices for eleven
// simulated minutes with its history and reports what the history holds:
// measured (the heap it frees when dropped) and as it estimates itself.
func BenchmarkHistoryMemory(b *testing.B) {
	for b.Loop() {
		w := scaleWorld(b, 10000)
		h := sim.NewHistory(w, sim.HistoryWindow, sim.HistoryBudget)
		for w.Tick() < 11*60*second {
			w.Step(int(max(1, h.Due()-w.Tick())))
			h.Record(w)
		}
		held := heapAfterGC()
		copies, est, every := h.Len(), h.Bytes(), h.Every()
		h = nil
		freed := held - heapAfterGC()
		b.ReportMetric(float64(freed)/1e6, "MB-held")
		b.ReportMetric(float64(est)/1e6, "MB-estimated")
		b.ReportMetric(float64(copies), "copies")
		b.ReportMetric(float64(every), "ticks-between-copies")
		runtime.KeepAlive(w)
	}
}

func heapAfterGC() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// BenchmarkState is what a room's world state costs: its size in bytes
// and the time to encode and decode it, for the overview scene after a
// minute and for a room at its device budget (the demo with sensors added
// over cellular up to 20,000 devices) after ten seconds of its traffic.
func BenchmarkState(b *testing.B) {
	for _, name := range []string{"overview", "20000-devices"} {
		b.Run(name, func(b *testing.B) {
			var w *sim.World
			if name == "overview" {
				sc, err := scenes.Builtin("overview")
				if err != nil {
					b.Fatal(err)
				}
				w = newWorld(b, sc.Spec, sc.Seed)
				w.Step(60 * second)
			} else {
				w = newWorld(b, sim.Demo(), 1)
				for left := sim.MaxDevices - len(w.DeviceIDs()); left > 0; left -= sim.MaxAddCount {
					apply(b, w, sim.Action{At: w.Tick(), Kind: sim.ActAdd, Link: "mobile", DeviceKind: "sensor", Count: min(left, sim.MaxAddCount)})
				}
				w.Step(10 * second)
			}
			state := w.State()
			for b.Loop() {
				if _, err := sim.DecodeState(w.State()); err != nil {
					b.Fatal(err)
				}
			}
			var packed bytes.Buffer
			zw, _ := flate.NewWriter(&packed, flate.BestSpeed) // as wire.PackWorld
			zw.Write(state)
			zw.Close()
			b.ReportMetric(float64(len(state)), "state-bytes")
			b.ReportMetric(float64(packed.Len()), "packed-bytes")
			b.ReportMetric(float64(len(w.DeviceIDs())), "devices")
		})
	}
}
