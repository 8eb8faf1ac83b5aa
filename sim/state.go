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
	w.dropCaches() // made again on first use, as a clone's
	if d.err == nil {
		d.check(w)
	}
	return w
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

func (e *stateWriter) device(dv *device) {
	e.str(dv.id)
	e.str(dv.label)
	e.u(uint64(dv.kind))
	e.i(int64(dv.side))
	e.i(int64(dv.x))
	e.i(int64(dv.y))
	e.u(uint64(dv.stds))
	e.bool(dv.fixed)
	e.u(uint64(dv.proto))
	e.i(int64(dv.addr))
	e.i(dv.period)
	e.str(dv.quantity)
	e.str(dv.unit)
	e.i(dv.base)
	e.i(dv.swing)
	e.i(dv.cycle)
	e.i(dv.phase)
	e.u(uint64(dv.qos))
	e.i(int64(dv.target))
	e.bool(dv.powered)
	e.bool(dv.removed)
	e.bool(dv.real)
	e.str(dv.serves)
	e.i(dv.value)
	e.i(dv.valueAt)
	e.u(uint64(len(dv.named)))
	for _, n := range dv.named {
		e.str(n.name)
		e.i(n.value)
		e.i(n.at)
	}
	e.bool(dv.on)
	e.u(uint64(len(dv.links)))
	for _, l := range dv.links {
		e.i(int64(l))
	}
	e.i(dv.busyUntil)
	e.i(dv.refusedTil)
	e.u(uint64(dv.gen))
	e.i(int64(dv.sink))
	e.u(dv.sinkVers)
	e.i(int64(dv.pollPos))
	e.i(dv.cycleStart)
	e.u(dv.waiting)
	e.u(dv.pollSeq)
	e.u(uint64(len(dv.commands)))
	for _, c := range dv.commands {
		e.i(int64(c.dev))
		e.bool(c.on)
		e.i(c.trigger)
	}
	e.i(dv.lastCycle)
	e.u(uint64(len(dv.buffer)))
	for _, m := range dv.buffer {
		e.i(int64(m))
	}
	s := dv.stats
	for _, v := range [...]int64{s.Sent, s.Received, s.Lost, s.Bytes, s.Decisions, s.Buffered} {
		e.i(v)
	}
}

func (d *stateReader) device(dv *device) {
	dv.id = d.str()
	dv.label = d.str()
	dv.kind = Kind(d.small(uint64(kindEnd - 1)))
	dv.side = int(d.i())
	dv.x = int32(d.i())
	dv.y = int32(d.i())
	dv.stds = uint32(d.small(math.MaxUint32))
	dv.fixed = d.bool()
	dv.proto = Protocol(d.small(uint64(protoEnd - 1)))
	dv.addr = int(d.i())
	dv.period = d.i()
	dv.quantity = d.str()
	dv.unit = d.str()
	dv.base = d.i()
	dv.swing = d.i()
	dv.cycle = d.i()
	dv.phase = d.i()
	dv.qos = uint8(d.small(math.MaxUint8))
	dv.target = int32(d.i())
	dv.powered = d.bool()
	dv.removed = d.bool()
	dv.real = d.bool()
	dv.serves = d.str()
	dv.value = d.i()
	dv.valueAt = d.i()
	if n := d.n(); n > 0 {
		dv.named = make([]namedValue, n)
		for i := range dv.named {
			dv.named[i] = namedValue{name: d.str(), value: d.i(), at: d.i()}
		}
	}
	dv.on = d.bool()
	if n := d.n(); n > 0 {
		dv.links = make([]int32, n)
		for i := range dv.links {
			dv.links[i] = int32(d.i())
		}
	}
	dv.busyUntil = d.i()
	dv.refusedTil = d.i()
	dv.gen = uint32(d.small(math.MaxUint32))
	dv.sink = int32(d.i())
	dv.sinkVers = d.u()
	dv.pollPos = int(d.i())
	dv.cycleStart = d.i()
	dv.waiting = d.u()
	dv.pollSeq = d.u()
	if n := d.n(); n > 0 {
		dv.commands = make([]command, n)
		for i := range dv.commands {
			dv.commands[i] = command{dev: int32(d.i()), on: d.bool(), trigger: d.i()}
		}
	}
	dv.lastCycle = d.i()
	if n := d.n(); n > 0 {
		dv.buffer = make([]int32, n)
		for i := range dv.buffer {
			dv.buffer[i] = int32(d.i())
		}
	}
	s := &dv.stats
	for _, v := range [...]*int64{&s.Sent, &s.Received, &s.Lost, &s.Bytes, &s.Decisions, &s.Buffered} {
		*v = d.i()
	}
}

func (e *stateWriter) link(l *link) {
	e.str(l.id)
	e.u(uint64(l.medium))
	e.u(uint64(len(l.members)))
	for _, m := range l.members {
		e.i(int64(m))
	}
	e.i(l.bitrate)
	e.i(l.latency)
	e.i(l.jitter)
	e.i(l.loss)
	e.i(int64(l.rng))
	e.bool(l.up)
	e.bool(l.removed)
	e.i(l.busyUntil)
	e.u(uint64(len(l.queue)))
	for _, m := range l.queue {
		e.i(int64(m))
	}
	e.i(l.bytes)
}

func (d *stateReader) link(l *link) {
	l.id = d.str()
	l.medium = Medium(d.small(uint64(mediumEnd - 1)))
	if n := d.n(); n > 0 {
		l.members = make([]int32, n)
		for i := range l.members {
			l.members[i] = int32(d.i())
		}
	}
	l.bitrate = d.i()
	l.latency = d.i()
	l.jitter = d.i()
	l.loss = d.i()
	l.rng = int32(d.i())
	l.up = d.bool()
	l.removed = d.bool()
	l.busyUntil = d.i()
	if n := d.n(); n > 0 {
		l.queue = make([]int32, n)
		for i := range l.queue {
			l.queue[i] = int32(d.i())
		}
	}
	l.bytes = d.i()
}

// A free message slot is written as its live flag alone: whoever takes it
// again writes every field (newMsg).
func (e *stateWriter) message(m *message) {
	e.bool(m.live)
	if !m.live {
		return
	}
	e.u(m.id)
	e.u(uint64(m.kind))
	e.u(uint64(m.enc))
	e.u(uint64(m.app))
	e.i(int64(m.side))
	for _, v := range [...]int32{m.origin, m.dst, m.from, m.to, m.link} {
		e.i(int64(v))
	}
	for _, v := range [...]int64{m.start, m.arrive, m.sampled, m.trigger, m.value} {
		e.i(v)
	}
	e.i(int64(m.sensor))
	e.bool(m.on)
	e.bool(m.lost)
	e.u(uint64(m.qos))
	e.u(m.frame)
	e.str(m.lostWhy)
	e.bytes(m.buf)
	e.i(int64(m.wire))
}

func (d *stateReader) message(m *message) {
	m.live = d.bool()
	if !m.live {
		return
	}
	m.id = d.u()
	m.kind = msgKind(d.small(uint64(mWrite)))
	m.enc = Protocol(d.small(uint64(protoEnd - 1)))
	m.app = Protocol(d.small(uint64(protoEnd - 1)))
	m.side = int(d.i())
	for _, v := range [...]*int32{&m.origin, &m.dst, &m.from, &m.to, &m.link} {
		*v = int32(d.i())
	}
	for _, v := range [...]*int64{&m.start, &m.arrive, &m.sampled, &m.trigger, &m.value} {
		*v = d.i()
	}
	m.sensor = int32(d.i())
	m.on = d.bool()
	m.lost = d.bool()
	m.qos = uint8(d.small(math.MaxUint8))
	m.frame = d.u()
	m.lostWhy = d.str()
	m.buf = slices.Clone(d.bytes())
	m.wire = int(d.i())
}

func (e *stateWriter) metrics(m *sideMetrics) {
	for _, v := range [...]int64{m.sent, m.delivered, m.lost, m.bytes, m.payload, m.translations,
		m.decisionsLocal, m.decisionsCloud, m.actuations, m.pollCycle} {
		e.i(v)
	}
	for _, h := range [...]*hist{&m.latency, &m.window, &m.reaction} {
		e.i(h.n)
		// Most buckets are empty: each run of them is one zero and its
		// length.
		for i := 0; i < len(h.counts); i++ {
			c := h.counts[i]
			e.u(uint64(c))
			if c == 0 {
				j := i + 1
				for j < len(h.counts) && h.counts[j] == 0 {
					j++
				}
				e.u(uint64(j - i))
				i = j - 1
			}
		}
	}
}

func (d *stateReader) metrics(m *sideMetrics) {
	for _, v := range [...]*int64{&m.sent, &m.delivered, &m.lost, &m.bytes, &m.payload, &m.translations,
		&m.decisionsLocal, &m.decisionsCloud, &m.actuations, &m.pollCycle} {
		*v = d.i()
	}
	for _, h := range [...]*hist{&m.latency, &m.window, &m.reaction} {
		h.n = d.i()
		for i := 0; i < len(h.counts) && d.err == nil; i++ {
			c := uint32(d.small(math.MaxUint32))
			if c != 0 {
				h.counts[i] = c
				continue
			}
			run := int(d.small(uint64(len(h.counts) - i)))
			if run == 0 {
				d.fail("metrics", "an empty run of buckets")
			}
			i += run - 1
		}
	}
}

func (e *stateWriter) ids(m map[string]int32) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	e.u(uint64(len(keys)))
	for _, k := range keys {
		e.str(k)
		e.i(int64(m[k]))
	}
}

func (d *stateReader) ids(n int) map[string]int32 {
	c := d.n()
	m := make(map[string]int32, c)
	for range c {
		k := d.str()
		m[k] = d.index(n)
	}
	return m
}

type stateWriter struct{ b []byte }

func (e *stateWriter) u(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *stateWriter) i(v int64)  { e.b = binary.AppendVarint(e.b, v) }
func (e *stateWriter) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}
func (e *stateWriter) str(s string) {
	e.u(uint64(len(s)))
	e.b = append(e.b, s...)
}
func (e *stateWriter) bytes(b []byte) {
	e.u(uint64(len(b)))
	e.b = append(e.b, b...)
}

// stateReader reads what a stateWriter wrote. Its first error sticks: every
// read after it gives zeros, so a decoder reads on and checks once.
type stateReader struct {
	b     []byte
	off   int
	where string // the part being read, for errors
	err   error
}

func (d *stateReader) at(where string) { d.where = where }

func (d *stateReader) fail(where, format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s at byte %d: %s", ErrBadState, where, d.off, fmt.Sprintf(format, args...))
	}
}

func (d *stateReader) u() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail(d.where, "the bytes end or overflow in the middle of a number")
		return 0
	}
	d.off += n
	return v
}

func (d *stateReader) i() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.fail(d.where, "the bytes end or overflow in the middle of a number")
		return 0
	}
	d.off += n
	return v
}

// small reads a number of at most max.
func (d *stateReader) small(max uint64) uint64 {
	v := d.u()
	if v > max {
		d.fail(d.where, "%d is more than %d", v, max)
		return 0
	}
	return v
}

func (d *stateReader) bool() bool { return d.small(1) == 1 }

// n reads a count of things still to come, each at least one byte long.
func (d *stateReader) n() int {
	v := d.u()
	if v > uint64(len(d.b)-d.off) {
		d.fail(d.where, "a count of %d, more than the %d bytes left", v, len(d.b)-d.off)
		return 0
	}
	return int(v)
}

// index reads an index into a slice of n.
func (d *stateReader) index(n int) int32 {
	v := d.i()
	if d.err == nil && (v < 0 || v >= int64(n)) {
		d.fail(d.where, "index %d out of %d", v, n)
		return 0
	}
	return int32(v)
}

func (d *stateReader) bytes() []byte {
	n := d.n()
	if d.err != nil {
		return nil
	}
	b := d.b[d.off : d.off+n]
	d.off += n
	return b
}

func (d *stateReader) str() string { return string(d.bytes()) }

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
