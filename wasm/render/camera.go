// Package render draws a sim world with Ebitengine: the camera, the icons,
// links and messages in flight, and picking what is under a pointer. It
// reads sim.View and never changes the world: what a person does becomes a
// sim.Action that the caller applies.
package render

import "math"

// Camera maps world units to screen pixels: screen = (world - Center) *
// Scale + screen centre.
type Camera struct {
	CX, CY float64 // world point at the centre of the screen
	Scale  float64 // pixels per world unit
	W, H   float64 // screen size in pixels
	// Fitted is true while the camera frames what Fit or FitInside framed:
	// no pan, zoom or Show since. A new screen size then frames it again.
	Fitted bool
}

// Zoom limits, in pixels per world unit.
const (
	MinScale = 0.02
	MaxScale = 8
)

// ToScreen maps a world point to the screen.
func (c *Camera) ToScreen(x, y float64) (float64, float64) {
	return (x-c.CX)*c.Scale + c.W/2, (y-c.CY)*c.Scale + c.H/2
}

// ToWorld maps a screen point to the world.
func (c *Camera) ToWorld(sx, sy float64) (float64, float64) {
	return (sx-c.W/2)/c.Scale + c.CX, (sy-c.H/2)/c.Scale + c.CY
}

// Fit centres the box minX..maxX, minY..maxY with a margin in pixels.
func (c *Camera) Fit(minX, minY, maxX, maxY, margin float64) {
	if maxX < minX || maxY < minY {
		c.CX, c.CY, c.Scale = 0, 0, 1
		return
	}
	c.CX, c.CY = (minX+maxX)/2, (minY+maxY)/2
	w := math.Max(maxX-minX, 1)
	h := math.Max(maxY-minY, 1)
	sx := (c.W - 2*margin) / w
	sy := (c.H - 2*margin) / h
	c.Scale = clamp(math.Min(sx, sy), MinScale, 2)
	c.Fitted = true
}

// FitInside frames the box minX..maxX, minY..maxY inside the screen less
// insets in pixels on each side (left, top, right, bottom), where things
// drawn around the box go: it is as large as fits, up to 2 pixels a world
// unit, and centred in what is left.
func (c *Camera) FitInside(minX, minY, maxX, maxY, left, top, right, bottom float64) {
	if maxX < minX || maxY < minY {
		c.CX, c.CY, c.Scale = 0, 0, 1
		return
	}
	w := math.Max(maxX-minX, 1)
	h := math.Max(maxY-minY, 1)
	c.Scale = clamp(math.Min((c.W-left-right)/w, (c.H-top-bottom)/h), MinScale, 2)
	// The box's centre goes to the centre of the screen less the insets.
	c.CX = (minX+maxX)/2 - ((left-right)/2)/c.Scale
	c.CY = (minY+maxY)/2 - ((top-bottom)/2)/c.Scale
	c.Fitted = true
}

// Shows reports whether the box minX..maxX, minY..maxY of the world is on
// screen with margin pixels to spare on every side.
func (c *Camera) Shows(minX, minY, maxX, maxY, margin float64) bool {
	x0, y0 := c.ToScreen(minX, minY)
	x1, y1 := c.ToScreen(maxX, maxY)
	return x0 >= margin && y0 >= margin && x1 <= c.W-margin && y1 <= c.H-margin
}

// Rect is the part of the world on screen: its centre and its size in
// world units. A share link carries it so another screen shows the same.
func (c *Camera) Rect() (cx, cy, w, h float64) {
	return c.CX, c.CY, c.W / c.Scale, c.H / c.Scale
}

// Show frames the world rectangle of Rect: centred on cx, cy and as large
// as shows all of w×h, so a screen of the same size shows just it and one
// of another shape shows it whole.
func (c *Camera) Show(cx, cy, w, h float64) {
	c.CX, c.CY, c.Fitted = cx, cy, false
	c.Scale = clamp(math.Min(c.W/math.Max(w, 1e-9), c.H/math.Max(h, 1e-9)), MinScale, MaxScale)
}

// ZoomAt multiplies the scale by f keeping the world point under the screen
// point sx, sy where it is.
func (c *Camera) ZoomAt(sx, sy, f float64) {
	wx, wy := c.ToWorld(sx, sy)
	c.Scale, c.Fitted = clamp(c.Scale*f, MinScale, MaxScale), false
	nx, ny := c.ToWorld(sx, sy)
	c.CX += wx - nx
	c.CY += wy - ny
}

// Pan moves the view by a drag of dx, dy pixels.
func (c *Camera) Pan(dx, dy float64) {
	c.CX -= dx / c.Scale
	c.CY -= dy / c.Scale
	c.Fitted = false
}

// Visible reports whether a circle of radius r pixels around world point
// x, y is on screen.
func (c *Camera) Visible(x, y, r float64) bool {
	sx, sy := c.ToScreen(x, y)
	return sx >= -r && sy >= -r && sx <= c.W+r && sy <= c.H+r
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }
