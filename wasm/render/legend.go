//go:build js && wasm

package render

import (
	"math"
	"strconv"

	"github.com/hajimehoshi/ebiten/v2"

	"github.com/thingyard/thingyard/sim"
)

// legendH is about how tall the legend along the bottom is, in CSS pixels.
const legendH = 26

// legendEntries is how many entries the legend has: the protocols, then
// the lost mark.
const legendEntries = int(sim.ProtoLoRaWAN-sim.ProtoModbusRTU) + 2

// help is the controls hint at the top right of the world.
const help = "drag to pan · wheel, pinch or +/− to zoom · F to fit · drag a device to move it · ? for keys"

// legend is what explains the world on the canvas: the band along the
// bottom with the protocols' colours, the lost mark and the time scale, in
// a second row on a narrow canvas, and the hints at the top. The band is
// drawn into its own image when the canvas or the time scale changes and
// blitted every frame.
type legend struct {
	img    *ebiten.Image
	key    [3]float64 // canvas width, DPR, slow-down
	b      batch
	labels []label
	op     ebiten.DrawImageOptions

	names  [maxProto]string  // the protocols' names, made once
	widths [maxProto]float64 // and their widths at this DPR
	helpW  float64           // the width of help at this DPR
	slowS  string            // the slow-down caption measured
	slowW  float64           // and its width
}

func newLegend() legend {
	var g legend
	for p := sim.Protocol(1); p < maxProto; p++ {
		g.names[p] = p.String()
	}
	return g
}

// resize forgets the widths measured at another DPR.
func (g *legend) resize() {
	g.widths = [maxProto]float64{}
	g.helpW, g.slowW = 0, 0
}

// entry is the legend's i-th entry: its colour and name, and its width
// with the gap after it, in face f at dpr.
func (g *legend) entry(i int, dpr float64, f *face) (c rgba, name string, w float64, lost bool) {
	if i == legendEntries-1 {
		return colourOf(col.Bad, 1), "lost", 50 * dpr, true
	}
	p := (sim.ProtoModbusRTU + sim.Protocol(i)) % maxProto
	if g.widths[p] == 0 {
		g.widths[p] = f.measure(g.names[p])
	}
	return colourOf(col.Protocols[p], 1), g.names[p], g.widths[p] + 26*dpr, false
}

// layout is how many rows the band takes on a canvas w device pixels
// wide, where its last row ends, and whether the time caption for
// slow-down slow fits after it.
func (g *legend) layout(w, dpr, slow float64, f *face) (rows int, end float64, slowFits bool) {
	rows, x := 1, 14*dpr
	for i := range legendEntries {
		_, _, ew, _ := g.entry(i, dpr, f)
		if x+ew > w-8*dpr && x > 14*dpr {
			rows, x = rows+1, 14*dpr
		}
		x += ew
	}
	if slow > 0 {
		s := slowCaption(slow)
		if g.slowW == 0 || g.slowS != s {
			g.slowS = s
			g.slowW = f.measure(s)
		}
	}
	return rows, x, slow > 0 && x+g.slowW < w-8*dpr
}

// bandHeight is how tall the band of rows rows is, in device pixels.
func bandHeight(rows int, dpr float64) float64 { return 20*dpr*float64(rows) + 6*dpr }

// build lays the band out afresh in an image w×h device pixels: its
// shapes into the batch and its names into labels.
func (g *legend) build(w, h, dpr float64, slowFits bool, f *face) {
	if g.img != nil {
		g.img.Deallocate()
	}
	g.img = ebiten.NewImage(max(1, int(w)), int(math.Ceil(h)))
	g.b.reset()
	g.labels = g.labels[:0]
	g.b.rect(0, 0, float32(w), float32(h), colourOf(col.Background, 0.85))
	rowH := 20 * dpr
	x, y := 14*dpr, 3*dpr
	for i := range legendEntries {
		c, name, ew, lost := g.entry(i, dpr, f)
		if x+ew > w-8*dpr && x > 14*dpr {
			x, y = 14*dpr, y+rowH
		}
		cy := float32(y + 10*dpr)
		if lost {
			g.b.cross(float32(x+5*dpr), cy, float32(4.5*dpr), c)
		} else {
			g.b.disc(float32(x+5*dpr), cy, float32(4.5*dpr), c)
		}
		g.labels = append(g.labels, label{name, x + 13*dpr, y + 3*dpr, f, col.Muted, alignStart})
		x += ew
	}
	if slowFits {
		g.labels = append(g.labels, label{g.slowS, x, y + 3*dpr, f, col.Muted, alignStart})
	}
}

// bandLayout is the legend's layout on this canvas.
func (r *Renderer) bandLayout() (rows int, end float64, slowFits bool) {
	return r.legend.layout(r.Cam.W, r.dpr, r.SlowDown, r.text.small)
}

// drawBand draws the legend's band along the bottom of screen, laid out
// and drawn into its image again when the canvas or the time scale changed.
func (r *Renderer) drawBand(screen *ebiten.Image) {
	g := &r.legend
	rows, _, slowFits := r.bandLayout()
	h := bandHeight(rows, r.dpr)
	if key := [3]float64{r.Cam.W, r.dpr, r.SlowDown}; g.img == nil || key != g.key || g.img.Bounds().Dy() != int(math.Ceil(h)) {
		g.key = key
		g.build(r.Cam.W, h, r.dpr, slowFits, r.text.small)
		g.b.draw(g.img, r.at.img, &r.triOp)
		r.text.draw(g.img, r.at, g.labels)
	}
	g.op.GeoM.Reset()
	g.op.GeoM.Translate(0, r.Cam.H-h)
	screen.DrawImage(g.img, &g.op)
}

// drawHints puts the controls hint at the top right of the screen, and the
// time scale at the top left when the legend has no room for it, into
// labels: the cached layer's, or a frame's while the layer pans.
func (r *Renderer) drawHints(labels *[]label) {
	g, d, small := &r.legend, r.dpr, r.text.small
	_, _, slowFits := r.bandLayout()
	if r.SlowDown > 0 && !slowFits {
		*labels = append(*labels, label{g.slowS, 12 * d, 8 * d, small, col.Muted, alignStart})
	}
	if g.helpW == 0 {
		g.helpW = small.measure(help)
	}
	if r.Cam.W > g.helpW+g.slowW+60*d {
		*labels = append(*labels, label{help, r.Cam.W - 12*d, 8 * d, small, col.Muted, alignEnd})
	}
}

var slowCache struct {
	f float64
	s string
}

// slowCaption says how much slower (or faster) than real time the world
// runs, built only when the factor changes.
func slowCaption(f float64) string {
	if slowCache.f != f {
		slowCache.f = f
		times := func(x float64) string { return strconv.FormatFloat(math.Round(x*100)/100, 'f', -1, 64) + "×" }
		switch {
		case f > 1.01:
			slowCache.s = "time slowed " + times(f) + " so messages can be followed"
		case f < 0.99:
			slowCache.s = "time sped up " + times(1/f)
		default:
			slowCache.s = "real time"
		}
	}
	return slowCache.s
}
