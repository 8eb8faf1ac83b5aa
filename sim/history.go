package sim

import (
	"errors"
	"fmt"
	"unsafe"
)

// History keeps a world's recent past so that a person can go back to any
// tick of it and see that exact world again: the state hash at a tick
// reached by going back is the hash the world had at that tick on the way
// forward. It keeps a copy of the world every so many ticks (Clone) and
// the actions given since the oldest copy; going back takes the newest copy
// at or before the tick and steps it on with those actions, which the
// world's determinism makes exact.
//
// A history never changes the world it follows: whoever steps the world
// calls Record after each step and Add for each action given, as the world
// was given it. The copies are spaced so that all of them together stay
// within a byte budget for the window kept: a small world is copied often
// (a short replay), a large one seldom (within the budget, a longer one).
type History struct {
	window int64 // ticks of the past kept, at least
	budget int   // bytes the copies may take together, about
	every  int64 // ticks between copies, from the size of the last one

	cps  []checkpoint // oldest first; n counts the actions given before it
	log  []Action     // the actions given since the oldest copy, in order
	base int          // actions given before log[0]
	next int64        // tick at which Record takes the next copy
	now  int64        // the world's tick at the last Record
}

// Defaults of a history: ten simulated minutes within 100 MB, copies at
// least MinEvery ticks apart.
const (
	HistoryWindow = 10 * 60 * 1000 // ticks: ten simulated minutes
	HistoryBudget = 100 << 20      // bytes
	MinEvery      = 2000           // ticks: two simulated seconds
)

// ErrNotKept refuses a tick a history does not hold: older than its oldest
// copy, or ahead of the world it follows.
var ErrNotKept = errors.New("sim: tick not in the history")

// NewHistory starts the history of w at its tick, keeping at least window
// ticks of it within about budget bytes. It copies w at once.
func NewHistory(w *World, window int64, budget int) *History {
	if window <= 0 || budget <= 0 {
		panic(fmt.Sprintf("sim: NewHistory(%d, %d): both must be positive", window, budget))
	}
	h := &History{window: window, budget: budget}
	h.Record(w)
	return h
}

// Record notes that the world followed reached its tick, and copies it
// when a copy is due: it costs nothing otherwise. Call it after every step
// (at least at every tick Due names, else the copies are further apart).
func (h *History) Record(w *World) {
	h.now = w.tick
	if w.tick < h.next {
		return
	}
	var prev *World
	if n := len(h.cps); n > 0 {
		prev = h.cps[n-1].w
	}
	ids := sharedIDs(prev, w)
	c := w.clone(ids)
	size := c.footprint() // with its map of ids, shared or not
	h.cps = append(h.cps, checkpoint{w: c, n: h.base + len(h.log), size: size - mapBytes*len(c.byID), shared: ids != nil})
	// So many copies are kept together: those of the window, the one at
	// or before its start, and the newest one.
	h.every = MinEvery
	if room := h.budget - 2*size; room > 0 {
		h.every = max(h.every, (h.window*int64(size)+int64(room)-1)/int64(room))
	} else {
		h.every = max(h.every, h.window)
	}
	h.every = min(h.every, max(h.window, MinEvery))
	h.next = w.tick + h.every
	h.forget()
}

// sharedIDs is prev's map of device ids when w's holds the very same, so
// copies of a world whose devices did not change share one.
func sharedIDs(prev, w *World) map[string]int32 {
	if prev == nil || len(prev.byID) != len(w.byID) {
		return nil
	}
	for id, i := range w.byID {
		if j, ok := prev.byID[id]; !ok || j != i {
			return nil
		}
	}
	return prev.byID
}

// forget drops the copies no tick of the window needs: those before the
// newest one at or before its start, and the actions given before it.
func (h *History) forget() {
	first := 0
	for i, cp := range h.cps {
		if cp.w.tick <= h.now-h.window {
			first = i
		}
	}
	if first == 0 {
		return
	}
	kept := copy(h.cps, h.cps[first:])
	clear(h.cps[kept:])
	h.cps = h.cps[:kept]
	drop := h.cps[0].n - h.base
	h.base += drop
	kept = copy(h.log, h.log[drop:])
	clear(h.log[kept:])
	h.log = h.log[:kept]
}

// Add notes an action given to the world followed, in the order given. One
// that came after its tick had passed (a live room's late action: its
// timeline replayed the world) makes the copies after its tick wrong: they
// are dropped, and a tick after the newest copy left is replayed from it.
// One older than every copy empties the history, which starts again from
// the world's next Record.
func (h *History) Add(a Action) {
	h.log = append(h.log, a)
	if a.At >= h.now {
		return
	}
	i := len(h.cps)
	for i > 0 && h.cps[i-1].w.tick > a.At {
		i--
	}
	clear(h.cps[i:])
	h.cps = h.cps[:i]
	if i == 0 {
		h.base += len(h.log)
		clear(h.log)
		h.log = h.log[:0]
		h.next = 0
	}
}

// Oldest is the oldest tick the history can go back to, and Now the tick
// of the world at its last Record: At takes any tick between.
func (h *History) Oldest() int64 {
	if len(h.cps) == 0 {
		return h.now
	}
	return h.cps[0].w.tick
}

// Now is the world's tick at the last Record.
func (h *History) Now() int64 { return h.now }

// Due is the tick at which Record takes the next copy.
func (h *History) Due() int64 { return h.next }

// Every is the ticks between copies, chosen from the size of the last.
func (h *History) Every() int64 { return h.every }

// Len is how many copies the history keeps.
func (h *History) Len() int { return len(h.cps) }

// Bytes estimates the memory of the copies kept: what their slices and
// maps hold, strings shared with the world not counted.
func (h *History) Bytes() int {
	n := 0
	for i, cp := range h.cps {
		n += cp.size
		if i == 0 || !cp.shared {
			n += mapBytes * len(cp.w.byID)
		}
	}
	return n
}

// At is a new world at tick, as the world followed was at that tick:
// the newest copy at or before it, stepped on with the actions given. It is
// the caller's, to read or to step on (which replays the actions given
// after tick too, at their ticks).
func (h *History) At(tick int64) (*World, error) {
	return h.replay(tick, nil)
}

// Back is the world at the tick of the last frame sent before tick (a
// step back one frame), or at the oldest tick kept when none was.
func (h *History) Back(tick int64) (*World, error) {
	if tick <= h.Oldest() {
		return nil, fmt.Errorf("%w: tick %d; the oldest kept is %d", ErrNotKept, tick, h.Oldest())
	}
	// The frames of a tick are sent as the world steps to it (or as an
	// action of that tick applies): the last one before tick is found by
	// replaying up to tick-1, from the newest copy that has one.
	for i := h.index(tick - 1); i >= 0; i-- {
		last := int64(-1)
		w, err := h.replayFrom(i, tick-1, func(t int64) { last = t })
		if err != nil {
			return nil, err
		}
		switch {
		case last == tick-1:
			return w, nil
		case last >= 0:
			return h.replay(last, nil)
		}
	}
	return h.replay(h.Oldest(), nil)
}

// index is the newest copy at or before tick, or -1.
func (h *History) index(tick int64) int {
	i := len(h.cps) - 1
	for i >= 0 && h.cps[i].w.tick > tick {
		i--
	}
	return i
}

func (h *History) replay(tick int64, frames func(int64)) (*World, error) {
	return h.replayFrom(h.index(tick), tick, frames)
}

// replayFrom steps a copy of checkpoint i to tick with the actions given
// after it, telling frames the tick of each frame sent on the way.
func (h *History) replayFrom(i int, tick int64, frames func(int64)) (*World, error) {
	if i < 0 || tick > h.now {
		return nil, fmt.Errorf("%w: tick %d; it keeps %d to %d", ErrNotKept, tick, h.Oldest(), h.now)
	}
	cp := h.cps[i]
	w := cp.w.Clone()
	if frames != nil {
		w.OnFrame(func(*Frame) { frames(w.tick) })
	}
	// The actions given after the copy take effect at their ticks, in the
	// order given, after those it was given already (applied or pending).
	w.addPending(h.log[cp.n-h.base:])
	w.applyDue()
	w.Step(int(tick - w.tick))
	w.OnFrame(nil)
	return w, nil
}

// StepToFrame steps the world until a tick in which it sends a frame, at
// most limit ticks, and returns how many it stepped.
func (w *World) StepToFrame(limit int) int {
	sent := w.framesSent
	n := 0
	for n < limit && w.framesSent == sent {
		w.Step(1)
		n++
	}
	return n
}

// footprint estimates the bytes a copy of the world holds of its own: its
// slices and maps, not the strings it shares.
func (w *World) footprint() int {
	n := int(unsafe.Sizeof(*w))
	n += cap(w.devices) * int(unsafe.Sizeof(device{}))
	for i := range w.devices {
		d := &w.devices[i]
		n += cap(d.links)*4 + cap(d.commands)*int(unsafe.Sizeof(command{})) + cap(d.buffer)*4 +
			cap(d.named)*int(unsafe.Sizeof(namedValue{}))
	}
	n += cap(w.links) * int(unsafe.Sizeof(link{}))
	for i := range w.links {
		n += cap(w.links[i].members)*4 + cap(w.links[i].queue)*4
	}
	n += mapBytes * (len(w.byID) + len(w.linkIDs))
	n += cap(w.msgs) * int(unsafe.Sizeof(message{}))
	for i := range w.msgs {
		n += cap(w.msgs[i].buf)
	}
	n += cap(w.freeMsgs)*4 + cap(w.events)*int(unsafe.Sizeof(event{}))
	n += cap(w.pending) * int(unsafe.Sizeof(Action{}))
	n += cap(w.rules)*int(unsafe.Sizeof(rule{})) + cap(w.metrics)*int(unsafe.Sizeof(sideMetrics{}))
	n += cap(w.series)*int(unsafe.Sizeof(Sample{})) + cap(w.hashes)*int(unsafe.Sizeof(HashMark{}))
	return n
}

// mapBytes is about what one entry of a map from id to index takes.
const mapBytes = 40
