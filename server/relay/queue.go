package relay

import "sync"

// queue holds the frames waiting for one member's writer. It is a slice
// that grows with what is waiting rather than a buffered channel, so an
// idle member costs a few words instead of a channel of QueueLen frames
// (12 KB at the default of 512): that is most of a classroom's memory.
type queue struct {
	mu     sync.Mutex
	frames [][]byte
	// welcome is the parts of the frame that goes before frames (first).
	welcome [][]byte
	max     int
	ready   chan struct{} // capacity 1: a signal that frames are waiting
}

func newQueue(max int) *queue { return &queue{max: max, ready: make(chan struct{}, 1)} }

// push adds a frame without blocking; it reports false when max frames
// are already waiting, so the caller can drop the slow reader.
func (q *queue) push(data []byte) bool {
	q.mu.Lock()
	if len(q.frames) >= q.max {
		q.mu.Unlock()
		return false
	}
	q.frames = append(q.frames, data)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return true
}

// first puts a frame before every frame waiting, whatever max says: the
// welcome, encoded after the member joined. The frame is given in parts,
// written as one message: a part may be shared with other members (the
// room's snapshot, which a welcome carries without copying it) and is
// never changed.
func (q *queue) first(parts ...[]byte) {
	q.mu.Lock()
	q.welcome = parts
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// takeFirst returns the parts of the frame first put, once, or nil.
func (q *queue) takeFirst() [][]byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	parts := q.welcome
	q.welcome = nil
	return parts
}

// take returns every waiting frame, oldest first, and empties the queue.
// A queue drained to nothing lets go of its backing array.
func (q *queue) take(buf [][]byte) [][]byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	buf = append(buf[:0], q.frames...)
	clear(q.frames)
	if cap(q.frames) > 64 {
		q.frames = nil
	} else {
		q.frames = q.frames[:0]
	}
	return buf
}
