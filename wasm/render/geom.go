package render

import "math"

// This file holds the renderer's geometry: pure functions of numbers,
// tested natively, with no Ebitengine in sight.

// ClipSegment clips the segment x0,y0–x1,y1 to the box minX..maxX,
// minY..maxY (Liang–Barsky) and reports whether any of it is left. The
// renderer draws only what is on screen of a link, so a star of thousands
// of devices costs what it shows.
func ClipSegment(x0, y0, x1, y1, minX, minY, maxX, maxY float64) (cx0, cy0, cx1, cy1 float64, ok bool) {
	t0, t1 := 0.0, 1.0
	dx, dy := x1-x0, y1-y0
	for _, e := range [4][2]float64{
		{-dx, x0 - minX},
		{dx, maxX - x0},
		{-dy, y0 - minY},
		{dy, maxY - y0},
	} {
		p, q := e[0], e[1]
		if p == 0 {
			if q < 0 {
				return 0, 0, 0, 0, false
			}
			continue
		}
		r := q / p
		if p < 0 {
			if r > t1 {
				return 0, 0, 0, 0, false
			}
			t0 = math.Max(t0, r)
		} else {
			if r < t0 {
				return 0, 0, 0, 0, false
			}
			t1 = math.Min(t1, r)
		}
	}
	return x0 + t0*dx, y0 + t0*dy, x0 + t1*dx, y0 + t1*dy, true
}

// Lerp is the point a fraction p of the way from x0,y0 to x1,y1. With
// jump, the point snaps to the nearer end: reduced motion shows a message
// at its source, then at its destination, never gliding.
func Lerp(x0, y0, x1, y1, p float64, jump bool) (float64, float64) {
	if jump {
		p = math.Round(p)
	}
	return x0 + (x1-x0)*p, y0 + (y1-y0)*p
}

// BusY is the height of a bus trunk between its master at hy and its drops
// whose heights sum to sumY over n drops: halfway between the master and
// the drops' mean, so every tap is visible.
func BusY(hy, sumY float64, n int) float64 {
	if n <= 0 {
		return hy
	}
	return (hy + sumY/float64(n)) / 2
}

// Place puts a box of size w×h near the point px,py (below and right of a
// pointer, by gap) and keeps it inside a screen of size sw×sh: a tooltip
// never leaves the canvas.
func Place(px, py, w, h, gap, sw, sh float64) (x, y float64) {
	x, y = px+gap, py+gap
	if x+w > sw {
		x = px - gap - w
	}
	if y+h > sh {
		y = py - gap - h
	}
	return math.Max(0, x), math.Max(0, y)
}

// Pinch is the zoom factor and the screen point to zoom at when two
// touches move from a0,b0 apart to a1,b1 apart: the distance ratio, at the
// new midpoint. A degenerate start (both touches at one point) zooms by 1.
func Pinch(ax0, ay0, bx0, by0, ax1, ay1, bx1, by1 float64) (f, mx, my float64) {
	d0 := math.Hypot(bx0-ax0, by0-ay0)
	d1 := math.Hypot(bx1-ax1, by1-ay1)
	mx, my = (ax1+bx1)/2, (ay1+by1)/2
	if d0 < 1 || d1 < 1 {
		return 1, mx, my
	}
	return d1 / d0, mx, my
}

// ShowLabels decides whether device labels are drawn: only when icons are
// big enough to carry one and not so many are on screen that the labels
// would pile into an unreadable heap.
func ShowLabels(iconRadius, dpr float64, onScreen int) bool {
	switch {
	case iconRadius < 6*dpr:
		return false
	case onScreen <= 30:
		return true
	case iconRadius < 9*dpr:
		return false
	case onScreen <= 80:
		return true
	default:
		return iconRadius >= 22*dpr && onScreen <= 400
	}
}

// CloudAt is where a star's network cloud goes, for a hub at hx, hy whose
// members' centre is cx, cy and whose mean distance from the hub is
// spread: halfway to the members, or, when they stand all around the hub
// (their centre near it for how far they spread), lift above it, which it
// reports.
func CloudAt(hx, hy, cx, cy, spread, lift float64) (x, y float64, above bool) {
	if math.Hypot(cx-hx, cy-hy) < 0.5*spread {
		return hx, hy - lift, true
	}
	return (hx + cx) / 2, (hy + cy) / 2, false
}

// FitMargin is the margin around the world when it is fitted to a screen
// of w×h pixels: generous on a big screen, modest on a phone, and on any
// screen wide enough for the sides' tinted areas, which reach about 40 CSS
// pixels beyond their outermost devices, unless that would leave the
// world less than three fifths of the screen.
func FitMargin(w, h, dpr float64) float64 {
	short := math.Min(w, h)
	return math.Min(math.Max(0.1*short, 50*dpr), math.Min(90*dpr, 0.2*short))
}

// WheelZoom is the zoom factor for a wheel movement of wy as a browser
// reports it through Ebitengine: about 100 a notch, positive when the
// wheel turns away from the person (zoom in), a few a step on a touchpad.
// A notch zooms like one +/− press; a touchpad's small steps zoom smoothly
// instead of a notch each.
func WheelZoom(wy float64) float64 {
	return math.Pow(keyZoomStep, clamp(wy, -300, 300)/100)
}

// keyZoomStep is the zoom of one +/− press or one wheel notch.
const keyZoomStep = 1.25

// IconRadius is a device's radius on screen for a camera scale and the
// number of devices on screen: it grows with zoom but stays modest when
// zoomed in, and when zoomed far out it stays big enough to read in a
// small scene (a city of a dozen sensors) while a crowd of thousands
// shrinks to dots.
func IconRadius(scale, dpr float64, onScreen int) float64 {
	least := 4.0
	switch {
	case onScreen <= 40:
		least = 10
	case onScreen <= 150:
		least = 7
	}
	return clamp(18*scale, least*dpr, 30*dpr)
}

// Box is a rectangle on screen: where a label goes.
type Box struct{ X0, Y0, X1, Y1 float64 }

// Overlaps reports whether two boxes share any area.
func (b Box) Overlaps(o Box) bool {
	return b.X0 < o.X1 && o.X0 < b.X1 && b.Y0 < o.Y1 && o.Y0 < b.Y1
}

// SegmentDistance is the distance from px,py to the segment x0,y0–x1,y1:
// how near a pointer is to a link.
func SegmentDistance(px, py, x0, y0, x1, y1 float64) float64 {
	dx, dy := x1-x0, y1-y0
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = clamp(((px-x0)*dx+(py-y0)*dy)/l2, 0, 1)
	}
	return math.Hypot(px-(x0+t*dx), py-(y0+t*dy))
}

// AlongBus is the point a fraction p along the way a frame takes on a bus:
// down the sender's tap to the trunk at height ty, along the trunk, and up
// the receiver's tap. A message on a bus is seen on the bus, not cutting
// across it.
func AlongBus(x0, y0, x1, y1, ty, p float64) (float64, float64) {
	a, b, c := math.Abs(ty-y0), math.Abs(x1-x0), math.Abs(y1-ty)
	total := a + b + c
	if total == 0 {
		return x0, y0
	}
	d := clamp(p, 0, 1) * total
	switch {
	case d <= a:
		return x0, y0 + (ty-y0)*d/math.Max(a, 1e-9)
	case d <= a+b:
		return x0 + (x1-x0)*(d-a)/math.Max(b, 1e-9), ty
	default:
		return x1, ty + (y1-ty)*(d-a-b)/math.Max(c, 1e-9)
	}
}

// Boxes are the boxes placed on screen so far (icons, names, clouds),
// binned boxBin pixels square so that whether a new box overlaps any is a
// few lookups, however many devices are on screen.
type Boxes struct {
	bins map[[2]int32][]Box
	n    int
}

const boxBin = 64

func boxBins(b Box) (x0, y0, x1, y1 int32) {
	f := func(v float64) int32 { return int32(math.Floor(v / boxBin)) }
	return f(b.X0), f(b.Y0), f(b.X1), f(b.Y1)
}

// Reset forgets every box, keeping the memory.
func (s *Boxes) Reset() {
	for k, v := range s.bins {
		s.bins[k] = v[:0]
	}
	s.n = 0
}

// Len is how many boxes were added since the last Reset.
func (s *Boxes) Len() int { return s.n }

// Add places b.
func (s *Boxes) Add(b Box) {
	if s.bins == nil {
		s.bins = map[[2]int32][]Box{}
	}
	x0, y0, x1, y1 := boxBins(b)
	if x1-x0 > 64 || y1-y0 > 64 {
		return // larger than any screen: nothing is placed by it
	}
	for x := x0; x <= x1; x++ {
		for y := y0; y <= y1; y++ {
			k := [2]int32{x, y}
			s.bins[k] = append(s.bins[k], b)
		}
	}
	s.n++
}

// Overlaps reports whether b overlaps any box placed.
func (s *Boxes) Overlaps(b Box) bool {
	x0, y0, x1, y1 := boxBins(b)
	if x1-x0 > 64 || y1-y0 > 64 {
		return s.n > 0
	}
	for x := x0; x <= x1; x++ {
		for y := y0; y <= y1; y++ {
			for _, o := range s.bins[[2]int32{x, y}] {
				if b.Overlaps(o) {
					return true
				}
			}
		}
	}
	return false
}
