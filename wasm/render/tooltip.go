//go:build js && wasm

package render

import (
	"strconv"

	"github.com/thingyard/thingyard/sim"
)

// tipKey is what a tooltip's text depends on; the text is rebuilt only
// when it changes, not every frame.
type tipKey struct {
	device  int
	msg     uint64
	state   uint8
	value   int64
	lost    bool
	devices int
}

// tooltip is the text shown beside the pointer and its measured size.
type tooltip struct {
	key   tipKey
	lines [4]string
	lh    [4]float64 // line heights
	n     int
	w, h  float64
}

func stateBits(d *sim.DeviceView) uint8 {
	var b uint8
	for i, on := range [...]bool{d.Powered, d.Online, d.Busy, d.Refused, d.Real, d.On} {
		if on {
			b |= 1 << i
		}
	}
	return b
}

// drawTooltip describes the device or message under the mouse.
func (r *Renderer) drawTooltip(v *sim.View) {
	var k tipKey
	k.device, k.devices = -1, len(v.Devices)
	var m *sim.MessageView
	switch {
	case r.in.hover.msg != 0:
		for i := range v.Messages {
			if v.Messages[i].ID == r.in.hover.msg {
				m = &v.Messages[i]
			}
		}
		if m == nil {
			return
		}
		k.msg, k.lost = m.ID, m.Lost
	case r.in.hover.device >= 0 && r.in.hover.device < len(v.Devices):
		d := &v.Devices[r.in.hover.device]
		k.device, k.state, k.value = r.in.hover.device, stateBits(d), d.Value
	default:
		return
	}
	t := &r.tip
	if k != t.key {
		t.key = k
		if m != nil {
			t.describeMessage(v, m)
		} else {
			t.describeDevice(v, &v.Devices[k.device])
		}
		t.w, t.h = 0, 0
		for i := 0; i < t.n; i++ {
			face := r.text.small
			if i == 0 {
				face = r.text.face
			}
			w, h := face.measure(t.lines[i]), face.lineHeight()
			t.lh[i] = h + 3*r.dpr
			t.w, t.h = max(t.w, w), t.h+t.lh[i]
		}
	}
	d := r.dpr
	pad := 8 * d
	x, y := Place(float64(r.in.hover.x), float64(r.in.hover.y), t.w+2*pad, t.h+2*pad-3*d, 14*d, r.Cam.W, r.Cam.H)
	r.over.rect(float32(x), float32(y), float32(t.w+2*pad), float32(t.h+2*pad-3*d), colourOf(col.Panel, 0.95))
	r.over.frame(float32(x), float32(y), float32(t.w+2*pad), float32(t.h+2*pad-3*d), float32(d), colourOf(col.Muted, 0.5))
	ly := y + pad
	for i := 0; i < t.n; i++ {
		face, c := r.text.small, col.Muted
		if i == 0 {
			face, c = r.text.face, col.Text
		}
		r.top = append(r.top, label{t.lines[i], x + pad, ly, face, c, alignStart})
		ly += t.lh[i]
	}
}

func (t *tooltip) describeDevice(v *sim.View, d *sim.DeviceView) {
	side := ""
	if d.Side >= 0 && d.Side < len(v.Sides) {
		side = " · " + v.Sides[d.Side]
	}
	t.lines[0] = d.Label
	t.lines[1] = d.Kind.String() + side
	state := "off"
	switch {
	case d.Powered && !d.Online:
		state = "on, but no link is up"
	case d.Refused:
		state = "refused an action"
	case d.Busy:
		state = "transmitting"
	case d.Powered:
		state = "online"
	}
	if d.Real {
		state += " · real board"
	}
	if d.Kind == sim.KindActuator {
		if d.On {
			state += " · open/on"
		} else {
			state += " · closed/off"
		}
	}
	t.lines[2] = state
	t.n = 3
	if d.Quantity != "" {
		t.lines[3] = d.Quantity + " " + strconv.FormatFloat(float64(d.Value)/1000, 'f', -1, 64) + " " + d.Unit
		t.n = 4
	}
}

func (t *tooltip) describeMessage(v *sim.View, m *sim.MessageView) {
	name := func(i int32) string {
		if i >= 0 && int(i) < len(v.Devices) {
			return v.Devices[i].Label
		}
		return "?"
	}
	t.lines[0] = m.Protocol.String() + " message"
	t.lines[1] = name(m.From) + " → " + name(m.To)
	t.lines[2] = "click to see its bytes"
	if m.Lost {
		t.lines[2] = "lost on the way"
	}
	t.n = 3
}
