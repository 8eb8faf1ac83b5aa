package sim

// The parts of a world's state (devices, links, messages, metrics) and the
// primitives they are written with: varints, flags and length-prefixed
// bytes. One walk over each part both writes it and reads it back (a
// stateCodec goes one way or the other), so the layout is written down
// once and what is read is what was written.

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
)

func (c *stateCodec) device(dv *device) {
	c.str(&dv.id)
	c.str(&dv.label)
	enum(c, &dv.kind, uint64(kindEnd-1))
	signed(c, &dv.side)
	signed(c, &dv.x)
	signed(c, &dv.y)
	unsigned(c, &dv.stds)
	c.bool(&dv.fixed)
	enum(c, &dv.proto, uint64(protoEnd-1))
	signed(c, &dv.addr)
	signed(c, &dv.period)
	c.str(&dv.quantity)
	c.str(&dv.unit)
	signed(c, &dv.base)
	signed(c, &dv.swing)
	signed(c, &dv.cycle)
	signed(c, &dv.phase)
	unsigned(c, &dv.qos)
	signed(c, &dv.target)
	c.bool(&dv.powered)
	c.bool(&dv.removed)
	c.bool(&dv.real)
	c.str(&dv.serves)
	signed(c, &dv.value)
	signed(c, &dv.valueAt)
	list(c, &dv.named, func(n *namedValue) {
		c.str(&n.name)
		signed(c, &n.value)
		signed(c, &n.at)
	})
	c.bool(&dv.on)
	list(c, &dv.links, signedOf[int32](c))
	signed(c, &dv.busyUntil)
	signed(c, &dv.refusedTil)
	unsigned(c, &dv.gen)
	signed(c, &dv.sink)
	unsigned(c, &dv.sinkVers)
	signed(c, &dv.pollPos)
	signed(c, &dv.cycleStart)
	unsigned(c, &dv.waiting)
	unsigned(c, &dv.pollSeq)
	list(c, &dv.commands, func(cm *command) {
		signed(c, &cm.dev)
		c.bool(&cm.on)
		signed(c, &cm.trigger)
	})
	signed(c, &dv.lastCycle)
	list(c, &dv.buffer, signedOf[int32](c))
	s := &dv.stats
	for _, v := range [...]*int64{&s.Sent, &s.Received, &s.Lost, &s.Bytes, &s.Decisions, &s.Buffered} {
		signed(c, v)
	}
}

func (c *stateCodec) link(l *link) {
	c.str(&l.id)
	enum(c, &l.medium, uint64(mediumEnd-1))
	list(c, &l.members, signedOf[int32](c))
	signed(c, &l.bitrate)
	signed(c, &l.latency)
	signed(c, &l.jitter)
	signed(c, &l.loss)
	signed(c, &l.rng)
	c.bool(&l.up)
	c.bool(&l.removed)
	signed(c, &l.busyUntil)
	list(c, &l.queue, signedOf[int32](c))
	signed(c, &l.bytes)
}

// A free message slot is written as its live flag alone: whoever takes it
// again writes every field (newMsg).
func (c *stateCodec) message(m *message) {
	c.bool(&m.live)
	if !m.live {
		return
	}
	unsigned(c, &m.id)
	enum(c, &m.kind, uint64(mWrite))
	enum(c, &m.enc, uint64(protoEnd-1))
	enum(c, &m.app, uint64(protoEnd-1))
	signed(c, &m.side)
	for _, v := range [...]*int32{&m.origin, &m.dst, &m.from, &m.to, &m.link} {
		signed(c, v)
	}
	for _, v := range [...]*int64{&m.start, &m.arrive, &m.sampled, &m.trigger, &m.value} {
		signed(c, v)
	}
	signed(c, &m.sensor)
	c.bool(&m.on)
	c.bool(&m.lost)
	unsigned(c, &m.qos)
	unsigned(c, &m.frame)
	c.str(&m.lostWhy)
	c.bytes(&m.buf)
	signed(c, &m.wire)
}

func (c *stateCodec) metrics(m *sideMetrics) {
	for _, v := range [...]*int64{&m.sent, &m.delivered, &m.lost, &m.bytes, &m.payload, &m.translations,
		&m.decisionsLocal, &m.decisionsCloud, &m.actuations, &m.pollCycle} {
		signed(c, v)
	}
	for _, h := range [...]*hist{&m.latency, &m.window, &m.reaction} {
		signed(c, &h.n)
		if c.reading {
			c.readBuckets(h.counts[:])
		} else {
			c.writeBuckets(h.counts[:])
		}
	}
}

// writeBuckets writes a histogram's counts. Most buckets are empty: each
// run of them is one zero and its length.
func (c *stateCodec) writeBuckets(counts []uint32) {
	for i := 0; i < len(counts); i++ {
		n := counts[i]
		c.putU(uint64(n))
		if n == 0 {
			j := i + 1
			for j < len(counts) && counts[j] == 0 {
				j++
			}
			c.putU(uint64(j - i))
			i = j - 1
		}
	}
}

// readBuckets reads what writeBuckets wrote.
func (c *stateCodec) readBuckets(counts []uint32) {
	for i := 0; i < len(counts) && c.err == nil; i++ {
		n := uint32(c.small(math.MaxUint32))
		if n != 0 {
			counts[i] = n
			continue
		}
		run := int(c.small(uint64(len(counts) - i)))
		if run == 0 {
			c.fail("metrics", "an empty run of buckets")
		}
		i += run - 1
	}
}

// ids writes or reads a map of names to indexes into a slice of n, in
// the order of the names.
func (c *stateCodec) ids(m *map[string]int32, n int) {
	type id struct {
		name  string
		index int32
	}
	var ids []id
	if !c.reading {
		ids = make([]id, 0, len(*m))
		for k, v := range *m {
			ids = append(ids, id{k, v})
		}
		slices.SortFunc(ids, func(a, b id) int { return strings.Compare(a.name, b.name) })
	}
	list(c, &ids, func(e *id) {
		c.str(&e.name)
		index(c, &e.index, n)
	})
	if c.reading {
		*m = make(map[string]int32, len(ids))
		for _, e := range ids {
			(*m)[e.name] = e.index
		}
	}
}

// jsonBytes writes or reads v as JSON, length-prefixed.
func (c *stateCodec) jsonBytes(v any) {
	if !c.reading {
		b, err := json.Marshal(v)
		if err != nil {
			panic(fmt.Sprintf("sim: a world's %s does not encode: %v", c.where, err)) // every field is plain data
		}
		c.bytes(&b)
		return
	}
	if b := c.raw(); c.err == nil {
		if err := json.Unmarshal(b, v); err != nil {
			c.fail(c.place(), "%v", err)
		}
	}
}

// stateCodec writes a world's state into b or, reading, reads it back
// from b. Reading, its first error sticks: every read after it gives
// zeros, so a decoder reads on and checks once.
type stateCodec struct {
	reading bool
	b       []byte
	off     int    // reading: where the next field starts
	where   string // the part being read, for errors
	item    int    // the element of part where being read, or -1
	err     error
}

func (c *stateCodec) at(where string) { c.where, c.item = where, -1 }

// place is where the codec reads, for an error: "links" or "links[3]".
func (c *stateCodec) place() string {
	if c.item < 0 {
		return c.where
	}
	return fmt.Sprintf("%s[%d]", c.where, c.item)
}

// checking says whether c reads and all it read so far was right: when a
// decoder checks what it read.
func (c *stateCodec) checking() bool { return c.reading && c.err == nil }

func (c *stateCodec) fail(where, format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("%w: %s at byte %d: %s", ErrBadState, where, c.off, fmt.Sprintf(format, args...))
	}
}

// signed writes or reads *v as a varint.
func signed[T ~int | ~int32 | ~int64](c *stateCodec, v *T) {
	if c.reading {
		*v = T(c.getI())
	} else {
		c.putI(int64(*v))
	}
}

// signedOf is signed as the function list takes.
func signedOf[T ~int | ~int32 | ~int64](c *stateCodec) func(*T) {
	return func(v *T) { signed(c, v) }
}

// unsigned writes or reads *v as a uvarint, refusing on reading a number
// larger than its type holds.
func unsigned[T ~uint8 | ~uint32 | ~uint64](c *stateCodec, v *T) { enum(c, v, uint64(^T(0))) }

// enum writes or reads *v, a number of at most max, as a uvarint.
func enum[T ~uint8 | ~uint32 | ~uint64](c *stateCodec, v *T, max uint64) {
	if c.reading {
		*v = T(c.small(max))
	} else {
		c.putU(uint64(*v))
	}
}

func (c *stateCodec) float(v *float64) {
	bits := math.Float64bits(*v)
	unsigned(c, &bits)
	*v = math.Float64frombits(bits)
}

func (c *stateCodec) bool(v *bool) {
	b := uint8(0)
	if *v {
		b = 1
	}
	enum(c, &b, 1)
	*v = b == 1
}

// count writes n, the length of what follows, or reads it back.
func (c *stateCodec) count(n int) int {
	if c.reading {
		return c.n()
	}
	c.putU(uint64(n))
	return n
}

// list writes or reads a slice: its length, then each element.
func list[S ~[]T, T any](c *stateCodec, s *S, each func(*T)) {
	n := c.count(len(*s))
	if c.reading {
		*s = make(S, n)
	}
	for i := range *s {
		each(&(*s)[i])
	}
}

// part is list for a slice of the world that errors name: where an
// element's error is is "part[i]".
func part[T any](c *stateCodec, name string, s *[]T, each func(*T)) {
	c.at(name)
	n := c.count(len(*s))
	if c.reading {
		*s = make([]T, n)
	}
	for i := range *s {
		c.item = i
		each(&(*s)[i])
	}
}

// index writes or reads an index into a slice of n.
func index[T ~int | ~int32](c *stateCodec, v *T, n int) {
	if !c.reading {
		c.putI(int64(*v))
		return
	}
	i := c.getI()
	if c.err == nil && (i < 0 || i >= int64(n)) {
		c.fail(c.place(), "index %d out of %d", i, n)
		i = 0
	}
	*v = T(i)
}

// bytes writes or reads b, length-prefixed; what it reads is a copy.
func (c *stateCodec) bytes(b *[]byte) {
	if c.reading {
		*b = slices.Clone(c.raw())
		return
	}
	c.putU(uint64(len(*b)))
	c.b = append(c.b, *b...)
}

func (c *stateCodec) str(s *string) {
	if c.reading {
		*s = string(c.raw())
		return
	}
	c.putU(uint64(len(*s)))
	c.b = append(c.b, *s...)
}

// raw reads length-prefixed bytes, in place.
func (c *stateCodec) raw() []byte {
	n := c.n()
	if c.err != nil {
		return nil
	}
	b := c.b[c.off : c.off+n]
	c.off += n
	return b
}

func (c *stateCodec) putU(v uint64) { c.b = binary.AppendUvarint(c.b, v) }
func (c *stateCodec) putI(v int64)  { c.b = binary.AppendVarint(c.b, v) }

func (c *stateCodec) getU() uint64 {
	if c.err != nil {
		return 0
	}
	v, n := binary.Uvarint(c.b[c.off:])
	if n <= 0 {
		c.fail(c.place(), "the bytes end or overflow in the middle of a number")
		return 0
	}
	c.off += n
	return v
}

// getI reads a varint: a uvarint whose lowest bit is the sign, as
// binary.Varint reads it.
func (c *stateCodec) getI() int64 {
	u := c.getU()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

// small reads a number of at most max.
func (c *stateCodec) small(max uint64) uint64 {
	v := c.getU()
	if v > max {
		c.fail(c.place(), "%d is more than %d", v, max)
		return 0
	}
	return v
}

// n reads a count of things still to come, each at least one byte long.
func (c *stateCodec) n() int {
	v := c.getU()
	if v > uint64(len(c.b)-c.off) {
		c.fail(c.place(), "a count of %d, more than the %d bytes left", v, len(c.b)-c.off)
		return 0
	}
	return int(v)
}
