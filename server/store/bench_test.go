package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/thingyard/thingyard/server/store"
)

// foldEvery is how many appends the benchmarks let a room take before
// they fold it into a snapshot, as the relay does with a long log.
const foldEvery = 1000

// BenchmarkAppend appends one action envelope at a time to one room, in
// memory and on the embedded JetStream (a file store in a temporary
// directory), folding every foldEvery appends; parallel spreads appends
// from GOMAXPROCS goroutines over eight rooms.
func BenchmarkAppend(b *testing.B) {
	for _, k := range []struct {
		name string
		open func(b *testing.B) store.Store
	}{
		{"memory", func(b *testing.B) store.Store { return store.NewMemory(store.Limits{}) }},
		{"jetstream", func(b *testing.B) store.Store {
			s, err := store.NewJetStream(b.Context(), store.JetStreamOptions{Dir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
	} {
		b.Run(k.name, func(b *testing.B) {
			s := k.open(b)
			defer s.Close()
			id := "room-bench"
			if err := s.Create(b.Context(), store.Room{ID: id, Scene: "overview"}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				n++
				if err := appendFolding(b.Context(), s, id, n); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(k.name+"/parallel", func(b *testing.B) {
			s := k.open(b)
			defer s.Close()
			const rooms = 8
			for r := range rooms {
				if err := s.Create(b.Context(), store.Room{ID: fmt.Sprintf("room-bench-%d", r), Scene: "overview"}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			next := make(chan int, rooms)
			for r := range rooms {
				next <- r
			}
			b.RunParallel(func(pb *testing.PB) {
				id := fmt.Sprintf("room-bench-%d", <-next%rooms)
				n := 0
				for pb.Next() {
					n++
					if err := appendFolding(b.Context(), s, id, n); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// appendFolding appends envelope n to room id, and folds the room when n
// is a multiple of foldEvery.
func appendFolding(ctx context.Context, s store.Store, id string, n int) error {
	e, err := s.Append(ctx, id, env(id, n))
	if err != nil {
		return err
	}
	if n%foldEvery == 0 {
		return s.PutSnapshot(ctx, id, store.Snapshot{Seq: e.Seq, Scene: "name: overview\n"})
	}
	return nil
}

// BenchmarkAppendPaced appends one envelope at a time at a steady pace,
// and reports the mean, median and 99th percentile of one append's time.
// 10 ms apart is the relay bench's pace: four rooms whose senders send 25
// actions a second. The "then at once" runs append a second envelope right
// after each paced one and report its median and 99th percentile beside
// the first's: what the first costs more is the store's code path run
// cold after the pause, as the same figures with GOMAXPROCS=1 show, not
// threads waking one another.
func BenchmarkAppendPaced(b *testing.B) {
	for _, c := range []struct {
		every time.Duration
		twice bool
	}{{time.Millisecond, false}, {10 * time.Millisecond, false}, {10 * time.Millisecond, true}} {
		name := c.every.String()
		if c.twice {
			name += " then at once"
		}
		b.Run(name, func(b *testing.B) {
			s, err := store.NewJetStream(b.Context(), store.JetStreamOptions{Dir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			id := "room-paced"
			if err := s.Create(b.Context(), store.Room{ID: id, Scene: "overview"}); err != nil {
				b.Fatal(err)
			}
			var paced, after []time.Duration
			tick := time.NewTicker(c.every)
			defer tick.Stop()
			n := 0
			timed := func() time.Duration {
				n++
				began := time.Now()
				if err := appendFolding(b.Context(), s, id, n); err != nil {
					b.Fatal(err)
				}
				return time.Since(began)
			}
			for b.Loop() {
				<-tick.C
				paced = append(paced, timed())
				if c.twice {
					after = append(after, timed())
				}
			}
			slices.Sort(paced)
			var sum time.Duration
			for _, d := range paced {
				sum += d
			}
			b.ReportMetric(float64(sum.Microseconds())/float64(len(paced)), "µs-mean/append")
			b.ReportMetric(float64(paced[len(paced)/2].Microseconds()), "µs-p50/append")
			b.ReportMetric(float64(paced[len(paced)*99/100].Microseconds()), "µs-p99/append")
			if c.twice {
				slices.Sort(after)
				b.ReportMetric(float64(after[len(after)/2].Microseconds()), "µs-p50/next-append")
				b.ReportMetric(float64(after[len(after)*99/100].Microseconds()), "µs-p99/next-append")
			}
		})
	}
}
