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

// gestures is what a person is doing with the pointer and the fingers,
// from update to update, and the actions it made in this one.
type gestures struct {
	drag struct {
		active, moved bool
		device        int    // index into the view's devices, or -1 for panning
		msg           uint64 // the message a click selects instead, or 0
		x, y          int
		wx, wy        float64
	}
	pinch struct {
		active         bool
		ax, ay, bx, by float64
	}
	hover struct {
		every  int
		x, y   int
		device int    // index into the view's devices, or -1
		msg    uint64 // or 0
	}
	touches []ebiten.TouchID
	pending []sim.Action // moves made in this update
	// Scratch for picking: devices on screen, messages drawn lately.
	sx, sy []float64
	dots   []Dot
}

// dragging reports whether device i is being dragged to a new place, and
// where in the world it is.
func (g *gestures) dragging(i int) (wx, wy float64, ok bool) {
	d := &g.drag
	return d.wx, d.wy, d.active && d.moved && d.device == i && i >= 0
}

// Update handles input: drag empty space to pan, wheel, pinch or +/- to
// zoom, arrows to move the selection from device to device, Shift+arrows
// to pan, Enter or Space to inspect, F or 0 to fit, Escape to deselect,
// click or tap to select, drag a device to move it, hover for a tooltip. It returns the
// actions the person made (moves), which the caller applies to the world.
func (r *Renderer) Update(v *sim.View) []sim.Action {
	r.updates++
	r.in.pending = r.in.pending[:0]
	r.frameWorld(v)
	r.rad = IconRadius(r.Cam.Scale, r.dpr, r.visible)
	r.keys(v)
	cx, cy := ebiten.CursorPosition()
	if _, wy := ebiten.Wheel(); wy != 0 {
		r.Cam.ZoomAt(float64(cx), float64(cy), WheelZoom(wy))
	}
	if r.in.pinchZoom(&r.Cam) {
		return r.in.pending
	}
	r.pointer(v, cx, cy)
	return r.in.pending
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
	r.in.sx, r.in.sy = r.in.sx[:0], r.in.sy[:0]
	self := -1
	for i := range v.Devices {
		x, y := r.pos(v, int32(i))
		r.in.sx, r.in.sy = append(r.in.sx, x), append(r.in.sy, y)
		if v.Devices[i].ID == r.Selected {
			self = i
		}
	}
	next := -1
	if self >= 0 && d >= 0 {
		next = Nearest(d, r.in.sx[self], r.in.sy[self], r.in.sx, r.in.sy, self)
	} else if self < 0 {
		next = Closest(r.Cam.W/2, r.Cam.H/2, r.in.sx, r.in.sy)
	}
	if next < 0 {
		return // nothing that way: the selection stays
	}
	r.Selected, r.SelectedMsg = v.Devices[next].ID, 0
	if x, y := r.in.sx[next], r.in.sy[next]; !r.onScreen(x, y, -r.rad*2) {
		r.Cam.Pan(r.Cam.W/2-x, r.Cam.H/2-y)
	}
}

// pinchZoom zooms and pans cam with two fingers. It reports whether a
// pinch is under way, in which case single-pointer handling waits.
func (g *gestures) pinchZoom(cam *Camera) bool {
	g.touches = ebiten.AppendTouchIDs(g.touches[:0])
	p := &g.pinch
	if len(g.touches) != 2 {
		if p.active && len(g.touches) == 0 {
			p.active = false
		}
		return p.active
	}
	ax, ay := ebiten.TouchPosition(g.touches[0])
	bx, by := ebiten.TouchPosition(g.touches[1])
	fax, fay, fbx, fby := float64(ax), float64(ay), float64(bx), float64(by)
	if p.active {
		f, mx, my := Pinch(p.ax, p.ay, p.bx, p.by, fax, fay, fbx, fby)
		cam.Pan(mx-(p.ax+p.bx)/2, my-(p.ay+p.by)/2)
		cam.ZoomAt(mx, my, f)
	}
	// A pinch cancels a drag begun by its first finger.
	p.active, g.drag.active = true, false
	p.ax, p.ay, p.bx, p.by = fax, fay, fbx, fby
	g.hover.device, g.hover.msg = -1, 0
	return true
}

// pointer handles one mouse or one finger.
func (r *Renderer) pointer(v *sim.View, cx, cy int) {
	px, py := cx, cy
	pressed := ebiten.IsMouseButtonPressed(ebiten.MouseButtonLeft)
	justPressed := inpututil.IsMouseButtonJustPressed(ebiten.MouseButtonLeft)
	justReleased := inpututil.IsMouseButtonJustReleased(ebiten.MouseButtonLeft)
	touch := false
	if len(r.in.touches) == 1 {
		px, py = ebiten.TouchPosition(r.in.touches[0])
		pressed, touch = true, true
		justPressed = inpututil.TouchPressDuration(r.in.touches[0]) == 1
	}
	if justPressed {
		// What the click takes is decided now, against what the person
		// saw, and selected at the release unless the pointer moves.
		r.in.drag.active, r.in.drag.moved = true, false
		r.in.drag.x, r.in.drag.y = px, py
		r.in.drag.device, r.in.drag.msg = r.pick(v, px, py, pickMemory)
	}
	if r.in.drag.active && pressed {
		dx, dy := px-r.in.drag.x, py-r.in.drag.y
		if float64(dx*dx+dy*dy) > 16*r.dpr*r.dpr {
			r.in.drag.moved = true
		}
		if r.in.drag.moved {
			if r.in.drag.device >= 0 {
				r.in.drag.wx, r.in.drag.wy = r.Cam.ToWorld(float64(px), float64(py))
			} else {
				r.Cam.Pan(float64(dx), float64(dy))
				r.in.drag.x, r.in.drag.y = px, py
			}
		}
	}
	if r.in.drag.active && (justReleased || !pressed) {
		r.in.drag.active = false
		switch {
		case r.in.drag.moved && r.in.drag.device >= 0 && r.in.drag.device < len(v.Devices):
			d := &v.Devices[r.in.drag.device]
			r.in.pending = append(r.in.pending, sim.Action{Kind: sim.ActMove, Device: d.ID,
				X: int32(math.Round(r.in.drag.wx)), Y: int32(math.Round(r.in.drag.wy))})
		case !r.in.drag.moved:
			r.Selected, r.SelectedMsg, r.Hop = "", 0, nil
			if r.in.drag.msg != 0 {
				// A message that arrived since the press is gone: the
				// click caught nothing.
				if inFlight(v, r.in.drag.msg) {
					r.SelectedMsg = r.in.drag.msg
				}
			} else if r.in.drag.device >= 0 && r.in.drag.device < len(v.Devices) {
				r.Selected = v.Devices[r.in.drag.device].ID
			}
		}
	}
	// Hover: what is under a resting mouse (not a finger, not a drag),
	// looked for when the mouse moves and a few times a second as the
	// world moves under it.
	r.in.hover.every++
	if touch || r.in.drag.active || !r.onScreen(float64(px), float64(py), 0) {
		r.in.hover.device, r.in.hover.msg = -1, 0
	} else if px != r.in.hover.x || py != r.in.hover.y || r.in.hover.every%hoverEvery == 0 || len(v.Devices) <= 100 {
		r.in.hover.x, r.in.hover.y = px, py
		r.in.hover.device, r.in.hover.msg = r.pick(v, px, py, 0)
		if r.in.hover.msg != 0 {
			r.in.hover.device = -1
		}
	}
}

// pick is what is under a screen point by the rule of Pick: the device a
// click selects or a drag moves, or -1, and the message a click selects
// instead, or 0. Messages are picked where they were drawn in the frame on
// screen and in any drawn in the last memory updates, and only while they
// are still in flight.
func (r *Renderer) pick(v *sim.View, sx, sy int, memory int64) (device int, msg uint64) {
	r.in.sx, r.in.sy = r.in.sx[:0], r.in.sy[:0]
	for i := range v.Devices {
		x, y := r.pos(v, int32(i))
		r.in.sx, r.in.sy = append(r.in.sx, x), append(r.in.sy, y)
	}
	// Only dots within reach are looked up among the messages in flight:
	// a crowd has thousands of both.
	px, py, reach := float64(sx), float64(sy), messageReach*r.dpr
	r.in.dots = r.trail.Since(min(r.updates-memory, r.trail.At()), r.in.dots[:0])
	near := r.in.dots[:0]
	for _, d := range r.in.dots {
		if dx, dy := d.X-px, d.Y-py; dx*dx+dy*dy <= reach*reach && inFlight(v, d.ID) {
			near = append(near, d)
		}
	}
	return Pick(px, py, r.in.sx, r.in.sy, r.rad, near, reach)
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
