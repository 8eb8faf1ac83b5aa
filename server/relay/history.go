package relay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/thingyard/thingyard/internal/defaults"
	"github.com/thingyard/thingyard/server/gate"
	"github.com/thingyard/thingyard/server/store"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// ErrLogFull is returned when a room's history reached one of its limits.
var ErrLogFull = errors.New("relay: room log is full")

// Snapshot is a room's log up to Seq folded into what a world needs of it:
// the room's world state at a tick (World, with every action up to
// WorldSeq; nil before the room's first) and the bodies of its action and
// reading envelopes after that, in order. Presence, board and command
// envelopes fold away. A Snapshot never changes once made, so a join or an
// event stream reads it without the room's lock.
//
// The bodies are kept as one JSON array without its closing bracket:
// successive snapshots of a room share one byte array, each knowing how
// much of it is its own, so a fold appends the new bodies after the old
// ones and copies nothing (but when the array runs out of room, as append
// does), and a room's snapshot costs the bytes of its bodies and no more.
// Nothing a snapshot holds is ever written again, so it is handed to any
// number of joiners and event streams as it is (Parts). When a new world
// state takes the place of the bodies it holds, the bodies after it start
// a new array.
type Snapshot struct {
	Seq uint64
	// Present is every member of the room at Seq, since presence folds
	// away with the envelopes that told it.
	Present []string
	// World is the room's world state (wire.PackWorld) at tick WorldTick
	// with every action up to WorldSeq; nil when the room has none yet,
	// and its actions are then the room's from tick 0. Gate is what the
	// room's gate had learnt up to WorldSeq.
	World     []byte
	WorldSeq  uint64
	WorldTick int64
	Gate      gate.Mark

	// acts[:n] is "[" and the count bodies after it, separated by commas;
	// n is 0 when the room has no action (the array is then JSON null).
	// Later folds append after n, never before. seqs[:count] are the
	// bodies' seqs (the snapshot's Seq for bodies read back from a store,
	// which does not keep them), shared as acts is.
	acts  []byte
	n     int
	count int
	seqs  []uint64
	// world64 is World as a JSON string (base64), made once.
	world64 []byte
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

// WorldJSON is World as a JSON string (base64), null when there is none:
// the snapshot's own memory, made once, shared by every joiner.
func (s *Snapshot) WorldJSON() []byte {
	if s.World == nil {
		return jsonNull
	}
	return s.world64
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
	g, _ := json.Marshal(s.Gate) // plain data: never an error
	const head, mid = `{"actions":`, `,"present":`
	var b strings.Builder
	b.Grow(len(head) + s.n + len("null") + len(mid) + len(p) + len(s.world64) + len(g) + 96)
	b.WriteString(head)
	if s.n == 0 {
		b.WriteString("null")
	} else {
		b.Write(s.acts[:s.n])
		b.WriteByte(']')
	}
	b.WriteString(mid)
	b.Write(p)
	if s.World != nil {
		fmt.Fprintf(&b, `,"world":%s,"world_seq":%d,"world_tick":%d,"gate":%s`, s.world64, s.WorldSeq, s.WorldTick, g)
	}
	b.WriteByte('}')
	return b.String()
}

// stored is a snapshot as the store keeps it (its Scene). A snapshot
// stored before world states were kept has only actions and present: the
// room's actions from tick 0.
type stored struct {
	Actions   json.RawMessage `json:"actions"`
	Present   []string        `json:"present"`
	World     []byte          `json:"world,omitempty"`
	WorldSeq  uint64          `json:"world_seq,omitempty"`
	WorldTick int64           `json:"world_tick,omitempty"`
	Gate      gate.Mark       `json:"gate,omitzero"`
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
// under the room's lock, however old the room. With a folder (worlds), the
// actions a snapshot holds are in turn folded into a world state once they
// pass worldAfter actions or worldAfterBytes bytes, or the state is
// worldAge ticks old: the room's log then never fills, and a snapshot
// stays about a world's size. Call its methods with the room's lock held.
type history struct {
	seq     uint64          // the last seq delivered
	lastAt  int64           // the At of that envelope
	snap    *Snapshot       // nil until the first fold
	tail    []wire.Envelope // the envelopes after snap.Seq
	fresh   *Snapshot       // a fold not yet taken by folded
	actions int             // action and reading envelopes since the world state
	bytes   int             // bytes of those bodies
	// sizes are the seq and size of each of those, with worlds: a world
	// state made takes its actions off the count at once.
	sizes []actionSize

	foldEvery int
	maxBytes  int
	worlds    bool        // a folder makes world states
	lim       WorldLimits // when a world state is made
	folding   bool        // a world state is being made
	next      *worldState // a world state made, for the next fold to take
}

type actionSize struct {
	seq  uint64
	size int
}

// worldState is a world state made from a snapshot, with what the room's
// gate had learnt up to it.
type worldState struct {
	packed []byte
	seq    uint64
	tick   int64
	gate   gate.Mark
}

// WorldLimits say when a room's actions are folded into its world state
// (the first limit reached) and how far behind the room's now it is taken.
// Zero fields take the defaults.
type WorldLimits struct {
	Actions int   // actions since the last state (default 500)
	Bytes   int   // bytes of them (default 256 KiB)
	Age     int64 // ticks since the last state, at an envelope (default 60,000: ten minutes of the room's clock)
	// Behind is how many ticks before the room's now (the At of the last
	// envelope folded) a state is taken (default 6,000, twice the gate's
	// window for late actions): an action the room admitted before the
	// fold but logs after it names a tick after the state's. The room's
	// gate refuses any action before it from then on.
	Behind int64
	// Quiet is how many ticks of the room's clock a room with actions
	// its state does not hold may go without an envelope before the
	// relay's sweep folds them (default 6,000: a minute), so a room that
	// goes quiet does not keep its log until its next envelope.
	Quiet int64
}

// Defaults of WorldLimits.
const (
	DefaultWorldActions       = 500
	DefaultWorldBytes         = 256 << 10
	DefaultWorldAge     int64 = 60_000
	DefaultWorldBehind        = 2 * gate.DefaultLate
	DefaultWorldQuiet   int64 = 6_000
)

func (l *WorldLimits) fill() {
	defaults.Positive(&l.Actions, DefaultWorldActions)
	defaults.Positive(&l.Bytes, DefaultWorldBytes)
	defaults.Positive(&l.Age, DefaultWorldAge)
	defaults.Positive(&l.Behind, DefaultWorldBehind)
	defaults.Positive(&l.Quiet, DefaultWorldQuiet)
}

func newHistory(foldEvery, maxBytes int, worlds bool, lim WorldLimits) *history {
	lim.fill()
	return &history{foldEvery: foldEvery, maxBytes: maxBytes, worlds: worlds, lim: lim}
}

func isAction(kind string) bool { return kind == wire.KindAction || kind == wire.KindReading }

// restore starts the history from a snapshot read back from the store:
// its world state (nil: none) and the actions after it, up to seq.
func (h *history) restore(seq uint64, st stored, acts []json.RawMessage) {
	s := &Snapshot{Seq: seq}
	if st.World != nil {
		s.World, s.WorldSeq, s.WorldTick, s.Gate = st.World, st.WorldSeq, st.WorldTick, st.Gate
		s.world64, _ = json.Marshal(st.World)
	}
	if acts != nil {
		for _, a := range acts {
			s.acts = appendBody(s.acts, s.count, a)
			s.seqs = append(s.seqs, seq)
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
		if h.worlds {
			h.sizes = append(h.sizes, actionSize{seq, len(a)})
		}
	}
}

// admit reports whether an action or reading may still be logged. A room
// whose actions are folded into world states keeps maxBytes of actions
// since its last state: reached only when states cannot be made as fast as
// actions come. One without keeps what a world replays from tick 0
// (sim.MaxLog actions) and maxBytes of them. What is not an action
// (presence, boards, commands) is always kept, since it folds away.
func (h *history) admit(e wire.Envelope) error {
	if h.worlds {
		if h.bytes+len(e.Body) > h.maxBytes {
			return fmt.Errorf("%w: its actions since its last world state take %d bytes and may take %d; its world state is being made, try again in a moment", ErrLogFull, h.bytes, h.maxBytes)
		}
		return nil
	}
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
		if h.worlds {
			h.sizes = append(h.sizes, actionSize{e.Seq, len(e.Body)})
		}
	}
	h.seq, h.lastAt = e.Seq, e.At
	h.tail = append(h.tail, e)
	// A world state made is taken at once, and one is made when the last
	// is old, however few the envelopes: a quiet room's next joiner does
	// not step its world from long ago.
	if len(h.tail) >= h.foldEvery || h.next != nil || h.worlds && !h.folding && h.tick()-h.worldTick() >= h.lim.Age+h.lim.Behind {
		h.fold()
	}
}

// tick is the room's tick by its last envelope.
func (h *history) tick() int64 { return h.lastAt / wire.MsPerTick }

func (h *history) worldTick() int64 {
	if h.snap == nil {
		return 0
	}
	return h.snap.WorldTick
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
// snapshot holds, so nothing old is copied or written over. A world state
// made since takes the place of the bodies it holds: those after it start
// a new array.
func (h *history) fold() {
	s := &Snapshot{Seq: h.seq}
	if old := h.snap; old != nil {
		*s = *old
		s.Seq, s.Present = h.seq, nil
	}
	if ws := h.next; ws != nil {
		h.next = nil
		s.World, s.WorldSeq, s.WorldTick, s.Gate = ws.packed, ws.seq, ws.tick, ws.gate
		s.world64, _ = json.Marshal(ws.packed)
		all, seqs := snapBodies(s), s.seqs
		s.acts, s.n, s.count, s.seqs = nil, 0, 0, nil
		for i, body := range all {
			if seqs[i] <= ws.seq {
				continue
			}
			s.acts = appendBody(s.acts, s.count, body)
			s.seqs = append(s.seqs, seqs[i])
			s.count++
		}
	}
	for _, e := range h.tail {
		if !isAction(e.Kind) {
			continue
		}
		s.acts = appendBody(s.acts, s.count, e.Body)
		s.seqs = append(s.seqs, e.Seq)
		s.count++
	}
	s.n = len(s.acts)
	h.snap, h.fresh = s, s
	h.tail = nil
}

// snapBodies are the bodies of a snapshot's array, apart.
func snapBodies(s *Snapshot) []json.RawMessage {
	if s.n == 0 {
		return nil
	}
	var all []json.RawMessage
	json.Unmarshal(append(s.acts[:s.n:s.n], ']'), &all) // the array is JSON: appendBody wrote it
	return all
}

// worldDue reports whether a world state should be made from snapshot s
// now, and at which tick; it notes that one is being made.
func (h *history) worldDue(s *Snapshot) (int64, bool) {
	tick := h.tick() - h.lim.Behind
	if !h.worlds || h.folding || tick <= s.WorldTick {
		return 0, false
	}
	if s.count < h.lim.Actions && s.n < h.lim.Bytes && tick-s.WorldTick < h.lim.Age {
		return 0, false
	}
	h.folding = true
	return tick, true
}

// quiet reports whether the room went quiet with actions its world state
// does not hold: no envelope for Quiet ticks of the room's clock (now, in
// ticks). It then folds the tail and returns the snapshot and the tick to
// make a world state of, and notes that one is being made. A room with no
// action since its last state is never stepped for it.
func (h *history) quiet(now int64) (*Snapshot, int64, bool) {
	if !h.worlds || h.folding || h.actions == 0 || now-h.tick() < h.lim.Quiet {
		return nil, 0, false
	}
	tick := now - h.lim.Behind
	if tick <= h.worldTick() {
		return nil, 0, false
	}
	if len(h.tail) > 0 || h.snap == nil {
		h.fold()
	}
	h.folding = true
	return h.snap, tick, true
}

// made takes a world state made from a snapshot (nil: it could not be):
// the next fold puts it in the place of the actions it holds.
func (h *history) made(ws *worldState) {
	h.folding = false
	if ws == nil || h.snap != nil && ws.seq <= h.snap.WorldSeq {
		return
	}
	h.next = ws
	n := 0
	for n < len(h.sizes) && h.sizes[n].seq <= ws.seq {
		h.actions--
		h.bytes -= h.sizes[n].size
		n++
	}
	h.sizes = append(h.sizes[:0:0], h.sizes[n:]...)
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

// foldWorld makes the room's world state at tick from snapshot s (its
// world state and the actions after it) with the relay's Folder, away from
// the room's lock, and hands it to the room's log, whose next fold takes
// it. From then on the room's gate refuses actions before tick.
func (rm *room) foldWorld(s *Snapshot, tick int64, mark gate.Mark) {
	r := rm.relay
	began := time.Now()
	packed, err := r.opt.Folder.Fold(rm.scene, s.World, snapBodies(s), tick)
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if err != nil {
		rm.log.made(nil)
		r.log.Warn("cannot fold the room's log into its world state", "room", rm.id, "seq", s.Seq, "err", err)
		return
	}
	rm.log.made(&worldState{packed: packed, seq: s.Seq, tick: tick, gate: mark})
	if rm.door != nil {
		rm.door.Floor(tick)
	}
	// Taken at once, not at the room's next envelope, which a quiet room
	// may never send: the store drops the log the state holds now.
	if rm.log.next != nil {
		rm.log.fold()
		rm.settle()
	}
	r.worlds.Add(1)
	r.log.Info("folded the room's log into its world state", "room", rm.id, "seq", s.Seq, "tick", tick,
		"actions", s.count, "bytes", len(packed), "took", time.Since(began))
}

// foldIfQuiet makes the room's world state when the room went quiet with
// actions its state does not hold (history.quiet), here, and reports
// whether it did.
func (rm *room) foldIfQuiet() bool {
	rm.mu.Lock()
	s, tick, ok := rm.log.quiet(wire.Tick(rm.now()))
	var mark gate.Mark
	if ok {
		rm.settle() // stores the tail's fold; the state is made here, below
		mark = rm.mark()
	}
	rm.mu.Unlock()
	if ok {
		rm.foldWorld(s, tick, mark)
	}
	return ok
}

// putSnapshot stores the room's log folded up to its latest fold, so a
// server that opens the room reads that and a short tail. Every server
// following the room folds at the same seqs; the store keeps the newest.
func (rm *room) putSnapshot(s *Snapshot) {
	present := s.Present
	go func() {
		ctx, cancel := rm.relay.ctx()
		defer cancel()
		// Written straight from the snapshot's bodies: nothing of the
		// room's log is marshalled again.
		if err := rm.relay.opt.Store.PutSnapshot(ctx, rm.id, store.Snapshot{Seq: s.Seq, Scene: s.stored(present), World: s.WorldSeq}); err != nil {
			rm.relay.log.Warn("cannot store the room's snapshot", "room", rm.id, "seq", s.Seq, "err", err)
		}
	}()
}
