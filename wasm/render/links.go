//go:build js && wasm

package render

import (
	"image/color"
	"math"

	"github.com/thingyard/thingyard/sim"
)

// Names of the media, made once: a cloud's and a cut network's, and a
// bus's caption.
var mediumNames, busCaption = func() (names, bus [maxProto]string) {
	for m := sim.Medium(1); m < maxProto; m++ {
		names[m] = m.String()
		bus[m] = m.String() + " bus"
	}
	return names, bus
}()

func sideColour(side int) color.RGBA {
	switch side {
	case 0:
		return col.M2M
	case 1:
		return col.IoT
	}
	return col.Other
}

// drawSides tints the area of each side and names it, so the M2M and IoT
// halves are told apart at a glance.
func (r *Renderer) drawSides(v *sim.View) {
	var minX, minY, maxX, maxY [4]float32 // each side's devices' box, in the world
	n := min(len(v.Sides), len(minX))
	for s := 0; s < n; s++ {
		minX[s], minY[s], maxX[s], maxY[s] = 1e30, 1e30, -1e30, -1e30
	}
	for i := range v.Devices {
		d := &v.Devices[i]
		if d.Side < 0 || d.Side >= n {
			continue
		}
		s := d.Side
		minX[s], maxX[s] = min(minX[s], d.X), max(maxX[s], d.X)
		minY[s], maxY[s] = min(minY[s], d.Y), max(maxY[s], d.Y)
	}
	pad := r.sidePad(r.rad)
	for s := 0; s < n; s++ {
		if maxX[s] < minX[s] {
			continue
		}
		x0, y0 := r.Cam.ToScreen(float64(minX[s]), float64(minY[s]))
		x1, y1 := r.Cam.ToScreen(float64(maxX[s]), float64(maxY[s]))
		x0, y0, x1, y1 = x0-pad, y0-pad-sideTitleH*r.dpr, x1+pad, y1+pad
		c := sideColour(s)
		r.bg.rect(float32(x0), float32(y0), float32(x1-x0), float32(y1-y0), colourOf(c, 0.06))
		r.bg.frame(float32(x0), float32(y0), float32(x1-x0), float32(y1-y0), float32(r.dpr), colourOf(c, 0.35))
		title := v.Sides[s]
		if s < len(r.Titles) && r.Titles[s] != "" {
			title = r.Titles[s]
		}
		r.place(label{title, x0 + 10*r.dpr, y0 + 8*r.dpr, r.text.bold, c, alignStart}, false, true)
	}
}

func (r *Renderer) linkColour(v *sim.View, l *sim.LinkView) rgba {
	if !l.Up {
		return colourOf(col.Bad, 0.9)
	}
	side := 0
	if len(l.Members) > 0 && l.Members[0] >= 0 && int(l.Members[0]) < len(v.Devices) {
		side = v.Devices[l.Members[0]].Side
	}
	return colourOf(sideColour(side), 0.6)
}

// segment draws a solid or dashed line, only the part of it on screen.
func (r *Renderer) segment(b *batch, x0, y0, x1, y1, w float64, c rgba, period float64) {
	m := 8 * r.dpr
	cx0, cy0, cx1, cy1, ok := ClipSegment(x0, y0, x1, y1, -m, -m, r.Cam.W+m, r.Cam.H+m)
	if !ok {
		return
	}
	if period == 0 {
		b.line(float32(cx0), float32(cy0), float32(cx1), float32(cy1), float32(w), c)
		return
	}
	// The pattern starts at the real start, so dashes stay put as the
	// view pans and the line is clipped differently.
	phase := math.Mod(math.Hypot(cx0-x0, cy0-y0), period)
	b.dashed(float32(cx0), float32(cy0), float32(cx1), float32(cy1), float32(w), float32(period), float32(phase), c)
}

// trunks finds the screen height of every bus's trunk, where its taps
// meet and its frames travel.
func (r *Renderer) trunks(v *sim.View) {
	r.trunk = r.trunk[:0]
	for i := range v.Links {
		l := &v.Links[i]
		ty := math.NaN()
		if (l.Medium == sim.MediumRS485 || l.Medium == sim.MediumCAN) && len(l.Members) >= 2 {
			_, hy := r.pos(v, l.Members[0])
			sumY := 0.0
			for _, m := range l.Members[1:] {
				_, y := r.pos(v, m)
				sumY += y
			}
			ty = BusY(hy, sumY, len(l.Members)-1)
		}
		r.trunk = append(r.trunk, ty)
	}
}

func (r *Renderer) drawLink(v *sim.View, l *sim.LinkView, ty float64) {
	if len(l.Members) < 2 {
		return
	}
	c := r.linkColour(v, l)
	w := 1.5 * r.dpr
	hx, hy := r.pos(v, l.Members[0])
	switch l.Medium {
	case sim.MediumRS485, sim.MediumCAN:
		// A bus: one trunk with a tap to every drop.
		minX, maxX := hx, hx
		for _, m := range l.Members[1:] {
			x, _ := r.pos(v, m)
			minX, maxX = math.Min(minX, x), math.Max(maxX, x)
		}
		r.segment(&r.bg, minX, ty, maxX, ty, 4*r.dpr, c, 0)
		r.labels.placed.Add(Box{minX, ty - 3*r.dpr, maxX, ty + 3*r.dpr}) // no name over the trunk
		for _, m := range l.Members {
			x, y := r.pos(v, m)
			r.segment(&r.bg, x, y, x, ty, w, c, 0)
		}
		r.caption(busCaption[l.Medium%maxProto], minX, ty-16*r.dpr, c)
		if !l.Up {
			r.fg.cross(float32((minX+maxX)/2), float32(ty), float32(8*r.dpr), colourOf(col.Bad, 1))
		}
	case sim.MediumZigbee, sim.MediumBLE, sim.MediumLoRaWAN, sim.MediumWiFi:
		r.spokes(v, l.Members, hx, hy, w, c, 9*r.dpr)
		if r.onScreen(hx, hy, r.rad*2.2) {
			rr := float32(r.rad * 1.6)
			faint := c
			faint.A *= 0.45
			r.bg.thinRing(float32(hx), float32(hy), rr, faint)
			faint.A *= 0.55
			r.bg.thinRing(float32(hx), float32(hy), rr*1.35, faint)
		}
		if !l.Up {
			r.fg.cross(float32(hx), float32(hy-r.rad*1.6), float32(7*r.dpr), colourOf(col.Bad, 1))
		}
	case sim.MediumInternet, sim.MediumCellular:
		// One cloud for the network, between the hub and its members.
		var sx, sy, sd float64
		for _, m := range l.Members[1:] {
			x, y := r.pos(v, m)
			sx, sy, sd = sx+x, sy+y, sd+math.Hypot(x-hx, y-hy)
		}
		r.spokes(v, l.Members, hx, hy, 2*r.dpr, c, 14*r.dpr)
		n := float64(len(l.Members) - 1)
		s := clamp(1.2*r.rad, 9*r.dpr, 16*r.dpr) // the cloud's size follows the icons'
		mx, my, above := CloudAt(hx, hy, sx/n, sy/n, sd/n, r.rad+2.5*s)
		r.labels.clouds = append(r.labels.clouds, netCloud{hx: hx, hy: hy, x: mx, y: my, s: s, above: above, c: c, up: l.Up, medium: l.Medium})
	default: // a wire: RS-232, Ethernet
		for _, m := range l.Members[1:] {
			x, y := r.pos(v, m)
			r.segment(&r.bg, hx, hy, x, y, 2*r.dpr, c, 0)
		}
		if !l.Up {
			x, y := r.pos(v, l.Members[1])
			r.fg.cross(float32((hx+x)/2), float32((hy+y)/2), float32(8*r.dpr), colourOf(col.Bad, 1))
		}
	}
}

// netCloud is an internet or cellular star's cloud, waiting for a place.
type netCloud struct {
	hx, hy, x, y, s float64 // the hub, where the cloud would best go, its size
	above, up       bool
	c               rgba
	medium          sim.Medium
}

// drawCloud puts a network's cloud on its line where it covers no icon
// and no name: halfway, else a little nearer either end. Where there is
// no such place the line and its name stand for the network, but a cut
// is always marked.
func (r *Renderer) drawCloud(k *netCloud) {
	if !r.onScreen(k.x, k.y, 3*k.s) {
		return
	}
	hw, hh := k.s*cloudW/2/cloudS, k.s*cell/2/cloudS
	x, y, free := k.x, k.y, false
	for _, t := range [...]float64{1, 0.8, 1.2, 0.6, 1.4} {
		x, y = k.x, k.y
		if !k.above {
			// t scales the way from the hub to the midpoint.
			x, y = k.hx+(k.x-k.hx)*t, k.hy+(k.y-k.hy)*t
		} else if t != 1 {
			break
		}
		b := Box{x - 1.25*k.s, y - 0.8*k.s, x + 1.25*k.s, y + 0.8*k.s} // the puffs, not the sprite's cell
		free = !r.labels.placed.Overlaps(b)
		if free {
			r.labels.placed.Add(b)
			break
		}
	}
	if !free {
		x, y = k.x, k.y
	} else {
		// Under the icons: in a crowd too big to keep clear of, the cloud
		// is behind its members, not over them.
		r.plate.sprite(spriteRect(spCloud, 2), float32(x), float32(y), float32(hw), float32(hh), colourOf(col.Panel, 1))
		r.plate.sprite(spriteRect(spCloudLine, 2), float32(x), float32(y), float32(hw), float32(hh), k.c)
	}
	if !k.up {
		r.fg.cross(float32(x), float32(y), float32(k.s*0.6), colourOf(col.Bad, 1))
	}
	r.caption(mediumNames[k.medium%maxProto], x+1.4*k.s, y-6*r.dpr, k.c) // just clear of the puffs
}

// maxSpokes is how many members of a star get a full line to its hub;
// the rest, added by the hundred, get a short stub pointing at it. A
// thousand lines into one hub would paint the same pixels a thousand times
// and say no more than the stubs do.
const maxSpokes = 48

// spokes draws a star's dashed lines from the hub at hx, hy to its members.
func (r *Renderer) spokes(v *sim.View, members []int32, hx, hy, w float64, c rgba, period float64) {
	for k, m := range members[1:] {
		x, y := r.pos(v, m)
		if k < maxSpokes {
			r.segment(&r.dash, hx, hy, x, y, w, c, period)
			continue
		}
		if r.rad < 8*r.dpr || !r.onScreen(x, y, r.rad*3) {
			continue // too small to see a stub
		}
		dx, dy := hx-x, hy-y
		l := math.Hypot(dx, dy)
		if l < 1 {
			continue
		}
		stub := math.Min(l, r.rad*2.2)
		faint := c
		faint.A *= 0.6
		r.bg.thin(float32(x), float32(y), float32(x+dx/l*stub), float32(y+dy/l*stub), float32(r.dpr), faint)
	}
}

// caption names a link where there is room for it.
func (r *Renderer) caption(s string, x, y float64, c rgba) {
	if r.rad < 6*r.dpr || !r.onScreen(x, y, 100*r.dpr) {
		return
	}
	r.labels.captions = append(r.labels.captions, label{s, x, y, r.text.small, color.RGBA{uint8(c.R * 255), uint8(c.G * 255), uint8(c.B * 255), 0xff}, alignStart})
}
