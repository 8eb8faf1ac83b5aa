package render

import (
	"image/color"
	"testing"
)

// Text drawn on the canvas meets WCAG AA (4.5:1) in both themes, on the
// plain ground and on a side's tinted box (its colour at 6% over the
// ground, as drawSides fills it).
func TestPaletteContrast(t *testing.T) {
	for _, th := range []struct {
		name string
		p    Palette
	}{{"dark", Dark}, {"light", Light}} {
		p := th.p
		texts := map[string]color.RGBA{"text": p.Text, "muted": p.Muted, "off": p.Off, "bad": p.Bad,
			"m2m": p.M2M, "iot": p.IoT, "other": p.Other}
		grounds := map[string]color.RGBA{"background": p.Background, "m2m box": over(p.M2M, p.Background, 0.06),
			"iot box": over(p.IoT, p.Background, 0.06), "cloud": p.Panel}
		for tn, tc := range texts {
			for gn, gc := range grounds {
				if c := Contrast(tc, gc); c < 4.5 {
					t.Errorf("%s theme: %s text on %s is %.2f:1, want at least 4.5:1", th.name, tn, gn, c)
				}
			}
		}
		// The focus ring is a graphic: 3:1 against the ground (WCAG 1.4.11).
		if c := Contrast(p.Ring, p.Background); c < 3 {
			t.Errorf("%s theme: the focus ring is %.2f:1 against the ground, want 3:1", th.name, c)
		}
		for i, c := range p.Protocols {
			if c.A != 0 && Contrast(c, p.Background) < 3 {
				t.Errorf("%s theme: protocol %d's dots are %.2f:1 against the ground, want 3:1", th.name, i, Contrast(c, p.Background))
			}
		}
	}
}

// over is c at alpha a over ground g.
func over(c, g color.RGBA, a float64) color.RGBA {
	mix := func(x, y uint8) uint8 { return uint8(float64(x)*a + float64(y)*(1-a) + 0.5) }
	return color.RGBA{mix(c.R, g.R), mix(c.G, g.G), mix(c.B, g.B), 0xff}
}

func TestContrast(t *testing.T) {
	black, white := color.RGBA{0, 0, 0, 255}, color.RGBA{255, 255, 255, 255}
	if c := Contrast(black, white); c < 20.99 || c > 21.01 {
		t.Errorf("black on white = %.3f, want 21", c)
	}
	if c := Contrast(white, white); c != 1 {
		t.Errorf("white on white = %.3f, want 1", c)
	}
	// #767676 on white is the well-known AA threshold, 4.54:1.
	if c := Contrast(color.RGBA{0x76, 0x76, 0x76, 255}, white); c < 4.53 || c > 4.55 {
		t.Errorf("#767676 on white = %.3f, want 4.54", c)
	}
}
