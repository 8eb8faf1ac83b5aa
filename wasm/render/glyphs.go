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
	pix        []byte
	reset      bool // cleared on the next frame
}

// startFrame clears the glyph area when it is more than half full, or
// asked to: never in the middle of a frame, whose quads point into it.
func (r *Renderer) startGlyphs() {
	g := &r.glyphs
	if g.slots != nil && !g.reset && g.y < glyphH/2 {
		return
	}
	if g.slots != nil {
		r.at.img.SubImage(image.Rect(0, glyphY, atlasW, atlasH)).(*ebiten.Image).Clear()
	}
	g.slots = map[glyphKey]glyphSlot{}
	g.x, g.y, g.rowH, g.reset = 1, 1, 0, false
}

// glyph is the slot of rune c of face f at sub-pixel position sub, made
// now if it is new; ok is false when the glyph area has no room left.
func (r *Renderer) glyph(f *face, c rune, sub int) (glyphSlot, bool) {
	g := &r.glyphs
	k := glyphKey{f.id, uint8(sub), float32(f.size), c}
	if s, ok := g.slots[k]; ok {
		return s, true
	}
	o := f.font().glyph(c)
	mask, at := rasterise(o, f.size, float64(sub)/float64(f.variants()), &g.ras)
	if mask == nil {
		s := glyphSlot{empty: true}
		g.slots[k] = s
		return s, true
	}
	w, h := mask.Rect.Dx(), mask.Rect.Dy()
	if g.x+w+1 > atlasW {
		g.x, g.y, g.rowH = 1, g.y+g.rowH+1, 0
	}
	if g.y+h+1 > glyphH || w+2 > atlasW {
		g.reset = true
		return glyphSlot{}, false
	}
	src := image.Rect(g.x, glyphY+g.y, g.x+w, glyphY+g.y+h)
	g.x += w + 1
	g.rowH = max(g.rowH, h)
	// White, premultiplied by the coverage: vertex colours tint it.
	g.pix = g.pix[:0]
	for _, a := range mask.Pix {
		g.pix = append(g.pix, a, a, a, a)
	}
	r.at.img.SubImage(src).(*ebiten.Image).WritePixels(g.pix)
	s := glyphSlot{src: src, at: at}
	g.slots[k] = s
	return s, true
}

// text adds the glyphs of label l to batch b, each on whole device
// pixels, so the atlas's linear filter copies them unblurred. As ebiten's
// text/v2 did, the baseline is the pixel row at or above the exact one and
// a glyph's x is its exact one rounded down to 1/variants of a pixel.
func (r *Renderer) text(b *batch, l *label) {
	f := l.face
	x := l.x
	switch l.align {
	case alignCenter:
		x -= f.measure(l.s) / 2
	case alignEnd:
		x -= f.measure(l.s)
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
		if s, ok := r.glyph(f, ch, sub); ok && !s.empty {
			dx, dy := float32(px)-float32(s.at.X), float32(base)-float32(s.at.Y)
			w, h := float32(s.src.Dx()), float32(s.src.Dy())
			b.sprite(s.src, dx+w/2, dy+h/2, w/2, h/2, c)
		}
		x += float64(o.advance) * scale
	}
}

// texts draws labels onto dst in one call.
func (r *Renderer) texts(dst *ebiten.Image, ls []label) {
	r.txt.reset()
	for i := range ls {
		r.text(&r.txt, &ls[i])
	}
	r.txt.draw(dst, r.at.img, &r.textOp)
}
