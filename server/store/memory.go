package store

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/thingyard/thingyard/wire"
)

// Memory is a Store that keeps everything in the process: for tests and
// for -store memory. Nothing survives the process.
type Memory struct {
	lim Limits

	mu     sync.Mutex
	rooms  map[string]*memRoom
	closed bool
}

type memRoom struct {
	room  Room
	log   []memEnvelope // what is kept: log[i] has seq first+i
	first uint64        // the seq of log[0]
	last  uint64        // the last seq given
	bytes int64         // the encoded bytes of log
	snap  *Snapshot
	subs  map[*Subscription]chan struct{} // each with its feeder's wake-up
	gone  bool
}

type memEnvelope struct {
	e    wire.Envelope
	size int
}

// subPage is how many envelopes a memory subscription's feeder copies
// under the lock at once.
const subPage = 256

// NewMemory makes an empty Memory store with limits (zero fields take the
// defaults).
func NewMemory(lim Limits) *Memory {
	return &Memory{lim: lim.fill(), rooms: map[string]*memRoom{}}
}

var _ Store = (*Memory)(nil)

// room returns room id. Call with m.mu held.
func (m *Memory) room(id string) (*memRoom, error) {
	if m.closed {
		return nil, ErrClosed
	}
	rm := m.rooms[id]
	if rm == nil {
		return nil, fmt.Errorf("%w %q", ErrNoRoom, id)
	}
	return rm, nil
}

// inRoom runs f on room id with m.mu held: how a call on one room finds
// it.
func inRoom[T any](m *Memory, id string, f func(rm *memRoom) (T, error)) (T, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rm, err := m.room(id)
	if err != nil {
		var zero T
		return zero, err
	}
	return f(rm)
}

// Create implements Store.
func (m *Memory) Create(_ context.Context, r Room) error {
	if err := checkRoom(m.lim, r); err != nil {
		return err
	}
	r.Meta = maps.Clone(r.Meta)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if m.rooms[r.ID] != nil {
		return fmt.Errorf("%w: %q", ErrExists, r.ID)
	}
	m.rooms[r.ID] = &memRoom{room: r, first: 1, subs: map[*Subscription]chan struct{}{}}
	return nil
}

// Find implements Store.
func (m *Memory) Find(_ context.Context, id string) (Room, error) {
	return inRoom(m, id, func(rm *memRoom) (Room, error) {
		r := rm.room
		r.Meta = maps.Clone(r.Meta)
		return r, nil
	})
}

// List implements Store.
func (m *Memory) List(context.Context) ([]Room, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	rooms := make([]Room, 0, len(m.rooms))
	for _, rm := range m.rooms {
		r := rm.room
		r.Meta = maps.Clone(r.Meta)
		rooms = append(rooms, r)
	}
	slices.SortFunc(rooms, func(a, b Room) int { return strings.Compare(a.ID, b.ID) })
	return rooms, nil
}

// Remove implements Store.
func (m *Memory) Remove(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	rm, err := m.room(id)
	if err != nil {
		return err
	}
	rm.gone = true
	for s := range rm.subs {
		s.stop(fmt.Errorf("%w %q: it was removed", ErrNoRoom, id))
	}
	delete(m.rooms, id)
	return nil
}

// Append implements Store.
func (m *Memory) Append(_ context.Context, id string, e wire.Envelope) (wire.Envelope, error) {
	e.Body = slices.Clone(e.Body)
	return inRoom(m, id, func(rm *memRoom) (wire.Envelope, error) {
		e.Seq = rm.last + 1
		b, err := json.Marshal(e)
		if err != nil {
			return wire.Envelope{}, fmt.Errorf("store: append to room %s: %w", id, err)
		}
		if err := checkAppend(m.lim, id, len(rm.log), rm.bytes, len(b)); err != nil {
			return wire.Envelope{}, err
		}
		rm.log = append(rm.log, memEnvelope{e, len(b)})
		rm.last = e.Seq
		rm.bytes += int64(len(b))
		for _, wake := range rm.subs {
			select {
			case wake <- struct{}{}:
			default:
			}
		}
		return e, nil
	})
}

// after checks that room rm has its envelopes after since. Call with m.mu
// held.
func (rm *memRoom) after(since uint64) error {
	if since > rm.last {
		return fmt.Errorf("%w: room %s is at seq %d, asked for what comes after %d", ErrAhead, rm.room.ID, rm.last, since)
	}
	if since+1 < rm.first {
		return trimmed(rm.room.ID, since, rm.first)
	}
	return nil
}

// page copies up to max envelopes from seq next on, at most about bytes
// of them. Call with m.mu held.
func (rm *memRoom) page(next uint64, max, bytes int) []wire.Envelope {
	var page []wire.Envelope
	size := 0
	for _, me := range rm.log[next-rm.first:] {
		if len(page) == max || size >= bytes {
			break
		}
		page = append(page, me.e)
		size += me.size
	}
	return page
}

// Read implements Store.
func (m *Memory) Read(_ context.Context, id string, since uint64, max int) ([]wire.Envelope, error) {
	return inRoom(m, id, func(rm *memRoom) ([]wire.Envelope, error) {
		if err := rm.after(since); err != nil {
			return nil, err
		}
		return rm.page(since+1, pageMax(max), ReadBytes), nil
	})
}

// Head implements Store.
func (m *Memory) Head(_ context.Context, id string) (Head, error) {
	return inRoom(m, id, func(rm *memRoom) (Head, error) {
		h := Head{Seq: rm.last, First: rm.first, Envelopes: len(rm.log), Bytes: rm.bytes}
		if len(rm.log) > 0 {
			h.At = rm.log[len(rm.log)-1].e.At
		}
		return h, nil
	})
}

// Subscribe implements Store.
func (m *Memory) Subscribe(_ context.Context, id string, since uint64) (*Subscription, error) {
	return inRoom(m, id, func(rm *memRoom) (*Subscription, error) {
		if err := rm.after(since); err != nil {
			return nil, err
		}
		s := newSubscription(id, m.lim.SubLag)
		wake := make(chan struct{}, 1)
		rm.subs[s] = wake
		go m.feed(rm, s, wake, since+1, rm.last)
		return s, nil
	})
}

// feed sends subscriber s the envelopes of rm from seq next on, those up
// to seq backlog at the reader's pace, the later ones as they come.
func (m *Memory) feed(rm *memRoom, s *Subscription, wake chan struct{}, next, backlog uint64) {
	var err error
	defer func() {
		m.mu.Lock()
		delete(rm.subs, s)
		m.mu.Unlock()
		s.finish(err)
	}()
	for {
		var page []wire.Envelope
		m.mu.Lock()
		switch {
		case m.closed:
			err = ErrClosed
		case rm.gone:
			err = fmt.Errorf("%w %q: it was removed", ErrNoRoom, rm.room.ID)
		case next < rm.first:
			err = trimmed(rm.room.ID, next-1, rm.first)
		default:
			page = rm.page(next, subPage, ReadBytes)
		}
		m.mu.Unlock()
		if err != nil {
			return
		}
		if len(page) == 0 {
			select {
			case <-wake:
			case <-s.ctx.Done():
				return
			}
			continue
		}
		for _, e := range page {
			if err = s.send(e, e.Seq <= backlog); err != nil {
				return
			}
			next = e.Seq + 1
		}
	}
}

// PutSnapshot implements Store.
func (m *Memory) PutSnapshot(_ context.Context, id string, s Snapshot) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	rm, err := m.room(id)
	if err != nil {
		return err
	}
	if err := checkSnapshot(m.lim, id, s, rm.last); err != nil {
		return err
	}
	if rm.snap != nil && !s.newer(*rm.snap) {
		return nil
	}
	rm.snap = &s
	if s.Seq > rm.first {
		drop := int(s.Seq - rm.first)
		for _, me := range rm.log[:drop] {
			rm.bytes -= int64(me.size)
		}
		rm.log = slices.Clone(rm.log[drop:])
		rm.first = s.Seq
	}
	return nil
}

// Snapshot implements Store.
func (m *Memory) Snapshot(_ context.Context, id string) (Snapshot, error) {
	return inRoom(m, id, func(rm *memRoom) (Snapshot, error) {
		if rm.snap == nil {
			return Snapshot{}, fmt.Errorf("%w: room %s", ErrNoSnapshot, id)
		}
		return *rm.snap, nil
	})
}

// Close implements Store.
func (m *Memory) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	var subs []*Subscription
	for _, rm := range m.rooms {
		for s := range rm.subs {
			subs = append(subs, s)
		}
	}
	m.mu.Unlock()
	closeAll(subs)
	return nil
}
