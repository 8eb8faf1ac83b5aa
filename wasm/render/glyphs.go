//go:build js && wasm

package render

import (
	"image"
	"math"

	"github.com/hajimehoshi/ebiten/v2"
	"golang.org/x/image/vector"
)

// align is where a label's x is: at its start, centre or end.
type align uint8

const (
	alignStart align = iota
	alignCenter
	alignEnd
)

// face is one of the fonts at a size in device pixels per em.
type face struct {
	id   uint8 // regular or bold
	css  float64
	size float64 // css × the device pixel ratio
}

func newFace(id uint8, css float64) *face { return &face{id: id, css: css, size: css} }

func (f *face) font() *fontData { return fonts[f.id] }

// measure is how wide s is, in device pixels.
func (f *face) measure(s string) float64 { return f.font().advance(s, f.size) }

// lineHeight is a line's height, ascent and descent, in device pixels.
func (f *face) lineHeight() float64 { return f.font().lineHeight(f.size) }

// ascent is how far a line's baseline is below its top.
func (f *face) ascent() float64 { return float64(f.font().ascent) * f.size / float64(f.font().upem) }

// variants is how many horizontal positions within a pixel a glyph is
// rasterised at for this face: more for small text, whose spacing a
// whole-pixel step would make uneven.
func (f *face) variants() int {
	switch h := f.lineHeight(); {
	case h < 20:
		return 8
	case h < 40:
		return 4
	case h < 80:
		return 2
	}
	return 1
}

// The glyph area is the part of the atlas below the sprites. A glyph is
// rasterised into it the first time it is drawn at a size and sub-pixel
// position; when more than half of it is used, the next frame starts it
// afresh (what was drawn with it is already pixels).
const (
	glyphY = 4 * cell        // the glyph area's top
	glyphH = atlasH - glyphY // and its height
)

type glyphKey struct {
	face uint8
	sub  uint8
	size float32
	r    rune
}

// glyphSlot is where a rasterised glyph is in the atlas and where its
// origin is within it; an empty slot draws nothing (a space).
type glyphSlot struct {
	src   image.Rectangle
	at    image.Point
	empty bool
}

type glyphCache struct {
	slots      map[glyphKey]glyphSlot
	x, y, rowH int // the shelf being filled
	ras        vector.Rasterizer
	// shelf holds what was rasterised into the shelf since its last
	// upload, columns x0 to x of rows as wide as the atlas (x0 < 0: none),
	// so that a frame's new glyphs go to the atlas in one write a shelf:
	// a page's first frame rasterises about 200, and each write is a
	// texture upload of its own, which cost about 20 ms together. The
	// rest of it is clear, as the atlas is there.
	shelf []byte
	x0    int
	out   []byte // the upload's pixels
	reset bool   // cleared on the next frame
	// write, when set, takes the uploads instead of the atlas (tests).
	write func(r image.Rectangle, pix []byte)
}

// upload writes the glyphs rasterised into the shelf since its last upload
// into atlas at: before the shelf changes and before a draw samples them.
func (g *glyphCache) upload(at *atlas) {
	if g.x0 < 0 {
		return
	}
	w, h := g.x-g.x0, g.rowH
	g.out = g.out[:0]
	for y := range h {
		row := g.shelf[4*(y*atlasW+g.x0):][:4*w]
		g.out = append(g.out, row...)
		clear(row)
	}
	r := image.Rect(g.x0, glyphY+g.y, g.x0+w, glyphY+g.y+h)
	if g.write != nil {
		g.write(r, g.out)
	} else {
		at.img.SubImage(r).(*ebiten.Image).WritePixels(g.out)
	}
	g.x0 = -1
}

// writer letters the world: its three faces, the glyphs rasterised into
// the atlas's glyph area as they are first drawn, and the batch a layer's
// labels are drawn in, one call a layer.
type writer struct {
	face   *face // names
	bold   *face // titles
	small  *face // captions, the legend, tooltips' details
	glyphs glyphCache
	b      batch
	op     ebiten.DrawTrianglesOptions // glyphs: whole pixels, level 0
}

func newWriter() writer {
	w := writer{face: newFace(regular, 13), small: newFace(regular, 11), bold: newFace(bold, 15)}
	w.op.DisableMipmaps = true
	return w
}

// setDPR sizes the faces for a device pixel ratio; glyphs of the old size
// are of no more use.
func (w *writer) setDPR(dpr float64) {
	for _, f := range [...]*face{w.face, w.small, w.bold} {
		f.size = f.css * dpr
	}
	w.glyphs.reset = true
}

// start clears the glyph area of atlas at when it is more than half full,
// or asked to: never in the middle of a frame, whose quads point into it.
func (w *writer) start(at *atlas) {
	g := &w.glyphs
	if g.slots != nil && !g.reset && g.y < glyphH/2 {
		return
	}
	if g.slots != nil {
		at.img.SubImage(image.Rect(0, glyphY, atlasW, atlasH)).(*ebiten.Image).Clear()
	}
	g.slots = map[glyphKey]glyphSlot{}
	g.x, g.y, g.rowH, g.x0, g.reset = 1, 1, 0, -1, false
}

// glyph is the slot of rune c of face f at sub-pixel position sub, made
// now in atlas at if it is new; ok is false when the glyph area has no
// room left.
func (w *writer) glyph(at *atlas, f *face, c rune, sub int) (glyphSlot, bool) {
	g := &w.glyphs
	k := glyphKey{f.id, uint8(sub), float32(f.size), c}
	if s, ok := g.slots[k]; ok {
		return s, true
	}
	o := f.font().glyph(c)
	mask, pt := rasterise(o, f.size, float64(sub)/float64(f.variants()), &g.ras)
	if mask == nil {
		s := glyphSlot{empty: true}
		g.slots[k] = s
		return s, true
	}
	mw, mh := mask.Rect.Dx(), mask.Rect.Dy()
	if g.x+mw+1 > atlasW {
		g.upload(at)
		g.x, g.y, g.rowH = 1, g.y+g.rowH+1, 0
	}
	if g.y+mh+1 > glyphH || mw+2 > atlasW {
		g.reset = true
		return glyphSlot{}, false
	}
	src := image.Rect(g.x, glyphY+g.y, g.x+mw, glyphY+g.y+mh)
	if g.x0 < 0 {
		g.x0 = g.x
	}
	g.rowH = max(g.rowH, mh)
	if n := 4 * atlasW * g.rowH; len(g.shelf) < n {
		g.shelf = append(g.shelf, make([]byte, n-len(g.shelf))...)
	}
	// White, premultiplied by the coverage: vertex colours tint it.
	for y := range mh {
		row := g.shelf[4*(y*atlasW+g.x):][:4*mw]
		for x, a := range mask.Pix[y*mask.Stride:][:mw] {
			row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = a, a, a, a
		}
	}
	g.x += mw + 1
	s := glyphSlot{src: src, at: pt}
	g.slots[k] = s
	return s, true
}

// add puts the glyphs of label l into the batch, each on whole device
// pixels, so the atlas's linear filter copies them unblurred. As ebiten's
// text/v2 did, the baseline is the pixel row at or above the exact one and
// a glyph's x is its exact one rounded down to 1/variants of a pixel.
func (w *writer) add(at *atlas, l *label) {
	f := l.face
	x := l.x
	if l.align != alignStart {
		x = l.left(f.measure(l.s))
	}
	base := math.Floor(l.y + f.ascent())
	fd := f.font()
	scale := f.size / float64(fd.upem)
	n := float64(f.variants())
	c := colourOf(l.c, float32(l.c.A)/255)
	for _, ch := range l.s {
		o := fd.glyph(ch)
		px := math.Floor(x)
		sub := min(int((x-px)*n), int(n)-1)
		if s, ok := w.glyph(at, f, ch, sub); ok && !s.empty {
			dx, dy := float32(px)-float32(s.at.X), float32(base)-float32(s.at.Y)
			gw, gh := float32(s.src.Dx()), float32(s.src.Dy())
			w.b.sprite(s.src, dx+gw/2, dy+gh/2, gw/2, gh/2, c)
		}
		x += float64(o.advance) * scale
	}
}

// draw draws labels onto dst in one call.
func (w *writer) draw(dst *ebiten.Image, at *atlas, ls []label) {
	w.b.reset()
	for i := range ls {
		w.add(at, &ls[i])
	}
	w.glyphs.upload(at)
	w.b.draw(dst, at.img, &w.op)
}
