package e2e

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"testing"
)

// zoomAbout is the zoom factor that took the points at0 to at1, checked to
// be one zoom about p: every point's distance from p scales alike.
func zoomAbout(t *testing.T, at0, at1 map[string]point, p point) float64 {
	t.Helper()
	var far string
	for id, a := range at0 {
		if far == "" || math.Hypot(a.X-p.X, a.Y-p.Y) > math.Hypot(at0[far].X-p.X, at0[far].Y-p.Y) {
			far = id
		}
	}
	f := math.Hypot(at1[far].X-p.X, at1[far].Y-p.Y) / math.Hypot(at0[far].X-p.X, at0[far].Y-p.Y)
	for id, a := range at0 {
		want := point{p.X + (a.X-p.X)*f, p.Y + (a.Y-p.Y)*f}
		if math.Hypot(at1[id].X-want.X, at1[id].Y-want.Y) > 1.5 {
			t.Errorf("%s went from %v to %v, want %v for a zoom by %.3f about %v", id, a, at1[id], want, f, p)
		}
	}
	return f
}

// iconsAt checks that the zoom moved the pictures of the devices: each
// device on the canvas is drawn where it now is, and the places that
// devices moved well away from look different now.
func iconsAt(t *testing.T, before, after image.Image, at0, at1 map[string]point, box image.Rectangle) {
	t.Helper()
	inner := box.Inset(30)
	changed, movedAway, shown := 0, 0, 0
	for id, p := range at1 {
		pt := image.Pt(int(p.X), int(p.Y))
		if pt.In(inner) {
			shown++
			if d := drawnNear(after, pt, 6); d < 0.25 {
				t.Errorf("%s: nothing drawn at %v after the zoom (%.0f%% of the pixels near it)", id, p, d*100)
			}
		}
		old := image.Pt(int(at0[id].X), int(at0[id].Y))
		if !old.In(inner) || math.Hypot(p.X-at0[id].X, p.Y-at0[id].Y) < 30 {
			continue
		}
		movedAway++
		if patchDiff(before, after, old, 6) > 0.2 {
			changed++
		}
	}
	if shown < 3 || movedAway < 3 {
		t.Errorf("%d devices shown on the canvas after the zoom, %d moved away from where they were: too few to tell", shown, movedAway)
	}
	if changed < movedAway*4/5 {
		t.Errorf("only %d of the %d places devices moved away from look different after the zoom", changed, movedAway)
	}
}

// drawnNear is the share of pixels within r of p that are not background.
func drawnNear(img image.Image, p image.Point, r int) float64 {
	bg := img.At(2, 40)
	n, all := 0, 0
	for y := -r; y <= r; y++ {
		for x := -r; x <= r; x++ {
			all++
			if far(img.At(p.X+x, p.Y+y), bg) {
				n++
			}
		}
	}
	return float64(n) / float64(all)
}

// patchDiff is the share of pixels within r of p that differ between a and b.
func patchDiff(a, b image.Image, p image.Point, r int) float64 {
	n, all := 0, 0
	for y := -r; y <= r; y++ {
		for x := -r; x <= r; x++ {
			all++
			if far(a.At(p.X+x, p.Y+y), b.At(p.X+x, p.Y+y)) {
				n++
			}
		}
	}
	return float64(n) / float64(all)
}

// shifted compares after with before moved by dx, dy over r: the share of
// pixels that match the shifted picture, and the share that differ from
// the unshifted one.
func shifted(before, after image.Image, r image.Rectangle, dx, dy int) (same, moved float64) {
	var n, s, m int
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			src := image.Pt(x-dx, y-dy)
			if !src.In(r) {
				continue
			}
			n++
			if !far(after.At(x, y), before.At(src.X, src.Y)) {
				s++
			}
			if far(after.At(x, y), before.At(x, y)) {
				m++
			}
		}
	}
	if n == 0 {
		return 0, 0
	}
	return float64(s) / float64(n), float64(m) / float64(n)
}

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
