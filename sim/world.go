package sim

import "math"

// World is a running simulation. It is not safe for concurrent use: one
// goroutine steps it, applies actions and reads its views.
type World struct {
	spec  Spec
	seed  uint64
	rng   rng
	tick  int64
	now   int64 // simulated microseconds, tick*TickMicros
	sides []string

	devices []device
	links   []link
	byID    map[string]int32 // device ids
	linkIDs map[string]int32

	msgs     []message
	freeMsgs []int32
	nextMsg  uint64

	events eventHeap
	evSeq  uint64

	// pending are the actions waiting for their tick, by tick and, within
	// a tick, in arrival order: a step takes those due from the front, so
	// a world replaying a long log (all of it waits here) pays for each
	// action once, not once per tick.
	pending []Action
	rules   []rule

	metrics []sideMetrics
	series  []Sample
	added   int // devices created by add actions, for their ids

	hashes []HashMark

	// caches is what the world works out again from the state above when
	// it changes (cache.go); scratch and path are buffers encoding reuses.
	// None of them is state.
	caches
	scratch []byte // payload being encoded
	path    []byte // an HTTP path being built

	refusalText string // the last refusal, kept for the view
	refusalTick int64

	onFrame func(*Frame) // sees every frame sent (OnFrame); not state
	frame   Frame        // what onFrame is handed, reused
	// framesSent counts the frames put on a medium so far (FramesSent).
	framesSent int64
	// onEnd sees how each frame ended and each message dropped
	// (OnFrameEnd); frames counts the frames handed to onFrame, so an end
	// names its frame (Frame.Seq). Neither is state.
	onEnd  func(*FrameEnd)
	end    FrameEnd
	frames uint64
}

type link struct {
	id        string
	medium    Medium
	members   []int32
	bitrate   int64 // bit/s
	latency   int64 // µs
	jitter    int64 // µs
	loss      int64 // per million
	rng       int32 // radio range, world units
	up        bool
	removed   bool
	busyUntil int64
	queue     []int32 // CAN frames waiting for arbitration
	bytes     int64
}

type rule struct {
	where, sensor, actuator int32
	above, hyst             int64 // milli
	state                   bool
}

func milli(f float64) int64 { return int64(math.Round(f * 1000)) }

// Tick is the number of ticks stepped so far.
func (w *World) Tick() int64 { return w.tick }

// Seed is the seed the world was built with.
func (w *World) Seed() uint64 { return w.seed }

// Spec is the spec the world was built from.
func (w *World) Spec() Spec { return w.spec }

// Sides names the world's sides, in order.
func (w *World) Sides() []string { return append([]string(nil), w.sides...) }

// Step advances the world by n ticks.
func (w *World) Step(n int) {
	for ; n > 0; n-- {
		w.tick++
		w.now = w.tick * TickMicros
		w.runEvents()
		if w.tick%1000 == 0 {
			w.sample()
		}
		if w.tick%HashEvery == 0 {
			w.recordHash()
		}
		if len(w.pending) > 0 && w.pending[0].At <= w.tick {
			w.applyDue()
		}
	}
}
