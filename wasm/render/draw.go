//go:build js && wasm

package render

import (
	"math"

	"github.com/hajimehoshi/ebiten/v2"

	"github.com/thingyard/thingyard/sim"
)

// col is the palette the world is drawn in: Dark until SetTheme says
// otherwise. There is one renderer a page.
var col = &Dark

// Renderer draws a world view and turns pointer input into selections and
// actions. A frame is a few DrawTriangles calls over one atlas, which
// holds the glyphs of the text too; its buffers are kept from frame to
// frame.
//
// A layer's labels are one call of their own, not part of the icons':
// ebiten draws a call from the mipmap level its smallest-scaled triangle
// needs, and glyphs, drawn at their size, would hold a crowd's tiny icons
// at full resolution, where their rings break into dots.
//
// Its parts live beside it: the camera and what frames it (camera.go,
// fit.go), gestures (input.go), text (glyphs.go) and where labels go
// (labels.go), the legend (legend.go), loss marks (losses.go), the links
// and sides (links.go), devices and messages (devices.go), tooltips
// (tooltip.go).
type Renderer struct {
	Cam Camera
	// Titles name the sides ("M2M: factory cell"), by side index.
	Titles []string
	// SlowDown is how much slower than real time the world runs, for the
	// caption: 1 is real time, 0.5 twice as fast, 0 shows no caption.
	SlowDown float64
	// ReducedMotion makes messages jump to their end instead of gliding.
	ReducedMotion bool
	// Selected is the id of the selected device, or "".
	Selected string
	// SelectedMsg is the id of the selected message, or 0.
	SelectedMsg uint64
	// Inspect is set when the person asked with the keyboard to inspect
	// the selected device (Enter); the caller clears it.
	Inspect bool
	// Hop is the hop of a frame picked in a list, marked, or nil.
	Hop *Hop

	dpr     float64
	rad     float64 // icon radius on screen this frame
	visible int     // devices on screen at the last cached redraw
	at      *atlas
	frame   framing
	in      gestures
	text    writer
	labels  placer
	legend  legend
	losses  lossMarks
	tip     tooltip
	still   stillLayer
	outage  string // the banner of the cut network, made once

	// Per-frame buffers, reused.
	bg, dash, fg, over batch
	plate              batch // plates under labels and clouds, over the links
	top                []label
	triOp, dashOp      ebiten.DrawTrianglesOptions
	trail              Trail     // where messages were drawn, frame by frame
	updates            int64     // counts updates: the trail's clock
	trunk              []float64 // per link of the view: a bus's trunk height, or NaN
	crowd              msgCrowd  // whether messages are drawn as a crowd (crowd.go)
}

// New makes a renderer. Its atlas's sprites are coloured at the first
// frame, in the theme chosen by then.
func New() *Renderer {
	r := &Renderer{SlowDown: 1, dpr: 1, text: newWriter(), legend: newLegend()}
	r.Cam.Scale = 1
	r.in.hover.device = -1
	r.at = newAtlas()
	r.triOp.Filter = ebiten.FilterLinear
	r.dashOp.Filter = ebiten.FilterLinear
	r.dashOp.DisableMipmaps = true
	r.still.op.Blend = ebiten.BlendCopy
	return r
}

// DPR is the device pixel ratio the renderer draws at.
func (r *Renderer) DPR() float64 { return r.dpr }

// Layout sizes the screen in device pixels, so text stays crisp at any
// device pixel ratio.
func (r *Renderer) Layout(outsideW, outsideH int) (int, int) {
	dpr := ebiten.Monitor().DeviceScaleFactor()
	if dpr <= 0 {
		dpr = 1
	}
	w, h := int(float64(outsideW)*dpr), int(float64(outsideH)*dpr)
	if r.dpr != dpr {
		r.Cam.Scale *= dpr / r.dpr
		r.dpr = dpr
		r.text.setDPR(dpr)
		r.tip.key = tipKey{}
		r.legend.resize()
	}
	if float64(w) != r.Cam.W || float64(h) != r.Cam.H {
		// Keep the world point at the centre where it is, or, while the
		// camera frames the whole world as fitted, frame it again.
		r.Cam.W, r.Cam.H = float64(w), float64(h)
		if r.Cam.Fitted && r.frame.show == nil {
			r.frame.fitted = false
		}
	}
	return w, h
}

// SetTheme draws the world in palette p from the next frame: the icons are
// coloured again in the atlas, the glyphs rasterised again, and the cached
// layer and the legend redrawn.
func (r *Renderer) SetTheme(p *Palette) {
	if p == col {
		return
	}
	col = p
	r.text.glyphs.reset = true
	r.still.key = 0
	r.legend.key = [3]float64{}
}

// ScreenOf is where device id is on screen, in device pixels.
func (r *Renderer) ScreenOf(v *sim.View, id string) (x, y float64, ok bool) {
	for i := range v.Devices {
		if v.Devices[i].ID == id {
			x, y = r.pos(v, int32(i))
			return x, y, true
		}
	}
	return 0, 0, false
}

// pos is where device i of the view is on screen; a device being dragged
// follows the pointer.
func (r *Renderer) pos(v *sim.View, i int32) (float64, float64) {
	if i < 0 || int(i) >= len(v.Devices) {
		return math.NaN(), math.NaN()
	}
	if wx, wy, ok := r.in.dragging(int(i)); ok {
		return r.Cam.ToScreen(wx, wy)
	}
	d := &v.Devices[i]
	return r.Cam.ToScreen(float64(d.X), float64(d.Y))
}

// onScreen reports whether a circle of radius m around x, y shows.
func (r *Renderer) onScreen(x, y, m float64) bool {
	return x >= -m && y >= -m && x <= r.Cam.W+m && y <= r.Cam.H+m
}

// Draw draws the view. It only reads v.
//
// What stays still between frames (sides, links, icons, labels) is drawn
// into a cached image, redrawn only when the zoom, the layout or a
// device's state changes, or a pan goes beyond it (still.go); every frame
// copies it and draws what moves on top: messages, busy rings, selection,
// the legend and the tooltip. A world of thousands of devices then costs
// per frame what is in flight.
func (r *Renderer) Draw(screen *ebiten.Image, v *sim.View) {
	r.at.paint()
	r.rad = IconRadius(r.Cam.Scale, r.dpr, r.visible)
	r.trunks(v)
	r.text.start(r.at)
	r.drawStill(screen, v)

	r.fg.reset()
	r.over.reset()
	r.top = r.top[:0]
	r.trail.Begin(r.updates)
	r.crowd.begin(r.Cam.W, r.Cam.H, r.dpr)
	r.drawHop(v)
	for i := range v.Messages {
		r.drawMessage(v, &v.Messages[i])
	}
	r.drawLosses(v)
	for i := range v.Devices {
		r.drawDeviceState(v, int32(i))
	}
	r.drawOutage(v)
	if r.still.pad > 0 {
		r.drawHints(&r.top) // not in a layer that moves with the world
	}
	r.drawTooltip(v)
	r.fg.draw(screen, r.at.img, &r.triOp)
	r.drawBand(screen)
	r.over.draw(screen, r.at.img, &r.triOp)
	r.text.draw(screen, r.at, r.top)
}

// drawStatic draws what stays still into dst, reaching pad pixels beyond
// the screen on every side (see stillLayer): it is drawn as for a screen
// that much larger.
func (r *Renderer) drawStatic(dst *ebiten.Image, v *sim.View, pad float64) {
	if pad > 0 {
		cam := r.Cam
		r.Cam.W, r.Cam.H = cam.W+2*pad, cam.H+2*pad
		defer func() { r.Cam = cam }()
	}
	dst.Fill(col.Background)
	r.bg.reset()
	r.dash.reset()
	r.fg.reset()
	r.plate.reset()
	r.labels.reset()
	labels := ShowLabels(r.rad, r.dpr, r.visible)
	// Names keep off the icons too; but a crowd shrunk to dots, whose
	// own ids are not written, does not hide the names the scene gave
	// its devices: they are written over it on their plates.
	dots := !labels && r.rad < 9*r.dpr
	for i := range v.Devices {
		d := &v.Devices[i]
		if dots && d.Label == d.ID {
			continue
		}
		if x, y := r.pos(v, int32(i)); r.onScreen(x, y, r.rad) {
			q := r.rad * 1.1
			r.labels.placed.Add(Box{x - q, y - q, x + q, y + q})
		}
	}
	r.drawSides(v)
	for i := range v.Links {
		r.drawLink(v, &v.Links[i], r.trunk[i])
	}
	for i := range v.Devices {
		r.drawDevice(v, int32(i), labels)
	}
	for i := range r.labels.clouds {
		r.drawCloud(&r.labels.clouds[i])
	}
	for _, i := range r.labels.unplaced {
		r.elsewhere(v, i)
	}
	// Links are named where no device's name already is.
	for i := range r.labels.captions {
		r.place(r.labels.captions[i], true, false)
	}
	if pad == 0 {
		r.drawHints(&r.labels.world)
	}
	r.bg.draw(dst, r.at.img, &r.triOp)
	r.dash.draw(dst, r.at.dash, &r.dashOp)
	r.plate.draw(dst, r.at.img, &r.triOp)
	r.fg.draw(dst, r.at.img, &r.triOp)
	r.text.draw(dst, r.at, r.labels.world)
}

// countVisible is how many devices are on screen.
func (r *Renderer) countVisible(v *sim.View) int {
	n := 0
	for i := range v.Devices {
		if x, y := r.pos(v, int32(i)); r.onScreen(x, y, 0) {
			n++
		}
	}
	return n
}

// staticKey sums up everything drawStatic depends on but the camera's
// centre (drawStill follows that): the camera's scale and screen, the
// scene, and each device's and link's place and lasting state. Busy and
// messages are left out: they are drawn every frame.
func (r *Renderer) staticKey(v *sim.View) uint64 {
	h := uint64(14695981039346656037)
	mix := func(x uint64) {
		h ^= x
		h *= 1099511628211
	}
	for _, f := range [...]float64{r.Cam.Scale, r.Cam.W, r.Cam.H, r.dpr} {
		mix(math.Float64bits(f))
	}
	mix(r.still.gen)
	mix(math.Float64bits(r.SlowDown)) // the caption at the top
	mix(uint64(len(v.Devices))<<32 | uint64(len(v.Links)))
	for i := range v.Devices {
		d := &v.Devices[i]
		var f uint64
		for k, on := range [...]bool{d.Powered, d.Online, d.Refused, d.Real, d.On} {
			if on {
				f |= 1 << k
			}
		}
		mix(uint64(math.Float32bits(d.X))<<32 | uint64(math.Float32bits(d.Y)))
		mix(f | uint64(d.Kind)<<8 | uint64(d.Side)<<16)
	}
	for i := range v.Links {
		l := &v.Links[i]
		up := uint64(0)
		if l.Up {
			up = 1
		}
		mix(up | uint64(len(l.Members))<<1 | uint64(l.Medium)<<40)
	}
	if h == 0 {
		h = 1 // 0 means no cache
	}
	return h
}
