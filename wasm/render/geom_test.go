package render

import (
	"math"
	"testing"
)

func TestClipSegment(t *testing.T) {
	tests := []struct {
		name           string
		x0, y0, x1, y1 float64
		ok             bool
		want           [4]float64
	}{
		{"inside", 10, 10, 90, 50, true, [4]float64{10, 10, 90, 50}},
		{"crosses the left edge", -100, 50, 50, 50, true, [4]float64{0, 50, 50, 50}},
		{"crosses both sides", -100, 20, 200, 20, true, [4]float64{0, 20, 100, 20}},
		{"diagonal through a corner region", -50, -50, 150, 150, true, [4]float64{0, 0, 100, 100}},
		{"wholly left", -50, 10, -10, 90, false, [4]float64{}},
		{"wholly below", 10, 150, 90, 200, false, [4]float64{}},
		{"misses past a corner", 90, -20, 130, 20, false, [4]float64{}},
		{"a point inside", 40, 40, 40, 40, true, [4]float64{40, 40, 40, 40}},
		{"far off screen, a mile long", -1e6, -1e6, 1e6, 1e6, true, [4]float64{0, 0, 100, 100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x0, y0, x1, y1, ok := ClipSegment(tt.x0, tt.y0, tt.x1, tt.y1, 0, 0, 100, 100)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			got := [4]float64{x0, y0, x1, y1}
			for i := range got {
				if tt.ok && math.Abs(got[i]-tt.want[i]) > 1e-9 {
					t.Fatalf("clipped to %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestLerp(t *testing.T) {
	tests := []struct {
		p      float64
		jump   bool
		wx, wy float64
	}{
		{0, false, 0, 10},
		{0.25, false, 25, 10},
		{1, false, 100, 10},
		{0.25, true, 0, 10},   // reduced motion: still at the source
		{0.5, true, 100, 10},  // then at the destination
		{0.75, true, 100, 10}, //
	}
	for _, tt := range tests {
		x, y := Lerp(0, 10, 100, 10, tt.p, tt.jump)
		if !near(x, tt.wx) || !near(y, tt.wy) {
			t.Errorf("Lerp(p=%v, jump=%v) = (%v,%v), want (%v,%v)", tt.p, tt.jump, x, y, tt.wx, tt.wy)
		}
	}
}

func TestBusY(t *testing.T) {
	if got := BusY(60, 3*260, 3); !near(got, 160) {
		t.Errorf("trunk at %v, want halfway between master (60) and drops (260): 160", got)
	}
	if got := BusY(60, 0, 0); !near(got, 60) {
		t.Errorf("a bus without drops: trunk at %v, want the master's height", got)
	}
}

func TestPlaceKeepsTheTooltipOnScreen(t *testing.T) {
	tests := []struct {
		name   string
		px, py float64
		wx, wy float64
	}{
		{"room below right", 100, 100, 112, 112},
		{"at the right edge", 780, 100, 780 - 12 - 200, 112},
		{"at the bottom", 100, 590, 112, 590 - 12 - 50},
		{"in the bottom right corner", 790, 595, 790 - 12 - 200, 595 - 12 - 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, y := Place(tt.px, tt.py, 200, 50, 12, 800, 600)
			if !near(x, tt.wx) || !near(y, tt.wy) {
				t.Errorf("Place = (%v,%v), want (%v,%v)", x, y, tt.wx, tt.wy)
			}
			if x < 0 || y < 0 || x+200 > 800 || y+50 > 600 {
				t.Errorf("tooltip at (%v,%v) leaves the 800×600 screen", x, y)
			}
		})
	}
}

func TestPinch(t *testing.T) {
	tests := []struct {
		name      string
		in        [8]float64
		f, mx, my float64
	}{
		{"spread to twice the distance", [8]float64{100, 100, 200, 100, 50, 100, 250, 100}, 2, 150, 100},
		{"pinch to half", [8]float64{0, 0, 0, 200, 0, 50, 0, 150}, 0.5, 0, 100},
		{"two touches at one point", [8]float64{10, 10, 10, 10, 10, 10, 40, 10}, 1, 25, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.in
			f, mx, my := Pinch(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7])
			if !near(f, tt.f) || !near(mx, tt.mx) || !near(my, tt.my) {
				t.Errorf("Pinch = %v at (%v,%v), want %v at (%v,%v)", f, mx, my, tt.f, tt.mx, tt.my)
			}
		})
	}
}

func TestShowLabels(t *testing.T) {
	tests := []struct {
		name     string
		radius   float64
		dpr      float64
		onScreen int
		want     bool
	}{
		{"a small scene", 18, 1, 12, true},
		{"the same at DPR 2", 36, 2, 12, true},
		{"icons too small to label", 5, 1, 12, false},
		{"small icons in a small scene", 7, 1, 12, true},
		{"small icons, many devices", 7, 1, 50, false},
		{"icons too small at DPR 2 even if 10 CSS pixels", 10, 2, 12, false},
		{"a crowd seen from afar", 12, 1, 1000, false},
		{"zoomed into a crowd", 26, 1, 150, true},
		{"zoomed in but still hundreds", 30, 1, 2000, false},
	}
	for _, tt := range tests {
		if got := ShowLabels(tt.radius, tt.dpr, tt.onScreen); got != tt.want {
			t.Errorf("%s: ShowLabels(%v, %v, %d) = %v, want %v", tt.name, tt.radius, tt.dpr, tt.onScreen, got, tt.want)
		}
	}
}

func TestIconRadius(t *testing.T) {
	tests := []struct {
		name       string
		scale, dpr float64
		onScreen   int
		want       float64
	}{
		{"life size", 1, 1, 10, 18},
		{"a crowd far away shrinks to dots", 0.01, 1, 5000, 4},
		{"the same at DPR 2", 0.01, 2, 5000, 8},
		{"a hundred devices far away", 0.01, 1, 100, 7},
		{"a city of a dozen sensors stays legible", 0.01, 1, 12, 10},
		{"a dozen at DPR 2", 0.01, 2, 12, 20},
		{"zoomed right in", 10, 1, 3, 30},
		{"zoomed right in at DPR 2", 10, 2, 3, 60},
	}
	for _, tt := range tests {
		if got := IconRadius(tt.scale, tt.dpr, tt.onScreen); !near(got, tt.want) {
			t.Errorf("%s: IconRadius(%v, %v, %d) = %v, want %v", tt.name, tt.scale, tt.dpr, tt.onScreen, got, tt.want)
		}
	}
}

func TestBoxOverlaps(t *testing.T) {
	a := Box{0, 0, 10, 10}
	tests := []struct {
		name string
		b    Box
		want bool
	}{
		{"the same", a, true},
		{"inside", Box{2, 2, 4, 4}, true},
		{"across a corner", Box{8, 8, 20, 20}, true},
		{"touching edges only", Box{10, 0, 20, 10}, false},
		{"below", Box{0, 11, 10, 20}, false},
		{"left", Box{-20, 0, -1, 10}, false},
	}
	for _, tt := range tests {
		if got := a.Overlaps(tt.b); got != tt.want {
			t.Errorf("%s: %v overlaps %v = %v, want %v", tt.name, a, tt.b, got, tt.want)
		}
		if got := tt.b.Overlaps(a); got != tt.want {
			t.Errorf("%s (swapped): %v", tt.name, got)
		}
	}
}

func TestSegmentDistance(t *testing.T) {
	tests := []struct {
		px, py, want float64
	}{
		{50, 10, 10},       // above the middle
		{-30, 40, 50},      // beyond the start: distance to the end point
		{100, 0, 0},        // on the end
		{130, -40, 50},     // beyond the end
		{25, -7.5, 7.5},    // below
		{200, 0, 100},      // far along the line
		{0, 0, 0},          // the start
		{50, 0.001, 0.001}, //
	}
	for _, tt := range tests {
		if got := SegmentDistance(tt.px, tt.py, 0, 0, 100, 0); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("SegmentDistance(%v,%v) = %v, want %v", tt.px, tt.py, got, tt.want)
		}
	}
	if got := SegmentDistance(3, 4, 0, 0, 0, 0); !near(got, 5) {
		t.Errorf("distance to a point segment = %v, want 5", got)
	}
}

func TestAlongBus(t *testing.T) {
	// From a master at (0,0) down to a trunk at y=100, along it to x=300,
	// down to a slave at (300,150): 100 + 300 + 50 = 450 long.
	tests := []struct {
		p      float64
		wx, wy float64
	}{
		{0, 0, 0},
		{50.0 / 450, 0, 50},
		{100.0 / 450, 0, 100},
		{250.0 / 450, 150, 100},
		{400.0 / 450, 300, 100},
		{425.0 / 450, 300, 125},
		{1, 300, 150},
		{1.5, 300, 150}, // clamped
	}
	for _, tt := range tests {
		x, y := AlongBus(0, 0, 300, 150, 100, tt.p)
		if math.Abs(x-tt.wx) > 1e-9 || math.Abs(y-tt.wy) > 1e-9 {
			t.Errorf("AlongBus(p=%.3f) = (%v,%v), want (%v,%v)", tt.p, x, y, tt.wx, tt.wy)
		}
	}
	if x, y := AlongBus(5, 5, 5, 5, 5, 0.5); x != 5 || y != 5 {
		t.Errorf("a bus of no length: (%v,%v), want (5,5)", x, y)
	}
}

func TestFitMargin(t *testing.T) {
	tests := []struct{ w, h, dpr, want float64 }{
		{1280, 800, 1, 80},
		{1920, 1080, 1, 90},
		{1920, 1080, 2, 108},
		{3840, 2160, 2, 180},
		{400, 700, 2, 80},
		{920, 800, 1, 80},
		{1170, 1600, 3, 150}, // a phone, 390 CSS pixels wide
		{300, 300, 1, 50},
	}
	for _, tt := range tests {
		if got := FitMargin(tt.w, tt.h, tt.dpr); !near(got, tt.want) {
			t.Errorf("FitMargin(%v, %v, %v) = %v, want %v", tt.w, tt.h, tt.dpr, got, tt.want)
		}
	}
}

func TestWheelZoom(t *testing.T) {
	tests := []struct {
		name string
		wy   float64
		want float64
	}{
		{"one notch away from the person zooms in", 100, 1.25},
		{"one notch back zooms out", -100, 0.8},
		{"a touchpad step", 4, math.Pow(1.25, 0.04)},
		{"a flung wheel stops at three notches", 5000, 1.25 * 1.25 * 1.25},
		{"nothing", 0, 1},
	}
	for _, tt := range tests {
		if got := WheelZoom(tt.wy); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%s: WheelZoom(%v) = %v, want %v", tt.name, tt.wy, got, tt.want)
		}
	}
}

func TestCloudAt(t *testing.T) {
	tests := []struct {
		name                   string
		hx, hy, cx, cy, spread float64
		wantX, wantY           float64
		above                  bool
	}{
		{"one member, near", 0, 0, 40, 0, 40, 20, 0, false},
		{"one member, far", 0, 0, 400, 300, 500, 200, 150, false},
		{"members all around", 100, 100, 102, 98, 200, 100, 60, true},
		{"a crowd beside the hub", 0, 0, 300, 0, 420, 150, 0, false},
	}
	for _, tt := range tests {
		x, y, above := CloudAt(tt.hx, tt.hy, tt.cx, tt.cy, tt.spread, 40)
		if !near(x, tt.wantX) || !near(y, tt.wantY) || above != tt.above {
			t.Errorf("%s: CloudAt = (%v,%v,%v), want (%v,%v,%v)", tt.name, x, y, above, tt.wantX, tt.wantY, tt.above)
		}
	}
}

// Boxes finds an overlap with any box placed, near or far, small or
// spanning several bins, and none after a reset.
func TestBoxesOverlap(t *testing.T) {
	var s Boxes
	s.Add(Box{0, 0, 10, 10})
	s.Add(Box{-500, 300, -20, 330}) // across several bins, left of the origin
	tests := []struct {
		name string
		b    Box
		want bool
	}{
		{"on the first", Box{5, 5, 15, 15}, true},
		{"touching its edge only", Box{10, 0, 20, 10}, false},
		{"far away", Box{1000, 1000, 1010, 1010}, false},
		{"in the middle of the long one", Box{-260, 310, -250, 320}, true},
		{"just below the long one", Box{-260, 331, -250, 340}, false},
	}
	for _, tt := range tests {
		if got := s.Overlaps(tt.b); got != tt.want {
			t.Errorf("%s: Overlaps(%v) = %v, want %v", tt.name, tt.b, got, tt.want)
		}
	}
	if s.Len() != 2 {
		t.Errorf("Len = %d, want 2", s.Len())
	}
	s.Reset()
	if s.Overlaps(Box{5, 5, 15, 15}) || s.Len() != 0 {
		t.Error("a box overlaps after Reset")
	}
}
