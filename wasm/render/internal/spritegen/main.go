// Command spritegen writes wasm/render/sprites.bin: the shapes of the
// world's icons and white sprites as coverage masks (see package sprite
// for the layout and the file), drawn here once, natively, so the page
// draws no vector path at start: it colours the masks with its theme's
// palette and uploads them in one write.
//
// Each pixel's coverage is the share of a 16×16 grid of points inside it
// that fall inside the shape, the shape being the exact geometry (discs,
// rings, strokes of a width, polygons) with Ebitengine's vector package's
// conventions: strokes are centred on their path, lines end flat unless
// said round, rectangles' corners are mitred.
//
// Run from the module's root: go run ./wasm/render/internal/spritegen
// (make sprites). A test fails when the committed file is not what this
// makes.
package main

import (
	"math"

	"github.com/thingyard/thingyard/internal/gencmd"
	"github.com/thingyard/thingyard/wasm/render/internal/sprite"
)

func main() { gencmd.Main("wasm/render/sprites.bin", Generate) }

// Generate makes the file's bytes.
func Generate() ([]byte, error) { return sprite.Encode(Masks()) }

// Masks draws every shape into the W×H coverage masks.
func Masks() []byte {
	m := make([]byte, sprite.W*sprite.H)
	cell := func(col, row int, s shape) { fill(m, col*sprite.Cell, row*sprite.Cell, sprite.Cell, sprite.Cell, s) }
	const c = sprite.Cell / 2
	for k := range sprite.Kinds {
		cell(k, 0, symbol(k+1, float64(k*sprite.Cell+c), c))
	}
	cell(sprite.BodyX/sprite.Cell, sprite.BodyY/sprite.Cell, disc(c, sprite.BodyY+c, sprite.IconR))
	cell(sprite.Kinds, 0, union(
		rect(sprite.SolidX-8, sprite.SolidY-8, 16, 16),
		rect(sprite.DashX, sprite.DashY, sprite.DashOn, 8)))

	x := func(i int) float64 { return float64(i*sprite.Cell + c) }
	const y = sprite.SpriteY + c
	row := sprite.SpriteY / sprite.Cell
	cell(sprite.Disc, row, disc(x(sprite.Disc), y, sprite.DiscR))
	cell(sprite.Ring, row, ring(x(sprite.Ring), y, sprite.DiscR-sprite.RingW/2.0, sprite.RingW))
	cell(sprite.Thin, row, ring(x(sprite.Thin), y, sprite.DiscR-sprite.ThinW/2.0, sprite.ThinW))
	const d = 34
	cx := x(sprite.Cross)
	cell(sprite.Cross, row, union(line(cx-d, y-d, cx+d, y+d, 14), line(cx-d, y+d, cx+d, y-d, 14)))
	cloudAt := func(i int) float64 { return float64(i*sprite.Cell + sprite.Cell) }
	fill(m, sprite.Cloud*sprite.Cell, sprite.SpriteY, sprite.CloudW, sprite.Cell, cloud(cloudAt(sprite.Cloud), y, sprite.CloudS, 0))
	fill(m, sprite.CloudLine*sprite.Cell, sprite.SpriteY, sprite.CloudW, sprite.Cell,
		minus(cloud(cloudAt(sprite.CloudLine), y, sprite.CloudS, 0), cloud(cloudAt(sprite.CloudLine), y, sprite.CloudS, 5)))
	return m
}

// symbol is the part of kind k's icon centred at x, y drawn in its side's
// colour: a ring on the icon's edge and the kind's sign. Sensors show
// waves, actuators a valve, controllers a PLC module, gateways a diamond,
// brokers a cloud hub, apps a phone and real boards a chip with pins.
func symbol(k int, x, y float64) shape {
	s := []shape{ring(x, y, sprite.IconR-2.5, 5)}
	stroke := func(x0, y0, x1, y1 float64) shape { return line(x+x0, y+y0, x+x1, y+y1, 5) }
	switch k {
	case 1: // sensor
		s = append(s, disc(x-12, y+10, 6), arc(x-12, y+10, 14, 5), arc(x-12, y+10, 25, 4))
	case 2: // actuator
		s = append(s, polygon(x-20, y-8, x+20, y+18, x+20, y-8, x-20, y+18), stroke(0, 5, 0, -18), stroke(-10, -18, 10, -18))
	case 3: // controller
		s = append(s, frame(x-22, y-20, 44, 40, 5), stroke(-14, 8, 14, 8))
		for i := range 3 {
			s = append(s, rect(x-14+float64(i)*11, y-10, 6, 6))
		}
	case 4: // gateway
		s = append(s, outline(5, x, y-24, x+24, y, x, y+24, x-24, y), stroke(-12, 0, 12, 0), stroke(5, -6, 12, 0), stroke(5, 6, 12, 0))
	case 5: // broker
		s = append(s, disc(x-12, y+4, 11), disc(x+2, y-6, 14), disc(x+15, y+5, 10), rect(x-12, y+4, 27, 11))
	case 6: // app
		s = append(s, frame(x-13, y-23, 26, 46, 5), disc(x, y+15, 3.5))
	case 7: // board
		s = append(s, rect(x-16, y-16, 32, 32))
		for i := range 4 {
			o := -12 + float64(i)*8
			s = append(s, stroke(o, -16, o, -25), stroke(o, 16, o, 25))
		}
	}
	return union(s...)
}

// cloud is the internet's cloud centred at x, y: three puffs on a flat
// base, s its unit, inset by in pixels (all but the base's ends).
func cloud(x, y, s, in float64) shape {
	return union(
		disc(x-0.7*s, y+0.15*s, 0.6*s-in), disc(x, y-0.2*s, 0.8*s-in), disc(x+0.75*s, y+0.15*s, 0.6*s-in),
		rect(x-0.7*s, y+0.15*s+in, 1.45*s, 0.6*s-2*in))
}

// A shape says whether a point is inside it.
type shape func(x, y float64) bool

// samples is how many points a pixel is sampled at along each axis.
const samples = 16

// fill sets the coverage of shape s in the w×h pixels at x0, y0 of m.
func fill(m []byte, x0, y0, w, h int, s shape) {
	for py := y0; py < y0+h; py++ {
		for px := x0; px < x0+w; px++ {
			n := 0
			for j := range samples {
				for i := range samples {
					if s(float64(px)+(float64(i)+0.5)/samples, float64(py)+(float64(j)+0.5)/samples) {
						n++
					}
				}
			}
			m[py*sprite.W+px] = byte((n*255 + samples*samples/2) / (samples * samples))
		}
	}
}

func union(ss ...shape) shape {
	return func(x, y float64) bool {
		for _, s := range ss {
			if s(x, y) {
				return true
			}
		}
		return false
	}
}

func minus(a, b shape) shape { return func(x, y float64) bool { return a(x, y) && !b(x, y) } }

func disc(cx, cy, r float64) shape {
	return func(x, y float64) bool { return (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r }
}

// ring is a circle of radius r stroked w wide.
func ring(cx, cy, r, w float64) shape {
	return func(x, y float64) bool { return math.Abs(math.Hypot(x-cx, y-cy)-r) <= w/2 }
}

func rect(x0, y0, w, h float64) shape {
	return func(x, y float64) bool { return x >= x0 && x <= x0+w && y >= y0 && y <= y0+h }
}

// frame is a rectangle's outline stroked w wide, its corners mitred.
func frame(x0, y0, w, h, sw float64) shape {
	return minus(rect(x0-sw/2, y0-sw/2, w+sw, h+sw), rect(x0+sw/2, y0+sw/2, w-sw, h-sw))
}

// line is a stroke w wide from x0, y0 to x1, y1 with flat ends.
func line(x0, y0, x1, y1, w float64) shape {
	dx, dy := x1-x0, y1-y0
	l := math.Hypot(dx, dy)
	return func(x, y float64) bool {
		along := ((x-x0)*dx + (y-y0)*dy) / l
		across := ((x-x0)*dy - (y-y0)*dx) / l
		return along >= 0 && along <= l && math.Abs(across) <= w/2
	}
}

// segDist is the distance from x, y to the segment from x0, y0 to x1, y1.
func segDist(x, y, x0, y0, x1, y1 float64) float64 {
	dx, dy := x1-x0, y1-y0
	t := max(0, min(1, ((x-x0)*dx+(y-y0)*dy)/(dx*dx+dy*dy)))
	return math.Hypot(x-x0-t*dx, y-y0-t*dy)
}

// outline is the closed polygon of points xy stroked w wide with round
// joins.
func outline(w float64, xy ...float64) shape {
	return func(x, y float64) bool {
		n := len(xy) / 2
		for i := range n {
			j := (i + 1) % n
			if segDist(x, y, xy[2*i], xy[2*i+1], xy[2*j], xy[2*j+1]) <= w/2 {
				return true
			}
		}
		return false
	}
}

// polygon is the polygon of points xy filled by the non-zero rule.
func polygon(xy ...float64) shape {
	return func(x, y float64) bool {
		n, wind := len(xy)/2, 0
		for i := range n {
			j := (i + 1) % n
			x0, y0, x1, y1 := xy[2*i], xy[2*i+1], xy[2*j], xy[2*j+1]
			side := (x1-x0)*(y-y0) - (x-x0)*(y1-y0)
			switch {
			case y0 <= y && y1 > y && side > 0:
				wind++
			case y1 <= y && y0 > y && side < 0:
				wind--
			}
		}
		return wind != 0
	}
}

// arc is the quarter circle of radius r around cx, cy from straight up to
// straight right, stroked w wide with round ends.
func arc(cx, cy, r, w float64) shape {
	return func(x, y float64) bool {
		dx, dy := x-cx, y-cy
		if dx >= 0 && dy <= 0 {
			return math.Abs(math.Hypot(dx, dy)-r) <= w/2
		}
		return math.Hypot(dx, dy+r) <= w/2 || math.Hypot(dx-r, dy) <= w/2
	}
}
