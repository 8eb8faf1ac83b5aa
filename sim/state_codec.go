package sim

// The parts of a world's state (devices, links, messages, metrics) and the
// primitives they are written with: varints, flags and length-prefixed
// bytes, read back by a stateReader whose first error sticks.

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
)

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
