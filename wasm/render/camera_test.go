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
