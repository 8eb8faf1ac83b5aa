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
// A tight loop keeps every thread of the store awake; at a room's pace
// each append wakes them, and that is what a member waits for. 10 ms
// apart is the relay bench's pace: four rooms whose senders send 25
// actions a second.
func BenchmarkAppendPaced(b *testing.B) {
	for _, every := range []time.Duration{time.Millisecond, 10 * time.Millisecond} {
		b.Run(every.String(), func(b *testing.B) {
			s, err := store.NewJetStream(b.Context(), store.JetStreamOptions{Dir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			id := "room-paced"
			if err := s.Create(b.Context(), store.Room{ID: id, Scene: "overview"}); err != nil {
				b.Fatal(err)
			}
			var took []time.Duration
			tick := time.NewTicker(every)
			defer tick.Stop()
			n := 0
			for b.Loop() {
				<-tick.C
				n++
				began := time.Now()
				if err := appendFolding(b.Context(), s, id, n); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(began))
			}
			slices.Sort(took)
			var sum time.Duration
			for _, d := range took {
				sum += d
			}
			b.ReportMetric(float64(sum.Microseconds())/float64(len(took)), "µs-mean/append")
			b.ReportMetric(float64(took[len(took)/2].Microseconds()), "µs-p50/append")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "µs-p99/append")
		})
	}
}
