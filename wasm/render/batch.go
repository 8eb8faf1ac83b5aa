//go:build js && wasm

package render

import (
	"image"
	"image/color"
	"math"

	"github.com/hajimehoshi/ebiten/v2"
)

// rgba is a straight-alpha vertex colour, components 0..1.
type rgba struct{ R, G, B, A float32 }

func colourOf(c color.RGBA, alpha float32) rgba {
	return rgba{float32(c.R) / 255, float32(c.G) / 255, float32(c.B) / 255, alpha}
}

// scaled darkens a colour, for devices switched off or offline.
func (c rgba) scaled(f float32) rgba { return rgba{c.R * f, c.G * f, c.B * f, c.A} }

// batch collects triangles over one source image for a single
// DrawTriangles32 call. Its slices are kept between frames, so a warm
// renderer allocates nothing to fill it.
type batch struct {
	vs []ebiten.Vertex
	is []uint32
}

func (b *batch) reset() {
	b.vs = b.vs[:0]
	b.is = b.is[:0]
}

func (b *batch) vert(x, y, sx, sy float32, c rgba) {
	b.vs = append(b.vs, ebiten.Vertex{DstX: x, DstY: y, SrcX: sx, SrcY: sy, ColorR: c.R, ColorG: c.G, ColorB: c.B, ColorA: c.A})
}

// quad joins vertices i, i+1, i+2, i+3 (around the quad) in two triangles.
func (b *batch) quad(i uint32) {
	b.is = append(b.is, i, i+1, i+2, i, i+2, i+3)
}

// sprite draws the source rectangle src centred at x, y with half sizes
// hw, hh, tinted by c.
func (b *batch) sprite(src image.Rectangle, x, y, hw, hh float32, c rgba) {
	i := uint32(len(b.vs))
	x0, y0, x1, y1 := float32(src.Min.X), float32(src.Min.Y), float32(src.Max.X), float32(src.Max.Y)
	b.vert(x-hw, y-hh, x0, y0, c)
	b.vert(x+hw, y-hh, x1, y0, c)
	b.vert(x+hw, y+hh, x1, y1, c)
	b.vert(x-hw, y+hh, x0, y1, c)
	b.quad(i)
}

// disc draws a filled circle of radius r.
func (b *batch) disc(x, y, r float32, c rgba) {
	h := r * cell / 2 / discR
	b.sprite(spriteRect(spDisc, 1), x, y, h, h, c)
}

// ring draws a circle outline of radius r; its stroke scales with r.
func (b *batch) ring(x, y, r float32, c rgba) {
	h := (r + ringW/2) * cell / 2 / discR
	b.sprite(spriteRect(spRing, 1), x, y, h, h, c)
}

// thinRing draws a faint, thin circle of radius r, for radio range.
func (b *batch) thinRing(x, y, r float32, c rgba) {
	h := r * cell / 2 / discR
	b.sprite(spriteRect(spThin, 1), x, y, h, h, c)
}

// cross draws an × of half size s.
func (b *batch) cross(x, y, s float32, c rgba) {
	h := s * cell / 2 / 34
	b.sprite(spriteRect(spCross, 1), x, y, h, h, c)
}

// rect fills an axis-aligned rectangle.
func (b *batch) rect(x, y, w, h float32, c rgba) {
	i := uint32(len(b.vs))
	b.vert(x, y, solidX, solidY, c)
	b.vert(x+w, y, solidX, solidY, c)
	b.vert(x+w, y+h, solidX, solidY, c)
	b.vert(x, y+h, solidX, solidY, c)
	b.quad(i)
}

// frame outlines an axis-aligned rectangle with lines of width w.
func (b *batch) frame(x, y, w, h, lw float32, c rgba) {
	b.line(x, y, x+w, y, lw, c)
	b.line(x+w, y, x+w, y+h, lw, c)
	b.line(x+w, y+h, x, y+h, lw, c)
	b.line(x, y+h, x, y, lw, c)
}

// line draws a solid line of width w with a one-pixel soft edge on each
// side: anti-aliasing from vertex alpha, with no stencil pass.
func (b *batch) line(x0, y0, x1, y1, w float32, c rgba) {
	b.strip(x0, y0, x1, y1, w, c, solidX, solidX, solidY)
}

// thin draws a line of width w as one quad, without soft edges: cheap,
// for the many short stubs of a crowd.
func (b *batch) thin(x0, y0, x1, y1, w float32, c rgba) {
	dx, dy := x1-x0, y1-y0
	l := float32(math.Hypot(float64(dx), float64(dy)))
	if l < 0.01 {
		return
	}
	nx, ny := -dy/l*w/2, dx/l*w/2
	i := uint32(len(b.vs))
	b.vert(x0-nx, y0-ny, solidX, solidY, c)
	b.vert(x1-nx, y1-ny, solidX, solidY, c)
	b.vert(x1+nx, y1+ny, solidX, solidY, c)
	b.vert(x0+nx, y0+ny, solidX, solidY, c)
	b.quad(i)
}

// dashed draws a dashed line whose pattern repeats every period pixels,
// starting at phase pixels into the pattern. It goes into a batch drawn
// from the atlas's dash image, the pattern dashRuns times over: a line
// longer than that is drawn in pieces, each starting one pattern in and
// ending one before the image's end, so linear sampling never reads past
// it.
func (b *batch) dashed(x0, y0, x1, y1, w, period, phase float32, c rgba) {
	l := float32(math.Hypot(float64(x1-x0), float64(y1-y0)))
	if l < 0.01 || period <= 0 {
		return
	}
	most := (dashRuns - 2) * period
	ph := float32(math.Mod(float64(phase), float64(period)))
	if ph < 0 {
		ph += period
	}
	for done := float32(0); done < l; {
		n := min(l-done, most)
		a, e := done/l, (done+n)/l
		u0 := dashLen + ph/period*dashLen
		b.strip(x0+(x1-x0)*a, y0+(y1-y0)*a, x0+(x1-x0)*e, y0+(y1-y0)*e, w, c, u0, u0+n/period*dashLen, dashH/2)
		ph = float32(math.Mod(float64(ph+n), float64(period)))
		done += n
	}
}

// strip is a line as three bands across it: a soft edge, the core and
// another soft edge, with source x running from u0 to u1 along it.
func (b *batch) strip(x0, y0, x1, y1, w float32, c rgba, u0, u1, v float32) {
	dx, dy := x1-x0, y1-y0
	l := float32(math.Hypot(float64(dx), float64(dy)))
	if l < 0.01 {
		return
	}
	nx, ny := -dy/l, dx/l
	core, outer := w/2-0.5, w/2+0.5
	if core < 0 {
		// Thinner than a pixel: a pixel-wide line, fainter.
		c.A *= w
		core, outer = 0, 1
	}
	clear := c
	clear.A = 0
	i := uint32(len(b.vs))
	for _, e := range [2]struct{ x, y, u float32 }{{x0, y0, u0}, {x1, y1, u1}} {
		b.vert(e.x-nx*outer, e.y-ny*outer, e.u, v, clear)
		b.vert(e.x-nx*core, e.y-ny*core, e.u, v, c)
		b.vert(e.x+nx*core, e.y+ny*core, e.u, v, c)
		b.vert(e.x+nx*outer, e.y+ny*outer, e.u, v, clear)
	}
	for k := uint32(0); k < 3; k++ {
		b.is = append(b.is, i+k, i+k+1, i+4+k+1, i+k, i+4+k+1, i+4+k)
	}
}

// draw draws the batch onto dst from src in one call.
func (b *batch) draw(dst, src *ebiten.Image, op *ebiten.DrawTrianglesOptions) {
	if len(b.is) == 0 {
		return
	}
	dst.DrawTriangles32(b.vs, b.is, src, op)
}
