package sim

import "fmt"

// Timeline is a world together with the ordered log of actions it was
// given, for worlds that several parties run at once: the browsers of a live
// room and the server's replica. Every party applies every action at the
// same tick, its At, so they all reach the same state. An action that
// arrives after its tick has passed here (a slow network, a reconnect) makes
// the timeline rebuild its world from the spec and the log, which the
// world's determinism makes exact.
type Timeline struct {
	spec     Spec
	seed     uint64
	log      []Action
	w        *World
	rebuilds int
}

// MaxLog is the most actions one timeline keeps; a longer log should be
// folded into a spec (see the scenes package).
const MaxLog = 100_000

// NewTimeline starts a timeline at tick 0.
func NewTimeline(spec Spec, seed uint64) (*Timeline, error) {
	w, err := New(spec, seed)
	if err != nil {
		return nil, err
	}
	return &Timeline{spec: spec, seed: seed, w: w}, nil
}

// World is the timeline's world as of now. It is replaced on a rebuild, so
// callers fetch it again rather than keep it.
func (t *Timeline) World() *World { return t.w }

// Log is the actions given so far, in order.
func (t *Timeline) Log() []Action { return t.log }

// Rebuilds counts how often a late action made the timeline replay.
func (t *Timeline) Rebuilds() int { return t.rebuilds }

// Add logs an action and applies it at its tick. An action whose tick has
// passed rebuilds the world up to the current tick with the action in its
// place. A refused action is still logged (every party refuses it alike)
// and its error returned for the person who made it.
func (t *Timeline) Add(a Action) error {
	if err := a.check(); err != nil {
		return err
	}
	if len(t.log) >= MaxLog {
		return fmt.Errorf("%w: the log holds %d actions, the most a timeline keeps", ErrRefused, MaxLog)
	}
	t.log = append(t.log, a)
	if a.At >= t.w.tick {
		return t.w.Apply(a)
	}
	return t.rebuild(t.w.tick)
}

// AddAll adds actions in order as Add does, but replays the world at most
// once, however many of them arrived after their tick: a server catching
// up on a room's log pays for one rebuild, not one per late action. It
// returns how many it kept (a malformed action, or one past MaxLog, is
// dropped, as Add refuses it).
func (t *Timeline) AddAll(acts []Action) int {
	late, kept := false, 0
	for _, a := range acts {
		if a.check() != nil || len(t.log) >= MaxLog {
			continue
		}
		t.log = append(t.log, a)
		kept++
		if !late && a.At >= t.w.tick {
			t.w.Apply(a) // a refusal is every party's alike
		} else {
			late = true
		}
	}
	if late {
		t.rebuild(t.w.tick)
	}
	return kept
}

// AdvanceTo steps the world until tick.
func (t *Timeline) AdvanceTo(tick int64) {
	if n := tick - t.w.tick; n > 0 {
		t.w.Step(int(n))
	}
}

func (t *Timeline) rebuild(tick int64) error {
	w, err := New(t.spec, t.seed)
	if err != nil {
		return err
	}
	w.pending = append(w.pending, t.log...)
	w.applyDue()
	w.Step(int(tick))
	t.w = w
	t.rebuilds++
	return nil
}
