//go:build js && wasm

package render

import (
	"math"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/inpututil"

	"github.com/thingyard/thingyard/sim"
)

// Keyboard steps.
const (
	keyZoom = keyZoomStep // one +/− press
	keyPan  = 80          // one arrow press, in CSS pixels
	// hoverEvery is how many updates pass between looking again for what
	// is under a still mouse in a big world.
	hoverEvery = 6
)

// Update handles input: drag empty space to pan, wheel, pinch or +/- to
// zoom, arrows to move the selection from device to device, Shift+arrows
// to pan, Enter or Space to inspect, F or 0 to fit, Escape to deselect,
// click or tap to select, drag a device to move it, hover for a tooltip. It returns the
// actions the person made (moves), which the caller applies to the world.
func (r *Renderer) Update(v *sim.View) []sim.Action {
	r.updates++
	r.pending = r.pending[:0]
	if r.show != nil && r.Cam.W > 0 {
		r.Cam.Show(r.show[0], r.show[1], r.show[2], r.show[3])
		r.show, r.fitted = nil, true
	}
	if !r.fitted && len(v.Devices) > 0 && r.Cam.W > 0 {
		r.FitTo(v)
	}
	if n := len(v.Devices); n > r.devices && r.devices > 0 && r.fitted && !r.showsWorld(v) {
		r.FitTo(v) // devices were added beyond the view: follow them
	}
	r.devices = len(v.Devices)
	r.rad = IconRadius(r.Cam.Scale, r.dpr, r.visible)
	r.keys(v)
	cx, cy := ebiten.CursorPosition()
	if _, wy := ebiten.Wheel(); wy != 0 {
		r.Cam.ZoomAt(float64(cx), float64(cy), WheelZoom(wy))
	}
	if r.pinchZoom() {
		return r.pending
	}
	r.pointer(v, cx, cy)
	return r.pending
}

func (r *Renderer) keys(v *sim.View) {
	just := inpututil.IsKeyJustPressed
	if just(ebiten.KeyEqual) || just(ebiten.KeyKPAdd) {
		r.Cam.ZoomAt(r.Cam.W/2, r.Cam.H/2, keyZoom)
	}
	if just(ebiten.KeyMinus) || just(ebiten.KeyKPSubtract) {
		r.Cam.ZoomAt(r.Cam.W/2, r.Cam.H/2, 1/keyZoom)
	}
	if just(ebiten.KeyF) || just(ebiten.Key0) {
		r.FitTo(v)
	}
	if just(ebiten.KeyEscape) {
		r.Selected, r.SelectedMsg, r.Hop = "", 0, nil
	}
	shift := ebiten.IsKeyPressed(ebiten.KeyShift)
	p := keyPan * r.dpr
	for _, k := range [4]struct {
		key    ebiten.Key
		dir    Direction
		dx, dy float64
	}{{ebiten.KeyArrowLeft, Left, p, 0}, {ebiten.KeyArrowRight, Right, -p, 0},
		{ebiten.KeyArrowUp, Up, 0, p}, {ebiten.KeyArrowDown, Down, 0, -p}} {
		if !just(k.key) {
			continue
		}
		if shift {
			r.Cam.Pan(k.dx, k.dy)
		} else {
			r.step(v, k.dir)
		}
	}
	if just(ebiten.KeyEnter) || just(ebiten.KeyNumpadEnter) || just(ebiten.KeySpace) {
		if r.Selected == "" {
			r.step(v, -1)
		}
		r.Inspect = r.Selected != ""
	}
}

// step moves the selection to the nearest device in direction d of the
// selected one (Nearest), or, with none selected or d of -1, selects the
// device nearest the middle of the screen. A device it selects off the
// screen is brought to the middle.
func (r *Renderer) step(v *sim.View, d Direction) {
	r.sx, r.sy = r.sx[:0], r.sy[:0]
	self := -1
	for i := range v.Devices {
		x, y := r.pos(v, int32(i))
		r.sx, r.sy = append(r.sx, x), append(r.sy, y)
		if v.Devices[i].ID == r.Selected {
			self = i
		}
	}
	next := -1
	if self >= 0 && d >= 0 {
		next = Nearest(d, r.sx[self], r.sy[self], r.sx, r.sy, self)
	} else if self < 0 {
		next = Closest(r.Cam.W/2, r.Cam.H/2, r.sx, r.sy)
	}
	if next < 0 {
		return // nothing that way: the selection stays
	}
	r.Selected, r.SelectedMsg = v.Devices[next].ID, 0
	if x, y := r.sx[next], r.sy[next]; !r.onScreen(x, y, -r.rad*2) {
		r.Cam.Pan(r.Cam.W/2-x, r.Cam.H/2-y)
	}
}

// pinchZoom zooms and pans with two fingers. It reports whether a pinch is
// under way, in which case single-pointer handling waits.
func (r *Renderer) pinchZoom() bool {
	r.touches = ebiten.AppendTouchIDs(r.touches[:0])
	if len(r.touches) != 2 {
		if r.pinch.active && len(r.touches) == 0 {
			r.pinch.active = false
		}
		return r.pinch.active
	}
	ax, ay := ebiten.TouchPosition(r.touches[0])
	bx, by := ebiten.TouchPosition(r.touches[1])
	fax, fay, fbx, fby := float64(ax), float64(ay), float64(bx), float64(by)
	if r.pinch.active {
		f, mx, my := Pinch(r.pinch.ax, r.pinch.ay, r.pinch.bx, r.pinch.by, fax, fay, fbx, fby)
		r.Cam.Pan(mx-(r.pinch.ax+r.pinch.bx)/2, my-(r.pinch.ay+r.pinch.by)/2)
		r.Cam.ZoomAt(mx, my, f)
	}
	// A pinch cancels a drag begun by its first finger.
	r.pinch.active, r.drag.active = true, false
	r.pinch.ax, r.pinch.ay, r.pinch.bx, r.pinch.by = fax, fay, fbx, fby
	r.hover.device, r.hover.msg = -1, 0
	return true
}

// pointer handles one mouse or one finger.
func (r *Renderer) pointer(v *sim.View, cx, cy int) {
	px, py := cx, cy
	pressed := ebiten.IsMouseButtonPressed(ebiten.MouseButtonLeft)
	justPressed := inpututil.IsMouseButtonJustPressed(ebiten.MouseButtonLeft)
	justReleased := inpututil.IsMouseButtonJustReleased(ebiten.MouseButtonLeft)
	touch := false
	if len(r.touches) == 1 {
		px, py = ebiten.TouchPosition(r.touches[0])
		pressed, touch = true, true
		justPressed = inpututil.TouchPressDuration(r.touches[0]) == 1
	}
	if justPressed {
		// What the click takes is decided now, against what the person
		// saw, and selected at the release unless the pointer moves.
		r.drag.active, r.drag.moved = true, false
		r.drag.x, r.drag.y = px, py
		r.drag.device, r.drag.msg = r.pick(v, px, py, pickMemory)
	}
	if r.drag.active && pressed {
		dx, dy := px-r.drag.x, py-r.drag.y
		if float64(dx*dx+dy*dy) > 16*r.dpr*r.dpr {
			r.drag.moved = true
		}
		if r.drag.moved {
			if r.drag.device >= 0 {
				r.drag.wx, r.drag.wy = r.Cam.ToWorld(float64(px), float64(py))
			} else {
				r.Cam.Pan(float64(dx), float64(dy))
				r.drag.x, r.drag.y = px, py
			}
		}
	}
	if r.drag.active && (justReleased || !pressed) {
		r.drag.active = false
		switch {
		case r.drag.moved && r.drag.device >= 0 && r.drag.device < len(v.Devices):
			d := &v.Devices[r.drag.device]
			r.pending = append(r.pending, sim.Action{Kind: sim.ActMove, Device: d.ID,
				X: int32(math.Round(r.drag.wx)), Y: int32(math.Round(r.drag.wy))})
		case !r.drag.moved:
			r.Selected, r.SelectedMsg, r.Hop = "", 0, nil
			if r.drag.msg != 0 {
				// A message that arrived since the press is gone: the
				// click caught nothing.
				if inFlight(v, r.drag.msg) {
					r.SelectedMsg = r.drag.msg
				}
			} else if r.drag.device >= 0 && r.drag.device < len(v.Devices) {
				r.Selected = v.Devices[r.drag.device].ID
			}
		}
	}
	// Hover: what is under a resting mouse (not a finger, not a drag),
	// looked for when the mouse moves and a few times a second as the
	// world moves under it.
	r.hover.every++
	if touch || r.drag.active || !r.onScreen(float64(px), float64(py), 0) {
		r.hover.device, r.hover.msg = -1, 0
	} else if px != r.hover.x || py != r.hover.y || r.hover.every%hoverEvery == 0 || len(v.Devices) <= 100 {
		r.hover.x, r.hover.y = px, py
		r.hover.device, r.hover.msg = r.pick(v, px, py, 0)
		if r.hover.msg != 0 {
			r.hover.device = -1
		}
	}
}

// pick is what is under a screen point by the rule of Pick: the device a
// click selects or a drag moves, or -1, and the message a click selects
// instead, or 0. Messages are picked where they were drawn in the frame on
// screen and in any drawn in the last memory updates, and only while they
// are still in flight.
func (r *Renderer) pick(v *sim.View, sx, sy int, memory int64) (device int, msg uint64) {
	r.sx, r.sy = r.sx[:0], r.sy[:0]
	for i := range v.Devices {
		x, y := r.pos(v, int32(i))
		r.sx, r.sy = append(r.sx, x), append(r.sy, y)
	}
	// Only dots within reach are looked up among the messages in flight:
	// a crowd has thousands of both.
	px, py, reach := float64(sx), float64(sy), messageReach*r.dpr
	r.dots = r.trail.Since(min(r.updates-memory, r.trail.At()), r.dots[:0])
	near := r.dots[:0]
	for _, d := range r.dots {
		if dx, dy := d.X-px, d.Y-py; dx*dx+dy*dy <= reach*reach && inFlight(v, d.ID) {
			near = append(near, d)
		}
	}
	return Pick(px, py, r.sx, r.sy, r.rad, near, reach)
}

// inFlight reports whether message id is in the view.
func inFlight(v *sim.View, id uint64) bool {
	for i := range v.Messages {
		if v.Messages[i].ID == id {
			return true
		}
	}
	return false
}
