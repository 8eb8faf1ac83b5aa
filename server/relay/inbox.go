package relay

import (
	"sync"

	"github.com/thingyard/thingyard/wire"
)

// inbox holds what one member sent until the room takes it: read pushes
// as frames arrive, drain pops in order. It is bounded in frames and in
// bytes; a full inbox makes the reader wait, which stops reading the
// socket, so the member's sends slow down (TCP's flow control) and
// nothing it sent is lost.
type inbox struct {
	mu       sync.Mutex
	frames   []wire.Envelope
	sizes    []int
	bytes    int
	maxLen   int
	maxBytes int
	closed   bool
	ready    chan struct{} // capacity 1: a signal that frames wait or the inbox closed
	space    chan struct{} // capacity 1: a signal that a frame was taken
}

func newInbox(maxLen, maxBytes int) *inbox {
	return &inbox{maxLen: maxLen, maxBytes: maxBytes, ready: make(chan struct{}, 1), space: make(chan struct{}, 1)}
}

// push adds e, which arrived as size bytes, waiting while the inbox holds
// its most frames or bytes. It reports false if stop closed first.
func (in *inbox) push(e wire.Envelope, size int, stop <-chan struct{}) bool {
	for {
		in.mu.Lock()
		if len(in.frames) < in.maxLen && (len(in.frames) == 0 || in.bytes+size <= in.maxBytes) {
			in.frames = append(in.frames, e)
			in.sizes = append(in.sizes, size)
			in.bytes += size
			in.mu.Unlock()
			signal(in.ready)
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

// pop waits for the oldest frame; it reports false once the inbox is
// closed and empty.
func (in *inbox) pop() (wire.Envelope, bool) {
	for {
		in.mu.Lock()
		if len(in.frames) > 0 {
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
		closed := in.closed
		in.mu.Unlock()
		if closed {
			return wire.Envelope{}, false
		}
		<-in.ready
	}
}

// discard drops every frame waiting.
func (in *inbox) discard() {
	in.mu.Lock()
	in.frames, in.sizes, in.bytes = nil, nil, 0
	in.mu.Unlock()
	signal(in.space)
}

// close tells pop that nothing more will come.
func (in *inbox) close() {
	in.mu.Lock()
	in.closed = true
	in.mu.Unlock()
	signal(in.ready)
}

// signal wakes the one waiting on c, a channel of capacity 1, if any.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
