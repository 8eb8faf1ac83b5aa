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
// zoom, arrows to pan, F or 0 to fit, Escape to deselect, click or tap to
// select, drag a device to move it, hover for a tooltip. It returns the
// actions the person made (moves), which the caller applies to the world.
func (r *Renderer) Update(v *sim.View) []sim.Action {
	r.pending = r.pending[:0]
	if !r.fitted && len(v.Devices) > 0 && r.Cam.W > 0 {
		r.FitTo(v)
	}
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
		r.Selected, r.SelectedMsg = "", 0
	}
	p := keyPan * r.dpr
	for _, k := range [4]struct {
		key    ebiten.Key
		dx, dy float64
	}{{ebiten.KeyArrowLeft, p, 0}, {ebiten.KeyArrowRight, -p, 0}, {ebiten.KeyArrowUp, 0, p}, {ebiten.KeyArrowDown, 0, -p}} {
		if just(k.key) {
			r.Cam.Pan(k.dx, k.dy)
		}
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
		r.drag.active, r.drag.moved = true, false
		r.drag.x, r.drag.y = px, py
		r.drag.device = r.pick(v, px, py)
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
			r.Selected, r.SelectedMsg = "", 0
			if m := r.pickMessage(v, r.drag.x, r.drag.y); m != 0 {
				r.SelectedMsg = m
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
		r.hover.device, r.hover.msg = -1, 0
		if m := r.pickMessage(v, px, py); m != 0 {
			r.hover.msg = m
		} else {
			r.hover.device = r.pick(v, px, py)
		}
	}
}

// pick is the device under a screen point, or -1.
func (r *Renderer) pick(v *sim.View, sx, sy int) int {
	wx, wy := r.Cam.ToWorld(float64(sx), float64(sy))
	r.xs, r.ys = r.xs[:0], r.ys[:0]
	for i := range v.Devices {
		r.xs = append(r.xs, v.Devices[i].X)
		r.ys = append(r.ys, v.Devices[i].Y)
	}
	return Nearest(r.xs, r.ys, wx, wy, r.rad/r.Cam.Scale*1.2)
}

// pickMessage is the message under a screen point, or 0.
func (r *Renderer) pickMessage(v *sim.View, sx, sy int) uint64 {
	reach := 10 * r.dpr
	best, bestD := uint64(0), reach*reach
	for i := range v.Messages {
		x, y := r.messagePos(v, &v.Messages[i])
		dx, dy := x-float64(sx), y-float64(sy)
		if d := dx*dx + dy*dy; d < bestD {
			best, bestD = v.Messages[i].ID, d
		}
	}
	return best
}
