package relay

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// ErrLogFull is returned when a room's history reached one of its limits.
var ErrLogFull = errors.New("relay: room log is full")

// Snapshot is a room's log up to Seq folded into what a world needs of it:
// the bodies of its action and reading envelopes, in order. Presence,
// board and command envelopes fold away. A Snapshot never changes once
// made, so a join or an event stream reads it without the room's lock.
type Snapshot struct {
	Seq     uint64
	Actions []json.RawMessage
	// Present is every member of the room at Seq, since presence folds
	// away with the envelopes that told it.
	Present []string

	once sync.Once
	raw  json.RawMessage
}

// JSON is Actions as one JSON array, made once and shared by every joiner.
func (s *Snapshot) JSON() json.RawMessage {
	s.once.Do(func() {
		s.raw, _ = json.Marshal(s.Actions)
	})
	return s.raw
}

// history is one room's log as this process follows it: a snapshot of
// everything up to some seq and the envelopes after it (the tail). The tail
// is folded into a new snapshot every foldEvery envelopes, so it stays
// short, and a joiner or an event stream copies at most that many envelopes
// under the room's lock, however old the room. Call its methods with the
// room's lock held.
type history struct {
	seq       uint64          // the last seq delivered
	snap      *Snapshot       // nil until the first fold
	tail      []wire.Envelope // the envelopes after snap.Seq
	fresh     *Snapshot       // a fold not yet taken by folded
	actions   int             // action and reading envelopes in the room
	bytes     int             // bytes of those bodies
	foldEvery int
	maxBytes  int
}

func newHistory(foldEvery, maxBytes int) *history {
	return &history{foldEvery: foldEvery, maxBytes: maxBytes}
}

func isAction(kind string) bool { return kind == wire.KindAction || kind == wire.KindReading }

// restore starts the history from a snapshot of the actions up to seq.
func (h *history) restore(seq uint64, acts []json.RawMessage) {
	h.snap = &Snapshot{Seq: seq, Actions: acts}
	h.seq = seq
	h.actions = len(acts)
	for _, a := range acts {
		h.bytes += len(a)
	}
}

// admit reports whether an action or reading may still be logged: a room
// keeps what a world replays (sim.MaxLog actions) and maxBytes of them.
// What is not an action (presence, boards, commands) is always kept, since
// it folds away.
func (h *history) admit(e wire.Envelope) error {
	if h.actions >= sim.MaxLog {
		return fmt.Errorf("%w: it holds %d actions, the most a world replays; start a new room (the Share panel's link carries this scene)", ErrLogFull, sim.MaxLog)
	}
	if h.bytes+len(e.Body) > h.maxBytes {
		return fmt.Errorf("%w: its actions take %d bytes and may take %d; start a new room (the Share panel's link carries this scene)", ErrLogFull, h.bytes, h.maxBytes)
	}
	return nil
}

// add takes the room's next envelope, as the store numbered it.
func (h *history) add(e wire.Envelope) {
	if isAction(e.Kind) {
		h.actions++
		h.bytes += len(e.Body)
	}
	h.seq = e.Seq
	h.tail = append(h.tail, e)
	if len(h.tail) >= h.foldEvery {
		h.fold()
	}
}

// folded returns the snapshot of a fold that happened since it was last
// called, or nil.
func (h *history) folded() *Snapshot {
	s := h.fresh
	h.fresh = nil
	return s
}

// fold moves the tail's actions into a new snapshot. The old snapshot's
// array is appended to in place: what an older snapshot holds lies before
// its own length and is never written again.
func (h *history) fold() {
	s := &Snapshot{}
	if h.snap != nil {
		s.Actions = h.snap.Actions
	}
	for _, e := range h.tail {
		if isAction(e.Kind) {
			s.Actions = append(s.Actions, e.Body)
		}
	}
	s.Seq = h.seq
	h.snap, h.fresh = s, s
	h.tail = nil
}

// since is the log after seq: the envelopes after it, or, when seq lies
// before the snapshot, the snapshot and every envelope after it. The
// returned tail is a copy of at most foldEvery envelopes.
func (h *history) since(seq uint64) (*Snapshot, []wire.Envelope) {
	if seq >= h.seq {
		return nil, nil
	}
	var base uint64
	if h.snap != nil {
		base = h.snap.Seq
	}
	if seq < base {
		return h.snap, append([]wire.Envelope(nil), h.tail...)
	}
	return nil, append([]wire.Envelope(nil), h.tail[seq-base:]...)
}
