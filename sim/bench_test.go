package sim_test

import (
	"fmt"
	"testing"

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
