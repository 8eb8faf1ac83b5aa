package sim

import (
	"cmp"
	"fmt"
	"slices"
)

// HashEvery is how often, in ticks, a world records its state hash, so a
// replay can be checked against the original run at many points, not only
// at its end.
const HashEvery = 1000

// HashMark is the state hash at one tick.
type HashMark struct {
	Tick int64  `json:"tick"`
	Hash uint64 `json:"hash"`
}

func (w *World) recordHash() {
	w.hashes = append(w.hashes, HashMark{Tick: w.tick, Hash: w.Hash()})
	if len(w.hashes) > 4096 {
		w.hashes = append(w.hashes[:0], w.hashes[len(w.hashes)-2048:]...)
	}
}

// Hashes are the recorded hash marks, oldest first.
func (w *World) Hashes() []HashMark { return append([]HashMark(nil), w.hashes...) }

// HashString formats a hash as the 16 hex digits people compare.
func HashString(h uint64) string { return fmt.Sprintf("%016x", h) }

type fnv struct{ h uint64 }

func (f *fnv) u64(v uint64) {
	for i := 0; i < 8; i++ {
		f.h ^= v & 0xFF
		f.h *= 1099511628211
		v >>= 8
	}
}
func (f *fnv) i64(v int64) { f.u64(uint64(v)) }
func (f *fnv) b(v bool) {
	if v {
		f.u64(1)
	} else {
		f.u64(0)
	}
}
func (f *fnv) str(s string) {
	f.u64(uint64(len(s)))
	for i := 0; i < len(s); i++ {
		f.h ^= uint64(s[i])
		f.h *= 1099511628211
	}
}

// Hash is a digest of the whole state: tick, generator, devices, links,
// messages in flight and counters. Two worlds with the same hash at the same
// tick are, for every purpose of Thingyard, the same world.
func (w *World) Hash() uint64 {
	f := fnv{h: 14695981039346656037}
	f.i64(w.tick)
	f.u64(w.rng.s)
	f.u64(w.nextMsg)
	f.u64(uint64(len(w.devices)))
	for i := range w.devices {
		d := &w.devices[i]
		f.str(d.id)
		f.u64(uint64(d.kind)<<8 | uint64(d.side))
		f.i64(int64(d.x)<<32 | int64(uint32(d.y)))
		f.b(d.powered)
		f.b(d.removed)
		f.b(d.on)
		f.i64(d.value)
		f.i64(d.period)
		f.u64(uint64(d.addr))
		f.u64(uint64(d.stds))
		f.u64(uint64(d.proto)<<8 | uint64(d.qos))
		f.u64(uint64(len(d.buffer)))
		f.u64(uint64(len(d.commands)))
		f.u64(d.waiting)
		f.i64(d.stats.Sent)
		f.i64(d.stats.Received)
		f.i64(d.stats.Lost)
		f.i64(d.stats.Bytes)
		f.u64(uint64(len(d.links)))
		// A real board's named readings; a world without one hashes
		// as before they were kept.
		for _, n := range d.named {
			f.str(n.name)
			f.i64(n.value)
			f.i64(n.at)
		}
	}
	for li := range w.links {
		l := &w.links[li]
		f.str(l.id)
		f.b(l.up)
		f.i64(l.busyUntil)
		f.i64(l.loss)
		f.i64(l.bitrate)
		f.u64(uint64(len(l.members)))
		for _, m := range l.members {
			f.u64(uint64(m))
		}
	}
	for i := range w.msgs {
		m := &w.msgs[i]
		if !m.live {
			continue
		}
		f.u64(m.id)
		f.i64(m.arrive)
		f.u64(uint64(m.from)<<32 | uint64(uint32(m.to)))
		f.b(m.lost)
		f.u64(uint64(len(m.buf)))
	}
	for _, sm := range w.metrics {
		f.i64(sm.sent)
		f.i64(sm.delivered)
		f.i64(sm.lost)
		f.i64(sm.bytes)
	}
	for ri := range w.rules {
		f.b(w.rules[ri].state)
	}
	// Actions still waiting for their tick are the future, not the
	// state: a replay knows them in advance, a live world does not.
	return f.h
}

// HashAt is the state hash recorded at tick, if a mark of that tick is
// still kept: how a replica checks a hash another party reports.
func (w *World) HashAt(tick int64) (uint64, bool) {
	i, ok := slices.BinarySearchFunc(w.hashes, tick, func(m HashMark, t int64) int { return cmp.Compare(m.Tick, t) })
	if !ok {
		return 0, false
	}
	return w.hashes[i].Hash, true
}
