package relay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// ErrLogFull is returned when a room's history reached one of its limits.
var ErrLogFull = errors.New("relay: room log is full")

// Snapshot is a room's log up to Seq folded into what a world needs of it:
// the bodies of its action and reading envelopes, in order. Presence,
// board and command envelopes fold away. A Snapshot never changes once
// made, so a join or an event stream reads it without the room's lock.
//
// The bodies are kept as one JSON array without its closing bracket:
// successive snapshots of a room share one byte array, each knowing how
// much of it is its own, so a fold appends the new bodies after the old
// ones and copies nothing (but when the array runs out of room, as append
// does), and a room's snapshot costs the bytes of its bodies and no more.
// Nothing a snapshot holds is ever written again, so it is handed to any
// number of joiners and event streams as it is (Parts).
type Snapshot struct {
	Seq uint64
	// Present is every member of the room at Seq, since presence folds
	// away with the envelopes that told it.
	Present []string

	// acts[:n] is "[" and the count bodies after it, separated by commas;
	// n is 0 when the room has no action (the array is then JSON null).
	// Later folds append after n, never before.
	acts  []byte
	n     int
	count int
}

var (
	jsonNull     = []byte("null")
	closeBracket = []byte("]")
)

// Parts is the snapshot's actions as one JSON array, or null when there
// are none, in parts to be written one after the other: byte for byte
// what json.Marshal makes of the bodies as a []json.RawMessage. They are
// the snapshot's own memory, shared by every joiner: callers must not
// change them.
func (s *Snapshot) Parts() [][]byte {
	if s.n == 0 {
		return [][]byte{jsonNull}
	}
	return [][]byte{s.acts[:s.n:s.n], closeBracket}
}

// JSON is Parts in one piece, a copy.
func (s *Snapshot) JSON() json.RawMessage {
	return bytes.Join(s.Parts(), nil)
}

// stored is the snapshot as the store keeps it: a stored, as json.Marshal
// writes it, written in one piece from the bodies the snapshot holds.
func (s *Snapshot) stored(present []string) string {
	p, err := json.Marshal(present)
	if err != nil {
		p = []byte("null")
	}
	const head, mid = `{"actions":`, `,"present":`
	var b strings.Builder
	b.Grow(len(head) + s.n + len("null") + len(mid) + len(p) + 1)
	b.WriteString(head)
	if s.n == 0 {
		b.WriteString("null")
	} else {
		b.Write(s.acts[:s.n])
		b.WriteByte(']')
	}
	b.WriteString(mid)
	b.Write(p)
	b.WriteByte('}')
	return b.String()
}

// appendBody appends one more body to the array: acts holds the count
// bodies before it. A body is written as json.Marshal writes a
// json.RawMessage, compact and with <, >, & and U+2028/9 escaped, so the
// array is what marshalling the bodies made; most need no change.
func appendBody(acts []byte, count int, body json.RawMessage) []byte {
	if len(acts) == 0 {
		acts = append(acts, '[')
	}
	if count > 0 {
		acts = append(acts, ',')
	}
	if plainJSON(body) {
		return append(acts, body...)
	}
	b, err := json.Marshal(body)
	if err != nil {
		b = []byte("null") // not JSON: no logged body is (the relay checks them)
	}
	return append(acts, b...)
}

// plainJSON reports whether body is valid JSON that json.Marshal leaves as
// it is: without white space or a character it escapes.
func plainJSON(body []byte) bool {
	for _, c := range body {
		switch c {
		case ' ', '\t', '\n', '\r', '<', '>', '&', 0xE2: // 0xE2 begins U+2028 and U+2029
			return false
		}
	}
	return len(body) > 0 && json.Valid(body)
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
	s := &Snapshot{Seq: seq}
	if acts != nil {
		for _, a := range acts {
			s.acts = appendBody(s.acts, s.count, a)
			s.count++
		}
		if len(s.acts) == 0 {
			s.acts = append(s.acts, '[') // an empty array, kept as one
		}
		s.n = len(s.acts)
	}
	h.snap = s
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

// fold moves the tail's actions into a new snapshot. Its bodies are
// appended to the old snapshot's array in place, after every byte an older
// snapshot holds, so nothing old is copied or written over.
func (h *history) fold() {
	s := &Snapshot{Seq: h.seq}
	if old := h.snap; old != nil {
		s.acts, s.n, s.count = old.acts[:old.n], old.n, old.count
	}
	for _, e := range h.tail {
		if !isAction(e.Kind) {
			continue
		}
		s.acts = appendBody(s.acts, s.count, e.Body)
		s.count++
	}
	s.n = len(s.acts)
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
