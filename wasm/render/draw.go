//go:build js && wasm

package render

import (
	"image/color"
	"math"
	"strings"

	"github.com/hajimehoshi/ebiten/v2"

	"github.com/thingyard/thingyard/sim"
)

// col is the palette the world is drawn in: Dark until SetTheme says
// otherwise. There is one renderer a page.
var col = &Dark

// label is a piece of text to draw after the shapes under it.
type label struct {
	s     string
	x, y  float64
	face  *face
	c     color.RGBA
	align align
}

// Renderer draws a world view and turns pointer input into selections and
// actions. A frame is a few DrawTriangles calls over one atlas, which
// holds the glyphs of the text too; its buffers are kept from frame to
// frame.
//
// A layer's labels are one call of their own, not part of the icons':
// ebiten draws a call from the mipmap level its smallest-scaled triangle
// needs, and glyphs, drawn at their size, would hold a crowd's tiny icons
// at full resolution, where their rings break into dots.
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

	dpr    float64
	fitted bool
	show   *[4]float64 // a view to show at the next update (see Show)
	// devices is how many devices the view had at the last update: when
	// more come beyond what the screen shows, the view fits them in.
	devices int
	rad     float64 // icon radius on screen this frame
	at      *atlas
	face    *face // names
	bold    *face // titles
	small   *face // captions, the legend, tooltips' details
	glyphs  glyphCache

	// Per-frame buffers, reused.
	bg, dash, fg, over batch
	plate              batch // plates under labels and clouds, over the links
	txt                batch // the glyphs of a layer's labels
	world, top         []label
	captions           []label    // link names, placed after the device labels
	clouds             []netCloud // network clouds, placed after the device labels
	placed             Boxes      // icons, names and clouds placed in the cached layer so far
	tried              int        // device names tried in the cached layer so far
	unplaced           []int32    // devices whose given names had no room under their icons
	visible            int        // devices on screen at the last cached redraw
	triOp, dashOp      ebiten.DrawTrianglesOptions
	textOp             ebiten.DrawTrianglesOptions // glyphs: whole pixels, level 0
	minX, minY         [4]float32
	maxX, maxY         [4]float32
	sx, sy             []float64 // devices on screen, for picking
	dots               []Dot     // messages as drawn lately, for picking
	trail              Trail     // where messages were drawn, frame by frame
	updates            int64     // counts updates: the trail's clock
	trunk              []float64 // per link of the view: a bus's trunk height, or NaN
	cache              *ebiten.Image
	cacheKey           uint64
	gen                uint64 // counts scenes, for the cache key
	blitOp             ebiten.DrawImageOptions
	losses             [32]loss // where packets were lost lately, fading
	outage             string
	touches            []ebiten.TouchID
	pending            []sim.Action

	// Strings made once.
	protoNames  [maxProto]string
	busCaption  [maxProto]string
	mediumNames [maxProto]string
	help        string
	legendW     [maxProto]float64 // widths of protocol names at this DPR
	helpW       float64           // width of help at this DPR
	slowS       string            // the slow-down caption measured
	slowW       float64           // and its width

	// The legend band, drawn into its own image when the canvas or the
	// time scale changes and blitted every frame.
	band    *ebiten.Image
	bandKey [3]float64 // canvas width, DPR, slow-down
	bandB   batch
	bandL   []label
	bandOp  ebiten.DrawImageOptions

	drag struct {
		active, moved bool
		device        int    // index into the view's devices, or -1 for panning
		msg           uint64 // the message a click selects instead, or 0
		x, y          int
		wx, wy        float64
	}
	pinch struct {
		active         bool
		ax, ay, bx, by float64
	}
	hover struct {
		every  int
		x, y   int
		device int    // index into the view's devices, or -1
		msg    uint64 // or 0
	}
	tip tooltip
}

// New makes a renderer; fonts and the atlas are prepared once here.
func New() *Renderer {
	r := &Renderer{SlowDown: 1, dpr: 1}
	r.Cam.Scale = 1
	r.hover.device = -1
	r.face = newFace(regular, 13)
	r.small = newFace(regular, 11)
	r.bold = newFace(bold, 15)
	r.at = newAtlas()
	r.triOp.Filter = ebiten.FilterLinear
	r.dashOp.Filter = ebiten.FilterLinear
	r.dashOp.Address = ebiten.AddressRepeat
	r.dashOp.DisableMipmaps = true
	r.textOp.DisableMipmaps = true
	r.blitOp.Blend = ebiten.BlendCopy
	for p := sim.Protocol(1); p < maxProto; p++ {
		r.protoNames[p] = p.String()
	}
	for m := sim.Medium(1); m < maxProto; m++ {
		r.mediumNames[m] = m.String()
		r.busCaption[m] = m.String() + " bus"
	}
	r.help = "drag to pan · wheel, pinch or +/− to zoom · F to fit · drag a device to move it · ? for keys"
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
		for _, f := range [...]*face{r.face, r.small, r.bold} {
			f.size = f.css * dpr
		}
		r.glyphs.reset = true // glyphs of the old size are of no more use
		r.tip.key = tipKey{}
		r.legendW = [maxProto]float64{}
		r.helpW, r.slowW = 0, 0
	}
	if float64(w) != r.Cam.W || float64(h) != r.Cam.H {
		// Keep the world point at the centre where it is, or, while the
		// camera frames the whole world as fitted, frame it again.
		r.Cam.W, r.Cam.H = float64(w), float64(h)
		if r.Cam.Fitted && r.show == nil {
			r.fitted = false
		}
	}
	return w, h
}

// Refit frames the world again on the next update, after a new scene.
func (r *Renderer) Refit() { r.fitted = false; r.show = nil; r.devices = 0; r.gen++; r.trail.Reset() }

// SetTheme draws the world in palette p from the next frame: the icons are
// drawn again and the cached layer and the legend redrawn.
func (r *Renderer) SetTheme(p *Palette) {
	if p == col {
		return
	}
	col = p
	r.at.img.Deallocate()
	r.at = newAtlas()
	r.cacheKey = 0
	r.bandKey = [3]float64{}
}

// Framed reports whether the camera frames this scene yet: a link made
// before the first update of a new scene must not carry the old one's
// view.
func (r *Renderer) Framed() bool { return r.fitted && r.show == nil && r.Cam.W > 0 }

// Show frames the part of the world of Camera.Rect on the next update,
// instead of the whole world: the view a share link carries.
func (r *Renderer) Show(cx, cy, w, h float64) { r.show = &[4]float64{cx, cy, w, h} }

// FitTo frames the whole world, its sides' frames and titles clear of the
// hints above and the legend below (see insets).
//
// The icons' size follows the scale (IconRadius) and the room the fit
// leaves follows the icons' size, so the fit is settled by a few rounds:
// a world fitted before its first frame and fitted again later (F) is
// framed alike, to the pixel.
func (r *Renderer) FitTo(v *sim.View) {
	b := v.Bounds
	rad := r.fitRad()
	for range 6 {
		l, t, rt, bt := r.insetsFor(rad, r.Cam.W, r.Cam.H)
		r.Cam.FitInside(float64(b.MinX), float64(b.MinY), float64(b.MaxX), float64(b.MaxY), l, t, rt, bt)
		next := IconRadius(r.Cam.Scale, r.dpr, r.visible)
		if math.Abs(next-rad) < 0.01 {
			break
		}
		rad = next
	}
	r.fitted = true
}

// showsWorld reports whether every device is on screen, icon and all,
// clear of the legend along the bottom.
func (r *Renderer) showsWorld(v *sim.View) bool {
	b := v.Bounds
	below := legendH * r.dpr / r.Cam.Scale // the legend, in world units
	return r.Cam.Shows(float64(b.MinX), float64(b.MinY), float64(b.MaxX), float64(b.MaxY)+below, r.rad+4*r.dpr)
}

// legendH is about how tall the legend along the bottom is, in CSS pixels.
const legendH = 26

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

func sideColour(side int) color.RGBA {
	switch side {
	case 0:
		return col.M2M
	case 1:
		return col.IoT
	}
	return col.Other
}

// pos is where device i of the view is on screen; a device being dragged
// follows the pointer.
func (r *Renderer) pos(v *sim.View, i int32) (float64, float64) {
	if i < 0 || int(i) >= len(v.Devices) {
		return math.NaN(), math.NaN()
	}
	if r.drag.active && r.drag.moved && r.drag.device == int(i) {
		return r.Cam.ToScreen(r.drag.wx, r.drag.wy)
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
// into a cached image, redrawn only when the camera, the layout or a
// device's state changes; every frame blits it and draws what moves on
// top: messages, busy rings, selection, the legend and the tooltip. A
// world of thousands of devices then costs per frame what is in flight.
func (r *Renderer) Draw(screen *ebiten.Image, v *sim.View) {
	r.rad = IconRadius(r.Cam.Scale, r.dpr, r.visible)
	r.trunks(v)
	b := screen.Bounds()
	if r.cache == nil || r.cache.Bounds() != b {
		if r.cache != nil {
			r.cache.Deallocate()
		}
		r.cache = ebiten.NewImage(b.Dx(), b.Dy())
		r.cacheKey = 0
	}
	r.startGlyphs()
	dragging := r.drag.active && r.drag.moved && r.drag.device >= 0
	if key := r.staticKey(v); key != r.cacheKey || dragging {
		r.visible = r.countVisible(v)
		r.rad = IconRadius(r.Cam.Scale, r.dpr, r.visible)
		r.drawStatic(r.cache, v)
		r.cacheKey = key
		if dragging {
			r.cacheKey = 0 // the dragged device moves without the key changing
		}
	}
	screen.DrawImage(r.cache, &r.blitOp)

	r.fg.reset()
	r.over.reset()
	r.top = r.top[:0]
	r.trail.Begin(r.updates)
	r.drawHop(v)
	for i := range v.Messages {
		r.drawMessage(v, &v.Messages[i])
	}
	r.drawLosses(v)
	for i := range v.Devices {
		r.drawDeviceState(v, int32(i))
	}
	r.drawOutage(v)
	r.drawTooltip(v)
	r.fg.draw(screen, r.at.img, &r.triOp)
	r.drawBand(screen)
	r.over.draw(screen, r.at.img, &r.triOp)
	r.texts(screen, r.top)
}

// drawStatic draws what stays still into dst.
func (r *Renderer) drawStatic(dst *ebiten.Image, v *sim.View) {
	dst.Fill(col.Background)
	r.bg.reset()
	r.dash.reset()
	r.fg.reset()
	r.plate.reset()
	r.world = r.world[:0]
	r.captions = r.captions[:0]
	r.clouds = r.clouds[:0]
	r.unplaced = r.unplaced[:0]
	r.placed.Reset()
	r.tried = 0
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
			r.placed.Add(Box{x - q, y - q, x + q, y + q})
		}
	}
	r.drawSides(v)
	for i := range v.Links {
		r.drawLink(v, &v.Links[i], r.trunk[i])
	}
	for i := range v.Devices {
		r.drawDevice(v, int32(i), labels)
	}
	for i := range r.clouds {
		r.drawCloud(&r.clouds[i])
	}
	for _, i := range r.unplaced {
		r.elsewhere(v, i)
	}
	// Links are named where no device's name already is.
	for i := range r.captions {
		r.place(r.captions[i], true, false)
	}
	r.drawHints()
	r.bg.draw(dst, r.at.img, &r.triOp)
	r.dash.draw(dst, r.at.dash, &r.dashOp)
	r.plate.draw(dst, r.at.img, &r.triOp)
	r.fg.draw(dst, r.at.img, &r.triOp)
	r.texts(dst, r.world)
}

// maxTried is the most device names tried in one drawing of the cached
// layer: the scene's own come first, and a crowd beyond this many is not
// read name by name (default 400).
const maxTried = 400

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

// lineHeight is how tall a name is at this DPR.
func (r *Renderer) lineHeight() float64 { return r.face.lineHeight() }

// place puts a label in the cached layer unless it would overlap an icon
// or a label placed before it (always places it anyway), so names never
// print over each other; with a plate,
// a dark backing keeps the links behind it from striking it through. It
// reports whether the label was placed.
func (r *Renderer) place(l label, plate, always bool) bool {
	w, h := l.face.measure(l.s), l.face.lineHeight()
	x0 := l.x
	switch l.align {
	case alignCenter:
		x0 -= w / 2
	case alignEnd:
		x0 -= w
	}
	pad := 2 * r.dpr
	b := Box{x0 - pad, l.y, x0 + w + pad, l.y + h}
	if !always && r.placed.Overlaps(b) {
		return false
	}
	r.placed.Add(b)
	r.world = append(r.world, l)
	if plate {
		r.plate.rect(float32(b.X0), float32(b.Y0), float32(b.X1-b.X0), float32(b.Y1-b.Y0), colourOf(col.Background, 0.72))
	}
	return true
}

// staticKey sums up everything drawStatic depends on: the camera, the
// scene, and each device's and link's place and lasting state. Busy and
// messages are left out: they are drawn every frame.
func (r *Renderer) staticKey(v *sim.View) uint64 {
	h := uint64(14695981039346656037)
	mix := func(x uint64) {
		h ^= x
		h *= 1099511628211
	}
	for _, f := range [...]float64{r.Cam.CX, r.Cam.CY, r.Cam.Scale, r.Cam.W, r.Cam.H, r.dpr} {
		mix(math.Float64bits(f))
	}
	mix(r.gen)
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

// drawSides tints the area of each side and names it, so the M2M and IoT
// halves are told apart at a glance.
func (r *Renderer) drawSides(v *sim.View) {
	n := min(len(v.Sides), len(r.minX))
	for s := 0; s < n; s++ {
		r.minX[s], r.minY[s], r.maxX[s], r.maxY[s] = 1e30, 1e30, -1e30, -1e30
	}
	for i := range v.Devices {
		d := &v.Devices[i]
		if d.Side < 0 || d.Side >= n {
			continue
		}
		s := d.Side
		r.minX[s], r.maxX[s] = min(r.minX[s], d.X), max(r.maxX[s], d.X)
		r.minY[s], r.maxY[s] = min(r.minY[s], d.Y), max(r.maxY[s], d.Y)
	}
	pad := r.sidePad(r.rad)
	for s := 0; s < n; s++ {
		if r.maxX[s] < r.minX[s] {
			continue
		}
		x0, y0 := r.Cam.ToScreen(float64(r.minX[s]), float64(r.minY[s]))
		x1, y1 := r.Cam.ToScreen(float64(r.maxX[s]), float64(r.maxY[s]))
		x0, y0, x1, y1 = x0-pad, y0-pad-sideTitleH*r.dpr, x1+pad, y1+pad
		c := sideColour(s)
		r.bg.rect(float32(x0), float32(y0), float32(x1-x0), float32(y1-y0), colourOf(c, 0.06))
		r.bg.frame(float32(x0), float32(y0), float32(x1-x0), float32(y1-y0), float32(r.dpr), colourOf(c, 0.35))
		title := v.Sides[s]
		if s < len(r.Titles) && r.Titles[s] != "" {
			title = r.Titles[s]
		}
		r.place(label{title, x0 + 10*r.dpr, y0 + 8*r.dpr, r.bold, c, alignStart}, false, true)
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
		r.placed.Add(Box{minX, ty - 3*r.dpr, maxX, ty + 3*r.dpr}) // no name over the trunk
		for _, m := range l.Members {
			x, y := r.pos(v, m)
			r.segment(&r.bg, x, y, x, ty, w, c, 0)
		}
		r.caption(r.busCaption[l.Medium%maxProto], minX, ty-16*r.dpr, c)
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
		r.clouds = append(r.clouds, netCloud{hx: hx, hy: hy, x: mx, y: my, s: s, above: above, c: c, up: l.Up, medium: l.Medium})
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
		free = !r.placed.Overlaps(b)
		if free {
			r.placed.Add(b)
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
	r.caption(r.mediumNames[k.medium%maxProto], x+1.4*k.s, y-6*r.dpr, k.c) // just clear of the puffs
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
	r.captions = append(r.captions, label{s, x, y, r.small, color.RGBA{uint8(c.R * 255), uint8(c.G * 255), uint8(c.B * 255), 0xff}, alignStart})
}

// messagePos is where a message in flight is on screen.
// On a bus it travels along the trunk (as of the last frame drawn).
func (r *Renderer) messagePos(v *sim.View, m *sim.MessageView) (float64, float64) {
	x0, y0 := r.pos(v, m.From)
	x1, y1 := r.pos(v, m.To)
	if m.Link >= 0 && int(m.Link) < len(r.trunk) && !math.IsNaN(r.trunk[m.Link]) && !r.ReducedMotion {
		return AlongBus(x0, y0, x1, y1, r.trunk[m.Link], float64(m.Progress))
	}
	return Lerp(x0, y0, x1, y1, float64(m.Progress), r.ReducedMotion)
}

// EachText calls f with every text written in the cached layer (names,
// titles, captions) and where it is anchored on screen, in device pixels:
// what tests see of the labels.
func (r *Renderer) EachText(f func(s string, x, y float64)) {
	for i := range r.world {
		f(r.world[i].s, r.world[i].x, r.world[i].y)
	}
}

// EachTextBox calls f with every text written on the canvas, the names in
// the world and the legend's, with the box it takes on screen, in device
// pixels, and its colour: what a test of contrast reads the pixels of.
func (r *Renderer) EachTextBox(f func(s string, x0, y0, x1, y1 float64, c color.RGBA)) {
	box := func(l *label, dy float64) {
		w, h := l.face.measure(l.s), l.face.lineHeight()
		x0 := l.x
		switch l.align {
		case alignCenter:
			x0 -= w / 2
		case alignEnd:
			x0 -= w
		}
		f(l.s, x0, l.y+dy, x0+w, l.y+dy+h, l.c)
	}
	for i := range r.world {
		box(&r.world[i], 0)
	}
	if r.band != nil {
		for i := range r.bandL {
			box(&r.bandL[i], r.Cam.H-float64(r.band.Bounds().Dy()))
		}
	}
}

// EachMessage calls f with every message drawn in flight and where it is
// drawn on screen, in device pixels: what tests see of the motion.
func (r *Renderer) EachMessage(v *sim.View, f func(id uint64, x, y float64)) {
	for i := range v.Messages {
		m := &v.Messages[i]
		if m.Lost || (m.Progress == 0 && m.ID != r.SelectedMsg) {
			continue
		}
		x, y := r.messagePos(v, m)
		f(m.ID, x, y)
	}
}

func (r *Renderer) drawMessage(v *sim.View, m *sim.MessageView) {
	x, y := r.messagePos(v, m)
	if !r.onScreen(x, y, 12*r.dpr) {
		return
	}
	fx, fy := float32(x), float32(y)
	rad := float32(4.5 * r.dpr)
	if m.Progress == 0 && !m.Lost && m.ID != r.SelectedMsg {
		return // waiting for its medium, under its sender
	}
	r.trail.Add(m.ID, x, y) // drawn: a click on it picks it
	if m.Lost && m.Progress > 0.5 {
		r.fg.cross(fx, fy, float32(5*r.dpr), colourOf(col.Bad, 1))
		return
	}
	c := col.Protocols[m.Protocol%maxProto]
	ok := c.A != 0
	if !ok {
		c = col.Text
	}
	r.fg.disc(fx, fy, rad+2.5*float32(r.dpr), colourOf(c, 0.25))
	r.fg.disc(fx, fy, rad, colourOf(c, 1))
	if m.ID == r.SelectedMsg {
		r.fg.ring(fx, fy, rad+5*float32(r.dpr), colourOf(col.Ring, 1))
	} else if m.ID == r.hover.msg {
		r.fg.ring(fx, fy, rad+5*float32(r.dpr), colourOf(col.Ring, 0.5))
	}
}

func (r *Renderer) drawDevice(v *sim.View, i int32, labels bool) {
	d := &v.Devices[i]
	x, y := r.pos(v, i)
	rad := r.rad
	if !r.onScreen(x, y, rad*1.6) {
		return
	}
	fx, fy, fr := float32(x), float32(y), float32(rad)
	s := min(max(d.Side, 0), 2)
	if d.Kind == sim.KindActuator && d.On {
		r.fg.disc(fx, fy, fr*1.35, colourOf(col.On, 0.3))
	}
	tint := rgba{1, 1, 1, 1}
	if !d.Powered {
		t := col.OffTint
		tint = rgba{t[0], t[1], t[2], t[3]}
	} else if !d.Online {
		t := col.OfflineTint
		tint = rgba{t[0], t[1], t[2], t[3]}
	}
	h := fr * cell / 2 / iconR
	r.fg.sprite(iconRect(d.Kind, s), fx, fy, h, h, tint)
	if d.Refused {
		r.fg.ring(fx, fy, fr*1.3, colourOf(col.Bad, 1))
	}
	if d.Real {
		// A real board: a white frame, unlike anything simulated.
		q := fr * 1.3
		r.fg.frame(fx-q, fy-q, 2*q, 2*q, 2*float32(r.dpr), colourOf(col.Text, 1))
	}
	// A name someone gave a device is written wherever there is room for
	// it; a crowd's ids only when ShowLabels says icons and room allow.
	if (!labels && d.Label == d.ID) || r.tried >= maxTried {
		return
	}
	r.tried++
	c := col.Text
	if !d.Powered {
		c = col.Off
	}
	// Under the icon; a given name that has no room there is tried
	// elsewhere once the networks' clouds are placed (see elsewhere).
	if !r.place(label{d.Label, x, y + rad + 3*r.dpr, r.face, c, alignCenter}, true, false) && d.Label != d.ID {
		r.unplaced = append(r.unplaced, i)
	}
}

// elsewhere writes the given name of device i, which had no room under its
// icon, where there is room: above the icon, right of it, or left of it.
func (r *Renderer) elsewhere(v *sim.View, i int32) {
	d := &v.Devices[i]
	x, y := r.pos(v, i)
	c := col.Text
	if !d.Powered {
		c = col.Off
	}
	rad, lh, gap := r.rad, r.lineHeight(), 4*r.dpr
	_ = r.place(label{d.Label, x, y - rad - 2*r.dpr - lh, r.face, c, alignCenter}, true, false) ||
		r.place(label{d.Label, x + rad + gap, y - lh/2, r.face, c, alignStart}, true, false) ||
		r.place(label{d.Label, x - rad - gap, y - lh/2, r.face, c, alignEnd}, true, false)
}

// loss is a lost packet's mark: it stays where the packet died for a
// moment after the message is gone, so a loss is seen and not only counted.
type loss struct {
	id     uint64
	wx, wy float64 // world position
	age    int     // frames since the message left the view
	live   bool
}

// lossFrames is how many frames a loss mark takes to fade.
const lossFrames = 50

func (r *Renderer) drawLosses(v *sim.View) {
	for i := range r.losses {
		r.losses[i].live = false
	}
	for i := range v.Messages {
		m := &v.Messages[i]
		if !m.Lost || m.Progress <= 0.5 {
			continue
		}
		x, y := r.messagePos(v, m)
		wx, wy := r.Cam.ToWorld(x, y)
		slot := 0
		for k := range r.losses {
			if r.losses[k].id == m.ID {
				slot = k
				break
			}
			if r.losses[k].id == 0 || r.losses[k].age > r.losses[slot].age {
				slot = k
			}
		}
		r.losses[slot] = loss{id: m.ID, wx: wx, wy: wy, live: true}
	}
	for i := range r.losses {
		l := &r.losses[i]
		if l.id == 0 || l.live {
			continue
		}
		l.age++
		if l.age > lossFrames {
			l.id = 0
			continue
		}
		x, y := r.Cam.ToScreen(l.wx, l.wy)
		if !r.onScreen(x, y, 20*r.dpr) {
			continue
		}
		fade := 1 - float32(l.age)/lossFrames
		r.fg.cross(float32(x), float32(y), float32(5*r.dpr), colourOf(col.Bad, fade))
		if !r.ReducedMotion {
			r.fg.ring(float32(x), float32(y), float32((6+float64(l.age)*0.4)*r.dpr), colourOf(col.Bad, fade*0.6))
		}
	}
}

// drawOutage names a cut network at the top of the canvas: an outage is
// an event on screen, not only a number in the panel.
func (r *Renderer) drawOutage(v *sim.View) {
	cut := ""
	for i := range v.Links {
		l := &v.Links[i]
		if !l.Up && (l.Medium == sim.MediumInternet || l.Medium == sim.MediumCellular) {
			cut = r.mediumNames[l.Medium%maxProto]
			break
		}
	}
	if cut == "" {
		return
	}
	if !strings.HasPrefix(r.outage, cut+" ") {
		r.outage = cut + " cut: whatever needs the cloud waits or is lost"
	}
	r.top = append(r.top, label{r.outage, r.Cam.W / 2, 30 * r.dpr, r.bold, col.Bad, alignCenter})
}

// drawDeviceState marks what changes from frame to frame on a device:
// transmitting, selected, under the pointer.
func (r *Renderer) drawDeviceState(v *sim.View, i int32) {
	d := &v.Devices[i]
	sel, hov := d.ID == r.Selected, int(i) == r.hover.device
	if !d.Busy && !sel && !hov {
		return
	}
	x, y := r.pos(v, i)
	if !r.onScreen(x, y, r.rad*1.6) {
		return
	}
	fx, fy, fr := float32(x), float32(y), float32(r.rad)
	if d.Busy {
		r.fg.ring(fx, fy, fr*1.25, colourOf(sideColour(min(max(d.Side, 0), 2)), 0.8))
	}
	switch {
	case sel:
		// The focus ring: the palette's ring between two bands of the
		// ground, so it shows on a side's tint, a link and a cloud alike.
		w := float32(r.dpr)
		r.fg.ring(fx, fy, fr*1.5+3*w, colourOf(col.Background, 0.9))
		r.fg.ring(fx, fy, fr*1.5+1.5*w, colourOf(col.Ring, 1))
		r.fg.ring(fx, fy, fr*1.5, colourOf(col.Ring, 1))
	case hov:
		r.fg.ring(fx, fy, fr*1.5, colourOf(col.Ring, 0.4))
	}
}

// legendEntries is how many entries the legend has: the protocols, then
// the lost mark.
const legendEntries = int(sim.ProtoLoRaWAN-sim.ProtoModbusRTU) + 2

// legendEntry is the legend's i-th entry: its colour and name, and its
// width with the gap after it.
func (r *Renderer) legendEntry(i int) (c rgba, name string, w float64, lost bool) {
	d := r.dpr
	if i == legendEntries-1 {
		return colourOf(col.Bad, 1), "lost", 50 * d, true
	}
	p := sim.ProtoModbusRTU + sim.Protocol(i)
	if r.legendW[p%maxProto] == 0 {
		r.legendW[p%maxProto] = r.small.measure(r.protoNames[p%maxProto])
	}
	return colourOf(col.Protocols[p%maxProto], 1), r.protoNames[p%maxProto], r.legendW[p%maxProto] + 26*d, false
}

// bandLayout is how many rows the legend takes on this canvas, where its
// last row ends, and whether the time caption fits after it.
func (r *Renderer) bandLayout() (rows int, end float64, slowFits bool) {
	d := r.dpr
	rows, x := 1, 14*d
	for i := range legendEntries {
		_, _, w, _ := r.legendEntry(i)
		if x+w > r.Cam.W-8*d && x > 14*d {
			rows, x = rows+1, 14*d
		}
		x += w
	}
	if r.SlowDown > 0 {
		s := slowCaption(r.SlowDown)
		if r.slowW == 0 || r.slowS != s {
			r.slowS = s
			r.slowW = r.small.measure(s)
		}
	}
	return rows, x, r.SlowDown > 0 && x+r.slowW < r.Cam.W-8*d
}

// drawBand draws the legend along the bottom: the protocol colours, the
// lost mark and the time scale, in a second row on a narrow canvas. It is
// drawn into its own image when the canvas or the time scale changes.
func (r *Renderer) drawBand(screen *ebiten.Image) {
	d := r.dpr
	rows, _, slowFits := r.bandLayout()
	rowH := 20 * d
	h := rowH*float64(rows) + 6*d
	if key := [3]float64{r.Cam.W, r.dpr, r.SlowDown}; r.band == nil || key != r.bandKey || r.band.Bounds().Dy() != int(math.Ceil(h)) {
		r.bandKey = key
		if r.band != nil {
			r.band.Deallocate()
		}
		r.band = ebiten.NewImage(max(1, int(r.Cam.W)), int(math.Ceil(h)))
		r.bandB.reset()
		r.bandL = r.bandL[:0]
		r.bandB.rect(0, 0, float32(r.Cam.W), float32(h), colourOf(col.Background, 0.85))
		x, y := 14*d, 3*d
		for i := range legendEntries {
			c, name, w, lost := r.legendEntry(i)
			if x+w > r.Cam.W-8*d && x > 14*d {
				x, y = 14*d, y+rowH
			}
			cy := float32(y + 10*d)
			if lost {
				r.bandB.cross(float32(x+5*d), cy, float32(4.5*d), c)
			} else {
				r.bandB.disc(float32(x+5*d), cy, float32(4.5*d), c)
			}
			r.bandL = append(r.bandL, label{name, x + 13*d, y + 3*d, r.small, col.Muted, alignStart})
			x += w
		}
		if slowFits {
			r.bandL = append(r.bandL, label{r.slowS, x, y + 3*d, r.small, col.Muted, alignStart})
		}
		r.bandB.draw(r.band, r.at.img, &r.triOp)
		r.texts(r.band, r.bandL)
	}
	r.bandOp.GeoM.Reset()
	r.bandOp.GeoM.Translate(0, r.Cam.H-h)
	screen.DrawImage(r.band, &r.bandOp)
}

// drawHints puts the controls hint at the top right of the cached layer,
// and the time scale at the top left when the legend has no room for it.
func (r *Renderer) drawHints() {
	d := r.dpr
	_, _, slowFits := r.bandLayout()
	if r.SlowDown > 0 && !slowFits {
		r.world = append(r.world, label{r.slowS, 12 * d, 8 * d, r.small, col.Muted, alignStart})
	}
	if r.helpW == 0 {
		r.helpW = r.small.measure(r.help)
	}
	if r.Cam.W > r.helpW+r.slowW+60*d {
		r.world = append(r.world, label{r.help, r.Cam.W - 12*d, 8 * d, r.small, col.Muted, alignEnd})
	}
}
