// Command glyphgen writes wasm/render/glyphs.bin: the outlines, advances
// and line metrics of the glyphs the page writes labels with, taken from
// the Go fonts (regular and bold) the page has always used. The page
// rasterises a glyph from its outline at the size it draws it, the first
// time it draws it, into its sprite atlas: so it links no font parser and
// no shaper, and text is as crisp at a device pixel ratio of 3 as at 1.
//
// Run from the module's root: go run ./wasm/render/internal/glyphgen
// (make glyphs). A test fails when the committed file is not what this
// makes.
//
// The file, all integers unsigned LEB128 varints unless said otherwise:
//
//	"TYG2"
//	units per em
//	faces: 2 (regular, bold), each:
//	  ascent, descent                  font units, both positive
//	  glyph count
//	  glyphs, by rising rune; the first is the replacement, rune 0:
//	    rune - previous rune
//	    advance                        font units
//	    segment count
//	    segments: op byte (0 move, 1 line, 2 quadratic, 3 cubic), then
//	      1, 1, 2 or 3 points, each x and y as signed (zigzag) deltas
//	      from the glyph's previous point (its first from 0, 0), in half
//	      font units, y up: a glyph reads without the ones before it, so
//	      the page reads an outline only when it first draws the glyph
//
// The Go fonts carry no kerning (no kern table, no GPOS kerning): a
// label's width is the sum of its glyphs' advances, as go-text's shaper
// measures it too.
package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/go-text/typesetting/font"
	ot "github.com/go-text/typesetting/font/opentype"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/thingyard/thingyard/internal/gencmd"
)

// Runes is every character the page has a glyph for: ASCII, Latin-1,
// Latin Extended-A, and the punctuation, arrows and signs its labels,
// units and captions use. Anything else is drawn as the replacement.
func Runes() []rune {
	var rs []rune
	for r := rune(0x20); r < 0x7f; r++ {
		rs = append(rs, r)
	}
	for r := rune(0xa0); r < 0x180; r++ {
		rs = append(rs, r)
	}
	rs = append(rs, []rune("–—‘’‚“”„†•…‰‹›€™←↑→↓↔−√∞≈≠≤≥πΩ")...)
	slices.Sort(rs)
	return slices.Compact(rs)
}

// Fonts are the faces in the order of the file: regular, bold.
var Fonts = [][]byte{goregular.TTF, gobold.TTF}

func main() { gencmd.Main("wasm/render/glyphs.bin", Generate) }

// Generate makes the file's bytes.
func Generate() ([]byte, error) {
	var w writer
	w.b = append(w.b, "TYG2"...)
	var upem uint16
	for i, ttf := range Fonts {
		f, err := font.ParseTTF(bytes.NewReader(ttf))
		if err != nil {
			return nil, fmt.Errorf("font %d: %w", i, err)
		}
		if i == 0 {
			upem = f.Upem()
			w.uint(uint64(upem))
		} else if f.Upem() != upem {
			return nil, fmt.Errorf("font %d: %d units per em, the first has %d", i, f.Upem(), upem)
		}
		ext, ok := f.FontHExtents()
		if !ok {
			return nil, fmt.Errorf("font %d: no horizontal extents", i)
		}
		w.uint(uint64(ext.Ascender))
		w.uint(uint64(-ext.Descender))
		rs := Runes()
		w.uint(uint64(len(rs) + 1))
		prev := rune(0)
		glyph := func(r rune, gid font.GID) error {
			w.uint(uint64(r - prev))
			prev = r
			w.uint(uint64(math.Round(float64(f.HorizontalAdvance(gid)))))
			o, ok := f.GlyphData(gid).(font.GlyphOutline)
			if !ok {
				return fmt.Errorf("font %d: glyph %d of %U has no outline", i, gid, r)
			}
			segs := o.Segments
			if r == 0 && len(segs) == 0 {
				segs = box(f.HorizontalAdvance(gid), ext.Ascender)
			}
			return w.segments(segs)
		}
		if err := glyph(0, 0); err != nil {
			return nil, err
		}
		for _, r := range rs {
			gid, ok := f.NominalGlyph(r)
			if !ok {
				return nil, fmt.Errorf("font %d has no glyph for %U %q", i, r, r)
			}
			if err := glyph(r, gid); err != nil {
				return nil, err
			}
		}
	}
	return w.b, nil
}

// box is a hollow rectangle, the replacement glyph when the font's own
// has no outline.
func box(adv, asc float32) []ot.Segment {
	x0, x1, y0, y1 := adv*0.1, adv*0.9, float32(0), asc*0.7
	t := adv * 0.08
	rect := func(x0, y0, x1, y1 float32, cw bool) []ot.Segment {
		p := []ot.SegmentPoint{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
		if cw {
			p[1], p[3] = p[3], p[1]
		}
		s := []ot.Segment{{Op: ot.SegmentOpMoveTo, Args: [3]ot.SegmentPoint{p[0]}}}
		for _, q := range p[1:] {
			s = append(s, ot.Segment{Op: ot.SegmentOpLineTo, Args: [3]ot.SegmentPoint{q}})
		}
		return s
	}
	return append(rect(x0, y0, x1, y1, false), rect(x0+t, y0+t, x1-t, y1-t, true)...)
}

type writer struct {
	b      []byte
	px, py int64
}

func (w *writer) uint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }

func (w *writer) segments(segs []ot.Segment) error {
	w.uint(uint64(len(segs)))
	w.px, w.py = 0, 0
	for _, s := range segs {
		w.b = append(w.b, byte(s.Op))
		for _, p := range s.ArgsSlice() {
			x, y := math.Round(float64(p.X)*2), math.Round(float64(p.Y)*2)
			if x != float64(p.X)*2 || y != float64(p.Y)*2 {
				return fmt.Errorf("point (%v, %v) is not on the half-unit grid", p.X, p.Y)
			}
			w.b = binary.AppendVarint(w.b, int64(x)-w.px)
			w.b = binary.AppendVarint(w.b, int64(y)-w.py)
			w.px, w.py = int64(x), int64(y)
		}
	}
	return nil
}
