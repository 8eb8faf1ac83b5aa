package relay

import (
	"sync"

	"github.com/thingyard/thingyard/wire"
)

// inbox holds what one member sent until the room takes it: read pushes
// as frames arrive, and the first frame put in an idle inbox starts
// drain, which pops them in order until none are left and ends. It is
// bounded in frames and in bytes; a full inbox makes the reader wait,
// which stops reading the socket, so the member's sends slow down (TCP's
// flow control) and nothing it sent is lost. An idle member has no drain
// running.
type inbox struct {
	mu       sync.Mutex
	frames   []wire.Envelope
	sizes    []int
	bytes    int
	maxLen   int
	maxBytes int
	busy     bool          // a drain runs
	lost     bool          // the room could not take a frame: what follows is dropped
	space    chan struct{} // capacity 1: a signal that a frame was taken
	drain    func()        // pops until the inbox is empty; run in a goroutine of its own
	drains   sync.WaitGroup
}

func newInbox(maxLen, maxBytes int, drain func()) *inbox {
	return &inbox{maxLen: maxLen, maxBytes: maxBytes, space: make(chan struct{}, 1), drain: drain}
}

// push adds e, which arrived as size bytes, waiting while the inbox holds
// its most frames or bytes, and starts a drain if none runs. It reports
// false if stop closed first. One goroutine pushes.
func (in *inbox) push(e wire.Envelope, size int, stop <-chan struct{}) bool {
	for {
		in.mu.Lock()
		if in.lost {
			in.mu.Unlock()
			return true
		}
		if len(in.frames) < in.maxLen && (len(in.frames) == 0 || in.bytes+size <= in.maxBytes) {
			in.frames = append(in.frames, e)
			in.sizes = append(in.sizes, size)
			in.bytes += size
			start := !in.busy
			in.busy = true
			if start {
				in.drains.Add(1)
			}
			in.mu.Unlock()
			if start {
				go func() {
					defer in.drains.Done()
					in.drain()
				}()
			}
			return true
		}
		in.mu.Unlock()
		select {
		case <-in.space:
		case <-stop:
			return false
		}
	}
}

// full reports whether a frame of size bytes would have to wait.
func (in *inbox) full(size int) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.frames) >= in.maxLen || (len(in.frames) > 0 && in.bytes+size > in.maxBytes)
}

// pop takes the oldest frame; it reports false when there is none, and
// the drain that called it then ends: the next push starts another.
func (in *inbox) pop() (wire.Envelope, bool) {
	in.mu.Lock()
	if len(in.frames) == 0 {
		in.busy = false
		in.mu.Unlock()
		return wire.Envelope{}, false
	}
	e := in.frames[0]
	in.bytes -= in.sizes[0]
	in.frames[0] = wire.Envelope{}
	in.frames, in.sizes = in.frames[1:], in.sizes[1:]
	if len(in.frames) == 0 {
		in.frames, in.sizes = nil, nil // let go of the backing arrays
	}
	in.mu.Unlock()
	signal(in.space)
	return e, true
}

// discard drops every frame waiting, and every one pushed from now on.
func (in *inbox) discard() {
	in.mu.Lock()
	in.frames, in.sizes, in.bytes, in.lost = nil, nil, 0, true
	in.mu.Unlock()
	signal(in.space)
}

// wait waits for the drain, if one runs, to hand the room every frame
// pushed. Call it from the goroutine that pushes, once it pushes no more.
func (in *inbox) wait() { in.drains.Wait() }

// signal wakes the one waiting on c, a channel of capacity 1, if any.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
