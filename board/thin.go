package board

import (
	"time"

	"github.com/thingyard/thingyard/sim"
)

// thinner holds a board's readings back so that at most one reading
// action goes out per gap, and keeps the latest value of every name until
// then: a sketch that prints one sensor a line (temp on one, hum on the
// next) loses no name, however fast it prints.
type thinner struct {
	gap     time.Duration // the least time between two actions
	last    time.Time     // when the last action went out; zero before the first
	pending []sim.Reading // the latest value of each name, in the order names came
}

// add holds readings: a name already held takes the new value, a new name
// joins the end. Names past sim.MaxReadings (one action's most) are not
// held; a sketch printing that many names in one gap has its first
// sim.MaxReadings sent, and the others the next time they come.
func (t *thinner) add(rs []sim.Reading) {
next:
	for _, r := range rs {
		for i := range t.pending {
			if t.pending[i].Name == r.Name {
				t.pending[i] = r
				continue next
			}
		}
		if len(t.pending) < sim.MaxReadings {
			t.pending = append(t.pending, r)
		}
	}
}

// due is when the readings held may go out; zero when none are held.
func (t *thinner) due() time.Time {
	if len(t.pending) == 0 {
		return time.Time{}
	}
	return t.last.Add(t.gap)
}

// take returns the readings held, and forgets them, if a gap has passed
// since the last action at now; else nil.
func (t *thinner) take(now time.Time) []sim.Reading {
	if len(t.pending) == 0 || (!t.last.IsZero() && now.Sub(t.last) < t.gap) {
		return nil
	}
	rs := t.pending
	t.pending = nil
	t.last = now
	return rs
}
