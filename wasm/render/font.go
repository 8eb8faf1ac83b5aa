package render

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"math"
	"slices"

	"golang.org/x/image/vector"
)

// The page writes its labels in the Go fonts, regular and bold. It links
// no font parser and no shaper: glyphs.bin, made natively by
// internal/glyphgen, holds the outlines, advances and line metrics of the
// glyphs labels need, and a glyph is rasterised from its outline at the
// size it is drawn, the first time it is drawn (see glyphs.go).

//go:generate go run ./internal/glyphgen -o glyphs.bin

//go:embed glyphs.bin
var glyphsBin []byte

// Font faces in glyphs.bin.
const (
	regular = iota
	bold
	fontCount
)

// outline is a glyph: its advance, its outline's bounds and the outline
// itself, all in font units, y up. The outline is read from the glyph's
// bytes in glyphs.bin (src, segs segments, checked when the file was read)
// the first time it is drawn (shape): the page's start reads only the
// advances, and most glyphs are never drawn.
type outline struct {
	r                      rune
	advance                float32
	src                    []byte
	segs                   int
	read                   bool
	minX, minY, maxX, maxY float32
	ops                    []byte    // 0 move, 1 line, 2 quadratic, 3 cubic
	pts                    []float32 // x, y pairs: 1, 1, 2 or 3 per op
}

// shape reads the glyph's outline and bounds, once.
func (g *outline) shape() {
	if g.read {
		return
	}
	g.read = true
	d := decoder{b: g.src}
	g.ops = make([]byte, 0, g.segs)
	g.minX, g.minY, g.maxX, g.maxY = math.MaxFloat32, math.MaxFloat32, -math.MaxFloat32, -math.MaxFloat32
	for range g.segs {
		op := d.byte()
		g.ops = append(g.ops, op)
		for range max(1, int(op)) {
			x, y := d.point()
			g.pts = append(g.pts, x, y)
			g.minX, g.maxX = min(g.minX, x), max(g.maxX, x)
			g.minY, g.maxY = min(g.minY, y), max(g.maxY, y)
		}
	}
	if len(g.ops) == 0 {
		g.minX, g.minY, g.maxX, g.maxY = 0, 0, 0, 0
	}
}

// fontData is one face's glyphs, sorted by rune; glyphs[0] is the
// replacement, drawn for a rune the face has no glyph for.
type fontData struct {
	upem            float32
	ascent, descent float32 // font units, both positive
	glyphs          []outline
}

// glyph is the outline of r, or the replacement.
func (f *fontData) glyph(r rune) *outline {
	if r < 0x7f && r >= 0x20 {
		return &f.glyphs[r-0x20+1] // ASCII comes first, with no gap
	}
	i, ok := slices.BinarySearchFunc(f.glyphs[1:], r, func(o outline, r rune) int { return int(o.r - r) })
	if !ok {
		return &f.glyphs[0]
	}
	return &f.glyphs[i+1]
}

// Has reports whether the face has a glyph of its own for r.
func (f *fontData) has(r rune) bool { return r != 0 && f.glyph(r).r == r }

// advance is how wide s is at size pixels per em.
func (f *fontData) advance(s string, size float64) float64 {
	var a float32
	for _, r := range s {
		a += f.glyph(r).advance
	}
	return float64(a) * size / float64(f.upem)
}

// lineHeight is a line's height (ascent and descent) at size.
func (f *fontData) lineHeight(size float64) float64 {
	return float64(f.ascent+f.descent) * size / float64(f.upem)
}

// fonts are the decoded faces, by face index.
var fonts = func() [fontCount]*fontData {
	fs, err := decodeFonts(glyphsBin)
	if err != nil {
		panic("render: glyphs.bin: " + err.Error() + " (run go generate ./wasm/render)")
	}
	return fs
}()

func decodeFonts(b []byte) (fs [fontCount]*fontData, err error) {
	if len(b) < 4 || string(b[:4]) != "TYG2" {
		return fs, errors.New("not a glyph file of this version (no TYG2 at its start)")
	}
	d := decoder{b: b, p: 4}
	upem := float32(d.uint())
	for i := range fs {
		f := &fontData{upem: upem, ascent: float32(d.uint()), descent: float32(d.uint())}
		n := d.uint()
		if n < 2 || n > 1<<16 {
			return fs, fmt.Errorf("face %d: %d glyphs", i, n)
		}
		f.glyphs = make([]outline, n)
		r := rune(0)
		for k := range f.glyphs {
			g := &f.glyphs[k]
			r += rune(d.uint())
			g.r, g.advance = r, float32(d.uint())
			segs := d.uint()
			if segs > 1<<12 {
				return fs, fmt.Errorf("face %d, glyph %U: %d segments", i, r, segs)
			}
			start := d.p
			for range segs {
				op := d.byte()
				if op > 3 {
					return fs, fmt.Errorf("face %d, glyph %U: segment op %d", i, r, op)
				}
				for range 2 * max(1, int(op)) {
					d.skip()
				}
			}
			g.src, g.segs = b[start:d.p:d.p], int(segs)
		}
		if d.err != nil {
			return fs, fmt.Errorf("face %d: %w", i, d.err)
		}
		for k := 0x20; k < 0x7f; k++ {
			if f.glyphs[k-0x20+1].r != rune(k) {
				return fs, fmt.Errorf("face %d: ASCII is not complete at %U", i, k)
			}
		}
		fs[i] = f
	}
	if d.err != nil {
		return fs, d.err
	}
	if d.p != len(b) {
		return fs, fmt.Errorf("%d bytes left over", len(b)-d.p)
	}
	return fs, nil
}

type decoder struct {
	b    []byte
	p    int
	x, y int64
	err  error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%s at byte %d", what, d.p)
	}
	d.p = len(d.b)
}

func (d *decoder) uint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.p:])
	if n <= 0 {
		d.fail("truncated number")
		return 0
	}
	d.p += n
	return v
}

func (d *decoder) byte() byte {
	if d.p >= len(d.b) {
		d.fail("truncated segment")
		return 0
	}
	d.p++
	return d.b[d.p-1]
}

// skip passes over a varint, which must end within the file.
func (d *decoder) skip() {
	for d.p < len(d.b) && d.b[d.p]&0x80 != 0 {
		d.p++
	}
	if d.p >= len(d.b) {
		d.fail("truncated point")
		return
	}
	d.p++
}

func (d *decoder) point() (float32, float32) {
	for _, c := range [...]*int64{&d.x, &d.y} {
		v, n := binary.Varint(d.b[d.p:])
		if n <= 0 {
			d.fail("truncated point")
			return 0, 0
		}
		d.p += n
		*c += v
	}
	return float32(d.x) / 2, float32(d.y) / 2
}

// rasterise draws glyph g at size pixels per em with its origin dx pixels
// (0 <= dx < 1) right of a pixel's left edge, into an alpha mask just
// large enough for it. at is where the origin is in the mask: the mask's
// top left corner goes at (origin x - at.X, baseline - at.Y).
func rasterise(g *outline, size, dx float64, ras *vector.Rasterizer) (mask *image.Alpha, at image.Point) {
	g.shape()
	if len(g.ops) == 0 {
		return nil, image.Point{}
	}
	s := float32(size) / fontUpem(g)
	x0 := int(math.Floor(float64(g.minX*s) + dx))
	x1 := int(math.Ceil(float64(g.maxX*s) + dx))
	y0 := int(math.Floor(float64(-g.maxY * s)))
	y1 := int(math.Ceil(float64(-g.minY * s)))
	w, h := x1-x0, y1-y0
	if w <= 0 || h <= 0 {
		return nil, image.Point{}
	}
	ras.Reset(w, h)
	ox, oy := float32(dx)-float32(x0), -float32(y0)
	pt := func(i int) (float32, float32) { return ox + g.pts[2*i]*s, oy - g.pts[2*i+1]*s }
	k := 0
	for _, op := range g.ops {
		switch op {
		case 0:
			ras.ClosePath()
			ras.MoveTo(pt(k))
			k++
		case 1:
			ras.LineTo(pt(k))
			k++
		case 2:
			ax, ay := pt(k)
			bx, by := pt(k + 1)
			ras.QuadTo(ax, ay, bx, by)
			k += 2
		case 3:
			ax, ay := pt(k)
			bx, by := pt(k + 1)
			cx, cy := pt(k + 2)
			ras.CubeTo(ax, ay, bx, by, cx, cy)
			k += 3
		}
	}
	ras.ClosePath()
	mask = image.NewAlpha(image.Rect(0, 0, w, h))
	ras.Draw(mask, mask.Bounds(), image.Opaque, image.Point{})
	return mask, image.Point{-x0, -y0}
}

// fontUpem is the units per em of the faces (they share it).
func fontUpem(*outline) float32 { return fonts[regular].upem }
