package sim

import (
	"maps"
	"slices"
)

// Clone is a deep copy of the world at its tick: the same state, the same
// generator, the same actions waiting for their tick, the same hash marks
// and series. Stepping either, applying actions to either or reading
// either's views never changes the other, and the two step on exactly as
// the original would have: their hashes stay equal for as long as they are
// given the same actions.
//
// It is what a timeline keeps as a checkpoint (a late action replays from
// the newest copy at or before its tick instead of from tick 0), and how a
// party can go back in time: clone, step on, and take the copy up again.
//
// Every slice and map the world changes is copied. Shared are only what no
// world ever changes: the spec the world was built from (Spec returns it,
// and callers must not change it either) and strings. What a world keeps
// only to save work (route trees, its lists of brokers and apps, encoding
// buffers, the bytes of message slots no longer in flight) is left behind
// and made again on first use, from the copied state, as a world rebuilt
// from its log makes it: the clone is as small as the state allows.
func (w *World) Clone() *World { return w.clone(nil) }

// clone is Clone with the map of device ids given, when the caller knows
// it holds the same as the world's and no one will change it; nil copies
// the world's.
func (w *World) clone(ids map[string]int32) *World {
	c := *w
	c.sides = slices.Clone(w.sides)

	c.devices = slices.Clone(w.devices)
	for i := range c.devices {
		c.devices[i].ownSlices()
	}
	c.links = slices.Clone(w.links)
	for i := range c.links {
		c.links[i].ownSlices()
	}
	c.byID = ids
	if ids == nil {
		c.byID = maps.Clone(w.byID)
	}
	c.linkIDs = maps.Clone(w.linkIDs)

	c.msgs = slices.Clone(w.msgs)
	for i := range c.msgs {
		m := &c.msgs[i]
		if m.live {
			m.buf = slices.Clone(m.buf)
		} else {
			m.buf = nil // a free slot's bytes are written afresh when it is used again
		}
	}
	c.freeMsgs = slices.Clone(w.freeMsgs)
	c.events = slices.Clone(w.events)

	c.pending = slices.Clone(w.pending)
	for i := range c.pending {
		c.pending[i].Readings = slices.Clone(c.pending[i].Readings)
	}
	c.rules = slices.Clone(w.rules)
	c.metrics = slices.Clone(w.metrics) // histograms are arrays: copied with their struct
	c.series = slices.Clone(w.series)
	c.hashes = slices.Clone(w.hashes)

	c.dropCaches()
	c.scratch, c.path = nil, nil
	// Whoever watches the original's frames (OnFrame) has not asked to
	// see the clone's: a copy stepped to replay a late action would show
	// them frames sent twice.
	c.onFrame, c.frame, c.onEnd, c.end = nil, Frame{}, nil, FrameEnd{}
	return &c
}

// ownSlices gives a copied device slices of its own, where it shared the
// original's.
func (d *device) ownSlices() {
	d.links = slices.Clone(d.links)
	d.commands = slices.Clone(d.commands)
	d.buffer = slices.Clone(d.buffer)
	d.named = slices.Clone(d.named)
}

// ownSlices gives a copied link slices of its own, where it shared the
// original's.
func (l *link) ownSlices() {
	l.members = slices.Clone(l.members)
	l.queue = slices.Clone(l.queue)
}
