package sim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// State is a world's complete state at its tick as bytes: everything that
// decides its future (the spec it was made from, its seed and generator,
// devices, links, the engine's queue of events and the messages in flight,
// rules, polls, pending actions, counters, series and hash marks). A world
// decoded from it (DecodeState) and stepped on with the same actions has
// the same hash at every tick as the world it was taken from.
//
// It is how a long-lived room is kept: its log up to a tick is folded into
// the world it made, so a joiner loads that world and the actions after it
// instead of replaying the room from tick 0, and the room's log can be
// dropped before it.
//
// What a world keeps only to save work (route trees, broker and app lists,
// encoding buffers, MQTT topics, the bytes of free message slots) is left
// out and made again on first use, as Clone leaves it; so are the frame
// hooks (OnFrame, OnFrameEnd), which are the caller's, not the world's.
//
// The layout: the magic "TYWS", a version byte, the fields as varints and
// length-prefixed strings in a fixed order, and an FNV-1a 64 checksum of
// everything before it, little-endian.
func (w *World) State() []byte {
	c := stateCodec{b: make([]byte, 0, 256+160*len(w.devices)+64*len(w.msgs))}
	c.b = append(c.b, stateMagic...)
	c.b = append(c.b, stateVersion)
	c.world(w)
	return binary.LittleEndian.AppendUint64(c.b, stateSum(c.b))
}

const (
	stateMagic   = "TYWS"
	stateVersion = 1
)

// ErrBadState refuses bytes that are not a world's state this version of
// Thingyard can read; it is wrapped with what was wrong and where.
var ErrBadState = errors.New("sim: bad world state")

func stateSum(b []byte) uint64 {
	f := fnv{h: 14695981039346656037}
	for _, c := range b {
		f.h ^= uint64(c)
		f.h *= 1099511628211
	}
	return f.h
}

// DecodeState makes the world whose State b is. Bytes that are cut short,
// changed, of another version or inconsistent are refused with ErrBadState,
// saying what and at which byte.
func DecodeState(b []byte) (*World, error) {
	head := len(stateMagic) + 1
	if len(b) < head+8 {
		return nil, fmt.Errorf("%w: %d bytes, too short for a world's state (at least %d)", ErrBadState, len(b), head+8)
	}
	if string(b[:len(stateMagic)]) != stateMagic {
		return nil, fmt.Errorf("%w: bytes 0-3 are %q, not %q: not a world's state", ErrBadState, b[:len(stateMagic)], stateMagic)
	}
	if v := b[len(stateMagic)]; v != stateVersion {
		return nil, fmt.Errorf("%w: version %d at byte 4; this Thingyard reads version %d", ErrBadState, v, stateVersion)
	}
	body := b[:len(b)-8]
	if got, want := binary.LittleEndian.Uint64(b[len(b)-8:]), stateSum(body); got != want {
		return nil, fmt.Errorf("%w: checksum at byte %d is %016x, the %d bytes before it sum to %016x: cut short or changed", ErrBadState, len(body), got, len(body), want)
	}
	c := stateCodec{reading: true, b: body, off: head}
	w := &World{}
	c.world(w)
	w.dropCaches() // made again on first use, as a clone's
	if c.err == nil {
		c.check(w)
	}
	if c.err == nil && c.off != len(c.b) {
		c.fail("end", "%d bytes left over", len(c.b)-c.off)
	}
	if c.err != nil {
		return nil, c.err
	}
	return w, nil
}

// world writes or reads a world's state in four parts.
func (c *stateCodec) world(w *World) {
	c.head(w)
	c.parts(w)
	c.engine(w)
	c.rest(w)
}

// head is what a world is made from: its spec, seed, random source, clock
// and sides.
func (c *stateCodec) head(w *World) {
	c.at("spec")
	c.jsonBytes(&w.spec)
	c.at("seed")
	unsigned(c, &w.seed)
	unsigned(c, &w.rng.s)
	c.at("tick")
	signed(c, &w.tick)
	signed(c, &w.now)
	if c.checking() && (w.tick < 0 || w.now != w.tick*TickMicros) {
		c.fail("tick", "tick %d and time %d µs disagree", w.tick, w.now)
	}
	if c.checking() {
		if err := w.spec.Validate(); err != nil {
			c.fail("spec", "%v", err)
		}
	}
	c.at("sides")
	list(c, &w.sides, c.str)
	// The sides are the spec's: what bounds the metrics kept for them.
	if c.checking() {
		if want := sideNames(&w.spec); !slices.Equal(w.sides, want) {
			c.fail("sides", "%q, but the spec's sides are %q", w.sides, want)
		}
	}
}

// parts are the world's devices and links and the names they go by.
func (c *stateCodec) parts(w *World) {
	part(c, "devices", &w.devices, c.device)
	part(c, "links", &w.links, c.link)
	c.at("device ids")
	c.ids(&w.byID, len(w.devices))
	c.at("link ids")
	c.ids(&w.linkIDs, len(w.links))
}

// engine is the messages under way and the events waiting.
func (c *stateCodec) engine(w *World) {
	part(c, "messages", &w.msgs, c.message)
	c.at("free messages")
	list(c, &w.freeMsgs, func(m *int32) { index(c, m, len(w.msgs)) })
	unsigned(c, &w.nextMsg)
	c.at("events")
	i := -1 // the event being read, for errors
	list(c, &w.events, func(ev *event) {
		i++
		signed(c, &ev.at)
		unsigned(c, &ev.seq)
		enum(c, &ev.kind, uint64(evBusFree))
		signed(c, &ev.ref)
		unsigned(c, &ev.gen)
		unsigned(c, &ev.id)
		if !c.checking() {
			return
		}
		limit := len(w.devices)
		if ev.kind == evArrive {
			limit = len(w.msgs)
		} else if ev.kind == evBusFree {
			limit = len(w.links)
		}
		if ev.ref < 0 || int(ev.ref) >= limit || ev.kind == 0 {
			c.fail(fmt.Sprintf("events[%d]", i), "event of kind %d refers to %d, out of range", ev.kind, ev.ref)
		}
	})
	unsigned(c, &w.evSeq)
}

// rest is the pending actions, rules, metrics and counters.
func (c *stateCodec) rest(w *World) {
	c.at("pending actions")
	c.jsonBytes(&w.pending)
	c.at("rules")
	list(c, &w.rules, func(r *rule) {
		index(c, &r.where, len(w.devices))
		index(c, &r.sensor, len(w.devices))
		index(c, &r.actuator, len(w.devices))
		signed(c, &r.above)
		signed(c, &r.hyst)
		c.bool(&r.state)
	})
	unsigned(c, &w.topoVers)
	c.at("metrics")
	if n := c.count(len(w.metrics)); c.checking() && n != len(w.sides) {
		c.fail("metrics", "%d sides' metrics for %d sides", n, len(w.sides))
	}
	if c.reading {
		w.metrics = make([]sideMetrics, len(w.sides))
	}
	for i := range w.metrics {
		c.metrics(&w.metrics[i])
	}
	c.at("series")
	list(c, &w.series, func(s *Sample) {
		signed(c, &s.Tick)
		index(c, &s.Side, len(w.sides))
		signed(c, &s.Delivered)
		signed(c, &s.Lost)
		signed(c, &s.Bytes)
		c.float(&s.LatencyP50Ms)
		c.float(&s.LatencyP99Ms)
	})
	signed(c, &w.added)
	unsigned(c, &w.shapeVers)
	c.at("hash marks")
	list(c, &w.hashes, func(h *HashMark) {
		signed(c, &h.Tick)
		unsigned(c, &h.Hash)
	})
	c.at("refusal")
	c.str(&w.refusalText)
	signed(c, &w.refusalTick)
	c.at("frame counts")
	signed(c, &w.framesSent)
	unsigned(c, &w.frames)
}

// check refuses what would make the decoded world index out of its
// slices: every reference between its parts is in range.
func (c *stateCodec) check(w *World) {
	nd, nl, nm := len(w.devices), len(w.links), len(w.msgs)
	for i := range w.devices {
		dv := &w.devices[i]
		if dv.side < 0 || dv.side >= len(w.sides) {
			c.fail(fmt.Sprintf("devices[%d].side", i), "side %d of %d", dv.side, len(w.sides))
			return
		}
		if dv.target < -1 || int(dv.target) >= nd || dv.sink < -1 || int(dv.sink) >= nd {
			c.fail(fmt.Sprintf("devices[%d].target", i), "target %d or sink %d out of %d devices", dv.target, dv.sink, nd)
			return
		}
		if !c.refs(dv.links, nl, "link", "devices[%d].links", i) {
			return
		}
		for _, cm := range dv.commands {
			if cm.dev < 0 || int(cm.dev) >= nd {
				c.fail(fmt.Sprintf("devices[%d].commands", i), "device %d of %d", cm.dev, nd)
				return
			}
		}
		if !c.refs(dv.buffer, nm, "message", "devices[%d].buffer", i) {
			return
		}
	}
	for i := range w.links {
		l := &w.links[i]
		if !c.refs(l.members, nd, "device", "links[%d].members", i) || !c.refs(l.queue, nm, "message", "links[%d].queue", i) {
			return
		}
	}
	for i := range w.msgs {
		m := &w.msgs[i]
		if !m.live {
			continue
		}
		in := func(v int32, n int) bool { return v >= -1 && int(v) < n }
		if m.side < 0 || m.side >= len(w.sides) || !in(m.origin, nd) || !in(m.dst, nd) || !in(m.from, nd) ||
			!in(m.to, nd) || !in(m.link, nl) || !in(m.sensor, nd) {
			c.fail(fmt.Sprintf("messages[%d]", i), "a reference out of range (side %d, devices %d→%d, link %d)", m.side, m.from, m.to, m.link)
			return
		}
	}
	if !slices.IsSortedFunc(w.pending, func(a, b Action) int { return int(min(max(a.At-b.At, -1), 1)) }) {
		c.fail("pending actions", "not in tick order")
	}
}

// refs checks that each of refs is an index into n things (each a what),
// failing at where (a format of the index i of what holds refs) if not.
func (c *stateCodec) refs(refs []int32, n int, what, where string, i int) bool {
	for _, r := range refs {
		if r < 0 || int(r) >= n {
			c.fail(fmt.Sprintf(where, i), "%s %d of %d", what, r, n)
			return false
		}
	}
	return true
}

// NewTimelineAt starts a timeline at w's tick, with w as its world (which
// it takes: the caller must not use w afterwards): how a party joins a
// room from the room's world state instead of from tick 0. Its Horizon is
// w's tick: an action of an earlier tick is refused with ErrTooLate, as
// the server refuses it once the room's log is folded there.
func NewTimelineAt(w *World) *Timeline {
	return &Timeline{spec: w.spec, seed: w.seed, w: w, cps: []checkpoint{{w: w.Clone()}}, based: true}
}

// Advance moves w as a timeline started at it (NewTimelineAt) and given
// acts would move to tick, without the copy of w such a timeline keeps to
// replay late actions from: for a party that moves a state on once, as the
// server folds a room's log into its next world state. An action of a
// tick before w's, or one a timeline refuses, is left out; the others take
// effect at their ticks. It returns how many it kept, as AddAll does.
func Advance(w *World, acts []Action, tick int64) int {
	kept := 0
	for _, a := range acts {
		if admitAt(a, w.tick, w.tick) != nil {
			continue
		}
		w.Apply(a) // a refusal is every party's alike
		kept++
	}
	if tick > w.tick {
		w.Step(int(tick - w.tick))
	}
	return kept
}

// sealState ends the body of a world's state with its checksum, as State
// does last.
func sealState(body []byte) []byte {
	return binary.LittleEndian.AppendUint64(slices.Clip(body), stateSum(body))
}
