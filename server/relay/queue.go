package relay

import "sync"

// queue holds the frames waiting for one member's writer. It is a slice
// that grows with what is waiting rather than a buffered channel, so an
// idle member costs a few words instead of a channel of QueueLen frames
// (12 KB at the default of 512): that is most of a classroom's memory.
//
// Nothing waits on an empty queue: the first frame put in an idle one
// calls wake, which starts the member's writer (a WebSocket member) or
// signals its reader (a Local one); the writer takes frames until none
// are left (take), and the queue is idle again.
type queue struct {
	mu     sync.Mutex
	frames [][]byte
	// welcome is the parts of the frame that goes before frames (first).
	welcome [][]byte
	max     int
	busy    bool // wake was called, or the queue is held or claimed: wake is not called
	closed  bool // the member is gone: wake is not called again
	wake    func()
	// claim, when set, lets a delivery take an idle queue for itself
	// (pushClaim) instead of waking its taker: it is called as wake
	// would be, and the claimer then takes what waits.
	claim func()
}

// newQueue makes a member's queue, held until open: the member is
// joining, and nothing is sent before its welcome and before the room
// has logged its arrival.
func newQueue(max int, wake func()) *queue { return &queue{max: max, wake: wake, busy: true} }

// open ends the hold of a new queue: what waits is sent.
func (q *queue) open() {
	q.mu.Lock()
	q.busy = false
	if q.welcome != nil || len(q.frames) > 0 {
		q.woken()
		return
	}
	q.mu.Unlock()
}

// push adds a frame without blocking; it reports false when max frames
// are already waiting, so the caller can drop the slow reader.
func (q *queue) push(data []byte) bool {
	q.mu.Lock()
	if len(q.frames) >= q.max {
		q.mu.Unlock()
		return false
	}
	q.frames = append(q.frames, data)
	q.woken()
	return true
}

// pushClaim is push for a delivery that can write to the member itself.
// When the queue was idle and can be claimed, it wakes no one: it calls
// claim and reports claimed, and the caller is then the queue's taker,
// which takes what waits until release finds nothing. Otherwise the
// queue's taker is woken as by push.
func (q *queue) pushClaim(data []byte) (ok, claimed bool) {
	if q.claim == nil {
		return q.push(data), false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.frames) >= q.max {
		return false, false
	}
	q.frames = append(q.frames, data)
	if q.busy || q.closed {
		return true, false
	}
	q.busy = true
	q.claim()
	return true, true
}

// release ends a taker's turn when nothing waits, and reports whether it
// did; when frames wait, the taker still has them to take.
func (q *queue) release() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.welcome != nil || len(q.frames) > 0 {
		return false
	}
	q.busy = false
	return true
}

// woken wakes the queue's taker if it is idle, and unlocks q.mu. Call
// with q.mu held; wake is called with it held too, so it must not block
// (it starts a goroutine or signals a channel), and no wake follows close.
func (q *queue) woken() {
	if !q.busy && !q.closed {
		q.busy = true
		q.wake()
	}
	q.mu.Unlock()
}

// first puts a frame before every frame waiting, whatever max says: the
// welcome, encoded after the member joined. The frame is given in parts,
// written as one message: a part may be shared with other members (the
// room's snapshot, which a welcome carries without copying it) and is
// never changed.
func (q *queue) first(parts ...[]byte) {
	q.mu.Lock()
	q.welcome = parts
	q.woken()
}

// take returns the parts of the frame first put, once, or nil, and every
// waiting frame, oldest first, emptying the queue. A queue drained to
// nothing lets go of its backing array. When nothing waits the queue is
// idle again: the next frame wakes its taker.
func (q *queue) take(buf [][]byte) (welcome, frames [][]byte) {
	q.mu.Lock()
	defer q.mu.Unlock()
	welcome, q.welcome = q.welcome, nil
	buf = append(buf[:0], q.frames...)
	clear(q.frames)
	if cap(q.frames) > 64 {
		q.frames = nil
	} else {
		q.frames = q.frames[:0]
	}
	if welcome == nil && len(buf) == 0 {
		q.busy = false
	}
	return welcome, buf
}

// close wakes no one again, and reports whether a taker was woken and
// has not found the queue empty since.
func (q *queue) close() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	return q.busy
}
