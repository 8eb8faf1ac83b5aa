package replica_test

import (
	"testing"
	"time"

	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// BenchmarkReplica is what the server pays to keep a room's world: one op
// is one second of room time (100 ticks) stepped lazily in one read, the
// way the hash checker and the MQTT publisher read a busy room.
func BenchmarkReplica(b *testing.B) {
	for _, scene := range []string{"open-api", "scalability"} {
		b.Run(scene, func(b *testing.B) {
			set, clk, _ := newSet(&testing.T{})
			set.Created("room-one", scene, clk.Now())
			r := set.Get("room-one")
			var devices int
			r.Read(func(w *sim.World, _ uint64) { devices = len(w.DeviceIDs()) })
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				clk.Add(100 * wire.MsPerTick * time.Millisecond)
				r.Read(func(*sim.World, uint64) {})
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(int64(b.N)*100*int64(devices)), "ns/device-tick")
			b.ReportMetric(float64(devices), "devices")
		})
	}
}
