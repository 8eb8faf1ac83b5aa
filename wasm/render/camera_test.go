package render

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestCameraRoundTrip(t *testing.T) {
	c := Camera{CX: 100, CY: -50, Scale: 1.5, W: 800, H: 600}
	for _, p := range [][2]float64{{0, 0}, {100, -50}, {-300, 999}} {
		sx, sy := c.ToScreen(p[0], p[1])
		x, y := c.ToWorld(sx, sy)
		if !near(x, p[0]) || !near(y, p[1]) {
			t.Errorf("%v -> (%v,%v) -> (%v,%v)", p, sx, sy, x, y)
		}
	}
	if sx, sy := c.ToScreen(100, -50); !near(sx, 400) || !near(sy, 300) {
		t.Errorf("centre maps to (%v,%v), want the screen centre", sx, sy)
	}
}

func TestZoomKeepsPointUnderCursor(t *testing.T) {
	c := Camera{CX: 0, CY: 0, Scale: 1, W: 800, H: 600}
	wx, wy := c.ToWorld(650, 120)
	c.ZoomAt(650, 120, 2.5)
	if c.Scale != 2.5 {
		t.Fatalf("scale %v", c.Scale)
	}
	sx, sy := c.ToScreen(wx, wy)
	if !near(sx, 650) || !near(sy, 120) {
		t.Errorf("point moved to (%v,%v)", sx, sy)
	}
	c.ZoomAt(0, 0, 1e9)
	if c.Scale != MaxScale {
		t.Errorf("zoom not clamped: %v", c.Scale)
	}
}

func TestFitShowsTheBox(t *testing.T) {
	c := Camera{W: 1000, H: 500}
	c.Fit(0, 0, 1200, 400, 40)
	for _, p := range [][2]float64{{0, 0}, {1200, 400}} {
		sx, sy := c.ToScreen(p[0], p[1])
		if sx < 39.9 || sy < 39.9 || sx > 960.1 || sy > 460.1 {
			t.Errorf("corner %v at (%v,%v), outside the margin", p, sx, sy)
		}
	}
}

// A shared view shows the same part of the world on a screen of the same
// size, and all of it, centred, on a screen of another shape or density.
func TestShowWhatAnotherScreenShowed(t *testing.T) {
	from := Camera{CX: 640, CY: 210, Scale: 1.7, W: 920, H: 800}
	cx, cy, w, h := from.Rect()
	same := Camera{W: 920, H: 800}
	same.Show(cx, cy, w, h)
	if !near(same.CX, from.CX) || !near(same.CY, from.CY) || !near(same.Scale, from.Scale) {
		t.Errorf("the same screen shows %+v, want %+v", same, from)
	}
	for _, to := range []Camera{{W: 1840, H: 1600}, {W: 390, H: 500}, {W: 2000, H: 300}} {
		to.Show(cx, cy, w, h)
		for _, p := range [][2]float64{{cx - w/2, cy - h/2}, {cx + w/2, cy + h/2}} {
			sx, sy := to.ToScreen(p[0], p[1])
			if sx < -1e-6 || sy < -1e-6 || sx > to.W+1e-6 || sy > to.H+1e-6 {
				t.Errorf("on a %v×%v screen the view's corner %v is at (%v,%v), off screen", to.W, to.H, p, sx, sy)
			}
		}
		if sx, sy := to.ToScreen(cx, cy); !near(sx, to.W/2) || !near(sy, to.H/2) {
			t.Errorf("on a %v×%v screen the view's centre is at (%v,%v)", to.W, to.H, sx, sy)
		}
	}
}

func TestShowsTheBox(t *testing.T) {
	c := Camera{CX: 0, CY: 0, Scale: 1, W: 800, H: 600}
	tests := []struct {
		name                   string
		minX, minY, maxX, maxY float64
		want                   bool
	}{
		{"well inside", -100, -100, 100, 100, true},
		{"inside but within the margin", -390, -100, 100, 100, false},
		{"past the right edge", 0, 0, 500, 10, false},
		{"below", 0, 250, 10, 400, false},
	}
	for _, tt := range tests {
		if got := c.Shows(tt.minX, tt.minY, tt.maxX, tt.maxY, 20); got != tt.want {
			t.Errorf("%s: Shows = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// FitInside frames a box in the screen less its insets: as large as fits,
// centred in what is left, and a pan or zoom ends the fit.
func TestFitInside(t *testing.T) {
	c := Camera{W: 400, H: 300}
	c.FitInside(0, 0, 200, 50, 20, 40, 20, 60)
	// 360 px across for 200 units, 200 px down for 50: the width decides.
	if !near(c.Scale, 1.8) {
		t.Fatalf("scale %v, want 1.8", c.Scale)
	}
	if x0, y0 := c.ToScreen(0, 0); !near(x0, 20) || !near(y0, 95) {
		t.Errorf("the box's corner at (%v,%v), want (20,95)", x0, y0)
	}
	if x1, y1 := c.ToScreen(200, 50); !near(x1, 380) || !near(y1, 185) {
		t.Errorf("the box's far corner at (%v,%v), want (380,185)", x1, y1)
	}
	if !c.Fitted {
		t.Error("not Fitted after FitInside")
	}
	c.Pan(1, 0)
	if c.Fitted {
		t.Error("still Fitted after a pan")
	}
	c.FitInside(0, 0, 200, 50, 20, 40, 20, 60)
	c.ZoomAt(0, 0, 1.1)
	if c.Fitted {
		t.Error("still Fitted after a zoom")
	}
}
