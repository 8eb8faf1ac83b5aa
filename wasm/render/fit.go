//go:build js && wasm

package render

import (
	"math"

	"github.com/thingyard/thingyard/sim"
)

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
