package render

import "math"

// This file holds what a click or a hover picks: pure functions of screen
// points, tested natively like the geometry.
//
// The rule, as a person expects it:
//
//  1. A click on a device's icon (within its drawn radius) selects the
//     device, whatever message is passing over it or waiting under it.
//     Busy devices (a Modbus slave polled all the time) are clicked as
//     often as quiet ones.
//  2. Off every icon, a message is picked when the pointer is within
//     messageReach of where the message was drawn: in the frame on screen,
//     or, for a click, in any frame drawn in the last pickMemory updates,
//     since a dot moves a long way between seeing it and pressing on it.
//     The nearest such dot wins.
//  3. Otherwise a device is picked within a fifth of its radius beyond its
//     icon, the slack a finger needs.
//
// Only messages that were drawn can be picked: one waiting for its medium
// under its sender is not drawn, so it cannot take a click on the sender.

// messageReach is how far from a message's dot, in CSS pixels, a pointer
// still picks it: the dot with its halo has a radius of 7 px, and a
// moving dot deserves slack beyond it. Default 16.
const messageReach = 16

// pickMemory is how long, in updates (Ebitengine runs 60 a second), a
// message stays catchable where it was drawn: about the time between seeing
// a dot and pressing the button on it. Default 15, a quarter of a second.
const pickMemory = 15

// trailFrames is how many drawn frames the trail keeps: enough for
// pickMemory at 60 frames a second.
const trailFrames = 16

// iconSlack is how far beyond its icon a device still takes a click, as a
// fraction of the icon's radius.
const iconSlack = 1.2

// Dot is a message as drawn in one frame: its id and where it was on
// screen.
type Dot struct {
	ID   uint64
	X, Y float64
}

// Pick is what a pointer at px, py is on, by the rule above: msg is the
// message a click there selects, or 0; device is the device a click there
// selects when msg is 0, and the device a drag from there moves, or -1.
// The icons are centred at xs, ys with radius rad; dots are the messages as
// drawn (a message may have several, one per frame), within reach of which
// a message is picked. All in screen pixels.
func Pick(px, py float64, xs, ys []float64, rad float64, dots []Dot, reach float64) (device int, msg uint64) {
	device, d2 := -1, math.Inf(1)
	for i := range xs {
		dx, dy := xs[i]-px, ys[i]-py
		if d := dx*dx + dy*dy; d < d2 {
			device, d2 = i, d
		}
	}
	if device >= 0 && d2 > rad*iconSlack*rad*iconSlack {
		device = -1
	}
	if device >= 0 && d2 <= rad*rad {
		return device, 0 // on the icon: the device
	}
	best := reach * reach
	for _, d := range dots {
		dx, dy := d.X-px, d.Y-py
		if dd := dx*dx + dy*dy; dd <= best {
			msg, best = d.ID, dd
		}
	}
	return device, msg
}

// Trail keeps the messages drawn in the last few frames, each frame with
// the update it was drawn at, so a click picks against what the person saw.
type Trail struct {
	frames [trailFrames]struct {
		at   int64
		dots []Dot
	}
	last int // index of the newest frame
}

// Begin starts the frame drawn at update at; Add puts its dots in it.
func (t *Trail) Begin(at int64) {
	t.last = (t.last + 1) % trailFrames
	f := &t.frames[t.last]
	f.at, f.dots = at, f.dots[:0]
}

// Add records a message drawn at x, y in the current frame.
func (t *Trail) Add(id uint64, x, y float64) {
	f := &t.frames[t.last]
	f.dots = append(f.dots, Dot{id, x, y})
}

// Last is the newest frame's dots: what is on screen now.
func (t *Trail) Last() []Dot { return t.frames[t.last].dots }

// At is the update the newest frame was drawn at.
func (t *Trail) At() int64 { return t.frames[t.last].at }

// Since appends to dst the dots of every frame drawn at update from or
// later, newest first, and returns it.
func (t *Trail) Since(from int64, dst []Dot) []Dot {
	for k := 0; k < trailFrames; k++ {
		f := &t.frames[(t.last-k+trailFrames)%trailFrames]
		if f.at < from {
			break // this frame and those before it are older
		}
		dst = append(dst, f.dots...)
	}
	return dst
}

// Reset forgets every frame: after a new scene, the old one's messages
// must not be picked.
func (t *Trail) Reset() {
	for k := range t.frames {
		t.frames[k].at, t.frames[k].dots = math.MinInt64, t.frames[k].dots[:0]
	}
}
