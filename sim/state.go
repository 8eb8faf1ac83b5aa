package sim

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
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
	e := stateWriter{b: make([]byte, 0, 256+160*len(w.devices)+64*len(w.msgs))}
	e.b = append(e.b, stateMagic...)
	e.b = append(e.b, stateVersion)
	e.head(w)
	e.parts(w)
	e.engine(w)
	e.rest(w)
	return binary.LittleEndian.AppendUint64(e.b, stateSum(e.b))
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
	d := stateReader{b: body, off: head}
	w := d.world()
	if d.err == nil && d.off != len(d.b) {
		d.fail("end", "%d bytes left over", len(d.b)-d.off)
	}
	if d.err != nil {
		return nil, d.err
	}
	return w, nil
}

func (d *stateReader) world() *World {
	w := &World{}
	d.head(w)
	d.parts(w)
	d.engine(w)
	d.rest(w)
	w.dropCaches() // made again on first use, as a clone's
	if d.err == nil {
		d.check(w)
	}
	return w
}

// head writes what a world is made from: its spec, seed, random source,
// clock and sides.
func (e *stateWriter) head(w *World) {
	spec, err := json.Marshal(w.spec)
	if err != nil {
		panic(fmt.Sprintf("sim: a world's spec does not encode: %v", err)) // every field is plain data
	}
	e.bytes(spec)
	e.u(w.seed)
	e.u(w.rng.s)
	e.i(w.tick)
	e.i(w.now)
	e.u(uint64(len(w.sides)))
	for _, s := range w.sides {
		e.str(s)
	}
}

// parts writes the world's devices and links and the names they go by.
func (e *stateWriter) parts(w *World) {
	e.u(uint64(len(w.devices)))
	for i := range w.devices {
		e.device(&w.devices[i])
	}
	e.u(uint64(len(w.links)))
	for i := range w.links {
		e.link(&w.links[i])
	}
	e.ids(w.byID)
	e.ids(w.linkIDs)
}

// engine writes the messages under way and the events waiting.
func (e *stateWriter) engine(w *World) {
	e.u(uint64(len(w.msgs)))
	for i := range w.msgs {
		e.message(&w.msgs[i])
	}
	e.u(uint64(len(w.freeMsgs)))
	for _, m := range w.freeMsgs {
		e.i(int64(m))
	}
	e.u(w.nextMsg)
	e.u(uint64(len(w.events)))
	for _, ev := range w.events {
		e.i(ev.at)
		e.u(ev.seq)
		e.u(uint64(ev.kind))
		e.i(int64(ev.ref))
		e.u(uint64(ev.gen))
		e.u(ev.id)
	}
	e.u(w.evSeq)
}

// rest writes the pending actions, rules, metrics and counters.
func (e *stateWriter) rest(w *World) {
	pending, err := json.Marshal(w.pending)
	if err != nil {
		panic(fmt.Sprintf("sim: a world's pending actions do not encode: %v", err))
	}
	e.bytes(pending)
	e.u(uint64(len(w.rules)))
	for _, r := range w.rules {
		e.i(int64(r.where))
		e.i(int64(r.sensor))
		e.i(int64(r.actuator))
		e.i(r.above)
		e.i(r.hyst)
		e.bool(r.state)
	}
	e.u(w.topoVers)
	e.u(uint64(len(w.metrics)))
	for i := range w.metrics {
		e.metrics(&w.metrics[i])
	}
	e.u(uint64(len(w.series)))
	for _, s := range w.series {
		e.i(s.Tick)
		e.i(int64(s.Side))
		e.i(s.Delivered)
		e.i(s.Lost)
		e.i(s.Bytes)
		e.u(math.Float64bits(s.LatencyP50Ms))
		e.u(math.Float64bits(s.LatencyP99Ms))
	}
	e.i(int64(w.added))
	e.u(w.shapeVers)
	e.u(uint64(len(w.hashes)))
	for _, h := range w.hashes {
		e.i(h.Tick)
		e.u(h.Hash)
	}
	e.str(w.refusalText)
	e.i(w.refusalTick)
	e.i(w.framesSent)
	e.u(w.frames)
}

// head reads what stateWriter.head wrote.
func (d *stateReader) head(w *World) {
	d.at("spec")
	if spec := d.bytes(); d.err == nil {
		if err := json.Unmarshal(spec, &w.spec); err != nil {
			d.fail("spec", "%v", err)
		}
	}
	d.at("seed")
	w.seed = d.u()
	w.rng.s = d.u()
	d.at("tick")
	w.tick = d.i()
	w.now = d.i()
	if d.err == nil && (w.tick < 0 || w.now != w.tick*TickMicros) {
		d.fail("tick", "tick %d and time %d µs disagree", w.tick, w.now)
	}
	if d.err == nil {
		if err := w.spec.Validate(); err != nil {
			d.fail("spec", "%v", err)
		}
	}
	d.at("sides")
	w.sides = make([]string, d.n())
	for i := range w.sides {
		w.sides[i] = d.str()
	}
	// The sides are the spec's: what bounds the metrics kept for them.
	if want := sideNames(&w.spec); d.err == nil && !slices.Equal(w.sides, want) {
		d.fail("sides", "%q, but the spec's sides are %q", w.sides, want)
	}
}

// parts reads what stateWriter.parts wrote.
func (d *stateReader) parts(w *World) {
	d.at("devices")
	w.devices = make([]device, d.n())
	for i := range w.devices {
		d.at(fmt.Sprintf("devices[%d]", i))
		d.device(&w.devices[i])
	}
	d.at("links")
	w.links = make([]link, d.n())
	for i := range w.links {
		d.at(fmt.Sprintf("links[%d]", i))
		d.link(&w.links[i])
	}
	d.at("device ids")
	w.byID = d.ids(len(w.devices))
	d.at("link ids")
	w.linkIDs = d.ids(len(w.links))
}

// engine reads what stateWriter.engine wrote.
func (d *stateReader) engine(w *World) {
	d.at("messages")
	w.msgs = make([]message, d.n())
	for i := range w.msgs {
		d.at(fmt.Sprintf("messages[%d]", i))
		d.message(&w.msgs[i])
	}
	d.at("free messages")
	w.freeMsgs = make([]int32, d.n())
	for i := range w.freeMsgs {
		w.freeMsgs[i] = d.index(len(w.msgs))
	}
	w.nextMsg = d.u()
	d.at("events")
	w.events = make(eventHeap, d.n())
	for i := range w.events {
		ev := &w.events[i]
		ev.at = d.i()
		ev.seq = d.u()
		ev.kind = evKind(d.small(uint64(evBusFree)))
		ev.ref = int32(d.i())
		ev.gen = uint32(d.small(math.MaxUint32))
		ev.id = d.u()
		if d.err != nil {
			break
		}
		limit := len(w.devices)
		if ev.kind == evArrive {
			limit = len(w.msgs)
		} else if ev.kind == evBusFree {
			limit = len(w.links)
		}
		if ev.ref < 0 || int(ev.ref) >= limit || ev.kind == 0 {
			d.fail(fmt.Sprintf("events[%d]", i), "event of kind %d refers to %d, out of range", ev.kind, ev.ref)
		}
	}
	w.evSeq = d.u()
}

// rest reads what stateWriter.rest wrote.
func (d *stateReader) rest(w *World) {
	d.at("pending actions")
	if pending := d.bytes(); d.err == nil {
		if err := json.Unmarshal(pending, &w.pending); err != nil {
			d.fail("pending actions", "%v", err)
		}
	}
	d.at("rules")
	w.rules = make([]rule, d.n())
	for i := range w.rules {
		r := &w.rules[i]
		r.where = d.index(len(w.devices))
		r.sensor = d.index(len(w.devices))
		r.actuator = d.index(len(w.devices))
		r.above = d.i()
		r.hyst = d.i()
		r.state = d.bool()
	}
	w.topoVers = d.u()
	d.at("metrics")
	if n := d.n(); d.err == nil && n != len(w.sides) {
		d.fail("metrics", "%d sides' metrics for %d sides", n, len(w.sides))
	}
	w.metrics = make([]sideMetrics, len(w.sides))
	for i := range w.metrics {
		d.metrics(&w.metrics[i])
	}
	d.at("series")
	w.series = make([]Sample, d.n())
	for i := range w.series {
		s := &w.series[i]
		s.Tick = d.i()
		s.Side = int(d.index(len(w.sides)))
		s.Delivered = d.i()
		s.Lost = d.i()
		s.Bytes = d.i()
		s.LatencyP50Ms = math.Float64frombits(d.u())
		s.LatencyP99Ms = math.Float64frombits(d.u())
	}
	w.added = int(d.i())
	w.shapeVers = d.u()
	d.at("hash marks")
	w.hashes = make([]HashMark, d.n())
	for i := range w.hashes {
		w.hashes[i] = HashMark{Tick: d.i(), Hash: d.u()}
	}
	d.at("refusal")
	w.refusalText = d.str()
	w.refusalTick = d.i()
	d.at("frame counts")
	w.framesSent = d.i()
	w.frames = d.u()
}

// check refuses what would make the decoded world index out of its
// slices: every reference between its parts is in range.
func (d *stateReader) check(w *World) {
	nd, nl, nm := len(w.devices), len(w.links), len(w.msgs)
	for i := range w.devices {
		dv := &w.devices[i]
		if dv.side < 0 || dv.side >= len(w.sides) {
			d.fail(fmt.Sprintf("devices[%d].side", i), "side %d of %d", dv.side, len(w.sides))
			return
		}
		if dv.target < -1 || int(dv.target) >= nd || dv.sink < -1 || int(dv.sink) >= nd {
			d.fail(fmt.Sprintf("devices[%d].target", i), "target %d or sink %d out of %d devices", dv.target, dv.sink, nd)
			return
		}
		for _, li := range dv.links {
			if li < 0 || int(li) >= nl {
				d.fail(fmt.Sprintf("devices[%d].links", i), "link %d of %d", li, nl)
				return
			}
		}
		for _, c := range dv.commands {
			if c.dev < 0 || int(c.dev) >= nd {
				d.fail(fmt.Sprintf("devices[%d].commands", i), "device %d of %d", c.dev, nd)
				return
			}
		}
		for _, m := range dv.buffer {
			if m < 0 || int(m) >= nm {
				d.fail(fmt.Sprintf("devices[%d].buffer", i), "message %d of %d", m, nm)
				return
			}
		}
	}
	for i := range w.links {
		l := &w.links[i]
		for _, m := range l.members {
			if m < 0 || int(m) >= nd {
				d.fail(fmt.Sprintf("links[%d].members", i), "device %d of %d", m, nd)
				return
			}
		}
		for _, m := range l.queue {
			if m < 0 || int(m) >= nm {
				d.fail(fmt.Sprintf("links[%d].queue", i), "message %d of %d", m, nm)
				return
			}
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
			d.fail(fmt.Sprintf("messages[%d]", i), "a reference out of range (side %d, devices %d→%d, link %d)", m.side, m.from, m.to, m.link)
			return
		}
	}
	if !slices.IsSortedFunc(w.pending, func(a, b Action) int { return int(min(max(a.At-b.At, -1), 1)) }) {
		d.fail("pending actions", "not in tick order")
	}
}

// NewTimelineAt starts a timeline at w's tick, with w as its world (which
// it takes: the caller must not use w afterwards): how a party joins a
// room from the room's world state instead of from tick 0. Its Horizon is
// w's tick: an action of an earlier tick is refused with ErrTooLate, as
// the server refuses it once the room's log is folded there.
func NewTimelineAt(w *World) *Timeline {
	return &Timeline{spec: w.spec, seed: w.seed, w: w, cps: []checkpoint{{w: w.Clone()}}, based: true}
}

// sealState ends the body of a world's state with its checksum, as State
// does last.
func sealState(body []byte) []byte {
	return binary.LittleEndian.AppendUint64(slices.Clip(body), stateSum(body))
}
