package relay

import "sync"

// queue holds the frames waiting for one member's writer. It is a slice
// that grows with what is waiting rather than a buffered channel, so an
// idle member costs a few words instead of a channel of QueueLen frames
// (12 KB at the default of 512): that is most of a classroom's memory.
type queue struct {
	mu     sync.Mutex
	frames [][]byte
	max    int
	ready  chan struct{} // capacity 1: a signal that frames are waiting
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
// welcome, encoded after the member joined.
func (q *queue) first(data []byte) {
	q.mu.Lock()
	q.frames = append(q.frames, nil)
	copy(q.frames[1:], q.frames)
	q.frames[0] = data
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
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
