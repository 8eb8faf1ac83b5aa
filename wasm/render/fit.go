//go:build js && wasm

package render

import (
	"math"

	"github.com/thingyard/thingyard/sim"
)

// framing is what the camera is to frame: a view a link asked for, or the
// whole world, fitted once and again as devices are added beyond it.
type framing struct {
	fitted bool
	show   *[4]float64 // a view to show at the next update (see Show)
	// devices is how many devices the view had at the last update: when
	// more come beyond what the screen shows, the view fits them in.
	devices int
}

// frameWorld frames the world at an update as framing asks.
func (r *Renderer) frameWorld(v *sim.View) {
	f := &r.frame
	if f.show != nil && r.Cam.W > 0 {
		r.Cam.Show(f.show[0], f.show[1], f.show[2], f.show[3])
		f.show, f.fitted = nil, true
	}
	if !f.fitted && len(v.Devices) > 0 && r.Cam.W > 0 {
		r.FitTo(v)
	}
	if n := len(v.Devices); n > f.devices && f.devices > 0 && f.fitted && !r.showsWorld(v) {
		r.FitTo(v) // devices were added beyond the view: follow them
	}
	f.devices = len(v.Devices)
}

// Refit frames the world again on the next update, after a new scene.
func (r *Renderer) Refit() { r.frame = framing{}; r.still.gen++; r.trail.Reset() }

// Framed reports whether the camera frames this scene yet: a link made
// before the first update of a new scene must not carry the old one's
// view.
func (r *Renderer) Framed() bool { return r.frame.fitted && r.frame.show == nil && r.Cam.W > 0 }

// Show frames the part of the world of Camera.Rect on the next update,
// instead of the whole world: the view a share link carries.
func (r *Renderer) Show(cx, cy, w, h float64) { r.frame.show = &[4]float64{cx, cy, w, h} }

// FitTo frames the whole world, its sides' frames and titles clear of the
// hints above and the legend below (see insets).
//
// The icons' size follows the scale (IconRadius) and the room the fit
// leaves follows the icons' size, so the fit is settled by a few rounds:
// a world fitted before its first frame and fitted again later (F) is
// framed alike, to the pixel.
func (r *Renderer) FitTo(v *sim.View) {
	b := v.Bounds
	rad := r.fitRad()
	for range 6 {
		l, t, rt, bt := r.insetsFor(rad, r.Cam.W, r.Cam.H)
		r.Cam.FitInside(float64(b.MinX), float64(b.MinY), float64(b.MaxX), float64(b.MaxY), l, t, rt, bt)
		next := IconRadius(r.Cam.Scale, r.dpr, r.visible)
		if math.Abs(next-rad) < 0.01 {
			break
		}
		rad = next
	}
	r.frame.fitted = true
}

// showsWorld reports whether every device is on screen, icon and all,
// clear of the legend along the bottom.
func (r *Renderer) showsWorld(v *sim.View) bool {
	b := v.Bounds
	below := legendH * r.dpr / r.Cam.Scale // the legend, in world units
	return r.Cam.Shows(float64(b.MinX), float64(b.MinY), float64(b.MaxX), float64(b.MaxY)+below, r.rad+4*r.dpr)
}

// sideTitleH is how much higher than its devices' frame a side's frame
// reaches, for its title, in CSS pixels.
const sideTitleH = 16

// sidePad is how far a side's frame lies outside its devices' centres, in
// device pixels, for icons of radius rad.
func (r *Renderer) sidePad(rad float64) float64 { return 30*r.dpr + rad }

// fitRad is the icon radius the fit plans room for: the current one, or
// before the first frame the radius of a small scene's icons.
func (r *Renderer) fitRad() float64 {
	if r.rad > 0 {
		return r.rad
	}
	return 10 * r.dpr
}

// insets are the room, in device pixels, that a fitted world leaves on
// each side of its devices' centres on a w×h screen: the sides' frames
// (and their titles above), then a gap of FitMargin beyond them (at least 8
// CSS pixels), the hints along the top and the legend along the bottom.
func (r *Renderer) insets(w, h float64) (left, top, right, bottom float64) {
	return r.insetsFor(r.fitRad(), w, h)
}

// insetsFor is insets for icons of radius rad.
func (r *Renderer) insetsFor(rad, w, h float64) (left, top, right, bottom float64) {
	d := r.dpr
	pad := r.sidePad(rad)
	gap := math.Max(FitMargin(w, h, d)-pad, 8*d)
	rows, _, _ := r.bandLayout()
	band := (20*float64(rows) + 6) * d
	return pad + gap, pad + sideTitleH*d + math.Max(gap, 24*d), pad + gap, pad + math.Max(gap, band+8*d)
}

// WorldBox is where the world is drawn on screen, in device pixels: the
// frames of its sides, titles included (the devices' own box, padded
// alike, when it has no sides).
func (r *Renderer) WorldBox(v *sim.View) Box {
	b := v.Bounds
	pad := r.sidePad(r.rad)
	x0, y0 := r.Cam.ToScreen(float64(b.MinX), float64(b.MinY))
	x1, y1 := r.Cam.ToScreen(float64(b.MaxX), float64(b.MaxY))
	return Box{x0 - pad, y0 - pad - sideTitleH*r.dpr, x1 + pad, y1 + pad}
}

// LegendH is the height of the legend along the bottom, in device pixels.
func (r *Renderer) LegendH() float64 {
	rows, _, _ := r.bandLayout()
	return (20*float64(rows) + 6) * r.dpr
}

// WantHeight is how tall, in CSS pixels, a screen cssW CSS pixels wide
// must be to show the whole world fitted to its width with nothing to
// spare above or below: how tall a phone's page makes the world's area.
// It is 0 before the world has devices.
func (r *Renderer) WantHeight(v *sim.View, cssW float64) float64 {
	b := v.Bounds
	if len(v.Devices) == 0 || b.MaxX < b.MinX {
		return 0
	}
	d := r.dpr
	w := cssW * d
	bw, bh := math.Max(float64(b.MaxX-b.MinX), 1), math.Max(float64(b.MaxY-b.MinY), 1)
	// The insets depend on the screen's shorter side: start from a square
	// screen and settle on the height found.
	h := w
	for range 3 {
		l, t, rt, bt := r.insets(w, h)
		s := clamp((w-l-rt)/bw, MinScale, 2)
		h = bh*s + t + bt
	}
	return math.Ceil(h / d)
}
