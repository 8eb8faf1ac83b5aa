package sim

import (
	"errors"
	"fmt"
)

// Timeline is a world together with the ordered log of actions it was
// given, for worlds that several parties run at once: the browsers of a live
// room and the server's replica. Every party applies every action at the
// same tick, its At, so they all reach the same state. An action that
// arrives after its tick has passed here (a slow network, a reconnect) makes
// the timeline rebuild its world from the spec and the log, which the
// world's determinism makes exact.
//
// A timeline keeps its whole log by default, and rebuilds from tick 0. One
// that knows how late an action can arrive (Checkpoints) keeps copies of
// its world instead, rebuilds from the newest copy before a late action,
// and forgets the actions and copies that no action can reach back to: its
// memory is bounded by that window, not by the room's age.
type Timeline struct {
	spec     Spec
	seed     uint64
	log      []Action // the actions given, in order; with checkpoints, from the base's on
	w        *World
	rebuilds int

	// With checkpoints (every > 0): a copy of the world every `every`
	// ticks, oldest first, the newest at or before `late` ticks behind the
	// world and every one after it. Once the first is the base, the
	// actions before it are forgotten: forgot counts them.
	every, late int64
	cps         []checkpoint
	based       bool
	forgot      int
	// states: the copies are kept as encoded states (CheckpointStates).
	states bool
}

// checkpoint is a copy of a timeline's (or a history's) world, never
// stepped, and how many of its actions (counted from its start) it had
// been given.
type checkpoint struct {
	w *World
	n int
	// For a Timeline that keeps states: the copy as World.State, and its
	// tick (w is nil).
	state []byte
	at    int64
	// For a History: its footprint without its map of device ids, and
	// whether that map is the previous copy's.
	size   int
	shared bool
}

// MaxLog is the most actions a room's log holds when nothing folds it into
// a world's state (State): what a party replays from tick 0. A timeline
// itself takes any number, so every party of a room, however long it has
// followed the room, refuses the same ones.
const MaxLog = 100_000

// ErrTooLate refuses an action of a tick a timeline with checkpoints no
// longer keeps: it cannot be put in its place.
var ErrTooLate = errors.New("sim: action too late")

// NewTimeline starts a timeline at tick 0.
func NewTimeline(spec Spec, seed uint64) (*Timeline, error) {
	w, err := New(spec, seed)
	if err != nil {
		return nil, err
	}
	return &Timeline{spec: spec, seed: seed, w: w}, nil
}

// Checkpoints makes the timeline keep a copy of its world every `every`
// ticks, from the next such tick on, and forget what an action of up to
// `late` ticks before its world's tick cannot need: every copy but the
// newest one at least `late` ticks old and those after it, and the actions
// given before that one (Log no longer returns them). A late action then
// replays at most its lateness plus `every` ticks, and an action more than
// `late` ticks late, once the timeline forgot its tick, is refused with
// ErrTooLate. A copy costs about a world's memory: the fewer, the longer a
// replay. Call it before the world moves.
//
// Every party of a room must apply the same actions; a timeline forgets
// only what the parties' shared rules (the server's gate) keep any action
// from reaching back to, with a margin for delivery.
func (t *Timeline) Checkpoints(every, late int64) {
	if every <= 0 || late <= 0 {
		panic(fmt.Sprintf("sim: Checkpoints(%d, %d): both must be positive", every, late))
	}
	t.every, t.late = every, late
}

// CheckpointStates is Checkpoints, with each copy kept as the world's
// encoded state (World.State) rather than as a world: about a quarter of
// the memory, for a rebuild that decodes the copy it starts from. It suits
// a party that keeps large worlds and rarely rebuilds (the server's
// replica of a room); a copy taken before it is encoded now.
func (t *Timeline) CheckpointStates(every, late int64) {
	t.Checkpoints(every, late)
	t.states = true
	for i := range t.cps {
		t.cps[i] = t.copyOf(t.cps[i].w, t.cps[i].n)
	}
}

// copyOf is a checkpoint of w, which had been given n actions: a clone,
// or its state when the timeline keeps states.
func (t *Timeline) copyOf(w *World, n int) checkpoint {
	if t.states {
		return checkpoint{state: w.State(), at: w.tick, n: n}
	}
	return checkpoint{w: w.Clone(), n: n}
}

// tick is the tick of a checkpoint's world.
func (c *checkpoint) tick() int64 {
	if c.w == nil {
		return c.at
	}
	return c.w.tick
}

// world is a world to step on from a checkpoint: a clone of its copy, or
// its state decoded.
func (c *checkpoint) world() (*World, error) {
	if c.w == nil {
		return DecodeState(c.state)
	}
	return c.w.Clone(), nil
}

// World is the timeline's world as of now. It is replaced on a rebuild, so
// callers fetch it again rather than keep it.
func (t *Timeline) World() *World { return t.w }

// Log is the actions given so far, in order: with checkpoints, those given
// since the oldest copy kept.
func (t *Timeline) Log() []Action { return t.log }

// Rebuilds counts how often a late action made the timeline replay.
func (t *Timeline) Rebuilds() int { return t.rebuilds }

// Horizon is the oldest tick an action may name and still be applied in
// its place: 0, unless checkpoints let the timeline forget its start.
func (t *Timeline) Horizon() int64 {
	if t.based {
		return t.cps[0].tick()
	}
	return 0
}

// Checkpointed is how many copies of its world the timeline keeps.
func (t *Timeline) Checkpointed() int { return len(t.cps) }

// Add logs an action and applies it at its tick. An action whose tick has
// passed rebuilds the world up to the current tick with the action in its
// place. A refused action is still logged (every party refuses it alike)
// and its error returned for the person who made it.
func (t *Timeline) Add(a Action) error {
	if err := t.admit(a); err != nil {
		return err
	}
	t.log = append(t.log, a)
	if a.At >= t.w.tick {
		return t.w.Apply(a)
	}
	return t.rebuild(a.At, t.w.tick)
}

// admit reports why an action cannot be logged, or nil.
func (t *Timeline) admit(a Action) error {
	return admitAt(a, t.Horizon(), t.w.tick)
}

// admitAt reports why a party whose oldest tick kept is horizon and whose
// world is at now refuses an action, or nil.
func admitAt(a Action, horizon, now int64) error {
	if err := a.check(); err != nil {
		return err
	}
	if a.At < horizon {
		return fmt.Errorf("%w: %s at tick %d, %d ticks before tick %d, the oldest this timeline still keeps (its world is at %d)", ErrTooLate, a.Kind, a.At, horizon-a.At, horizon, now)
	}
	return nil
}

// AddAll adds actions in order as Add does, but replays the world at most
// once, however many of them arrived after their tick: a server catching
// up on a room's log pays for one rebuild, not one per late action. It
// returns how many it kept (a malformed action, one past MaxLog or one
// before the Horizon is dropped, as Add refuses it).
func (t *Timeline) AddAll(acts []Action) int {
	late, kept := false, 0
	var earliest int64
	for _, a := range acts {
		if t.admit(a) != nil {
			continue
		}
		t.log = append(t.log, a)
		kept++
		switch {
		case !late && a.At >= t.w.tick:
			t.w.Apply(a) // a refusal is every party's alike
		case !late:
			late, earliest = true, a.At
		default:
			earliest = min(earliest, a.At)
		}
	}
	if late {
		t.rebuild(earliest, t.w.tick)
	}
	return kept
}

// AdvanceTo steps the world until tick.
func (t *Timeline) AdvanceTo(tick int64) { t.stepTo(tick) }

// rebuild replays the world up to tick from the newest start at or before
// at, the earliest tick of the actions that came late: a checkpoint, or the
// spec at tick 0. The checkpoints after at lack those actions; they are
// taken again on the way.
func (t *Timeline) rebuild(at, tick int64) error {
	i := len(t.cps)
	for i > 0 && t.cps[i-1].tick() > at {
		i--
	}
	clear(t.cps[i:])
	t.cps = t.cps[:i]
	var w *World
	from := 0
	if i > 0 {
		var err error
		if w, err = t.cps[i-1].world(); err != nil {
			return fmt.Errorf("sim: rebuild from the copy at tick %d: %w", t.cps[i-1].tick(), err)
		}
		from = t.cps[i-1].n - t.forgot
	} else {
		// Not reached once the timeline forgot its start: admit refuses
		// an action before the base.
		var err error
		if w, err = New(t.spec, t.seed); err != nil {
			return err
		}
	}
	// Each action of the log from the start's on takes effect at its
	// tick, in the log's order; those given before the start are in it,
	// applied or still pending.
	w.addPending(t.log[from:])
	w.applyDue()
	t.w = w
	t.stepTo(tick)
	t.rebuilds++
	return nil
}

// stepTo steps the world until tick, stopping at every checkpoint tick on
// the way that the timeline will keep: one it would forget at once (older
// than the base the last checkpoint tick before tick makes) is not taken.
func (t *Timeline) stepTo(tick int64) {
	for t.w.tick < tick {
		next := tick
		if t.every > 0 {
			c := (t.w.tick/t.every + 1) * t.every
			if b := tick/t.every*t.every - t.late; b > 0 {
				c = max(c, b/t.every*t.every)
			}
			if c <= tick {
				next = c
			}
		}
		t.w.Step(int(next - t.w.tick))
		if t.every > 0 && next%t.every == 0 {
			t.checkpoint()
		}
	}
}

// checkpoint keeps a copy of the world at its tick, a multiple of every,
// and forgets what is no longer needed: the copies before the newest one
// at least late ticks old, and the actions before it.
func (t *Timeline) checkpoint() {
	if n := len(t.cps); n > 0 && t.cps[n-1].tick() == t.w.tick {
		return
	}
	t.cps = append(t.cps, t.copyOf(t.w, t.forgot+len(t.log)))
	base := -1
	for i := range t.cps {
		if t.cps[i].tick() <= t.w.tick-t.late {
			base = i
		}
	}
	if base < 0 {
		return
	}
	t.based = true
	kept := copy(t.cps, t.cps[base:])
	clear(t.cps[kept:])
	t.cps = t.cps[:kept]
	drop := t.cps[0].n - t.forgot
	if drop == 0 {
		return
	}
	t.forgot += drop
	kept = copy(t.log, t.log[drop:])
	clear(t.log[kept:])
	t.log = t.log[:kept]
	if cap(t.log) > 64 && cap(t.log) > 4*len(t.log) {
		// A burst is over: let its room go.
		t.log = append(make([]Action, 0, 2*len(t.log)), t.log...)
	}
}
