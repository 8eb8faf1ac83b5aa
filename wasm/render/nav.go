package render

import "math"

// Direction is an arrow key's direction on screen.
type Direction int

// The four arrow keys.
const (
	Left Direction = iota
	Right
	Up
	Down
)

// Nearest is the device an arrow key moves the selection to from the point
// x, y (the selected device's centre): among the devices at xs, ys lying in
// that direction (within 45° either side of it), the one with the least
// distance, where sideways distance counts double, so the arrow goes on
// along its line rather than to a close device off to the side. It is -1
// when none lies that way. Device self is never chosen (-1 for none). All
// in screen pixels, y down.
func Nearest(d Direction, x, y float64, xs, ys []float64, self int) int {
	best, bestScore := -1, math.Inf(1)
	for i := range xs {
		if i == self {
			continue
		}
		dx, dy := xs[i]-x, ys[i]-y
		var along, across float64
		switch d {
		case Left:
			along, across = -dx, dy
		case Right:
			along, across = dx, dy
		case Up:
			along, across = -dy, dx
		case Down:
			along, across = dy, dx
		}
		across = math.Abs(across)
		if along <= 0 || across > along {
			continue
		}
		if s := along*along + 4*across*across; s < bestScore {
			best, bestScore = i, s
		}
	}
	return best
}

// Closest is the device nearest to x, y, the first an arrow key selects
// when none is: -1 when there are none.
func Closest(x, y float64, xs, ys []float64) int {
	best, bestD := -1, math.Inf(1)
	for i := range xs {
		if d := (xs[i]-x)*(xs[i]-x) + (ys[i]-y)*(ys[i]-y); d < bestD {
			best, bestD = i, d
		}
	}
	return best
}
