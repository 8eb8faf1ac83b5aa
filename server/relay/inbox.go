package relay

import (
	"sync"

	"github.com/thingyard/thingyard/wire"
)

// inbox holds what one member sent until the room takes it: read pushes
// as frames arrive, drain pops in order. It is bounded in frames and in
// bytes, and never blocks the reader: a full inbox refuses the push.
type inbox struct {
	mu       sync.Mutex
	frames   []wire.Envelope
	sizes    []int
	bytes    int
	maxLen   int
	maxBytes int
	closed   bool
	ready    chan struct{} // capacity 1: a signal that frames wait or the inbox closed
}

func newInbox(maxLen, maxBytes int) *inbox {
	return &inbox{maxLen: maxLen, maxBytes: maxBytes, ready: make(chan struct{}, 1)}
}

// push adds e, which arrived as size bytes; it reports false when the
// inbox already holds its most frames or bytes.
func (in *inbox) push(e wire.Envelope, size int) bool {
	in.mu.Lock()
	if len(in.frames) >= in.maxLen || in.bytes+size > in.maxBytes {
		in.mu.Unlock()
		return false
	}
	in.frames = append(in.frames, e)
	in.sizes = append(in.sizes, size)
	in.bytes += size
	in.mu.Unlock()
	in.signal()
	return true
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
}

// close tells pop that nothing more will come.
func (in *inbox) close() {
	in.mu.Lock()
	in.closed = true
	in.mu.Unlock()
	in.signal()
}

func (in *inbox) signal() {
	select {
	case in.ready <- struct{}{}:
	default:
	}
}
