//go:build js && wasm

package render

import (
	"bytes"
	"image/color"
	"math"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/inpututil"
	"github.com/hajimehoshi/ebiten/v2/text/v2"
	"github.com/hajimehoshi/ebiten/v2/vector"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/thingyard/thingyard/sim"
)

// Colours of the two halves of a scene and of the page.
var (
	colBackground = color.RGBA{0x0f, 0x14, 0x1c, 0xff}
	colM2M        = color.RGBA{0xf2, 0xa9, 0x3b, 0xff}
	colIoT        = color.RGBA{0x4f, 0xc3, 0xf7, 0xff}
	colOther      = color.RGBA{0xb3, 0x9d, 0xdb, 0xff}
	colText       = color.RGBA{0xe6, 0xed, 0xf5, 0xff}
	colMuted      = color.RGBA{0x8f, 0xa3, 0xbf, 0xff}
	colBad        = color.RGBA{0xff, 0x6b, 0x6b, 0xff}
	colOff        = color.RGBA{0x55, 0x5f, 0x6d, 0xff}
	colSelect     = color.RGBA{0xff, 0xff, 0xff, 0xff}
)

// ProtocolColours colour messages by protocol; the legend shows them.
var ProtocolColours = map[sim.Protocol]color.RGBA{
	sim.ProtoModbusRTU: {0xf2, 0xa9, 0x3b, 0xff},
	sim.ProtoCAN:       {0xff, 0x7a, 0x59, 0xff},
	sim.ProtoMQTT:      {0x4f, 0xc3, 0xf7, 0xff},
	sim.ProtoCoAP:      {0x7e, 0xd3, 0x8f, 0xff},
	sim.ProtoHTTP:      {0xc5, 0x8a, 0xf9, 0xff},
	sim.ProtoZigbee:    {0xff, 0xe0, 0x66, 0xff},
	sim.ProtoBLE:       {0x6f, 0x9c, 0xff, 0xff},
	sim.ProtoLoRaWAN:   {0xd7, 0xb4, 0x8f, 0xff},
}

// iconPx is the size icons are drawn at once, before scaling.
const iconPx = 96

// Renderer draws a world view and turns pointer input into selections and
// actions.
type Renderer struct {
	Cam Camera
	// Titles name the sides ("M2M: factory cell"), by side index.
	Titles []string
	// SlowDown is how much slower than real time the world runs, for the
	// caption; 1 is real time.
	SlowDown float64
	// ReducedMotion makes messages jump to their end instead of gliding.
	ReducedMotion bool
	// Selected is the id of the selected device, or "".
	Selected string
	// SelectedMsg is the id of the selected message, or 0.
	SelectedMsg uint64

	dpr    float64
	fitted bool
	icons  [8][3]*ebiten.Image // kind × side colour
	face   *text.GoTextFace
	bold   *text.GoTextFace
	small  *text.GoTextFace

	drag struct {
		active, moved bool
		device        int // index into the view's devices, or -1 for panning
		x, y          int
		wx, wy        float64
	}
	xs, ys  []float32
	minX    [4]float32
	minY    [4]float32
	maxX    [4]float32
	maxY    [4]float32
	path    vector.Path
	pending []sim.Action
}

// New makes a renderer; fonts and icons are prepared once here.
func New() *Renderer {
	r := &Renderer{SlowDown: 1, dpr: 1}
	r.Cam.Scale = 1
	reg, err := text.NewGoTextFaceSource(bytes.NewReader(goregular.TTF))
	if err != nil {
		panic(err)
	}
	bold, err := text.NewGoTextFaceSource(bytes.NewReader(gobold.TTF))
	if err != nil {
		panic(err)
	}
	r.face = &text.GoTextFace{Source: reg, Size: 13}
	r.small = &text.GoTextFace{Source: reg, Size: 11}
	r.bold = &text.GoTextFace{Source: bold, Size: 15}
	for k := range r.icons {
		for s, c := range []color.RGBA{colM2M, colIoT, colOther} {
			r.icons[k][s] = drawIcon(sim.Kind(k), c)
		}
	}
	return r
}

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
		r.face.Size, r.small.Size, r.bold.Size = 13*dpr, 11*dpr, 15*dpr
	}
	r.Cam.W, r.Cam.H = float64(w), float64(h)
	return w, h
}

// Refit frames the world again on the next update, after a new scene.
func (r *Renderer) Refit() { r.fitted = false }

// FitTo frames the whole world.
func (r *Renderer) FitTo(v *sim.View) {
	b := v.Bounds
	r.Cam.Fit(float64(b.MinX), float64(b.MinY), float64(b.MaxX), float64(b.MaxY), 90*r.dpr)
	r.fitted = true
}

// Update handles input: drag empty space to pan, wheel or +/- to zoom, F to
// fit, click to select, drag a device to move it. It returns the actions the
// person made (moves), which the caller applies to the world.
func (r *Renderer) Update(v *sim.View) []sim.Action {
	r.pending = r.pending[:0]
	if !r.fitted && len(v.Devices) > 0 && r.Cam.W > 0 {
		r.FitTo(v)
	}
	cx, cy := ebiten.CursorPosition()
	if _, wy := ebiten.Wheel(); wy != 0 {
		r.Cam.ZoomAt(float64(cx), float64(cy), math.Pow(1.15, wy))
	}
	if inpututil.IsKeyJustPressed(ebiten.KeyEqual) || inpututil.IsKeyJustPressed(ebiten.KeyKPAdd) {
		r.Cam.ZoomAt(r.Cam.W/2, r.Cam.H/2, 1.25)
	}
	if inpututil.IsKeyJustPressed(ebiten.KeyMinus) || inpututil.IsKeyJustPressed(ebiten.KeyKPSubtract) {
		r.Cam.ZoomAt(r.Cam.W/2, r.Cam.H/2, 0.8)
	}
	if inpututil.IsKeyJustPressed(ebiten.KeyF) {
		r.FitTo(v)
	}
	px, py, pressed, justPressed, justReleased := cx, cy, ebiten.IsMouseButtonPressed(ebiten.MouseButtonLeft),
		inpututil.IsMouseButtonJustPressed(ebiten.MouseButtonLeft), inpututil.IsMouseButtonJustReleased(ebiten.MouseButtonLeft)
	if ids := inpututil.AppendJustPressedTouchIDs(nil); len(ids) > 0 {
		px, py = ebiten.TouchPosition(ids[0])
		justPressed, pressed = true, true
	} else if ids := ebiten.AppendTouchIDs(nil); len(ids) > 0 {
		px, py = ebiten.TouchPosition(ids[0])
		pressed = true
	}
	if justPressed {
		r.drag.active, r.drag.moved = true, false
		r.drag.x, r.drag.y = px, py
		r.drag.device = r.pick(v, px, py)
	}
	if r.drag.active && pressed {
		dx, dy := px-r.drag.x, py-r.drag.y
		if dx*dx+dy*dy > 16 {
			r.drag.moved = true
		}
		if r.drag.moved {
			if r.drag.device >= 0 {
				r.drag.wx, r.drag.wy = r.Cam.ToWorld(float64(px), float64(py))
			} else {
				r.Cam.Pan(float64(dx), float64(dy))
				r.drag.x, r.drag.y = px, py
			}
		}
	}
	if r.drag.active && (justReleased || !pressed) {
		r.drag.active = false
		switch {
		case r.drag.moved && r.drag.device >= 0 && r.drag.device < len(v.Devices):
			d := &v.Devices[r.drag.device]
			r.pending = append(r.pending, sim.Action{Kind: sim.ActMove, Device: d.ID,
				X: int32(math.Round(r.drag.wx)), Y: int32(math.Round(r.drag.wy))})
		case !r.drag.moved:
			r.Selected, r.SelectedMsg = "", 0
			if m := r.pickMessage(v, r.drag.x, r.drag.y); m != 0 {
				r.SelectedMsg = m
			} else if r.drag.device >= 0 && r.drag.device < len(v.Devices) {
				r.Selected = v.Devices[r.drag.device].ID
			}
		}
	}
	return r.pending
}

// pick is the device under a screen point, or -1.
func (r *Renderer) pick(v *sim.View, sx, sy int) int {
	wx, wy := r.Cam.ToWorld(float64(sx), float64(sy))
	r.xs, r.ys = r.xs[:0], r.ys[:0]
	for i := range v.Devices {
		r.xs = append(r.xs, v.Devices[i].X)
		r.ys = append(r.ys, v.Devices[i].Y)
	}
	return Nearest(r.xs, r.ys, wx, wy, r.iconRadius()/r.Cam.Scale*1.2)
}

func (r *Renderer) pickMessage(v *sim.View, sx, sy int) uint64 {
	best, bestD := uint64(0), 10*r.dpr*10*r.dpr
	for i := range v.Messages {
		x, y := r.messagePos(v, &v.Messages[i])
		dx, dy := x-float64(sx), y-float64(sy)
		if d := dx*dx + dy*dy; d < bestD {
			best, bestD = v.Messages[i].ID, d
		}
	}
	return best
}

// iconRadius is a device's radius on screen: it grows with zoom but stays
// readable when zoomed out and modest when zoomed in.
func (r *Renderer) iconRadius() float64 {
	return clamp(18*r.Cam.Scale, 4*r.dpr, 30*r.dpr)
}

func sideColour(side int) color.RGBA {
	switch side {
	case 0:
		return colM2M
	case 1:
		return colIoT
	}
	return colOther
}

func dim(c color.RGBA, a uint8) color.RGBA {
	return color.RGBA{uint8(uint16(c.R) * uint16(a) / 255), uint8(uint16(c.G) * uint16(a) / 255), uint8(uint16(c.B) * uint16(a) / 255), a}
}

// position of device i of the view on screen.
func (r *Renderer) pos(v *sim.View, i int32) (float64, float64) {
	if i < 0 || int(i) >= len(v.Devices) {
		return -1e6, -1e6
	}
	d := &v.Devices[i]
	if r.drag.active && r.drag.moved && r.drag.device == int(i) {
		return r.Cam.ToScreen(r.drag.wx, r.drag.wy)
	}
	return r.Cam.ToScreen(float64(d.X), float64(d.Y))
}

// Draw draws the view. It only reads v.
func (r *Renderer) Draw(screen *ebiten.Image, v *sim.View) {
	screen.Fill(colBackground)
	r.drawSides(screen, v)
	for i := range v.Links {
		r.drawLink(screen, v, &v.Links[i])
	}
	for i := range v.Messages {
		r.drawMessage(screen, v, &v.Messages[i])
	}
	rad := r.iconRadius()
	// Labels only where they can be read: not in a crowd of added devices.
	labels := rad >= 9*r.dpr && (len(v.Devices) <= 60 || rad >= 24*r.dpr)
	for i := range v.Devices {
		r.drawDevice(screen, v, int32(i), rad, labels)
	}
	r.drawLegend(screen)
}

// drawSides tints the area of each side and names it, so the M2M and IoT
// halves are told apart at a glance.
func (r *Renderer) drawSides(screen *ebiten.Image, v *sim.View) {
	n := min(len(v.Sides), len(r.minX))
	for s := 0; s < n; s++ {
		r.minX[s], r.minY[s], r.maxX[s], r.maxY[s] = 1e30, 1e30, -1e30, -1e30
	}
	for i := range v.Devices {
		d := &v.Devices[i]
		if d.Side >= n {
			continue
		}
		s := d.Side
		r.minX[s], r.maxX[s] = min(r.minX[s], d.X), max(r.maxX[s], d.X)
		r.minY[s], r.maxY[s] = min(r.minY[s], d.Y), max(r.maxY[s], d.Y)
	}
	pad := 50 * r.dpr
	for s := 0; s < n; s++ {
		if r.maxX[s] < r.minX[s] {
			continue
		}
		x0, y0 := r.Cam.ToScreen(float64(r.minX[s]), float64(r.minY[s]))
		x1, y1 := r.Cam.ToScreen(float64(r.maxX[s]), float64(r.maxY[s]))
		x0, y0, x1, y1 = x0-pad, y0-pad-16*r.dpr, x1+pad, y1+pad
		c := sideColour(s)
		vector.FillRect(screen, float32(x0), float32(y0), float32(x1-x0), float32(y1-y0), color.RGBA{c.R / 14, c.G / 14, c.B / 14, 40}, false)
		vector.StrokeRect(screen, float32(x0), float32(y0), float32(x1-x0), float32(y1-y0), float32(1*r.dpr), dim(c, 90), true)
		title := v.Sides[s]
		if s < len(r.Titles) && r.Titles[s] != "" {
			title = r.Titles[s]
		}
		op := &text.DrawOptions{}
		op.GeoM.Translate(x0+10*r.dpr, y0+8*r.dpr)
		op.ColorScale.ScaleWithColor(c)
		text.Draw(screen, title, r.bold, op)
	}
}

func (r *Renderer) linkColour(v *sim.View, l *sim.LinkView) color.RGBA {
	if !l.Up {
		return colBad
	}
	side := 0
	if len(l.Members) > 0 && l.Members[0] >= 0 && int(l.Members[0]) < len(v.Devices) {
		side = v.Devices[l.Members[0]].Side
	}
	return dim(sideColour(side), 150)
}

func (r *Renderer) drawLink(screen *ebiten.Image, v *sim.View, l *sim.LinkView) {
	if len(l.Members) < 2 {
		return
	}
	c := r.linkColour(v, l)
	w := float32(1.5 * r.dpr)
	hx, hy := r.pos(v, l.Members[0])
	switch l.Medium {
	case sim.MediumRS485, sim.MediumCAN:
		// A bus: one trunk with a tap to every drop.
		minX, maxX, sumY := hx, hx, 0.0
		for _, m := range l.Members[1:] {
			x, y := r.pos(v, m)
			minX, maxX, sumY = math.Min(minX, x), math.Max(maxX, x), sumY+y
		}
		ty := (hy + sumY/float64(len(l.Members)-1)) / 2
		vector.StrokeLine(screen, float32(minX), float32(ty), float32(maxX), float32(ty), 4*float32(r.dpr), c, true)
		for _, m := range l.Members {
			x, y := r.pos(v, m)
			vector.StrokeLine(screen, float32(x), float32(y), float32(x), float32(ty), w, c, true)
		}
		r.caption(screen, l.Medium.String()+" bus", minX, ty-14*r.dpr, c)
	case sim.MediumZigbee, sim.MediumBLE, sim.MediumLoRaWAN, sim.MediumWiFi:
		for _, m := range l.Members[1:] {
			x, y := r.pos(v, m)
			r.dashed(screen, hx, hy, x, y, 4*r.dpr, 5*r.dpr, w, c)
		}
		rad := float32(r.iconRadius() * 1.6)
		vector.StrokeCircle(screen, float32(hx), float32(hy), rad, w, dim(c, 70), true)
		vector.StrokeCircle(screen, float32(hx), float32(hy), rad*1.35, w, dim(c, 40), true)
	case sim.MediumInternet, sim.MediumCellular:
		// One cloud for the network, between the hub and its members.
		var sx, sy float64
		for _, m := range l.Members[1:] {
			x, y := r.pos(v, m)
			sx, sy = sx+x, sy+y
			r.dashed(screen, hx, hy, x, y, 9*r.dpr, 5*r.dpr, 2*float32(r.dpr), c)
		}
		n := float64(len(l.Members) - 1)
		mx, my := (hx+sx/n)/2, (hy+sy/n)/2
		r.cloud(screen, mx, my, 14*r.dpr, c, !l.Up)
		r.caption(screen, l.Medium.String(), mx+20*r.dpr, my-6*r.dpr, c)
	default: // a wire: RS-232, Ethernet
		for _, m := range l.Members[1:] {
			x, y := r.pos(v, m)
			vector.StrokeLine(screen, float32(hx), float32(hy), float32(x), float32(y), 2*float32(r.dpr), c, true)
		}
	}
	if !l.Up && l.Medium != sim.MediumInternet && l.Medium != sim.MediumCellular {
		x, y := r.pos(v, l.Members[1])
		r.cross(screen, (hx+x)/2, (hy+y)/2, 8*r.dpr, colBad)
	}
}

func (r *Renderer) caption(screen *ebiten.Image, s string, x, y float64, c color.RGBA) {
	if r.iconRadius() < 9*r.dpr {
		return
	}
	op := &text.DrawOptions{}
	op.GeoM.Translate(x, y)
	op.ColorScale.ScaleWithColor(c)
	text.Draw(screen, s, r.small, op)
}

func (r *Renderer) dashed(screen *ebiten.Image, x0, y0, x1, y1, on, off float64, w float32, c color.RGBA) {
	dx, dy := x1-x0, y1-y0
	l := math.Hypot(dx, dy)
	if l < 1 {
		return
	}
	if l > 4*(r.Cam.W+r.Cam.H) || math.IsNaN(l) {
		// Mostly off screen: one line, not thousands of dashes.
		vector.StrokeLine(screen, float32(x0), float32(y0), float32(x1), float32(y1), w, dim(c, 120), true)
		return
	}
	ux, uy := dx/l, dy/l
	for t := 0.0; t < l; t += on + off {
		e := math.Min(t+on, l)
		vector.StrokeLine(screen, float32(x0+ux*t), float32(y0+uy*t), float32(x0+ux*e), float32(y0+uy*e), w, c, true)
	}
}

func (r *Renderer) cross(screen *ebiten.Image, x, y, s float64, c color.RGBA) {
	w := float32(3 * r.dpr)
	vector.StrokeLine(screen, float32(x-s), float32(y-s), float32(x+s), float32(y+s), w, c, true)
	vector.StrokeLine(screen, float32(x-s), float32(y+s), float32(x+s), float32(y-s), w, c, true)
}

// cloud draws the internet as a cloud of three puffs.
func (r *Renderer) cloud(screen *ebiten.Image, x, y, s float64, c color.RGBA, cut bool) {
	fill := color.RGBA{0x1b, 0x24, 0x33, 0xff}
	for _, p := range [][3]float64{{-0.7, 0.15, 0.6}, {0, -0.2, 0.8}, {0.75, 0.15, 0.6}} {
		vector.FillCircle(screen, float32(x+p[0]*s), float32(y+p[1]*s), float32(p[2]*s), fill, true)
		vector.StrokeCircle(screen, float32(x+p[0]*s), float32(y+p[1]*s), float32(p[2]*s), float32(1.5*r.dpr), c, true)
	}
	vector.FillRect(screen, float32(x-0.7*s), float32(y), float32(1.45*s), float32(0.5*s), fill, false)
	if cut {
		r.cross(screen, x, y, s*0.6, colBad)
	}
}

// messagePos is where a message in flight is on screen.
func (r *Renderer) messagePos(v *sim.View, m *sim.MessageView) (float64, float64) {
	x0, y0 := r.pos(v, m.From)
	x1, y1 := r.pos(v, m.To)
	p := float64(m.Progress)
	if r.ReducedMotion {
		p = math.Round(p)
	}
	return x0 + (x1-x0)*p, y0 + (y1-y0)*p
}

func (r *Renderer) drawMessage(screen *ebiten.Image, v *sim.View, m *sim.MessageView) {
	x, y := r.messagePos(v, m)
	rad := float32(4.5 * r.dpr)
	if x < -10 || y < -10 || x > r.Cam.W+10 || y > r.Cam.H+10 {
		return
	}
	if m.Lost && m.Progress > 0.5 {
		r.cross(screen, x, y, 5*r.dpr, colBad)
		return
	}
	c, ok := ProtocolColours[m.Protocol]
	if !ok {
		c = colText
	}
	vector.FillCircle(screen, float32(x), float32(y), rad+2*float32(r.dpr), dim(c, 60), true)
	vector.FillCircle(screen, float32(x), float32(y), rad, c, true)
	if m.ID == r.SelectedMsg {
		vector.StrokeCircle(screen, float32(x), float32(y), rad+5*float32(r.dpr), 2*float32(r.dpr), colSelect, true)
	}
}

func (r *Renderer) drawDevice(screen *ebiten.Image, v *sim.View, i int32, rad float64, labels bool) {
	d := &v.Devices[i]
	x, y := r.pos(v, i)
	if x < -rad*3 || y < -rad*3 || x > r.Cam.W+rad*3 || y > r.Cam.H+rad*3 {
		return
	}
	s := min(d.Side, 2)
	icon := r.icons[min(int(d.Kind), len(r.icons)-1)][s]
	op := &ebiten.DrawImageOptions{}
	sc := 2 * rad / iconPx
	op.GeoM.Translate(-iconPx/2, -iconPx/2)
	op.GeoM.Scale(sc, sc)
	op.GeoM.Translate(x, y)
	op.Filter = ebiten.FilterLinear
	if !d.Powered {
		op.ColorScale.Scale(0.35, 0.35, 0.38, 1)
	} else if !d.Online {
		op.ColorScale.Scale(0.6, 0.6, 0.65, 1)
	}
	if d.Busy {
		vector.StrokeCircle(screen, float32(x), float32(y), float32(rad*1.25), float32(2*r.dpr), dim(sideColour(s), 200), true)
	}
	if d.Kind == sim.KindActuator && d.On {
		vector.FillCircle(screen, float32(x), float32(y), float32(rad*1.35), dim(color.RGBA{0x5d, 0xd3, 0x9e, 0xff}, 70), true)
	}
	screen.DrawImage(icon, op)
	if d.Refused {
		vector.StrokeCircle(screen, float32(x), float32(y), float32(rad*1.3), float32(3*r.dpr), colBad, true)
	}
	if d.Real {
		vector.StrokeRect(screen, float32(x-rad*1.3), float32(y-rad*1.3), float32(rad*2.6), float32(rad*2.6), float32(2*r.dpr), colText, true)
	}
	if d.ID == r.Selected {
		vector.StrokeCircle(screen, float32(x), float32(y), float32(rad*1.5), float32(2*r.dpr), colSelect, true)
	}
	if !labels {
		return
	}
	op2 := &text.DrawOptions{}
	op2.GeoM.Translate(x, y+rad+4*r.dpr)
	op2.PrimaryAlign = text.AlignCenter
	if d.Powered {
		op2.ColorScale.ScaleWithColor(colText)
	} else {
		op2.ColorScale.ScaleWithColor(colOff)
	}
	text.Draw(screen, d.Label, r.face, op2)
}

// drawLegend names the protocol colours and the time scale.
func (r *Renderer) drawLegend(screen *ebiten.Image) {
	x, y := 14*r.dpr, r.Cam.H-24*r.dpr
	for p := sim.ProtoModbusRTU; p <= sim.ProtoLoRaWAN; p++ {
		c := ProtocolColours[p]
		vector.FillCircle(screen, float32(x+5*r.dpr), float32(y+7*r.dpr), float32(4.5*r.dpr), c, true)
		op := &text.DrawOptions{}
		op.GeoM.Translate(x+13*r.dpr, y)
		op.ColorScale.ScaleWithColor(colMuted)
		name := p.String()
		text.Draw(screen, name, r.small, op)
		w, _ := text.Measure(name, r.small, 0)
		x += w + 26*r.dpr
	}
	if r.SlowDown > 1.01 {
		op := &text.DrawOptions{}
		op.GeoM.Translate(x+8*r.dpr, y)
		op.ColorScale.ScaleWithColor(colMuted)
		text.Draw(screen, slowCaption(r.SlowDown), r.small, op)
	}
}
