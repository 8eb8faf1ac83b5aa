//go:build !(js && wasm)

package render

import (
	"bytes"
	"image"
	"image/draw"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/go-text/typesetting/di"
	gotext "github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/language"
	"github.com/go-text/typesetting/shaping"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"

	"github.com/thingyard/thingyard/scenes"
)

// pageText is every text the page writes on the canvas that this
// repository holds: the built-in scenes (names, titles, sides), and the
// strings of the renderer and the world (kinds, protocols, units).
func pageText(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, n := range scenes.Names() {
		src, err := scenes.Source(n)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(src)
	}
	for _, glob := range []string{"*.go", "../../sim/*.go"} {
		files, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(src)
		}
	}
	return b.String()
}

// Every character the page writes has a glyph of its own in both faces:
// none is drawn as the replacement.
func TestGlyphsCoverThePage(t *testing.T) {
	missing := map[rune]bool{}
	for _, r := range pageText(t) {
		if unicode.IsControl(r) || missing[r] {
			continue
		}
		for id, f := range fonts {
			if !f.has(r) {
				missing[r] = true
				t.Errorf("face %d has no glyph for %U %q, which the page writes: add it to glyphgen's Runes", id, r, r)
			}
		}
	}
}

// A label is as wide as go-text's shaper (what the page used to draw
// with) makes it, so labels are placed where they always were.
func TestWidthsAreTheShapers(t *testing.T) {
	var lines []string
	for _, l := range strings.Split(pageText(t), "\n") {
		if l = strings.TrimSpace(l); l != "" && len(lines) < 3000 {
			lines = append(lines, l)
		}
	}
	lines = append(lines, "Ŧhe œuvre of Łódź → 25 °C ± 0.5 · 3 µs… “AV” Wa To")
	for id, ttf := range [][]byte{goregular.TTF, gobold.TTF} {
		face, err := gotext.ParseTTF(bytes.NewReader(ttf))
		if err != nil {
			t.Fatal(err)
		}
		var sh shaping.HarfbuzzShaper
		for _, size := range []float64{11, 13, 15, 26, 39} {
			for _, l := range lines {
				rs := []rune(l)
				out := sh.Shape(shaping.Input{Text: rs, RunEnd: len(rs), Direction: di.DirectionLTR, Face: face,
					Size: fixed.Int26_6(size * 64), Script: language.Latin, Language: language.NewLanguage("en")})
				want := float64(out.Advance) / 64
				got := fonts[id].advance(l, size)
				// The shaper rounds each advance to 1/64 of a pixel.
				if math.Abs(got-want) > float64(len(rs))/64+1e-9 {
					t.Fatalf("face %d at %vpx: %q is %.3f px wide, go-text's shaper makes it %.3f", id, size, l, got, want)
				}
			}
		}
	}
}

// A glyph rasterised from glyphs.bin is the glyph the page drew before:
// at the sizes and sub-pixel positions the page uses, every pixel matches
// the TrueType file's outline as go-text reads it, scaled and rasterised
// as ebiten's text/v2 did.
func TestGlyphsAreTheFonts(t *testing.T) {
	var ras vector.Rasterizer
	const W, H, ox, oy = 80, 80, 20, 60 // a canvas and the origin in it
	for id, ttf := range [][]byte{goregular.TTF, gobold.TTF} {
		f, err := gotext.ParseTTF(bytes.NewReader(ttf))
		if err != nil {
			t.Fatal(err)
		}
		for _, size := range []float64{11, 13, 26, 39} {
			for _, c := range "AgQ&é→µŁ%" {
				for _, dx := range []float64{0, 0.25, 0.5} {
					gid, _ := f.NominalGlyph(c)
					want := image.NewAlpha(image.Rect(0, 0, W, H))
					ref := vector.NewRasterizer(W, H)
					s := float32(size) / float32(f.Upem())
					for _, seg := range f.GlyphData(gid).(gotext.GlyphOutline).Segments {
						p := seg.ArgsSlice()
						q := make([]float32, 0, 6)
						for _, a := range p {
							q = append(q, a.X*s+ox+float32(dx), -a.Y*s+oy)
						}
						switch len(p) {
						case 1:
							if seg.Op == 0 {
								ref.MoveTo(q[0], q[1])
							} else {
								ref.LineTo(q[0], q[1])
							}
						case 2:
							ref.QuadTo(q[0], q[1], q[2], q[3])
						case 3:
							ref.CubeTo(q[0], q[1], q[2], q[3], q[4], q[5])
						}
					}
					ref.ClosePath()
					ref.Draw(want, want.Bounds(), image.Opaque, image.Point{})

					mask, at := rasterise(fonts[id].glyph(c), size, dx, &ras)
					if mask == nil {
						t.Fatalf("face %d %q at %vpx: no mask", id, c, size)
					}
					got := image.NewAlpha(want.Rect)
					draw.Draw(got, mask.Rect.Add(image.Pt(ox, oy).Sub(at)), mask, image.Point{}, draw.Src)
					worst, ink := 0, 0
					for i := range want.Pix {
						worst = max(worst, abs(int(got.Pix[i])-int(want.Pix[i])))
						ink += int(want.Pix[i])
					}
					if ink == 0 || worst > 2 {
						t.Errorf("face %d %q at %vpx+%v: a pixel differs by %d of 255 from the font's outline (ink %d)", id, c, size, dx, worst, ink)
					}
				}
			}
		}
	}
}

func abs(x int) int { return max(x, -x) }

// A character with no glyph is drawn as a visible box, as wide as the
// replacement glyph, never as nothing.
func TestMissingGlyphIsVisible(t *testing.T) {
	for id, f := range fonts {
		if f.has('漢') {
			t.Fatalf("face %d has a glyph for 漢; pick another test character", id)
		}
		g := f.glyph('漢')
		if g != &f.glyphs[0] || g.advance == 0 {
			t.Fatalf("face %d: 漢 is drawn with %U of advance %v, want the replacement", id, g.r, g.advance)
		}
		mask, _ := rasterise(g, 13, 0, &vector.Rasterizer{})
		if mask == nil || ink(mask) < 10*255 {
			t.Errorf("face %d: the replacement draws nothing visible", id)
		}
		if w, a := f.advance("a漢b", 13), f.advance("ab", 13); w <= a {
			t.Errorf("face %d: a missing character takes no room (%v vs %v)", id, w, a)
		}
	}
}

func ink(m *image.Alpha) int {
	n := 0
	for _, a := range m.Pix {
		n += int(a)
	}
	return n
}

// A damaged glyph file is refused with what is wrong and where.
func TestDecodeFontsRefusesDamage(t *testing.T) {
	for _, tt := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "TYG2"},
		{"another file", []byte("\x89PNG...."), "TYG2"},
		{"cut short", glyphsBin[:len(glyphsBin)/2], "truncated"},
		{"trailing bytes", append(bytes.Clone(glyphsBin), 0), "left over"},
	} {
		if _, err := decodeFonts(tt.b); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one saying %q", tt.name, err, tt.want)
		}
	}
}
