//go:build js && wasm

package render

import (
	"math"
	"strings"

	"github.com/thingyard/thingyard/sim"
)

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
	if (!labels && d.Label == d.ID) || r.labels.tried >= maxTried {
		return
	}
	r.labels.tried++
	c := col.Text
	if !d.Powered {
		c = col.Off
	}
	// Under the icon; a given name that has no room there is tried
	// elsewhere once the networks' clouds are placed (see elsewhere).
	if !r.place(label{d.Label, x, y + rad + 3*r.dpr, r.text.face, c, alignCenter}, true, false) && d.Label != d.ID {
		r.labels.unplaced = append(r.labels.unplaced, i)
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
	rad, lh, gap := r.rad, r.text.face.lineHeight(), 4*r.dpr
	_ = r.place(label{d.Label, x, y - rad - 2*r.dpr - lh, r.text.face, c, alignCenter}, true, false) ||
		r.place(label{d.Label, x + rad + gap, y - lh/2, r.text.face, c, alignStart}, true, false) ||
		r.place(label{d.Label, x - rad - gap, y - lh/2, r.text.face, c, alignEnd}, true, false)
}

// drawDeviceState marks what changes from frame to frame on a device:
// transmitting, selected, under the pointer.
func (r *Renderer) drawDeviceState(v *sim.View, i int32) {
	d := &v.Devices[i]
	sel, hov := d.ID == r.Selected, int(i) == r.in.hover.device
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
	r.crowd.drawn++
	marked := m.ID == r.SelectedMsg || m.ID == r.in.hover.msg
	switch {
	case !r.crowd.on || marked:
		r.fg.disc(fx, fy, rad+2.5*float32(r.dpr), colourOf(c, 0.25))
		r.fg.disc(fx, fy, rad, colourOf(c, 1))
	case r.crowd.take(x, y, r.dpr):
		r.fg.disc(fx, fy, rad, colourOf(c, 1))
	}
	if m.ID == r.SelectedMsg {
		r.fg.ring(fx, fy, rad+5*float32(r.dpr), colourOf(col.Ring, 1))
	} else if m.ID == r.in.hover.msg {
		r.fg.ring(fx, fy, rad+5*float32(r.dpr), colourOf(col.Ring, 0.5))
	}
}

// drawOutage names a cut network at the top of the canvas: an outage is
// an event on screen, not only a number in the panel.
func (r *Renderer) drawOutage(v *sim.View) {
	cut := ""
	for i := range v.Links {
		l := &v.Links[i]
		if !l.Up && (l.Medium == sim.MediumInternet || l.Medium == sim.MediumCellular) {
			cut = mediumNames[l.Medium%maxProto]
			break
		}
	}
	if cut == "" {
		return
	}
	if !strings.HasPrefix(r.outage, cut+" ") {
		r.outage = cut + " cut: whatever needs the cloud waits or is lost"
	}
	r.top = append(r.top, label{r.outage, r.Cam.W / 2, 30 * r.dpr, r.text.bold, col.Bad, alignCenter})
}
